package payouttest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/hamigames/lucid-node-management/payout"
)

// Harness is the chain side of a scenario, so the same scenarios run against FakeChain and
// against payout/tron with its simulator.
type Harness struct {
	// Chain is the client under test.
	Chain payout.ChainClient
	// Lister lists the payer's transfers for the audit (optional but recommended).
	Lister payout.TransferLister
	// SetFaults installs a fault hook in the chain (nil: the chain has no faults).
	SetFaults func(FaultFunc)
	// Advance lets the chain make progress: at least one new block.
	Advance func(ctx context.Context) error
}

// FakeHarness returns a Harness over a funded FakeChain.
func FakeHarness(genesis time.Time) (Harness, *FakeChain) {
	c := NewFakeChain(genesis, map[payout.Currency]int64{payout.USDT: 1 << 60, payout.LUCID: 1 << 60})
	return Harness{
		Chain: c, Lister: c, SetFaults: c.SetFaults,
		Advance: func(context.Context) error { c.Mine(); return nil },
	}, c
}

// TronAddress returns a valid TRON address derived from a label, for tests.
func TronAddress(label string) string {
	h := sha256.Sum256([]byte(label))
	a, err := payout.TronAddressFromBytes(append([]byte{payout.TronAddressVersion}, h[:20]...))
	if err != nil {
		panic(err)
	}
	return a
}

// ScenarioConfig drives RunScenario.
type ScenarioConfig struct {
	Harness Harness
	Seed    uint64
	// Payouts is the batch size (default 5).
	Payouts int
	// FaultPercent is the chance (0–100) that a chain call gets a random fault (default 20).
	FaultPercent int
	// CrashPercent is the chance (0–100) that a processor life ends in a crash (default 60).
	CrashPercent int
	// FirstCrashAt, when > 0, crashes the first life at that call; FirstCrashAfter picks
	// whether the call takes effect first (lost answer) or not.
	FirstCrashAt    int
	FirstCrashAfter bool
	// Concurrency of each processor life (default 1: deterministic for a seed with FakeChain).
	Concurrency int
	// MaxLives bounds processor restarts (default 60); faults and crashes stop after half.
	MaxLives int
	// PassesPerLife is how many passes one life makes before it is stopped (default 6).
	PassesPerLife int
	// Confirmations is the processor's depth (0 trusts the client's confirmed state).
	Confirmations int64
	// Start is the local clock start (default 2026-01-01).
	Start time.Time
	// Store is the payout store the scenario runs over (default: a new MemStore), so real
	// backends can be put through the same crashes; it must be empty.
	Store payout.Store
}

// ScenarioResult reports what a scenario did.
type ScenarioResult struct {
	Lives     int
	Crashes   int
	Calls     int // calls through the crash point in the first life
	Completed int
	Failed    int
	Txs       int
	Report    payout.AuditReport
}

