package payouttest

import (
	"context"
	"sync"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/payout/memstore"
)

// MemStore is the in-memory payout store (payout/memstore.Store) with one test
// hook, FailNext. It adds no storage logic of its own, so tests run the same code the memory
// backend serves.
type MemStore struct {
	*memstore.Store
	mu       sync.Mutex
	failNext error
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return &MemStore{Store: memstore.New()} }

var _ payout.Store = (*MemStore)(nil)

// FailNext makes the next mutating call return err (once) instead of applying anything.
func (m *MemStore) FailNext(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failNext = err
}

func (m *MemStore) takeFail() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	err := m.failNext
	m.failNext = nil
	return err
}

// CreateBatch implements payout.Store, honouring FailNext.
func (m *MemStore) CreateBatch(ctx context.Context, b payout.Batch, ps []payout.Payout) error {
	if err := m.takeFail(); err != nil {
		return err
	}
	return m.Store.CreateBatch(ctx, b, ps)
}

// UpdateBatch implements payout.Store, honouring FailNext.
func (m *MemStore) UpdateBatch(ctx context.Context, b payout.Batch, expect int64) (payout.Batch, error) {
	if err := m.takeFail(); err != nil {
		return payout.Batch{}, err
	}
	return m.Store.UpdateBatch(ctx, b, expect)
}

// UpdatePayout implements payout.Store, honouring FailNext.
func (m *MemStore) UpdatePayout(ctx context.Context, u payout.PayoutUpdate) (payout.Payout, error) {
	if err := m.takeFail(); err != nil {
		return payout.Payout{}, err
	}
	return m.Store.UpdatePayout(ctx, u)
}

// SetSchedule implements payout.Store, honouring FailNext.
func (m *MemStore) SetSchedule(ctx context.Context, s payout.Schedule, expect int64) (payout.Schedule, error) {
	if err := m.takeFail(); err != nil {
		return payout.Schedule{}, err
	}
	return m.Store.SetSchedule(ctx, s, expect)
}

// CommitEpoch implements payout.Store, honouring FailNext.
func (m *MemStore) CommitEpoch(ctx context.Context, e payout.EpochRecord, l []payout.LedgerEntry, ps []payout.Payout) error {
	if err := m.takeFail(); err != nil {
		return err
	}
	return m.Store.CommitEpoch(ctx, e, l, ps)
}
