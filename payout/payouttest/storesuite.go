package payouttest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/payout"
)

// TestStore is the conformance suite of payout.Store: every backend (and MemStore) must pass
// it. newStore returns an empty store for each subtest.
func TestStore(t *testing.T, newStore func(t *testing.T) payout.Store) {
	ctx := context.Background()
	base := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	mk := func(batch string, i int, at time.Time) payout.Payout {
		amt, _ := payout.NewAmount(int64(1_000_000+i), payout.USDT)
		return payout.Payout{
			PayoutID: fmt.Sprintf("payout_%s_%d", batch, i), NodeID: fmt.Sprintf("node-%d", i%3), Amount: amt,
			WalletAddress: TronAddress(fmt.Sprint(batch, i)), Stage: payout.StagePending, Priority: payout.PriorityNormal,
			BatchID: "batch_" + batch, CreatedAt: at, UpdatedAt: at,
		}
	}
	batch := func(id string, n int, at time.Time) (payout.Batch, []payout.Payout) {
		b := payout.Batch{BatchID: "batch_" + id, Status: payout.BatchProcessing, Priority: payout.PriorityNormal,
			PayoutCount: n, Totals: map[payout.Currency]string{payout.USDT: "1"}, ContentHash: "h-" + id, CreatedAt: at,
			NotificationURL: "https://example.com/h"}
		var ps []payout.Payout
		for i := range n {
			ps = append(ps, mk(id, i, at.Add(time.Duration(i)*time.Millisecond)))
		}
		return b, ps
	}

	t.Run("batch create is atomic and conflicts", func(t *testing.T) {
		s := newStore(t)
		b, ps := batch("a", 3, base)
		require.NoError(t, s.CreateBatch(ctx, b, ps))
		got, err := s.GetBatch(ctx, "batch_a")
		require.NoError(t, err)
		assert.Equal(t, "h-a", got.ContentHash)
		assert.Equal(t, int64(1), got.Version)
		assert.Equal(t, "1", got.Totals[payout.USDT])
		require.ErrorIs(t, s.CreateBatch(ctx, b, ps), payout.ErrConflict)
		// A new batch reusing one payout id stores nothing.
		b2, ps2 := batch("b", 2, base)
		ps2[1].PayoutID = ps[0].PayoutID
		require.ErrorIs(t, s.CreateBatch(ctx, b2, ps2), payout.ErrConflict)
		_, err = s.GetBatch(ctx, "batch_b")
		require.ErrorIs(t, err, payout.ErrNotFound)
		_, err = s.GetPayout(ctx, ps2[0].PayoutID)
		require.ErrorIs(t, err, payout.ErrNotFound)
		p, err := s.GetPayout(ctx, ps[2].PayoutID)
		require.NoError(t, err)
		assert.Equal(t, ps[2].Amount, p.Amount)
		assert.Equal(t, ps[2].WalletAddress, p.WalletAddress)
		assert.Equal(t, int64(1), p.Version)
	})

	t.Run("batch update is compare-and-set; open batches", func(t *testing.T) {
		s := newStore(t)
		b, ps := batch("c", 1, base)
		require.NoError(t, s.CreateBatch(ctx, b, ps))
		open, err := s.ListOpenBatches(ctx, 3)
		require.NoError(t, err)
		require.Len(t, open, 1)
		nb := open[0]
		nb.Status = payout.BatchCompleted
		fin := base.Add(time.Hour)
		nb.FinishedAt = &fin
		saved, err := s.UpdateBatch(ctx, nb, 1)
		require.NoError(t, err)
		assert.Equal(t, int64(2), saved.Version)
		_, err = s.UpdateBatch(ctx, nb, 1)
		require.ErrorIs(t, err, payout.ErrConflict)
		open, _ = s.ListOpenBatches(ctx, 3)
		require.Len(t, open, 1, "finished but webhook not delivered")
		saved.NotifyAttempts = 3
		_, err = s.UpdateBatch(ctx, saved, 2)
		require.NoError(t, err)
		open, _ = s.ListOpenBatches(ctx, 3)
		require.Empty(t, open, "gave up after 3 attempts")
	})

	t.Run("payout update is atomic compare-and-set with tx and ledger", func(t *testing.T) {
		s := newStore(t)
		b, ps := batch("d", 1, base)
		require.NoError(t, s.CreateBatch(ctx, b, ps))
		p := ps[0]
		p.Stage, p.TransactionHash, p.TxAttempts = payout.StageSigned, "aa01", 1
		tx := payout.TxRecord{TxID: "aa01", PayoutID: p.PayoutID, Raw: []byte{1, 2, 3}, Expiration: base.Add(time.Minute), To: p.WalletAddress, Amount: p.Amount, CreatedAt: base}
		led := []payout.LedgerEntry{{NodeID: p.NodeID, Currency: payout.USDT, Kind: payout.LedgerOwed, Minor: 5, At: base}}
		got, err := s.UpdatePayout(ctx, payout.PayoutUpdate{Payout: p, ExpectVersion: 1, NewTx: &tx, Ledger: led})
		require.NoError(t, err)
		assert.Equal(t, int64(2), got.Version)
		// Stale version: nothing at all is applied.
		_, err = s.UpdatePayout(ctx, payout.PayoutUpdate{Payout: p, ExpectVersion: 1, NewTx: &payout.TxRecord{TxID: "aa02", PayoutID: p.PayoutID}, Ledger: led})
		require.ErrorIs(t, err, payout.ErrConflict)
		// Duplicate tx id: nothing applied either.
		_, err = s.UpdatePayout(ctx, payout.PayoutUpdate{Payout: p, ExpectVersion: 2, NewTx: &tx})
		require.ErrorIs(t, err, payout.ErrConflict)
		txs, err := s.ListTxs(ctx, p.PayoutID)
		require.NoError(t, err)
		require.Len(t, txs, 1)
		assert.Equal(t, []byte{1, 2, 3}, txs[0].Raw)
		assert.True(t, txs[0].Expiration.Equal(base.Add(time.Minute)))
		bals, err := s.LedgerBalances(ctx, payout.USDT)
		require.NoError(t, err)
		require.Len(t, bals, 1)
		assert.Equal(t, int64(5), bals[0].Owed)

		tx.Superseded, tx.State, tx.BroadcastError = true, payout.TxNotFound, "expired"
		p.Stage = payout.StagePending
		_, err = s.UpdatePayout(ctx, payout.PayoutUpdate{Payout: p, ExpectVersion: 2, TxUpdates: []payout.TxRecord{tx}})
		require.NoError(t, err)
		p.Stage, p.TransactionHash = payout.StageSigned, "aa02"
		_, err = s.UpdatePayout(ctx, payout.PayoutUpdate{Payout: p, ExpectVersion: 3, NewTx: &payout.TxRecord{TxID: "aa02", PayoutID: p.PayoutID, Raw: []byte{9}}})
		require.NoError(t, err)
		txs, _ = s.ListTxs(ctx, p.PayoutID)
		require.Len(t, txs, 2)
		assert.Equal(t, "aa01", txs[0].TxID, "oldest first")
		assert.True(t, txs[0].Superseded)
		assert.Equal(t, "expired", txs[0].BroadcastError)
		all, err := s.ListAllTxs(ctx, "aa01", 10)
		require.NoError(t, err)
		require.Len(t, all, 1)
		assert.Equal(t, "aa02", all[0].TxID)
		_, err = s.UpdatePayout(ctx, payout.PayoutUpdate{Payout: payout.Payout{PayoutID: "payout_none"}, ExpectVersion: 1})
		require.True(t, errors.Is(err, payout.ErrNotFound))
	})

	t.Run("listing: active, filters, order, paging, cursor", func(t *testing.T) {
		s := newStore(t)
		b1, ps1 := batch("e", 5, base)
		b2, ps2 := batch("f", 5, base.Add(time.Hour))
		require.NoError(t, s.CreateBatch(ctx, b1, ps1))
		require.NoError(t, s.CreateBatch(ctx, b2, ps2))
		done := ps1[0]
		done.Stage = payout.StageCompleted
		_, err := s.UpdatePayout(ctx, payout.PayoutUpdate{Payout: done, ExpectVersion: 1})
		require.NoError(t, err)
		act, err := s.ListActive(ctx, "", 4)
		require.NoError(t, err)
		require.Len(t, act, 4)
		assert.Equal(t, "payout_e_1", act[0].PayoutID, "ordered by id, terminal excluded")
		act, _ = s.ListActive(ctx, act[3].PayoutID, 100)
		assert.Len(t, act, 5)

		pg, err := s.ListPayouts(ctx, payout.PayoutFilter{Limit: 3})
		require.NoError(t, err)
		assert.Equal(t, 10, pg.Total)
		require.Len(t, pg.Payouts, 3)
		assert.Equal(t, "payout_f_4", pg.Payouts[0].PayoutID, "newest first")
		pg2, err := s.ListPayouts(ctx, payout.PayoutFilter{Limit: 3, Cursor: pg.NextCursor})
		require.NoError(t, err)
		assert.Equal(t, "payout_f_1", pg2.Payouts[0].PayoutID)
		pg3, _ := s.ListPayouts(ctx, payout.PayoutFilter{Limit: 3, Offset: 3})
		assert.Equal(t, pg2.Payouts[0].PayoutID, pg3.Payouts[0].PayoutID)

		for _, tc := range []struct {
			f    payout.PayoutFilter
			want int
		}{
			{payout.PayoutFilter{BatchID: "batch_e"}, 5},
			{payout.PayoutFilter{NodeID: "node-0"}, 4},
			{payout.PayoutFilter{Status: payout.StatusCompleted}, 1},
			{payout.PayoutFilter{Status: payout.StatusPending, BatchID: "batch_e"}, 4},
			{payout.PayoutFilter{Currency: payout.LUCID}, 0},
			{payout.PayoutFilter{From: ptr(base.Add(time.Minute))}, 5},
			{payout.PayoutFilter{To: ptr(base.Add(2 * time.Millisecond))}, 2},
		} {
			pg, err := s.ListPayouts(ctx, tc.f)
			require.NoError(t, err)
			assert.Equal(t, tc.want, pg.Total, "%+v", tc.f)
		}
	})

	t.Run("schedule is compare-and-set", func(t *testing.T) {
		s := newStore(t)
		_, err := s.GetSchedule(ctx)
		require.ErrorIs(t, err, payout.ErrNotFound)
		sc := payout.Schedule{Enabled: true, Interval: time.Hour, RewardPool: payout.MustAmount("10", payout.USDT), MinimumPayout: payout.MustAmount("1", payout.USDT), NextRunAt: base}
		saved, err := s.SetSchedule(ctx, sc, 0)
		require.NoError(t, err)
		assert.Equal(t, int64(1), saved.Version)
		_, err = s.SetSchedule(ctx, sc, 0)
		require.ErrorIs(t, err, payout.ErrConflict)
		got, err := s.GetSchedule(ctx)
		require.NoError(t, err)
		assert.Equal(t, sc.RewardPool, got.RewardPool)
		assert.Equal(t, time.Hour, got.Interval)
		assert.True(t, got.NextRunAt.Equal(base))
	})

	t.Run("epochs and ledger", func(t *testing.T) {
		s := newStore(t)
		amt := payout.MustAmount("2", payout.USDT)
		p := payout.Payout{PayoutID: "payout_epoch_1", NodeID: "n1", Amount: amt, WalletAddress: TronAddress("n1"), Stage: payout.StagePending, Priority: payout.PriorityNormal, EpochID: "epoch_1", CreatedAt: base}
		e := payout.EpochRecord{EpochID: "epoch_1", Currency: payout.USDT, Start: base, End: base.Add(time.Hour), Pool: 3_000_000, Distributed: 3_000_000,
			Shares: []payout.EpochShare{{NodeID: "n1", Score: 2, Minor: 2_000_000}, {NodeID: "n2", Score: 1, Minor: 1_000_000}}, PayoutIDs: []string{p.PayoutID}}
		led := []payout.LedgerEntry{
			{NodeID: "n1", Currency: payout.USDT, Kind: payout.LedgerOwed, Minor: 2_000_000, EpochID: "epoch_1"},
			{NodeID: "n2", Currency: payout.USDT, Kind: payout.LedgerOwed, Minor: 1_000_000, EpochID: "epoch_1"},
			{NodeID: "n1", Currency: payout.USDT, Kind: payout.LedgerPaid, Minor: 2_000_000, EpochID: "epoch_1", PayoutID: p.PayoutID},
		}
		require.NoError(t, s.CommitEpoch(ctx, e, led, []payout.Payout{p}))
		require.ErrorIs(t, s.CommitEpoch(ctx, e, led, nil), payout.ErrConflict)
		got, err := s.GetEpoch(ctx, "epoch_1")
		require.NoError(t, err)
		assert.Equal(t, e.Shares, got.Shares)
		assert.Equal(t, e.PayoutIDs, got.PayoutIDs)
		e2 := e
		e2.EpochID, e2.End, e2.PayoutIDs = "epoch_2", base.Add(2*time.Hour), nil
		require.NoError(t, s.CommitEpoch(ctx, e2, nil, nil))
		last, err := s.LatestEpoch(ctx, payout.USDT)
		require.NoError(t, err)
		assert.Equal(t, "epoch_2", last.EpochID)
		_, err = s.LatestEpoch(ctx, payout.LUCID)
		require.ErrorIs(t, err, payout.ErrNotFound)
		stored, err := s.GetPayout(ctx, p.PayoutID)
		require.NoError(t, err)
		assert.Equal(t, "epoch_1", stored.EpochID)
		// A reversal credits the node back.
		stored.Stage = payout.StageFailed
		_, err = s.UpdatePayout(ctx, payout.PayoutUpdate{Payout: stored, ExpectVersion: stored.Version,
			Ledger: []payout.LedgerEntry{{NodeID: "n1", Currency: payout.USDT, Kind: payout.LedgerReversal, Minor: 2_000_000, PayoutID: p.PayoutID}}})
		require.NoError(t, err)
		bals, err := s.LedgerBalances(ctx, payout.USDT)
		require.NoError(t, err)
		ent := map[string]int64{}
		for _, b := range bals {
			ent[b.NodeID] = b.Entitlement()
		}
		assert.Equal(t, map[string]int64{"n1": 2_000_000, "n2": 1_000_000}, ent)
	})
}

