package refserver

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/poot/poottest"
	"github.com/hamigames/lucid-node-management/refserver/auth"
)

// pootBench is a server over SQLite (not necessarily listening) with keyed, active nodes and a
// frozen clock, so every honest proof is valid and the work per proof is the full path: checks,
// signature, nonce and challenge consumption, history read, score, save, score write, audit.
type pootBench struct {
	srv   *Server
	nodes []*poottest.Node
	clock *poottest.Clock
	close func()
}

func newPootBench(b *testing.B, nodes int) *pootBench {
	b.Helper()
	store := openSQLite(b, filepath.Join(b.TempDir(), "poot-bench.db"))
	clock := poottest.NewClock(time.Time{})
	cfg := testConfig()
	cfg.MaxBodyBytes = 8 << 20 // a 1000-proof batch of 1 KiB outputs is about 1.7 MB of JSON
	srv, err := New(cfg, Deps{Store: store, Now: clock.Now, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	require.NoError(b, err)
	pb := &pootBench{srv: srv, clock: clock, close: func() { require.NoError(b, store.Close()) }}
	ctx := context.Background()
	for i := range nodes {
		tn := poottest.NewNamedNode(b, fmt.Sprintf("bench-poot-%04d", i))
		tn.Clock = clock
		n, err := srv.Service().CreateNode(ctx, nodemgmt.Actor{Subject: "bench"}, nodemgmt.CreateNodeRequest{
			Name: fmt.Sprintf("bench-poot-%04d", i), NodeType: nodemgmt.NodeTypeWorker, PublicKey: tn.PublicKey(),
			HardwareInfo: nodemgmt.HardwareInfo{CPU: nodemgmt.CPUInfo{Cores: 8}, Memory: nodemgmt.MemoryInfo{TotalBytes: 16 << 30},
				Storage: nodemgmt.StorageInfo{TotalBytes: 500_000_000_000, Type: "SSD"},
				Network: []nodemgmt.NetworkInfo{{Interface: "eth0", SpeedMbps: 1000}}},
		})
		require.NoError(b, err)
		_, err = srv.Service().StartNode(ctx, nodemgmt.Actor{Subject: "bench"}, n.NodeID)
		require.NoError(b, err)
		_, err = srv.Service().Heartbeat(ctx, n.NodeID)
		require.NoError(b, err)
		tn.ID = n.NodeID
		pb.nodes = append(pb.nodes, tn)
	}
	return pb
}

// proofs issues n challenges round-robin over the nodes and answers each with a signed proof of
// a distinct 1 KiB output.
func (pb *pootBench) proofs(b *testing.B, n int) []poot.Proof {
	b.Helper()
	out := make([]poot.Proof, n)
	output := bytes.Repeat([]byte{'o'}, 1024)
	for i := range out {
		node := pb.nodes[i%len(pb.nodes)]
		c, err := pb.srv.poot.v.IssueChallenge(context.Background(), node.ID)
		require.NoError(b, err)
		copy(output, fmt.Sprintf("%016d", i))
		out[i] = node.Answer(c.Nonce, output)
	}
	return out
}

// cpuMeter reports the process CPU time (user + system) per operation next to the wall-clock
// numbers: on a shared machine whose other processes take the cores, CPU per operation is the
// figure that does not depend on them (2 cores / cpu-ns per op bounds the throughput).
type cpuMeter struct{ start time.Duration }

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuMeter { return cpuMeter{start: cpuNow()} }

func (m cpuMeter) report(b *testing.B, ops int) {
	cpu := cpuNow() - m.start
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(ops), "cpu-ns/op")
}

// baselineVerify is the floor of one validation: sha-256 of the output and one ed25519
// verification of the canonical message.
type baselineVerify struct {
	pub     ed25519.PublicKey
	outputs [][]byte
	msgs    [][]byte
	sigs    [][]byte
}

func newBaseline(n int) *baselineVerify {
	pub, priv := poottest.KeyPair("baseline")
	bv := &baselineVerify{pub: pub}
	for i := range n {
		out := bytes.Repeat([]byte{byte(i)}, 1024)
		sum := sha256.Sum256(out)
		msg := poot.CanonicalMessage("node_baseline_0001", poot.NewChallengeNonce(), "2026-01-02T03:04:05Z", hex.EncodeToString(sum[:]))
		bv.outputs, bv.msgs, bv.sigs = append(bv.outputs, out), append(bv.msgs, msg), append(bv.sigs, ed25519.Sign(priv, msg))
	}
	return bv
}

func (bv *baselineVerify) verify(i int) bool {
	i %= len(bv.msgs)
	sum := sha256.Sum256(bv.outputs[i])
	_ = sum
	return ed25519.Verify(bv.pub, bv.msgs[i], bv.sigs[i])
}

// BenchmarkPootValidate measures single validations of 1 KiB signed, challenged proofs,
// in-process against SQLite, from 1 to 32 parallel callers per core, next to the
// floor of the same number of sha-256 + ed25519 verifications in the same run. The validation
// includes the HTTP handler's own follow-up work (poot_score write and audit entry) in the
// "with_score_and_audit" case.
func BenchmarkPootValidate(b *testing.B) {
	b.Run("baseline_sha256_ed25519", func(b *testing.B) {
		bv := newBaseline(64)
		var i atomic.Int64
		b.SetParallelism(4)
		b.ResetTimer()
		cpu := startCPU()
		b.RunParallel(func(p *testing.PB) {
			for p.Next() {
				if !bv.verify(int(i.Add(1))) {
					b.Error("bad signature")
				}
			}
		})
		cpu.report(b, b.N)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
	// Throughput as a function of concurrency: callers = par × GOMAXPROCS. Concurrent proofs
	// share the store's group commits, so throughput grows with callers until the CPU is full.
	cases := []struct {
		full bool
		par  int
	}{{false, 1}, {false, 4}, {false, 16}, {false, 32}, {true, 4}, {true, 32}}
	for _, tc := range cases {
		full, par := tc.full, tc.par
		name := fmt.Sprintf("validator_sqlite/callers=%d", par*runtime.GOMAXPROCS(0))
		if full {
			name = fmt.Sprintf("with_score_and_audit_sqlite/callers=%d", par*runtime.GOMAXPROCS(0))
		}
		b.Run(name, func(b *testing.B) {
			pb := newPootBench(b, 64)
			defer pb.close()
			proofs := pb.proofs(b, b.N)
			var next atomic.Int64
			var invalid atomic.Int64
			req := httpRequestFor(pb.srv)
			b.SetParallelism(par)
			b.ResetTimer()
			cpu := startCPU()
			b.RunParallel(func(p *testing.PB) {
				for p.Next() {
					i := next.Add(1) - 1
					v, err := pb.srv.poot.v.Validate(context.Background(), proofs[i])
					if err != nil || !v.IsValid {
						invalid.Add(1)
						continue
					}
					if full {
						pb.srv.poot.scores.apply(context.Background(), v)
						pb.srv.pootAuditValidation(req, v, "")
					}
				}
			})
			b.StopTimer()
			cpu.report(b, b.N)
			require.Zero(b, invalid.Load(), "every honest proof must be valid")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}

// httpRequestFor is a request carrying an admin principal, for the audit helper.
func httpRequestFor(*Server) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "/", nil)
	st := &reqState{principal: &auth.Principal{Subject: "bench", Role: auth.RoleAdmin}}
	return r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
}

// BenchmarkPootBatch1000 measures a batch of 1000 signed 1 KiB proofs over 64 nodes: end to
// end over HTTP on loopback against SQLite (encode, send, decode, judge, score writes, 1001
// audit entries, answer), the same batch in-process through the validator, and the baseline of
// the same 1000 verifications in-process (serial, and spread over the cores).
func BenchmarkPootBatch1000(b *testing.B) {
	const size = 1000
	b.Run("baseline_serial", func(b *testing.B) {
		bv := newBaseline(size)
		cpu := startCPU()
		for b.Loop() {
			for i := range size {
				if !bv.verify(i) {
					b.Fatal("bad signature")
				}
			}
		}
		cpu.report(b, b.N)
	})
	b.Run("baseline_parallel", func(b *testing.B) {
		bv := newBaseline(size)
		workers := runtime.GOMAXPROCS(0)
		cpu := startCPU()
		for b.Loop() {
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for i := w; i < size; i += workers {
						if !bv.verify(i) {
							b.Error("bad signature")
						}
					}
				})
			}
			wg.Wait()
		}
		cpu.report(b, b.N)
	})
	b.Run("validator_sqlite", func(b *testing.B) {
		pb := newPootBench(b, 64)
		defer pb.close()
		b.ResetTimer()
		var cpuSum time.Duration
		for range b.N {
			b.StopTimer()
			proofs := pb.proofs(b, size)
			b.StartTimer()
			c0 := cpuNow()
			res, err := pb.srv.poot.v.ValidateBatch(context.Background(), proofs)
			cpuSum += cpuNow() - c0
			require.NoError(b, err)
			require.Equal(b, size, res.Summary.Valid)
		}
		b.ReportMetric(float64(cpuSum.Nanoseconds())/float64(b.N), "cpu-ns/op")
	})
	b.Run("http_loopback_sqlite", func(b *testing.B) {
		pb := newPootBench(b, 64)
		defer pb.close()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(b, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- pb.srv.Serve(ctx, ln) }()
		defer func() {
			cancel()
			require.NoError(b, <-done)
		}()
		tok, err := pb.srv.Authority().Issue(auth.RoleValidator, "", time.Hour)
		require.NoError(b, err)
		url := "http://" + ln.Addr().String() + "/api/v1/nodes/poot/batch-validate"
		client := &http.Client{}
		var cpuSum time.Duration
		b.ResetTimer()
		for range b.N {
			b.StopTimer()
			body, err := json.Marshal(map[string]any{"validations": pb.proofs(b, size)})
			require.NoError(b, err)
			b.StartTimer()
			c0 := cpuNow()
			req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			require.NoError(b, err)
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			require.NoError(b, err)
			var res PootBatchResponse
			err = json.NewDecoder(resp.Body).Decode(&res)
			_ = resp.Body.Close()
			cpuSum += cpuNow() - c0
			require.NoError(b, err)
			require.Equal(b, http.StatusOK, resp.StatusCode)
			require.Equal(b, size, res.Summary.Valid)
		}
		b.ReportMetric(float64(cpuSum.Nanoseconds())/float64(b.N), "cpu-ns/op")
	})
}
