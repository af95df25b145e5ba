package refserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/refserver/auth"
	"github.com/hamigames/lucid-node-management/storage/memory"
)

// manualClock is a settable clock for the server.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// resEnv is a server with a manual clock and one node (hardware: 16 GiB memory, 500 GB disk,
// one 1000 Mbps interface).
type resEnv struct {
	*env
	clock  *manualClock
	node   string
	worker string
}

func newResEnv(t testing.TB, mutate ...func(*Config, *Deps)) *resEnv {
	t.Helper()
	clk := &manualClock{t: time.Now().UTC().Truncate(time.Second)}
	e := newEnv(t, append([]func(*Config, *Deps){func(_ *Config, d *Deps) { d.Now = clk.Now }}, mutate...)...)
	n := e.createNode("res-node-1", "")
	return &resEnv{env: e, clock: clk, node: n.NodeID, worker: e.token(auth.RoleWorker, n.NodeID)}
}

// sampleJSON is a valid sample taken at ts with the given cpu usage, changed by edit (a map of
// the JSON form, so tests can break any field).
func sampleJSON(t testing.TB, ts time.Time, cpu float64, edit func(m map[string]any)) string {
	t.Helper()
	s := nodemgmt.ResourceSample{
		Timestamp: ts,
		CPU:       nodemgmt.CPUUsage{UsagePercent: cpu, Cores: 8, FrequencyMHz: 3200, LoadAverage: nodemgmt.LoadAverage{1, 0.5, 0.25}},
		Memory:    nodemgmt.MemoryUsage{TotalBytes: 16 << 30, UsedBytes: 4 << 30, FreeBytes: 12 << 30},
		Disk:      nodemgmt.DiskUsage{TotalBytes: 500e9, UsedBytes: 100e9, FreeBytes: 400e9, ReadIOPS: 10, WriteIOPS: 5},
		Network: nodemgmt.NetworkUsage{Interfaces: []nodemgmt.InterfaceUsage{{Name: "eth0", BytesIn: 1000, BytesOut: 500, InMbps: 12, OutMbps: 3}},
			TotalBytesIn: 1000, TotalBytesOut: 500, InMbps: 12, OutMbps: 3},
	}
	b, err := json.Marshal(s)
	require.NoError(t, err)
	if edit == nil {
		return string(b)
	}
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	edit(m)
	b, err = json.Marshal(m)
	require.NoError(t, err)
	return string(b)
}

func (e *resEnv) report(token, node, body string) resp {
	e.t.Helper()
	return e.do("POST", "/api/v1/nodes/"+node+"/resources/metrics", token, body)
}

// summary reads GET …/resources.
func (e *resEnv) summary(timeRange string) nodemgmt.ResourceSummary {
	e.t.Helper()
	var out nodemgmt.ResourceSummary
	e.must(http.StatusOK, "GET", "/api/v1/nodes/"+e.node+"/resources?time_range="+timeRange, e.admin, "", &out)
	return out
}

func (e *resEnv) scrape() string {
	e.t.Helper()
	r := e.do("GET", "/metrics", "", "")
	require.Equal(e.t, http.StatusOK, r.Code)
	return string(r.Body)
}

