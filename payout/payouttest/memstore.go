package payouttest

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hamigames/lucid-node-management/payout"
)

// MemStore is an in-memory payout.Store for tests: one mutex, deep copies in and out, every
// multi-row method all-or-nothing. It is a reference for the real backends, not a backend.
type MemStore struct {
	mu       sync.Mutex
	batches  map[string]payout.Batch
	payouts  map[string]payout.Payout
	txs      map[string]payout.TxRecord
	txOrder  map[string][]string // payout id → tx ids, oldest first
	schedule *payout.Schedule
	epochs   map[string]payout.EpochRecord
	ledger   []payout.LedgerEntry
	// FailNext, when set, is returned (once) by the next mutating call instead of applying it.
	FailNext error
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore {
	return &MemStore{
		batches: map[string]payout.Batch{}, payouts: map[string]payout.Payout{},
		txs: map[string]payout.TxRecord{}, txOrder: map[string][]string{}, epochs: map[string]payout.EpochRecord{},
	}
}

var _ payout.Store = (*MemStore)(nil)

func (m *MemStore) failNext() error {
	if err := m.FailNext; err != nil {
		m.FailNext = nil
		return err
	}
	return nil
}

func clonePayout(p payout.Payout) payout.Payout {
	cp := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		v := *t
		return &v
	}
	p.ScheduledAt, p.ProcessedAt, p.CompletedAt = cp(p.ScheduledAt), cp(p.ProcessedAt), cp(p.CompletedAt)
	return p
}

func cloneTx(t payout.TxRecord) payout.TxRecord {
	t.Raw = bytes.Clone(t.Raw)
	return t
}

func cloneBatch(b payout.Batch) payout.Batch {
	if b.Totals != nil {
		t := make(map[payout.Currency]string, len(b.Totals))
		for k, v := range b.Totals {
			t[k] = v
		}
		b.Totals = t
	}
	return b
}

// CreateBatch implements payout.Store.
func (m *MemStore) CreateBatch(_ context.Context, b payout.Batch, ps []payout.Payout) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failNext(); err != nil {
		return err
	}
	if _, ok := m.batches[b.BatchID]; ok {
		return fmt.Errorf("batch %s: %w", b.BatchID, payout.ErrConflict)
	}
	seen := map[string]bool{}
	for _, p := range ps {
		if _, ok := m.payouts[p.PayoutID]; ok || seen[p.PayoutID] {
			return fmt.Errorf("payout %s: %w", p.PayoutID, payout.ErrConflict)
		}
		seen[p.PayoutID] = true
	}
	b.Version = 1
	m.batches[b.BatchID] = cloneBatch(b)
	for _, p := range ps {
		p.Version = 1
		m.payouts[p.PayoutID] = clonePayout(p)
	}
	return nil
}

// GetBatch implements payout.Store.
func (m *MemStore) GetBatch(_ context.Context, id string) (payout.Batch, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.batches[id]
	if !ok {
		return payout.Batch{}, payout.ErrNotFound
	}
	return cloneBatch(b), nil
}

// UpdateBatch implements payout.Store.
func (m *MemStore) UpdateBatch(_ context.Context, b payout.Batch, expect int64) (payout.Batch, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failNext(); err != nil {
		return payout.Batch{}, err
	}
	old, ok := m.batches[b.BatchID]
	if !ok {
		return payout.Batch{}, payout.ErrNotFound
	}
	if old.Version != expect {
		return payout.Batch{}, payout.ErrConflict
	}
	b.Version = expect + 1
	m.batches[b.BatchID] = cloneBatch(b)
	return cloneBatch(b), nil
}

// ListOpenBatches implements payout.Store.
func (m *MemStore) ListOpenBatches(_ context.Context, maxNotify int) ([]payout.Batch, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []payout.Batch
	for _, b := range m.batches {
		if !b.Status.Finished() || (b.NotificationURL != "" && b.NotifiedAt == nil && b.NotifyAttempts < maxNotify) {
			out = append(out, cloneBatch(b))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].BatchID < out[j].BatchID })
	return out, nil
}

