package refserver

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// RateLimits are the per-minute budgets of the rate-limit tiers. Zero lifts a tier's limit
// (benchmarks, trusted deployments behind their own limiter).
type RateLimits struct {
	Unauthenticated int // per client address
	Node            int // per authenticated subject (RATE_LIMIT_PER_MINUTE)
	Admin           int // per admin subject
	PoOT            int // per subject on /poot routes
	Payout          int // per subject on /payouts routes
}

// Config is the server's configuration. LoadConfig fills it from the environment and flags;
// DefaultConfig gives the specification's defaults.
type Config struct {
	// Addr is the listen address (default ":8083", or ":$PORT").
	Addr string
	// JWTSecret is the HS256 secret (JWT_SECRET_KEY); at least 32 bytes. The binary generates
	// and keeps one in DataDir when unset.
	JWTSecret string
	// EncryptionKey encrypts sensitive fields at rest (ENCRYPTION_KEY); handed to storage.
	EncryptionKey string
	// DatabaseURL selects the store (DATABASE_URL): sqlite:PATH, memory:, postgres://…
	DatabaseURL string
	// RedisURL, when set, backs a shared rate limiter (REDIS_URL).
	RedisURL string
	// LogLevel is debug, info, warn or error (LOG_LEVEL).
	LogLevel slog.Level
	// LogFormat is json or text (LOG_FORMAT).
	LogFormat string
	// HeartbeatInterval is how often nodes are told to heartbeat (NODE_HEARTBEAT_INTERVAL, 30 s).
	HeartbeatInterval time.Duration
	// HeartbeatTTL is how long a heartbeat keeps a node healthy (HEARTBEAT_TTL; 3× the interval
	// when zero).
	HeartbeatTTL time.Duration
	// HeartbeatGrace is how long an unknown node waits before it is down (HEARTBEAT_GRACE, 60 s).
	HeartbeatGrace time.Duration
	// RestartTTL is the first deadline every node gets after a server start (RESTART_TTL, 5 min).
	RestartTTL time.Duration
	// ReaperInterval is how often the heartbeat reaper runs (REAPER_INTERVAL, 5 s).
	ReaperInterval time.Duration
	// ResourceCollectionInterval is the local metrics sampling period (60 s).
	ResourceCollectionInterval time.Duration
	// PoOTValidationTimeout bounds one PoOT validation (30 s).
	PoOTValidationTimeout time.Duration
	// PayoutBatchSize is the number of payouts processed together (100).
	PayoutBatchSize int
	// RateLimits are the per-minute tier budgets.
	RateLimits RateLimits
	// MaxBodyBytes bounds every request body (MAX_BODY_BYTES, 1 MiB + 64 KiB so a 1 MiB PoOT
	// output in base64 still fits together with its envelope — raise it for batches).
	MaxBodyBytes int64
	// TrustedProxies are the networks whose X-Forwarded-For is believed (off when empty).
	TrustedProxies []netip.Prefix
	// ResourceRetentionDays keeps raw resource samples this long (90).
	ResourceRetentionDays int
	// HostNodeID, when set, is the node whose samples the server collects from its own host every
	// ResourceCollectionInterval (HOST_NODE_ID); empty runs no collector.
	HostNodeID string
	// ResourceMetricsNodes bounds the nodes that get resource Prometheus series
	// (RESOURCE_METRICS_MAX_NODES, 1000).
	ResourceMetricsNodes int
	// DataDir holds the SQLite file and the generated secrets (DATA_DIR, "./data").
	DataDir string
	// Chain selects the payout chain: "sim" (in-process simulator) or a TRON gRPC endpoint.
	Chain string
	// ShutdownTimeout bounds the drain of in-flight requests on shutdown (SHUTDOWN_TIMEOUT, 15 s).
	ShutdownTimeout time.Duration
	// Payout holds the payout and TRON settings (payout_config.go).
	Payout PayoutConfig
}

