package poot_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/poot/poottest"
)

// BenchmarkScore measures the pure score function (O(1): the history is folded into the
// prior State).
func BenchmarkScore(b *testing.B) {
	p := poot.DefaultPolicy()
	rng := rand.New(rand.NewPCG(1, 1))
	var hist []poot.Outcome
	for i := range 200 {
		hist = append(hist, poot.Outcome{At: t0.Add(-time.Duration(i+1) * time.Hour), Passed: rng.IntN(10) != 0, Timeliness: rng.Float64()})
	}
	f := withHistory(p, poot.Facts{Now: t0, NodeCreatedAt: t0.Add(-48 * time.Hour), Keyed: true, Uptime: 0.97, Current: poot.Outcome{At: t0, Passed: true, Timeliness: 1}}, hist...)
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Score(f)
	}
}

// BenchmarkScoreNaiveHistory is the naive way for comparison: refold 200 outcomes per score.
func BenchmarkScoreNaiveHistory(b *testing.B) {
	p := poot.DefaultPolicy()
	rng := rand.New(rand.NewPCG(1, 1))
	var hist []poot.Outcome
	for i := range 200 {
		hist = append(hist, poot.Outcome{At: t0.Add(-time.Duration(200-i) * time.Hour), Passed: rng.IntN(10) != 0, Timeliness: rng.Float64()})
	}
	f := poot.Facts{Now: t0, NodeCreatedAt: t0.Add(-48 * time.Hour), Keyed: true, Uptime: 0.97, Current: poot.Outcome{At: t0, Passed: true, Timeliness: 1}}
	b.ReportAllocs()
	for b.Loop() {
		var s poot.State
		for _, o := range hist {
			s = p.Fold(s, o)
		}
		f.Prior = s
		_ = p.Score(f)
	}
}

// BenchmarkBaselineVerify1KiB is the floor of a validation: sha-256 of a 1 KiB output plus one
// ed25519 verification of the canonical message.
func BenchmarkBaselineVerify1KiB(b *testing.B) {
	_, priv := poottest.KeyPair("bench")
	pub := priv.Public().(ed25519.PublicKey)
	out := bytes.Repeat([]byte{'x'}, 1024)
	sum := sha256.Sum256(out)
	msg := poot.CanonicalMessage("node_bench_0001", poot.NewChallengeNonce(), "2026-01-02T03:04:05Z", fmt.Sprintf("%x", sum))
	sig := ed25519.Sign(priv, msg)
	b.ReportAllocs()
	for b.Loop() {
		s := sha256.Sum256(out)
		_ = s
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("bad signature")
		}
	}
}

// benchSetup registers nodes and pre-builds n challenged, signed 1 KiB proofs spread over them
// (so per-node history in the fake store stays short, as it would in an indexed database).
func benchSetup(b *testing.B, nodes, n int) (*poot.Validator, *poottest.Clock, []poot.Proof) {
	b.Helper()
	clock := poottest.NewClock(time.Time{})
	dir := poottest.NewDirectory()
	v := poot.NewValidator(dir, newMemStore(), poot.WithClock(clock))
	ns := make([]*poottest.Node, nodes)
	for i := range ns {
		ns[i] = poottest.NewNamedNode(b, fmt.Sprintf("bench-%d", i))
		ns[i].Clock = clock
		ns[i].Issuer = v
		dir.Put(ns[i].Info())
	}
	out := bytes.Repeat([]byte{'x'}, 1024)
	proofs := make([]poot.Proof, n)
	for i := range proofs {
		proofs[i] = ns[i%nodes].Prove(out)
	}
	return v, clock, proofs
}

// BenchmarkValidateSigned1KiB measures one full validation (checks, directory, signature,
// nonce and challenge consumption, history read, scoring, save) against the in-memory store.
func BenchmarkValidateSigned1KiB(b *testing.B) {
	v, _, proofs := benchSetup(b, 1000, b.N)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := v.Validate(ctx, proofs[i])
		if err != nil || !res.IsValid {
			b.Fatalf("proof %d: %v %v", i, err, res.Errors)
		}
	}
}

// BenchmarkValidateBatch1000 measures a batch of 1000 signed 1 KiB proofs in process.
func BenchmarkValidateBatch1000(b *testing.B) {
	v, _, proofs := benchSetup(b, 1000, 1000*b.N)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := v.ValidateBatch(ctx, proofs[i*1000:(i+1)*1000])
		if err != nil || res.Summary.Valid != 1000 {
			b.Fatalf("batch %d: %v %+v", i, err, res.Summary)
		}
	}
}