func ptr[T any](v T) *T { return &v }

// TestWalletStore is the conformance suite of payout.WalletStore. newStore returns an empty
// store for each subtest.
func TestWalletStore(t *testing.T, newStore func(t *testing.T) payout.WalletStore) {
	ctx := context.Background()
	at := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	s := newStore(t)
	_, err := s.GetWallet(ctx, "node-1", payout.USDT)
	require.ErrorIs(t, err, payout.ErrNotFound)
	for i, id := range []string{"node-2", "node-1", "node-3"} {
		require.NoError(t, s.SetWallet(ctx, payout.Wallet{NodeID: id, Currency: payout.USDT, Address: TronAddress(id), UpdatedAt: at.Add(time.Duration(i) * time.Second)}))
	}
	require.NoError(t, s.SetWallet(ctx, payout.Wallet{NodeID: "node-1", Currency: payout.LUCID, Address: "0x" + strings.Repeat("ab", 20), UpdatedAt: at}))
	// Replacing keeps one wallet per node and currency.
	require.NoError(t, s.SetWallet(ctx, payout.Wallet{NodeID: "node-1", Currency: payout.USDT, Address: TronAddress("new"), UpdatedAt: at.Add(time.Hour)}))
	w, err := s.GetWallet(ctx, "node-1", payout.USDT)
	require.NoError(t, err)
	assert.Equal(t, TronAddress("new"), w.Address)
	assert.True(t, w.UpdatedAt.Equal(at.Add(time.Hour)))
	ws, err := s.ListWallets(ctx, payout.USDT)
	require.NoError(t, err)
	require.Len(t, ws, 3)
	assert.Equal(t, []string{"node-1", "node-2", "node-3"}, []string{ws[0].NodeID, ws[1].NodeID, ws[2].NodeID})
	assert.Equal(t, TronAddress("node-2"), ws[1].Address)
	ws, err = s.ListWallets(ctx, payout.LUCID)
	require.NoError(t, err)
	require.Len(t, ws, 1)
	assert.Equal(t, "0x"+strings.Repeat("ab", 20), ws[0].Address)
}
