package sqlite

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/poot"
)

var _ poot.ProofStore = (*Store)(nil)

// TestConsumeProof: each outcome of the combined consume-and-save reaches judge, and what judge
// returns is stored in the same transaction.
func TestConsumeProof(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	exp := now.Add(poot.ReplayWindow)
	mine := poot.Challenge{NodeID: "node_proof_aaaa", Nonce: poot.NewChallengeNonce(), IssuedAt: now, ExpiresAt: now.Add(time.Minute)}
	other := poot.Challenge{NodeID: "node_proof_bbbb", Nonce: poot.NewChallengeNonce(), IssuedAt: now, ExpiresAt: now.Add(time.Minute)}
	require.NoError(t, s.SaveChallenge(ctx, mine))
	require.NoError(t, s.SaveChallenge(ctx, other))

	tests := []struct {
		name  string
		nonce string
		check func(t *testing.T, c poot.Consumed)
	}{
		{"challenge consumed", mine.Nonce, func(t *testing.T, c poot.Consumed) {
			require.NoError(t, c.ChallengeErr)
			assert.False(t, c.Replayed)
			assert.Equal(t, mine.IssuedAt, c.Challenge.IssuedAt)
			assert.Equal(t, mine.ExpiresAt, c.Challenge.ExpiresAt)
		}},
		{"replayed", mine.Nonce, func(t *testing.T, c poot.Consumed) { assert.True(t, c.Replayed) }},
		{"other node's challenge", other.Nonce, func(t *testing.T, c poot.Consumed) {
			assert.ErrorIs(t, c.ChallengeErr, poot.ErrChallengeOtherNode)
		}},
		{"client nonce", "client-nonce-0001", func(t *testing.T, c poot.Consumed) {
			assert.ErrorIs(t, c.ChallengeErr, poot.ErrChallengeNotFound)
			assert.False(t, c.Replayed)
		}},
	}
	for i, tt := range tests { // sequential: each case follows the previous one's writes
		calls := 0
		v, err := s.ConsumeProof(ctx, mine.NodeID, tt.nonce, exp, func(c poot.Consumed) poot.Validation {
			calls++
			tt.check(t, c)
			return poot.Validation{ValidationID: fmt.Sprintf("val-proof-%d", i), NodeID: mine.NodeID, Timestamp: now,
				Nonce: tt.nonce, Evidence: true, State: poot.State{Seq: int64(i + 1)}}
		})
		require.NoError(t, err, tt.name)
		require.Equal(t, 1, calls, tt.name)
		require.Equal(t, fmt.Sprintf("val-proof-%d", i), v.ValidationID)
	}
	// The other node's challenge is still there for its owner.
	_, err := s.ConsumeChallenge(ctx, other.NodeID, other.Nonce)
	require.NoError(t, err)
	page, err := s.ListValidations(ctx, poot.ValidationFilter{NodeID: mine.NodeID, EvidenceOnly: true, Limit: 10})
	require.NoError(t, err)
	require.Len(t, page.Validations, len(tests))
	// The client nonce is recorded like ConsumeNonce records it.
	require.ErrorIs(t, s.ConsumeNonce(ctx, mine.NodeID, "client-nonce-0001", exp), poot.ErrNonceReplayed)
}

// TestConsumeProofFailedSaveFreesNonce: when the validation cannot be saved (duplicate id), the
// proof's savepoint rolls back its nonce and challenge, and a proof sharing the group commits.
func TestConsumeProofFailedSaveFreesNonce(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	require.NoError(t, s.SaveValidation(ctx, poot.Validation{ValidationID: "val-dup", NodeID: "node_proof_cccc", Timestamp: now}))
	c := poot.Challenge{NodeID: "node_proof_cccc", Nonce: poot.NewChallengeNonce(), IssuedAt: now, ExpiresAt: now.Add(time.Minute)}
	require.NoError(t, s.SaveChallenge(ctx, c))
	_, err := s.ConsumeProof(ctx, c.NodeID, c.Nonce, now.Add(time.Hour), func(poot.Consumed) poot.Validation {
		return poot.Validation{ValidationID: "val-dup", NodeID: c.NodeID, Timestamp: now}
	})
	require.Error(t, err)
	_, err = s.ConsumeProof(ctx, c.NodeID, c.Nonce, now.Add(time.Hour), func(got poot.Consumed) poot.Validation {
		assert.False(t, got.Replayed, "the failed proof must not have used the nonce")
		assert.NoError(t, got.ChallengeErr, "the failed proof must not have used the challenge")
		return poot.Validation{ValidationID: "val-ok", NodeID: c.NodeID, Timestamp: now}
	})
	require.NoError(t, err)
}

// TestConsumeProofExactlyOnce: many concurrent proofs with the same few nonces share group
// commits; each (node, nonce) is accepted exactly once and every other attempt sees a replay.
func TestConsumeProofExactlyOnce(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const nonces, tries = 8, 6
	var fresh, replays atomic.Int64
	var id atomic.Int64
	var wg sync.WaitGroup
	for i := range nonces * tries {
		wg.Go(func() {
			_, err := s.ConsumeProof(ctx, "node_proof_dddd", fmt.Sprintf("nonce-once-%02d", i%nonces), now.Add(time.Hour),
				func(c poot.Consumed) poot.Validation {
					if c.Replayed {
						replays.Add(1)
					} else {
						fresh.Add(1)
					}
					return poot.Validation{ValidationID: fmt.Sprintf("val-once-%03d", id.Add(1)), NodeID: "node_proof_dddd", Timestamp: now}
				})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	require.EqualValues(t, nonces, fresh.Load())
	require.EqualValues(t, nonces*(tries-1), replays.Load())
}
