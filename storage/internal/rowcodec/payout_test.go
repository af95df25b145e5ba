package rowcodec

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/payout"
)

func TestPayoutAddressBoundToRow(t *testing.T) {
	t.Parallel()
	s := testSealer(t)
	sealed := SealPayoutAddress(s, &payout.Payout{PayoutID: "po_1", WalletAddress: "TAddr"})
	got := payout.Payout{PayoutID: "po_1"}
	require.NoError(t, OpenPayout(s, &got, 150, string(payout.USDT), sealed))
	assert.Equal(t, "TAddr", got.WalletAddress)
	assert.Equal(t, int64(150), got.Amount.Minor())
	other := payout.Payout{PayoutID: "po_2"}
	assert.ErrorContains(t, OpenPayout(s, &other, 150, string(payout.USDT), sealed), "wallet_address")
	assert.ErrorContains(t, OpenPayout(s, &got, 150, "XYZ", sealed), "amount")
}

func TestOpenTx(t *testing.T) {
	t.Parallel()
	s := testSealer(t)
	tests := []struct {
		name     string
		currency string
		wantErr  string
		wantZero bool
	}{
		{name: "with amount", currency: string(payout.LUCID)},
		{name: "no amount keeps zero", currency: "", wantZero: true},
		{name: "unknown currency", currency: "XYZ", wantErr: "amount"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			to := SealTxAddress(s, &payout.TxRecord{TxID: "tx_1", To: "TTo"})
			got := payout.TxRecord{TxID: "tx_1"}
			err := OpenTx(s, &got, to, 7, tc.currency)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "TTo", got.To)
			assert.Equal(t, tc.wantZero, got.Amount == payout.Amount{})
		})
	}
}

func TestWalletBoundToCurrency(t *testing.T) {
	t.Parallel()
	s := testSealer(t)
	sealed := SealWalletAddress(s, &payout.Wallet{NodeID: "node_a", Currency: payout.USDT, Address: "TW"})
	w := payout.Wallet{NodeID: "node_a", Currency: payout.USDT}
	require.NoError(t, OpenWallet(s, &w, sealed))
	assert.Equal(t, "TW", w.Address)
	other := payout.Wallet{NodeID: "node_a", Currency: payout.LUCID}
	assert.Error(t, OpenWallet(s, &other, sealed))
}

func TestTotalsRoundTrip(t *testing.T) {
	t.Parallel()
	b := payout.Batch{BatchID: "b_1"}
	enc, err := EncodeTotals(&b)
	require.NoError(t, err)
	var got payout.Batch
	require.NoError(t, DecodeTotals(&got, enc))
	assert.Equal(t, b.Totals, got.Totals)
	assert.ErrorContains(t, DecodeTotals(&payout.Batch{BatchID: "b_2"}, []byte("{")), "batch b_2")
}

func TestPayoutConds(t *testing.T) {
	t.Parallel()
	from, to := time.Unix(100, 0), time.Unix(200, 0)
	at := func(t time.Time) any { return t.Unix() }
	assert.Empty(t, PayoutConds(payout.PayoutFilter{}, at))
	got := PayoutConds(payout.PayoutFilter{NodeID: "n", BatchID: "b", EpochID: "e", Status: payout.StatusPending,
		Currency: payout.USDT, From: &from, To: &to}, at)
	assert.Equal(t, []Cond{{"node_id = ", "n"}, {"batch_id = ", "b"}, {"epoch_id = ", "e"}, {"status = ", "pending"},
		{"currency = ", "USDT"}, {"created_at >= ", int64(100)}, {"created_at < ", int64(200)}}, got)
}

func TestPayoutPage(t *testing.T) {
	t.Parallel()
	for in, want := range map[int]int{0: 1000, -1: 1000, 1001: 1000, 1000: 1000, 5: 5} {
		assert.Equal(t, want, PayoutPageLimit(in), in)
	}
	ps := []payout.Payout{{PayoutID: "a"}, {PayoutID: "b"}, {PayoutID: "c"}}
	page, next := TrimPayoutPage(ps, 3)
	assert.Len(t, page, 3)
	assert.Empty(t, next, "no extra row: last page")
	page, next = TrimPayoutPage(ps, 2)
	assert.Len(t, page, 2)
	assert.Equal(t, payout.EncodeCursor(ps[1]), next)
}
