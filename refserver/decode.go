package refserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// decodeJSON reads the request body into dst strictly: Content-Type application/json, no unknown
// fields, exactly one JSON value. The errors it returns carry LUCID_ERR_4001, 4130 or 4150 and
// name the offending field where the decoder knows it.
func decodeJSON(r *http.Request, dst any) error {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != "application/json" {
		return newAPIError(CodeUnsupportedMedia, "Content-Type must be application/json",
			map[string]any{"content_type": truncate(ct, 100)})
	}
	return decodeJSONBody(r.Body, dst)
}

// decodeJSONBody is the body half of decodeJSON, separate so it can be fuzzed.
func decodeJSONBody(body io.Reader, dst any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	// Exactly one value: anything but whitespace after it is refused.
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return err
		}
		return newAPIError(CodeMalformedBody, "request body must contain exactly one JSON value", nil)
	}
	return nil
}

// jsonError classifies an encoding/json error into a client error naming the field.
func jsonError(err error) error {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
		mb     *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mb):
		return err
	case errors.Is(err, io.EOF):
		return newAPIError(CodeMalformedBody, "request body is empty", nil)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return newAPIError(CodeMalformedBody, "request body is truncated JSON", nil)
	case errors.As(err, &syntax):
		return newAPIError(CodeMalformedBody, "request body is not valid JSON",
			map[string]any{"offset": syntax.Offset, "reason": syntax.Error()})
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return newAPIError(CodeMalformedBody, "field "+field+" has the wrong type",
			map[string]any{"field": field, "expected": typ.Type.String(), "got": typ.Value})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return newAPIError(CodeMalformedBody, "unknown field "+truncate(field, 100),
			map[string]any{"field": truncate(field, 100), "reason": "unknown field"})
	}
	// Errors raised by a type's UnmarshalJSON (for example a decimal) are client errors too.
	return newAPIError(CodeMalformedBody, "request body could not be decoded",
		map[string]any{"reason": truncate(err.Error(), 200)})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// query reads query parameters strictly: unknown parameters, repeated parameters and values out
// of range are refused with LUCID_ERR_4000 naming the parameter.
type query struct {
	values  url.Values
	allowed []string
	fields  []fieldError
}

type fieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func newQuery(v url.Values, allowed ...string) *query {
	q := &query{values: v, allowed: allowed}
	for name, vals := range v {
		if !slices.Contains(allowed, name) {
			q.fail(truncate(name, 64), "unknown query parameter")
			continue
		}
		if len(vals) > 1 {
			q.fail(name, "given more than once")
		}
	}
	return q
}

func (q *query) fail(field, reason string) { q.fields = append(q.fields, fieldError{field, reason}) }

func (q *query) str(name string) string { return q.values.Get(name) }

// intIn parses an optional integer within [lo, hi]; def when absent.
func (q *query) intIn(name string, def, lo, hi int) int {
	raw, ok := q.values[name]
	if !ok {
		return def
	}
	n, err := strconv.Atoi(raw[0])
	if err != nil {
		q.fail(name, "must be an integer")
		return def
	}
	if n < lo || n > hi {
		q.fail(name, "must be "+strconv.Itoa(lo)+"–"+strconv.Itoa(hi))
		return def
	}
	return n
}

// enum parses an optional value that must be one of allowed.
func (q *query) enum(name string, allowed ...string) string {
	raw, ok := q.values[name]
	if !ok {
		return ""
	}
	if !slices.Contains(allowed, raw[0]) {
		q.fail(name, "must be one of "+strings.Join(allowed, ", "))
		return ""
	}
	return raw[0]
}

// err returns the collected problems as one validation error, or nil.
func (q *query) err() error {
	if len(q.fields) == 0 {
		return nil
	}
	slices.SortFunc(q.fields, func(a, b fieldError) int { return strings.Compare(a.Field, b.Field) })
	return newAPIError(CodeValidation, "invalid query: "+q.fields[0].Field+": "+q.fields[0].Reason,
		map[string]any{"fields": q.fields})
}

// noBody refuses a body on routes that take none, so a client mistake is not silently ignored.
func noBody(r *http.Request) error {
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	var buf [1]byte
	n, _ := io.ReadFull(r.Body, buf[:])
	if n == 0 {
		return nil
	}
	// An empty JSON object is tolerated: some clients always send one.
	rest, _ := io.ReadAll(io.LimitReader(r.Body, 64))
	if bytes.Equal(bytes.TrimSpace(append(buf[:n], rest...)), []byte("{}")) {
		return nil
	}
	return newAPIError(CodeMalformedBody, "this route takes no request body", nil)
}
