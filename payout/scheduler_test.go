package payout_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/payout/payouttest"
)

func TestScheduleReadSetAndRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	def, err := e.svc.GetSchedule(e.ctx)
	require.NoError(t, err)
	assert.False(t, def.Enabled)
	assert.Equal(t, payout.USDT, def.Currency)

	on := true
	v, err := e.svc.SetSchedule(e.ctx, payout.ScheduleRequest{Enabled: &on, Interval: "1h", RewardPool: "10", MinimumPayout: "1"})
	require.NoError(t, err)
	assert.Equal(t, "10", v.RewardPool)
	assert.Equal(t, int64(3600), v.IntervalSeconds)
	assert.Equal(t, t0.Add(time.Hour), v.NextRunAt)

	_, err = e.svc.SetSchedule(e.ctx, payout.ScheduleRequest{Interval: "1s"})
	code, det := lucidCode(t, err)
	assert.Equal(t, payout.CodeValidation, code)
	assert.Equal(t, "interval", det["field"])
	_, err = e.svc.SetSchedule(e.ctx, payout.ScheduleRequest{RewardPool: "1.0000001"})
	code, _ = lucidCode(t, err)
	assert.Equal(t, payout.CodeValidation, code)

	addr := payouttest.TronAddress("s")
	sch := &payout.Scheduler{Store: e.st, Clock: e.clk.Now, Planner: &payout.Planner{Store: e.st, Clock: e.clk.Now,
		Scores: fixedScores{{NodeID: "n", Score: 1, Eligible: true, WalletAddress: addr}}}}
	got, err := sch.RunOnce(e.ctx)
	require.NoError(t, err)
	assert.Empty(t, got, "not due yet")

	e.clk.Add(3*time.Hour + time.Minute) // three epochs are due
	got, err = sch.RunOnce(e.ctx)
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, t0.Add(time.Hour), got[0].End)
	assert.Equal(t, t0.Add(3*time.Hour), got[2].End)
	sc, err := e.st.GetSchedule(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, t0.Add(4*time.Hour), sc.NextRunAt)
	pg, err := e.st.ListPayouts(e.ctx, payout.PayoutFilter{NodeID: "n"})
	require.NoError(t, err)
	assert.Equal(t, 3, pg.Total)
	got, err = sch.RunOnce(e.ctx)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestListPayoutsPagingAndCursor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i, id := range []string{"batch_p1", "batch_p2", "batch_p3"} {
		e.clk.Add(time.Duration(i+1) * time.Second)
		e.submit(t, oneBatch(id, 3))
	}
	f, page, err := payout.ParseListQuery(map[string][]string{"limit": {"4"}, "page": {"2"}}, "")
	require.NoError(t, err)
	res, err := e.svc.ListPayouts(e.ctx, f, page)
	require.NoError(t, err)
	assert.Equal(t, payout.Pagination{Page: 2, Limit: 4, Total: 9, Pages: 3}, res.Pagination)
	require.Len(t, res.Payouts, 4)

	// Walk with the cursor; inserts during the walk do not shift it.
	seen := map[string]bool{}
	f.Offset, f.Cursor = 0, ""
	for {
		res, err := e.svc.ListPayouts(e.ctx, f, 1)
		require.NoError(t, err)
		for _, p := range res.Payouts {
			require.False(t, seen[p.PayoutID], "duplicate %s", p.PayoutID)
			seen[p.PayoutID] = true
		}
		if len(seen) == 4 {
			e.clk.Add(time.Minute)
			e.submit(t, oneBatch("batch_p4", 2)) // newer: must not appear in this walk
		}
		if res.NextCursor == "" {
			break
		}
		f.Cursor = res.NextCursor
	}
	assert.Len(t, seen, 9)

	_, _, err = payout.ParseListQuery(map[string][]string{"limit": {"500"}, "status": {"weird"}}, "")
	code, det := lucidCode(t, err)
	assert.Equal(t, payout.CodeValidation, code)
	assert.Len(t, det["errors"], 2)
}

func TestDecodeScheduleRequest(t *testing.T) {
	t.Parallel()
	req, err := payout.DecodeScheduleRequest(strings.NewReader(`{"enabled":true,"interval":"6h","reward_pool":1000.5,"currency":"USDT","minimum_payout":"5"}`))
	require.NoError(t, err)
	require.NotNil(t, req.Enabled)
	assert.Equal(t, payout.Decimal("1000.5"), req.RewardPool)
	_, err = payout.DecodeScheduleRequest(strings.NewReader(`{"enabled":"yes"}`))
	code, _ := lucidCode(t, err)
	assert.Equal(t, payout.CodeMalformed, code)
}

func TestRunRecoversThenProcessesAndStops(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.submit(t, oneBatch("batch_run", 3))
	p := e.proc(t, payout.ProcessorConfig{PollInterval: 2 * time.Millisecond})
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	require.Eventually(t, func() bool {
		e.chain.Mine()
		b, err := e.st.GetBatch(e.ctx, "batch_run")
		return err == nil && b.Status == payout.BatchCompleted
	}, 5*time.Second, 5*time.Millisecond)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}
