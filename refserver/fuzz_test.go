package refserver

import (
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

// FuzzDecodeBody feeds arbitrary bytes to the strict body decoder and to POST /api/v1/nodes and
// /api/v1/nodes/pools: the decoder either succeeds or returns a coded client error, and the
// server never answers 5xx.
func FuzzDecodeBody(f *testing.F) {
	f.Add([]byte(nodeBody("fuzznode", "")))
	f.Add([]byte(`{"name":"p1x","max_nodes":5}`))
	f.Add([]byte(`{"name":1}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`{"name":"a\u0000b"}`))
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		e := e.with(t)
		for _, dst := range []any{&nodemgmt.CreateNodeRequest{}, &nodemgmt.UpdateNodeRequest{},
			&nodemgmt.CreatePoolRequest{}, &nodemgmt.MaintenanceRequest{}} {
			err := decodeJSONBody(strings.NewReader(string(body)), dst)
			if err == nil {
				continue
			}
			var coded interface{ LucidCode() string }
			if !errors.As(err, &coded) || coded.LucidCode() != CodeMalformedBody {
				t.Fatalf("decoder error not a 4001: %v", err)
			}
		}
		for _, path := range []string{"/api/v1/nodes", "/api/v1/nodes/pools"} {
			r := e.do("POST", path, e.admin, string(body))
			if r.Code >= 500 || (r.Code >= 300 && r.Code != 400 && r.Code != 409 && r.Code != 413 && r.Code != 415) {
				t.Fatalf("POST %s answered %d: %s", path, r.Code, r.Body)
			}
			if r.Code >= 400 {
				r.errCode(t)
			}
		}
	})
}

// FuzzQuery feeds arbitrary raw query strings to the list routes: 200 or a 400 in the SPEC
// shape, never anything else.
func FuzzQuery(f *testing.F) {
	f.Add("page=2&limit=10&status=active")
	f.Add("page=0")
	f.Add("limit=101&health=down&pool_id=pool_abcdef12")
	f.Add("cursor=MTIzfG5vZGVfYQ")
	f.Add("status=%00&status=active")
	e := newEnv(f)
	e.createNode("fuzzqnode", "")
	f.Fuzz(func(t *testing.T, raw string) {
		e := e.with(t)
		if _, err := url.ParseQuery(raw); err != nil {
			return // the server refuses these the same way; the case of interest is a parsed query
		}
		for _, path := range []string{"/api/v1/nodes", "/api/v1/nodes/pools", "/api/v1/audit"} {
			req := httptest.NewRequest("GET", path, nil)
			req.URL.RawQuery = raw
			req.Header.Set("Authorization", "Bearer "+e.admin)
			r := e.serve(req)
			switch r.Code {
			case 200:
			case 400:
				r.errCode(t)
			default:
				t.Fatalf("GET %s?%s answered %d: %s", path, raw, r.Code, r.Body)
			}
		}
	})
}
