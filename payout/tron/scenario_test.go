package tron_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/payout/payouttest"
	"github.com/hamigames/lucid-node-management/payout/tron"
	"github.com/hamigames/lucid-node-management/payout/tron/trontest"
)

// simHarness runs payouttest's scenarios through the real client, real signatures and the
// simulator's gRPC node, mapping the scenario's per-operation faults onto the node's RPCs.
func simHarness(t *testing.T, confirmations int64) (payouttest.Harness, *trontest.Server) {
	t.Helper()
	srv, err := trontest.NewServer(trontest.WithGenesisTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	payer := trontest.NewAccount("scenario-payer")
	require.NoError(t, srv.Mint(payer.Address, 1<<50))
	cl, err := tron.NewClient(tron.Config{Endpoint: srv.Addr(), Contract: srv.Contract(), PrivateKeyHex: payer.PrivateKeyHex, Confirmations: confirmations, Timeout: 5 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = cl.Close() })

	ops := map[string]payouttest.Op{
		"EstimateEnergy":         payouttest.OpTransfer, // the first RPC of Transfer
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
		srv.SetFaultHook(func(method string) trontest.Fault {
			op, ok := ops[method]
			if !ok {
				return trontest.FaultNone
			}
			mu.Lock()
			calls[op]++
			n := calls[op]
			mu.Unlock()
			return kinds[f(op, n)]
		})
	}
	return payouttest.Harness{
		Chain:     cl,
		Lister:    srv.Lister(payer.Address),
		SetFaults: setFaults,
		Advance:   func(context.Context) error { srv.ProduceBlock(); return nil },
	}, srv
}

// TestScenariosOverSimulator: crashes at random calls, chain faults on every RPC the client
// makes, restarts with recovery; the audit must prove every payout paid exactly once.
func TestScenariosOverSimulator(t *testing.T) {
	t.Parallel()
	seeds := 12
	if testing.Short() {
		seeds = 4
	}
	for seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			h, srv := simHarness(t, 3)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := payouttest.RunScenario(ctx, payouttest.ScenarioConfig{
				Harness: h, Seed: uint64(seed), Payouts: 6, Confirmations: 3, Concurrency: 1 + seed%3,
			})
			require.NoError(t, err, "result: %+v", res)
			require.Len(t, srv.Paid(), 6)
			faulted := 0
			for _, tx := range srv.Transactions() {
				if tx.Fault != trontest.FaultNone {
					faulted++
				}
			}
			t.Logf("lives=%d crashes=%d txs=%d broadcasts=%d faulted=%d", res.Lives, res.Crashes, res.Txs, len(srv.Transactions()), faulted)
		})
	}
}
