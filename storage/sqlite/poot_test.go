package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/storage/storagetest"
)

// TestPootConformance runs the PoOT sub-suite alone (it is also part of TestConformance).
func TestPootConformance(t *testing.T) {
	t.Parallel()
	storagetest.RunPoot(t, func(t *testing.T) poot.Store { return openTest(t) })
}

// TestPootSurvivesReopen: a consumed nonce is still refused, and an issued challenge still
// answerable, after the database is closed and opened again (a server restart).
func TestPootSurvivesReopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lucid.db")
	s, err := Open(ctx, path, Options{Key: testKey})
	require.NoError(t, err)
	exp := time.Now().Add(24 * time.Hour)
	require.NoError(t, s.ConsumeNonce(ctx, "node_reopen_aaaa", "nonce-before-restart", exp))
	c := poot.Challenge{NodeID: "node_reopen_aaaa", Nonce: poot.NewChallengeNonce(), IssuedAt: time.Now(), ExpiresAt: exp}
	require.NoError(t, s.SaveChallenge(ctx, c))
	require.NoError(t, s.Close())

	s, err = Open(ctx, path, Options{Key: testKey})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	require.ErrorIs(t, s.ConsumeNonce(ctx, "node_reopen_aaaa", "nonce-before-restart", exp), poot.ErrNonceReplayed)
	got, err := s.ConsumeChallenge(ctx, c.NodeID, c.Nonce)
	require.NoError(t, err)
	require.Equal(t, c.Nonce, got.Nonce)
	_, err = s.ConsumeChallenge(ctx, c.NodeID, c.Nonce)
	require.ErrorIs(t, err, poot.ErrChallengeNotFound)
}
