// Package memstore is the one in-memory payout.Store and payout.WalletStore. The memory storage
// backend (storage/memory) embeds it and payout/payouttest wraps it for tests, so both run the
// same code. Times are normalised to UTC microseconds like the SQL backends. It lives beside
// payout rather than inside storage/memory so that test helpers can use it without importing a
// storage backend.
package memstore

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hamigames/lucid-node-management/payout"
)

var (
	_ payout.Store       = (*Store)(nil)
	_ payout.WalletStore = (*Store)(nil)
)

type walletKey struct {
	node string
	cur  payout.Currency
}

// Store is the in-memory payout.Store and payout.WalletStore: one mutex, deep copies in and
// out, every multi-row method all-or-nothing.
type Store struct {
	mu       sync.Mutex
	batches  map[string]payout.Batch
	payouts  map[string]payout.Payout
	txs      map[string]payout.TxRecord
	txOrder  map[string][]string // payout id → tx ids, oldest first
	schedule *payout.Schedule
	epochs   map[string]payout.EpochRecord
	ledger   []payout.LedgerEntry
	wallets  map[walletKey]payout.Wallet
}

// New returns an empty store.
func New() *Store {
	return &Store{
		batches: map[string]payout.Batch{}, payouts: map[string]payout.Payout{},
		txs: map[string]payout.TxRecord{}, txOrder: map[string][]string{}, epochs: map[string]payout.EpochRecord{},
		wallets: map[walletKey]payout.Wallet{},
	}
}

func ntime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

func nptr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ntime(*t)
	return &v
}

// clonePayout copies p and normalises its times like the SQL backends do.
func clonePayout(p payout.Payout) payout.Payout {
	p.ScheduledAt, p.ProcessedAt, p.CompletedAt = nptr(p.ScheduledAt), nptr(p.ProcessedAt), nptr(p.CompletedAt)
	p.NextAttemptAt, p.CreatedAt, p.UpdatedAt = ntime(p.NextAttemptAt), ntime(p.CreatedAt), ntime(p.UpdatedAt)
	return p
}

func cloneTx(t payout.TxRecord) payout.TxRecord {
	t.Raw = bytes.Clone(t.Raw)
	t.Expiration, t.CreatedAt, t.UpdatedAt = ntime(t.Expiration), ntime(t.CreatedAt), ntime(t.UpdatedAt)
	return t
}

func cloneBatch(b payout.Batch) payout.Batch {
	b.Totals = maps.Clone(b.Totals)
	b.ScheduledAt, b.FinishedAt, b.NotifiedAt = nptr(b.ScheduledAt), nptr(b.FinishedAt), nptr(b.NotifiedAt)
	b.CreatedAt = ntime(b.CreatedAt)
	return b
}

func cloneEpoch(e payout.EpochRecord) payout.EpochRecord {
	e.Shares = slices.Clone(e.Shares)
	e.PayoutIDs = slices.Clone(e.PayoutIDs)
	e.Start, e.End, e.CreatedAt = ntime(e.Start), ntime(e.End), ntime(e.CreatedAt)
	return e
}

// CreateBatch implements payout.Store.
func (m *Store) CreateBatch(_ context.Context, b payout.Batch, ps []payout.Payout) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.batches[b.BatchID]; ok {
		return fmt.Errorf("batch %s: %w", b.BatchID, payout.ErrConflict)
	}
	seen := make(map[string]bool, len(ps))
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
func (m *Store) GetBatch(_ context.Context, id string) (payout.Batch, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.batches[id]
	if !ok {
		return payout.Batch{}, fmt.Errorf("batch %s: %w", id, payout.ErrNotFound)
	}
	return cloneBatch(b), nil
}

// UpdateBatch implements payout.Store.
func (m *Store) UpdateBatch(_ context.Context, b payout.Batch, expect int64) (payout.Batch, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.batches[b.BatchID]
	if !ok {
		return payout.Batch{}, fmt.Errorf("batch %s: %w", b.BatchID, payout.ErrNotFound)
	}
	if old.Version != expect {
		return payout.Batch{}, fmt.Errorf("batch %s version %d, expected %d: %w", b.BatchID, old.Version, expect, payout.ErrConflict)
	}
	b.Version = expect + 1
	b = cloneBatch(b)
	m.batches[b.BatchID] = b
	return cloneBatch(b), nil
}