// DefaultConfig returns the specification's defaults.
func DefaultConfig() Config {
	return Config{
		Addr:                       ":8083",
		LogLevel:                   slog.LevelInfo,
		LogFormat:                  "json",
		HeartbeatInterval:          30 * time.Second,
		HeartbeatGrace:             60 * time.Second,
		RestartTTL:                 5 * time.Minute,
		ReaperInterval:             5 * time.Second,
		ResourceCollectionInterval: 60 * time.Second,
		PoOTValidationTimeout:      30 * time.Second,
		PayoutBatchSize:            100,
		RateLimits:                 RateLimits{Unauthenticated: 100, Node: 1000, Admin: 10000, PoOT: 100, Payout: 50},
		MaxBodyBytes:               1<<20 + 64<<10,
		ResourceRetentionDays:      90,
		ResourceMetricsNodes:       1000,
		DataDir:                    "./data",
		Chain:                      "sim",
		ShutdownTimeout:            15 * time.Second,
		Payout:                     defaultPayoutConfig(),
	}
}

// EffectiveHeartbeatTTL is the TTL handed to nodes: HeartbeatTTL, or three intervals.
func (c Config) EffectiveHeartbeatTTL() time.Duration {
	if c.HeartbeatTTL > 0 {
		return c.HeartbeatTTL
	}
	return 3 * c.HeartbeatInterval
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	var errs []error
	pos := func(name string, d time.Duration) {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %s", name, d))
		}
	}
	pos("NODE_HEARTBEAT_INTERVAL", c.HeartbeatInterval)
	pos("HEARTBEAT_GRACE", c.HeartbeatGrace)
	pos("RESTART_TTL", c.RestartTTL)
	pos("REAPER_INTERVAL", c.ReaperInterval)
	pos("RESOURCE_COLLECTION_INTERVAL", c.ResourceCollectionInterval)
	pos("POOT_VALIDATION_TIMEOUT", c.PoOTValidationTimeout)
	pos("SHUTDOWN_TIMEOUT", c.ShutdownTimeout)
	if c.HeartbeatTTL < 0 {
		errs = append(errs, fmt.Errorf("HEARTBEAT_TTL must not be negative"))
	}
	if c.HeartbeatTTL > 0 && c.HeartbeatTTL < c.HeartbeatInterval {
		errs = append(errs, fmt.Errorf("HEARTBEAT_TTL (%s) must be at least NODE_HEARTBEAT_INTERVAL (%s)", c.HeartbeatTTL, c.HeartbeatInterval))
	}
	if c.PayoutBatchSize < 1 || c.PayoutBatchSize > 1000 {
		errs = append(errs, fmt.Errorf("PAYOUT_BATCH_SIZE must be 1–1000, got %d", c.PayoutBatchSize))
	}
	for name, v := range map[string]int{"RATE_LIMIT_UNAUTHENTICATED": c.RateLimits.Unauthenticated,
		"RATE_LIMIT_PER_MINUTE": c.RateLimits.Node, "RATE_LIMIT_ADMIN": c.RateLimits.Admin,
		"RATE_LIMIT_POOT": c.RateLimits.PoOT, "RATE_LIMIT_PAYOUT": c.RateLimits.Payout} {
		if v < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative (0 lifts the limit), got %d", name, v))
		}
	}
	if c.MaxBodyBytes < 1024 {
		errs = append(errs, fmt.Errorf("MAX_BODY_BYTES must be at least 1024, got %d", c.MaxBodyBytes))
	}
	if c.ResourceMetricsNodes < 1 {
		errs = append(errs, fmt.Errorf("RESOURCE_METRICS_MAX_NODES must be at least 1, got %d", c.ResourceMetricsNodes))
	}
	if c.HostNodeID != "" && !validHostNodeID(c.HostNodeID) {
		errs = append(errs, fmt.Errorf("HOST_NODE_ID must be a node id (node_…, 8–64 characters), got %q", c.HostNodeID))
	}
	if c.ResourceRetentionDays < 1 {
		errs = append(errs, fmt.Errorf("RESOURCE_RETENTION_DAYS must be at least 1, got %d", c.ResourceRetentionDays))
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT must be json or text, got %q", c.LogFormat))
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		errs = append(errs, fmt.Errorf("JWT_SECRET_KEY must be at least 32 bytes, got %d", len(c.JWTSecret)))
	}
	if c.Addr == "" {
		errs = append(errs, errors.New("listen address is empty"))
	}
	errs = append(errs, c.validatePayout()...)
	return errors.Join(errs...)
}

