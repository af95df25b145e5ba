package refserver

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/payout/tron"
	"github.com/hamigames/lucid-node-management/payout/tron/trontest"
	"github.com/hamigames/lucid-node-management/refserver/auth"
	"github.com/hamigames/lucid-node-management/storage/memory"
)

// fastChain makes the simulator and the processor quick enough for tests.
func fastChain(dir string) func(*Config) {
	return func(c *Config) {
		c.DataDir = dir
		c.Payout.SimBlockInterval = 40 * time.Millisecond
		c.Payout.TronConfirmations = 2
		c.Payout.PollInterval = 30 * time.Millisecond
	}
}

// batchBody is a batch of n USDT payouts to deterministic TRON addresses; amounts 1.000001,
// 2.000002, … so every transfer is distinguishable on the ledger.
func batchBody(id string, n int) (string, []trontest.Account) {
	var ps []string
	var accts []trontest.Account
	for i := range n {
		a := trontest.NewAccount(fmt.Sprintf("%s-%d", id, i))
		accts = append(accts, a)
		ps = append(ps, fmt.Sprintf(`{"node_id":"node-%d","amount":"%d.%06d","currency":"USDT","wallet_address":%q}`, i, i+1, i+1, a.Address))
	}
	return fmt.Sprintf(`{"batch_id":%q,"payouts":[%s]}`, id, strings.Join(ps, ",")), accts
}

// TestZeroConfigServerPaysBatchOnSimulator: the default chain (the simulator) over real HTTP and
// SQLite: 202, then every payout completes with a transaction hash the simulator's ledger shows
// paid with the exact amount, the audit is clean, and the audit log and series record it.
func TestZeroConfigServerPaysBatchOnSimulator(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := serveSQLite(t, filepath.Join(dir, "lucid.db"), fastChain(dir))
	defer s.stop(t)
	admin, err := s.srv.Authority().Issue(auth.RoleAdmin, "", time.Hour)
	require.NoError(t, err)
	const n = 25
	body, accts := batchBody("batch_e2e", n)
	var acc payout.BatchResponse
	require.Equal(t, http.StatusAccepted, httpCall(t, "POST", s.base+"/api/v1/nodes/payouts/batch", admin, body, &acc))
	assert.Equal(t, "batch_e2e", acc.BatchID)
	assert.Contains(t, []payout.BatchStatus{payout.BatchProcessing, payout.BatchQueued}, acc.Status)
	require.NotNil(t, acc.EstimatedCompletion)

	var st payout.BatchResponse
	require.Eventually(t, func() bool {
		st = payout.BatchResponse{}
		require.Equal(t, http.StatusOK, httpCall(t, "GET", s.base+"/api/v1/nodes/payouts/batch/batch_e2e", admin, "", &st))
		return st.Status.Finished()
	}, 30*time.Second, 50*time.Millisecond)
	require.Equal(t, payout.BatchCompleted, st.Status)
	require.Len(t, st.Payouts, n)
	sim := s.srv.pay.sim
	require.NotNil(t, sim, "the zero-config chain is the simulator")
	for _, p := range st.Payouts {
		require.Equal(t, payout.StatusCompleted, p.Status, "%+v", p)
		require.NotEmpty(t, p.TransactionHash)
		tx, ok := sim.Transaction(p.TransactionHash)
		require.True(t, ok, "the ledger knows %s", p.TransactionHash)
		assert.True(t, tx.Paid(), "%+v", tx)
	}
	for i, a := range accts {
		assert.Equal(t, int64((i+1)*1_000_000+i+1), sim.BalanceOf(a.Address), "account %d", i)
	}
	assert.Len(t, sim.Paid(), n, "no transfer beyond the batch")

	var rep payout.AuditReport
	require.Equal(t, http.StatusOK, httpCall(t, "GET", s.base+"/api/v1/nodes/payouts/audit", admin, "", &rep))
	assert.Empty(t, rep.Violations)
	assert.Equal(t, n, rep.Completed)

	var hist payout.PayoutListResponse
	require.Equal(t, http.StatusOK, httpCall(t, "GET", s.base+"/api/v1/nodes/payouts/history?batch_id=batch_e2e&status=completed&limit=10", admin, "", &hist))
	assert.Equal(t, n, hist.Pagination.Total)
	assert.Len(t, hist.Payouts, 10)
	require.NotEmpty(t, hist.NextCursor)
	var next payout.PayoutListResponse
	require.Equal(t, http.StatusOK, httpCall(t, "GET", s.base+"/api/v1/nodes/payouts/history?batch_id=batch_e2e&limit=10&cursor="+hist.NextCursor, admin, "", &next))
	assert.Len(t, next.Payouts, 10)
	assert.NotEqual(t, hist.Payouts[9].PayoutID, next.Payouts[0].PayoutID)
	var node payout.PayoutListResponse
	require.Equal(t, http.StatusOK, httpCall(t, "GET", s.base+"/api/v1/nodes/node-3/payouts?status=completed", admin, "", &node))
	require.Len(t, node.Payouts, 1)
	assert.Equal(t, "4.000004", node.Payouts[0].Amount)

	// The audit log has the submission and one entry per completed payout.
	require.Eventually(t, func() bool {
		var log AuditList
		require.Equal(t, http.StatusOK, httpCall(t, "GET", s.base+"/api/v1/audit?category=payout&limit=100", admin, "", &log))
		return len(log.Entries) >= n+1
	}, 5*time.Second, 20*time.Millisecond)

	res, err := http.Get(s.base + "/metrics")
	require.NoError(t, err)
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	text := string(b)
	assert.Contains(t, text, fmt.Sprintf(`lucid_node_management_payouts_total{currency="USDT",status="completed"} %d`, n))
	assert.Contains(t, text, fmt.Sprintf(`lucid_node_management_payouts_total{currency="USDT",status="pending"} %d`, n))
	var want int64
	for i := range n {
		want += int64((i+1)*1_000_000 + i + 1)
	}
	assert.Contains(t, text, fmt.Sprintf(`lucid_node_management_payout_amount_total{currency="USDT"} %s`, promInt(want)))
	assert.Contains(t, text, `lucid_node_management_payouts_pending 0`)
	assert.Contains(t, text, `lucid_node_management_payout_processing_duration_seconds_count{currency="USDT",status="completed"} 25`)
}

