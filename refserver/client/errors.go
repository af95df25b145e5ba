package client

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// LUCID_ERR_ codes the server answers with (the table of docs/api-reference.md).
const (
	CodeValidation         = "LUCID_ERR_4000" // 400 validation failed
	CodeMalformedBody      = "LUCID_ERR_4001" // 400 malformed body
	CodeUnauthorized       = "LUCID_ERR_4010" // 401 missing, invalid or expired token
	CodeForbidden          = "LUCID_ERR_4030" // 403 scope, role or node not allowed
	CodeRouteNotFound      = "LUCID_ERR_4040" // 404 no such route (or unknown payout/batch)
	CodeMethodNotAllowed   = "LUCID_ERR_4050" // 405
	CodeConflict           = "LUCID_ERR_4090" // 409 generic conflict
	CodeBodyTooLarge       = "LUCID_ERR_4130" // 413
	CodeUnsupportedMedia   = "LUCID_ERR_4150" // 415 Content-Type is not application/json
	CodeRateLimited        = "LUCID_ERR_4291" // 429
	CodeInternal           = "LUCID_ERR_5000" // 500
	CodeNodeNotFound       = "LUCID_ERR_5001" // 404
	CodePoolNotFound       = "LUCID_ERR_5002" // 404
	CodeInvalidNodeStatus  = "LUCID_ERR_5003" // 400
	CodeResourceLimit      = "LUCID_ERR_5004" // 409
	CodePoOTFailed         = "LUCID_ERR_5005" // 422
	CodePayoutFailed       = "LUCID_ERR_5006" // 422
	CodeNodeExists         = "LUCID_ERR_5007" // 409
	CodePoolExists         = "LUCID_ERR_5008" // 409
	CodeInvalidAllocation  = "LUCID_ERR_5009" // 400
	CodeBatchFailed        = "LUCID_ERR_5010" // 422
	CodeServiceUnavailable = "LUCID_ERR_5030" // 503
)

// APIError is a failed call as the server described it: the HTTP status and the fields of the
// error body {"error": {"code", "message", "details", "request_id", "timestamp"}}. An answer
// without that body (a proxy's page, a truncated answer) still gives an APIError, with Code
// empty and Message taken from the body text.
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Code is the LUCID_ERR_ code ("" when the answer had no API error body).
	Code string
	// Message is the server's human-readable message.
	Message string
	// Details are the machine-readable details (field errors, limits, reasons).
	Details map[string]any
	// RequestID identifies the request in the server's logs (X-Request-ID).
	RequestID string
	// Timestamp is when the server answered (zero if absent).
	Timestamp time.Time
	// RetryAfter is the server's Retry-After (429, 503), zero when absent.
	RetryAfter time.Duration
}

// Error returns "client: LUCID_ERR_NNNN: message (HTTP nnn Status Text, request id)".
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("client: ")
	if e.Code != "" {
		b.WriteString(e.Code)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	b.WriteString(" (HTTP ")
	b.WriteString(strconv.Itoa(e.Status))
	if t := http.StatusText(e.Status); t != "" {
		b.WriteString(" ")
		b.WriteString(t)
	}
	if e.RequestID != "" {
		b.WriteString(", request ")
		b.WriteString(e.RequestID)
	}
	b.WriteString(")")
	return b.String()
}

// LucidCode returns the LUCID_ERR_ code, so code that already handles domain errors through
// interface{ LucidCode() string } handles API errors the same way.
func (e *APIError) LucidCode() string { return e.Code }

// LucidDetails returns the details object.
func (e *APIError) LucidDetails() map[string]any { return e.Details }

// Is matches any error that carries the same LUCID_ERR_ code: the domain sentinels
// (nodemgmt.ErrNodeNotFound, nodemgmt.ErrPoolExists, poot.ErrMalformed, …) and other
// APIErrors. A target without a code never matches.
func (e *APIError) Is(target error) bool {
	if e.Code == "" {
		return false
	}
	t, ok := target.(interface{ LucidCode() string })
	return ok && t.LucidCode() == e.Code
}

