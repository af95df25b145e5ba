package poot_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/poot/poottest"
)

type env struct {
	clock *poottest.Clock
	dir   *poottest.Directory
	store *memStore
	v     *poot.Validator
}

func newEnv(t *testing.T, opts ...poot.Option) *env {
	t.Helper()
	e := &env{clock: poottest.NewClock(time.Time{}), dir: poottest.NewDirectory(), store: newMemStore()}
	e.v = poot.NewValidator(e.dir, e.store, append([]poot.Option{poot.WithClock(e.clock)}, opts...)...)
	return e
}

// keyedNode registers an active keyed node created a day ago whose proofs answer challenges.
func (e *env) keyedNode(t *testing.T, name string) *poottest.Node {
	n := poottest.NewNamedNode(t, name)
	n.Clock = e.clock
	n.Issuer = e.v
	e.dir.Put(poot.NodeInfo{NodeID: n.ID, Active: true, PublicKey: n.PublicKey(), CreatedAt: e.clock.Now().Add(-24 * time.Hour), Uptime: 1})
	return n
}

// unkeyedNode registers an active node without a public key.
func (e *env) unkeyedNode(t *testing.T, name string) *poottest.Node {
	n := poottest.NewNamedNode(t, name)
	n.Clock = e.clock
	e.dir.Put(poot.NodeInfo{NodeID: n.ID, Active: true, CreatedAt: e.clock.Now().Add(-24 * time.Hour), Uptime: 1})
	return n
}

func (e *env) validate(t *testing.T, p poot.Proof) poot.Validation {
	t.Helper()
	res, err := e.v.Validate(context.Background(), p)
	require.NoError(t, err)
	return res
}

func codes(v poot.Validation) []string {
	out := make([]string, 0, len(v.Errors))
	for _, r := range v.Errors {
		out = append(out, r.Code)
	}
	return out
}

func TestHonestKeyedNodeBecomesValidAndRises(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.keyedNode(t, "honest")
	prev := -1.0
	prevConf := -1.0
	for i := range 20 {
		res := e.validate(t, n.Prove([]byte(fmt.Sprintf("output %d", i))))
		require.True(t, res.IsValid, "proof %d: %v", i, res.Errors)
		require.Empty(t, res.Errors)
		assert.True(t, res.Signed)
		assert.True(t, res.Challenged)
		assert.True(t, res.Evidence)
		assert.GreaterOrEqual(t, res.Score, prev, "proof %d", i)
		assert.Greater(t, res.Confidence, prevConf, "proof %d", i)
		assert.False(t, res.Anomaly, "proof %d z=%v", i, res.AnomalyZ)
		if i == 0 {
			assert.InDelta(t, 77.5, res.Score, 1e-9, "first proof: probation cap 75+25·1/10")
		}
		prev, prevConf = res.Score, res.Confidence
		e.clock.Advance(10 * time.Minute)
	}
	assert.Greater(t, prev, 95.0, "an honest node rises toward the top")

	sc, err := e.v.CurrentScore(context.Background(), n.ID)
	require.NoError(t, err)
	assert.Equal(t, poot.StatusValid, sc.ValidationStatus)
	assert.Equal(t, prev, sc.Score)
}

