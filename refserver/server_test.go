package refserver

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/refserver/auth"
)

// apiRoute is one /api/v1 route with a body good enough to get past decoding.
type apiRoute struct {
	method, path, body string
	scope              auth.Scope
	workerOwn          bool // a worker may call it for its own node
}

// apiRoutes lists every /api/v1 route with placeholder ids.
func apiRoutes(nodeID, poolID string) []apiRoute {
	n, p := "/api/v1/nodes/"+nodeID, "/api/v1/nodes/pools/"+poolID
	r, w := auth.ScopeNodeRead, auth.ScopeNodeWrite
	return []apiRoute{
		{"GET", "/api/v1/nodes", "", r, false},
		{"POST", "/api/v1/nodes", nodeBody("authnode", ""), w, false},
		{"GET", n, "", r, true},
		{"PUT", n, `{"name":"renamed"}`, w, false},
		{"DELETE", n, "", w, false},
		{"POST", n + "/start", "", w, false},
		{"POST", n + "/stop", "", w, false},
		{"POST", n + "/restart", "", w, false},
		{"POST", n + "/heartbeat", "", w, true},
		{"POST", n + "/maintenance", `{"reason":"disk swap","drain":true}`, w, false},
		{"DELETE", n + "/maintenance", "", w, false},
		{"GET", "/api/v1/nodes/pools", "", r, false},
		{"POST", "/api/v1/nodes/pools", `{"name":"authpool"}`, w, false},
		{"GET", p, "", r, false},
		{"PUT", p, `{"description":"x"}`, w, false},
		{"DELETE", p, "", w, false},
		{"POST", p + "/nodes", `{"node_id":"` + nodeID + `"}`, w, false},
		{"DELETE", p + "/nodes/" + nodeID, "", w, false},
		{"GET", "/api/v1/audit", "", r, false},
	}
}

func TestEveryRouteRefusesMissingAndBadTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	other, err := auth.New(auth.Config{Secret: []byte("another-secret-another-secret-xx-32")})
	require.NoError(t, err)
	wrongSig, err := other.Issue(auth.RoleAdmin, "", time.Hour)
	require.NoError(t, err)
	past, err := auth.New(auth.Config{Secret: []byte(testSecret), Now: func() time.Time { return time.Now().Add(-3 * time.Hour) }})
	require.NoError(t, err)
	expired, err := past.Issue(auth.RoleAdmin, "", time.Hour)
	require.NoError(t, err)
	algNone := unsignedToken(t)
	for _, rt := range apiRoutes("node_abcdef12", "pool_abcdef12") {
		for name, tok := range map[string]string{"none": "", "garbage": "abc.def.ghi", "wrong-signature": wrongSig,
			"expired": expired, "alg-none": algNone} {
			t.Run(rt.method+" "+rt.path+" "+name, func(t *testing.T) {
				r := e.do(rt.method, rt.path, tok, rt.body)
				require.Equal(t, http.StatusUnauthorized, r.Code, "%s", r.Body)
				require.Equal(t, CodeUnauthorized, r.errCode(t))
				require.Contains(t, r.Header.Get("WWW-Authenticate"), "Bearer")
			})
		}
	}
	// Nothing was written by any of those requests.
	var nodes nodemgmt.NodeList
	e.must(200, "GET", "/api/v1/nodes", e.admin, "", &nodes)
	assert.Zero(t, nodes.Pagination.Total)
}

// unsignedToken is an admin token with alg "none" and the right claims.
func unsignedToken(t *testing.T) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{
		"iss": auth.DefaultIssuer, "sub": "admin", "role": "admin", "scopes": []string{"node:read", "node:write"},
		"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(),
	})
	s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
	require.NoError(t, err)
	return s
}

