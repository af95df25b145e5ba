package refserver

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/refserver/auth"
	"github.com/hamigames/lucid-node-management/refserver/internal/loadgen"
	"github.com/hamigames/lucid-node-management/storage/sqlite"
)

// benchKey is a fixed 32-byte test encryption key (hex).
const benchKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

// openSQLite opens (or reopens) an SQLite store at path.
func openSQLite(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i * 17)
	}
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{Key: key,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(tb, err)
	return st
}

// loopback is a running server over SQLite on a real loopback listener, with the rate limits
// lifted, an access log that is formatted but discarded, and a no-op route that passes the same
// middleware (request id, recovery, log, metrics, headers, body limit, auth) and writes {}.
type loopback struct {
	base   string
	token  string
	nodeID string
	client *http.Client
	stop   func()
}

func startLoopback(tb testing.TB, nodes int) *loopback {
	tb.Helper()
	store := openSQLite(tb, filepath.Join(tb.TempDir(), "bench.db"))
	cfg := testConfig() // rate limits lifted
	srv, err := New(cfg, Deps{Store: store, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	require.NoError(tb, err)
	srv.handle(route{method: "GET", path: "/api/v1/bench/noop", scope: auth.ScopeNodeRead,
		h: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Type", "application/json")
			_, err := w.Write([]byte("{}"))
			return err
		}})
	ctx := context.Background()
	var first string
	for i := range nodes {
		n, err := srv.Service().CreateNode(ctx, nodemgmt.Actor{Subject: "bench"}, nodemgmt.CreateNodeRequest{
			Name: fmt.Sprintf("bench-%04d", i), NodeType: nodemgmt.NodeTypeWorker,
			HardwareInfo: nodemgmt.HardwareInfo{CPU: nodemgmt.CPUInfo{Cores: 8},
				Memory:  nodemgmt.MemoryInfo{TotalBytes: 16 << 30},
				Storage: nodemgmt.StorageInfo{TotalBytes: 500_000_000_000, Type: "SSD"},
				Network: []nodemgmt.NetworkInfo{{Interface: "eth0", SpeedMbps: 1000}}},
		})
		require.NoError(tb, err)
		if first == "" {
			first = n.NodeID
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(runCtx, ln) }()
	tok, err := srv.Authority().Issue(auth.RoleAdmin, "", time.Hour)
	require.NoError(tb, err)
	lb := &loopback{base: "http://" + ln.Addr().String(), token: tok, nodeID: first,
		client: &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}}
	lb.stop = func() {
		cancel()
		require.NoError(tb, <-done)
		require.NoError(tb, store.Close())
	}
	return lb
}

func (lb *loopback) get(path string) error {
	req, err := http.NewRequest(http.MethodGet, lb.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+lb.token)
	resp, err := lb.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d", path, resp.StatusCode)
	}
	return nil
}

// BenchmarkLoopback measures the full stack over real loopback HTTP with keep-alive and
// parallel clients against SQLite: the no-op route (the cost of the stack itself), GET node and
// list nodes, in the same run.
func BenchmarkLoopback(b *testing.B) {
	lb := startLoopback(b, 200)
	defer lb.stop()
	for _, bc := range []struct{ name, path string }{
		{"noop", "/api/v1/bench/noop"},
		{"get_node", "/api/v1/nodes/" + lb.nodeID},
		{"list_nodes_20", "/api/v1/nodes?limit=20&page=3"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			require.NoError(b, lb.get(bc.path))
			var failed atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := lb.get(bc.path); err != nil {
						failed.Add(1)
					}
				}
			})
			b.StopTimer()
			require.Zero(b, failed.Load())
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

// BenchmarkGetNodeFixedRate runs GET node at a fixed 1,000 requests/s (open loop) over loopback
// against SQLite and reports the latency percentiles. The run lasts LUCID_LOAD_SECONDS (default
// 10) whatever b.N is; use -benchtime=1x.
func BenchmarkGetNodeFixedRate(b *testing.B) {
	secs := 10
	if v, err := strconv.Atoi(os.Getenv("LUCID_LOAD_SECONDS")); err == nil && v > 0 {
		secs = v
	}
	lb := startLoopback(b, 200)
	defer lb.stop()
	url := lb.base + "/api/v1/nodes/" + lb.nodeID
	b.ResetTimer()
	var res loadgen.Result
	for range b.N {
		var err error
		res, err = loadgen.Run(context.Background(), loadgen.Config{Rate: 1000, Duration: time.Duration(secs) * time.Second,
			Client: lb.client,
			NewRequest: func(ctx context.Context, _ int) (*http.Request, error) {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				if err == nil {
					req.Header.Set("Authorization", "Bearer "+lb.token)
				}
				return req, err
			}})
		require.NoError(b, err)
	}
	b.StopTimer()
	b.Log(res.String())
	require.Zero(b, res.Errors)
	b.ReportMetric(float64(res.P50.Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(res.P99.Microseconds())/1000, "p99_ms")
	b.ReportMetric(float64(res.Max.Microseconds())/1000, "max_ms")
	b.ReportMetric(float64(res.Dropped), "dropped")
}
