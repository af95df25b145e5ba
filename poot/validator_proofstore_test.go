package poot_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/poot/poottest"
)

// proofMemStore is memStore with the single-transaction ConsumeProof of poot.ProofStore.
type proofMemStore struct {
	*memStore
	proof sync.Mutex
	calls int
}

func (s *proofMemStore) ConsumeProof(ctx context.Context, nodeID, nonce string, exp time.Time,
	judge func(poot.Consumed) poot.Validation) (poot.Validation, error) {
	s.proof.Lock()
	defer s.proof.Unlock()
	s.calls++
	var c poot.Consumed
	if err := s.ConsumeNonce(ctx, nodeID, nonce, exp); err != nil {
		c.Replayed = true
	} else {
		c.Challenge, c.ChallengeErr = s.ConsumeChallenge(ctx, nodeID, nonce)
	}
	v := judge(c)
	if err := s.SaveValidation(ctx, v); err != nil {
		return poot.Validation{}, err
	}
	return v, nil
}

// TestProofStorePathMatches: a store with ConsumeProof judges the same sequence of honest,
// replayed, foreign-challenge, unchallenged and forged proofs exactly like the three-call path.
func TestProofStorePathMatches(t *testing.T) {
	t.Parallel()
	type verdict struct {
		Valid, Passed, Evidence, Challenged bool
		Score, Confidence                   float64
		Codes                               []string
		Seq                                 int64
	}
	run := func(t *testing.T, store poot.Store) []verdict {
		clock := poottest.NewClock(time.Time{})
		dir := poottest.NewDirectory()
		v := poot.NewValidator(dir, store, poot.WithClock(clock))
		keyed := poottest.NewNamedNode(t, "same-keyed")
		keyed.Clock, keyed.Issuer = clock, v
		other := poottest.NewNamedNode(t, "same-other")
		other.Clock, other.Issuer = clock, v
		free := poottest.NewNamedNode(t, "same-free")
		free.Clock = clock
		for _, n := range []*poottest.Node{keyed, other} {
			dir.Put(poot.NodeInfo{NodeID: n.ID, Active: true, PublicKey: n.PublicKey(), CreatedAt: clock.Now().Add(-24 * time.Hour), Uptime: 1})
		}
		dir.Put(poot.NodeInfo{NodeID: free.ID, Active: true, CreatedAt: clock.Now().Add(-24 * time.Hour), Uptime: 1})

		var out []verdict
		judge := func(p poot.Proof) {
			r, err := v.Validate(context.Background(), p)
			require.NoError(t, err)
			out = append(out, verdict{r.IsValid, r.ChecksPassed, r.Evidence, r.Challenged, r.Score, r.Confidence, codes(r), r.State.Seq})
			clock.Advance(time.Minute)
		}
		first := keyed.Prove([]byte("honest output"))
		judge(first)
		for range 4 {
			judge(keyed.Prove([]byte("honest output")))
		}
		judge(first) // replay
		c, err := v.IssueChallenge(context.Background(), other.ID)
		require.NoError(t, err)
		judge(keyed.Answer(c.Nonce, []byte("foreign challenge")))
		judge(free.Answer("client-nonce-0001", []byte("free")))
		forged := keyed.Prove([]byte("forged"))
		forged.OutputData = "b3RoZXI=" // signature no longer matches
		judge(forged)
		return out
	}
	ps := &proofMemStore{memStore: newMemStore()}
	want := run(t, newMemStore())
	got := run(t, ps)
	require.Equal(t, want, got)
	for i := range 5 {
		require.True(t, want[i].Passed, "honest proof %d passes every check", i)
	}
	require.Contains(t, want[5].Codes, poot.ReasonNonceReplayed)
	require.Contains(t, want[6].Codes, poot.ReasonChallengeOtherNode)
	require.True(t, want[7].Passed, "an unkeyed node's client nonce is accepted")
	require.False(t, want[8].Passed, "a forged proof is rejected")
	require.Equal(t, 8, ps.calls, "every proof that passed the stateless checks goes through ConsumeProof once")
}
