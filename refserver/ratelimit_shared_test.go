package refserver

import (
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/refserver/auth"
)

// TestRedisSharesBudgetAcrossReplicas runs two servers on one Redis: a subject's admin budget
// is spent across both, so adding replicas does not multiply what a client may send.
func TestRedisSharesBudgetAcrossReplicas(t *testing.T) {
	url := os.Getenv("LUCID_TEST_REDIS_URL")
	if url == "" {
		t.Skip("LUCID_TEST_REDIS_URL not set (e.g. redis://127.0.0.1:6379/0); skipping the shared rate-limit test")
	}
	limit := func(c *Config, _ *Deps) {
		c.RedisURL = url
		c.RateLimits = RateLimits{Unauthenticated: 1000, Node: 1000, Admin: 4, PoOT: 1000, Payout: 1000}
	}
	a, b := newEnv(t, limit), newEnv(t, limit)
	// one subject, unique per run so an earlier run's window does not count
	tok, err := a.srv.Authority().IssueToken(auth.TokenRequest{
		Subject: "replica-test-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		Role:    auth.RoleAdmin, Scopes: auth.RoleAdmin.Scopes(), TTL: time.Minute})
	require.NoError(t, err)
	codes := map[int]int{}
	for i := 0; i < 8; i++ {
		e := a
		if i%2 == 1 {
			e = b
		}
		r := e.do(http.MethodGet, "/api/v1/nodes", tok, "")
		codes[r.Code]++
		if r.Code == http.StatusTooManyRequests {
			assert.NotEmpty(t, r.Header.Get("Retry-After"))
		}
	}
	assert.Equal(t, map[int]int{http.StatusOK: 4, http.StatusTooManyRequests: 4}, codes)
}
