package tron_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/payout/memstore"
	"github.com/hamigames/lucid-node-management/payout/payouttest"
	"github.com/hamigames/lucid-node-management/payout/tron"
	"github.com/hamigames/lucid-node-management/payout/tron/trontest"
)

// TestRunOverSimulator drives the pipelined Run through the real client against a simulator
// that seals a block every 5 ms and drops, fails, delays or loses broadcasts, with a
// confirmation depth of 3, so payouts whose transaction is in a block wait for the depth by
// head number (Client.Head). Every payout must complete, paid exactly once.
func TestRunOverSimulator(t *testing.T) {
	t.Parallel()
	srv, err := trontest.NewServer(trontest.WithBlockInterval(5*time.Millisecond), trontest.WithExpiration(200*time.Millisecond), trontest.WithSeed(3))
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	srv.SetFaultRates(trontest.FaultRates{Drop: 0.1, Error: 0.1, LoseResponse: 0.1, Delay: 0.1, DelayBlocks: 2})
	payer := trontest.NewAccount("run-payer")
	require.NoError(t, srv.Mint(payer.Address, 1<<50))
	cl, err := tron.NewClient(tron.Config{Endpoint: srv.Addr(), Contract: srv.Contract(), PrivateKeyHex: payer.PrivateKeyHex, Confirmations: 3, Timeout: 5 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = cl.Close() })

	ctx := context.Background()
	st := memstore.New()
	svc, err := payout.NewService(payout.ServiceConfig{Store: st, Clock: time.Now})
	require.NoError(t, err)
	const n = 40
	req := payout.BatchRequest{BatchID: "batch_run_sim"}
	for i := range n {
		req.Payouts = append(req.Payouts, payout.PayoutRequest{NodeID: fmt.Sprintf("node-%d", i), Amount: "1.5",
			WalletAddress: payouttest.TronAddress(fmt.Sprintf("run-sim-%d", i))})
	}
	_, err = svc.SubmitBatch(ctx, req)
	require.NoError(t, err)

	// Every move to confirmed must happen with the transaction at the depth.
	var early atomic.Int64
	obs := payout.ObserverFunc(func(e payout.Event) {
		if e.To == payout.StageConfirmed && e.From != payout.StageConfirmed {
			if head, _ := srv.Head(); head-e.Payout.BlockNumber+1 < 3 {
				early.Add(1)
			}
		}
	})
	p, err := payout.NewProcessor(payout.ProcessorConfig{Store: st, Chain: cl, Clock: time.Now, Concurrency: 8, Observer: obs,
		PollInterval: 2 * time.Millisecond, BackoffMin: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond, MaxTxAttempts: 100})
	require.NoError(t, err)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	require.Eventually(t, func() bool {
		act, err := st.ListActive(ctx, "", 1)
		require.NoError(t, err)
		return len(act) == 0
	}, 20*time.Second, 10*time.Millisecond)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)

	rep, err := payout.Audit(ctx, st, cl, srv.Lister(payer.Address))
	require.NoError(t, err)
	assert.Empty(t, rep.Violations)
	assert.Equal(t, n, rep.Completed)
	assert.Len(t, srv.Paid(), n)
	assert.Zero(t, early.Load(), "payouts confirmed before their transaction had 3 confirmations")
}
