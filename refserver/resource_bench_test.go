package refserver

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/refserver/auth"
)

// benchNode creates one node through the service.
func benchNode(tb testing.TB, srv *Server, name string) string {
	tb.Helper()
	n, err := srv.Service().CreateNode(context.Background(), nodemgmt.Actor{Subject: "bench"}, nodemgmt.CreateNodeRequest{
		Name: name, NodeType: nodemgmt.NodeTypeWorker,
		HardwareInfo: nodemgmt.HardwareInfo{CPU: nodemgmt.CPUInfo{Cores: 8},
			Memory:  nodemgmt.MemoryInfo{TotalBytes: 16 << 30},
			Storage: nodemgmt.StorageInfo{TotalBytes: 500_000_000_000, Type: "SSD"},
			Network: []nodemgmt.NetworkInfo{{Interface: "eth0", SpeedMbps: 1000}}},
	})
	require.NoError(tb, err)
	return n.NodeID
}

// benchSample is a realistic sample (two interfaces, load averages, temperatures absent).
func benchSample(ts time.Time, i int) nodemgmt.ResourceSample {
	return nodemgmt.ResourceSample{
		Timestamp: ts,
		CPU:       nodemgmt.CPUUsage{UsagePercent: float64(i%97) + 0.25, Cores: 8, FrequencyMHz: 3200, LoadAverage: nodemgmt.LoadAverage{1.5, 1.2, 0.9}},
		Memory:    nodemgmt.MemoryUsage{TotalBytes: 16 << 30, UsedBytes: int64(i%16+1) << 29, FreeBytes: 4 << 30, CachedBytes: 2 << 30},
		Disk:      nodemgmt.DiskUsage{TotalBytes: 500e9, UsedBytes: 200e9, FreeBytes: 300e9, ReadIOPS: 120, WriteIOPS: 80, ReadThroughputMBps: 12.5, WriteThroughputMBps: 8},
		Network: nodemgmt.NetworkUsage{
			Interfaces: []nodemgmt.InterfaceUsage{
				{Name: "eth0", BytesIn: int64(i) * 1000, BytesOut: int64(i) * 500, PacketsIn: int64(i), PacketsOut: int64(i), InMbps: 80, OutMbps: 40},
				{Name: "lo", BytesIn: 100, BytesOut: 100},
			},
			TotalBytesIn: int64(i) * 1000, TotalBytesOut: int64(i) * 500, PacketsIn: int64(i), PacketsOut: int64(i), InMbps: float64(i % 300), OutMbps: 40},
	}
}

// processCPU is the CPU time (user+system) the process has used so far.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	require.NoError(tb, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds cpu_ms/op: CPU time per operation, which unlike ns/op does not grow when other
// processes compete for the cores (the query benchmarks run one goroutine and no server loops).
func reportCPU(b *testing.B, before time.Duration) {
	b.ReportMetric(float64((processCPU(b)-before).Microseconds())/1000/float64(b.N), "cpu_ms/op")
}

