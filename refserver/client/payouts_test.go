package client

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/refserver/auth"
)

// tronAddress returns a valid TRON address whose 20 payload bytes are all b.
func tronAddress(t *testing.T, b byte) string {
	t.Helper()
	raw := make([]byte, 21)
	raw[0] = payout.TronAddressVersion
	for i := 1; i < len(raw); i++ {
		raw[i] = b
	}
	a, err := payout.TronAddressFromBytes(raw)
	require.NoError(t, err)
	return a
}

func TestPayouts(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	admin := e.client(t)
	ctx := context.Background()
	a, err := admin.Nodes.Create(ctx, nodeReq("payee-a"))
	require.NoError(t, err)
	b, err := admin.Nodes.Create(ctx, nodeReq("payee-b"))
	require.NoError(t, err)
	addrA, addrB := tronAddress(t, 0x11), tronAddress(t, 0x22)

	req := payout.BatchRequest{
		BatchID: "batch_client_test_1",
		Payouts: []payout.PayoutRequest{
			{NodeID: a.NodeID, Amount: "12.5", Currency: payout.USDT, WalletAddress: addrA},
			{NodeID: b.NodeID, Amount: "0.000001", WalletAddress: addrB, Priority: payout.Priority("high")},
		},
		Priority: payout.Priority("normal"),
	}
	res, err := admin.Payouts.SubmitBatch(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, "batch_client_test_1", res.BatchID)
	assert.Equal(t, 2, res.PayoutCount)
	assert.Equal(t, "12.500001", res.Totals[payout.USDT])
	assert.False(t, res.Idempotent)

	again, err := admin.Payouts.SubmitBatch(ctx, req)
	require.NoError(t, err)
	assert.True(t, again.Idempotent, "same batch, same content")

	changed := req
	changed.Payouts = []payout.PayoutRequest{req.Payouts[0]}
	_, err = admin.Payouts.SubmitBatch(ctx, changed)
	assert.Equal(t, CodeConflict, CodeOf(err), "%v", err)

	bad := payout.BatchRequest{BatchID: "batch_client_test_2", Payouts: []payout.PayoutRequest{
		{NodeID: a.NodeID, Amount: "1.0000001", WalletAddress: addrA}}}
	_, err = admin.Payouts.SubmitBatch(ctx, bad)
	assert.True(t, IsValidation(err), "7 decimals of USDT: %v", err)

	st, err := admin.Payouts.Batch(ctx, res.BatchID)
	require.NoError(t, err)
	assert.Equal(t, res.BatchID, st.BatchID)
	_, err = admin.Payouts.Batch(ctx, "batch_unknown")
	assert.True(t, IsNotFound(err), "%v", err)

	np, err := admin.Payouts.NodePayouts(ctx, a.NodeID, PayoutListOptions{})
	require.NoError(t, err)
	require.Len(t, np.Payouts, 1)
	assert.Equal(t, "12.5", np.Payouts[0].Amount)
	assert.Equal(t, addrA, np.Payouts[0].WalletAddress)
	assert.Equal(t, res.BatchID, np.Payouts[0].BatchID)

	h, err := admin.Payouts.History(ctx, PayoutListOptions{BatchID: res.BatchID, Currency: payout.USDT,
		Start: e.clock.Now().Add(-time.Hour), End: e.clock.Now().Add(time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, 2, h.Pagination.Total)
	k := 0
	for p, err := range admin.Payouts.AllHistory(ctx, PayoutListOptions{ListOptions: ListOptions{Limit: 1}}) {
		require.NoError(t, err)
		assert.Equal(t, res.BatchID, p.BatchID)
		k++
	}
	assert.Equal(t, 2, k)
	_, err = admin.Payouts.History(ctx, PayoutListOptions{Status: payout.Status("lost")})
	assert.True(t, IsValidation(err), "%v", err)

	sc, err := admin.Payouts.Schedule(ctx)
	require.NoError(t, err)
	enabled := !sc.Enabled
	set, err := admin.Payouts.SetSchedule(ctx, payout.ScheduleRequest{Enabled: &enabled, Interval: "6h", RewardPool: "1000", Currency: payout.USDT})
	require.NoError(t, err)
	assert.Equal(t, enabled, set.Enabled)
	assert.Equal(t, int64(6*3600), set.IntervalSeconds)
	assert.Equal(t, "1000", set.RewardPool)
	got, err := admin.Payouts.Schedule(ctx)
	require.NoError(t, err)
	assert.Equal(t, set.IntervalSeconds, got.IntervalSeconds)

	_, err = admin.Payouts.Wallet(ctx, a.NodeID, "")
	assert.True(t, IsNotFound(err), "no wallet yet: %v", err)
	w, err := admin.Payouts.SetWallet(ctx, a.NodeID, WalletRequest{WalletAddress: addrA})
	require.NoError(t, err)
	assert.Equal(t, payout.USDT, w.Currency)
	worker := e.client(t, WithToken(e.token(t, auth.RoleWorker, a.NodeID)))
	own, err := admin.Payouts.Wallet(ctx, a.NodeID, payout.USDT)
	require.NoError(t, err)
	assert.Equal(t, addrA, own.WalletAddress)
	// Payout data is for operators: worker tokens lack payout:read, even for their own node.
	_, err = worker.Payouts.Wallet(ctx, a.NodeID, payout.USDT)
	assert.True(t, IsForbidden(err), "%v", err)
	_, err = worker.Payouts.NodePayouts(ctx, a.NodeID, PayoutListOptions{})
	assert.True(t, IsForbidden(err), "%v", err)
	_, err = worker.Payouts.SetWallet(ctx, a.NodeID, WalletRequest{WalletAddress: addrB})
	assert.True(t, IsForbidden(err), "%v", err)
	_, err = worker.Payouts.NodePayouts(ctx, b.NodeID, PayoutListOptions{})
	assert.True(t, IsForbidden(err), "%v", err)
	_, err = admin.Payouts.SetWallet(ctx, a.NodeID, WalletRequest{Currency: payout.LUCID, WalletAddress: addrA})
	assert.True(t, IsValidation(err), "a TRON address is not a LUCID address: %v", err)

	// Without Serve the chain is not open: the reconciliation says so.
	_, err = admin.Payouts.Audit(ctx)
	assert.Equal(t, CodeServiceUnavailable, CodeOf(err), "%v", err)
}