// GetPayout implements payout.Store.
func (m *MemStore) GetPayout(_ context.Context, id string) (payout.Payout, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.payouts[id]
	if !ok {
		return payout.Payout{}, payout.ErrNotFound
	}
	return clonePayout(p), nil
}

// UpdatePayout implements payout.Store.
func (m *MemStore) UpdatePayout(_ context.Context, u payout.PayoutUpdate) (payout.Payout, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failNext(); err != nil {
		return payout.Payout{}, err
	}
	old, ok := m.payouts[u.Payout.PayoutID]
	if !ok {
		return payout.Payout{}, payout.ErrNotFound
	}
	if old.Version != u.ExpectVersion {
		return payout.Payout{}, fmt.Errorf("payout %s version %d, expected %d: %w", old.PayoutID, old.Version, u.ExpectVersion, payout.ErrConflict)
	}
	if u.NewTx != nil {
		if _, ok := m.txs[u.NewTx.TxID]; ok {
			return payout.Payout{}, fmt.Errorf("tx %s: %w", u.NewTx.TxID, payout.ErrConflict)
		}
	}
	for _, t := range u.TxUpdates {
		if cur, ok := m.txs[t.TxID]; !ok || cur.PayoutID != u.Payout.PayoutID {
			return payout.Payout{}, fmt.Errorf("tx %s of payout %s: %w", t.TxID, u.Payout.PayoutID, payout.ErrNotFound)
		}
	}
	p := clonePayout(u.Payout)
	p.Version = u.ExpectVersion + 1
	m.payouts[p.PayoutID] = p
	if u.NewTx != nil {
		m.txs[u.NewTx.TxID] = cloneTx(*u.NewTx)
		m.txOrder[p.PayoutID] = append(m.txOrder[p.PayoutID], u.NewTx.TxID)
	}
	for _, t := range u.TxUpdates {
		m.txs[t.TxID] = cloneTx(t)
	}
	m.ledger = append(m.ledger, u.Ledger...)
	return clonePayout(p), nil
}

// ListActive implements payout.Store.
func (m *MemStore) ListActive(_ context.Context, after string, limit int) ([]payout.Payout, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []payout.Payout
	for _, p := range m.payouts {
		if !p.Stage.Terminal() && p.PayoutID > after {
			out = append(out, clonePayout(p))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PayoutID < out[j].PayoutID })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// ListPayouts implements payout.Store.
func (m *MemStore) ListPayouts(_ context.Context, f payout.PayoutFilter) (payout.PayoutPage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var all []payout.Payout
	for _, p := range m.payouts {
		if (f.NodeID != "" && p.NodeID != f.NodeID) || (f.BatchID != "" && p.BatchID != f.BatchID) ||
			(f.EpochID != "" && p.EpochID != f.EpochID) || (f.Status != "" && p.Status() != f.Status) ||
			(f.Currency != "" && p.Currency() != f.Currency) ||
			(f.From != nil && p.CreatedAt.Before(*f.From)) || (f.To != nil && !p.CreatedAt.Before(*f.To)) {
			continue
		}
		all = append(all, p)
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].CreatedAt.Equal(all[j].CreatedAt) {
			return all[i].CreatedAt.After(all[j].CreatedAt)
		}
		return all[i].PayoutID > all[j].PayoutID
	})
	pg := payout.PayoutPage{Total: len(all)}
	rest := all
	if f.Cursor != "" {
		at, id, err := payout.DecodeCursor(f.Cursor)
		if err != nil {
			return pg, err
		}
		i := sort.Search(len(all), func(i int) bool { return payout.AfterCursor(all[i], at, id) })
		rest = all[i:]
	} else if f.Offset > 0 {
		rest = all[min(f.Offset, len(all)):]
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	if len(rest) > limit {
		rest = rest[:limit]
		pg.NextCursor = payout.EncodeCursor(rest[len(rest)-1])
	}
	for _, p := range rest {
		pg.Payouts = append(pg.Payouts, clonePayout(p))
	}
	return pg, nil
}

