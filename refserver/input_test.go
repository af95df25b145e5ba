package refserver

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

// TestBadInputIsRefusedAndWritesNothing sends malformed bodies and queries to every route that
// reads one and checks the SPEC error shape, a 4xx status, and that nothing changed.
func TestBadInputIsRefusedAndWritesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config, _ *Deps) { c.MaxBodyBytes = 8 << 10 })
	pool := e.createPool("inputpool")
	node := e.createNode("inputnode", "")
	n := "/api/v1/nodes/" + node.NodeID
	p := "/api/v1/nodes/pools/" + pool.PoolID
	huge := `{"name":"` + strings.Repeat("x", 16<<10) + `"}`
	validNode := nodeBody("okname", "")
	withNode := func(field, value string) string { // replaces one top-level field of a valid node body
		return strings.Replace(validNode, `"name":"okname"`, `"name":"okname",`+field+`:`+value, 1)
	}

	cases := []struct {
		name, method, path, body, code string
	}{
		// POST /nodes
		{"malformed json", "POST", "/api/v1/nodes", `{"name":`, CodeMalformedBody},
		{"not an object", "POST", "/api/v1/nodes", `[1,2]`, CodeMalformedBody},
		{"two values", "POST", "/api/v1/nodes", validNode + `{}`, CodeMalformedBody},
		{"empty body", "POST", "/api/v1/nodes", ``, CodeUnsupportedMedia},
		{"wrong type name", "POST", "/api/v1/nodes", `{"name":42}`, CodeMalformedBody},
		{"wrong type cores", "POST", "/api/v1/nodes", strings.Replace(validNode, `"cores":8`, `"cores":"8"`, 1), CodeMalformedBody},
		{"unknown field", "POST", "/api/v1/nodes", withNode(`"is_admin"`, `true`), CodeMalformedBody},
		{"unknown node_type", "POST", "/api/v1/nodes", strings.Replace(validNode, `"node_type":"worker"`, `"node_type":"miner"`, 1), CodeValidation},
		{"cores out of range", "POST", "/api/v1/nodes", strings.Replace(validNode, `"cores":8`, `"cores":129`, 1), CodeValidation},
		{"cores overflow", "POST", "/api/v1/nodes", strings.Replace(validNode, `"cores":8`, `"cores":1e40`, 1), CodeMalformedBody},
		{"script in name", "POST", "/api/v1/nodes", strings.Replace(validNode, `okname`, `<script>alert(1)</script>`, 1), CodeValidation},
		{"sql in name", "POST", "/api/v1/nodes", strings.Replace(validNode, `okname`, `x'; DROP TABLE nodes;--`, 1), CodeValidation},
		{"reserved pool id", "POST", "/api/v1/nodes", withNode(`"pool_id"`, `"pool_system_abc"`), CodeValidation},
		{"oversized", "POST", "/api/v1/nodes", huge, CodeBodyTooLarge},
		// PUT /nodes/{id}
		{"put unknown status", "PUT", n, `{"status":"exploded"}`, CodeValidation},
		{"put wrong type", "PUT", n, `{"name":["a"]}`, CodeMalformedBody},
		{"put script name", "PUT", n, `{"name":"<img src=x onerror=alert(1)>"}`, CodeValidation},
		{"put sql name", "PUT", n, `{"name":"1 OR 1=1"}`, CodeValidation},
		{"put unknown field", "PUT", n, `{"node_id":"node_other123"}`, CodeMalformedBody},
		{"put window hour", "PUT", n, `{"configuration":{"maintenance_window":{"start_hour":24,"duration_hours":1}}}`, CodeValidation},
		{"put oversized", "PUT", n, huge, CodeBodyTooLarge},
		// maintenance
		{"maintenance no reason", "POST", n + "/maintenance", `{"drain":true}`, CodeValidation},
		{"maintenance drain type", "POST", n + "/maintenance", `{"reason":"x","drain":"yes"}`, CodeMalformedBody},
		{"maintenance malformed", "POST", n + "/maintenance", `{"reason":"x"`, CodeMalformedBody},
		// lifecycle routes take no body
		{"start with body", "POST", n + "/start", `{"force":true}`, CodeMalformedBody},
		{"heartbeat with body", "POST", n + "/heartbeat", `{"status":"active"}`, CodeMalformedBody},
		// pools
		{"pool malformed", "POST", "/api/v1/nodes/pools", `{`, CodeMalformedBody},
		{"pool max_nodes range", "POST", "/api/v1/nodes/pools", `{"name":"bigpool","max_nodes":1001}`, CodeValidation},
		{"pool negative max", "POST", "/api/v1/nodes/pools", `{"name":"negpool","max_nodes":-1}`, CodeValidation},
		{"pool max_nodes float", "POST", "/api/v1/nodes/pools", `{"name":"fltpool","max_nodes":1.5}`, CodeMalformedBody},
		{"pool script name", "POST", "/api/v1/nodes/pools", `{"name":"<script>"}`, CodeValidation},
		{"pool sql name", "POST", "/api/v1/nodes/pools", `{"name":"a'--"}`, CodeValidation},
		{"pool currency", "POST", "/api/v1/nodes/pools", `{"name":"curpool","pricing":{"cost_per_hour":"1.5","currency":"EUR"}}`, CodeValidation},
		{"pool auto scaling without policy", "POST", "/api/v1/nodes/pools", `{"name":"autopool","auto_scaling":true}`, CodeValidation},
		{"pool unknown field", "POST", "/api/v1/nodes/pools", `{"name":"unkpool","owner":"me"}`, CodeMalformedBody},
		{"pool put range", "PUT", p, `{"max_nodes":0}`, CodeValidation},
		{"pool put type", "PUT", p, `{"description":5}`, CodeMalformedBody},
		{"pool put oversized", "PUT", p, huge, CodeBodyTooLarge},
		{"add node priority", "POST", p + "/nodes", `{"node_id":"` + node.NodeID + `","priority":101}`, CodeValidation},
		{"add node bad id", "POST", p + "/nodes", `{"node_id":"node_'; DROP TABLE x"}`, CodeValidation},
		{"add node type", "POST", p + "/nodes", `{"node_id":12}`, CodeMalformedBody},
		// path parameters
		{"sql in node id", "GET", "/api/v1/nodes/node_x'%20OR%201=1", "", CodeValidation},
		{"reserved-looking pool id in path", "DELETE", "/api/v1/nodes/pools/pool_%3Cscript%3E", "", CodeValidation},
		// queries
		{"page zero", "GET", "/api/v1/nodes?page=0", "", CodeValidation},
		{"page text", "GET", "/api/v1/nodes?page=abc", "", CodeValidation},
		{"page huge", "GET", "/api/v1/nodes?page=99999999999999999999", "", CodeValidation},
		{"limit high", "GET", "/api/v1/nodes?limit=101", "", CodeValidation},
		{"limit negative", "GET", "/api/v1/nodes?limit=-1", "", CodeValidation},
		{"unknown status", "GET", "/api/v1/nodes?status=dead", "", CodeValidation},
		{"unknown health", "GET", "/api/v1/nodes?health=meh", "", CodeValidation},
		{"bad pool filter", "GET", "/api/v1/nodes?pool_id=%27%20OR%201%3D1", "", CodeValidation},
		{"unknown parameter", "GET", "/api/v1/nodes?sort=name", "", CodeValidation},
		{"repeated parameter", "GET", "/api/v1/nodes?page=1&page=2", "", CodeValidation},
		{"bad cursor", "GET", "/api/v1/nodes?cursor=%3Cscript%3E", "", CodeValidation},
		{"pools limit", "GET", "/api/v1/nodes/pools?limit=0", "", CodeValidation},
		{"audit category", "GET", "/api/v1/audit?category=secrets", "", CodeValidation},
		{"audit since", "GET", "/api/v1/audit?since=yesterday", "", CodeValidation},
		{"audit limit", "GET", "/api/v1/audit?limit=100000", "", CodeValidation},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r resp
			if tc.name == "empty body" {
				r = e.do(tc.method, tc.path, e.admin, "")
			} else {
				r = e.do(tc.method, tc.path, e.admin, tc.body)
			}
			require.GreaterOrEqual(t, r.Code, 400, "%s", r.Body)
			require.Less(t, r.Code, 500, "%s", r.Body)
			assert.Equal(t, tc.code, r.errCode(t), "%s", r.Body)
			assert.NotContains(t, string(r.Body), "<script>alert")
		})
	}
	t.Run("type errors name the field", func(t *testing.T) {
		r := e.do("POST", "/api/v1/nodes", e.admin, strings.Replace(validNode, `"cores":8`, `"cores":"8"`, 1))
		assert.Contains(t, string(r.Body), `"field":"hardware_info.cpu.cores"`)
		r = e.do("POST", "/api/v1/nodes/pools", e.admin, `{"name":"unkpool","owner":"me"}`)
		assert.Contains(t, string(r.Body), `"field":"owner"`)
	})

	// Nothing was written: still one node, one pool, unchanged.
	var nodes nodemgmt.NodeList
	e.must(http.StatusOK, "GET", "/api/v1/nodes", e.admin, "", &nodes)
	require.Len(t, nodes.Nodes, 1)
	assert.Equal(t, "inputnode", nodes.Nodes[0].Name)
	assert.Equal(t, nodemgmt.StatusInactive, nodes.Nodes[0].Status)
	assert.Nil(t, nodes.Nodes[0].Maintenance)
	var pools nodemgmt.PoolList
	e.must(http.StatusOK, "GET", "/api/v1/nodes/pools", e.admin, "", &pools)
	require.Len(t, pools.Pools, 1)
	assert.Equal(t, 0, pools.Pools[0].NodeCount)
	assert.Equal(t, 10, pools.Pools[0].MaxNodes)
	assert.Empty(t, pools.Pools[0].Description)
}