func TestRejections(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte{'x'}, poot.MaxOutputBytes+1)
	otherPub, otherPriv := poottest.KeyPair("someone else")
	_ = otherPub
	tests := []struct {
		name  string
		build func(t *testing.T, e *env, n *poottest.Node) poot.Proof
		want  []string
	}{
		{"stale timestamp", func(t *testing.T, e *env, n *poottest.Node) poot.Proof {
			c, _ := e.v.IssueChallenge(context.Background(), n.ID)
			return n.ProveAt(c.Nonce, e.clock.Now().Add(-25*time.Hour).Format(time.RFC3339), []byte("o"))
		}, []string{poot.ReasonTimestampStale}},
		{"future timestamp", func(t *testing.T, e *env, n *poottest.Node) poot.Proof {
			c, _ := e.v.IssueChallenge(context.Background(), n.ID)
			return n.ProveAt(c.Nonce, e.clock.Now().Add(6*time.Minute).Format(time.RFC3339), []byte("o"))
		}, []string{poot.ReasonTimestampFuture}},
		{"timestamp not rfc3339", func(t *testing.T, e *env, n *poottest.Node) poot.Proof {
			c, _ := e.v.IssueChallenge(context.Background(), n.ID)
			return n.ProveAt(c.Nonce, e.clock.Now().Format(time.RFC1123), []byte("o"))
		}, []string{poot.ReasonTimestampInvalid}},
		{"oversized output", func(t *testing.T, e *env, n *poottest.Node) poot.Proof {
			return n.Prove(big)
		}, []string{poot.ReasonOutputTooLarge}},
		{"output not base64", func(t *testing.T, e *env, n *poottest.Node) poot.Proof {
			p := n.Prove([]byte("o"))
			p.OutputData = "not base64!"
			return p
		}, []string{poot.ReasonOutputNotBase64}},
		{"url-safe base64 refused", func(t *testing.T, e *env, n *poottest.Node) poot.Proof {
			p := n.Prove([]byte{0xfb, 0xff})
			p.OutputData = base64.URLEncoding.EncodeToString([]byte{0xfb, 0xff})
			return p
		}, []string{poot.ReasonOutputNotBase64}},
		{"missing signature", func(t *testing.T, e *env, n *poottest.Node) poot.Proof {
			p := n.Prove([]byte("o"))
			p.Signature = ""
			return p
		}, []string{poot.ReasonSignatureMissing}},
		{"forged signature", func(t *testing.T, e *env, n *poottest.Node) poot.Proof {
			p := n.Prove([]byte("o"))
			p.Signature = poot.SignProof(otherPriv, p.NodeID, p.Nonce, p.Timestamp, []byte("o"))
			return p
		}, []string{poot.ReasonSignatureInvalid}},
		{"signature over other output", func(t *testing.T, e *env, n *poottest.Node) poot.Proof {
			p := n.Prove([]byte("o"))
			p.OutputData = base64.StdEncoding.EncodeToString([]byte("p"))
			return p
		}, []string{poot.ReasonSignatureInvalid}},
		{"signature garbage", func(t *testing.T, e *env, n *poottest.Node) poot.Proof {
			p := n.Prove([]byte("o"))
			p.Signature = "AAAA"
			return p
		}, []string{poot.ReasonSignatureNotBase64}},
		{"client nonce for keyed node", func(t *testing.T, e *env, n *poottest.Node) poot.Proof {
			return n.Answer("client-chosen-nonce", []byte("o"))
		}, []string{poot.ReasonChallengeUnknown}},
		{"expired challenge", func(t *testing.T, e *env, n *poottest.Node) poot.Proof {
			c, _ := e.v.IssueChallenge(context.Background(), n.ID)
			e.clock.Advance(3 * time.Minute)
			return n.Answer(c.Nonce, []byte("o"))
		}, []string{poot.ReasonChallengeExpired}},
		{"challenge of another node", func(t *testing.T, e *env, n *poottest.Node) poot.Proof {
			other := e.keyedNode(t, "other node")
			c, _ := e.v.IssueChallenge(context.Background(), other.ID)
			return n.Answer(c.Nonce, []byte("o"))
		}, []string{poot.ReasonChallengeOtherNode}},
		{"unknown node", func(t *testing.T, e *env, n *poottest.Node) poot.Proof {
			p := n.Prove([]byte("o"))
			p.NodeID = "node_nobody_here"
			return p
		}, []string{poot.ReasonNodeUnknown}},
		{"invalid node id", func(t *testing.T, e *env, n *poottest.Node) poot.Proof {
			p := n.Prove([]byte("o"))
			p.NodeID = "node\nx"
			return p
		}, []string{poot.ReasonNodeIDInvalid}},
		{"every reason listed", func(t *testing.T, e *env, n *poottest.Node) poot.Proof {
			return poot.Proof{NodeID: n.ID, OutputData: "%%", Timestamp: e.clock.Now().Add(-48 * time.Hour).Format(time.RFC3339), Nonce: "short"}
		}, []string{poot.ReasonOutputNotBase64, poot.ReasonTimestampStale, poot.ReasonNonceTooShort, poot.ReasonSignatureMissing}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			n := e.keyedNode(t, "victim")
			res := e.validate(t, tc.build(t, e, n))
			assert.False(t, res.IsValid)
			assert.ElementsMatch(t, tc.want, codes(res))
			for _, r := range res.Errors {
				assert.NotEmpty(t, r.Message)
			}
			assert.Error(t, res.Err())
			assert.ErrorIs(t, res.Err(), poot.ErrProofRejected)
			// The rejection was persisted.
			page, err := e.v.History(context.Background(), poot.ValidationFilter{NodeID: res.NodeID})
			require.NoError(t, err)
			require.NotEmpty(t, page.Validations)
			assert.Equal(t, res.ValidationID, page.Validations[0].ValidationID)
		})
	}
}

