package refserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/payout/tron"
	"github.com/hamigames/lucid-node-management/payout/tron/trontest"
)

// simTreasuryFile holds the simulator payer's private key in the data directory, so a restarted
// zero-config server pays from the same address.
const simTreasuryFile = "sim_treasury.key"

// simTreasuryMinor is what the simulated treasury is minted at start: 10^9 USDT.
const simTreasuryMinor = 1_000_000_000 * 1_000_000

// openChain connects the payout chain: Deps.Chain when given; with CHAIN=sim, an in-process TRON
// node (trontest) producing blocks every SIM_BLOCK_INTERVAL, a treasury minted on it and the real
// TRON client (gRPC, local signing) paying from it; otherwise the TRON client against the
// configured endpoint. The returned function closes what was opened.
//
// The simulator's ledger lives in memory: after a restart, payouts that were in flight are
// reconciled against a fresh chain, find their transactions absent once expired, and are sent
// again — the simulator is for development and tests, not for money.
func (s *Server) openChain() (func(), error) {
	p := s.pay
	if p.chain != nil {
		return func() {}, nil
	}
	cfg := s.cfg.Payout
	tc := tron.Config{Confirmations: cfg.TronConfirmations, MaxFeeLimit: cfg.TronFeeLimitMax, Logger: s.log}
	var sim *trontest.Server
	if s.cfg.Chain == "sim" {
		key, err := s.simTreasuryKey()
		if err != nil {
			return nil, fmt.Errorf("simulated chain treasury: %w", err)
		}
		if sim, err = trontest.NewServer(trontest.WithBlockInterval(cfg.SimBlockInterval)); err != nil {
			return nil, fmt.Errorf("simulated chain: %w", err)
		}
		tc.Endpoint, tc.Contract, tc.PrivateKeyHex = sim.Addr(), sim.Contract(), key
	} else {
		tc.Network, tc.Endpoint, tc.Contract = tron.Network(cfg.TronNetwork), s.cfg.Chain, cfg.TronContract
		tc.PrivateKeyHex, tc.APIKey, tc.TLS = cfg.TronPrivateKey, cfg.TronAPIKey, cfg.TronTLS
	}
	cl, err := tron.NewClient(tc)
	if err != nil {
		if sim != nil {
			sim.Close()
		}
		return nil, fmt.Errorf("tron client: %w", err)
	}
	p.chain, p.payer = cl, cl.Address()
	if sim != nil {
		if err := sim.Mint(cl.Address(), simTreasuryMinor); err != nil {
			_ = cl.Close()
			sim.Close()
			return nil, fmt.Errorf("simulated chain: mint treasury: %w", err)
		}
		p.sim, p.lister = sim, sim.Lister(cl.Address())
		s.log.Info("payout chain: simulator", "endpoint", sim.Addr(), "contract", sim.Contract(),
			"treasury", cl.Address(), "block_interval", cfg.SimBlockInterval.String(), "confirmations", cfg.TronConfirmations)
	} else {
		s.log.Info("payout chain: tron", "endpoint", s.cfg.Chain, "network", cfg.TronNetwork, "contract", cl.Contract(),
			"payer", cl.Address(), "confirmations", cfg.TronConfirmations)
	}
	return func() {
		_ = cl.Close()
		if sim != nil {
			sim.Close()
		}
	}, nil
}

// simTreasuryKey returns the simulator payer key kept in DataDir (created on first use), or a
// fresh one per process when the data directory does not exist.
func (s *Server) simTreasuryKey() (string, error) {
	gen := func() string {
		var b [16]byte
		_, _ = rand.Read(b[:])
		return trontest.NewAccount("lucid-sim-treasury-" + hex.EncodeToString(b[:])).PrivateKeyHex
	}
	if fi, err := os.Stat(s.cfg.DataDir); s.cfg.DataDir == "" || err != nil || !fi.IsDir() {
		return gen(), nil // no data directory (the binary creates it; tests and embedders may not)
	}
	path := filepath.Join(s.cfg.DataDir, simTreasuryFile)
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	key := gen()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return s.simTreasuryKey()
	}
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		_ = f.Close()
		return "", err
	}
	return key, f.Close()
}