// promInt formats an integer the way the Prometheus text format prints a sample value.
func promInt(v int64) string { return strconv.FormatFloat(float64(v), 'g', -1, 64) }

func TestBatchRejectionsWriteNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	good := trontest.NewAccount("good").Address
	one := func(amount, addr string) string {
		return fmt.Sprintf(`{"batch_id":"batch_bad","payouts":[{"node_id":"n1","amount":%s,"wallet_address":%q}]}`, amount, addr)
	}
	over, _ := batchBody("batch_bad", payout.MaxBatchSize+1)
	bad := []byte(good)
	bad[10] ^= 1 // checksum no longer matches
	for _, tc := range []struct {
		name, body, code, field string
	}{
		{"bad checksum", one(`"1"`, string(bad)), "LUCID_ERR_4000", "payouts[0].wallet_address"},
		{"ethereum address", one(`"1"`, "0x"+strings.Repeat("ab", 20)), "LUCID_ERR_4000", "payouts[0].wallet_address"},
		{"too many decimals", one(`"1.0000001"`, good), "LUCID_ERR_4000", "payouts[0].amount"},
		{"zero", one(`"0"`, good), "LUCID_ERR_4000", "payouts[0].amount"},
		{"negative", one(`-5`, good), "LUCID_ERR_4000", "payouts[0].amount"},
		{"above the maximum", one(`"1000000.000001"`, good), "LUCID_ERR_4000", "payouts[0].amount"},
		{"exponent", one(`1e3`, good), "LUCID_ERR_4000", "payouts[0].amount"},
		{"oversized batch", over, "LUCID_ERR_4000", "payouts"},
		{"empty batch", `{"batch_id":"batch_bad","payouts":[]}`, "LUCID_ERR_4000", "payouts"},
		{"amount as object", one(`{}`, good), "LUCID_ERR_4001", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.with(t).do("POST", "/api/v1/nodes/payouts/batch", e.admin, tc.body)
			require.Equal(t, tc.code, r.errCode(t), "%s", r.Body)
			if tc.field != "" {
				assert.Equal(t, tc.field, r.json(t)["error"].(map[string]any)["details"].(map[string]any)["field"])
			}
		})
	}
	r := e.do("POST", "/api/v1/nodes/payouts/batch", e.admin, one(`"1"`, good), "Content-Type", "text/plain")
	assert.Equal(t, "LUCID_ERR_4150", r.errCode(t))
	// Nothing was written by any of them.
	var hist payout.PayoutListResponse
	e.must(http.StatusOK, "GET", "/api/v1/nodes/payouts/history", e.admin, "", &hist)
	assert.Equal(t, 0, hist.Pagination.Total)
	assert.Empty(t, hist.Payouts)
	assert.Equal(t, "LUCID_ERR_4040", e.do("GET", "/api/v1/nodes/payouts/batch/batch_bad", e.admin, "").errCode(t))
	// Each refusal is in the audit log with its code.
	var log AuditList
	e.must(http.StatusOK, "GET", "/api/v1/audit?category=payout&limit=100", e.admin, "", &log)
	require.NotEmpty(t, log.Entries)
	assert.Equal(t, "LUCID_ERR_4000", log.Entries[0].Result)
}