func TestInactiveNode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.keyedNode(t, "sleepy")
	c, err := e.v.IssueChallenge(context.Background(), n.ID)
	require.NoError(t, err)
	info := n.Info()
	info.Active = false
	e.dir.Put(info)
	res := e.validate(t, n.Answer(c.Nonce, []byte("o")))
	assert.Equal(t, []string{poot.ReasonNodeInactive}, codes(res))
	_, err = e.v.IssueChallenge(context.Background(), n.ID)
	var le interface{ LucidCode() string }
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "LUCID_ERR_5003", le.LucidCode())
	_, err = e.v.IssueChallenge(context.Background(), "node_unknown_one")
	require.ErrorAs(t, err, &le)
	assert.Equal(t, poot.CodeNodeNotFound, le.LucidCode())
}

func TestReplayAlsoAfterRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.keyedNode(t, "replayed")
	p := n.Prove([]byte("once"))
	require.True(t, e.validate(t, p).IsValid)
	again := e.validate(t, p)
	assert.Equal(t, []string{poot.ReasonNonceReplayed}, codes(again))
	assert.False(t, again.Evidence, "a replay is not evidence against the node")

	// A new validator over the same persisted store: the nonce stays consumed.
	restarted := poot.NewValidator(e.dir, e.store, poot.WithClock(e.clock))
	e.clock.Advance(time.Hour)
	res, err := restarted.Validate(context.Background(), p)
	require.NoError(t, err)
	assert.Equal(t, []string{poot.ReasonNonceReplayed}, codes(res))

	// Unkeyed node, client-chosen nonce: the same rule.
	u := e.unkeyedNode(t, "legacy")
	q := u.Answer("legacy-nonce-0001", []byte("x"))
	first := e.validate(t, q)
	assert.True(t, first.ChecksPassed, "%v", first.Errors)
	q2 := u.Answer("legacy-nonce-0001", []byte("other output"))
	assert.Equal(t, []string{poot.ReasonNonceReplayed}, codes(e.validate(t, q2)))
}

// A forged proof carrying a victim's challenge must not burn it.
func TestForgeryDoesNotBurnChallenge(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	victim := e.keyedNode(t, "victim")
	c, err := e.v.IssueChallenge(context.Background(), victim.ID)
	require.NoError(t, err)
	_, attackerPriv := poottest.KeyPair("attacker")
	ts := e.clock.Now().Format(time.RFC3339)
	forged := poot.Proof{NodeID: victim.ID, OutputData: base64.StdEncoding.EncodeToString([]byte("junk")), Timestamp: ts, Nonce: c.Nonce,
		Signature: poot.SignProof(attackerPriv, victim.ID, c.Nonce, ts, []byte("junk"))}
	assert.Equal(t, []string{poot.ReasonSignatureInvalid}, codes(e.validate(t, forged)))
	unsigned := forged
	unsigned.Signature = ""
	assert.Equal(t, []string{poot.ReasonSignatureMissing}, codes(e.validate(t, unsigned)))

	// Another keyed node answering the victim's challenge does not burn it either.
	other := e.keyedNode(t, "other")
	assert.Equal(t, []string{poot.ReasonChallengeOtherNode}, codes(e.validate(t, other.Answer(c.Nonce, []byte("x")))))

	// The victim's own proof failing a cheap check (stale timestamp) does not burn it either.
	stale := victim.ProveAt(c.Nonce, e.clock.Now().Add(-25*time.Hour).Format(time.RFC3339), []byte("late"))
	assert.Equal(t, []string{poot.ReasonTimestampStale}, codes(e.validate(t, stale)))

	res := e.validate(t, victim.Answer(c.Nonce, []byte("real output")))
	assert.True(t, res.IsValid, "%v", res.Errors)
}