// FieldErrors returns the {field, reason} pairs of a validation error's details ("fields" list,
// or a single "field"/"reason"), in the server's order.
func (e *APIError) FieldErrors() []FieldError {
	var out []FieldError
	if list, ok := e.Details["fields"].([]any); ok {
		for _, it := range list {
			m, ok := it.(map[string]any)
			if !ok {
				continue
			}
			f, _ := m["field"].(string)
			r, _ := m["reason"].(string)
			out = append(out, FieldError{Field: f, Reason: r})
		}
		return out
	}
	if f, ok := e.Details["field"].(string); ok {
		r, _ := e.Details["reason"].(string)
		out = append(out, FieldError{Field: f, Reason: r})
	}
	return out
}

// FieldError is one refused input field of a validation error.
type FieldError struct {
	Field  string
	Reason string
}

// AsAPIError returns the *APIError inside err, if any.
func AsAPIError(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e)
	return e, ok
}

// StatusOf returns the HTTP status of an API error, 0 for any other error.
func StatusOf(err error) int {
	if e, ok := AsAPIError(err); ok {
		return e.Status
	}
	return 0
}

// CodeOf returns the LUCID_ERR_ code of an API error, "" for any other error.
func CodeOf(err error) string {
	if e, ok := AsAPIError(err); ok {
		return e.Code
	}
	return ""
}

// IsNotFound reports a 404: an unknown node, pool, payout, batch or route.
func IsNotFound(err error) bool { return StatusOf(err) == http.StatusNotFound }

// IsConflict reports a 409: an existing node or pool name, a full pool, a reused batch id.
func IsConflict(err error) bool { return StatusOf(err) == http.StatusConflict }

// IsValidation reports a refused input (LUCID_ERR_4000 or 4001); see APIError.FieldErrors.
func IsValidation(err error) bool {
	c := CodeOf(err)
	return c == CodeValidation || c == CodeMalformedBody
}

// IsUnauthorized reports a 401: no token, or an invalid or expired one.
func IsUnauthorized(err error) bool { return StatusOf(err) == http.StatusUnauthorized }

// IsForbidden reports a 403: the token lacks the scope or may not touch that node.
func IsForbidden(err error) bool { return StatusOf(err) == http.StatusForbidden }

// IsRateLimited reports a 429 (LUCID_ERR_4291); APIError.RetryAfter says when to come back.
func IsRateLimited(err error) bool { return StatusOf(err) == http.StatusTooManyRequests }

// errorBody is the JSON shape of every API error answer.
type errorBody struct {
	Error *struct {
		Code      string         `json:"code"`
		Message   string         `json:"message"`
		Details   map[string]any `json:"details"`
		RequestID string         `json:"request_id"`
		Timestamp string         `json:"timestamp"`
	} `json:"error"`
}

// parseError builds the APIError of a non-success answer.
func parseError(resp *http.Response, raw []byte) *APIError {
	e := &APIError{
		Status:     resp.StatusCode,
		RequestID:  resp.Header.Get("X-Request-ID"),
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
	var body errorBody
	if json.Unmarshal(raw, &body) == nil && body.Error != nil && body.Error.Code != "" {
		e.Code = body.Error.Code
		e.Message = body.Error.Message
		e.Details = body.Error.Details
		if body.Error.RequestID != "" {
			e.RequestID = body.Error.RequestID
		}
		if t, err := time.Parse(time.RFC3339, body.Error.Timestamp); err == nil {
			e.Timestamp = t
		}
		return e
	}
	e.Message = snippet(raw)
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	if e.Message == "" {
		e.Message = "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	return e
}

// snippet returns the start of a non-API answer as printable text.
func snippet(raw []byte) string {
	const n = 200
	if len(raw) > n {
		raw = raw[:n]
	}
	s := strings.ToValidUTF8(string(raw), "")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}