func TestResourceReportRefused(t *testing.T) {
	t.Parallel()
	e := newResEnv(t)
	other := e.createNode("res-node-2", "")
	now := e.clock.Now()
	sub := func(section, field string, v any) func(m map[string]any) {
		return func(m map[string]any) { m[section].(map[string]any)[field] = v }
	}
	tests := []struct {
		name   string
		token  string
		node   string
		body   string
		ctype  string
		status int
		code   string
	}{
		{"negative counter", e.worker, e.node, sampleJSON(t, now, 10, sub("memory", "used_bytes", -1)), "", 400, "LUCID_ERR_4000"},
		{"negative rate", e.worker, e.node, sampleJSON(t, now, 10, sub("network", "in_mbps", -0.5)), "", 400, "LUCID_ERR_4000"},
		{"percent over 100", e.worker, e.node, sampleJSON(t, now, 100.5, nil), "", 400, "LUCID_ERR_4000"},
		{"used above total", e.worker, e.node, sampleJSON(t, now, 10, sub("disk", "used_bytes", 600e9)), "", 400, "LUCID_ERR_4000"},
		{"future timestamp", e.worker, e.node, sampleJSON(t, now.Add(10*time.Minute), 10, nil), "", 400, "LUCID_ERR_4000"},
		{"older than retention", e.worker, e.node, sampleJSON(t, now.Add(-91*24*time.Hour), 10, nil), "", 400, "LUCID_ERR_4000"},
		{"no timestamp", e.worker, e.node, sampleJSON(t, now, 10, func(m map[string]any) { delete(m, "timestamp") }), "", 400, "LUCID_ERR_4000"},
		{"node_id of another node", e.admin, e.node, sampleJSON(t, now, 10, func(m map[string]any) { m["node_id"] = other.NodeID }), "", 400, "LUCID_ERR_4000"},
		{"unknown field", e.worker, e.node, sampleJSON(t, now, 10, func(m map[string]any) { m["extra"] = 1 }), "", 400, "LUCID_ERR_4001"},
		{"unknown nested field", e.worker, e.node, sampleJSON(t, now, 10, sub("cpu", "turbo", true)), "", 400, "LUCID_ERR_4001"},
		{"load average of 4", e.worker, e.node, sampleJSON(t, now, 10, sub("cpu", "load_average", []float64{1, 2, 3, 4})), "", 400, "LUCID_ERR_4001"},
		{"trailing data", e.worker, e.node, sampleJSON(t, now, 10, nil) + "{}", "", 400, "LUCID_ERR_4001"},
		{"not json", e.worker, e.node, "cpu=10", "", 400, "LUCID_ERR_4001"},
		{"oversized body", e.worker, e.node, sampleJSON(t, now, 10, nil) + strings.Repeat(" ", nodemgmt.MaxSampleBytes), "", 413, "LUCID_ERR_4130"},
		{"wrong content type", e.worker, e.node, sampleJSON(t, now, 10, nil), "text/plain", 415, "LUCID_ERR_4150"},
		{"worker of another node", e.token(auth.RoleWorker, other.NodeID), e.node, sampleJSON(t, now, 10, nil), "", 403, "LUCID_ERR_4030"},
		{"validator lacks node:write", e.token(auth.RoleValidator, ""), e.node, sampleJSON(t, now, 10, nil), "", 403, "LUCID_ERR_4030"},
		{"no token", "", e.node, sampleJSON(t, now, 10, nil), "", 401, "LUCID_ERR_4010"},
		{"unknown node", e.admin, "node_missing01", sampleJSON(t, now, 10, nil), "", 404, "LUCID_ERR_5001"},
	}
	for _, tc := range tests {
		hdr := []string{}
		if tc.ctype != "" {
			hdr = []string{"Content-Type", tc.ctype}
		}
		r := e.do("POST", "/api/v1/nodes/"+tc.node+"/resources/metrics", tc.token, tc.body, hdr...)
		require.Equal(t, tc.status, r.Code, "%s: %s", tc.name, r.Body)
		assert.Equal(t, tc.code, r.errCode(t), tc.name)
	}

	// Nothing was stored: no current sample, no summary, no points, for either node.
	for _, node := range []string{e.node, other.NodeID} {
		var sum nodemgmt.ResourceSummary
		e.must(http.StatusOK, "GET", "/api/v1/nodes/"+node+"/resources?time_range=7d", e.admin, "", &sum)
		assert.Nil(t, sum.Current, node)
		assert.Empty(t, sum.Summary, node)
		var m nodemgmt.MetricsResult
		e.must(http.StatusOK, "GET", "/api/v1/nodes/"+node+"/resources/metrics?granularity=1h&start_time="+
			now.Add(-100*24*time.Hour).Format(time.RFC3339)+"&end_time="+now.Add(time.Hour).Format(time.RFC3339), e.admin, "", &m)
		assert.Empty(t, m.Points, node)
	}
	assert.NotContains(t, e.scrape(), "lucid_node_management_resource_usage{")

	// The same sample, well formed, is accepted from the node's own worker, exactly once.
	good := sampleJSON(t, now, 10, nil)
	r := e.report(e.worker, e.node, good)
	require.Equal(t, http.StatusCreated, r.Code, "%s", r.Body)
	r = e.report(e.worker, e.node, good)
	require.Equal(t, http.StatusConflict, r.Code, "%s", r.Body)
	assert.Equal(t, "LUCID_ERR_4090", r.errCode(t))
}

