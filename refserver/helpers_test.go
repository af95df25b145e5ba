package refserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/refserver/auth"
	"github.com/hamigames/lucid-node-management/storage/memory"
)

const testSecret = "0123456789abcdef0123456789abcdef-test-secret"

// env is a server under test with tokens for each kind of caller.
type env struct {
	t     testing.TB
	srv   *Server
	admin string
}

// testConfig returns a valid config with the rate limits lifted.
func testConfig() Config {
	c := DefaultConfig()
	c.JWTSecret = testSecret
	c.RateLimits = RateLimits{}
	return c
}

func newEnv(t testing.TB, mutate ...func(*Config, *Deps)) *env {
	t.Helper()
	cfg := testConfig()
	deps := Deps{Store: memory.New(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, m := range mutate {
		m(&cfg, &deps)
	}
	srv, err := New(cfg, deps)
	require.NoError(t, err)
	e := &env{t: t, srv: srv}
	e.admin = e.token(auth.RoleAdmin, "")
	return e
}

// with returns a copy of e reporting to t (fuzz targets must not use the F).
func (e *env) with(t testing.TB) *env {
	c := *e
	c.t = t
	return &c
}

func (e *env) token(role auth.Role, node string) string {
	e.t.Helper()
	tok, err := e.srv.Authority().Issue(role, node, time.Hour)
	require.NoError(e.t, err)
	return tok
}

// resp is a recorded answer.
type resp struct {
	Code   int
	Header http.Header
	Body   []byte
}

func (r resp) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), "body: %s", r.Body)
	return m
}

// errCode returns the LUCID_ERR_ code of an error answer, checking the whole SPEC shape.
func (r resp) errCode(t testing.TB) string {
	t.Helper()
	require.Equal(t, "application/json", r.Header.Get("Content-Type"), "body: %s", r.Body)
	var body struct {
		Error struct {
			Code      string         `json:"code"`
			Message   string         `json:"message"`
			Details   map[string]any `json:"details"`
			RequestID string         `json:"request_id"`
			Timestamp string         `json:"timestamp"`
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&body), "body: %s", r.Body)
	require.Regexp(t, `^LUCID_ERR_\d{4}$`, body.Error.Code)
	require.NotEmpty(t, body.Error.Message)
	require.NotNil(t, body.Error.Details)
	require.Equal(t, r.Header.Get("X-Request-ID"), body.Error.RequestID)
	_, err := time.Parse(time.RFC3339, body.Error.Timestamp)
	require.NoError(t, err)
	require.Equal(t, StatusForCode(body.Error.Code), r.Code)
	return body.Error.Code
}

// do sends one request through the full handler.
func (e *env) do(method, path, token, body string, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequestWithContext(context.Background(), method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return e.serve(req)
}

// serve runs req through the full handler.
func (e *env) serve(req *http.Request) resp {
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	return resp{Code: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// must sends a request that must answer want and decodes the body into out (if not nil).
func (e *env) must(want int, method, path, token, body string, out any) {
	e.t.Helper()
	r := e.do(method, path, token, body)
	require.Equal(e.t, want, r.Code, "%s %s: %s", method, path, r.Body)
	if out != nil {
		require.NoError(e.t, json.Unmarshal(r.Body, out))
	}
}

func nodeBody(name, pool string) string {
	m := map[string]any{
		"name":      name,
		"node_type": "worker",
		"hardware_info": map[string]any{
			"cpu":     map[string]any{"cores": 8, "frequency_mhz": 3200, "architecture": "x86_64"},
			"memory":  map[string]any{"total_bytes": 16 << 30, "type": "DDR4"},
			"storage": map[string]any{"total_bytes": 500_000_000_000, "type": "SSD", "interface": "SATA"},
			"network": []any{map[string]any{"interface": "eth0", "speed_mbps": 1000, "mac_address": "aa:bb:cc:dd:ee:ff"}},
		},
	}
	if pool != "" {
		m["pool_id"] = pool
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func (e *env) createPool(name string) *nodemgmt.Pool {
	e.t.Helper()
	var p nodemgmt.Pool
	e.must(http.StatusCreated, "POST", "/api/v1/nodes/pools", e.admin, `{"name":"`+name+`","max_nodes":10}`, &p)
	return &p
}

func (e *env) createNode(name, pool string) *nodemgmt.Node {
	e.t.Helper()
	var n nodemgmt.Node
	e.must(http.StatusCreated, "POST", "/api/v1/nodes", e.admin, nodeBody(name, pool), &n)
	return &n
}
