package payout

import (
	"context"
	"time"
)

// TxRecord is one transaction built for a payout, persisted before it is ever broadcast. The
// transactions log keeps every record, including superseded ones, for the audit.
type TxRecord struct {
	TxID     string
	PayoutID string
	// Raw is the signed transaction, rebroadcast byte for byte.
	Raw []byte
	// Expiration is the chain time after which the transaction can never be included.
	Expiration time.Time
	To         string
	Amount     Amount
	// State and BlockNumber are the last chain view of the transaction.
	State       TxState
	BlockNumber int64
	// Superseded is set once the transaction is proven dead (expired and absent, or reverted);
	// only then may the payout get a new transaction.
	Superseded bool
	// BroadcastError is the first refusal of Broadcast (ErrTransferRejected), kept for the
	// error message of the payout when the transaction expires unseen.
	BroadcastError string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// LedgerKind is the kind of an entitlement ledger entry.
type LedgerKind string

// Ledger entry kinds. Entitlement = Σ owed − Σ paid + Σ reversal.
const (
	// LedgerOwed credits a node's share of an epoch.
	LedgerOwed LedgerKind = "owed"
	// LedgerPaid debits what a payout created for the node will pay.
	LedgerPaid LedgerKind = "paid"
	// LedgerReversal credits back a payout that failed (it paid nothing).
	LedgerReversal LedgerKind = "reversal"
)

// LedgerEntry is one append-only line of the entitlement ledger, in minor units.
type LedgerEntry struct {
	NodeID   string
	Currency Currency
	Kind     LedgerKind
	Minor    int64
	EpochID  string
	PayoutID string
	At       time.Time
}

// LedgerBalance is a node's cumulative position in one currency, in minor units.
type LedgerBalance struct {
	NodeID   string
	Currency Currency
	// Owed is the cumulative sum of the node's epoch shares.
	Owed int64
	// Paid is the cumulative amount committed to payouts, net of reversals.
	Paid int64
}

// Entitlement is what is owed and not yet committed to a payout: Owed − Paid.
func (b LedgerBalance) Entitlement() int64 { return b.Owed - b.Paid }

// PayoutUpdate is one atomic compare-and-set of a payout: the Store applies it only if the
// stored Version equals ExpectVersion, then stores Payout with Version ExpectVersion+1, inserts
// NewTx, replaces TxUpdates (by TxID) and appends Ledger, all or nothing.
type PayoutUpdate struct {
	Payout        Payout
	ExpectVersion int64
	NewTx         *TxRecord
	TxUpdates     []TxRecord
	Ledger        []LedgerEntry
}

// PayoutFilter selects payouts for listing. Zero fields do not filter. Results are ordered by
// CreatedAt descending then PayoutID descending (newest first).
type PayoutFilter struct {
	NodeID   string
	BatchID  string
	EpochID  string
	Status   Status
	Currency Currency
	// From and To bound CreatedAt: From ≤ created_at < To.
	From *time.Time
	To   *time.Time
	// Limit is the page size (1–1000; the Store may clamp).
	Limit int
	// Offset skips results (page/limit paging).
	Offset int
	// Cursor, when set, continues after the last item of a previous page and overrides Offset;
	// it stays correct under inserts.
	Cursor string
}

// PayoutPage is one page of payouts.
type PayoutPage struct {
	Payouts []Payout
	// Total counts every payout matching the filter (without paging).
	Total int
	// NextCursor continues after this page; empty on the last page.
	NextCursor string
}

// Schedule is the stored epoch payout schedule.
type Schedule struct {
	// Enabled turns epoch planning on.
	Enabled bool
	// Interval is the epoch length; an epoch is planned at its end.
	Interval time.Duration
	// RewardPool is what each epoch distributes.
	RewardPool Amount
	// MinimumPayout is the threshold below which a node's entitlement is carried forward.
	MinimumPayout Amount
	// NextRunAt is the end of the next epoch to plan.
	NextRunAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// Currency is the schedule's currency.
func (s Schedule) Currency() Currency { return s.RewardPool.Currency() }

// EpochShare is one node's share of an epoch pool.
type EpochShare struct {
	NodeID string
	Score  uint64
	// Minor is the node's share in minor units (base share plus any remainder unit).
	Minor int64
	// RemainderUnits is the part of Minor that came from distributing the rounding remainder.
	RemainderUnits int64
}

// EpochRecord is a planned epoch: its pool and how it was split, with every unit accounted for:
// Σ shares + CarryOut == Pool + CarryIn.
type EpochRecord struct {
	EpochID  string
	Currency Currency
	Start    time.Time
	End      time.Time
	// Pool is the epoch's reward pool and CarryIn what the previous epoch carried forward.
	Pool    int64
	CarryIn int64
	// Distributed is Σ shares; RemainderUnits is how many of those units came from the largest
	// remainder step; CarryOut is what goes to the next epoch (all of it when no node is eligible).
	Distributed    int64
	RemainderUnits int64
	CarryOut       int64
	Shares         []EpochShare
	// PayoutIDs are the payouts created when the epoch was committed.
	PayoutIDs []string
	CreatedAt time.Time
}

// Store persists payouts, batches, transactions, the schedule, epochs and the ledger. Every
// method that changes more than one row does it atomically. Implementations return errors
// wrapping ErrNotFound and ErrConflict where documented.
type Store interface {
	// CreateBatch stores a batch and its payouts atomically. If the batch_id or any payout_id
	// exists it stores nothing and returns an error wrapping ErrConflict.
	CreateBatch(ctx context.Context, b Batch, payouts []Payout) error
	// GetBatch returns a batch or ErrNotFound.
	GetBatch(ctx context.Context, batchID string) (Batch, error)
	// UpdateBatch stores b if the stored Version equals expectVersion (else ErrConflict) and
	// returns it with Version expectVersion+1.
	UpdateBatch(ctx context.Context, b Batch, expectVersion int64) (Batch, error)
	// ListOpenBatches returns batches that are not finished, or finished with a
	// NotificationURL whose delivery is not done (NotifiedAt nil and NotifyAttempts below
	// maxNotifyAttempts).
	ListOpenBatches(ctx context.Context, maxNotifyAttempts int) ([]Batch, error)

	// GetPayout returns a payout or ErrNotFound.
	GetPayout(ctx context.Context, payoutID string) (Payout, error)
	// UpdatePayout applies a PayoutUpdate atomically (compare-and-set on Version); ErrConflict
	// when the version moved or NewTx's id exists, ErrNotFound when the payout does not exist.
	UpdatePayout(ctx context.Context, u PayoutUpdate) (Payout, error)
	// ListActive returns non-terminal payouts ordered by PayoutID, after afterID, at most limit.
	ListActive(ctx context.Context, afterID string, limit int) ([]Payout, error)
	// ListPayouts lists payouts by node, batch, epoch, status, currency and time, paged.
	ListPayouts(ctx context.Context, f PayoutFilter) (PayoutPage, error)

	// ListTxs returns every transaction record of a payout, oldest first.
	ListTxs(ctx context.Context, payoutID string) ([]TxRecord, error)
	// ListAllTxs returns the transactions log ordered by TxID, after afterTxID, at most limit.
	ListAllTxs(ctx context.Context, afterTxID string, limit int) ([]TxRecord, error)

	// GetSchedule returns the schedule or ErrNotFound when none was ever set.
	GetSchedule(ctx context.Context) (Schedule, error)
	// SetSchedule stores s if the stored Version equals expectVersion (0 when none is stored),
	// else ErrConflict; it returns s with Version expectVersion+1.
	SetSchedule(ctx context.Context, s Schedule, expectVersion int64) (Schedule, error)

	// CommitEpoch atomically stores the epoch record, appends its ledger entries and creates
	// its payouts. ErrConflict if the epoch id (or a payout id) exists, storing nothing.
	CommitEpoch(ctx context.Context, e EpochRecord, ledger []LedgerEntry, payouts []Payout) error
	// GetEpoch returns an epoch or ErrNotFound.
	GetEpoch(ctx context.Context, epochID string) (EpochRecord, error)
	// LatestEpoch returns the epoch with the latest End in currency c, or ErrNotFound.
	LatestEpoch(ctx context.Context, c Currency) (EpochRecord, error)
	// LedgerBalances returns every node's cumulative balance in currency c.
	LedgerBalances(ctx context.Context, c Currency) ([]LedgerBalance, error)
}