func TestBatchIdempotency(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body, _ := batchBody("batch_idem", 3)
	var first, again payout.BatchResponse
	e.must(http.StatusAccepted, "POST", "/api/v1/nodes/payouts/batch", e.admin, body, &first)
	assert.False(t, first.Idempotent)
	assert.Equal(t, payout.BatchProcessing, first.Status)
	assert.Equal(t, map[payout.Currency]string{payout.USDT: "6.000006"}, first.Totals)
	e.must(http.StatusAccepted, "POST", "/api/v1/nodes/payouts/batch", e.admin, body, &again)
	assert.True(t, again.Idempotent)
	assert.Equal(t, first.CreatedAt, again.CreatedAt)
	// Same id, different content: 409 and nothing changes.
	changed := strings.Replace(body, `"1.000001"`, `"1.5"`, 1)
	require.NotEqual(t, body, changed)
	assert.Equal(t, "LUCID_ERR_4090", e.do("POST", "/api/v1/nodes/payouts/batch", e.admin, changed).errCode(t))
	var st payout.BatchResponse
	e.must(http.StatusOK, "GET", "/api/v1/nodes/payouts/batch/batch_idem", e.admin, "", &st)
	require.Len(t, st.Payouts, 3)
	var hist payout.PayoutListResponse
	e.must(http.StatusOK, "GET", "/api/v1/nodes/payouts/history", e.admin, "", &hist)
	assert.Equal(t, 3, hist.Pagination.Total)
	for _, p := range st.Payouts {
		assert.Equal(t, payout.StatusPending, p.Status, "no chain in this server: nothing is processed")
	}
	// A future scheduled_at queues the batch.
	fut := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	var q payout.BatchResponse
	body2, _ := batchBody("batch_later", 1)
	body2 = strings.Replace(body2, `"payouts"`, `"scheduled_at":"`+fut+`","payouts"`, 1)
	e.must(http.StatusAccepted, "POST", "/api/v1/nodes/payouts/batch", e.admin, body2, &q)
	assert.Equal(t, payout.BatchQueued, q.Status)
}

func TestPayoutRoutesAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	node := e.createNode("payee", "")
	body, _ := batchBody("batch_auth", 1)
	worker := e.token(auth.RoleWorker, node.NodeID)
	validator := e.token(auth.RoleValidator, "")
	for _, rt := range []struct{ method, path, body string }{
		{"GET", "/api/v1/nodes/" + node.NodeID + "/payouts", ""},
		{"GET", "/api/v1/nodes/" + node.NodeID + "/wallet", ""},
		{"PUT", "/api/v1/nodes/" + node.NodeID + "/wallet", `{"wallet_address":"x"}`},
		{"POST", "/api/v1/nodes/payouts/batch", body},
		{"GET", "/api/v1/nodes/payouts/batch/batch_auth", ""},
		{"GET", "/api/v1/nodes/payouts/schedule", ""},
		{"POST", "/api/v1/nodes/payouts/schedule", `{"enabled":true}`},
		{"GET", "/api/v1/nodes/payouts/history", ""},
		{"GET", "/api/v1/nodes/payouts/audit", ""},
	} {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			e := e.with(t)
			assert.Equal(t, "LUCID_ERR_4010", e.do(rt.method, rt.path, "", rt.body).errCode(t))
			assert.Equal(t, "LUCID_ERR_4010", e.do(rt.method, rt.path, "not-a-token", rt.body).errCode(t))
			assert.Equal(t, "LUCID_ERR_4030", e.do(rt.method, rt.path, worker, rt.body).errCode(t), "worker")
			assert.Equal(t, "LUCID_ERR_4030", e.do(rt.method, rt.path, validator, rt.body).errCode(t), "validator")
		})
	}
	var hist payout.PayoutListResponse
	e.must(http.StatusOK, "GET", "/api/v1/nodes/payouts/history", e.admin, "", &hist)
	assert.Equal(t, 0, hist.Pagination.Total, "refused requests wrote nothing")
}

func TestPayoutTierRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config, _ *Deps) { c.RateLimits = RateLimits{Admin: 10000, Payout: 3} })
	for range 3 {
		e.must(http.StatusOK, "GET", "/api/v1/nodes/payouts/schedule", e.admin, "", nil)
	}
	r := e.do("GET", "/api/v1/nodes/payouts/history", e.admin, "")
	assert.Equal(t, "LUCID_ERR_4291", r.errCode(t))
	assert.NotEmpty(t, r.Header.Get("Retry-After"))
	e.must(http.StatusOK, "GET", "/api/v1/nodes", e.admin, "", nil)
}

func TestScheduleRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var sc payout.ScheduleView
	e.must(http.StatusOK, "GET", "/api/v1/nodes/payouts/schedule", e.admin, "", &sc)
	assert.False(t, sc.Enabled)
	e.must(http.StatusOK, "POST", "/api/v1/nodes/payouts/schedule", e.admin, `{"enabled":true,"interval":"1h","reward_pool":"100.5","minimum_payout":"1"}`, &sc)
	assert.True(t, sc.Enabled)
	assert.Equal(t, "100.5", sc.RewardPool)
	assert.Equal(t, int64(3600), sc.IntervalSeconds)
	var got payout.ScheduleView
	e.must(http.StatusOK, "GET", "/api/v1/nodes/payouts/schedule", e.admin, "", &got)
	assert.Equal(t, sc, got)
	assert.Equal(t, "LUCID_ERR_4000", e.do("POST", "/api/v1/nodes/payouts/schedule", e.admin, `{"reward_pool":"1.1234567"}`).errCode(t))
	assert.Equal(t, "LUCID_ERR_4000", e.do("POST", "/api/v1/nodes/payouts/schedule", e.admin, `{"interval":"1s"}`).errCode(t))
}

