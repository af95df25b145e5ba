package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisPrefix namespaces the limiter's keys: PREFIX + tier + ":" + key.
const DefaultRedisPrefix = "lucid:ratelimit:"

// RedisConfig configures a Redis limiter.
type RedisConfig struct {
	// Client is the Redis connection (*redis.Client, *redis.ClusterClient, *redis.Ring, ...).
	Client redis.Scripter
	// Tiers are the limits per Window; DefaultTiers() when zero.
	Tiers Tiers
	// Window is the sliding window length; DefaultWindow when zero. Millisecond resolution.
	Window time.Duration
	// Prefix namespaces the keys; DefaultRedisPrefix when empty. Replicas that share a budget
	// must use the same prefix, window and tiers.
	Prefix string
	// Now, when set, supplies the time sent to Redis. When nil (recommended) the script reads
	// the Redis server's clock, so replicas with skewed clocks still agree on one timeline.
	Now func() time.Time
}

// Redis is a Limiter shared by every replica that uses the same Redis and prefix. It keeps an
// exact sliding-window log per (tier, key): a sorted set of the admitted requests' times. One
// Lua script, run atomically by Redis (EVALSHA, falling back to EVAL when the script cache is
// cold), drops the entries that have left the window, counts the rest, admits the request only
// when the count is under the limit, and records it. Concurrent requests from any number of
// replicas therefore never exceed the limit in any window.
//
// Refused requests are not recorded, and a request's weight disappears exactly one window after
// it was admitted, whatever happens after it: a client that keeps under the limit is never
// refused, and a client that was refused is admitted again as soon as its oldest request leaves
// the window. The key's expiry is only garbage collection: it is set to one window after the
// newest admitted request, the moment the whole log is stale, and no count depends on it (the
// original design counted with INCR and re-armed EXPIRE on every request, so a steady client's
// counter never expired and it was blocked for good).
//
// Memory in Redis is at most Limit entries per active (tier, key). Errors from Redis are
// returned as they are; wrap the limiter in Resilient to choose fail-open or fail-closed.
type Redis struct {
	client   redis.Scripter
	limits   map[Tier]int
	windowUS int64
	prefix   string
	now      func() time.Time
	instance string
	seq      atomic.Uint64
}

// NewRedis returns a Redis limiter for cfg.
func NewRedis(cfg RedisConfig) (*Redis, error) {
	if cfg.Client == nil {
		return nil, errors.New("ratelimit: redis client required")
	}
	if cfg.Tiers == (Tiers{}) {
		cfg.Tiers = DefaultTiers()
	}
	if cfg.Window == 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.Window < time.Millisecond {
		return nil, fmt.Errorf("ratelimit: window %v shorter than 1 ms", cfg.Window)
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultRedisPrefix
	}
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("ratelimit: instance id: %w", err)
	}
	r := &Redis{
		client:   cfg.Client,
		limits:   make(map[Tier]int, len(AllTiers())),
		windowUS: cfg.Window.Microseconds(),
		prefix:   cfg.Prefix,
		now:      cfg.Now,
		instance: hex.EncodeToString(id[:]),
	}
	for _, t := range AllTiers() {
		r.limits[t], _ = cfg.Tiers.Limit(t)
	}
	return r, nil
}

// slidingLog is the whole decision, atomic inside Redis.
//
// KEYS[1] the log of one (tier, key); ARGV: limit, window (µs), now (µs, 0 = server clock),
// member (unique per request). Returns {allowed, remaining, retry_after_us, reset_after_us}.
var slidingLog = redis.NewScript(`
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now == 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
local allowed = 0
if count < limit then
  redis.call('ZADD', key, now, ARGV[4])
  count = count + 1
  allowed = 1
  redis.call('PEXPIRE', key, math.ceil(window / 1000))
end
local retry = 0
local reset = 0
if count > 0 then
  local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  reset = tonumber(newest[2]) + window - now
  if allowed == 0 then
    local idx = count - limit
    local blocker = redis.call('ZRANGE', key, idx, idx, 'WITHSCORES')
    retry = tonumber(blocker[2]) + window - now
    if retry < 1 then retry = 1 end
  end
end
local remaining = limit - count
if remaining < 0 then remaining = 0 end
return {allowed, remaining, retry, reset}
`)

// Key returns the Redis key holding the log of (tier, key).
func (r *Redis) Key(tier Tier, key string) string { return r.prefix + string(tier) + ":" + key }

// Allow runs the sliding-window script for (tier, key).
func (r *Redis) Allow(ctx context.Context, key string, tier Tier) (Decision, error) {
	limit, ok := r.limits[tier]
	if !ok {
		return Decision{}, fmt.Errorf("ratelimit: unknown tier %q", tier)
	}
	if limit <= 0 {
		return unlimited, nil
	}
	var nowUS int64
	if r.now != nil {
		nowUS = r.now().UnixMicro()
	}
	member := r.instance + ":" + strconv.FormatUint(r.seq.Add(1), 36)
	res, err := slidingLog.Run(ctx, r.client, []string{r.Key(tier, key)}, limit, r.windowUS, nowUS, member).Int64Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	if len(res) != 4 {
		return Decision{}, fmt.Errorf("ratelimit: redis: unexpected script reply of %d values", len(res))
	}
	return Decision{
		Allowed:    res[0] == 1,
		Limit:      limit,
		Remaining:  int(res[1]),
		RetryAfter: time.Duration(res[2]) * time.Microsecond,
		ResetAfter: time.Duration(res[3]) * time.Microsecond,
	}, nil
}