func TestResourceQueries(t *testing.T) {
	t.Parallel()
	e := newResEnv(t)
	now := e.clock.Now()
	start := now.Truncate(time.Hour).Add(-2 * time.Hour)
	// 90 samples, one a minute from start: cpu = i % 30.
	for i := range 90 {
		r := e.report(e.worker, e.node, sampleJSON(t, start.Add(time.Duration(i)*time.Minute), float64(i%30), nil))
		require.Equal(t, http.StatusCreated, r.Code, "%s", r.Body)
	}

	sum := e.summary("24h")
	require.NotNil(t, sum.Current)
	assert.Equal(t, 29.0, sum.Current.CPU.UsagePercent)
	assert.Equal(t, e.node, sum.Current.NodeID)
	cpu := sum.Summary[nodemgmt.MetricCPU]
	assert.Equal(t, int64(90), cpu.Samples)
	assert.Equal(t, 14.5, cpu.Avg)
	assert.Equal(t, 0.0, cpu.Min)
	assert.Equal(t, 29.0, cpu.Max)
	assert.Equal(t, 15.0, sum.Summary[nodemgmt.MetricNetwork].Avg)
	assert.Equal(t, 25.0, sum.Summary[nodemgmt.MetricMemory].Avg)
	assert.Equal(t, 20.0, sum.Summary[nodemgmt.MetricDisk].Avg)

	q := func(params string) nodemgmt.MetricsResult {
		t.Helper()
		var m nodemgmt.MetricsResult
		e.must(http.StatusOK, "GET", "/api/v1/nodes/"+e.node+"/resources/metrics?"+params, e.worker, "", &m)
		return m
	}
	rng := "&start_time=" + start.Format(time.RFC3339) + "&end_time=" + start.Add(90*time.Minute).Format(time.RFC3339)
	m := q("metric_type=cpu&granularity=15m" + rng)
	require.Len(t, m.Points, 6)
	for _, p := range m.Points {
		assert.Equal(t, int64(15), p.Samples)
	}
	assert.Equal(t, 7.0, m.Points[0].Avg)  // 0..14
	assert.Equal(t, 22.0, m.Points[1].Avg) // 15..29
	assert.Equal(t, "percent", m.Unit)
	m = q("metric_type=cpu&granularity=1h" + rng)
	require.Len(t, m.Points, 2)
	assert.Equal(t, int64(60), m.Points[0].Samples)
	assert.Equal(t, int64(30), m.Points[1].Samples)
	m = q("metric_type=network&granularity=1m" + rng)
	assert.Len(t, m.Points, 90)
	assert.Equal(t, "Mbps", m.Unit)

	for _, bad := range []string{
		"metric_type=gpu", "granularity=2m", "start_time=yesterday", "end_time=2026-01-02",
		"start_time=" + now.Format(time.RFC3339) + "&end_time=" + now.Add(-time.Hour).Format(time.RFC3339),
		"granularity=1m&start_time=" + now.Add(-30*24*time.Hour).Format(time.RFC3339), // too many buckets
		"other=1", "metric_type=cpu&metric_type=disk",
	} {
		r := e.do("GET", "/api/v1/nodes/"+e.node+"/resources/metrics?"+bad, e.admin, "")
		require.Equal(t, http.StatusBadRequest, r.Code, "%s: %s", bad, r.Body)
		assert.Equal(t, "LUCID_ERR_4000", r.errCode(t), bad)
	}
	for _, bad := range []string{"time_range=2h", "range=1h"} {
		r := e.do("GET", "/api/v1/nodes/"+e.node+"/resources?"+bad, e.admin, "")
		require.Equal(t, http.StatusBadRequest, r.Code, "%s: %s", bad, r.Body)
	}
	r := e.do("GET", "/api/v1/nodes/node_missing01/resources", e.admin, "")
	assert.Equal(t, "LUCID_ERR_5001", r.errCode(t))
}

