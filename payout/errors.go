package payout

import (
	"errors"
	"fmt"
)

// Error codes used by this package (the HTTP edge maps them to statuses).
const (
	// CodeValidation is a request that failed validation (400).
	CodeValidation = "LUCID_ERR_4000"
	// CodeMalformed is a body that is not valid JSON for the expected shape (400).
	CodeMalformed = "LUCID_ERR_4001"
	// CodeConflict is a batch_id reused with different content (409). The generic conflict code
	// is used rather than 5010 because the HTTP status must be 409 and 5010 maps to 422.
	CodeConflict = "LUCID_ERR_4090"
	// CodeNotFound is an unknown payout or batch (404).
	CodeNotFound = "LUCID_ERR_4040"
	// CodeInternal is an internal failure (500).
	CodeInternal = "LUCID_ERR_5000"
	// CodeUnavailable is a dependency (chain, store) that is temporarily unavailable (503).
	CodeUnavailable = "LUCID_ERR_5030"
	// CodeProcessingFailed is a payout that could not be processed (422).
	CodeProcessingFailed = "LUCID_ERR_5006"
	// CodeBatchFailed is a batch operation that failed (422).
	CodeBatchFailed = "LUCID_ERR_5010"
)

// Error is the payout domain error; the server maps it to HTTP through LucidCode.
type Error struct {
	Code    string
	Message string
	Details map[string]any
	Err     error
}

// Error returns the message, with the wrapped cause when there is one.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the wrapped cause.
func (e *Error) Unwrap() error { return e.Err }

// LucidCode returns the LUCID_ERR_ code.
func (e *Error) LucidCode() string { return e.Code }

// LucidDetails returns the machine-readable details.
func (e *Error) LucidDetails() map[string]any { return e.Details }

// Sentinel errors; match with errors.Is.
var (
	// ErrNotFound is returned by a Store when a payout, batch or record does not exist.
	ErrNotFound = errors.New("payout: not found")
	// ErrConflict is returned by a Store when a compare-and-set precondition does not hold or a
	// key already exists.
	ErrConflict = errors.New("payout: conflict")
	// ErrChainUnavailable marks a transient chain failure (network, node busy, timeout): the
	// operation may be retried later with the same inputs. ChainClient implementations wrap it
	// (fmt.Errorf("...: %w", ErrChainUnavailable)); any other ChainClient error is also retried
	// with backoff by the Processor, but only this one is considered expected.
	ErrChainUnavailable = errors.New("payout: chain unavailable")
	// ErrTransferRejected marks a transfer the chain refused for good (bad address, insufficient
	// balance, out of energy): Transfer or Broadcast returning it fails the payout instead of
	// retrying, provided no transaction for it can still be included.
	ErrTransferRejected = errors.New("payout: transfer rejected")
)

// FieldError is one field-level validation failure.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func validationError(msg string, fields ...FieldError) *Error {
	list := make([]map[string]any, 0, len(fields))
	for _, f := range fields {
		list = append(list, map[string]any{"field": f.Field, "reason": f.Reason})
	}
	d := map[string]any{"errors": list}
	if len(fields) > 0 { // the first failure also at top level for simple clients
		d["field"] = fields[0].Field
		d["reason"] = fields[0].Reason
	}
	return &Error{Code: CodeValidation, Message: msg, Details: d}
}
