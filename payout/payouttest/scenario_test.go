package payouttest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/payout/payouttest"
)

var genesis = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// raceEnabled is set under -race, where the many-seed test runs fewer seeds to stay quick.
var raceEnabled bool

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
	if testing.Short() || raceEnabled {
		seeds = 80
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

// TestTwoReplicasShareOneStore runs two processors at once over one store and chain, with
// chain faults; compare-and-set transitions must keep every payout paid exactly once.
func TestTwoReplicasShareOneStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for seed := range uint64(10) {
		h, chain := payouttest.FakeHarness(genesis)
		store := payouttest.NewMemStore()
		var mu sync.Mutex
		now := genesis
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		svc, err := payout.NewService(payout.ServiceConfig{Store: store, Clock: clock})
		require.NoError(t, err)
		req := payout.BatchRequest{BatchID: fmt.Sprintf("batch_r%d", seed)}
		for i := range 30 {
			req.Payouts = append(req.Payouts, payout.PayoutRequest{NodeID: fmt.Sprint("n", i), Amount: "2.5", WalletAddress: payouttest.TronAddress(fmt.Sprint(seed, "-", i))})
		}
		_, err = svc.SubmitBatch(ctx, req)
		require.NoError(t, err)
		rng := rand.New(rand.NewPCG(seed, 1))
		var fmu sync.Mutex
		chain.SetFaults(func(op payouttest.Op, n int) payouttest.Fault {
			fmu.Lock()
			defer fmu.Unlock()
			if rng.IntN(100) < 15 {
				if op == payouttest.OpBroadcast {
					return []payouttest.Fault{payouttest.FaultLoseResponse, payouttest.FaultDropBroadcast, payouttest.FaultError}[rng.IntN(3)]
				}
				return payouttest.FaultError
			}
			return payouttest.FaultNone
		})
		var procs []*payout.Processor
		for range 2 {
			p, err := payout.NewProcessor(payout.ProcessorConfig{Store: store, Chain: chain, Clock: clock, Concurrency: 4, BackoffMin: time.Second, BackoffMax: 2 * time.Second, MaxTxAttempts: 1000})
			require.NoError(t, err)
			require.NoError(t, p.Recover(ctx))
			procs = append(procs, p)
		}
		for round := range 60 {
			if round == 30 {
				chain.SetFaults(nil)
			}
			var wg sync.WaitGroup
			for _, p := range procs {
				wg.Add(1)
				go func() { defer wg.Done(); _ = p.ProcessOnce(ctx) }()
			}
			wg.Wait()
			chain.Mine()
			mu.Lock()
			now = now.Add(time.Second)
			mu.Unlock()
		}
		rep, err := payout.Audit(ctx, store, h.Chain, h.Lister)
		require.NoError(t, err)
		require.True(t, rep.OK(), "seed %d: %+v", seed, rep.Violations)
		require.Equal(t, 30, rep.Completed, "seed %d", seed)
	}
}
