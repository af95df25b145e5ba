package client

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
)

// FuzzParseError feeds arbitrary answers (status, Retry-After, body) to the error parser: an
// answer comes from the network and may be anything a proxy or a broken server sends.
func FuzzParseError(f *testing.F) {
	f.Add(404, "", []byte(`{"error":{"code":"LUCID_ERR_5001","message":"node not found","details":{"node_id":"node_x"},"request_id":"7c700179-0807-4f3d-a5bc-4ebdabf26b8d","timestamp":"2026-11-27T02:04:57Z"}}`))
	f.Add(400, "", []byte(`{"error":{"code":"LUCID_ERR_4000","message":"m","details":{"fields":[{"field":"name","reason":"r"},7,{"field":1}]}}}`))
	f.Add(429, "7", []byte(`{"error":{"code":"LUCID_ERR_4291","message":"rate limit exceeded","details":{"limit":2,"retry_after_seconds":7}}}`))
	f.Add(502, "Thu, 01 Jan 2026 00:00:10 GMT", []byte("<html><body>Bad Gateway</body></html>"))
	f.Add(500, "", []byte(`{"error":null}`))
	f.Add(503, "-5", []byte(`{"error":{"code":""}}`))
	f.Add(418, "99999999999999999999", []byte("\x00\xff\xfe{"))
	f.Fuzz(func(t *testing.T, status int, retryAfter string, body []byte) {
		if status < 100 || status > 999 {
			return
		}
		resp := &http.Response{StatusCode: status, Header: http.Header{}}
		resp.Header.Set("Retry-After", retryAfter)
		e := parseError(resp, body)
		if e.Status != status {
			t.Fatalf("status %d became %d", status, e.Status)
		}
		if e.RetryAfter < 0 {
			t.Fatalf("negative Retry-After %v", e.RetryAfter)
		}
		if e.Code != "" && !strings.Contains(string(body), e.Code) {
			t.Fatalf("code %q not from the body", e.Code)
		}
		if e.Code == "" {
			if e.Message == "" {
				t.Fatal("an answer without an API body has no message")
			}
			if len(e.Message) > 200 {
				t.Fatalf("snippet of %d bytes", len(e.Message))
			}
			for _, r := range e.Message {
				if unicode.IsControl(r) || r == unicode.ReplacementChar {
					t.Fatalf("unprintable %q in the snippet", r)
				}
			}
		}
		_ = e.FieldErrors()
		if e.Error() == "" {
			t.Fatal("empty Error()")
		}
		if e.Timestamp.After(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatal("timestamp beyond RFC 3339")
		}
	})
}