// ListOpenBatches implements payout.Store.
func (m *Store) ListOpenBatches(_ context.Context, maxNotify int) ([]payout.Batch, error) {
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
func (m *Store) GetPayout(_ context.Context, id string) (payout.Payout, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.payouts[id]
	if !ok {
		return payout.Payout{}, fmt.Errorf("payout %s: %w", id, payout.ErrNotFound)
	}
	return clonePayout(p), nil
}

// UpdatePayout implements payout.Store.
func (m *Store) UpdatePayout(_ context.Context, u payout.PayoutUpdate) (payout.Payout, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.payouts[u.Payout.PayoutID]
	if !ok {
		return payout.Payout{}, fmt.Errorf("payout %s: %w", u.Payout.PayoutID, payout.ErrNotFound)
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
	for _, l := range u.Ledger {
		l.At = ntime(l.At)
		m.ledger = append(m.ledger, l)
	}
	return clonePayout(p), nil
}

// ListActive implements payout.Store.
func (m *Store) ListActive(_ context.Context, after string, limit int) ([]payout.Payout, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	// Sort ids first and copy only the page: pollers asking for one payout stay cheap.
	var ids []string
	for id, p := range m.payouts {
		if !p.Stage.Terminal() && id > after {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	out := make([]payout.Payout, 0, len(ids))
	for _, id := range ids {
		out = append(out, clonePayout(m.payouts[id]))
	}
	return out, nil
}

// ListPayouts implements payout.Store.
func (m *Store) ListPayouts(_ context.Context, f payout.PayoutFilter) (payout.PayoutPage, error) {
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
func (m *Store) ListTxs(_ context.Context, payoutID string) ([]payout.TxRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []payout.TxRecord
	for _, id := range m.txOrder[payoutID] {
		out = append(out, cloneTx(m.txs[id]))
	}
	return out, nil
}

// ListAllTxs implements payout.Store.
func (m *Store) ListAllTxs(_ context.Context, after string, limit int) ([]payout.TxRecord, error) {
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
func (m *Store) GetSchedule(context.Context) (payout.Schedule, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.schedule == nil {
		return payout.Schedule{}, fmt.Errorf("schedule: %w", payout.ErrNotFound)
	}
	return *m.schedule, nil
}

// SetSchedule implements payout.Store.
func (m *Store) SetSchedule(_ context.Context, s payout.Schedule, expect int64) (payout.Schedule, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var cur int64
	if m.schedule != nil {
		cur = m.schedule.Version
	}
	if cur != expect {
		return payout.Schedule{}, fmt.Errorf("schedule version %d, expected %d: %w", cur, expect, payout.ErrConflict)
	}
	s.Version = expect + 1
	s.NextRunAt, s.UpdatedAt = ntime(s.NextRunAt), ntime(s.UpdatedAt)
	m.schedule = &s
	return s, nil
}

// CommitEpoch implements payout.Store.
func (m *Store) CommitEpoch(_ context.Context, e payout.EpochRecord, ledger []payout.LedgerEntry, ps []payout.Payout) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.epochs[e.EpochID]; ok {
		return fmt.Errorf("epoch %s: %w", e.EpochID, payout.ErrConflict)
	}
	seen := make(map[string]bool, len(ps))
	for _, p := range ps {
		if _, ok := m.payouts[p.PayoutID]; ok || seen[p.PayoutID] {
			return fmt.Errorf("payout %s: %w", p.PayoutID, payout.ErrConflict)
		}
		seen[p.PayoutID] = true
	}
	m.epochs[e.EpochID] = cloneEpoch(e)
	for _, l := range ledger {
		l.At = ntime(l.At)
		m.ledger = append(m.ledger, l)
	}
	for _, p := range ps {
		p.Version = 1
		m.payouts[p.PayoutID] = clonePayout(p)
	}
	return nil
}

// GetEpoch implements payout.Store.
func (m *Store) GetEpoch(_ context.Context, id string) (payout.EpochRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.epochs[id]
	if !ok {
		return payout.EpochRecord{}, fmt.Errorf("epoch %s: %w", id, payout.ErrNotFound)
	}
	return cloneEpoch(e), nil
}

// LatestEpoch implements payout.Store.
func (m *Store) LatestEpoch(_ context.Context, c payout.Currency) (payout.EpochRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var best *payout.EpochRecord
	for _, e := range m.epochs {
		if e.Currency == c && (best == nil || e.End.After(best.End) || (e.End.Equal(best.End) && e.EpochID > best.EpochID)) {
			best = &e
		}
	}
	if best == nil {
		return payout.EpochRecord{}, fmt.Errorf("epoch in %s: %w", c, payout.ErrNotFound)
	}
	return cloneEpoch(*best), nil
}

// LedgerBalances implements payout.Store.
func (m *Store) LedgerBalances(_ context.Context, c payout.Currency) ([]payout.LedgerBalance, error) {
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
	slices.SortFunc(out, func(a, b payout.LedgerBalance) int { return strings.Compare(a.NodeID, b.NodeID) })
	return out, nil
}

// Ledger returns a copy of every ledger entry, in append order.
func (m *Store) Ledger() []payout.LedgerEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.ledger)
}

// SetWallet implements payout.WalletStore.
func (m *Store) SetWallet(_ context.Context, w payout.Wallet) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	w.UpdatedAt = ntime(w.UpdatedAt)
	m.wallets[walletKey{w.NodeID, w.Currency}] = w
	return nil
}

// GetWallet implements payout.WalletStore.
func (m *Store) GetWallet(_ context.Context, nodeID string, c payout.Currency) (payout.Wallet, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w, ok := m.wallets[walletKey{nodeID, c}]
	if !ok {
		return payout.Wallet{}, fmt.Errorf("wallet of %s in %s: %w", nodeID, c, payout.ErrNotFound)
	}
	return w, nil
}

// ListWallets implements payout.WalletStore.
func (m *Store) ListWallets(_ context.Context, c payout.Currency) ([]payout.Wallet, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []payout.Wallet
	for k, w := range m.wallets {
		if k.cur == c {
			out = append(out, w)
		}
	}
	slices.SortFunc(out, func(a, b payout.Wallet) int { return strings.Compare(a.NodeID, b.NodeID) })
	return out, nil
}
