package ratelimit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/refserver/ratelimit"
)

// testRedis connects to LUCID_TEST_REDIS_URL or skips the test.
func testRedis(t testing.TB) *redis.Client {
	t.Helper()
	url := os.Getenv("LUCID_TEST_REDIS_URL")
	if url == "" {
		t.Skip("LUCID_TEST_REDIS_URL not set: skipping the test against a real Redis " +
			"(set e.g. LUCID_TEST_REDIS_URL=redis://127.0.0.1:6379/0 to run it)")
	}
	opt, err := redis.ParseURL(url)
	require.NoError(t, err)
	opt.PoolSize = 64
	c := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	require.NoError(t, c.Ping(ctx).Err(), "LUCID_TEST_REDIS_URL is set but Redis does not answer")
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testPrefix returns a prefix unique to the test and deletes its keys afterwards.
func testPrefix(t testing.TB, c *redis.Client) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "lucid:ratelimit:test:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := c.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			_ = c.Del(ctx, keys...).Err()
		}
	})
	return prefix
}

func newRedis(t testing.TB, c *redis.Client, prefix string, window time.Duration, tiers ratelimit.Tiers, now func() time.Time) *ratelimit.Redis {
	t.Helper()
	r, err := ratelimit.NewRedis(ratelimit.RedisConfig{Client: c, Tiers: tiers, Window: window, Prefix: prefix, Now: now})
	require.NoError(t, err)
	return r
}

func TestRedisBurstRefusedWithRetryAfter(t *testing.T) {
	t.Parallel()
	c := testRedis(t)
	ctx := context.Background()
	const window = time.Second
	r := newRedis(t, c, testPrefix(t, c), window, ratelimit.Tiers{Unauthenticated: 5}, nil)
	allowed := 0
	var refused ratelimit.Decision
	for i := range 8 {
		d, err := r.Allow(ctx, "198.51.100.7", ratelimit.TierUnauthenticated)
		require.NoError(t, err)
		assert.Equal(t, 5, d.Limit)
		if d.Allowed {
			allowed++
			assert.Equal(t, 5-allowed, d.Remaining, "request %d", i)
			continue
		}
		refused = d
		assert.Zero(t, d.Remaining)
		assert.Greater(t, d.RetryAfter, time.Duration(0))
		assert.LessOrEqual(t, d.RetryAfter, window)
		assert.LessOrEqual(t, d.ResetAfter, window)
	}
	require.Equal(t, 5, allowed)
	time.Sleep(refused.RetryAfter + 20*time.Millisecond)
	d, err := r.Allow(ctx, "198.51.100.7", ratelimit.TierUnauthenticated)
	require.NoError(t, err)
	require.True(t, d.Allowed, "admitted again once the oldest request left the window")
}