func TestResourceAlertsOverHTTP(t *testing.T) {
	t.Parallel()
	e := newResEnv(t)
	var th nodemgmt.Thresholds
	e.must(http.StatusOK, "PUT", "/api/v1/nodes/"+e.node+"/resources/thresholds", e.admin,
		`{"cpu":{"warning":50,"critical":90}}`, &th)
	assert.Equal(t, nodemgmt.Threshold{Warning: 50, Critical: 90}, th.CPU)
	assert.Equal(t, nodemgmt.DefaultThresholds("").Memory, th.Memory, "resources left out keep their thresholds")

	for _, bad := range []struct{ body, code string }{
		{`{"cpu":{"warning":95,"critical":90}}`, "LUCID_ERR_4000"},
		{`{"cpu":{"warning":50,"critical":120}}`, "LUCID_ERR_4000"},
		{`{"cpus":{"warning":50,"critical":90}}`, "LUCID_ERR_4001"},
	} {
		r := e.do("PUT", "/api/v1/nodes/"+e.node+"/resources/thresholds", e.admin, bad.body)
		assert.Equal(t, bad.code, r.errCode(t), bad.body)
	}

	alertGauge := func(level string) string {
		return fmt.Sprintf(`lucid_node_management_resource_alerts{level=%q,node_id=%q,resource="cpu"}`, level, e.node)
	}
	active := func() []nodemgmt.Alert {
		t.Helper()
		var l AlertList
		e.must(http.StatusOK, "GET", "/api/v1/nodes/"+e.node+"/resources/alerts?active=true", e.worker, "", &l)
		return l.Alerts
	}
	step := func(cpu float64) nodemgmt.ReportResult {
		t.Helper()
		e.clock.Advance(time.Minute)
		var res nodemgmt.ReportResult
		r := e.report(e.worker, e.node, sampleJSON(t, e.clock.Now(), cpu, nil))
		require.Equal(t, http.StatusCreated, r.Code, "%s", r.Body)
		require.NoError(t, json.Unmarshal(r.Body, &res))
		return res
	}

	res := step(30)
	assert.Empty(t, res.ActiveAlerts)
	assert.Empty(t, active())
	assert.Contains(t, e.scrape(), fmt.Sprintf(`lucid_node_management_resource_usage{node_id=%q,resource="cpu"} 30`, e.node))

	res = step(60) // warning
	require.Len(t, res.ActiveAlerts, 1)
	al := active()
	require.Len(t, al, 1)
	assert.Equal(t, nodemgmt.LevelWarning, al[0].Level)
	assert.Equal(t, 60.0, al[0].Value)
	assert.Equal(t, 50.0, al[0].Threshold)
	body := e.scrape()
	assert.Contains(t, body, alertGauge("warning")+" 1")

	step(95) // critical replaces warning
	al = active()
	require.Len(t, al, 1)
	assert.Equal(t, nodemgmt.LevelCritical, al[0].Level)
	body = e.scrape()
	assert.Contains(t, body, alertGauge("warning")+" 0")
	assert.Contains(t, body, alertGauge("critical")+" 1")

	step(10) // recovery
	assert.Empty(t, active())
	body = e.scrape()
	assert.Contains(t, body, alertGauge("critical")+" 0")
	assert.Contains(t, body, fmt.Sprintf(`lucid_node_management_resource_usage{node_id=%q,resource="cpu"} 10`, e.node))

	var hist AlertList
	e.must(http.StatusOK, "GET", "/api/v1/nodes/"+e.node+"/resources/alerts", e.admin, "", &hist)
	require.Len(t, hist.Alerts, 2)
	for _, a := range hist.Alerts {
		assert.NotNil(t, a.ClearedAt)
	}
	r := e.do("GET", "/api/v1/nodes/"+e.node+"/resources/alerts?active=yes", e.admin, "")
	assert.Equal(t, "LUCID_ERR_4000", r.errCode(t))

	// Raise one again, then delete the node: its alert is cleared and its series are gone.
	step(99)
	require.Len(t, active(), 1)
	e.must(http.StatusNoContent, "DELETE", "/api/v1/nodes/"+e.node, e.admin, "", nil)
	body = e.scrape()
	assert.NotContains(t, body, e.node)
	left, err := e.srv.Monitor().ActiveAlerts(context.Background(), 0)
	require.NoError(t, err)
	assert.Empty(t, left)
}