// Lease names of the payout loops: one replica runs each.
const (
	payoutProcessorLease = "payout-processor"
	payoutSchedulerLease = "payout-scheduler"
)

// startPayouts opens the chain and starts, under their leases, the payout processor (whose Run
// reconciles every unfinished payout with the chain before anything else) and the epoch
// scheduler, plus the audit writer. Every loop ends with ctx; Serve waits for them.
func (s *Server) startPayouts(ctx context.Context) error {
	p := s.pay
	if p == nil {
		return nil
	}
	closeChain, err := s.openChain()
	if err != nil {
		return err
	}
	proc, err := payout.NewProcessor(payout.ProcessorConfig{
		Store: p.store, Chain: p.chain, Clock: s.now,
		Concurrency:  s.cfg.PayoutBatchSize,
		PollInterval: s.cfg.Payout.PollInterval,
		Observer:     payout.ObserverFunc(s.payoutEvent),
		Logger:       s.log.With("component", "payout-processor"),
	})
	if err != nil {
		closeChain()
		return err
	}
	planner := &payout.Planner{Store: p.store, Scores: payout.ScoreSourceFunc(s.epochScores), Addresses: p.addrs, Clock: s.now}
	sched := &payout.Scheduler{Store: p.store, Planner: planner, Clock: s.now, Tick: s.cfg.Payout.ScheduleTick,
		Logger: s.log.With("component", "payout-scheduler")}
	close(p.ready)
	loops, stopLoops := context.WithCancel(ctx)
	done := make(chan struct{})
	s.goBackground(func() { s.runAuditWriter(ctx) })
	s.goBackground(func() {
		defer close(done)
		s.runLeased(loops, payoutProcessorLease, func(c context.Context) { _ = proc.Run(c) })
	})
	sdone := make(chan struct{})
	s.goBackground(func() {
		defer close(sdone)
		s.runLeased(loops, payoutSchedulerLease, func(c context.Context) { _ = sched.Run(c) })
	})
	s.goBackground(func() {
		<-ctx.Done()
		stopLoops()
		<-done
		<-sdone
		closeChain()
	})
	return nil
}

// epochScores is the payout ScoreSource over the node registry. The eligibility rule: a node
// shares an epoch when it is active and healthy at planning time, has a wallet in the schedule's
// currency, and its poot_score (0–100) is at least PAYOUT_MIN_POOT_SCORE; its weight is the
// score in hundredths (two decimals, as stored). Nodes that are not active and healthy are not
// listed at all, which has the same effect as listing them ineligible.
func (s *Server) epochScores(ctx context.Context, _, _ time.Time) ([]payout.NodeScore, error) {
	p := s.pay
	sc, err := p.store.GetSchedule(ctx)
	if err != nil {
		return nil, err
	}
	ws, err := p.wallets.ListWallets(ctx, sc.Currency())
	if err != nil {
		return nil, err
	}
	wallet := make(map[string]string, len(ws))
	for _, w := range ws {
		wallet[w.NodeID] = w.Address
	}
	var out []payout.NodeScore
	f := nodemgmt.NodeFilter{Status: nodemgmt.StatusActive, Health: nodemgmt.HealthHealthy, Limit: 1000}
	for {
		pg, err := s.store.ListNodes(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, n := range pg.Nodes {
			addr, has := wallet[n.NodeID]
			score := uint64(0)
			if n.PootScore > 0 {
				score = uint64(n.PootScore*100 + 0.5)
			}
			out = append(out, payout.NodeScore{NodeID: n.NodeID, Score: score, WalletAddress: addr,
				Eligible: has && n.PootScore >= s.cfg.Payout.MinPootScore})
		}
		if len(pg.Nodes) < f.Limit {
			return out, nil
		}
		last := pg.Nodes[len(pg.Nodes)-1]
		f.After = &nodemgmt.Cursor{CreatedAt: last.CreatedAt, ID: last.NodeID}
	}
}
