package payout

import (
	"context"
	"time"
)

// TransferRequest asks a ChainClient to build and sign one transfer.
type TransferRequest struct {
	// PayoutID is the idempotency reference of the payout; clients may use it as a memo.
	PayoutID string
	// To is the destination address (TRON base58check for USDT).
	To string
	// Amount is what to pay, in its currency.
	Amount Amount
}

// SignedTransfer is a signed transaction ready to broadcast. Raw is rebroadcast byte for byte,
// so a retry can never create a second transaction.
type SignedTransfer struct {
	// TxID is the lowercase hex transaction id.
	TxID string
	// Raw is the serialized signed transaction.
	Raw []byte
	// Expiration is the chain time after which the chain will never include the transaction.
	Expiration time.Time
}

// TxState is what the chain knows of a transaction.
type TxState string

// Transaction states reported by ChainClient.Status.
const (
	// TxNotFound: the chain has neither included nor (as far as it says) pooled the transaction.
	TxNotFound TxState = "not_found"
	// TxPending: known to the node (in its pool) but not in a block yet.
	TxPending TxState = "pending"
	// TxIncluded: in a block, with fewer confirmations than the client's configured depth.
	TxIncluded TxState = "included"
	// TxConfirmed: in a block at or beyond the confirmation depth and succeeded.
	TxConfirmed TxState = "confirmed"
	// TxFailed: in a block but the transfer reverted (it paid nothing); Reason says why.
	TxFailed TxState = "failed"
)

// TxStatus is the chain's view of one transaction.
type TxStatus struct {
	// State is the transaction's state.
	State TxState
	// BlockNumber is the including block, when included.
	BlockNumber int64
	// Confirmations counts blocks on top of and including the including block.
	Confirmations int64
	// Reason says why the transaction failed, when State is TxFailed.
	Reason string
}

// ChainClient builds, signs, broadcasts and looks up transfers on one chain, paying from one
// payer account. payout/tron implements it for TRON. Errors that are transient should wrap
// ErrChainUnavailable; permanent refusals should wrap ErrTransferRejected.
type ChainClient interface {
	// Transfer builds and signs (does not broadcast) a transfer.
	Transfer(ctx context.Context, req TransferRequest) (SignedTransfer, error)
	// Broadcast submits the exact signed bytes; re-broadcasting an already-known tx is not an error.
	Broadcast(ctx context.Context, tx SignedTransfer) error
	// Status reports what the chain knows of a transaction id.
	Status(ctx context.Context, txID string) (TxStatus, error)
	// Now is the chain's head block time, used to decide that an unbroadcast/absent tx has expired.
	Now(ctx context.Context) (time.Time, error)
	// Balance is the payer's balance in the currency.
	Balance(ctx context.Context, c Currency) (Amount, error)
}