func TestWalletsAndEpochScores(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	mk := func(name string, score float64, wallet, active bool) *nodemgmt.Node {
		n := e.createNode(name, "")
		if active {
			e.must(http.StatusOK, "POST", "/api/v1/nodes/"+n.NodeID+"/start", e.admin, "", nil)
			e.must(http.StatusOK, "POST", "/api/v1/nodes/"+n.NodeID+"/heartbeat", e.admin, "", nil)
		}
		require.NoError(t, e.srv.Service().SetPootScore(ctx, n.NodeID, score))
		if wallet {
			var w WalletView
			addr := trontest.NewAccount(name).Address
			e.must(http.StatusOK, "PUT", "/api/v1/nodes/"+n.NodeID+"/wallet", e.admin, `{"wallet_address":"`+addr+`"}`, &w)
			assert.Equal(t, addr, w.WalletAddress)
			assert.Equal(t, payout.USDT, w.Currency)
		}
		return n
	}
	good := mk("good-node", 85.25, true, true)
	low := mk("low-score", 60, true, true)
	noWallet := mk("no-wallet", 90, false, true)
	inactive := mk("inactive", 95, true, false)
	var w WalletView
	e.must(http.StatusOK, "GET", "/api/v1/nodes/"+good.NodeID+"/wallet", e.admin, "", &w)
	assert.Equal(t, trontest.NewAccount("good-node").Address, w.WalletAddress)
	assert.Equal(t, "LUCID_ERR_4040", e.do("GET", "/api/v1/nodes/"+noWallet.NodeID+"/wallet", e.admin, "").errCode(t))
	assert.Equal(t, "LUCID_ERR_4000", e.do("PUT", "/api/v1/nodes/"+good.NodeID+"/wallet", e.admin, `{"wallet_address":"T123"}`).errCode(t))
	assert.Equal(t, "LUCID_ERR_5001", e.do("PUT", "/api/v1/nodes/node_doesnotexist1/wallet", e.admin, `{"wallet_address":"`+w.WalletAddress+`"}`).errCode(t))

	_, err := e.srv.pay.svc.SetSchedule(ctx, payout.ScheduleRequest{Enabled: ptrTo(true), RewardPool: "10"})
	require.NoError(t, err)
	scores, err := e.srv.epochScores(ctx, time.Time{}, time.Now())
	require.NoError(t, err)
	by := map[string]payout.NodeScore{}
	for _, s := range scores {
		by[s.NodeID] = s
	}
	assert.Equal(t, payout.NodeScore{NodeID: good.NodeID, Score: 8525, Eligible: true, WalletAddress: w.WalletAddress}, by[good.NodeID])
	assert.False(t, by[low.NodeID].Eligible, "below PAYOUT_MIN_POOT_SCORE")
	assert.False(t, by[noWallet.NodeID].Eligible, "no wallet")
	_, listed := by[inactive.NodeID]
	assert.False(t, listed, "not active and healthy")
}

func ptrTo[T any](v T) *T { return &v }

// TestPayoutsUnavailableWithoutStore: a store without the payout domain answers 503, not 500.
func TestPayoutsUnavailableWithoutStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(_ *Config, d *Deps) { d.Store, d.PoOTStore = nodeOnly{memory.New()}, memory.New() })
	assert.Equal(t, "LUCID_ERR_5030", e.do("GET", "/api/v1/nodes/payouts/history", e.admin, "").errCode(t))
}

// nodeOnly hides every method but nodemgmt.Store's.
type nodeOnly struct{ nodemgmt.Store }

// TestScheduledEpochPaysEligibleNodes: the scheduler plans an epoch from the node registry's
// PoOT scores and the nodes' wallets, and the processor pays it on the simulator: only eligible
// nodes are paid, in proportion to their scores, the pool split to the last unit.
func TestScheduledEpochPaysEligibleNodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := serveSQLite(t, filepath.Join(dir, "lucid.db"), func(c *Config) {
		fastChain(dir)(c)
		c.Payout.ScheduleTick = 30 * time.Millisecond
	})
	defer s.stop(t)
	ctx := context.Background()
	admin, err := s.srv.Authority().Issue(auth.RoleAdmin, "", time.Hour)
	require.NoError(t, err)
	type spec struct {
		name   string
		score  float64
		wallet bool
	}
	specs := []spec{{"epoch-a", 80, true}, {"epoch-b", 70, true}, {"epoch-c", 50, true}, {"epoch-d", 99, false}}
	ids := map[string]string{}
	for _, sp := range specs {
		var n nodemgmt.Node
		require.Equal(t, http.StatusCreated, httpCall(t, "POST", s.base+"/api/v1/nodes", admin, nodeBody(sp.name, ""), &n))
		require.Equal(t, http.StatusOK, httpCall(t, "POST", s.base+"/api/v1/nodes/"+n.NodeID+"/start", admin, "", nil))
		require.Equal(t, http.StatusOK, httpCall(t, "POST", s.base+"/api/v1/nodes/"+n.NodeID+"/heartbeat", admin, "", nil))
		require.NoError(t, s.srv.Service().SetPootScore(ctx, n.NodeID, sp.score))
		if sp.wallet {
			require.Equal(t, http.StatusOK, httpCall(t, "PUT", s.base+"/api/v1/nodes/"+n.NodeID+"/wallet", admin,
				`{"wallet_address":"`+trontest.NewAccount(sp.name).Address+`"}`, nil))
		}
		ids[sp.name] = n.NodeID
	}
	past := time.Now().Add(-time.Second).UTC().Format(time.RFC3339Nano)
	require.Equal(t, http.StatusOK, httpCall(t, "POST", s.base+"/api/v1/nodes/payouts/schedule", admin,
		`{"enabled":true,"interval":"1h","reward_pool":"15","minimum_payout":"1","next_run_at":"`+past+`"}`, nil))
	sim := s.srv.pay.sim
	var hist payout.PayoutListResponse
	require.Eventually(t, func() bool {
		hist = payout.PayoutListResponse{}
		require.Equal(t, http.StatusOK, httpCall(t, "GET", s.base+"/api/v1/nodes/payouts/history?status=completed", admin, "", &hist))
		return hist.Pagination.Total == 2
	}, 20*time.Second, 50*time.Millisecond)
	// 15 USDT split 80:70 between the two eligible nodes.
	assert.Equal(t, int64(8_000_000), sim.BalanceOf(trontest.NewAccount("epoch-a").Address))
	assert.Equal(t, int64(7_000_000), sim.BalanceOf(trontest.NewAccount("epoch-b").Address))
	assert.Zero(t, sim.BalanceOf(trontest.NewAccount("epoch-c").Address), "below the PoOT threshold")
	for _, p := range hist.Payouts {
		assert.NotEmpty(t, p.EpochID)
		assert.Contains(t, []string{ids["epoch-a"], ids["epoch-b"]}, p.NodeID)
	}
	var rep payout.AuditReport
	require.Equal(t, http.StatusOK, httpCall(t, "GET", s.base+"/api/v1/nodes/payouts/audit", admin, "", &rep))
	assert.Empty(t, rep.Violations)
}