func TestResourceAllocateOverHTTP(t *testing.T) {
	t.Parallel()
	e := newResEnv(t)
	var p nodemgmt.Pool
	e.must(http.StatusCreated, "POST", "/api/v1/nodes/pools", e.admin,
		`{"name":"limited","max_nodes":10,"resource_limits":{"memory_bytes":8589934592,"cpu_percent":50}}`, &p)
	pooled := e.createNode("res-pooled", p.PoolID)
	alloc := func(node, body string) resp {
		t.Helper()
		return e.do("POST", "/api/v1/nodes/"+node+"/resources/allocate", e.admin, body)
	}

	// Hardware: 16 GiB memory, 500 GB disk, 1000 Mbps.
	for _, body := range []string{`{"memory_bytes":17179869185}`, `{"disk_bytes":500000000001}`, `{"network_mbps":1000.5}`, `{"cpu_percent":101}`} {
		r := alloc(e.node, body)
		require.Equal(t, http.StatusBadRequest, r.Code, "%s: %s", body, r.Body)
		assert.Equal(t, "LUCID_ERR_5009", r.errCode(t), body)
		viol := r.json(t)["error"].(map[string]any)["details"].(map[string]any)["violations"].([]any)
		assert.Equal(t, "hardware", viol[0].(map[string]any)["scope"])
	}
	// Pool: 8 GiB and 50 % per node.
	r := alloc(pooled.NodeID, `{"memory_bytes":10737418240,"cpu_percent":60}`)
	require.Equal(t, http.StatusConflict, r.Code, "%s", r.Body)
	assert.Equal(t, "LUCID_ERR_5004", r.errCode(t))
	assert.Len(t, r.json(t)["error"].(map[string]any)["details"].(map[string]any)["violations"], 2)

	for _, bad := range []struct{ body, code string }{
		{`{"memory_bytes":1,"gpu":1}`, "LUCID_ERR_4001"},
		{`{"memory_bytes":-1}`, "LUCID_ERR_4000"},
		{`{"memory_bytes":"1"}`, "LUCID_ERR_4001"},
	} {
		assert.Equal(t, bad.code, alloc(e.node, bad.body).errCode(t), bad.body)
	}

	var a nodemgmt.Allocation
	e.must(http.StatusOK, "POST", "/api/v1/nodes/"+pooled.NodeID+"/resources/allocate", e.admin,
		`{"memory_bytes":4294967296,"cpu_percent":25,"network_mbps":100}`, &a)
	assert.Equal(t, int64(4<<30), a.MemoryBytes)
	var sum nodemgmt.ResourceSummary
	e.must(http.StatusOK, "GET", "/api/v1/nodes/"+pooled.NodeID+"/resources", e.admin, "", &sum)
	require.NotNil(t, sum.Allocation)
	assert.Equal(t, 25.0, sum.Allocation.CPUPercent)
}

