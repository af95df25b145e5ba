package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/payout/payouttest"
)

// payoutsFor stores a batch of n pending payouts and returns them.
func payoutsFor(t *testing.T, s *Store, batchID string, n int) []payout.Payout {
	t.Helper()
	ctx := context.Background()
	svc, err := payout.NewService(payout.ServiceConfig{Store: s, Clock: fixedNow})
	require.NoError(t, err)
	req := payout.BatchRequest{BatchID: batchID}
	for i := range n {
		req.Payouts = append(req.Payouts, payout.PayoutRequest{NodeID: fmt.Sprintf("node-%d", i), Amount: "2",
			WalletAddress: payouttest.TronAddress(fmt.Sprintf("%s-%d", batchID, i))})
	}
	_, err = svc.SubmitBatch(ctx, req)
	require.NoError(t, err)
	pg, err := s.ListPayouts(ctx, payout.PayoutFilter{BatchID: batchID, Limit: n})
	require.NoError(t, err)
	require.Len(t, pg.Payouts, n)
	return pg.Payouts
}

// signedUpdate moves py to signed with a new transaction txID.
func signedUpdate(py payout.Payout, txID string) payout.PayoutUpdate {
	np := py
	np.Stage, np.TransactionHash, np.TxAttempts = payout.StageSigned, txID, py.TxAttempts+1
	return payout.PayoutUpdate{Payout: np, ExpectVersion: py.Version, NewTx: &payout.TxRecord{
		TxID: txID, PayoutID: py.PayoutID, Raw: []byte{1, 2, 3}, Expiration: fixedNow().Add(time.Minute),
		To: py.WalletAddress, Amount: py.Amount, CreatedAt: fixedNow(), UpdatedAt: fixedNow(),
	}}
}

func txID(i int) string { return fmt.Sprintf("%064x", i) }

// TestPayoutGroupRollsBackOnlyTheFailedUpdate runs one group by hand: a lost compare-and-set
// and an update whose payout row changed before its transaction insert failed must leave
// nothing behind, while the updates around them commit.
func TestPayoutGroupRollsBackOnlyTheFailedUpdate(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	ps := payoutsFor(t, s, "batch_group", 4)
	stale := signedUpdate(ps[1], txID(2))
	stale.ExpectVersion++ // a version the row does not have
	ups := []payout.PayoutUpdate{
		signedUpdate(ps[0], txID(1)),
		stale,
		signedUpdate(ps[2], txID(1)), // the payout row updates, then the tx id is a duplicate
		signedUpdate(ps[3], txID(4)),
	}
	s.warm(ctx, qUpdatePayout, qPayoutVersion, qInsertTx, qUpdateTx, qInsertLedger, qPayoutSavepoint, qPayoutRelease, qPayoutRollback)
	ops := make([]*payoutOp, len(ups))
	for i, u := range ups {
		_, run := s.payoutUpdate(ctx, u)
		ops[i] = &payoutOp{ctx: ctx, run: run, done: make(chan struct{})}
	}
	s.payoutRunGroup(ops)

	wantErr := []error{nil, payout.ErrConflict, payout.ErrConflict, nil}
	for i, op := range ops {
		<-op.done
		got, err := s.GetPayout(ctx, ps[i].PayoutID)
		require.NoError(t, err)
		txs, err := s.ListTxs(ctx, ps[i].PayoutID)
		require.NoError(t, err)
		if wantErr[i] == nil {
			require.NoError(t, op.err, "update %d", i)
			assert.Equal(t, payout.StageSigned, got.Stage)
			assert.Equal(t, ps[i].Version+1, got.Version)
			require.Len(t, txs, 1)
			continue
		}
		require.ErrorIs(t, op.err, wantErr[i], "update %d", i)
		assert.Equal(t, payout.StagePending, got.Stage, "update %d left its payout untouched", i)
		assert.Equal(t, ps[i].Version, got.Version)
		assert.Empty(t, txs)
	}
}

// TestPayoutGroupCompareAndSetUnderContention has several writers race for every payout at
// once: exactly one update per payout wins, and only the winner's transaction is stored.
func TestPayoutGroupCompareAndSetUnderContention(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	const n, racers = 40, 3
	ps := payoutsFor(t, s, "batch_race", n)
	type result struct {
		tx  string
		err error
	}
	res := make([][racers]result, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, py := range ps {
		for r := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				id := txID(i*racers + r + 1)
				_, err := s.UpdatePayout(ctx, signedUpdate(py, id))
				res[i][r] = result{id, err}
			}()
		}
	}
	close(start)
	wg.Wait()
	for i, py := range ps {
		var won []string
		for _, r := range res[i] {
			if r.err == nil {
				won = append(won, r.tx)
			} else {
				require.True(t, errors.Is(r.err, payout.ErrConflict), "%v", r.err)
			}
		}
		require.Len(t, won, 1, "payout %s", py.PayoutID)
		got, err := s.GetPayout(ctx, py.PayoutID)
		require.NoError(t, err)
		assert.Equal(t, won[0], got.TransactionHash)
		txs, err := s.ListTxs(ctx, py.PayoutID)
		require.NoError(t, err)
		require.Len(t, txs, 1)
		assert.Equal(t, won[0], txs[0].TxID)
	}
}
