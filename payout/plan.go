package payout

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"
)

// NodeScore is one node's PoOT score for an epoch, as the composition root reads it from PoOT
// and node management. Score is a non-negative integer weight (for example the score scaled
// by 1e6); only the ratios between nodes matter.
type NodeScore struct {
	NodeID string
	Score  uint64
	// Eligible is false for nodes that must not share this epoch (probation, suspended, …).
	Eligible bool
	// WalletAddress is where the node is paid; an invalid or empty address keeps its
	// entitlement in the ledger until a valid one is known.
	WalletAddress string
}

// ScoreSource supplies the scores of the nodes for an epoch [start, end). It is the only thing
// payout needs from PoOT and node management; the server wires it.
type ScoreSource interface {
	EpochScores(ctx context.Context, start, end time.Time) ([]NodeScore, error)
}

// ScoreSourceFunc adapts a function to ScoreSource.
type ScoreSourceFunc func(ctx context.Context, start, end time.Time) ([]NodeScore, error)

// EpochScores calls f.
func (f ScoreSourceFunc) EpochScores(ctx context.Context, start, end time.Time) ([]NodeScore, error) {
	return f(ctx, start, end)
}

// SplitPool divides pool minor units among the eligible nodes with a positive score in
// proportion to score, by the largest remainder method: each node gets
// floor(pool·score/total), then the leftover units (fewer than the number of nodes) go one
// each to the nodes with the largest fractional remainders, ties broken by NodeID ascending.
// Shares are returned sorted by NodeID; Σ Minor == pool exactly, unless no node is eligible,
// in which case there are no shares and the caller carries the pool forward. remainderUnits
// is how many units the remainder step handed out. Duplicate node ids are an error.
func SplitPool(pool int64, scores []NodeScore) (shares []EpochShare, remainderUnits int64, err error) {
	if pool < 0 {
		return nil, 0, fmt.Errorf("%w: negative pool", ErrAmountRange)
	}
	elig := make([]NodeScore, 0, len(scores))
	for _, s := range scores {
		if s.Eligible && s.Score > 0 {
			elig = append(elig, s)
		}
	}
	slices.SortFunc(elig, func(a, b NodeScore) int { return strings.Compare(a.NodeID, b.NodeID) })
	var total uint64
	for i, s := range elig {
		if i > 0 && elig[i-1].NodeID == s.NodeID {
			return nil, 0, fmt.Errorf("duplicate node %q in scores", s.NodeID)
		}
		var carry uint64
		total, carry = bits.Add64(total, s.Score, 0)
		if carry != 0 {
			return nil, 0, errors.New("sum of scores overflows uint64")
		}
	}
	if len(elig) == 0 {
		return nil, 0, nil
	}
	shares = make([]EpochShare, len(elig))
	rems := make([]uint64, len(elig))
	var given int64
	for i, s := range elig {
		hi, lo := bits.Mul64(uint64(pool), s.Score)
		q, r := bits.Div64(hi, lo, total) // q ≤ pool since score ≤ total
		shares[i] = EpochShare{NodeID: s.NodeID, Score: s.Score, Minor: int64(q)}
		rems[i] = r
		given += int64(q)
	}
	left := pool - given
	if left > 0 {
		idx := make([]int, len(elig))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int {
			if rems[a] != rems[b] {
				return cmp.Compare(rems[b], rems[a])
			}
			return cmp.Compare(a, b) // shares are sorted by NodeID
		})
		for k := int64(0); k < left; k++ {
			shares[idx[k]].Minor++
			shares[idx[k]].RemainderUnits++
		}
	}
	return shares, left, nil
}

// PlanInput is everything PlanEpoch needs; it reads nothing else.
type PlanInput struct {
	EpochID string
	Start   time.Time
	End     time.Time
	// Pool is the epoch's reward pool; CarryIn is the previous epoch's CarryOut (minor units).
	Pool    Amount
	CarryIn int64
	// MinimumPayout: an entitlement below it is carried forward in the ledger.
	MinimumPayout Amount
	// Balances are the nodes' cumulative ledger positions before this epoch.
	Balances []LedgerBalance
	Scores   []NodeScore
	// Addresses validates the wallet address a payout would be sent to.
	Addresses AddressValidator
	Now       time.Time
}

// EpochPlan is the result of planning: what CommitEpoch stores atomically.
type EpochPlan struct {
	Record  EpochRecord
	Ledger  []LedgerEntry
	Payouts []Payout
}

// EpochPayoutID is the deterministic payout id of a node's payout from an epoch.
func EpochPayoutID(epochID, nodeID string) string {
	h := sha256.Sum256([]byte(nodeID))
	return "payout_" + epochID + "_" + hex.EncodeToString(h[:8])
}

// EpochIDFor names the epoch that ends at end: "epoch_<currency>_<unix seconds>".
func EpochIDFor(c Currency, end time.Time) string {
	return "epoch_" + string(c) + "_" + strconv.FormatInt(end.Unix(), 10)
}