// Property: a node that only replays or forges never becomes valid, and does not harm the
// victim's reputation.
func TestReplayAndForgeryNeverValid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	victim := e.keyedNode(t, "victim")
	captured := []poot.Proof{}
	for i := range 3 {
		p := victim.Prove([]byte{byte(i)})
		require.True(t, e.validate(t, p).IsValid)
		captured = append(captured, p)
		e.clock.Advance(time.Minute)
	}
	before, err := e.v.CurrentScore(context.Background(), victim.ID)
	require.NoError(t, err)

	rng := rand.New(rand.NewPCG(1, 2))
	_, attackerPriv := poottest.KeyPair("attacker")
	for i := range 300 {
		var p poot.Proof
		switch rng.IntN(4) {
		case 0: // replay a captured proof
			p = captured[rng.IntN(len(captured))]
		case 1: // forge with another key over a fresh challenge
			c, err := e.v.IssueChallenge(context.Background(), victim.ID)
			require.NoError(t, err)
			ts := e.clock.Now().Format(time.RFC3339)
			out := []byte(fmt.Sprint("forged", i))
			p = poot.Proof{NodeID: victim.ID, OutputData: base64.StdEncoding.EncodeToString(out), Timestamp: ts, Nonce: c.Nonce,
				Signature: poot.SignProof(attackerPriv, victim.ID, c.Nonce, ts, out)}
		case 2: // replay with a changed output
			p = captured[rng.IntN(len(captured))]
			p.OutputData = base64.StdEncoding.EncodeToString([]byte(fmt.Sprint("changed", i)))
		default: // random signature bytes
			c, err := e.v.IssueChallenge(context.Background(), victim.ID)
			require.NoError(t, err)
			sig := make([]byte, ed25519.SignatureSize)
			for j := range sig {
				sig[j] = byte(rng.UintN(256))
			}
			p = victim.Answer(c.Nonce, []byte("x"))
			p.Signature = base64.StdEncoding.EncodeToString(sig)
		}
		res := e.validate(t, p)
		require.False(t, res.IsValid, "attempt %d valid", i)
		require.False(t, res.Evidence, "attempt %d counted against the victim", i)
		e.clock.Advance(time.Second)
	}
	after, err := e.v.CurrentScore(context.Background(), victim.ID)
	require.NoError(t, err)
	assert.Equal(t, before, after, "attacks change nothing about the victim's standing")
}

// Property: what a node chooses freely (output length, its timestamp, nonce content) moves the
// score by at most a few points.
func TestNodeChosenInputsDoNotMoveScore(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 7))
	var scores []float64
	for trial := range 12 {
		e := newEnv(t)
		n := e.unkeyedNode(t, "chooser")
		var last poot.Validation
		for i := range 6 {
			out := make([]byte, 1+rng.IntN(64<<10))
			ts := e.clock.Now().Add(-time.Duration(rng.Int64N(int64(23 * time.Hour)))).Add(time.Duration(rng.Int64N(int64(4 * time.Minute))))
			nonce := fmt.Sprintf("%0*d", 8+rng.IntN(100), trial*100+i)
			if rng.IntN(2) == 0 {
				nonce = poot.NewChallengeNonce()
			}
			last = e.validate(t, n.ProveAt(nonce, ts.Format(time.RFC3339Nano), out))
			require.True(t, last.ChecksPassed, "%v", last.Errors)
			e.clock.Advance(10 * time.Minute)
		}
		scores = append(scores, last.Score)
	}
	for _, s := range scores {
		assert.InDelta(t, scores[0], s, 2, "scores %v", scores)
	}
}

