package refserver

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/payout/payouttest"
	"github.com/hamigames/lucid-node-management/payout/tron"
	"github.com/hamigames/lucid-node-management/payout/tron/trontest"
	"github.com/hamigames/lucid-node-management/storage/seal"
	"github.com/hamigames/lucid-node-management/storage/sqlite"
)

// crashHarness runs payouttest's scenario through the server's own chain stack — the real TRON
// client, real signatures, the simulator's gRPC node — over the SQLite store. The scenario's
// faults map onto the node's RPCs; every third broadcast error becomes an OUT_OF_ENERGY
// inclusion instead (the fee burns, no token moves, the payout needs a new transaction).
func crashHarness(t *testing.T, seed uint64) (payouttest.Harness, *trontest.Server, *sqlite.Store) {
	t.Helper()
	srv, err := trontest.NewServer(trontest.WithGenesisTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), trontest.WithSeed(seed))
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	payer := trontest.NewAccount("crash-payer")
	require.NoError(t, srv.Mint(payer.Address, 1<<50))
	cl, err := tron.NewClient(tron.Config{Endpoint: srv.Addr(), Contract: srv.Contract(), PrivateKeyHex: payer.PrivateKeyHex, Confirmations: 3, Timeout: 5 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = cl.Close() })
	key, err := seal.ParseKey(benchKey)
	require.NoError(t, err)
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "crash.db"), sqlite.Options{Key: key, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })

	ops := map[string]payouttest.Op{
		"EstimateEnergy":         payouttest.OpTransfer,
		"BroadcastTransaction":   payouttest.OpBroadcast,
		"GetTransactionInfoById": payouttest.OpStatus,
		"GetNowBlock2":           payouttest.OpNow,
	}
	kinds := map[payouttest.Fault]trontest.Fault{
		payouttest.FaultNone:           trontest.FaultNone,
		payouttest.FaultError:          trontest.FaultError,
		payouttest.FaultDropBroadcast:  trontest.FaultDrop,
		payouttest.FaultDelayInclusion: trontest.FaultDelay,
		payouttest.FaultLoseResponse:   trontest.FaultLoseResponse,
	}
	setFaults := func(f payouttest.FaultFunc) {
		if f == nil {
			srv.SetFaultHook(nil)
			return
		}
		var mu sync.Mutex
		calls := map[payouttest.Op]int{}
		bErrors := 0
		srv.SetFaultHook(func(method string) trontest.Fault {
			op, ok := ops[method]
			if !ok {
				return trontest.FaultNone
			}
			mu.Lock()
			defer mu.Unlock()
			calls[op]++
			k := kinds[f(op, calls[op])]
			if op == payouttest.OpBroadcast && k == trontest.FaultError {
				if bErrors++; bErrors%3 == 0 {
					return trontest.FaultOutOfEnergy
				}
			}
			return k
		})
	}
	return payouttest.Harness{
		Chain: cl, Lister: srv.Lister(payer.Address), SetFaults: setFaults,
		Advance: func(context.Context) error { srv.ProduceBlock(); return nil },
	}, srv, st
}

// firstLifeCalls is how many store and chain calls the first processor life of a 1-payout
// batch makes without faults (sign, persist, broadcast, inclusion, confirmation polls,
// completion, batch close); the sweep crashes at each of them.
const firstLifeCalls = 42

// TestPayoutCrashSafetySimulatorSQLite kills the processor at every call of its first life
// (each call index, before and after the call takes effect), then at random calls in later
// lives, with every simulator fault injected, restarting it each time over the same SQLite file;
// the audit must prove every payout paid exactly once and none lost.
func TestPayoutCrashSafetySimulatorSQLite(t *testing.T) {
	t.Parallel()
	// Default (a few seconds): every third call index of the first life, before or after the
	// call takes effect alternately, and 3 random seeds. LUCID_CRASH_SEEDS=N runs both variants
	// at every index and N random seeds.
	seeds, full := 3, false
	if v, err := strconv.Atoi(os.Getenv("LUCID_CRASH_SEEDS")); err == nil && v > 0 {
		seeds, full = v, true
	}
	type run struct {
		seed    uint64
		at      int
		after   bool
		payouts int
	}
	var runs []run
	for at := 1; at <= firstLifeCalls; at++ {
		if !full && at%3 != 1 {
			continue
		}
		if full || at%2 == 0 {
			runs = append(runs, run{seed: uint64(100 + at), at: at, after: true, payouts: 1})
		}
		if full || at%2 == 1 {
			runs = append(runs, run{seed: uint64(200 + at), at: at, payouts: 1})
		}
	}
	for s := range seeds {
		runs = append(runs, run{seed: uint64(s), payouts: 6})
	}
	for _, r := range runs {
		t.Run(fmt.Sprintf("seed=%d,crash_at=%d,after=%t", r.seed, r.at, r.after), func(t *testing.T) {
			t.Parallel()
			h, srv, st := crashHarness(t, r.seed)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			res, err := payouttest.RunScenario(ctx, payouttest.ScenarioConfig{
				Harness: h, Seed: r.seed, Payouts: r.payouts, Confirmations: 3, Concurrency: 1 + int(r.seed%3),
				FirstCrashAt: r.at, FirstCrashAfter: r.after, FaultPercent: 25, Store: st, MaxLives: 24,
			})
			require.NoError(t, err, "result: %+v", res)
			require.Len(t, srv.Paid(), r.payouts)
			if r.at > 0 && res.Calls >= r.at {
				require.GreaterOrEqual(t, res.Crashes, 1, "the first life crashed at call %d", r.at)
			}
			t.Logf("lives=%d crashes=%d first-life calls=%d txs=%d", res.Lives, res.Crashes, res.Calls, res.Txs)
		})
	}
}
