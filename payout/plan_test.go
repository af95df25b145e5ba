package payout_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/payout/payouttest"
)

func shareMap(sh []payout.EpochShare) map[string]int64 {
	m := map[string]int64{}
	for _, s := range sh {
		m[s.NodeID] = s.Minor
	}
	return m
}

func TestSplitPoolVectors(t *testing.T) {
	t.Parallel()
	el := func(id string, s uint64) payout.NodeScore {
		return payout.NodeScore{NodeID: id, Score: s, Eligible: true}
	}
	tests := []struct {
		name   string
		pool   int64
		scores []payout.NodeScore
		want   map[string]int64
		rem    int64
	}{
		{"equal thirds, tie to lowest id", 100, []payout.NodeScore{el("c", 1), el("a", 1), el("b", 1)}, map[string]int64{"a": 34, "b": 33, "c": 33}, 1},
		{"exact", 1_000_000, []payout.NodeScore{el("a", 50), el("b", 30), el("c", 20), el("d", 0), {NodeID: "e", Score: 99}}, map[string]int64{"a": 500_000, "b": 300_000, "c": 200_000}, 0},
		{"largest remainder wins", 10, []payout.NodeScore{el("x", 3), el("y", 3), el("z", 1)}, map[string]int64{"x": 4, "y": 4, "z": 2}, 1},
		{"two leftovers", 5, []payout.NodeScore{el("p", 1), el("q", 1), el("r", 1)}, map[string]int64{"p": 2, "q": 2, "r": 1}, 2},
		{"huge scores no overflow", 9_000_000_000_000_000, []payout.NodeScore{el("a", 1<<62), el("b", 1<<62)}, map[string]int64{"a": 4_500_000_000_000_000, "b": 4_500_000_000_000_000}, 0},
		{"nobody eligible", 77, []payout.NodeScore{{NodeID: "a", Score: 5}}, map[string]int64{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sh, rem, err := payout.SplitPool(tt.pool, tt.scores)
			require.NoError(t, err)
			assert.Equal(t, tt.want, shareMap(sh))
			assert.Equal(t, tt.rem, rem)
		})
	}
	_, _, err := payout.SplitPool(10, []payout.NodeScore{el("a", 1), el("a", 2)})
	require.Error(t, err, "duplicate node")
}

func TestSplitPoolConservesEveryUnit(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		n := 1 + rng.IntN(50)
		var scores []payout.NodeScore
		for i := range n {
			scores = append(scores, payout.NodeScore{NodeID: string(rune('A'+i%26)) + string(rune('a'+i/26)), Score: rng.Uint64N(1_000_000), Eligible: rng.IntN(10) > 0})
		}
		pool := rng.Int64N(1_000_000_000_000)
		sh, rem, err := payout.SplitPool(pool, scores)
		require.NoError(t, err)
		var sum, remSum int64
		for _, s := range sh {
			sum += s.Minor
			remSum += s.RemainderUnits
			require.LessOrEqual(t, s.RemainderUnits, int64(1))
		}
		if len(sh) > 0 {
			require.Equal(t, pool, sum)
			require.Equal(t, rem, remSum)
			require.Less(t, rem, int64(len(sh)))
		}
	}
}

type fixedScores []payout.NodeScore

func (f fixedScores) EpochScores(context.Context, time.Time, time.Time) ([]payout.NodeScore, error) {
	return f, nil
}

func TestPlannerThresholdCarryAndLedger(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := payouttest.NewMemStore()
	a, b := payouttest.TronAddress("a"), payouttest.TronAddress("b")
	scores := fixedScores{
		{NodeID: "node-a", Score: 1, Eligible: true, WalletAddress: a},
		{NodeID: "node-b", Score: 1, Eligible: true, WalletAddress: b},
		{NodeID: "node-c", Score: 1, Eligible: true, WalletAddress: "not-an-address"},
	}
	pl := &payout.Planner{Store: st, Scores: scores, Clock: func() time.Time { return t0 }}
	sched := payout.Schedule{Interval: time.Hour, RewardPool: payout.MustAmount("2", payout.USDT), MinimumPayout: payout.MustAmount("1", payout.USDT)}

	// Epoch 1: 2 USDT / 3 = 0.666667, 0.666667, 0.666666: all below the 1 USDT minimum.
	e1, err := pl.PlanAndCommit(ctx, sched, t0, t0.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{"node-a": 666_667, "node-b": 666_667, "node-c": 666_666}, shareMap(e1.Shares))
	assert.Equal(t, int64(2), e1.RemainderUnits)
	assert.Zero(t, e1.CarryOut)
	assert.Empty(t, e1.PayoutIDs)

	// Epoch 2: each reaches 1.333333+; a and b are paid their whole entitlement, c has no valid
	// wallet and keeps it in the ledger.
	e2, err := pl.PlanAndCommit(ctx, sched, t0.Add(time.Hour), t0.Add(2*time.Hour))
	require.NoError(t, err)
	require.Len(t, e2.PayoutIDs, 2)
	pa, err := st.GetPayout(ctx, payout.EpochPayoutID(e2.EpochID, "node-a"))
	require.NoError(t, err)
	assert.Equal(t, "1.333334", pa.Amount.String())
	assert.Equal(t, a, pa.WalletAddress)

	// Planning the same epoch again changes nothing.
	again, err := pl.PlanAndCommit(ctx, sched, t0.Add(time.Hour), t0.Add(2*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, e2.PayoutIDs, again.PayoutIDs)

	bals, err := st.LedgerBalances(ctx, payout.USDT)
	require.NoError(t, err)
	ent := map[string]int64{}
	var owed int64
	for _, bl := range bals {
		ent[bl.NodeID] = bl.Entitlement()
		owed += bl.Owed
	}
	assert.Equal(t, map[string]int64{"node-a": 0, "node-b": 0, "node-c": 1_333_332}, ent)
	assert.Equal(t, int64(4_000_000), owed, "owed == Σ pools exactly")
}

func TestPlanEpochNobodyEligibleCarriesPool(t *testing.T) {
	t.Parallel()
	plan, err := payout.PlanEpoch(payout.PlanInput{
		EpochID: "epoch_x", Pool: payout.MustAmount("5", payout.USDT), CarryIn: 7,
		MinimumPayout: payout.MustAmount("1", payout.USDT), Scores: []payout.NodeScore{{NodeID: "a", Score: 3}}, Now: t0,
	})
	require.NoError(t, err)
	assert.Equal(t, int64(5_000_007), plan.Record.CarryOut)
	assert.Empty(t, plan.Payouts)
	assert.Empty(t, plan.Ledger)
}

func TestPlanEpochCapsAtMaximumPayout(t *testing.T) {
	t.Parallel()
	addr := payouttest.TronAddress("whale")
	plan, err := payout.PlanEpoch(payout.PlanInput{
		EpochID: "epoch_w", Pool: payout.MustAmount("1500000", payout.USDT),
		MinimumPayout: payout.MustAmount("1", payout.USDT), Now: t0,
		Scores: []payout.NodeScore{{NodeID: "a", Score: 1, Eligible: true, WalletAddress: addr}},
	})
	require.NoError(t, err)
	require.Len(t, plan.Payouts, 1)
	assert.Equal(t, "1000000", plan.Payouts[0].Amount.String())
	var paid, owed int64
	for _, l := range plan.Ledger {
		switch l.Kind {
		case payout.LedgerOwed:
			owed += l.Minor
		case payout.LedgerPaid:
			paid += l.Minor
		}
	}
	assert.Equal(t, int64(500_000_000_000), owed-paid, "the rest stays owed")
}
