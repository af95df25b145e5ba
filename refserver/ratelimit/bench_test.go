package ratelimit_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hamigames/lucid-node-management/refserver/ratelimit"
)

// noop is the baseline: the cost of calling a Limiter through the interface and nothing else.
type noop struct{}

func (noop) Allow(context.Context, string, ratelimit.Tier) (ratelimit.Decision, error) {
	return ratelimit.Decision{Allowed: true, Limit: 1, Remaining: 1}, nil
}

// benchKeys are prebuilt so the benchmark measures the limiter, not key formatting.
func benchKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "10." + strconv.Itoa(i>>16&255) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255)
	}
	return keys
}

func runParallel(b *testing.B, l ratelimit.Limiter, keys []string, tier ratelimit.Tier) {
	var next atomic.Uint64
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(7919) // each goroutine starts elsewhere in the key space
		for pb.Next() {
			i++
			if _, err := l.Allow(ctx, keys[i%uint64(len(keys))], tier); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkAllow compares the in-process limiter with a no-op limiter, in parallel, for one
// hot key, 10 000 keys and 1 000 000 keys (beyond the default cap of 100 000: eviction path).
func BenchmarkAllow(b *testing.B) {
	big := ratelimit.Tiers{Unauthenticated: 1_000_000, Authenticated: 1_000_000, Admin: 1_000_000, PoOT: 1_000_000, Payout: 1_000_000}
	newM := func(b *testing.B) *ratelimit.Memory {
		m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Tiers: big, Now: time.Now})
		if err != nil {
			b.Fatal(err)
		}
		return m
	}
	for _, n := range []int{1, 10_000, 1_000_000} {
		keys := benchKeys(n)
		name := "keys=" + strconv.Itoa(n)
		b.Run("Noop/"+name, func(b *testing.B) { runParallel(b, noop{}, keys, ratelimit.TierAuthenticated) })
		b.Run("Memory/"+name, func(b *testing.B) {
			m := newM(b)
			runParallel(b, m, keys, ratelimit.TierAuthenticated)
			b.ReportMetric(float64(m.Len()), "buckets")
		})
	}
}

// BenchmarkRedisAllow measures the sliding-window script against a real Redis, in parallel over
// 1 000 keys (needs LUCID_TEST_REDIS_URL).
func BenchmarkRedisAllow(b *testing.B) {
	c := testRedis(b)
	r := newRedis(b, c, testPrefix(b, c), time.Minute, ratelimit.Tiers{Authenticated: 1_000_000}, nil)
	runParallel(b, r, benchKeys(1000), ratelimit.TierAuthenticated)
}
