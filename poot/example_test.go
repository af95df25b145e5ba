package poot_test

import (
	"context"
	"fmt"
	"time"

	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/poot/poottest"
)

// A keyed node asks for a challenge, signs its proof and gets it validated.
func ExampleValidator_Validate() {
	clock := poottest.NewClock(time.Time{})
	node := poottest.NewNamedNode(nil, "example")
	node.Clock = clock
	dir := poottest.NewDirectory(poot.NodeInfo{NodeID: node.ID, Active: true, PublicKey: node.PublicKey(), CreatedAt: clock.Now().Add(-24 * time.Hour), Uptime: 1})
	v := poot.NewValidator(dir, newMemStore(), poot.WithClock(clock))

	ctx := context.Background()
	ch, _ := v.IssueChallenge(ctx, node.ID)
	clock.Advance(2 * time.Second)
	res, err := v.Validate(ctx, node.Answer(ch.Nonce, []byte("rendered frame 1")))
	if err != nil {
		panic(err)
	}
	fmt.Println(res.IsValid, res.Score, res.Confidence, res.Signed, res.Challenged)

	// The same proof again is a replay.
	again, _ := v.Validate(ctx, node.Answer(ch.Nonce, []byte("rendered frame 1")))
	fmt.Println(again.IsValid, again.Errors[0].Code)
	// Output:
	// true 77.5 0.0952 true true
	// false nonce_replayed
}

// Every proof of a batch is judged on its own.
func ExampleValidator_ValidateBatch() {
	clock := poottest.NewClock(time.Time{})
	node := poottest.NewNamedNode(nil, "batch example")
	node.Clock = clock
	dir := poottest.NewDirectory(node.Info())
	v := poot.NewValidator(dir, newMemStore(), poot.WithClock(clock))
	node.Issuer = v

	good := node.Prove([]byte("a"))
	unsigned := node.Prove([]byte("b"))
	unsigned.Signature = ""
	res, _ := v.ValidateBatch(context.Background(), []poot.Proof{good, unsigned})
	fmt.Printf("%+v\n", res.Summary)
	fmt.Println(res.Results[1].Errors[0].Code)
	// Output:
	// {Total:2 Valid:1 Invalid:1 Errors:0}
	// signature_missing
}

// The message a node signs.
func ExampleCanonicalMessage() {
	msg := poot.CanonicalMessage("node_vector_1", "nonce-0000001", "2026-01-02T03:04:05Z", poot.OutputHash([]byte("hello lucid")))
	fmt.Printf("%q\n", msg)
	// Output:
	// "LUCID-POOT-V1\nnode_vector_1\nnonce-0000001\n2026-01-02T03:04:05Z\nfc608336b7b51532c684962d03ec231f04c747dc7f3c162759676838a184b2ea"
}

// Strict decoding refuses fields the schema does not know.
func ExampleDecodeProof() {
	_, err := poot.DecodeProof([]byte(`{"node_id":"node_a1234567","nonce":"abcdefgh","score":100}`))
	fmt.Println(err != nil)
	p, _ := poot.DecodeProof([]byte(`{"node_id":"node_a1234567","output_data":"AA==","timestamp":"2026-01-02T03:04:05Z","nonce":"abcdefgh"}`))
	fmt.Println(p.NodeID, p.Nonce)
	// Output:
	// true
	// node_a1234567 abcdefgh
}

// The standard score of a first honest proof and of the same node ten proofs later.
func ExamplePolicy_Score() {
	p := poot.DefaultPolicy()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f := poot.Facts{Now: now, NodeCreatedAt: now.Add(-7 * 24 * time.Hour), Keyed: true, Uptime: 1,
		Current: poot.Outcome{At: now, Passed: true, Timeliness: 1}}
	fmt.Println(p.Score(f).Score)
	// Fold ten earlier hourly passes into the prior State.
	for i := range 10 {
		f.Prior = p.Fold(f.Prior, poot.Outcome{At: now.Add(-time.Duration(10-i) * time.Hour), Passed: true, Timeliness: 1})
	}
	fmt.Println(p.Score(f).Score)
	// Output:
	// 77.5
	// 97.45
}

// The Lucid output-time metrics score, reported next to the standard score.
func ExampleMetricsScore() {
	fmt.Println(poot.MetricsScore(poot.OutputTimeMetrics{SessionHours: 5, Credits: 2500, ResourceUtilization: 0.6,
		BandwidthMbps: 50, UptimePercent: 99, Quality: 0.8, Trust: 0.9}))
	// Output: 54.35
}