// PlanEpoch splits Pool+CarryIn among the nodes by score (SplitPool), credits each share to
// the ledger as owed, and for each node whose entitlement (cumulative owed − cumulative paid)
// reaches MinimumPayout and who has a valid wallet address creates a payout of the entitlement
// (at most the per-payout maximum; the rest stays in the ledger) and debits it as paid.
// Deterministic: the same input gives the same plan.
func PlanEpoch(in PlanInput) (EpochPlan, error) {
	c := in.Pool.Currency()
	if !c.Valid() {
		return EpochPlan{}, fmt.Errorf("%w %q", ErrUnknownCurrency, c)
	}
	if in.MinimumPayout.Currency() != c {
		return EpochPlan{}, fmt.Errorf("%w: minimum payout in %s, pool in %s", ErrCurrencyMismatch, in.MinimumPayout.Currency(), c)
	}
	if in.CarryIn < 0 || in.Pool.Minor() > math.MaxInt64-in.CarryIn {
		return EpochPlan{}, fmt.Errorf("%w: pool plus carry", ErrAmountRange)
	}
	dist := in.Pool.Minor() + in.CarryIn
	shares, remUnits, err := SplitPool(dist, in.Scores)
	if err != nil {
		return EpochPlan{}, err
	}
	rec := EpochRecord{
		EpochID: in.EpochID, Currency: c, Start: in.Start.UTC(), End: in.End.UTC(),
		Pool: in.Pool.Minor(), CarryIn: in.CarryIn, RemainderUnits: remUnits, Shares: shares,
		CreatedAt: in.Now.UTC(),
	}
	for _, s := range shares {
		rec.Distributed += s.Minor
	}
	rec.CarryOut = dist - rec.Distributed

	bal := make(map[string]LedgerBalance, len(in.Balances)+len(shares))
	for _, b := range in.Balances {
		if b.Currency == c {
			bal[b.NodeID] = b
		}
	}
	now := in.Now.UTC()
	plan := EpochPlan{Record: rec, Ledger: make([]LedgerEntry, 0, 2*len(shares)), Payouts: make([]Payout, 0, len(shares))}
	plan.Record.PayoutIDs = make([]string, 0, len(shares))
	for _, s := range shares {
		if s.Minor == 0 {
			continue
		}
		b := bal[s.NodeID]
		b.NodeID, b.Currency = s.NodeID, c
		if s.Minor > math.MaxInt64-b.Owed {
			return EpochPlan{}, fmt.Errorf("%w: ledger of %s overflows", ErrAmountRange, s.NodeID)
		}
		b.Owed += s.Minor
		bal[s.NodeID] = b
		plan.Ledger = append(plan.Ledger, LedgerEntry{NodeID: s.NodeID, Currency: c, Kind: LedgerOwed, Minor: s.Minor, EpochID: in.EpochID, At: now})
	}
	// Payouts for every scored node with a valid address, in NodeID order.
	scored := append([]NodeScore(nil), in.Scores...)
	slices.SortFunc(scored, func(a, b NodeScore) int { return strings.Compare(a.NodeID, b.NodeID) })
	_, maxPay := PayoutBounds(c)
	minPay := in.MinimumPayout.Minor()
	if lo, _ := PayoutBounds(c); minPay < lo.Minor() {
		minPay = lo.Minor()
	}
	for i, s := range scored {
		if i > 0 && scored[i-1].NodeID == s.NodeID {
			continue
		}
		b, ok := bal[s.NodeID]
		if !ok {
			continue
		}
		ent := b.Entitlement()
		if ent < minPay {
			continue
		}
		if in.Addresses.Validate(c, s.WalletAddress) != nil {
			continue
		}
		pay := min(ent, maxPay.Minor())
		amt, err := NewAmount(pay, c)
		if err != nil {
			return EpochPlan{}, err
		}
		id := EpochPayoutID(in.EpochID, s.NodeID)
		plan.Payouts = append(plan.Payouts, Payout{
			PayoutID: id, NodeID: s.NodeID, Amount: amt, WalletAddress: CanonicalAddress(c, s.WalletAddress),
			Stage: StagePending, Priority: PriorityNormal, EpochID: in.EpochID, CreatedAt: now, UpdatedAt: now,
		})
		plan.Ledger = append(plan.Ledger, LedgerEntry{NodeID: s.NodeID, Currency: c, Kind: LedgerPaid, Minor: pay, EpochID: in.EpochID, PayoutID: id, At: now})
		plan.Record.PayoutIDs = append(plan.Record.PayoutIDs, id)
	}
	return plan, nil
}

// Planner plans and commits epochs against a Store.
type Planner struct {
	Store     Store
	Scores    ScoreSource
	Addresses AddressValidator
	Clock     func() time.Time
}

// PlanAndCommit plans the epoch [start, end) under the schedule's pool and threshold and
// commits it atomically. Planning the same epoch twice is idempotent: the stored record is
// returned and nothing is added.
func (pl *Planner) PlanAndCommit(ctx context.Context, s Schedule, start, end time.Time) (EpochRecord, error) {
	c := s.Currency()
	id := EpochIDFor(c, end)
	if e, err := pl.Store.GetEpoch(ctx, id); err == nil {
		return e, nil
	} else if !errors.Is(err, ErrNotFound) {
		return EpochRecord{}, err
	}
	var carry int64
	if prev, err := pl.Store.LatestEpoch(ctx, c); err == nil {
		carry = prev.CarryOut
	} else if !errors.Is(err, ErrNotFound) {
		return EpochRecord{}, err
	}
	scores, err := pl.Scores.EpochScores(ctx, start, end)
	if err != nil {
		return EpochRecord{}, fmt.Errorf("epoch scores: %w", err)
	}
	bals, err := pl.Store.LedgerBalances(ctx, c)
	if err != nil {
		return EpochRecord{}, err
	}
	plan, err := PlanEpoch(PlanInput{
		EpochID: id, Start: start, End: end, Pool: s.RewardPool, CarryIn: carry,
		MinimumPayout: s.MinimumPayout, Balances: bals, Scores: scores, Addresses: pl.Addresses, Now: pl.Clock(),
	})
	if err != nil {
		return EpochRecord{}, err
	}
	if err := pl.Store.CommitEpoch(ctx, plan.Record, plan.Ledger, plan.Payouts); err != nil {
		if errors.Is(err, ErrConflict) {
			if e, gerr := pl.Store.GetEpoch(ctx, id); gerr == nil {
				return e, nil
			}
		}
		return EpochRecord{}, err
	}
	return plan.Record, nil
}