func TestEveryRouteChecksScopesAndWorkerBinding(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	node := e.createNode("scopenode", "")
	pool := e.createPool("scopepool")
	other := e.createNode("othernode", "")
	issue := func(role auth.Role, node string, scopes ...auth.Scope) string {
		tok, err := e.srv.Authority().IssueToken(auth.TokenRequest{Role: role, NodeID: node, Scopes: scopes, TTL: time.Hour})
		require.NoError(t, err)
		return tok
	}
	readOnly := issue(auth.RoleAdmin, "", auth.ScopeNodeRead)
	pootOnly := issue(auth.RoleAdmin, "", auth.ScopePoOTRead)
	validator := e.token(auth.RoleValidator, "")
	workerOther := e.token(auth.RoleWorker, other.NodeID)
	workerOwn := e.token(auth.RoleWorker, node.NodeID)
	for _, rt := range apiRoutes(node.NodeID, pool.PoolID) {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			// A token without the route's scope.
			lacking := pootOnly
			if rt.scope == auth.ScopeNodeWrite {
				lacking = readOnly
				r := e.do(rt.method, rt.path, validator, rt.body)
				require.Equal(t, http.StatusForbidden, r.Code, "validator: %s", r.Body)
				require.Equal(t, CodeForbidden, r.errCode(t))
			}
			r := e.do(rt.method, rt.path, lacking, rt.body)
			require.Equal(t, http.StatusForbidden, r.Code, "%s", r.Body)
			require.Equal(t, CodeForbidden, r.errCode(t))
			// A worker of another node is always refused.
			r = e.do(rt.method, rt.path, workerOther, rt.body)
			require.Equal(t, http.StatusForbidden, r.Code, "%s", r.Body)
			require.Equal(t, CodeForbidden, r.errCode(t))
			if !rt.workerOwn {
				r = e.do(rt.method, rt.path, workerOwn, rt.body)
				require.Equal(t, http.StatusForbidden, r.Code, "own worker: %s", r.Body)
			}
		})
	}
	// The worker of the node may read it and heartbeat it, nothing else.
	e.must(200, "GET", "/api/v1/nodes/"+node.NodeID, workerOwn, "", nil)
	var ack nodemgmt.HeartbeatAck
	e.must(200, "POST", "/api/v1/nodes/"+node.NodeID+"/heartbeat", workerOwn, "", &ack)
	assert.Equal(t, 90, ack.TTLSeconds)
	// Nothing changed by refused requests: names, statuses and the pool are as created.
	var got nodemgmt.Node
	e.must(200, "GET", "/api/v1/nodes/"+node.NodeID, e.admin, "", &got)
	assert.Equal(t, "scopenode", got.Name)
	assert.Equal(t, nodemgmt.StatusInactive, got.Status)
	var pools nodemgmt.PoolList
	e.must(200, "GET", "/api/v1/nodes/pools", e.admin, "", &pools)
	require.Len(t, pools.Pools, 1)
	assert.Equal(t, 0, pools.Pools[0].NodeCount)
}

func TestFullFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pool := e.createPool("flowpool")
	node := e.createNode("flownode", pool.PoolID)
	assert.Equal(t, nodemgmt.StatusInactive, node.Status)
	assert.Equal(t, pool.PoolID, node.PoolID)

	var res nodemgmt.LifecycleResult
	e.must(200, "POST", "/api/v1/nodes/"+node.NodeID+"/start", e.admin, "", &res)
	assert.Equal(t, nodemgmt.StatusStarting, res.Status)
	require.NotNil(t, res.StartedAt)

	worker := e.token(auth.RoleWorker, node.NodeID)
	var ack nodemgmt.HeartbeatAck
	e.must(200, "POST", "/api/v1/nodes/"+node.NodeID+"/heartbeat", worker, "", &ack)
	assert.Equal(t, nodemgmt.StatusActive, ack.Status)
	assert.Equal(t, nodemgmt.HealthHealthy, ack.Health)
	assert.Equal(t, 90, ack.TTLSeconds)

	// More nodes for filters and paging.
	for i := range 5 {
		e.createNode(fmt.Sprintf("pagenode%d", i), "")
	}
	var list nodemgmt.NodeList
	e.must(200, "GET", "/api/v1/nodes?status=active", e.admin, "", &list)
	require.Len(t, list.Nodes, 1)
	assert.Equal(t, node.NodeID, list.Nodes[0].NodeID)
	e.must(200, "GET", "/api/v1/nodes?pool_id="+pool.PoolID, e.admin, "", &list)
	require.Len(t, list.Nodes, 1)
	e.must(200, "GET", "/api/v1/nodes?health=healthy&status=active", e.admin, "", &list)
	require.Len(t, list.Nodes, 1)

	e.must(200, "GET", "/api/v1/nodes?page=2&limit=2", e.admin, "", &list)
	assert.Equal(t, nodemgmt.Pagination{Page: 2, Limit: 2, Total: 6, Pages: 3, NextCursor: list.Pagination.NextCursor}, list.Pagination)
	require.Len(t, list.Nodes, 2)
	assert.Equal(t, "pagenode1", list.Nodes[0].Name)

	// Walk all pages by cursor: every node exactly once, in creation order.
	var seen []string
	cursor := ""
	for range 10 {
		path := "/api/v1/nodes?limit=4"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		list = nodemgmt.NodeList{}
		e.must(200, "GET", path, e.admin, "", &list)
		for _, n := range list.Nodes {
			seen = append(seen, n.Name)
		}
		cursor = list.Pagination.NextCursor
		if cursor == "" {
			break
		}
	}
	assert.Equal(t, []string{"flownode", "pagenode0", "pagenode1", "pagenode2", "pagenode3", "pagenode4"}, seen)

	// Maintenance records who and why; exit returns the node to inactive.
	var mn nodemgmt.Node
	e.must(200, "POST", "/api/v1/nodes/"+node.NodeID+"/maintenance", e.admin, `{"reason":"disk swap","drain":true}`, &mn)
	assert.Equal(t, nodemgmt.StatusMaintenance, mn.Status)
	require.NotNil(t, mn.Maintenance)
	assert.Equal(t, "admin", mn.Maintenance.By)
	assert.True(t, mn.Maintenance.Drain)
	e.must(200, "DELETE", "/api/v1/nodes/"+node.NodeID+"/maintenance", e.admin, "", &mn)
	assert.Equal(t, nodemgmt.StatusInactive, mn.Status)

	// Pool membership: remove, add back, full pool and delete rules.
	var p nodemgmt.Pool
	e.must(200, "DELETE", "/api/v1/nodes/pools/"+pool.PoolID+"/nodes/"+node.NodeID, e.admin, "", &p)
	assert.Equal(t, 0, p.NodeCount)
	e.must(200, "POST", "/api/v1/nodes/pools/"+pool.PoolID+"/nodes", e.admin, `{"node_id":"`+node.NodeID+`","priority":10}`, &p)
	assert.Equal(t, 1, p.NodeCount)
	r := e.do("DELETE", "/api/v1/nodes/pools/"+pool.PoolID, e.admin, "")
	assert.Equal(t, http.StatusConflict, r.Code)
	e.must(200, "PUT", "/api/v1/nodes/pools/"+pool.PoolID, e.admin, `{"description":"main pool"}`, &p)
	assert.Equal(t, "main pool", p.Description)

	// Restart, stop, update, delete.
	e.must(200, "POST", "/api/v1/nodes/"+node.NodeID+"/restart", e.admin, "", &res)
	e.must(200, "POST", "/api/v1/nodes/"+node.NodeID+"/stop", e.admin, "", &res)
	assert.Equal(t, nodemgmt.StatusInactive, res.Status)
	e.must(200, "PUT", "/api/v1/nodes/"+node.NodeID, e.admin, `{"name":"renamed","node_type":"compute"}`, &mn)
	assert.Equal(t, "renamed", mn.Name)
	e.must(204, "DELETE", "/api/v1/nodes/"+node.NodeID, e.admin, "", nil)
	r = e.do("GET", "/api/v1/nodes/"+node.NodeID, e.admin, "")
	assert.Equal(t, "LUCID_ERR_5001", r.errCode(t))

	// Audit (admin only) saw the operations with the actor.
	var audit AuditList
	e.must(200, "GET", "/api/v1/audit?category=node&target="+node.NodeID, e.admin, "", &audit)
	require.NotEmpty(t, audit.Entries)
	assert.Equal(t, "admin", audit.Entries[0].Actor)
	r = e.do("GET", "/api/v1/audit", e.token(auth.RoleValidator, ""), "")
	assert.Equal(t, http.StatusForbidden, r.Code)
}

func TestRouteConflictsResolveToTheRightHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pool := e.createPool("conflictpool")
	var pools nodemgmt.PoolList
	e.must(200, "GET", "/api/v1/nodes/pools", e.admin, "", &pools)
	require.Len(t, pools.Pools, 1)
	var p nodemgmt.Pool
	e.must(200, "GET", "/api/v1/nodes/pools/"+pool.PoolID, e.admin, "", &p)
	assert.Equal(t, "conflictpool", p.Name)
	// DELETE /nodes/pools/{id} is the pool, not /nodes/{node_id}/maintenance.
	e.must(204, "DELETE", "/api/v1/nodes/pools/"+pool.PoolID, e.admin, "", nil)
	r := e.do("DELETE", "/api/v1/nodes/pools/maintenance", e.admin, "")
	assert.Equal(t, "LUCID_ERR_4000", r.errCode(t)) // "maintenance" is not a pool id
	// A sub-route of a node answers 405 for a wrong method, 404 for an unknown name.
	r = e.do("GET", "/api/v1/nodes/node_abcdef12/start", e.admin, "")
	assert.Equal(t, CodeMethodNotAllowed, r.errCode(t))
	assert.Equal(t, "POST", r.Header.Get("Allow"))
	r = e.do("POST", "/api/v1/nodes/node_abcdef12/explode", e.admin, "")
	assert.Equal(t, CodeRouteNotFound, r.errCode(t))
}

func TestUnknownRouteAndMethodAnswerJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		method, path, code, allow string
	}{
		{"GET", "/nope", CodeRouteNotFound, ""},
		{"GET", "/api/v1/nodes/a/b/c/d/e", CodeRouteNotFound, ""},
		{"PATCH", "/api/v1/nodes", CodeMethodNotAllowed, "GET, HEAD, POST"},
		{"POST", "/health/live", CodeMethodNotAllowed, "GET, HEAD"},
		{"GET", "/api/v1//nodes", CodeRouteNotFound, ""},
		{"GET", "/api/v1/nodes/../nodes", CodeRouteNotFound, ""},
		{"PATCH", "/api/v1/nodes/pools/pool_abcdef12", CodeMethodNotAllowed, "DELETE, GET, HEAD, PUT"},
		{"PATCH", "/api/v1/nodes/node_abcdef12/maintenance", CodeMethodNotAllowed, "DELETE, POST"},
		{"PATCH", "/api/v1/nodes/node_abcdef12/bogus", CodeRouteNotFound, ""},
		{"GET", "/api/v1/nodes/node_abcdef12/heartbeat", CodeMethodNotAllowed, "POST"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := e.do(tc.method, tc.path, e.admin, "")
			assert.Equal(t, tc.code, r.errCode(t))
			if tc.allow != "" {
				assert.Equal(t, tc.allow, r.Header.Get("Allow"))
			}
			assert.NotContains(t, string(r.Body), "<html")
		})
	}
}

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct{ method, path, token string }{
		{"GET", "/api/v1/nodes", e.admin},
		{"GET", "/api/v1/nodes", ""},
		{"GET", "/nope", ""},
		{"GET", "/health/live", ""},
		{"GET", "/metrics", ""},
	} {
		r := e.do(tc.method, tc.path, tc.token, "")
		for _, kv := range securityHeaders {
			assert.Equal(t, kv[1], r.Header.Get(kv[0]), "%s %s %s", tc.method, tc.path, kv[0])
		}
		assert.Len(t, r.Header.Get("X-Request-ID"), 36)
	}
}

func TestPanicAnswers500WithoutStack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.handle(route{method: "GET", path: "/api/v1/test-panic", scope: auth.ScopeNodeRead,
		h: func(http.ResponseWriter, *http.Request) error { panic("secret internal detail") }})
	r := e.do("GET", "/api/v1/test-panic", e.admin, "")
	assert.Equal(t, http.StatusInternalServerError, r.Code)
	assert.Equal(t, CodeInternal, r.errCode(t))
	assert.NotContains(t, string(r.Body), "secret internal detail")
	assert.NotContains(t, string(r.Body), "goroutine")
	assert.NotContains(t, string(r.Body), ".go:")
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const id = "5f0c6a55-8a36-4c8e-9d3e-0b1c2d3e4f50"
	r := e.do("GET", "/health/live", "", "", "X-Request-ID", id)
	assert.Equal(t, id, r.Header.Get("X-Request-ID"))
	r = e.do("GET", "/nope", "", "", "X-Request-ID", "evil\nlog line")
	assert.NotEqual(t, "evil\nlog line", r.Header.Get("X-Request-ID"))
	assert.Len(t, r.Header.Get("X-Request-ID"), 36)
	r.errCode(t) // body carries the same, new id
}

