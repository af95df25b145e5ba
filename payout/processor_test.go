package payout_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/payout/payouttest"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is one store, one fake chain, one clock and a service to submit batches.
type env struct {
	ctx   context.Context
	st    *payouttest.MemStore
	chain *payouttest.FakeChain
	clk   *fakeClock
	svc   *payout.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{ctx: context.Background(), st: payouttest.NewMemStore(), clk: &fakeClock{t: t0}}
	e.chain = payouttest.NewFakeChain(t0, map[payout.Currency]int64{payout.USDT: 1 << 50})
	svc, err := payout.NewService(payout.ServiceConfig{Store: e.st, Clock: e.clk.Now, AllowInsecureWebhook: true})
	require.NoError(t, err)
	e.svc = svc
	return e
}

func (e *env) submit(t *testing.T, req payout.BatchRequest) {
	t.Helper()
	_, err := e.svc.SubmitBatch(e.ctx, req)
	require.NoError(t, err)
}

func oneBatch(id string, n int) payout.BatchRequest {
	req := payout.BatchRequest{BatchID: id}
	for i := range n {
		req.Payouts = append(req.Payouts, payout.PayoutRequest{NodeID: "node-" + string(rune('a'+i)), Amount: "1.25", WalletAddress: payouttest.TronAddress(id + string(rune('a'+i)))})
	}
	return req
}

func (e *env) proc(t *testing.T, cfg payout.ProcessorConfig) *payout.Processor {
	t.Helper()
	if cfg.Store == nil {
		cfg.Store = e.st
	}
	if cfg.Chain == nil {
		cfg.Chain = e.chain
	}
	cfg.Clock = e.clk.Now
	if cfg.BackoffMin == 0 {
		cfg.BackoffMin, cfg.BackoffMax = time.Second, 2*time.Second
	}
	p, err := payout.NewProcessor(cfg)
	require.NoError(t, err)
	return p
}

// pass runs one processor pass, then one block and one local second.
func (e *env) pass(t *testing.T, p *payout.Processor) {
	t.Helper()
	require.NoError(t, p.ProcessOnce(e.ctx))
	p.Wait()
	e.chain.Mine()
	e.clk.Add(time.Second)
}

func (e *env) payout(t *testing.T, id string) payout.Payout {
	t.Helper()
	p, err := e.st.GetPayout(e.ctx, id)
	require.NoError(t, err)
	return p
}

func TestProcessorHappyPathWaitsForDepth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.submit(t, oneBatch("batch_h", 2))
	var events []payout.Event
	var mu sync.Mutex
	p := e.proc(t, payout.ProcessorConfig{Confirmations: 5, Observer: payout.ObserverFunc(func(ev payout.Event) {
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	})})
	require.NoError(t, p.Recover(e.ctx))
	e.pass(t, p) // sign + broadcast; mined into block 2
	py := e.payout(t, "payout_h_0")
	assert.Equal(t, payout.StageBroadcast, py.Stage)
	assert.Equal(t, payout.StatusProcessing, py.Status())
	require.NotEmpty(t, py.TransactionHash)
	for range 4 { // 1..4 confirmations: the chain already says confirmed at 3, we want 5
		e.pass(t, p)
		assert.NotEqual(t, payout.StageCompleted, e.payout(t, "payout_h_0").Stage)
	}
	e.pass(t, p)
	py = e.payout(t, "payout_h_0")
	assert.Equal(t, payout.StageCompleted, py.Stage)
	require.NotNil(t, py.CompletedAt)
	b, err := e.st.GetBatch(e.ctx, "batch_h")
	require.NoError(t, err)
	assert.Equal(t, payout.BatchCompleted, b.Status)

	rep, err := payout.Audit(e.ctx, e.st, e.chain, e.chain)
	require.NoError(t, err)
	assert.True(t, rep.OK(), "%+v", rep.Violations)
	assert.Equal(t, 2, rep.Completed)
	mu.Lock()
	defer mu.Unlock()
	var completed int
	for _, ev := range events {
		if ev.To == payout.StageCompleted {
			completed++
		}
	}
	assert.Equal(t, 2, completed)
}