func TestRedisSteadyClientNeverBlocked(t *testing.T) {
	t.Parallel()
	c := testRedis(t)
	ctx := context.Background()
	const window = 300 * time.Millisecond
	prefix := testPrefix(t, c)
	r := newRedis(t, c, prefix, window, ratelimit.Tiers{Authenticated: 10}, nil)
	// Half the limit, for four windows: the INCR+EXPIRE design refused this client after two.
	for i := range 20 {
		d, err := r.Allow(ctx, "worker:n1", ratelimit.TierAuthenticated)
		require.NoError(t, err)
		require.True(t, d.Allowed, "request %d of a client under the limit", i)
		ttl, err := c.PTTL(ctx, r.Key(ratelimit.TierAuthenticated, "worker:n1")).Result()
		require.NoError(t, err)
		require.LessOrEqual(t, ttl, window, "the log never lives longer than a window past its newest entry")
		time.Sleep(window / 5)
	}
	// Left alone, the log expires one window after its newest entry.
	time.Sleep(window + 100*time.Millisecond)
	n, err := c.Exists(ctx, r.Key(ratelimit.TierAuthenticated, "worker:n1")).Result()
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestRedisSlidingWindowExact(t *testing.T) {
	t.Parallel()
	c := testRedis(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	at := func(d time.Duration) {
		mu.Lock()
		now = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC).Add(d)
		mu.Unlock()
	}
	r := newRedis(t, c, testPrefix(t, c), time.Minute, ratelimit.Tiers{PoOT: 3}, clock)

	steps := []struct {
		at      time.Duration
		allowed bool
		retry   time.Duration
	}{
		{0, true, 0},
		{10 * time.Second, true, 0},
		{20 * time.Second, true, 0},
		{30 * time.Second, false, 30 * time.Second}, // the request at 0 leaves at 60 s
		{59 * time.Second, false, time.Second},
		{60 * time.Second, true, 0}, // a fixed window would still say no here, or yes too early
		{61 * time.Second, false, 9 * time.Second},
		{70 * time.Second, true, 0},
	}
	for _, s := range steps {
		at(s.at)
		d, err := r.Allow(ctx, "validator", ratelimit.TierPoOT)
		require.NoError(t, err)
		require.Equal(t, s.allowed, d.Allowed, "at %v", s.at)
		assert.Equal(t, s.retry, d.RetryAfter, "at %v", s.at)
	}
}

func TestRedisInstancesShareBudget(t *testing.T) {
	t.Parallel()
	c := testRedis(t)
	ctx := context.Background()
	prefix := testPrefix(t, c)
	tiers := ratelimit.Tiers{Payout: 5}
	opt := *c.Options()
	c2 := redis.NewClient(&opt)
	t.Cleanup(func() { _ = c2.Close() })
	a := newRedis(t, c, prefix, 10*time.Second, tiers, nil)
	b := newRedis(t, c2, prefix, 10*time.Second, tiers, nil)
	allowed := 0
	for i := range 10 {
		l := a
		if i%2 == 1 {
			l = b
		}
		d, err := l.Allow(ctx, "admin", ratelimit.TierPayout)
		require.NoError(t, err)
		if d.Allowed {
			allowed++
		}
	}
	assert.Equal(t, 5, allowed)

	// Another prefix (another deployment) and another tier have their own budgets.
	other := newRedis(t, c, testPrefix(t, c), 10*time.Second, tiers, nil)
	d, err := other.Allow(ctx, "admin", ratelimit.TierPayout)
	require.NoError(t, err)
	assert.True(t, d.Allowed)
}

func TestRedisConcurrentNeverExceeds(t *testing.T) {
	t.Parallel()
	c := testRedis(t)
	prefix := testPrefix(t, c)
	limiters := []*ratelimit.Redis{
		newRedis(t, c, prefix, 30*time.Second, ratelimit.Tiers{Admin: 37}, nil),
		newRedis(t, c, prefix, 30*time.Second, ratelimit.Tiers{Admin: 37}, nil),
	}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 40 {
		wg.Go(func() {
			for range 5 {
				d, err := limiters[g%2].Allow(context.Background(), "admin", ratelimit.TierAdmin)
				if !assert.NoError(t, err) {
					return
				}
				if d.Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int64(37), allowed.Load())
}

func TestRedisUnreachableReturnsError(t *testing.T) {
	t.Parallel()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	r, err := ratelimit.NewRedis(ratelimit.RedisConfig{Client: c})
	require.NoError(t, err)
	_, err = r.Allow(context.Background(), "k", ratelimit.TierAdmin)
	require.Error(t, err)

	_, err = r.Allow(context.Background(), "k", "bogus")
	require.Error(t, err)
	d, err := ratelimit.NewRedis(ratelimit.RedisConfig{Client: c, Tiers: ratelimit.Tiers{Admin: -1}})
	require.NoError(t, err)
	dec, err := d.Allow(context.Background(), "k", ratelimit.TierAdmin)
	require.NoError(t, err, "an unlimited tier does not touch Redis")
	assert.True(t, dec.Allowed)

	_, err = ratelimit.NewRedis(ratelimit.RedisConfig{})
	require.Error(t, err)
	_, err = ratelimit.NewRedis(ratelimit.RedisConfig{Client: c, Window: time.Microsecond})
	require.Error(t, err)
}
