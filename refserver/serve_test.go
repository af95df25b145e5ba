package refserver

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/refserver/auth"
	"github.com/hamigames/lucid-node-management/storage"
)

// served is a Server running Serve on a loopback listener.
type served struct {
	srv    *Server
	store  storage.Store
	base   string
	cancel context.CancelFunc
	done   chan error
}

func serveSQLite(t *testing.T, path string, mutate func(*Config)) *served {
	t.Helper()
	store, err := storage.Open(context.Background(), "sqlite:"+path, storage.Options{EncryptionKey: benchKey,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	cfg := testConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := New(cfg, Deps{Store: store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{srv: srv, store: store, base: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- srv.Serve(ctx, ln) }()
	return s
}

func (s *served) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	require.NoError(t, s.store.Close())
}

func httpCall(t *testing.T, method, url, token, body string, out any) int {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	if out != nil {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
	}
	return resp.StatusCode
}

func TestRestartOnSameSQLiteFileKeepsEverything(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "lucid.db")
	s := serveSQLite(t, path, nil)
	admin, err := s.srv.Authority().Issue(auth.RoleAdmin, "", time.Hour)
	require.NoError(t, err)
	var pool nodemgmt.Pool
	require.Equal(t, 201, httpCall(t, "POST", s.base+"/api/v1/nodes/pools", admin, `{"name":"keep-pool","description":"kept"}`, &pool))
	var node nodemgmt.Node
	require.Equal(t, 201, httpCall(t, "POST", s.base+"/api/v1/nodes", admin, nodeBody("keepnode", pool.PoolID), &node))
	require.Equal(t, 200, httpCall(t, "POST", s.base+"/api/v1/nodes/"+node.NodeID+"/start", admin, "", nil))
	require.Equal(t, 200, httpCall(t, "POST", s.base+"/api/v1/nodes/"+node.NodeID+"/heartbeat", admin, "", nil))
	s.stop(t)

	s = serveSQLite(t, path, nil)
	defer s.stop(t)
	var got nodemgmt.Node
	require.Equal(t, 200, httpCall(t, "GET", s.base+"/api/v1/nodes/"+node.NodeID, admin, "", &got))
	assert.Equal(t, "keepnode", got.Name)
	assert.Equal(t, nodemgmt.StatusActive, got.Status)
	assert.Equal(t, nodemgmt.HealthHealthy, got.Health)
	assert.Equal(t, node.HardwareInfo, got.HardwareInfo)
	// The restart gave the node the longer first deadline (RESTART_TTL, 5 min by default).
	require.NotNil(t, got.HealthDeadline)
	assert.Greater(t, time.Until(*got.HealthDeadline), 4*time.Minute)
	var gotPool nodemgmt.Pool
	require.Equal(t, 200, httpCall(t, "GET", s.base+"/api/v1/nodes/pools/"+pool.PoolID, admin, "", &gotPool))
	assert.Equal(t, 1, gotPool.NodeCount)
	assert.Equal(t, "kept", gotPool.Description)
	var list nodemgmt.NodeList
	require.Equal(t, 200, httpCall(t, "GET", s.base+"/api/v1/nodes?pool_id="+pool.PoolID+"&status=active", admin, "", &list))
	require.Len(t, list.Nodes, 1)
	var audit AuditList
	require.Equal(t, 200, httpCall(t, "GET", s.base+"/api/v1/audit?target="+node.NodeID, admin, "", &audit))
	assert.NotEmpty(t, audit.Entries)
}

func TestServeDrainsInFlightRequestsOnShutdown(t *testing.T) {
	t.Parallel()
	s := serveSQLite(t, filepath.Join(t.TempDir(), "drain.db"), nil)
	entered, release := make(chan struct{}), make(chan struct{})
	// Registered before the first request: the mux is only read while serving.
	s.srv.handle(route{method: "GET", path: "/api/v1/test-slow", scope: auth.ScopeNodeRead,
		h: func(w http.ResponseWriter, r *http.Request) error {
			close(entered)
			<-release
			s.srv.writeJSON(w, r, 200, map[string]string{"ok": "drained"})
			return nil
		}})
	admin, err := s.srv.Authority().Issue(auth.RoleAdmin, "", time.Hour)
	require.NoError(t, err)
	got := make(chan int, 1)
	go func() {
		var out map[string]string
		got <- httpCall(t, "GET", s.base+"/api/v1/test-slow", admin, "", &out)
	}()
	<-entered
	s.cancel()
	select {
	case <-s.done:
		t.Fatal("Serve returned while a request was in flight")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	assert.Equal(t, 200, <-got)
	select {
	case err := <-s.done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the drain")
	}
	require.NoError(t, s.store.Close())
}

func TestReaperRunsUnderServe(t *testing.T) {
	t.Parallel()
	s := serveSQLite(t, filepath.Join(t.TempDir(), "reap.db"), func(c *Config) {
		c.HeartbeatInterval = time.Second
		c.HeartbeatTTL = time.Second
		c.HeartbeatGrace = time.Second
		c.RestartTTL = time.Second
		c.ReaperInterval = 50 * time.Millisecond
	})
	defer s.stop(t)
	admin, err := s.srv.Authority().Issue(auth.RoleAdmin, "", time.Hour)
	require.NoError(t, err)
	var node nodemgmt.Node
	require.Equal(t, 201, httpCall(t, "POST", s.base+"/api/v1/nodes", admin, nodeBody("reapnode", ""), &node))
	var ack nodemgmt.HeartbeatAck
	require.Equal(t, 200, httpCall(t, "POST", s.base+"/api/v1/nodes/"+node.NodeID+"/heartbeat", admin, "", &ack))
	assert.Equal(t, 1, ack.TTLSeconds)
	require.Eventually(t, func() bool {
		var n nodemgmt.Node
		httpCall(t, "GET", s.base+"/api/v1/nodes/"+node.NodeID, admin, "", &n)
		return n.Health == nodemgmt.HealthDown
	}, 5*time.Second, 50*time.Millisecond)
}