// recordingChain checks that every broadcast carries bytes already persisted for the payout.
type recordingChain struct {
	*payouttest.FakeChain
	st         *payouttest.MemStore
	t          *testing.T
	broadcasts map[string]int
	mu         sync.Mutex
}

func (r *recordingChain) Broadcast(ctx context.Context, tx payout.SignedTransfer) error {
	txs, err := r.st.ListAllTxs(ctx, "", 0)
	require.NoError(r.t, err)
	found := false
	for _, rec := range txs {
		if rec.TxID == tx.TxID && bytes.Equal(rec.Raw, tx.Raw) {
			found = true
		}
	}
	assert.True(r.t, found, "broadcast of %s before its bytes were persisted", tx.TxID)
	r.mu.Lock()
	r.broadcasts[tx.TxID]++
	r.mu.Unlock()
	return r.FakeChain.Broadcast(ctx, tx)
}

func TestProcessorRebroadcastsSameBytesThenReplacesExpired(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.submit(t, oneBatch("batch_d", 1))
	rc := &recordingChain{FakeChain: e.chain, st: e.st, t: t, broadcasts: map[string]int{}}
	// Every broadcast is silently dropped until the first transaction has expired.
	e.chain.SetFaults(func(op payouttest.Op, n int) payouttest.Fault {
		if op == payouttest.OpBroadcast {
			return payouttest.FaultDropBroadcast
		}
		return payouttest.FaultNone
	})
	p := e.proc(t, payout.ProcessorConfig{Chain: rc})
	e.pass(t, p)
	first := e.payout(t, "payout_d_0").TransactionHash
	for range 5 {
		e.pass(t, p)
	}
	rc.mu.Lock()
	assert.GreaterOrEqual(t, rc.broadcasts[first], 3, "same tx re-broadcast")
	assert.Len(t, rc.broadcasts, 1, "no second transaction before expiry")
	rc.mu.Unlock()
	for range 12 { // past the 30 s expiry at 3 s blocks
		e.pass(t, p)
	}
	e.chain.SetFaults(nil)
	for range 8 {
		e.pass(t, p)
	}
	py := e.payout(t, "payout_d_0")
	assert.Equal(t, payout.StageCompleted, py.Stage)
	assert.NotEqual(t, first, py.TransactionHash)
	txs, err := e.st.ListTxs(e.ctx, "payout_d_0")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(txs), 2)
	assert.True(t, txs[0].Superseded)
	rep, err := payout.Audit(e.ctx, e.st, e.chain, e.chain)
	require.NoError(t, err)
	assert.True(t, rep.OK(), "%+v", rep.Violations)
}

func TestProcessorRespectsScheduledAt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	req := oneBatch("batch_later", 1)
	at := t0.Add(10 * time.Second)
	req.ScheduledAt = &at
	e.submit(t, req)
	b, _ := e.st.GetBatch(e.ctx, "batch_later")
	assert.Equal(t, payout.BatchQueued, b.Status)
	p := e.proc(t, payout.ProcessorConfig{})
	for range 9 {
		e.pass(t, p)
		assert.Equal(t, payout.StagePending, e.payout(t, "payout_later_0").Stage)
	}
	for range 6 {
		e.pass(t, p)
	}
	assert.Equal(t, payout.StageCompleted, e.payout(t, "payout_later_0").Stage)
}

type rejectingChain struct{ *payouttest.FakeChain }

func (rejectingChain) Transfer(context.Context, payout.TransferRequest) (payout.SignedTransfer, error) {
	return payout.SignedTransfer{}, payout.ErrTransferRejected
}

