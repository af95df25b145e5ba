package refserver

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/memory"
)

// TestLeasedLoopRunsOnOneReplica starts the same leased loop on two servers sharing a store:
// only one runs it at a time, and when that replica stops the other takes over.
func TestLeasedLoopRunsOnOneReplica(t *testing.T) {
	t.Parallel()
	store := memory.New()
	replica := func(holder string) *Server {
		srv, err := New(testConfig(), Deps{Store: store, Holder: holder, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		require.NoError(t, err)
		srv.leaseTTL = 150 * time.Millisecond
		return srv
	}
	a, b := replica("replica-a"), replica("replica-b")

	var running, maxRunning, runsA, runsB atomic.Int32
	loop := func(runs *atomic.Int32) func(context.Context) {
		return func(ctx context.Context) {
			runs.Add(1)
			n := running.Add(1)
			for {
				m := maxRunning.Load()
				if n <= m || maxRunning.CompareAndSwap(m, n) {
					break
				}
			}
			<-ctx.Done()
			running.Add(-1)
		}
	}
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	defer stopB()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.runLeased(ctxA, "test-loop", loop(&runsA)) }()
	go func() { defer wg.Done(); b.runLeased(ctxB, "test-loop", loop(&runsB)) }()

	require.Eventually(t, func() bool { return running.Load() == 1 }, 2*time.Second, 5*time.Millisecond)
	time.Sleep(300 * time.Millisecond) // two lease periods: the other replica must not start
	assert.EqualValues(t, 1, maxRunning.Load(), "never two replicas at once")

	// stop whichever replica holds the lease; the other one takes over
	holderA := runsA.Load() == 1
	if holderA {
		stopA()
	} else {
		stopB()
	}
	require.Eventually(t, func() bool {
		if holderA {
			return runsB.Load() == 1 && running.Load() == 1
		}
		return runsA.Load() == 1 && running.Load() == 1
	}, 2*time.Second, 5*time.Millisecond, "the other replica takes the loop over")
	stopA()
	stopB()
	wg.Wait()
	assert.EqualValues(t, 0, running.Load())
	assert.EqualValues(t, 1, maxRunning.Load())
}

func TestAuditRetentionByCategory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	now := e.srv.now()
	old := func(years int) time.Time { return now.Add(-time.Duration(years)*365*24*time.Hour - time.Hour) }
	entries := []nodemgmt.AuditEntry{
		{ID: "a1", At: old(3), Category: "node", Action: "create", Result: "ok"},   // past 2 years: pruned
		{ID: "a2", At: old(1), Category: "node", Action: "update", Result: "ok"},   // kept
		{ID: "a3", At: old(3), Category: "payout", Action: "batch", Result: "ok"},  // within 7 years: kept
		{ID: "a4", At: old(8), Category: "payout", Action: "batch", Result: "ok"},  // past 7 years: pruned
		{ID: "a5", At: old(2), Category: "poot", Action: "validate", Result: "ok"}, // past 1 year: pruned
	}
	for _, en := range entries {
		require.NoError(t, e.srv.store.AppendAudit(ctx, en))
	}
	e.srv.pruneAudit(ctx)
	left, err := e.srv.store.ListAudit(ctx, nodemgmt.AuditFilter{})
	require.NoError(t, err)
	var ids []string
	for _, en := range left {
		ids = append(ids, en.ID)
	}
	assert.ElementsMatch(t, []string{"a2", "a3"}, ids)
}
