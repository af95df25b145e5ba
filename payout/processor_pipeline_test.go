package payout_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/payout/payouttest"
)

// TestRunPipelineExactlyOnce runs the pipelined Run (not ProcessOnce passes) through lives
// that crash at a random store or chain call while the chain fails, drops, delays and loses
// answers at random and blocks keep coming; then one calm life finishes the work. The audit
// must find every payout paid exactly once.
func TestRunPipelineExactlyOnce(t *testing.T) {
	t.Parallel()
	seeds := 6
	if testing.Short() {
		seeds = 2
	}
	for seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			const n = 24
			e.submit(t, oneBatch(fmt.Sprintf("batch_pipe%d", seed), n))
			rng := rand.New(rand.NewPCG(uint64(seed), 7))
			var rmu sync.Mutex
			faults := []payouttest.Fault{payouttest.FaultError, payouttest.FaultDropBroadcast, payouttest.FaultDelayInclusion, payouttest.FaultLoseResponse}
			e.chain.SetFaults(func(op payouttest.Op, _ int) payouttest.Fault {
				rmu.Lock()
				defer rmu.Unlock()
				if rng.IntN(100) >= 20 {
					return payouttest.FaultNone
				}
				if op != payouttest.OpBroadcast {
					return payouttest.FaultError
				}
				return faults[rng.IntN(len(faults))]
			})

			// life runs Run until ctx ends, mining a block and moving the clock every 2 ms.
			life := func(cp *payouttest.CrashPoint, d time.Duration) {
				p := e.proc(t, payout.ProcessorConfig{
					Store: payouttest.CrashStore{S: e.st, C: cp}, Chain: payouttest.CrashChain{Chain: e.chain, C: cp},
					Concurrency: 4, PollInterval: time.Millisecond, BackoffMin: time.Millisecond, BackoffMax: 4 * time.Millisecond,
					MaxTxAttempts: 1000,
				})
				ctx, cancel := context.WithTimeout(e.ctx, d)
				defer cancel()
				done := make(chan struct{})
				go func() { defer close(done); _ = p.Run(ctx) }()
				tk := time.NewTicker(2 * time.Millisecond)
				defer tk.Stop()
				for {
					select {
					case <-done:
						return
					case <-tk.C:
						e.chain.Mine()
						e.clk.Add(time.Second)
					}
				}
			}
			crashes := 0
			for range 6 {
				rmu.Lock()
				cp := &payouttest.CrashPoint{At: 1 + rng.IntN(300), After: rng.IntN(2) == 0}
				rmu.Unlock()
				life(cp, 60*time.Millisecond)
				if cp.Crashed() {
					crashes++
				}
			}
			require.Positive(t, crashes, "the lives must actually crash")
			e.chain.SetFaults(nil)
			require.Eventually(t, func() bool {
				life(&payouttest.CrashPoint{}, 50*time.Millisecond)
				act, err := e.st.ListActive(e.ctx, "", 1)
				require.NoError(t, err)
				return len(act) == 0
			}, 10*time.Second, time.Millisecond)
			for range 5 {
				e.chain.Mine()
			}
			rep, err := payout.Audit(e.ctx, e.st, e.chain, e.chain)
			require.NoError(t, err)
			assert.Empty(t, rep.Violations)
			assert.Equal(t, n, rep.Completed)
			paid, err := e.chain.ListTransfers(e.ctx)
			require.NoError(t, err)
			succeeded := 0
			for _, tr := range paid {
				if tr.Success {
					succeeded++
				}
			}
			assert.Equal(t, n, succeeded, "one successful transfer per payout")
		})
	}
}
