package payouttest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hamigames/lucid-node-management/payout"
)

// ErrCrashed is what every call returns once a CrashPoint has fired: the process is "dead".
var ErrCrashed = errors.New("payouttest: crashed")

// CrashPoint kills a processor at its At-th store or chain call: before the call (After false)
// or after the call took effect with its answer lost (After true). From then on every call
// through the wrappers fails with ErrCrashed, like a process that stopped.
type CrashPoint struct {
	mu      sync.Mutex
	At      int
	After   bool
	n       int
	crashed bool
}

// Calls returns how many calls went through the point.
func (c *CrashPoint) Calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// Crashed reports whether the point fired.
func (c *CrashPoint) Crashed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.crashed
}

// do runs f unless the process is dead or dies at this call.
func do[T any](c *CrashPoint, f func() (T, error)) (T, error) {
	var zero T
	c.mu.Lock()
	if c.crashed {
		c.mu.Unlock()
		return zero, ErrCrashed
	}
	c.n++
	fire := c.At > 0 && c.n == c.At
	if fire {
		c.crashed = true
	}
	after := c.After
	c.mu.Unlock()
	if fire && !after {
		return zero, ErrCrashed
	}
	v, err := f()
	if fire {
		return zero, ErrCrashed
	}
	return v, err
}

type none struct{}

func do0(c *CrashPoint, f func() error) error {
	_, err := do(c, func() (none, error) { return none{}, f() })
	return err
}

// CrashStore wraps a Store with a CrashPoint.
type CrashStore struct {
	S payout.Store
	C *CrashPoint
}

var _ payout.Store = CrashStore{}

// CreateBatch implements payout.Store.
func (s CrashStore) CreateBatch(ctx context.Context, b payout.Batch, ps []payout.Payout) error {
	return do0(s.C, func() error { return s.S.CreateBatch(ctx, b, ps) })
}

// GetBatch implements payout.Store.
func (s CrashStore) GetBatch(ctx context.Context, id string) (payout.Batch, error) {
	return do(s.C, func() (payout.Batch, error) { return s.S.GetBatch(ctx, id) })
}

// UpdateBatch implements payout.Store.
func (s CrashStore) UpdateBatch(ctx context.Context, b payout.Batch, v int64) (payout.Batch, error) {
	return do(s.C, func() (payout.Batch, error) { return s.S.UpdateBatch(ctx, b, v) })
}

// ListOpenBatches implements payout.Store.
func (s CrashStore) ListOpenBatches(ctx context.Context, n int) ([]payout.Batch, error) {
	return do(s.C, func() ([]payout.Batch, error) { return s.S.ListOpenBatches(ctx, n) })
}

// GetPayout implements payout.Store.
func (s CrashStore) GetPayout(ctx context.Context, id string) (payout.Payout, error) {
	return do(s.C, func() (payout.Payout, error) { return s.S.GetPayout(ctx, id) })
}

// UpdatePayout implements payout.Store.
func (s CrashStore) UpdatePayout(ctx context.Context, u payout.PayoutUpdate) (payout.Payout, error) {
	return do(s.C, func() (payout.Payout, error) { return s.S.UpdatePayout(ctx, u) })
}

// ListActive implements payout.Store.
func (s CrashStore) ListActive(ctx context.Context, after string, limit int) ([]payout.Payout, error) {
	return do(s.C, func() ([]payout.Payout, error) { return s.S.ListActive(ctx, after, limit) })
}

// ListPayouts implements payout.Store.
func (s CrashStore) ListPayouts(ctx context.Context, f payout.PayoutFilter) (payout.PayoutPage, error) {
	return do(s.C, func() (payout.PayoutPage, error) { return s.S.ListPayouts(ctx, f) })
}

// ListTxs implements payout.Store.
func (s CrashStore) ListTxs(ctx context.Context, id string) ([]payout.TxRecord, error) {
	return do(s.C, func() ([]payout.TxRecord, error) { return s.S.ListTxs(ctx, id) })
}

// ListAllTxs implements payout.Store.
func (s CrashStore) ListAllTxs(ctx context.Context, after string, limit int) ([]payout.TxRecord, error) {
	return do(s.C, func() ([]payout.TxRecord, error) { return s.S.ListAllTxs(ctx, after, limit) })
}

// GetSchedule implements payout.Store.
func (s CrashStore) GetSchedule(ctx context.Context) (payout.Schedule, error) {
	return do(s.C, func() (payout.Schedule, error) { return s.S.GetSchedule(ctx) })
}

// SetSchedule implements payout.Store.
func (s CrashStore) SetSchedule(ctx context.Context, sc payout.Schedule, v int64) (payout.Schedule, error) {
	return do(s.C, func() (payout.Schedule, error) { return s.S.SetSchedule(ctx, sc, v) })
}

// CommitEpoch implements payout.Store.
func (s CrashStore) CommitEpoch(ctx context.Context, e payout.EpochRecord, l []payout.LedgerEntry, ps []payout.Payout) error {
	return do0(s.C, func() error { return s.S.CommitEpoch(ctx, e, l, ps) })
}

// GetEpoch implements payout.Store.
func (s CrashStore) GetEpoch(ctx context.Context, id string) (payout.EpochRecord, error) {
	return do(s.C, func() (payout.EpochRecord, error) { return s.S.GetEpoch(ctx, id) })
}

// LatestEpoch implements payout.Store.
func (s CrashStore) LatestEpoch(ctx context.Context, c payout.Currency) (payout.EpochRecord, error) {
	return do(s.C, func() (payout.EpochRecord, error) { return s.S.LatestEpoch(ctx, c) })
}

// LedgerBalances implements payout.Store.
func (s CrashStore) LedgerBalances(ctx context.Context, c payout.Currency) ([]payout.LedgerBalance, error) {
	return do(s.C, func() ([]payout.LedgerBalance, error) { return s.S.LedgerBalances(ctx, c) })
}

// CrashChain wraps a ChainClient with a CrashPoint.
type CrashChain struct {
	Chain payout.ChainClient
	C     *CrashPoint
}

var _ payout.ChainClient = CrashChain{}

// Transfer implements payout.ChainClient.
func (c CrashChain) Transfer(ctx context.Context, r payout.TransferRequest) (payout.SignedTransfer, error) {
	return do(c.C, func() (payout.SignedTransfer, error) { return c.Chain.Transfer(ctx, r) })
}

// Broadcast implements payout.ChainClient.
func (c CrashChain) Broadcast(ctx context.Context, tx payout.SignedTransfer) error {
	return do0(c.C, func() error { return c.Chain.Broadcast(ctx, tx) })
}

// Status implements payout.ChainClient.
func (c CrashChain) Status(ctx context.Context, id string) (payout.TxStatus, error) {
	return do(c.C, func() (payout.TxStatus, error) { return c.Chain.Status(ctx, id) })
}

// Now implements payout.ChainClient.
func (c CrashChain) Now(ctx context.Context) (time.Time, error) {
	return do(c.C, func() (time.Time, error) { return c.Chain.Now(ctx) })
}

// Balance implements payout.ChainClient.
func (c CrashChain) Balance(ctx context.Context, cur payout.Currency) (payout.Amount, error) {
	return do(c.C, func() (payout.Amount, error) { return c.Chain.Balance(ctx, cur) })
}
