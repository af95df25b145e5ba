package refserver

import (
	"flag"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfigDefaults(t *testing.T) {
	t.Parallel()
	c, err := LoadConfig(nil, nil, envOf(nil))
	require.NoError(t, err)
	assert.Equal(t, DefaultConfig(), c)
	assert.Equal(t, ":8083", c.Addr)
	assert.Equal(t, 90*time.Second, c.EffectiveHeartbeatTTL())
	assert.Equal(t, RateLimits{Unauthenticated: 100, Node: 1000, Admin: 10000, PoOT: 100, Payout: 50}, c.RateLimits)
	assert.Empty(t, c.TrustedProxies)
}

func TestLoadConfigEnvAndFlags(t *testing.T) {
	t.Parallel()
	env := envOf(map[string]string{
		"PORT": "9000", "JWT_SECRET_KEY": "0123456789abcdef0123456789abcdef", "DATABASE_URL": "memory:",
		"LOG_LEVEL": "debug", "LOG_FORMAT": "text", "NODE_HEARTBEAT_INTERVAL": "10", "HEARTBEAT_GRACE": "1m",
		"RESTART_TTL": "600", "RATE_LIMIT_PER_MINUTE": "5", "RATE_LIMIT_UNAUTHENTICATED": "7", "RATE_LIMIT_ADMIN": "0",
		"RATE_LIMIT_POOT": "8", "RATE_LIMIT_PAYOUT": "9", "MAX_BODY_BYTES": "4096",
		"TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7", "RESOURCE_RETENTION_DAYS": "30", "DATA_DIR": "/tmp/x",
		"PAYOUT_BATCH_SIZE": "50", "POOT_VALIDATION_TIMEOUT": "5s", "RESOURCE_COLLECTION_INTERVAL": "15s",
	})
	c, err := LoadConfig(nil, []string{"-heartbeat-ttl", "45s", "-addr", "127.0.0.1:7000", "-rate-node", "6", "-db", "sqlite:/tmp/y.db"}, env)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:7000", c.Addr) // the flag wins over PORT
	assert.Equal(t, "sqlite:/tmp/y.db", c.DatabaseURL)
	assert.Equal(t, 10*time.Second, c.HeartbeatInterval)
	assert.Equal(t, 45*time.Second, c.EffectiveHeartbeatTTL())
	assert.Equal(t, time.Minute, c.HeartbeatGrace)
	assert.Equal(t, 10*time.Minute, c.RestartTTL)
	assert.Equal(t, RateLimits{Unauthenticated: 7, Node: 6, Admin: 0, PoOT: 8, Payout: 9}, c.RateLimits)
	assert.Equal(t, int64(4096), c.MaxBodyBytes)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32")}, c.TrustedProxies)
	assert.Equal(t, "text", c.LogFormat)
	assert.Equal(t, 30, c.ResourceRetentionDays)
	assert.Equal(t, 50, c.PayoutBatchSize)
	c2, err := LoadConfig(nil, nil, env)
	require.NoError(t, err)
	assert.Equal(t, ":9000", c2.Addr)
	assert.Equal(t, 30*time.Second, c2.EffectiveHeartbeatTTL())
}

func TestLoadConfigRefusesInvalidValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"PORT": "http"}, nil, "PORT"},
		{map[string]string{"PORT": "70000"}, nil, "PORT"},
		{map[string]string{"NODE_HEARTBEAT_INTERVAL": "soon"}, nil, "NODE_HEARTBEAT_INTERVAL"},
		{map[string]string{"NODE_HEARTBEAT_INTERVAL": "0"}, nil, "NODE_HEARTBEAT_INTERVAL"},
		{map[string]string{"HEARTBEAT_GRACE": "-5s"}, nil, "HEARTBEAT_GRACE"},
		{map[string]string{"RATE_LIMIT_PER_MINUTE": "many"}, nil, "RATE_LIMIT_PER_MINUTE"},
		{map[string]string{"RATE_LIMIT_ADMIN": "-1"}, nil, "RATE_LIMIT_ADMIN"},
		{map[string]string{"LOG_FORMAT": "xml"}, nil, "LOG_FORMAT"},
		{map[string]string{"LOG_LEVEL": "loud"}, nil, "LOG_LEVEL"},
		{map[string]string{"TRUSTED_PROXIES": "everyone"}, nil, "TRUSTED_PROXIES"},
		{map[string]string{"MAX_BODY_BYTES": "10"}, nil, "MAX_BODY_BYTES"},
		{map[string]string{"JWT_SECRET_KEY": "short"}, nil, "JWT_SECRET_KEY"},
		{map[string]string{"PAYOUT_BATCH_SIZE": "0"}, nil, "PAYOUT_BATCH_SIZE"},
		{map[string]string{"HEARTBEAT_TTL": "10s"}, nil, "HEARTBEAT_TTL"},
		{nil, []string{"-heartbeat-grace", "forever"}, "heartbeat-grace"},
		{nil, []string{"-no-such-flag"}, "no-such-flag"},
		{nil, []string{"extra"}, "unexpected arguments"},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		_, err := LoadConfig(fs, tc.args, envOf(tc.env))
		require.Error(t, err, "%v %v", tc.env, tc.args)
		assert.Contains(t, err.Error(), tc.want)
	}
}

func TestNewRefusesMissingDeps(t *testing.T) {
	t.Parallel()
	_, err := New(testConfig(), Deps{})
	require.ErrorContains(t, err, "Store")
	c := testConfig()
	c.JWTSecret = ""
	e := newEnv(t)
	_, err = New(c, Deps{Store: e.srv.store})
	require.ErrorContains(t, err, "JWT secret")
}