// durationValue accepts Go duration syntax ("90s", "1m30s") or plain seconds ("90").
type durationValue struct{ d *time.Duration }

func (v durationValue) String() string {
	if v.d == nil {
		return ""
	}
	return v.d.String()
}

func (v durationValue) Set(s string) error {
	d, err := parseDuration(s)
	if err != nil {
		return err
	}
	*v.d = d
	return nil
}

func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > int64(100*365*24*time.Hour/time.Second) {
			return 0, fmt.Errorf("seconds out of range: %d", n)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want a duration like 30s or a number of seconds, got %q", s)
	}
	return d, nil
}

type levelValue struct{ l *slog.Level }

func (v levelValue) String() string {
	if v.l == nil {
		return ""
	}
	return strings.ToLower(v.l.String())
}
func (v levelValue) Set(s string) error {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		*v.l = slog.LevelDebug
	case "info":
		*v.l = slog.LevelInfo
	case "warn", "warning":
		*v.l = slog.LevelWarn
	case "error":
		*v.l = slog.LevelError
	default:
		return fmt.Errorf("want debug, info, warn or error, got %q", s)
	}
	return nil
}

type proxiesValue struct{ p *[]netip.Prefix }

func (v proxiesValue) String() string {
	if v.p == nil {
		return ""
	}
	parts := make([]string, len(*v.p))
	for i, p := range *v.p {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

func (v proxiesValue) Set(s string) error {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			a, err := netip.ParseAddr(part)
			if err != nil {
				return fmt.Errorf("want IP addresses or CIDR networks, got %q", part)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return fmt.Errorf("want IP addresses or CIDR networks, got %q", part)
		}
		out = append(out, p.Masked())
	}
	*v.p = out
	return nil
}

type portValue struct{ addr *string }

func (v portValue) String() string { return "" }
func (v portValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("want a port 1–65535, got %q", s)
	}
	*v.addr = ":" + strconv.Itoa(n)
	return nil
}

type formatValue struct{ f *string }

func (v formatValue) String() string {
	if v.f == nil {
		return ""
	}
	return *v.f
}
func (v formatValue) Set(s string) error {
	if s != "json" && s != "text" {
		return fmt.Errorf("want json or text, got %q", s)
	}
	*v.f = s
	return nil
}

// setting is one configuration knob: its environment variable, its flag and its target.
type setting struct {
	env, flag, usage string
	value            flag.Value
}

