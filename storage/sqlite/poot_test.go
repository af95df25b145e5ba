package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
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

// TestPootEvidenceCacheMatchesDatabase: with saves and cached reads racing, the cached history
// of each node ends equal to what the database holds.
func TestPootEvidenceCacheMatchesDatabase(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 40 {
				node := fmt.Sprintf("node_cache_%04d", i%3)
				v := poot.Validation{ValidationID: fmt.Sprintf("v-%d-%03d", w, i), NodeID: node, Evidence: i%4 != 0,
					Timestamp: base.Add(time.Duration(i) * time.Millisecond), State: poot.State{Seq: int64(i)}, Errors: []poot.Reason{}}
				require.NoError(t, s.SaveValidation(ctx, v))
				_, err := s.ListValidations(ctx, poot.ValidationFilter{NodeID: node, EvidenceOnly: true, Limit: 32})
				require.NoError(t, err)
			}
		})
	}
	wg.Wait()
	for n := range 3 {
		node := fmt.Sprintf("node_cache_%04d", n)
		f := poot.ValidationFilter{NodeID: node, EvidenceOnly: true, Limit: 32}
		cached, err := s.ListValidations(ctx, f)
		require.NoError(t, err)
		fromDB, err := s.listValidations(ctx, f, nil, 32)
		require.NoError(t, err)
		require.Len(t, cached.Validations, 32)
		require.Equal(t, fromDB.Validations, cached.Validations)
		require.NotEmpty(t, cached.NextCursor)
		require.Equal(t, fromDB.NextCursor, cached.NextCursor)
	}
}

func TestAppendAuditBatch(t *testing.T) {
	t.Parallel()
	storagetest.RunAuditBatch(t, openTest(t))
}