func TestUnkeyedNodeBecomesValidWithEvidence(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.unkeyedNode(t, "legacy")
	var got []poot.Validation
	for i := range 8 {
		got = append(got, e.validate(t, n.Answer(fmt.Sprintf("legacy-nonce-%04d", i), []byte("o"))))
		e.clock.Advance(5 * time.Minute)
	}
	assert.False(t, got[0].IsValid, "an unauthenticated first proof is below threshold")
	assert.Equal(t, []string{poot.ReasonScoreBelowThreshold}, codes(got[0]))
	assert.True(t, got[len(got)-1].IsValid, "%v", got[len(got)-1].Errors)
	assert.LessOrEqual(t, got[len(got)-1].Score, 85.0)

	// Answering a challenge measures timeliness and helps.
	c, err := e.v.IssueChallenge(context.Background(), n.ID)
	require.NoError(t, err)
	res := e.validate(t, n.Answer(c.Nonce, []byte("o")))
	assert.True(t, res.Challenged)
	assert.Greater(t, res.Score, got[len(got)-1].Score)
}

func TestAnomalyFlagged(t *testing.T) {
	t.Parallel()
	var anomalies atomic.Int64
	e := newEnv(t, poot.WithObserver(poot.Observer{OnValidation: func(v poot.Validation) {
		if v.Anomaly {
			anomalies.Add(1)
		}
	}}))
	n := e.keyedNode(t, "steady")
	for range 30 {
		require.True(t, e.validate(t, n.Prove([]byte("o"))).IsValid)
		e.clock.Advance(10 * time.Minute)
	}
	require.Zero(t, anomalies.Load())
	info := n.Info()
	info.CreatedAt = e.clock.Now().Add(-24 * time.Hour)
	info.Uptime = 0
	e.dir.Put(info)
	res := e.validate(t, n.Prove([]byte("o")))
	assert.True(t, res.Anomaly, "score %v z %v", res.Score, res.AnomalyZ)
	assert.Less(t, res.AnomalyZ, -3.0)
	assert.Equal(t, int64(1), anomalies.Load())
}

func TestBatch(t *testing.T) {
	t.Parallel()
	var batches, challenges, judged atomic.Int64
	e := newEnv(t, poot.WithWorkers(4), poot.WithObserver(poot.Observer{
		OnBatch:      func(s poot.BatchSummary, _ time.Duration) { batches.Add(int64(s.Total)) },
		OnChallenge:  func(poot.Challenge) { challenges.Add(1) },
		OnValidation: func(poot.Validation) { judged.Add(1) },
	}))
	n := e.keyedNode(t, "batcher")
	var proofs []poot.Proof
	for i := range 50 {
		p := n.Prove([]byte{byte(i)})
		if i%5 == 0 {
			p.Signature = ""
		}
		proofs = append(proofs, p)
	}
	proofs = append(proofs, proofs[1]) // a replay inside the batch
	res, err := e.v.ValidateBatch(context.Background(), proofs)
	require.NoError(t, err)
	require.Len(t, res.Results, len(proofs))
	assert.Equal(t, len(proofs), res.Summary.Total)
	assert.Equal(t, 10, res.Summary.Invalid-1)
	assert.Equal(t, 40, res.Summary.Valid)
	assert.Zero(t, res.Summary.Errors)
	assert.Equal(t, int64(51), batches.Load())
	assert.Equal(t, int64(50), challenges.Load())
	assert.Equal(t, int64(51), judged.Load())
	for i, r := range res.Results[:50] {
		assert.Equal(t, proofs[i].Nonce, r.Nonce, "results keep request order")
		assert.Equal(t, i%5 != 0, r.IsValid, "proof %d: %v", i, r.Errors)
	}

	// Parallel validations of one node chain their reputation State without losing any.
	page, err := e.v.History(context.Background(), poot.ValidationFilter{NodeID: n.ID, EvidenceOnly: true})
	require.NoError(t, err)
	var last poot.State
	for _, v := range page.Validations {
		if v.State.Seq > last.Seq {
			last = v.State
		}
	}
	assert.Equal(t, 40, last.Passed)
	assert.Equal(t, int64(40), last.Seq)

	_, err = e.v.ValidateBatch(context.Background(), make([]poot.Proof, poot.MaxBatch+1))
	assert.ErrorIs(t, err, poot.ErrInvalidRequest)

	empty, err := e.v.ValidateBatch(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, poot.BatchSummary{}, empty.Summary)
}