// TestTwoReplicasShareOneProcessor: two servers on one store run the payout loops under leases;
// a batch submitted to either is paid exactly once, and the loops stop cleanly on shutdown
// (which releases the leases).
func TestTwoReplicasShareOneProcessor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim, err := trontest.NewServer(trontest.WithBlockInterval(40 * time.Millisecond))
	require.NoError(t, err)
	defer sim.Close()
	payer := trontest.NewAccount("replica-payer")
	require.NoError(t, sim.Mint(payer.Address, 1<<50))
	cl, err := tron.NewClient(tron.Config{Endpoint: sim.Addr(), Contract: sim.Contract(), PrivateKeyHex: payer.PrivateKeyHex, Confirmations: 2})
	require.NoError(t, err)
	defer cl.Close()
	store := memory.New()
	var servers []*Server
	var stops []func()
	for i := range 2 {
		cfg := testConfig()
		fastChain("")(&cfg)
		srv, err := New(cfg, Deps{Store: store, Chain: cl, ChainLister: sim.Lister(payer.Address), Holder: fmt.Sprintf("replica-%d", i),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		require.NoError(t, err)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		c, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- srv.Serve(c, ln) }()
		servers = append(servers, srv)
		stops = append(stops, func() { cancel(); require.NoError(t, <-done) })
	}
	e := &env{t: t, srv: servers[1]}
	e.admin = e.token(auth.RoleAdmin, "")
	body, _ := batchBody("batch_replicas", 20)
	e.must(http.StatusAccepted, "POST", "/api/v1/nodes/payouts/batch", e.admin, body, nil)
	require.Eventually(t, func() bool {
		var st payout.BatchResponse
		e.must(http.StatusOK, "GET", "/api/v1/nodes/payouts/batch/batch_replicas", e.admin, "", &st)
		return st.Status == payout.BatchCompleted
	}, 20*time.Second, 30*time.Millisecond)
	assert.Len(t, sim.Paid(), 20)
	held, err := store.AcquireLease(ctx, payoutProcessorLease, "intruder", time.Now(), time.Minute)
	require.NoError(t, err)
	assert.False(t, held, "one replica holds the processor lease")
	rep, err := servers[0].PayoutAudit(ctx)
	require.NoError(t, err)
	assert.Empty(t, rep.Violations)
	assert.Equal(t, 20, rep.Completed)
	for _, stop := range stops {
		stop()
	}
	held, err = store.AcquireLease(ctx, payoutProcessorLease, "intruder", time.Now(), time.Minute)
	require.NoError(t, err)
	assert.True(t, held, "shutdown released the lease")
}
