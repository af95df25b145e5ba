package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/refserver"
	"github.com/hamigames/lucid-node-management/refserver/auth"
	"github.com/hamigames/lucid-node-management/storage"
)

func testServer(t *testing.T) (*refserver.Server, string) {
	t.Helper()
	st, err := storage.Open(context.Background(), "memory:", storage.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	cfg := refserver.DefaultConfig()
	cfg.JWTSecret = "nodeagent-test-secret-0123456789abcdef0123"
	cfg.RateLimits = refserver.RateLimits{}
	srv, err := refserver.New(cfg, refserver.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return srv, ts.URL
}

// runFor runs the agent for d and requires a clean stop.
func runFor(t *testing.T, o options, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, o, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	time.Sleep(d)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not stop after its context ended")
	}
}

func samples(t *testing.T, srv *refserver.Server, node string) int64 {
	t.Helper()
	sum, err := srv.Monitor().Current(context.Background(), node, "1h")
	require.NoError(t, err)
	return sum.Summary[nodemgmt.MetricCPU].Samples
}

// TestAgentRegistersHeartbeatsAndReports runs the agent against an in-process server: with an
// admin token it registers this machine and starts it; then, with the node's worker token, a
// second run reuses the node. The node must be active and healthy with the host's samples.
func TestAgentRegistersHeartbeatsAndReports(t *testing.T) {
	t.Parallel()
	srv, url := testServer(t)
	admin, err := srv.Authority().Issue(auth.RoleAdmin, "", time.Hour)
	require.NoError(t, err)
	ctx := context.Background()

	o := options{Server: url, Token: admin, Name: "agent-test", ReportInterval: 300 * time.Millisecond, DiskPath: "/"}
	runFor(t, o, 1500*time.Millisecond)

	list, err := srv.Service().ListNodes(ctx, nodemgmt.NodeQuery{})
	require.NoError(t, err)
	require.Len(t, list.Nodes, 1)
	n := list.Nodes[0]
	assert.Equal(t, "agent-test", n.Name)
	assert.Equal(t, nodemgmt.HealthHealthy, n.Health)
	assert.NotNil(t, n.LastHeartbeat)
	assert.GreaterOrEqual(t, n.HardwareInfo.CPU.Cores, 1)
	first := samples(t, srv, n.NodeID)
	assert.GreaterOrEqual(t, first, int64(2), "host samples were reported")
	sum, err := srv.Monitor().Current(ctx, n.NodeID, "1h")
	require.NoError(t, err)
	require.NotNil(t, sum.Current)
	assert.Positive(t, sum.Current.Memory.TotalBytes)

	// A second run with the same name reuses the node; -start starts it and stops it on exit.
	o.Start = true
	runFor(t, o, 700*time.Millisecond)
	list, err = srv.Service().ListNodes(ctx, nodemgmt.NodeQuery{})
	require.NoError(t, err)
	require.Len(t, list.Nodes, 1, "the node is reused, not registered twice")
	assert.Equal(t, nodemgmt.StatusInactive, list.Nodes[0].Status, "stopped on exit")

	// With the node's worker token and its id.
	worker, err := srv.Authority().Issue(auth.RoleWorker, n.NodeID, time.Hour)
	require.NoError(t, err)
	before := samples(t, srv, n.NodeID)
	runFor(t, options{Server: url, Token: worker, NodeID: n.NodeID, ReportInterval: 300 * time.Millisecond, DiskPath: "/"}, time.Second)
	assert.Greater(t, samples(t, srv, n.NodeID), before)
	got, err := srv.Service().GetNode(ctx, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.HealthHealthy, got.Health)
}

func TestParseOptions(t *testing.T) {
	t.Parallel()
	env := map[string]string{"LUCID_TOKEN": "tok", "LUCID_SERVER": "http://x:1", "LUCID_REPORT_INTERVAL": "10s"}
	o, err := parseOptions([]string{"-node", "node_abcdef12"}, func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, options{Server: "http://x:1", Token: "tok", NodeID: "node_abcdef12", Name: o.Name,
		ReportInterval: 10 * time.Second, DiskPath: "/"}, o)
	assert.Regexp(t, `^agent-[a-zA-Z0-9_-]*$`, o.Name)

	for _, args := range [][]string{{"-report-interval", "100ms"}, {"-node", "bad id"}, {"extra"}} {
		_, err := parseOptions(args, func(k string) string { return env[k] })
		assert.Error(t, err, args)
	}
	_, err = parseOptions(nil, func(string) string { return "" })
	assert.ErrorContains(t, err, "token is required")
	assert.Equal(t, "agent-my-host-1", defaultName("my.host 1"))
	assert.Equal(t, "agent-node", defaultName(""))
}
