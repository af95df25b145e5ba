package storagetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

// BenchPools are the pools Seed spreads nodes over.
var BenchPools = []string{"pool_bench_a", "pool_bench_b", "pool_bench_c", "pool_bench_d"}

// Seed fills an empty store with n fully populated nodes over four pools, a fifth of them
// active, for benchmarks. It returns the node ids in creation order.
func Seed(tb testing.TB, s nodemgmt.Store, n int) []string {
	tb.Helper()
	for i, id := range BenchPools {
		if err := s.CreatePool(ctx, SimplePool(id, fmt.Sprintf("bench-%d", i), 1000+n, Base)); err != nil {
			tb.Fatal(err)
		}
	}
	statuses := []nodemgmt.Status{nodemgmt.StatusActive, nodemgmt.StatusInactive, nodemgmt.StatusInactive,
		nodemgmt.StatusMaintenance, nodemgmt.StatusError}
	out := make([]string, n)
	for i := range n {
		nd := FullNode(fmt.Sprintf("node_bench_%06d", i), fmt.Sprintf("bench-%06d", i), BenchPools[i%len(BenchPools)],
			Base.Add(time.Duration(i)*time.Millisecond))
		nd.Status = statuses[i%len(statuses)]
		if err := s.CreateNode(ctx, nd); err != nil {
			tb.Fatal(err)
		}
		out[i] = nd.NodeID
	}
	return out
}
