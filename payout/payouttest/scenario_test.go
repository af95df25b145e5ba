package payouttest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/payout/payouttest"
)

var genesis = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestScenarioCleanRun(t *testing.T) {
	t.Parallel()
	h, _ := payouttest.FakeHarness(genesis)
	res, err := payouttest.RunScenario(context.Background(), payouttest.ScenarioConfig{Harness: h, Seed: 1, FaultPercent: -1, CrashPercent: -1})
	require.NoError(t, err)
	require.Equal(t, 5, res.Completed)
	require.Equal(t, 5, res.Txs)
	require.Zero(t, res.Crashes)
}

// TestCrashAtEveryCall kills the first processor life at each store/chain call in turn, both
// before the call and after it took effect with the answer lost, then lets later lives finish.
func TestCrashAtEveryCall(t *testing.T) {
	t.Parallel()
	h, _ := payouttest.FakeHarness(genesis)
	clean, err := payouttest.RunScenario(context.Background(), payouttest.ScenarioConfig{Harness: h, Seed: 7, Payouts: 2, FaultPercent: -1, CrashPercent: -1})
	require.NoError(t, err)
	require.Greater(t, clean.Calls, 10)
	for at := 1; at <= clean.Calls; at++ {
		for _, after := range []bool{false, true} {
			h, _ := payouttest.FakeHarness(genesis)
			res, err := payouttest.RunScenario(context.Background(), payouttest.ScenarioConfig{
				Harness: h, Seed: 7, Payouts: 2, FaultPercent: -1, CrashPercent: -1, FirstCrashAt: at, FirstCrashAfter: after,
			})
			require.NoError(t, err, "crash at call %d (after=%v)", at, after)
			require.Equal(t, 1, res.Crashes)
		}
	}
}

// TestCrashAndFaultsManySeeds runs random chain faults and random crashes over many seeds.
func TestCrashAndFaultsManySeeds(t *testing.T) {
	t.Parallel()
	seeds := 300
	if testing.Short() {
		seeds = 50
	}
	crashes := 0
	for seed := range uint64(seeds) {
		conc := 1
		if seed%3 == 0 {
			conc = 4
		}
		h, _ := payouttest.FakeHarness(genesis)
		res, err := payouttest.RunScenario(context.Background(), payouttest.ScenarioConfig{Harness: h, Seed: seed, Payouts: 4, Concurrency: conc, Confirmations: int64(seed % 4)})
		require.NoError(t, err, fmt.Sprintf("seed %d: %+v", seed, res))
		crashes += res.Crashes
	}
	require.Greater(t, crashes, seeds, "the scenarios must actually crash")
}
