package poot

import (
	"errors"
	"fmt"
)

// Error codes used by this package, in the LUCID_ERR_ form the API returns.
const (
	CodeValidation       = "LUCID_ERR_4000"
	CodeMalformedBody    = "LUCID_ERR_4001"
	CodeBodyTooLarge     = "LUCID_ERR_4130"
	CodeInternal         = "LUCID_ERR_5000"
	CodeUnavailable      = "LUCID_ERR_5030"
	CodeNodeNotFound     = "LUCID_ERR_5001"
	CodeInvalidStatus    = "LUCID_ERR_5003"
	CodeValidationFailed = "LUCID_ERR_5005"
	CodeBatchFailed      = "LUCID_ERR_5010"
)

// Error is a domain error that carries its LUCID_ERR_ code and machine-readable details.
type Error struct {
	Code    string
	Message string
	Details map[string]any
	Err     error
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

// Unwrap exposes the wrapped cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// LucidCode returns the LUCID_ERR_ code the HTTP layer answers with.
func (e *Error) LucidCode() string { return e.Code }

// LucidDetails returns the details object of the API error body.
func (e *Error) LucidDetails() map[string]any { return e.Details }

// Is lets errors.Is match a domain error against a code-only sentinel such as ErrMalformed.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t == e || (t.Message == "" && t.Code == e.Code)
	}
	return false
}

// Code-only sentinels for errors.Is against the *Error values this package returns.
var (
	// ErrMalformed matches decoding failures of untrusted JSON (LUCID_ERR_4001).
	ErrMalformed = &Error{Code: CodeMalformedBody}
	// ErrTooLarge matches bodies over the decoder's size limit (LUCID_ERR_4130).
	ErrTooLarge = &Error{Code: CodeBodyTooLarge}
	// ErrInvalidRequest matches requests refused before any proof is judged (LUCID_ERR_4000).
	ErrInvalidRequest = &Error{Code: CodeValidation}
	// ErrProofRejected matches the error form of a rejected proof (LUCID_ERR_5005).
	ErrProofRejected = &Error{Code: CodeValidationFailed}
	// ErrInternal matches failures of the store or directory (LUCID_ERR_5000).
	ErrInternal = &Error{Code: CodeInternal}
)

// Sentinel errors that Store and NodeDirectory implementations return; the Validator tests
// them with errors.Is, so implementations may wrap them.
var (
	// ErrNonceReplayed is returned by Store.ConsumeNonce when the (node, nonce) pair was
	// already consumed and its record has not expired.
	ErrNonceReplayed = errors.New("poot: nonce already consumed")
	// ErrChallengeNotFound is returned by Store.ConsumeChallenge when no challenge has that nonce.
	ErrChallengeNotFound = errors.New("poot: challenge not found")
	// ErrChallengeOtherNode is returned by Store.ConsumeChallenge when the nonce belongs to a
	// challenge issued to another node; that challenge must be left in place.
	ErrChallengeOtherNode = errors.New("poot: challenge issued to another node")
	// ErrNodeNotFound is returned by NodeDirectory.LookupNode for an unknown node id.
	ErrNodeNotFound = errors.New("poot: node not found")
)

func internalError(msg string, err error) *Error {
	return &Error{Code: CodeInternal, Message: msg, Err: err}
}