func (c *Config) settings() []setting {
	i := func(p *int) flag.Value { return (*intValue)(p) }
	return append([]setting{
		{"PORT", "port", "listen port (sets -addr to :PORT)", portValue{&c.Addr}},
		{"LISTEN_ADDR", "addr", "listen address", (*stringValue)(&c.Addr)},
		{"JWT_SECRET_KEY", "jwt-secret", "HS256 secret (≥32 bytes); generated in the data dir when unset", (*stringValue)(&c.JWTSecret)},
		{"ENCRYPTION_KEY", "encryption-key", "key for sensitive fields at rest; generated in the data dir when unset", (*stringValue)(&c.EncryptionKey)},
		{"DATABASE_URL", "db", "store: sqlite:PATH, memory:, postgres://…", (*stringValue)(&c.DatabaseURL)},
		{"REDIS_URL", "redis", "Redis URL for a shared rate limiter", (*stringValue)(&c.RedisURL)},
		{"LOG_LEVEL", "log-level", "debug, info, warn or error", levelValue{&c.LogLevel}},
		{"LOG_FORMAT", "log-format", "json or text", formatValue{&c.LogFormat}},
		{"NODE_HEARTBEAT_INTERVAL", "heartbeat-interval", "heartbeat interval nodes are told", durationValue{&c.HeartbeatInterval}},
		{"HEARTBEAT_TTL", "heartbeat-ttl", "heartbeat TTL (default 3× the interval)", durationValue{&c.HeartbeatTTL}},
		{"HEARTBEAT_GRACE", "heartbeat-grace", "time an unknown node waits before it is down", durationValue{&c.HeartbeatGrace}},
		{"RESTART_TTL", "restart-ttl", "first heartbeat deadline after a server start", durationValue{&c.RestartTTL}},
		{"REAPER_INTERVAL", "reaper-interval", "heartbeat reaper period", durationValue{&c.ReaperInterval}},
		{"RESOURCE_COLLECTION_INTERVAL", "resource-interval", "resource sampling period", durationValue{&c.ResourceCollectionInterval}},
		{"POOT_VALIDATION_TIMEOUT", "poot-timeout", "PoOT validation timeout", durationValue{&c.PoOTValidationTimeout}},
		{"PAYOUT_BATCH_SIZE", "payout-batch-size", "payouts processed together", i(&c.PayoutBatchSize)},
		{"RATE_LIMIT_UNAUTHENTICATED", "rate-unauthenticated", "requests/minute per client address without a token (0 lifts)", i(&c.RateLimits.Unauthenticated)},
		{"RATE_LIMIT_PER_MINUTE", "rate-node", "requests/minute per authenticated subject (0 lifts)", i(&c.RateLimits.Node)},
		{"RATE_LIMIT_ADMIN", "rate-admin", "requests/minute per admin subject (0 lifts)", i(&c.RateLimits.Admin)},
		{"RATE_LIMIT_POOT", "rate-poot", "requests/minute per subject on PoOT routes (0 lifts)", i(&c.RateLimits.PoOT)},
		{"RATE_LIMIT_PAYOUT", "rate-payout", "requests/minute per subject on payout routes (0 lifts)", i(&c.RateLimits.Payout)},
		{"MAX_BODY_BYTES", "max-body-bytes", "largest accepted request body", (*int64Value)(&c.MaxBodyBytes)},
		{"TRUSTED_PROXIES", "trusted-proxies", "comma-separated IPs/CIDRs whose X-Forwarded-For is believed (off by default)", proxiesValue{&c.TrustedProxies}},
		{"RESOURCE_RETENTION_DAYS", "retention-days", "days raw resource samples are kept", i(&c.ResourceRetentionDays)},
		{"HOST_NODE_ID", "host-node", "node id whose resources the server collects from its own host (off when empty)", (*stringValue)(&c.HostNodeID)},
		{"RESOURCE_METRICS_MAX_NODES", "resource-metrics-nodes", "nodes that get resource Prometheus series", i(&c.ResourceMetricsNodes)},
		{"DATA_DIR", "data", "data directory (SQLite file, generated secrets)", (*stringValue)(&c.DataDir)},
		{"CHAIN", "chain", "payout chain: sim or a TRON gRPC endpoint", (*stringValue)(&c.Chain)},
		{"SHUTDOWN_TIMEOUT", "shutdown-timeout", "time to drain in-flight requests on shutdown", durationValue{&c.ShutdownTimeout}},
	}, c.payoutSettings()...)
}

type stringValue string

func (v *stringValue) String() string {
	if v == nil {
		return ""
	}
	return string(*v)
}
func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }

type intValue int

func (v *intValue) String() string {
	if v == nil {
		return "0"
	}
	return strconv.Itoa(int(*v))
}
func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("want an integer, got %q", s)
	}
	*v = intValue(n)
	return nil
}

type int64Value int64

func (v *int64Value) String() string {
	if v == nil {
		return "0"
	}
	return strconv.FormatInt(int64(*v), 10)
}
func (v *int64Value) Set(s string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return fmt.Errorf("want an integer, got %q", s)
	}
	*v = int64Value(n)
	return nil
}

// LoadConfig builds a Config from the defaults, then the environment (getenv, usually
// os.Getenv), then the flags in args (a flag wins over its variable). Every malformed value is a
// clear error naming the variable or flag. The flags are registered on fs (which is parsed here)
// so the binary can add its own; pass nil to use a fresh set.
func LoadConfig(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	c := DefaultConfig()
	var errs []error
	settings := c.settings()
	for _, s := range settings {
		if v := getenv(s.env); v != "" {
			if err := s.value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", s.env, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	if fs == nil {
		fs = flag.NewFlagSet("refserver", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
	}
	for _, s := range settings {
		fs.Var(s.value, s.flag, s.usage+" ($"+s.env+")")
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return c, c.Validate()
}
