package ratelimit_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/refserver/ratelimit"
)

// fakeClock is a settable clock safe for concurrent reads.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func newMemory(t testing.TB, clk *fakeClock, mod func(*ratelimit.MemoryConfig)) *ratelimit.Memory {
	t.Helper()
	cfg := ratelimit.MemoryConfig{
		Tiers: ratelimit.Tiers{Unauthenticated: 5, Authenticated: 60, Admin: 600, PoOT: 10, Payout: -1},
		Now:   clk.Now,
	}
	if mod != nil {
		mod(&cfg)
	}
	m, err := ratelimit.NewMemory(cfg)
	require.NoError(t, err)
	return m
}

func TestMemoryBurstThenRefill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newFakeClock()
	m := newMemory(t, clk, nil)
	for i := range 5 {
		d, err := m.Allow(ctx, "1.2.3.4", ratelimit.TierUnauthenticated)
		require.NoError(t, err)
		require.True(t, d.Allowed, "request %d", i)
		assert.Equal(t, 5, d.Limit)
		assert.Equal(t, 4-i, d.Remaining)
	}
	d, err := m.Allow(ctx, "1.2.3.4", ratelimit.TierUnauthenticated)
	require.NoError(t, err)
	require.False(t, d.Allowed)
	assert.Equal(t, 0, d.Remaining)
	assert.Equal(t, 12*time.Second, d.RetryAfter) // 5 per minute: one token every 12 s
	assert.Equal(t, time.Minute, d.ResetAfter)
	require.Error(t, d.Err())

	clk.Advance(11 * time.Second)
	d, _ = m.Allow(ctx, "1.2.3.4", ratelimit.TierUnauthenticated)
	require.False(t, d.Allowed, "a refused request must not consume budget nor reset the wait")
	assert.Equal(t, time.Second, d.RetryAfter)

	clk.Advance(time.Second)
	d, _ = m.Allow(ctx, "1.2.3.4", ratelimit.TierUnauthenticated)
	require.True(t, d.Allowed)

	// Another key and another tier have their own buckets.
	d, _ = m.Allow(ctx, "5.6.7.8", ratelimit.TierUnauthenticated)
	require.True(t, d.Allowed)
	d, _ = m.Allow(ctx, "1.2.3.4", ratelimit.TierPoOT)
	require.True(t, d.Allowed)
}

func TestMemorySteadyClientNeverBlocked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newFakeClock()
	m := newMemory(t, clk, nil)
	// Exactly the limit (60/min = one per second) for ten windows, after an initial burst.
	for range 60 {
		d, _ := m.Allow(ctx, "worker:n1", ratelimit.TierAuthenticated)
		require.True(t, d.Allowed)
	}
	for i := range 600 {
		clk.Advance(time.Second)
		d, err := m.Allow(ctx, "worker:n1", ratelimit.TierAuthenticated)
		require.NoError(t, err)
		require.True(t, d.Allowed, "request %d of a client at exactly the limit", i)
	}
}

func TestMemoryBurstFraction(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	m := newMemory(t, clk, func(c *ratelimit.MemoryConfig) { c.BurstFraction = 0.2 })
	allowed := 0
	for range 100 {
		if d, _ := m.Allow(context.Background(), "k", ratelimit.TierAuthenticated); d.Allowed {
			allowed++
		}
	}
	assert.Equal(t, 12, allowed) // 20 % of 60
}

func TestMemoryUnlimitedAndUnknownTier(t *testing.T) {
	t.Parallel()
	m := newMemory(t, newFakeClock(), nil)
	for range 1000 {
		d, err := m.Allow(context.Background(), "k", ratelimit.TierPayout)
		require.NoError(t, err)
		require.True(t, d.Allowed)
		require.Zero(t, d.Limit)
	}
	assert.Zero(t, m.Len(), "an unlimited tier keeps no state")
	_, err := m.Allow(context.Background(), "k", "bogus")
	require.Error(t, err)
}

func TestMemoryConfigRefusals(t *testing.T) {
	t.Parallel()
	for _, cfg := range []ratelimit.MemoryConfig{
		{BurstFraction: 1.5},
		{BurstFraction: -0.1},
		{Window: -time.Second},
	} {
		_, err := ratelimit.NewMemory(cfg)
		require.Error(t, err)
	}
}

func TestMemoryBoundedKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newFakeClock()
	m := newMemory(t, clk, func(c *ratelimit.MemoryConfig) { c.MaxKeys = 256; c.Shards = 16 })
	for i := range 10_000 {
		_, err := m.Allow(ctx, fmt.Sprintf("10.0.%d.%d", i/256, i%256), ratelimit.TierUnauthenticated)
		require.NoError(t, err)
	}
	assert.LessOrEqual(t, m.Len(), 256)

	// Once every bucket has refilled, a sweep drops them all.
	clk.Advance(time.Minute)
	m.Sweep()
	assert.Zero(t, m.Len())
}

func TestMemorySweepKeepsBusyBuckets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newFakeClock()
	m := newMemory(t, clk, func(c *ratelimit.MemoryConfig) { c.SweepInterval = time.Second })
	for range 5 {
		_, _ = m.Allow(ctx, "busy", ratelimit.TierUnauthenticated)
	}
	_, _ = m.Allow(ctx, "idle", ratelimit.TierAuthenticated)
	clk.Advance(2 * time.Second)
	// The idle bucket refilled its single token (one per second); the busy one is still empty.
	assert.Equal(t, 1, m.Sweep())
	d, _ := m.Allow(ctx, "busy", ratelimit.TierUnauthenticated)
	require.False(t, d.Allowed, "sweeping must not forgive a client that is still over its budget")
}

func TestMemoryConcurrentExact(t *testing.T) {
	t.Parallel()
	m := newMemory(t, newFakeClock(), nil) // the clock does not move: exactly the burst passes
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for range 50 {
				d, err := m.Allow(context.Background(), "shared", ratelimit.TierAdmin)
				if err == nil && d.Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int64(600), allowed.Load())
}

func TestDecisionHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		d    ratelimit.Decision
		want map[string]string
	}{
		{"allowed", ratelimit.Decision{Allowed: true, Limit: 100, Remaining: 7, ResetAfter: 1500 * time.Millisecond},
			map[string]string{"X-Ratelimit-Limit": "100", "X-Ratelimit-Remaining": "7", "X-Ratelimit-Reset": "2", "Retry-After": ""}},
		{"refused", ratelimit.Decision{Limit: 50, RetryAfter: 200 * time.Millisecond, ResetAfter: time.Minute},
			map[string]string{"X-Ratelimit-Limit": "50", "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": "60", "Retry-After": "1"}},
		{"unlimited", ratelimit.Decision{Allowed: true},
			map[string]string{"X-Ratelimit-Limit": "", "Retry-After": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			tc.d.SetHeaders(h)
			for k, v := range tc.want {
				assert.Equal(t, v, h.Get(k), k)
			}
		})
	}
	err := ratelimit.Decision{Limit: 50, RetryAfter: 2500 * time.Millisecond}.Err()
	var le interface{ LucidCode() string }
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "LUCID_ERR_4291", le.LucidCode())
	assert.Contains(t, err.Error(), "3 s")
	require.NoError(t, ratelimit.Decision{Allowed: true}.Err())
}