// ListTxs implements payout.Store.
func (m *MemStore) ListTxs(_ context.Context, payoutID string) ([]payout.TxRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []payout.TxRecord
	for _, id := range m.txOrder[payoutID] {
		out = append(out, cloneTx(m.txs[id]))
	}
	return out, nil
}

// ListAllTxs implements payout.Store.
func (m *MemStore) ListAllTxs(_ context.Context, after string, limit int) ([]payout.TxRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []payout.TxRecord
	for id, t := range m.txs {
		if id > after {
			out = append(out, cloneTx(t))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TxID < out[j].TxID })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// GetSchedule implements payout.Store.
func (m *MemStore) GetSchedule(context.Context) (payout.Schedule, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.schedule == nil {
		return payout.Schedule{}, payout.ErrNotFound
	}
	return *m.schedule, nil
}

// SetSchedule implements payout.Store.
func (m *MemStore) SetSchedule(_ context.Context, s payout.Schedule, expect int64) (payout.Schedule, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failNext(); err != nil {
		return payout.Schedule{}, err
	}
	var cur int64
	if m.schedule != nil {
		cur = m.schedule.Version
	}
	if cur != expect {
		return payout.Schedule{}, payout.ErrConflict
	}
	s.Version = expect + 1
	m.schedule = &s
	return s, nil
}

// CommitEpoch implements payout.Store.
func (m *MemStore) CommitEpoch(_ context.Context, e payout.EpochRecord, ledger []payout.LedgerEntry, ps []payout.Payout) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failNext(); err != nil {
		return err
	}
	if _, ok := m.epochs[e.EpochID]; ok {
		return fmt.Errorf("epoch %s: %w", e.EpochID, payout.ErrConflict)
	}
	for _, p := range ps {
		if _, ok := m.payouts[p.PayoutID]; ok {
			return fmt.Errorf("payout %s: %w", p.PayoutID, payout.ErrConflict)
		}
	}
	e.Shares = append([]payout.EpochShare(nil), e.Shares...)
	e.PayoutIDs = append([]string(nil), e.PayoutIDs...)
	m.epochs[e.EpochID] = e
	m.ledger = append(m.ledger, ledger...)
	for _, p := range ps {
		p.Version = 1
		m.payouts[p.PayoutID] = clonePayout(p)
	}
	return nil
}

// GetEpoch implements payout.Store.
func (m *MemStore) GetEpoch(_ context.Context, id string) (payout.EpochRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.epochs[id]
	if !ok {
		return payout.EpochRecord{}, payout.ErrNotFound
	}
	return e, nil
}

// LatestEpoch implements payout.Store.
func (m *MemStore) LatestEpoch(_ context.Context, c payout.Currency) (payout.EpochRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var best *payout.EpochRecord
	for _, e := range m.epochs {
		if e.Currency == c && (best == nil || e.End.After(best.End)) {
			e := e
			best = &e
		}
	}
	if best == nil {
		return payout.EpochRecord{}, payout.ErrNotFound
	}
	return *best, nil
}

// LedgerBalances implements payout.Store.
func (m *MemStore) LedgerBalances(_ context.Context, c payout.Currency) ([]payout.LedgerBalance, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	by := map[string]*payout.LedgerBalance{}
	for _, l := range m.ledger {
		if l.Currency != c {
			continue
		}
		b := by[l.NodeID]
		if b == nil {
			b = &payout.LedgerBalance{NodeID: l.NodeID, Currency: c}
			by[l.NodeID] = b
		}
		switch l.Kind {
		case payout.LedgerOwed:
			b.Owed += l.Minor
		case payout.LedgerPaid:
			b.Paid += l.Minor
		case payout.LedgerReversal:
			b.Paid -= l.Minor
		}
	}
	out := make([]payout.LedgerBalance, 0, len(by))
	for _, b := range by {
		out = append(out, *b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].NodeID < out[j].NodeID })
	return out, nil
}

// Ledger returns a copy of every ledger entry, in append order.
func (m *MemStore) Ledger() []payout.LedgerEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]payout.LedgerEntry(nil), m.ledger...)
}
