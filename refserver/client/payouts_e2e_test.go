package client

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/refserver"
	"github.com/hamigames/lucid-node-management/refserver/auth"
	"github.com/hamigames/lucid-node-management/storage"
)

// TestPayoutsPaidOnSimulator runs the whole payout path through the client against a serving
// server whose chain is the built-in TRON simulator (fast blocks): submit, poll the batch until
// it finishes, read the transaction hashes, walk the history and reconcile with the chain.
func TestPayoutsPaidOnSimulator(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := storage.Open(ctx, "memory:", storage.Options{})
	require.NoError(t, err)
	cfg := refserver.DefaultConfig()
	cfg.JWTSecret = testSecret
	cfg.RateLimits = refserver.RateLimits{}
	cfg.DataDir = t.TempDir()
	cfg.Payout.SimBlockInterval = 40 * time.Millisecond
	cfg.Payout.TronConfirmations = 2
	cfg.Payout.PollInterval = 30 * time.Millisecond
	srv, err := refserver.New(cfg, refserver.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return")
		}
		_ = st.Close()
	})
	tok, err := srv.Authority().Issue(auth.RoleAdmin, "", time.Hour)
	require.NoError(t, err)
	c, err := New("http://"+ln.Addr().String(), WithToken(tok), WithRetry(RetryPolicy{MaxAttempts: 20, BaseDelay: 20 * time.Millisecond, MaxDelay: time.Second}))
	require.NoError(t, err)

	// Ready answers 503 (with its report) until the server takes traffic.
	require.Eventually(t, func() bool {
		rep, err := c.Ready(ctx)
		return err == nil && rep.Healthy()
	}, 10*time.Second, 20*time.Millisecond)

	req := payout.BatchRequest{BatchID: "batch_client_e2e"}
	for i := range 3 {
		n, err := c.Nodes.Create(ctx, nodeReq("paid-"+string(rune('a'+i))))
		require.NoError(t, err)
		req.Payouts = append(req.Payouts, payout.PayoutRequest{NodeID: n.NodeID, Amount: payout.Decimal("1.00000" + string(rune('1'+i))),
			WalletAddress: tronAddress(t, byte(0x30+i))})
	}
	acc, err := c.Payouts.SubmitBatch(ctx, req)
	require.NoError(t, err)
	assert.Contains(t, []payout.BatchStatus{payout.BatchProcessing, payout.BatchQueued}, acc.Status)

	var b *payout.BatchResponse
	require.Eventually(t, func() bool {
		b, err = c.Payouts.Batch(ctx, acc.BatchID)
		require.NoError(t, err)
		return b.Status.Finished()
	}, 20*time.Second, 50*time.Millisecond)
	require.Equal(t, payout.BatchCompleted, b.Status)
	require.Len(t, b.Payouts, 3)
	for _, p := range b.Payouts {
		assert.Equal(t, payout.StatusCompleted, p.Status)
		assert.NotEmpty(t, p.TransactionHash)
		assert.NotNil(t, p.CompletedAt)
	}

	k := 0
	for p, err := range c.Payouts.AllHistory(ctx, PayoutListOptions{ListOptions: ListOptions{Limit: 2}, Status: payout.StatusCompleted}) {
		require.NoError(t, err)
		assert.Equal(t, acc.BatchID, p.BatchID)
		k++
	}
	assert.Equal(t, 3, k)

	var rep *payout.AuditReport
	require.Eventually(t, func() bool { // the reconciliation answers 503 until the chain is open
		rep, err = c.Payouts.Audit(ctx)
		return err == nil
	}, 10*time.Second, 50*time.Millisecond)
	assert.Empty(t, rep.Violations)
	assert.Equal(t, 3, rep.Completed)
}