// RunScenario submits one batch, then runs processor lives over the shared store and chain:
// each life recovers and makes passes with the chain advancing between them, with random chain
// faults and (maybe) a crash at a random call. After half the lives faults and crashes stop
// so the batch can settle. It returns an error unless every payout completed, the chain made
// exactly one successful transfer per payout, and the audit is clean.
func RunScenario(ctx context.Context, cfg ScenarioConfig) (ScenarioResult, error) {
	if cfg.Payouts <= 0 {
		cfg.Payouts = 5
	}
	if cfg.FaultPercent == 0 {
		cfg.FaultPercent = 20
	}
	if cfg.CrashPercent == 0 {
		cfg.CrashPercent = 60
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}
	if cfg.MaxLives <= 0 {
		cfg.MaxLives = 60
	}
	if cfg.PassesPerLife <= 0 {
		cfg.PassesPerLife = 6
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	var clockMu sync.Mutex
	now := cfg.Start
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	tick := func(d time.Duration) { clockMu.Lock(); now = now.Add(d); clockMu.Unlock() }

	var store payout.Store = NewMemStore()
	if cfg.Store != nil {
		store = cfg.Store
	}
	svc, err := payout.NewService(payout.ServiceConfig{Store: store, Clock: clock})
	if err != nil {
		return ScenarioResult{}, err
	}
	req := payout.BatchRequest{BatchID: "batch_s" + strconv.FormatUint(cfg.Seed, 10)}
	for i := range cfg.Payouts {
		minor := 1 + rng.Int64N(5_000_000_000)
		amt, _ := payout.NewAmount(minor, payout.USDT)
		req.Payouts = append(req.Payouts, payout.PayoutRequest{
			NodeID: "node-" + strconv.Itoa(i), Amount: payout.Decimal(amt.String()),
			WalletAddress: TronAddress(fmt.Sprintf("seed-%d-%d", cfg.Seed, i)),
		})
	}
	if _, err := svc.SubmitBatch(ctx, req); err != nil {
		return ScenarioResult{}, fmt.Errorf("submit: %w", err)
	}

	faults := []Fault{FaultError, FaultDropBroadcast, FaultDelayInclusion, FaultLoseResponse}
	var fmu sync.Mutex
	if cfg.Harness.SetFaults != nil {
		cfg.Harness.SetFaults(func(op Op, n int) Fault {
			fmu.Lock()
			defer fmu.Unlock()
			if rng.IntN(100) >= cfg.FaultPercent {
				return FaultNone
			}
			if op != OpBroadcast {
				return FaultError
			}
			return faults[rng.IntN(len(faults))]
		})
		defer cfg.Harness.SetFaults(nil)
	}
	var res ScenarioResult
	calm := cfg.MaxLives / 2
	for life := 0; life < cfg.MaxLives; life++ {
		res.Lives++
		if life == calm && cfg.Harness.SetFaults != nil {
			cfg.Harness.SetFaults(nil)
		}
		cp := &CrashPoint{}
		fmu.Lock()
		switch {
		case life == 0 && cfg.FirstCrashAt > 0:
			cp.At, cp.After = cfg.FirstCrashAt, cfg.FirstCrashAfter
		case life < calm && rng.IntN(100) < cfg.CrashPercent:
			cp.At, cp.After = 1+rng.IntN(40), rng.IntN(2) == 0
		}
		fmu.Unlock()
		proc, err := payout.NewProcessor(payout.ProcessorConfig{
			Store: CrashStore{S: store, C: cp}, Chain: CrashChain{Chain: cfg.Harness.Chain, C: cp}, Clock: clock,
			Concurrency: cfg.Concurrency, BackoffMin: time.Second, BackoffMax: 4 * time.Second,
			MaxTxAttempts: 1000, Confirmations: cfg.Confirmations,
		})
		if err != nil {
			return res, err
		}
		if err := proc.Recover(ctx); err == nil {
			for range cfg.PassesPerLife {
				if cp.Crashed() {
					break
				}
				_ = proc.ProcessOnce(ctx)
				proc.Wait()
				tick(time.Second)
				if err := cfg.Harness.Advance(ctx); err != nil {
					return res, fmt.Errorf("advance: %w", err)
				}
			}
		}
		if life == 0 {
			res.Calls = cp.Calls()
		}
		if cp.Crashed() {
			res.Crashes++
		}
		tick(time.Second)
		if err := cfg.Harness.Advance(ctx); err != nil {
			return res, fmt.Errorf("advance: %w", err)
		}
		if done, err := allTerminal(ctx, store); err != nil {
			return res, err
		} else if done && life >= calm {
			break
		}
	}
	// Let the last inclusions reach the client's own depth before auditing.
	for range 5 {
		if err := cfg.Harness.Advance(ctx); err != nil {
			return res, fmt.Errorf("advance: %w", err)
		}
	}
	rep, err := payout.Audit(ctx, store, cfg.Harness.Chain, cfg.Harness.Lister)
	res.Report = rep
	if err != nil {
		return res, fmt.Errorf("audit: %w", err)
	}
	pg, err := store.ListPayouts(ctx, payout.PayoutFilter{Limit: 1000})
	if err != nil {
		return res, err
	}
	for _, p := range pg.Payouts {
		switch p.Stage {
		case payout.StageCompleted:
			res.Completed++
		case payout.StageFailed:
			res.Failed++
		}
	}
	txs, _ := store.ListAllTxs(ctx, "", 0)
	res.Txs = len(txs)
	var errs []error
	if !rep.OK() {
		errs = append(errs, fmt.Errorf("audit violations: %+v", rep.Violations))
	}
	if res.Completed != cfg.Payouts {
		errs = append(errs, fmt.Errorf("%d of %d payouts completed (%d failed) after %d lives", res.Completed, cfg.Payouts, res.Failed, res.Lives))
	}
	if cfg.Harness.Lister != nil {
		list, err := cfg.Harness.Lister.ListTransfers(ctx)
		if err != nil {
			return res, err
		}
		ok := 0
		for _, t := range list {
			if t.Success {
				ok++
			}
		}
		if ok != cfg.Payouts {
			errs = append(errs, fmt.Errorf("chain made %d successful transfers for %d payouts", ok, cfg.Payouts))
		}
	}
	return res, errors.Join(errs...)
}

func allTerminal(ctx context.Context, s payout.Store) (bool, error) {
	ps, err := s.ListActive(ctx, "", 1)
	return len(ps) == 0, err
}