func TestStoreFailures(t *testing.T) {
	t.Parallel()
	var failures atomic.Int64
	e := newEnv(t, poot.WithObserver(poot.Observer{OnError: func(string, error) { failures.Add(1) }}))
	n := e.keyedNode(t, "unlucky")
	e.store.failSave = errors.New("disk full")
	_, err := e.v.Validate(context.Background(), n.Prove([]byte("o")))
	require.ErrorIs(t, err, poot.ErrInternal)

	res, err := e.v.ValidateBatch(context.Background(), []poot.Proof{n.Prove([]byte("a")), n.Prove([]byte("b"))})
	require.NoError(t, err)
	assert.Equal(t, poot.BatchSummary{Total: 2, Errors: 2}, res.Summary)
	assert.Equal(t, []string{poot.ReasonInternal}, codes(res.Results[0]))
	assert.Equal(t, int64(3), failures.Load())

	e.store.failSave = nil
	e.store.failList = errors.New("connection reset")
	_, err = e.v.CurrentScore(context.Background(), n.ID)
	assert.ErrorIs(t, err, poot.ErrInternal)
	_, err = e.v.History(context.Background(), poot.ValidationFilter{NodeID: n.ID})
	assert.ErrorIs(t, err, poot.ErrInternal)
}

func TestCurrentScoreAndHistory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.keyedNode(t, "scored")
	sc, err := e.v.CurrentScore(context.Background(), n.ID)
	require.NoError(t, err)
	assert.Equal(t, poot.Score{NodeID: n.ID, CalculatedAt: e.clock.Now(), ValidationStatus: poot.StatusPending}, sc)
	_, err = e.v.CurrentScore(context.Background(), "node_nobody_here")
	assert.ErrorContains(t, err, poot.CodeNodeNotFound)

	var ids []string
	for i := range 7 {
		res := e.validate(t, n.Prove([]byte{byte(i)}))
		ids = append([]string{res.ValidationID}, ids...)
		e.clock.Advance(time.Minute)
	}
	// A forged proof afterwards does not change the current score.
	p := n.Prove([]byte("z"))
	p.Signature = poot.SignProof(poottest.NewNamedNode(t, "x").Private, p.NodeID, p.Nonce, p.Timestamp, []byte("z"))
	forged := e.validate(t, p)
	sc, err = e.v.CurrentScore(context.Background(), n.ID)
	require.NoError(t, err)
	assert.Equal(t, poot.StatusValid, sc.ValidationStatus)
	assert.NotZero(t, sc.Score)

	var got []string
	cursor := ""
	for {
		page, err := e.v.History(context.Background(), poot.ValidationFilter{NodeID: n.ID, Limit: 3, Cursor: cursor})
		require.NoError(t, err)
		for _, v := range page.Validations {
			got = append(got, v.ValidationID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	assert.Equal(t, append([]string{forged.ValidationID}, ids...), got)
}

func TestMetricsReportedAlongsideNotFedIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.keyedNode(t, "modest")
	b := e.keyedNode(t, "boaster")
	pa := a.Prove([]byte("o"))
	pb := b.Prove([]byte("o"))
	pb.Metrics = &poot.OutputTimeMetrics{SessionHours: 1000, Credits: 1e9, ResourceUtilization: 1, BandwidthMbps: 1e6, UptimePercent: 100, Quality: 1, Trust: 1}
	ra, rb := e.validate(t, pa), e.validate(t, pb)
	assert.Equal(t, ra.Score, rb.Score)
	require.NotNil(t, rb.MetricsScore)
	assert.Equal(t, 100.0, *rb.MetricsScore)
	assert.Nil(t, ra.MetricsScore)
}

func TestValidateAs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.keyedNode(t, "pathed")
	p := n.Prove([]byte("o"))
	_, err := e.v.ValidateAs(context.Background(), "node_someone_else", p)
	require.ErrorIs(t, err, poot.ErrInvalidRequest)
	p.NodeID = ""
	res, err := e.v.ValidateAs(context.Background(), n.ID, p)
	require.NoError(t, err)
	assert.True(t, res.IsValid, "%v", res.Errors)
	assert.Equal(t, n.ID, res.NodeID)
}

