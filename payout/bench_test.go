package payout_test

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/hamigames/lucid-node-management/payout"
)

// BenchmarkBatch1000 measures decoding and validating a 1000-payout batch request
// (addresses checked as base58check, amounts parsed exactly, canonical hash computed),
// next to the bare encoding/json decode of the same body as the baseline.
func BenchmarkBatch1000(b *testing.B) {
	body := batchJSON("batch_bench", 1000, `"12.345678"`)
	b.Run("baseline_json_decode", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var req payout.BatchRequest
			if err := json.Unmarshal([]byte(body), &req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode_validate", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			req, err := payout.DecodeBatchRequest(strings.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := payout.ValidateBatch(req, payout.ValidateOptions{Now: t0}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func nodes(n int) []payout.NodeScore {
	out := make([]payout.NodeScore, n)
	for i := range out {
		out[i] = payout.NodeScore{NodeID: fmt.Sprintf("node-%06d", i), Score: uint64(1 + (i*7919)%100_000), Eligible: i%10 != 0,
			WalletAddress: usdtMainnet}
	}
	return out
}

// BenchmarkPlanEpoch10k plans an epoch for 10,000 nodes (split, ledger, payouts), next to a
// naive exact split with math/big as the baseline.
func BenchmarkPlanEpoch10k(b *testing.B) {
	sc := nodes(10_000)
	pool := payout.MustAmount("50000", payout.USDT)
	b.Run("baseline_bigint_split", func(b *testing.B) {
		for b.Loop() {
			total := new(big.Int)
			for _, s := range sc {
				if s.Eligible {
					total.Add(total, new(big.Int).SetUint64(s.Score))
				}
			}
			p := big.NewInt(pool.Minor())
			var sum int64
			for _, s := range sc {
				if s.Eligible {
					q := new(big.Int).Mul(p, new(big.Int).SetUint64(s.Score))
					sum += q.Quo(q, total).Int64()
				}
			}
			_ = sum
		}
	})
	b.Run("split_pool", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := payout.SplitPool(pool.Minor(), sc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("plan_epoch", func(b *testing.B) {
		for b.Loop() {
			p, err := payout.PlanEpoch(payout.PlanInput{EpochID: "epoch_b", Pool: pool, MinimumPayout: payout.MustAmount("1", payout.USDT), Scores: sc, Now: t0})
			if err != nil || len(p.Payouts) == 0 {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkTronAddress validates one base58check address, next to the double SHA-256 of its
// payload that the checksum needs anyway (the baseline).
func BenchmarkTronAddress(b *testing.B) {
	raw, _ := payout.DecodeTronAddress(usdtMainnet)
	b.Run("baseline_sha256d", func(b *testing.B) {
		for b.Loop() {
			_ = sha256d(raw)
		}
	})
	b.Run("validate", func(b *testing.B) {
		for b.Loop() {
			if err := payout.ValidateTronAddress(usdtMainnet); err != nil {
				b.Fatal(err)
			}
		}
	})
}
