package refserver

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"time"
)

// Error codes the server itself answers with; domain packages bring their own (5001–5010) through
// LucidCode.
const (
	CodeValidation       = "LUCID_ERR_4000"
	CodeMalformedBody    = "LUCID_ERR_4001"
	CodeUnauthorized     = "LUCID_ERR_4010"
	CodeForbidden        = "LUCID_ERR_4030"
	CodeRouteNotFound    = "LUCID_ERR_4040"
	CodeMethodNotAllowed = "LUCID_ERR_4050"
	CodeConflict         = "LUCID_ERR_4090"
	CodeBodyTooLarge     = "LUCID_ERR_4130"
	CodeUnsupportedMedia = "LUCID_ERR_4150"
	CodeRateLimited      = "LUCID_ERR_4291"
	CodeInternal         = "LUCID_ERR_5000"
	CodeUnavailable      = "LUCID_ERR_5030"
)

// statusByCode is the one table from LUCID_ERR_ code to HTTP status. A code missing here is
// answered as an internal error, so an unknown code can never leak a wrong 2xx.
var statusByCode = map[string]int{
	CodeValidation:       http.StatusBadRequest,
	CodeMalformedBody:    http.StatusBadRequest,
	CodeUnauthorized:     http.StatusUnauthorized,
	CodeForbidden:        http.StatusForbidden,
	CodeRouteNotFound:    http.StatusNotFound,
	CodeMethodNotAllowed: http.StatusMethodNotAllowed,
	CodeConflict:         http.StatusConflict,
	CodeBodyTooLarge:     http.StatusRequestEntityTooLarge,
	CodeUnsupportedMedia: http.StatusUnsupportedMediaType,
	CodeRateLimited:      http.StatusTooManyRequests,
	CodeInternal:         http.StatusInternalServerError,
	CodeUnavailable:      http.StatusServiceUnavailable,
	"LUCID_ERR_5001":     http.StatusNotFound,            // node not found
	"LUCID_ERR_5002":     http.StatusNotFound,            // pool not found
	"LUCID_ERR_5003":     http.StatusBadRequest,          // invalid node status
	"LUCID_ERR_5004":     http.StatusConflict,            // resource limit exceeded
	"LUCID_ERR_5005":     http.StatusUnprocessableEntity, // PoOT validation failed
	"LUCID_ERR_5006":     http.StatusUnprocessableEntity, // payout processing failed
	"LUCID_ERR_5007":     http.StatusConflict,            // node already exists
	"LUCID_ERR_5008":     http.StatusConflict,            // pool already exists
	"LUCID_ERR_5009":     http.StatusBadRequest,          // invalid resource allocation
	"LUCID_ERR_5010":     http.StatusUnprocessableEntity, // batch operation failed
}

// StatusForCode returns the HTTP status of a LUCID_ERR_ code (500 for an unknown code).
func StatusForCode(code string) int {
	if s, ok := statusByCode[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// apiError is an error raised by the HTTP layer itself (decoding, routing, limits).
type apiError struct {
	code    string
	message string
	details map[string]any
	cause   error
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return e.code + ": " + e.message + ": " + e.cause.Error()
	}
	return e.code + ": " + e.message
}
func (e *apiError) Unwrap() error                { return e.cause }
func (e *apiError) LucidCode() string            { return e.code }
func (e *apiError) LucidDetails() map[string]any { return e.details }

func newAPIError(code, message string, details map[string]any) *apiError {
	return &apiError{code: code, message: message, details: details}
}

// ErrorBody is the JSON shape of every error answer.
type ErrorBody struct {
	Error ErrorInfo `json:"error"`
}

// ErrorInfo is the inside of ErrorBody.
type ErrorInfo struct {
	Code      string         `json:"code"`
	Message   string         `json:"message"`
	Details   map[string]any `json:"details"`
	RequestID string         `json:"request_id"`
	Timestamp string         `json:"timestamp"`
}

// writeError is the one place that turns an error into an HTTP answer. Domain errors keep their
// code, message and details; anything unrecognised becomes a generic 500 and the real error goes
// only to the log.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, msg, details := CodeInternal, "internal server error", map[string]any(nil)
	var (
		lucid interface {
			LucidCode() string
		}
		maxBytes *http.MaxBytesError
	)
	switch {
	case errors.As(err, &maxBytes):
		code, msg = CodeBodyTooLarge, "request body too large"
		details = map[string]any{"limit_bytes": maxBytes.Limit}
	case errors.As(err, &lucid):
		code = lucid.LucidCode()
		if _, known := statusByCode[code]; !known {
			code = CodeInternal
			break
		}
		msg = publicMessage(err)
		var d interface{ LucidDetails() map[string]any }
		if errors.As(err, &d) {
			details = d.LucidDetails()
		}
	}
	status := StatusForCode(code)
	st := stateOf(r)
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "request_id", st.requestID, "code", code, "err", err)
		if code == CodeInternal {
			msg, details = "internal server error", nil
		}
	}
	if details == nil {
		details = map[string]any{}
	}
	st.errCode = code
	body := ErrorBody{Error: ErrorInfo{Code: code, Message: msg, Details: details,
		RequestID: st.requestID, Timestamp: s.now().UTC().Format(time.RFC3339)}}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Del("Content-Length")
	if code == CodeUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="lucid-node-management"`)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// publicMessage is the Message field of the outermost coded error, never its wrapped causes
// (which may carry database text). Every domain error type of the module has a Message field.
func publicMessage(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if x, ok := e.(*apiError); ok {
			return x.message
		}
		if _, ok := e.(interface{ LucidCode() string }); !ok {
			continue
		}
		v := reflect.ValueOf(e)
		for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
			if v.IsNil() {
				break
			}
			v = v.Elem()
		}
		if v.Kind() == reflect.Struct {
			if f := v.FieldByName("Message"); f.IsValid() && f.Kind() == reflect.String && f.String() != "" {
				return f.String()
			}
		}
		return "request failed"
	}
	return "request failed"
}