func TestRateLimiting(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config, _ *Deps) {
		c.RateLimits = RateLimits{Unauthenticated: 2, Node: 3, Admin: 1000}
	})
	// Unauthenticated: keyed by address, also for bad tokens.
	for i := range 2 {
		r := e.do("GET", "/api/v1/nodes", "", "")
		require.Equal(t, http.StatusUnauthorized, r.Code, "request %d", i)
		assert.Equal(t, "2", r.Header.Get("X-RateLimit-Limit"))
		assert.NotEmpty(t, r.Header.Get("X-RateLimit-Remaining"))
		assert.NotEmpty(t, r.Header.Get("X-RateLimit-Reset"))
	}
	r := e.do("GET", "/api/v1/nodes", "not-a-token", "")
	require.Equal(t, http.StatusTooManyRequests, r.Code)
	assert.Equal(t, CodeRateLimited, r.errCode(t))
	assert.NotEmpty(t, r.Header.Get("Retry-After"))
	assert.Equal(t, "0", r.Header.Get("X-RateLimit-Remaining"))
	// /health/live is never limited; another address has its own budget.
	assert.Equal(t, 200, e.do("GET", "/health/live", "", "").Code)
	// A worker is keyed by its subject, not its address, and has the node tier.
	node := e.createNode("limitnode", "")
	worker := e.token(auth.RoleWorker, node.NodeID)
	for range 3 {
		require.Equal(t, 200, e.do("POST", "/api/v1/nodes/"+node.NodeID+"/heartbeat", worker, "").Code)
	}
	r = e.do("POST", "/api/v1/nodes/"+node.NodeID+"/heartbeat", worker, "")
	require.Equal(t, http.StatusTooManyRequests, r.Code)
	assert.Equal(t, CodeRateLimited, r.errCode(t))
	// The admin tier is separate.
	assert.Equal(t, 200, e.do("GET", "/api/v1/nodes", e.admin, "").Code)
}

func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config, _ *Deps) {
		require.NoError(t, proxiesValue{&c.TrustedProxies}.Set("192.0.2.0/24"))
	})
	req, _ := http.NewRequest("GET", "/", nil)
	req.RemoteAddr = "192.0.2.1:1234"
	req.Header.Set("X-Forwarded-For", "203.0.113.9, 198.51.100.7, 192.0.2.5")
	assert.Equal(t, "198.51.100.7", e.srv.clientAddr(req))
	req.RemoteAddr = "198.51.100.1:1234" // not a proxy: the header is ignored
	assert.Equal(t, "198.51.100.1", e.srv.clientAddr(req))
	off := newEnv(t)
	req.RemoteAddr = "192.0.2.1:1234"
	assert.Equal(t, "192.0.2.1", off.srv.clientAddr(req))
}