func TestResourceAccess(t *testing.T) {
	t.Parallel()
	e := newResEnv(t)
	other := e.createNode("res-node-other", "")
	otherWorker := e.token(auth.RoleWorker, other.NodeID)
	validator := e.token(auth.RoleValidator, "")
	base := "/api/v1/nodes/" + e.node + "/resources"
	sample := sampleJSON(t, e.clock.Now(), 5, nil)
	routes := []struct {
		method, path, body string
		worker             bool // the node's own worker may call it
		write              bool
	}{
		{"GET", base, "", true, false},
		{"GET", base + "/metrics", "", true, false},
		{"GET", base + "/alerts", "", true, false},
		{"POST", base + "/metrics", sample, true, true},
		{"PUT", base + "/thresholds", `{"cpu":{"warning":10,"critical":20}}`, false, true},
		{"POST", base + "/allocate", `{"cpu_percent":1}`, false, true},
	}
	for _, rt := range routes {
		name := rt.method + " " + rt.path
		assert.Equal(t, "LUCID_ERR_4010", e.do(rt.method, rt.path, "", rt.body).errCode(t), name)
		assert.Equal(t, "LUCID_ERR_4010", e.do(rt.method, rt.path, "not-a-token", rt.body).errCode(t), name)
		assert.Equal(t, "LUCID_ERR_4030", e.do(rt.method, rt.path, otherWorker, rt.body).errCode(t), name+" other worker")
		r := e.do(rt.method, rt.path, e.worker, rt.body)
		if rt.worker {
			assert.Less(t, r.Code, 300, "%s own worker: %s", name, r.Body)
		} else {
			assert.Equal(t, "LUCID_ERR_4030", r.errCode(t), name+" own worker")
		}
		r = e.do(rt.method, rt.path, validator, rt.body)
		if rt.write {
			assert.Equal(t, "LUCID_ERR_4030", r.errCode(t), name+" validator")
		} else {
			assert.Equal(t, http.StatusOK, r.Code, "%s validator: %s", name, r.Body)
		}
	}
	r := e.do("DELETE", base+"/thresholds", e.admin, "")
	assert.Equal(t, "LUCID_ERR_4050", r.errCode(t))
}

// TestResourceAlertGaugesSeeded checks that alerts active in the store when the server starts
// are on /metrics at once.
func TestResourceAlertGaugesSeeded(t *testing.T) {
	t.Parallel()
	store := memory.New()
	now := time.Now().UTC()
	_, err := store.SwapAlert(context.Background(), "node_seeded01", nodemgmt.ResourceDisk, now,
		&nodemgmt.Alert{ID: "alert_seed", NodeID: "node_seeded01", Resource: nodemgmt.ResourceDisk,
			Level: nodemgmt.LevelCritical, Value: 97, Threshold: 95, RaisedAt: now})
	require.NoError(t, err)
	e := newEnv(t, func(_ *Config, d *Deps) { d.Store = store })
	r := e.do("GET", "/metrics", "", "")
	assert.Contains(t, string(r.Body), `lucid_node_management_resource_alerts{level="critical",node_id="node_seeded01",resource="disk"} 1`)
}

