package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/payout/payouttest"
	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/storage/postgres"
)

// raceReplicas calls fn n times at once, alternating between the stores, and returns how many
// calls returned nil and the errors of the others.
func raceReplicas(stores []*postgres.Store, n int, fn func(s *postgres.Store, i int) error) (wins int, errs []error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := fn(stores[i%len(stores)], i)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else {
				errs = append(errs, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	return wins, errs
}

// TestReplicasPoot: a nonce is accepted once and a challenge consumed once, whichever replica
// the requests reach.
func TestReplicasPoot(t *testing.T) {
	t.Parallel()
	dsn := cleanSchema(t)
	stores := []*postgres.Store{open(t, dsn, testKey), open(t, dsn, testKey)}
	epoch := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	wins, errs := raceReplicas(stores, 16, func(s *postgres.Store, _ int) error {
		return s.ConsumeNonce(ctx, "node_rep_a", "nonce-shared-1", epoch.Add(24*time.Hour))
	})
	assert.Equal(t, 1, wins)
	for _, err := range errs {
		assert.ErrorIs(t, err, poot.ErrNonceReplayed)
	}

	c := poot.Challenge{NodeID: "node_rep_a", Nonce: poot.NewChallengeNonce(), IssuedAt: epoch, ExpiresAt: epoch.Add(time.Minute)}
	require.NoError(t, stores[0].SaveChallenge(ctx, c))
	wins, errs = raceReplicas(stores, 16, func(s *postgres.Store, _ int) error {
		_, err := s.ConsumeChallenge(ctx, c.NodeID, c.Nonce)
		return err
	})
	assert.Equal(t, 1, wins)
	for _, err := range errs {
		assert.ErrorIs(t, err, poot.ErrChallengeNotFound)
	}
}

// TestReplicasPayoutSchedule: of replicas setting the first schedule (or moving it from one
// version) at once, exactly one wins; the rest get ErrConflict.
func TestReplicasPayoutSchedule(t *testing.T) {
	t.Parallel()
	dsn := cleanSchema(t)
	stores := []*postgres.Store{open(t, dsn, testKey), open(t, dsn, testKey)}
	sched := func(i int) payout.Schedule {
		return payout.Schedule{Enabled: true, Interval: time.Duration(i+1) * time.Hour,
			RewardPool: payout.MustAmount("100", payout.USDT), MinimumPayout: payout.MustAmount("1", payout.USDT),
			NextRunAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	}
	for _, expect := range []int64{0, 1} {
		wins, errs := raceReplicas(stores, 12, func(s *postgres.Store, i int) error {
			_, err := s.SetSchedule(ctx, sched(i), expect)
			return err
		})
		assert.Equal(t, 1, wins, "expect version %d", expect)
		for _, err := range errs {
			assert.ErrorIs(t, err, payout.ErrConflict)
		}
		got, err := stores[1].GetSchedule(ctx)
		require.NoError(t, err)
		assert.Equal(t, expect+1, got.Version)
	}
}

// TestPayoutCrashScenarios puts the PostgreSQL store through the payout processor's crash and
// fault scenarios (payouttest.RunScenario): every payout completes, with exactly one transfer
// each on the chain, and the audit is clean.
func TestPayoutCrashScenarios(t *testing.T) {
	t.Parallel()
	testURL(t)
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Parallel()
			s := open(t, cleanSchema(t), testKey)
			h, _ := payouttest.FakeHarness(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			c, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := payouttest.RunScenario(c, payouttest.ScenarioConfig{Harness: h, Seed: 300 + seed, Payouts: 4,
				Concurrency: 1 + int(seed%3), Confirmations: int64(seed % 3), Store: s, MaxLives: 24})
			require.NoError(t, err, "result: %+v", res)
			assert.Equal(t, 4, res.Completed)
			t.Logf("lives=%d crashes=%d txs=%d", res.Lives, res.Crashes, res.Txs)
		})
	}
}
