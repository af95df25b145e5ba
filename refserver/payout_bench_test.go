package refserver

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/payout/memstore"
	"github.com/hamigames/lucid-node-management/payout/tron"
	"github.com/hamigames/lucid-node-management/payout/tron/trontest"
	"github.com/hamigames/lucid-node-management/refserver/auth"
)

// batchTemplate is a 1000-payout batch body whose batch_id is batch_ followed by 12 digits at
// idAt, so each iteration can post a new batch by rewriting those digits in place.
func batchTemplate(n int) (body []byte, idAt int) {
	b, _ := batchBody("batch_000000000000", n)
	return []byte(b), strings.Index(b, "000000000000")
}

func setBatchID(body []byte, at, i int) { copy(body[at:at+12], fmt.Sprintf("%012d", i)) }

// BenchmarkPayoutBatchAccept posts a 1000-payout batch over real loopback HTTP to a server on
// SQLite (validated, persisted in one transaction, audited) next to baselines measured in the
// same run with the same body: a route that only reads the body, one that decodes it, and one
// that decodes and validates it (addresses, amounts, ids) without storing.
func BenchmarkPayoutBatchAccept(b *testing.B) {
	store := openSQLite(b, filepath.Join(b.TempDir(), "bench.db"))
	defer store.Close()
	srv, err := New(testConfig(), Deps{Store: store, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	require.NoError(b, err)
	w := auth.ScopePayoutWrite
	noop := func(w http.ResponseWriter) error {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, err := w.Write([]byte("{}"))
		return err
	}
	srv.handle(route{method: "POST", path: "/api/v1/bench/read", scope: w, h: func(wr http.ResponseWriter, r *http.Request) error {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return err
		}
		return noop(wr)
	}})
	srv.handle(route{method: "POST", path: "/api/v1/bench/decode", scope: w, h: func(wr http.ResponseWriter, r *http.Request) error {
		if _, err := payout.DecodeBatchRequest(r.Body); err != nil {
			return err
		}
		return noop(wr)
	}})
	srv.handle(route{method: "POST", path: "/api/v1/bench/validate", scope: w, h: func(wr http.ResponseWriter, r *http.Request) error {
		req, err := payout.DecodeBatchRequest(r.Body)
		if err != nil {
			return err
		}
		if _, _, err := payout.ValidateBatch(req, payout.ValidateOptions{Now: time.Now()}); err != nil {
			return err
		}
		return noop(wr)
	}})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	tok, err := srv.Authority().Issue(auth.RoleAdmin, "", time.Hour)
	require.NoError(b, err)
	body, idAt := batchTemplate(payout.MaxBatchSize)
	b.Logf("body %d bytes", len(body))
	seq := 0
	for _, bc := range []struct{ name, path string }{
		{"read_body_baseline", "/api/v1/bench/read"},
		{"decode_baseline", "/api/v1/bench/decode"},
		{"decode_validate_baseline", "/api/v1/bench/validate"},
		{"accept_sqlite", "/api/v1/nodes/payouts/batch"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				seq++
				setBatchID(body, idAt, seq)
				req, _ := http.NewRequest("POST", hs.URL+bc.path, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tok)
				res, err := hs.Client().Do(req)
				if err != nil {
					b.Fatal(err)
				}
				out, _ := io.ReadAll(res.Body)
				_ = res.Body.Close()
				if res.StatusCode != http.StatusAccepted {
					b.Fatalf("%d: %s", res.StatusCode, out)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/batch")
		})
	}
}

// BenchmarkPayoutProcessSimulator pays 1000 payouts through the processor, the real TRON client
// and the simulator producing a block every 100 ms, over the SQLite and the memory store, and
// reports payouts/s and how many blocks the run took. The floor is set by the chain: a
// payout completes once its block has the confirmation depth, so 1000 payouts cannot finish
// in fewer than confirmations+1 blocks. Use -benchtime=1x; -cpuprofile shows where our time goes.
// cpu_ms/payout is the CPU the whole process (processor, client, simulator, store) spent per
// payout during the run: unlike payouts/s it does not depend on what else the machine runs.
func BenchmarkPayoutProcessSimulator(b *testing.B) {
	for _, conf := range []int64{1, 19} {
		for _, backend := range []string{"sqlite", "memory"} {
			b.Run(fmt.Sprintf("store=%s/confirmations=%d", backend, conf), func(b *testing.B) {
				for b.Loop() {
					processOnSimulator(b, backend, conf, 1000)
				}
			})
		}
	}
}

// payoutCPU is the user and system CPU time the process has used so far.
func payoutCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func processOnSimulator(b *testing.B, backend string, conf int64, n int) {
	b.StopTimer()
	ctx := context.Background()
	sim, err := trontest.NewServer(trontest.WithBlockInterval(100 * time.Millisecond))
	require.NoError(b, err)
	defer sim.Close()
	payer := trontest.NewAccount("bench-payer")
	require.NoError(b, sim.Mint(payer.Address, 1<<50))
	cl, err := tron.NewClient(tron.Config{Endpoint: sim.Addr(), Contract: sim.Contract(), PrivateKeyHex: payer.PrivateKeyHex, Confirmations: conf})
	require.NoError(b, err)
	defer cl.Close()
	var st payout.Store = memstore.New()
	if backend == "sqlite" {
		s := openSQLite(b, filepath.Join(b.TempDir(), "process.db"))
		defer s.Close()
		st = s
	}
	svc, err := payout.NewService(payout.ServiceConfig{Store: st, Clock: time.Now})
	require.NoError(b, err)
	body, idAt := batchTemplate(n)
	setBatchID(body, idAt, 1)
	req, err := payout.DecodeBatchRequest(bytes.NewReader(body))
	require.NoError(b, err)
	_, err = svc.SubmitBatch(ctx, req)
	require.NoError(b, err)
	proc, err := payout.NewProcessor(payout.ProcessorConfig{Store: st, Chain: cl, Clock: time.Now,
		Concurrency: 100, PollInterval: 20 * time.Millisecond})
	require.NoError(b, err)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	head0, _ := sim.Head()
	cpu0 := payoutCPU()
	start := time.Now()
	b.StartTimer()
	go func() { defer close(done); _ = proc.Run(runCtx) }()
	for {
		act, err := st.ListActive(ctx, "", 1)
		require.NoError(b, err)
		if len(act) == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond) // the run takes seconds; polling must not contend
	}
	el := time.Since(start)
	cpu := payoutCPU() - cpu0
	b.StopTimer()
	cancel()
	<-done
	head1, _ := sim.Head()
	pg, err := st.ListPayouts(ctx, payout.PayoutFilter{Status: payout.StatusCompleted, Limit: 1})
	require.NoError(b, err)
	require.Equal(b, n, pg.Total)
	require.Len(b, sim.Paid(), n)
	rep, err := payout.Audit(ctx, st, cl, sim.Lister(payer.Address))
	require.NoError(b, err)
	require.Empty(b, rep.Violations)
	b.ReportMetric(float64(n)/el.Seconds(), "payouts/s")
	b.ReportMetric(float64(head1-head0), "blocks")
	b.ReportMetric(float64(conf+1), "min_blocks")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(n), "cpu_ms/payout")
	b.StartTimer()
}
