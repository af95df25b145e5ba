package ratelimit_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/hamigames/lucid-node-management/refserver/ratelimit"
)

func ExampleMemory() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lim, err := ratelimit.NewMemory(ratelimit.MemoryConfig{
		Tiers: ratelimit.Tiers{Unauthenticated: 2, Authenticated: 1000, Admin: 10000, PoOT: 100, Payout: 50},
		Now:   func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	for range 3 {
		d, _ := lim.Allow(context.Background(), "203.0.113.9", ratelimit.TierUnauthenticated)
		h := http.Header{}
		d.SetHeaders(h)
		fmt.Printf("allowed=%v remaining=%s retry-after=%q\n", d.Allowed, h.Get("X-RateLimit-Remaining"), h.Get("Retry-After"))
	}
	// Output:
	// allowed=true remaining=1 retry-after=""
	// allowed=true remaining=0 retry-after=""
	// allowed=false remaining=0 retry-after="30"
}