func TestProcessorFailsRejectedAndReversesLedger(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pl := &payout.Planner{Store: e.st, Clock: e.clk.Now, Scores: fixedScores{{NodeID: "n1", Score: 1, Eligible: true, WalletAddress: payouttest.TronAddress("n1")}}}
	sched := payout.Schedule{Interval: time.Hour, RewardPool: payout.MustAmount("3", payout.USDT), MinimumPayout: payout.MustAmount("1", payout.USDT)}
	ep, err := pl.PlanAndCommit(e.ctx, sched, t0, t0.Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, ep.PayoutIDs, 1)
	p := e.proc(t, payout.ProcessorConfig{Chain: rejectingChain{e.chain}})
	e.pass(t, p)
	py := e.payout(t, ep.PayoutIDs[0])
	assert.Equal(t, payout.StageFailed, py.Stage)
	assert.Contains(t, py.ErrorMessage, "rejected")
	bals, err := e.st.LedgerBalances(e.ctx, payout.USDT)
	require.NoError(t, err)
	require.Len(t, bals, 1)
	assert.Equal(t, int64(3_000_000), bals[0].Entitlement(), "a failed payout goes back to the entitlement")
}

// countingChain counts Transfer and Broadcast calls.
type countingChain struct {
	payout.ChainClient
	transfers, broadcasts atomic.Int32
}

func (c *countingChain) Transfer(ctx context.Context, r payout.TransferRequest) (payout.SignedTransfer, error) {
	c.transfers.Add(1)
	return c.ChainClient.Transfer(ctx, r)
}

func (c *countingChain) Broadcast(ctx context.Context, tx payout.SignedTransfer) error {
	c.broadcasts.Add(1)
	return c.ChainClient.Broadcast(ctx, tx)
}

func TestRecoverReconcilesWithoutSending(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.submit(t, oneBatch("batch_r", 1))
	// Life 1: the broadcast reaches the chain but the answer is lost, then the process dies.
	e.chain.SetFaults(func(op payouttest.Op, n int) payouttest.Fault {
		if op == payouttest.OpBroadcast {
			return payouttest.FaultLoseResponse
		}
		return payouttest.FaultNone
	})
	p1 := e.proc(t, payout.ProcessorConfig{})
	require.NoError(t, p1.ProcessOnce(e.ctx))
	e.chain.SetFaults(nil)
	py := e.payout(t, "payout_r_0")
	require.Equal(t, payout.StageSigned, py.Stage)
	for range 4 {
		e.chain.Mine()
	}
	cc := &countingChain{ChainClient: e.chain}
	p2 := e.proc(t, payout.ProcessorConfig{Chain: cc})
	require.NoError(t, p2.Recover(e.ctx))
	assert.Zero(t, cc.transfers.Load())
	assert.Zero(t, cc.broadcasts.Load())
	py = e.payout(t, "payout_r_0")
	assert.Equal(t, payout.StageCompleted, py.Stage, "recovery found the included transaction and finished it")
}

func TestWebhookRetriedUntilDelivered(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	var got payout.BatchEvent
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		_ = json.Unmarshal(body, &got)
		mu.Unlock()
	}))
	defer srv.Close()
	e := newEnv(t)
	req := oneBatch("batch_w", 2)
	req.NotificationURL = srv.URL + "/hook"
	e.submit(t, req)
	p := e.proc(t, payout.ProcessorConfig{HTTPClient: srv.Client(), WebhookTimeout: time.Second})
	for range 12 {
		e.pass(t, p)
	}
	b, err := e.st.GetBatch(e.ctx, "batch_w")
	require.NoError(t, err)
	require.NotNil(t, b.NotifiedAt)
	assert.Equal(t, 2, b.NotifyAttempts)
	assert.EqualValues(t, 2, calls.Load())
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, "batch_w", got.BatchID)
	assert.Equal(t, 2, got.Completed)
	assert.Equal(t, payout.BatchCompleted, got.Status)
	for _, pv := range got.Payouts {
		assert.NotEmpty(t, pv.TransactionHash)
	}
}

