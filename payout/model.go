package payout

import (
	"encoding/json"
	"regexp"
	"time"
)

// Status is the public status of a payout (SPEC).
type Status string

// Public payout statuses.
const (
	StatusPending    Status = "pending"
	StatusProcessing Status = "processing"
	StatusCompleted  Status = "completed"
	StatusFailed     Status = "failed"
	StatusCancelled  Status = "cancelled"
)

// Terminal reports whether no further processing happens in this status.
func (s Status) Terminal() bool {
	return s == StatusCompleted || s == StatusFailed || s == StatusCancelled
}

// Stage is the internal processing state of a payout, finer than Status. The order of the happy
// path is pending → signed → broadcast → confirmed → completed.
type Stage string

// Processing stages.
const (
	// StagePending: no live transaction; the next step builds and signs one.
	StagePending Stage = "pending"
	// StageSigned: a signed transaction and its id are persisted; not known to be broadcast.
	StageSigned Stage = "signed"
	// StageBroadcast: the chain accepted the transaction (pool or block), not yet confirmed.
	StageBroadcast Stage = "broadcast"
	// StageConfirmed: the transaction reached the confirmation depth; completion is pending.
	StageConfirmed Stage = "confirmed"
	// StageCompleted: paid and recorded (terminal).
	StageCompleted Stage = "completed"
	// StageFailed: given up; ErrorMessage says why; no transaction of it can be included (terminal).
	StageFailed Stage = "failed"
	// StageCancelled: cancelled before any transaction was signed (terminal).
	StageCancelled Stage = "cancelled"
)

// Status maps the stage to the public status.
func (s Stage) Status() Status {
	switch s {
	case StagePending:
		return StatusPending
	case StageSigned, StageBroadcast, StageConfirmed:
		return StatusProcessing
	case StageCompleted:
		return StatusCompleted
	case StageFailed:
		return StatusFailed
	case StageCancelled:
		return StatusCancelled
	}
	return StatusPending
}

// Terminal reports whether the stage is final.
func (s Stage) Terminal() bool { return s.Status().Terminal() }

// Priority orders payouts; higher priorities are processed first.
type Priority string