// The JSON shapes carry the SPEC field names.
func TestJSONShapes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.keyedNode(t, "shapes")
	res := e.validate(t, n.Prove([]byte("o")))
	keysOf := func(v any) map[string]any {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		return m
	}
	m := keysOf(res)
	for _, k := range []string{"validation_id", "node_id", "is_valid", "score", "confidence", "output_hash", "timestamp", "validation_time_ms", "errors", "anomaly"} {
		assert.Contains(t, m, k)
	}
	assert.Equal(t, []any{}, m["errors"], "errors is an empty list, not null")
	assert.Regexp(t, `^[0-9a-f]{64}$`, m["output_hash"])

	sc, err := e.v.CurrentScore(context.Background(), n.ID)
	require.NoError(t, err)
	m = keysOf(sc)
	for _, k := range []string{"node_id", "score", "calculated_at", "output_hash", "validation_status", "confidence"} {
		assert.Contains(t, m, k)
	}
	c, err := e.v.IssueChallenge(context.Background(), n.ID)
	require.NoError(t, err)
	m = keysOf(c)
	for _, k := range []string{"node_id", "nonce", "issued_at", "expires_at"} {
		assert.Contains(t, m, k)
	}
	assert.Equal(t, e.clock.Now().Add(poot.DefaultPolicy().ChallengeTTL), c.ExpiresAt)
}

// FuzzValidate runs arbitrary JSON through DecodeProof and Validate: no panic, no internal
// error, and nothing valid without a signature from the registered key.
func FuzzValidate(f *testing.F) {
	f.Add([]byte(`{"node_id":"node_fuzz_1234","output_data":"AA==","timestamp":"2026-01-02T03:04:05Z","nonce":"abcdefgh"}`))
	f.Add([]byte(`{"node_id":"node_fuzz_1234","output_data":"AA==","timestamp":"2026-01-02T03:04:05Z","nonce":"abcdefgh","signature":"AAAA"}`))
	f.Add([]byte(`{"node_id":"node_open_1234","output_data":"aGk=","timestamp":"2026-01-02T03:00:00+01:00","nonce":"zzzzzzzzzz"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := poot.DecodeProof(data)
		if err != nil {
			return
		}
		clock := poottest.NewClock(time.Time{})
		keyed := poottest.NewNamedNode(t, "fuzz")
		dir := poottest.NewDirectory(
			poot.NodeInfo{NodeID: "node_fuzz_1234", Active: true, PublicKey: keyed.PublicKey(), CreatedAt: clock.Now(), Uptime: 1},
			poot.NodeInfo{NodeID: "node_open_1234", Active: true, CreatedAt: clock.Now(), Uptime: 1},
		)
		v := poot.NewValidator(dir, newMemStore(), poot.WithClock(clock))
		res, err := v.Validate(context.Background(), p)
		if err != nil {
			t.Fatalf("internal error on untrusted input: %v", err)
		}
		if p.NodeID == "node_fuzz_1234" && (res.IsValid || res.Evidence) {
			t.Fatalf("a proof without the key's signature was accepted: %+v", res)
		}
		if res.IsValid != (len(res.Errors) == 0) {
			t.Fatalf("is_valid %v with errors %v", res.IsValid, res.Errors)
		}
	})
}
