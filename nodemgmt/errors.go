package nodemgmt

import (
	"errors"
	"fmt"
)

// Error codes used by this package, in the LUCID_ERR_ form the API returns.
const (
	CodeValidation        = "LUCID_ERR_4000"
	CodeMalformed         = "LUCID_ERR_4001"
	CodeConflict          = "LUCID_ERR_4090"
	CodeNodeNotFound      = "LUCID_ERR_5001"
	CodePoolNotFound      = "LUCID_ERR_5002"
	CodeInvalidStatus     = "LUCID_ERR_5003"
	CodeResourceLimit     = "LUCID_ERR_5004"
	CodeNodeExists        = "LUCID_ERR_5007"
	CodePoolExists        = "LUCID_ERR_5008"
	CodeInvalidAllocation = "LUCID_ERR_5009"
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

// Is lets errors.Is match two domain errors by code, so callers can test against the sentinels.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code == e.Code && t.Message == "" || t == e
	}
	return false
}

// Sentinels for errors.Is; the Service returns richer *Error values with the same codes.
var (
	ErrNodeNotFound  = &Error{Code: CodeNodeNotFound}
	ErrPoolNotFound  = &Error{Code: CodePoolNotFound}
	ErrNodeExists    = &Error{Code: CodeNodeExists}
	ErrPoolExists    = &Error{Code: CodePoolExists}
	ErrInvalidStatus = &Error{Code: CodeInvalidStatus}
	ErrResourceLimit = &Error{Code: CodeResourceLimit}
	ErrValidation    = &Error{Code: CodeValidation}
	ErrConflict      = &Error{Code: CodeConflict}
	ErrInvalidAlloc  = &Error{Code: CodeInvalidAllocation}
)

// FieldError names one invalid input field and why it was refused.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// validationError collects field errors into one LUCID_ERR_4000 error.
type validationError struct{ fields []FieldError }

func (v *validationError) add(field, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

func (v *validationError) err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &Error{Code: CodeValidation, Message: "validation failed: " + v.fields[0].Field + ": " + v.fields[0].Reason,
		Details: map[string]any{"fields": v.fields}}
}

// NotFoundNode is the error for a node id that does not exist.
func NotFoundNode(id string) error {
	return &Error{Code: CodeNodeNotFound, Message: "node not found", Details: map[string]any{"node_id": id}}
}

// NotFoundPool is the error for a pool id that does not exist.
func NotFoundPool(id string) error {
	return &Error{Code: CodePoolNotFound, Message: "pool not found", Details: map[string]any{"pool_id": id}}
}