func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.do("GET", "/health", "", "")
	require.Equal(t, 200, r.Code, "%s", r.Body)
	m := r.json(t)
	assert.Equal(t, "healthy", m["status"])
	checks := m["checks"].(map[string]any)
	assert.Contains(t, checks, "database")
	assert.Contains(t, checks, "heartbeats")
	assert.Equal(t, 200, e.do("GET", "/health/ready", "", "").Code)
	assert.Equal(t, 200, e.do("GET", "/health/live", "", "").Code)

	// An active node without a fresh heartbeat makes the fleet unhealthy.
	node := e.createNode("healthnode", "")
	e.must(200, "POST", "/api/v1/nodes/"+node.NodeID+"/start", e.admin, "", nil)
	e.must(200, "POST", "/api/v1/nodes/"+node.NodeID+"/heartbeat", e.admin, "", nil)
	r = e.do("GET", "/health", "", "")
	require.Equal(t, 200, r.Code)
	_, err := e.srv.store.UpdateNode(t.Context(), node.NodeID, func(n *nodemgmt.Node) error {
		n.Health = nodemgmt.HealthDown
		return nil
	})
	require.NoError(t, err)
	r = e.do("GET", "/health", "", "")
	require.Equal(t, http.StatusServiceUnavailable, r.Code, "%s", r.Body)
	assert.Equal(t, "unhealthy", r.json(t)["status"])

	r = e.do("GET", "/metrics", "", "")
	require.Equal(t, 200, r.Code)
	body := string(r.Body)
	for _, series := range []string{
		`lucid_node_management_http_requests_total{method="GET",route="/health",status="503"}`,
		`lucid_node_management_http_request_duration_seconds_bucket`,
		`lucid_node_management_active_nodes 1`,
		`lucid_node_management_nodes_by_status{status="active"} 1`,
		`lucid_node_management_nodes_by_status{status="maintenance"} 0`,
		`lucid_node_management_nodes_by_health{health="down"} 1`,
		`lucid_node_management_nodes_by_health{health="healthy"} 0`,
		`lucid_node_management_node_operations_total{op="node.start",result="ok"} 1`,
		`lucid_node_management_database_operations_total{op="update_node",result="ok"}`,
		`lucid_node_management_database_operation_duration_seconds_bucket`,
	} {
		assert.True(t, strings.Contains(body, series), "missing %s", series)
	}
}

func TestBodyLimitAndMediaType(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config, _ *Deps) { c.MaxBodyBytes = 2048 })
	big := `{"name":"` + strings.Repeat("a", 4096) + `"}`
	r := e.do("POST", "/api/v1/nodes/pools", e.admin, big)
	assert.Equal(t, CodeBodyTooLarge, r.errCode(t))
	req := e.do("POST", "/api/v1/nodes/pools", e.admin, "", "Content-Type", "text/plain")
	assert.Equal(t, CodeUnsupportedMedia, req.errCode(t))
	var pools nodemgmt.PoolList
	e.must(200, "GET", "/api/v1/nodes/pools", e.admin, "", &pools)
	assert.Empty(t, pools.Pools)
}

func TestErrorMapperHidesUnknownErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.handle(route{method: "GET", path: "/api/v1/test-dberror", scope: auth.ScopeNodeRead,
		h: func(http.ResponseWriter, *http.Request) error {
			return fmt.Errorf("sqlite: table nodes: constraint failed at /var/lib/x")
		}})
	r := e.do("GET", "/api/v1/test-dberror", e.admin, "")
	assert.Equal(t, CodeInternal, r.errCode(t))
	assert.NotContains(t, string(r.Body), "sqlite")
	// A domain error's wrapped cause stays out of the message too.
	e.srv.handle(route{method: "GET", path: "/api/v1/test-wrapped", scope: auth.ScopeNodeRead,
		h: func(http.ResponseWriter, *http.Request) error {
			return &nodemgmt.Error{Code: nodemgmt.CodeConflict, Message: "busy", Err: fmt.Errorf("pq: deadlock detected")}
		}})
	r = e.do("GET", "/api/v1/test-wrapped", e.admin, "")
	assert.Equal(t, nodemgmt.CodeConflict, r.errCode(t))
	assert.NotContains(t, string(r.Body), "deadlock")
	assert.Contains(t, string(r.Body), `"message":"busy"`)
}

// b64 is a helper for building tokens by hand.
func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestHandcraftedTokensRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	now := time.Now().Unix()
	for name, tok := range map[string]string{
		"alg none, empty sig": b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(fmt.Sprintf(`{"iss":"%s","sub":"admin","role":"admin","scopes":["node:read"],"exp":%d}`, auth.DefaultIssuer, now+3600)) + ".",
		"alg None":            b64(`{"alg":"None"}`) + "." + b64(fmt.Sprintf(`{"iss":"%s","sub":"admin","role":"admin","scopes":["node:read"],"exp":%d}`, auth.DefaultIssuer, now+3600)) + ".",
	} {
		r := e.do("GET", "/api/v1/nodes", tok, "")
		assert.Equal(t, http.StatusUnauthorized, r.Code, name)
	}
}