func TestResourceMetricsCardinalityBound(t *testing.T) {
	t.Parallel()
	e := newResEnv(t, func(c *Config, _ *Deps) { c.ResourceMetricsNodes = 1 })
	second := e.createNode("res-node-2", "")
	now := e.clock.Now()
	require.Equal(t, http.StatusCreated, e.report(e.worker, e.node, sampleJSON(t, now, 1, nil)).Code)
	require.Equal(t, http.StatusCreated, e.report(e.admin, second.NodeID, sampleJSON(t, now, 2, nil)).Code)
	body := e.scrape()
	assert.Contains(t, body, e.node)
	assert.NotContains(t, body, second.NodeID)
	assert.Contains(t, body, "lucid_node_management_resource_series_dropped_total 1")
}

// scriptedSource serves samples stamped with the real clock.
type scriptedSource struct {
	mu    sync.Mutex
	calls int
}

func (s *scriptedSource) Sample(context.Context) (nodemgmt.ResourceSample, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	return nodemgmt.ResourceSample{Timestamp: time.Now(), CPU: nodemgmt.CPUUsage{UsagePercent: float64(s.calls % 100), Cores: 2}}, nil
}

// TestResourceCollectorLoop serves with HOST_NODE_ID set and a scripted source: samples are
// collected for the host node in the background, retention runs at start, and Serve stops the
// loops on shutdown.
func TestResourceCollectorLoop(t *testing.T) {
	t.Parallel()
	store := memory.New()
	src := &scriptedSource{}
	cfg := testConfig()
	cfg.ResourceCollectionInterval = 10 * time.Millisecond
	srv, err := New(cfg, Deps{Store: store, HostMetrics: src, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	n, err := srv.Service().CreateNode(context.Background(), nodemgmt.Actor{Subject: "test"}, nodemgmt.CreateNodeRequest{
		Name: "host-node", HardwareInfo: nodemgmt.HardwareInfo{CPU: nodemgmt.CPUInfo{Cores: 2},
			Memory: nodemgmt.MemoryInfo{TotalBytes: 1 << 30}, Storage: nodemgmt.StorageInfo{TotalBytes: 100 << 30, Type: "SSD"},
			Network: []nodemgmt.NetworkInfo{{Interface: "eth0", SpeedMbps: 1000}}}})
	require.NoError(t, err)
	// The config is read by New; the host node is set before Serve starts the loops.
	srv.cfg.HostNodeID = n.NodeID
	// A sample older than RESOURCE_RETENTION_DAYS (stored directly, as validation would refuse
	// it): the retention loop deletes it when Serve starts, and keeps its hourly aggregate.
	old := nodemgmt.ResourceSample{NodeID: n.NodeID, Timestamp: time.Now().UTC().Add(-91 * 24 * time.Hour).Truncate(time.Hour)}
	require.NoError(t, store.SaveSample(context.Background(), &old))
	oldRange := nodemgmt.AggregateQuery{NodeID: n.NodeID, Metric: nodemgmt.MetricCPU, Start: old.Timestamp, End: old.Timestamp.Add(time.Hour)}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	require.Eventually(t, func() bool {
		pts, err := store.AggregateSamples(context.Background(), nodemgmt.AggregateQuery{NodeID: n.NodeID,
			Metric: nodemgmt.MetricCPU, Start: time.Now().Add(-time.Hour), End: time.Now().Add(time.Hour)})
		return err == nil && len(pts) == 1 && pts[0].Samples >= 3
	}, 5*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool {
		pts, err := store.AggregateSamples(context.Background(), oldRange)
		return err == nil && len(pts) == 0
	}, 5*time.Second, 10*time.Millisecond, "retention deleted the raw sample")
	oldRange.Bucket = time.Hour
	pts, err := store.AggregateSamples(context.Background(), oldRange)
	require.NoError(t, err)
	assert.Len(t, pts, 1, "the hourly aggregate outlives the raw sample")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	src.mu.Lock()
	calls := src.calls
	src.mu.Unlock()
	time.Sleep(50 * time.Millisecond)
	src.mu.Lock()
	defer src.mu.Unlock()
	assert.Equal(t, calls, src.calls, "the collector stopped with the server")
}