// BenchmarkResourceMetricsQuery measures GET …/resources/metrics for one node holding 7 days
// of 1-minute samples (10,080) in SQLite, at 1h granularity (168 points, from the hourly
// aggregates) and 5m (2,016 points, GROUP BY over the raw rows), through the Monitor and
// through the full HTTP handler, and GET …/resources?time_range=7d (latest sample and a
// whole-range summary of every metric type). Baselines in the same run: the naive way (read the 10,080 raw
// rows into Go and bucket them there) and GET node through the same handler.
func BenchmarkResourceMetricsQuery(b *testing.B) {
	path := filepath.Join(b.TempDir(), "metrics.db")
	store := openSQLite(b, path)
	defer store.Close()
	srv, err := New(testConfig(), Deps{Store: store, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	require.NoError(b, err)
	node := benchNode(b, srv, "metrics-bench")
	ctx := context.Background()
	end := time.Now().UTC().Truncate(time.Hour)
	start := end.Add(-7 * 24 * time.Hour)
	for i := range 7 * 24 * 60 {
		s := benchSample(start.Add(time.Duration(i)*time.Minute), i)
		s.NodeID = node
		require.NoError(b, store.SaveSample(ctx, &s))
	}
	tok, err := srv.Authority().Issue(auth.RoleAdmin, "", time.Hour)
	require.NoError(b, err)
	mon := srv.Monitor()

	query := func(g string) func(b *testing.B) {
		return func(b *testing.B) {
			var pts int
			defer reportCPU(b, processCPU(b))
			for range b.N {
				res, err := mon.Metrics(ctx, node, nodemgmt.MetricsQuery{MetricType: nodemgmt.MetricCPU, Granularity: g, Start: start, End: end})
				if err != nil {
					b.Fatal(err)
				}
				pts = len(res.Points)
			}
			b.ReportMetric(float64(pts), "points")
		}
	}
	serve := func(path string) func(b *testing.B) {
		return func(b *testing.B) {
			defer reportCPU(b, processCPU(b))
			for range b.N {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				rec := httptest.NewRecorder()
				srv.Handler().ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
				}
			}
		}
	}
	rng := "&start_time=" + start.Format(time.RFC3339) + "&end_time=" + end.Format(time.RFC3339)
	metricsPath := "/api/v1/nodes/" + node + "/resources/metrics?metric_type=cpu"

	// The naive way reads every raw row of the range and buckets in Go, on its own read-only
	// connection to the same file.
	raw, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	require.NoError(b, err)
	defer raw.Close()
	naive := func(b *testing.B) {
		bucket := (5 * time.Minute).Microseconds()
		var pts int
		defer reportCPU(b, processCPU(b))
		for range b.N {
			rows, err := raw.QueryContext(ctx, `SELECT ts, cpu, memory, disk, network FROM resource_samples
				WHERE node_id = ? AND ts >= ? AND ts < ? ORDER BY ts`, node, start.UnixMicro(), end.UnixMicro())
			if err != nil {
				b.Fatal(err)
			}
			type agg struct {
				n             int64
				sum, min, max float64
			}
			buckets := map[int64]*agg{}
			var order []int64
			for rows.Next() {
				var ts int64
				var cpu, mem, disk, netw float64
				if err := rows.Scan(&ts, &cpu, &mem, &disk, &netw); err != nil {
					b.Fatal(err)
				}
				k := ts - ts%bucket
				a := buckets[k]
				if a == nil {
					a = &agg{min: cpu, max: cpu}
					buckets[k] = a
					order = append(order, k)
				}
				a.n++
				a.sum += cpu
				a.min, a.max = min(a.min, cpu), max(a.max, cpu)
			}
			if err := rows.Close(); err != nil {
				b.Fatal(err)
			}
			pts = len(order)
		}
		b.ReportMetric(float64(pts), "points")
	}

	b.Run("monitor_1h_7d", query("1h"))
	b.Run("monitor_5m_7d", query("5m"))
	b.Run("http_1h_7d", serve(metricsPath+"&granularity=1h"+rng))
	b.Run("http_5m_7d", serve(metricsPath+"&granularity=5m"+rng))
	b.Run("http_current_7d", serve("/api/v1/nodes/"+node+"/resources?time_range=7d"))
	b.Run("baseline_naive_5m_7d", naive)
	b.Run("baseline_http_get_node", serve("/api/v1/nodes/"+node))
}

// BenchmarkResourceIngest measures remote samples reported over real loopback HTTP (keep-alive,
// 8 parallel clients, 16 nodes) into SQLite, next to a no-op POST route that passes the same
// middleware and reads the same body.
func BenchmarkResourceIngest(b *testing.B) {
	store := openSQLite(b, filepath.Join(b.TempDir(), "ingest.db"))
	srv, err := New(testConfig(), Deps{Store: store, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	require.NoError(b, err)
	srv.handle(route{method: "POST", path: "/api/v1/bench/resource-noop", scope: auth.ScopeNodeWrite,
		h: func(w http.ResponseWriter, r *http.Request) error {
			if _, err := io.Copy(io.Discard, r.Body); err != nil {
				return err
			}
			w.Header().Set("Content-Type", "application/json")
			_, err := w.Write([]byte("{}"))
			return err
		}})
	nodes := make([]string, 16)
	for i := range nodes {
		nodes[i] = benchNode(b, srv, fmt.Sprintf("ingest-%02d", i))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		require.NoError(b, <-done)
		require.NoError(b, store.Close())
	}()
	tok, err := srv.Authority().Issue(auth.RoleAdmin, "", time.Hour)
	require.NoError(b, err)
	base := "http://" + ln.Addr().String()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64}}

	// Bodies are the same sample with a placeholder timestamp, so the client side costs little.
	tmpl, err := json.Marshal(benchSample(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), 7))
	require.NoError(b, err)
	const placeholder = `"2000-01-01T00:00:00Z"`
	require.Contains(b, string(tmpl), placeholder)
	origin := time.Now().UTC().Add(-time.Hour)
	var seq atomic.Int64
	post := func(path string, want int) error {
		i := seq.Add(1)
		ts := origin.Add(time.Duration(i) * time.Microsecond).Format(time.RFC3339Nano)
		body := strings.Replace(string(tmpl), placeholder, `"`+ts+`"`, 1)
		req, err := http.NewRequest(http.MethodPost, base+path, bytes.NewReader([]byte(body)))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != want {
			return fmt.Errorf("POST %s: %d", path, resp.StatusCode)
		}
		return nil
	}
	for _, bc := range []struct {
		name string
		path func(i int64) string
		want int
	}{
		{"baseline_noop_post", func(int64) string { return "/api/v1/bench/resource-noop" }, http.StatusOK},
		{"report_sample", func(i int64) string { return "/api/v1/nodes/" + nodes[i%int64(len(nodes))] + "/resources/metrics" }, http.StatusCreated},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var failed atomic.Int64
			var worker atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				w := worker.Add(1)
				for pb.Next() {
					if err := post(bc.path(w), bc.want); err != nil {
						failed.Add(1)
					}
				}
			})
			b.StopTimer()
			require.Zero(b, failed.Load())
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
