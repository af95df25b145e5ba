package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// SharedConfig configures OpenShared.
type SharedConfig struct {
	// URL is the Redis URL (redis://[user:pass@]host:port/db or rediss:// for TLS).
	URL string
	// Tiers are the per-window limits; the same on every replica.
	Tiers Tiers
	// Mode says what to do while Redis fails: FailOpen (default) limits per process with the
	// in-process limiter, FailClosed refuses requests.
	Mode FailureMode
	// Logger receives throttled Redis failure messages.
	Logger *slog.Logger
}

// OpenShared returns the limiter that several replicas share: an exact sliding window in Redis,
// with the in-process limiter as the fallback while Redis is unreachable. It checks that Redis
// answers before returning. The returned close function releases the connection pool.
func OpenShared(ctx context.Context, cfg SharedConfig) (Limiter, func() error, error) {
	opts, err := redis.ParseURL(cfg.URL)
	if err != nil {
		return nil, nil, fmt.Errorf("ratelimit: REDIS_URL: %w", err)
	}
	client := redis.NewClient(opts)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pingCtx).Err(); err != nil {
		_ = client.Close()
		return nil, nil, fmt.Errorf("ratelimit: Redis at %s does not answer: %w", opts.Addr, err)
	}
	primary, err := NewRedis(RedisConfig{Client: client, Tiers: cfg.Tiers})
	if err != nil {
		_ = client.Close()
		return nil, nil, err
	}
	fallback, err := NewMemory(MemoryConfig{Tiers: cfg.Tiers})
	if err != nil {
		_ = client.Close()
		return nil, nil, err
	}
	l := NewResilient(ResilientConfig{Primary: primary, Fallback: fallback, Mode: cfg.Mode, Logger: cfg.Logger})
	return l, client.Close, nil
}
