package refserver

import (
	"context"
	"time"

	"github.com/hamigames/lucid-node-management/payout"
)

// instrumentedPayoutStore counts and times every payout store call in the database series.
type instrumentedPayoutStore struct {
	next payout.Store
	m    *metrics
}

var _ payout.Store = (*instrumentedPayoutStore)(nil)

func (s *instrumentedPayoutStore) CreateBatch(ctx context.Context, b payout.Batch, ps []payout.Payout) error {
	start := time.Now()
	err := s.next.CreateBatch(ctx, b, ps)
	s.m.db("payout_create_batch", start, err)
	return err
}

func (s *instrumentedPayoutStore) GetBatch(ctx context.Context, id string) (payout.Batch, error) {
	start := time.Now()
	v, err := s.next.GetBatch(ctx, id)
	s.m.db("payout_get_batch", start, err)
	return v, err
}

func (s *instrumentedPayoutStore) UpdateBatch(ctx context.Context, b payout.Batch, expect int64) (payout.Batch, error) {
	start := time.Now()
	v, err := s.next.UpdateBatch(ctx, b, expect)
	s.m.db("payout_update_batch", start, err)
	return v, err
}

func (s *instrumentedPayoutStore) ListOpenBatches(ctx context.Context, maxNotify int) ([]payout.Batch, error) {
	start := time.Now()
	v, err := s.next.ListOpenBatches(ctx, maxNotify)
	s.m.db("payout_list_open_batches", start, err)
	return v, err
}

func (s *instrumentedPayoutStore) GetPayout(ctx context.Context, id string) (payout.Payout, error) {
	start := time.Now()
	v, err := s.next.GetPayout(ctx, id)
	s.m.db("payout_get", start, err)
	return v, err
}

func (s *instrumentedPayoutStore) UpdatePayout(ctx context.Context, u payout.PayoutUpdate) (payout.Payout, error) {
	start := time.Now()
	v, err := s.next.UpdatePayout(ctx, u)
	s.m.db("payout_update", start, err)
	return v, err
}

func (s *instrumentedPayoutStore) ListActive(ctx context.Context, after string, limit int) ([]payout.Payout, error) {
	start := time.Now()
	v, err := s.next.ListActive(ctx, after, limit)
	s.m.db("payout_list_active", start, err)
	return v, err
}

func (s *instrumentedPayoutStore) ListPayouts(ctx context.Context, f payout.PayoutFilter) (payout.PayoutPage, error) {
	start := time.Now()
	v, err := s.next.ListPayouts(ctx, f)
	s.m.db("payout_list", start, err)
	return v, err
}

func (s *instrumentedPayoutStore) ListTxs(ctx context.Context, id string) ([]payout.TxRecord, error) {
	start := time.Now()
	v, err := s.next.ListTxs(ctx, id)
	s.m.db("payout_list_txs", start, err)
	return v, err
}

func (s *instrumentedPayoutStore) ListAllTxs(ctx context.Context, after string, limit int) ([]payout.TxRecord, error) {
	start := time.Now()
	v, err := s.next.ListAllTxs(ctx, after, limit)
	s.m.db("payout_list_all_txs", start, err)
	return v, err
}

func (s *instrumentedPayoutStore) GetSchedule(ctx context.Context) (payout.Schedule, error) {
	start := time.Now()
	v, err := s.next.GetSchedule(ctx)
	s.m.db("payout_get_schedule", start, err)
	return v, err
}

func (s *instrumentedPayoutStore) SetSchedule(ctx context.Context, sc payout.Schedule, expect int64) (payout.Schedule, error) {
	start := time.Now()
	v, err := s.next.SetSchedule(ctx, sc, expect)
	s.m.db("payout_set_schedule", start, err)
	return v, err
}

func (s *instrumentedPayoutStore) CommitEpoch(ctx context.Context, e payout.EpochRecord, l []payout.LedgerEntry, ps []payout.Payout) error {
	start := time.Now()
	err := s.next.CommitEpoch(ctx, e, l, ps)
	s.m.db("payout_commit_epoch", start, err)
	return err
}

func (s *instrumentedPayoutStore) GetEpoch(ctx context.Context, id string) (payout.EpochRecord, error) {
	start := time.Now()
	v, err := s.next.GetEpoch(ctx, id)
	s.m.db("payout_get_epoch", start, err)
	return v, err
}

func (s *instrumentedPayoutStore) LatestEpoch(ctx context.Context, c payout.Currency) (payout.EpochRecord, error) {
	start := time.Now()
	v, err := s.next.LatestEpoch(ctx, c)
	s.m.db("payout_latest_epoch", start, err)
	return v, err
}

func (s *instrumentedPayoutStore) LedgerBalances(ctx context.Context, c payout.Currency) ([]payout.LedgerBalance, error) {
	start := time.Now()
	v, err := s.next.LedgerBalances(ctx, c)
	s.m.db("payout_ledger_balances", start, err)
	return v, err
}