func TestAuditFindsDoublePayment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.submit(t, oneBatch("batch_x", 1))
	p := e.proc(t, payout.ProcessorConfig{})
	for range 6 {
		e.pass(t, p)
	}
	require.Equal(t, payout.StageCompleted, e.payout(t, "payout_x_0").Stage)
	// A second transfer for the same payout, recorded and sent behind the processor's back.
	py := e.payout(t, "payout_x_0")
	st, err := e.chain.Transfer(e.ctx, payout.TransferRequest{PayoutID: py.PayoutID, To: py.WalletAddress, Amount: py.Amount})
	require.NoError(t, err)
	_, err = e.st.UpdatePayout(e.ctx, payout.PayoutUpdate{Payout: py, ExpectVersion: py.Version, NewTx: &payout.TxRecord{TxID: st.TxID, PayoutID: py.PayoutID, Raw: st.Raw, To: py.WalletAddress, Amount: py.Amount}})
	require.NoError(t, err)
	require.NoError(t, e.chain.Broadcast(e.ctx, st))
	// And one transfer nobody recorded.
	stray, err := e.chain.Transfer(e.ctx, payout.TransferRequest{PayoutID: "x", To: py.WalletAddress, Amount: py.Amount})
	require.NoError(t, err)
	require.NoError(t, e.chain.Broadcast(e.ctx, stray))
	for range 4 {
		e.chain.Mine()
	}
	rep, err := payout.Audit(e.ctx, e.st, e.chain, e.chain)
	require.NoError(t, err)
	kinds := map[payout.ViolationKind]bool{}
	for _, v := range rep.Violations {
		kinds[v.Kind] = true
	}
	assert.True(t, kinds[payout.ViolationMultipleTx], "%+v", rep.Violations)
	assert.True(t, kinds[payout.ViolationUnknownTransfer], "%+v", rep.Violations)
}

func TestCancelPayout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.submit(t, oneBatch("batch_c", 1))
	got, err := e.svc.CancelPayout(e.ctx, "payout_c_0")
	require.NoError(t, err)
	assert.Equal(t, payout.StatusCancelled, got.Status())
	_, err = e.svc.CancelPayout(e.ctx, "payout_c_0")
	code, _ := lucidCode(t, err)
	assert.Equal(t, payout.CodeProcessingFailed, code)
	p := e.proc(t, payout.ProcessorConfig{})
	e.pass(t, p)
	b, _ := e.st.GetBatch(e.ctx, "batch_c")
	assert.Equal(t, payout.BatchFailed, b.Status)
	assert.True(t, strings.HasPrefix(string(b.Status), "fail"))
}

// staleChain answers the first Status of each transaction from a lagging node: not_found.
type staleChain struct {
	*payouttest.FakeChain
	mu   sync.Mutex
	seen map[string]bool
}

func (s *staleChain) Status(ctx context.Context, id string) (payout.TxStatus, error) {
	s.mu.Lock()
	first := !s.seen[id]
	s.seen[id] = true
	s.mu.Unlock()
	if first {
		return payout.TxStatus{State: payout.TxNotFound}, nil
	}
	return s.FakeChain.Status(ctx, id)
}

// TestExpiredButIncludedIsNotReplaced: the head is past the expiration and one status read
// says not_found, but the transaction was included before it expired; the processor must read
// the status again after the head time and keep the transaction.
func TestExpiredButIncludedIsNotReplaced(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.submit(t, oneBatch("batch_stale", 1))
	p1 := e.proc(t, payout.ProcessorConfig{})
	require.NoError(t, p1.ProcessOnce(e.ctx)) // signed and broadcast
	for range 15 {                            // included in the next block, then well past the 30 s expiry
		e.chain.Mine()
	}
	sc := &staleChain{FakeChain: e.chain, seen: map[string]bool{}}
	p2 := e.proc(t, payout.ProcessorConfig{Chain: sc})
	e.pass(t, p2)
	e.pass(t, p2)
	py := e.payout(t, "payout_stale_0")
	assert.Equal(t, payout.StageCompleted, py.Stage)
	assert.Equal(t, 1, py.TxAttempts)
	rep, err := payout.Audit(e.ctx, e.st, e.chain, e.chain)
	require.NoError(t, err)
	assert.True(t, rep.OK(), "%+v", rep.Violations)
}