// Payout priorities.
const (
	PriorityLow    Priority = "low"
	PriorityNormal Priority = "normal"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// Rank returns a sort key: urgent 3, high 2, normal 1, low 0; -1 when unknown.
func (p Priority) Rank() int {
	switch p {
	case PriorityLow:
		return 0
	case PriorityNormal:
		return 1
	case PriorityHigh:
		return 2
	case PriorityUrgent:
		return 3
	}
	return -1
}

var (
	payoutIDPattern = regexp.MustCompile(`^payout_[a-zA-Z0-9_-]+$`)
	batchIDPattern  = regexp.MustCompile(`^batch_[a-zA-Z0-9_-]+$`)
)

// Identifier length limit for payout, batch and node ids.
const MaxIDLength = 128

// ValidPayoutID reports whether s matches ^payout_[a-zA-Z0-9_-]+$ and is at most MaxIDLength.
func ValidPayoutID(s string) bool { return len(s) <= MaxIDLength && payoutIDPattern.MatchString(s) }

// ValidBatchID reports whether s matches ^batch_[a-zA-Z0-9_-]+$ and is at most MaxIDLength.
func ValidBatchID(s string) bool { return len(s) <= MaxIDLength && batchIDPattern.MatchString(s) }

// Payout is one transfer to one node's wallet, with its processing state. Version is the
// optimistic-concurrency counter the Store compares and increments on every update.
type Payout struct {
	PayoutID      string
	NodeID        string
	Amount        Amount
	WalletAddress string
	Stage         Stage
	Priority      Priority
	// TransactionHash is the id of the current (or final) transaction; empty before signing.
	TransactionHash string
	BatchID         string
	// EpochID is set for payouts planned from an epoch's entitlements.
	EpochID     string
	ScheduledAt *time.Time
	ProcessedAt *time.Time
	CompletedAt *time.Time
	// ErrorMessage says why the payout failed, or the last transient error while it retries.
	ErrorMessage string
	// ChainState is the last transaction state seen on chain and BlockNumber its block.
	ChainState  TxState
	BlockNumber int64
	// TxAttempts counts transactions built for the payout; Errors counts consecutive step errors
	// (for backoff) and NextAttemptAt is when the processor may touch it again.
	TxAttempts    int
	Errors        int
	NextAttemptAt time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Version       int64
}

// Status returns the public status.
func (p Payout) Status() Status { return p.Stage.Status() }

// Currency returns the payout's currency.
func (p Payout) Currency() Currency { return p.Amount.Currency() }

// PayoutView is the JSON shape of a payout on the API (SPEC fields plus stage and chain detail).
type PayoutView struct {
	PayoutID        string     `json:"payout_id"`
	NodeID          string     `json:"node_id"`
	Amount          string     `json:"amount"`
	Currency        Currency   `json:"currency"`
	WalletAddress   string     `json:"wallet_address"`
	Status          Status     `json:"status"`
	Stage           Stage      `json:"stage"`
	ChainState      TxState    `json:"chain_state,omitempty"`
	BlockNumber     int64      `json:"block_number,omitempty"`
	Priority        Priority   `json:"priority"`
	TransactionHash string     `json:"transaction_hash,omitempty"`
	BatchID         string     `json:"batch_id,omitempty"`
	EpochID         string     `json:"epoch_id,omitempty"`
	ScheduledAt     *time.Time `json:"scheduled_at,omitempty"`
	ProcessedAt     *time.Time `json:"processed_at,omitempty"`
	CompletedAt     *time.Time `json:"completed_at,omitempty"`
	ErrorMessage    string     `json:"error_message,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

// View returns the API shape of the payout.
func (p Payout) View() PayoutView {
	return PayoutView{
		PayoutID: p.PayoutID, NodeID: p.NodeID, Amount: p.Amount.String(), Currency: p.Currency(),
		WalletAddress: p.WalletAddress, Status: p.Status(), Stage: p.Stage, ChainState: p.ChainState,
		BlockNumber: p.BlockNumber, Priority: p.Priority, TransactionHash: p.TransactionHash,
		BatchID: p.BatchID, EpochID: p.EpochID, ScheduledAt: p.ScheduledAt, ProcessedAt: p.ProcessedAt,
		CompletedAt: p.CompletedAt, ErrorMessage: p.ErrorMessage, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
}

// MarshalJSON writes the PayoutView shape.
func (p Payout) MarshalJSON() ([]byte, error) { return json.Marshal(p.View()) }

// BatchStatus is the status of a batch as a whole.
type BatchStatus string

// Batch statuses. A batch is queued while its scheduled_at is in the future, processing until
// every payout is terminal, then completed (all completed), failed (none completed) or partial.
const (
	BatchQueued     BatchStatus = "queued"
	BatchProcessing BatchStatus = "processing"
	BatchCompleted  BatchStatus = "completed"
	BatchFailed     BatchStatus = "failed"
	BatchPartial    BatchStatus = "partial"
)

// Finished reports whether every payout of the batch is terminal.
func (s BatchStatus) Finished() bool {
	return s == BatchCompleted || s == BatchFailed || s == BatchPartial
}

// Batch is a group of payouts submitted together.
type Batch struct {
	BatchID         string
	Status          BatchStatus
	Priority        Priority
	ScheduledAt     *time.Time
	NotificationURL string
	// ContentHash is the canonical hash of the request content (see BatchContentHash); a second
	// submission with the same batch_id is idempotent exactly when the hashes are equal.
	ContentHash string
	PayoutCount int
	// Total is the sum of the payout amounts per currency, as exact decimal text.
	Totals     map[Currency]string
	CreatedAt  time.Time
	FinishedAt *time.Time
	// NotifiedAt is when the webhook was delivered; NotifyAttempts and NotifyError track delivery.
	NotifiedAt     *time.Time
	NotifyAttempts int
	NotifyError    string
	Version        int64
}
