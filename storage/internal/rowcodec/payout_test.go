package rowcodec

import (
	"testing"

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
