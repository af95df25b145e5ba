package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/poot/poottest"
)

// PootPurger is implemented by stores that can drop expired PoOT records. now is the caller's
// clock: consumed nonces whose expiry is before now, challenges that expired more than
// poot.ReplayWindow before now, and validations older than validationsBefore are deleted.
type PootPurger interface {
	PurgePoot(ctx context.Context, now, validationsBefore time.Time) (int, error)
}

// RunPoot runs the poot.Store conformance tests: the contract of poottest.StoreConformance
// (atomic single-use challenges and nonces, listing with filters, order and cursor) and what a
// server needs on top: a year of history queried by node and time and by output hash, paging
// that stays exact while new validations arrive, time normalisation, refused cursors and, for
// stores that have it, the purge of expired records.
func RunPoot(t *testing.T, newStore func(t *testing.T) poot.Store) {
	t.Run("StoreConformance", func(t *testing.T) {
		poottest.StoreConformance(t, newStore)
	})
	tests := []struct {
		name string
		fn   func(t *testing.T, s poot.Store)
	}{
		{"YearOfHistory", testPootYearOfHistory},
		{"PagingUnderInserts", testPootPagingUnderInserts},
		{"Normalisation", testPootNormalisation},
		{"BadCursor", testPootBadCursor},
		{"Purge", testPootPurge},
		{"ConcurrentMixed", testPootConcurrentMixed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

var pootEpoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// pootValidation is a stored validation of node at ts with seq; the hash is shared by every
// validation with the same hashGroup.
func pootValidation(i int, node string, ts time.Time, hashGroup int) poot.Validation {
	return poot.Validation{
		ValidationID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), NodeID: node, IsValid: i%2 == 0,
		Score: float64(i%100) + 0.5, Confidence: 0.5, OutputHash: fmt.Sprintf("%064x", hashGroup), Timestamp: ts,
		Errors: []poot.Reason{}, Nonce: fmt.Sprintf("nonce-%06d", i), Evidence: i%3 != 0, ChecksPassed: i%2 == 0,
		State: poot.State{At: ts, Evidence: 1, Success: 1, Seq: int64(i + 1)},
	}
}

// listAll pages through f and returns the validation ids in the order received.
func listAll(t *testing.T, s poot.Store, f poot.ValidationFilter) []string {
	t.Helper()
	var ids []string
	for range 10_000 {
		page, err := s.ListValidations(context.Background(), f)
		require.NoError(t, err)
		if f.Limit > 0 {
			require.LessOrEqual(t, len(page.Validations), f.Limit)
		}
		for _, v := range page.Validations {
			ids = append(ids, v.ValidationID)
		}
		if page.NextCursor == "" {
			return ids
		}
		require.NotEmpty(t, page.Validations, "a page with a next cursor must not be empty")
		f.Cursor = page.NextCursor
	}
	t.Fatal("paging does not end")
	return nil
}

// testPootYearOfHistory stores a year of validations of three nodes (one every ~43 hours each)
// and queries them by node and time window and by output hash, newest first.
func testPootYearOfHistory(t *testing.T, s poot.Store) {
	ctx := context.Background()
	nodes := []string{"node_year_aaaa", "node_year_bbbb", "node_year_cccc"}
	type rec struct {
		id, node, hash string
		ts             time.Time
	}
	var all []rec
	for i := range 600 {
		node := nodes[i%3]
		ts := pootEpoch.Add(-time.Duration(i) * 29 * time.Hour / 2) // ~ 362 days back in total
		v := pootValidation(i, node, ts, i%7)
		require.NoError(t, s.SaveValidation(ctx, v))
		all = append(all, rec{v.ValidationID, node, v.OutputHash, ts})
	}
	want := func(keep func(r rec) bool) []string {
		var ids []string
		for _, r := range all { // all is already newest first (ts strictly decreasing)
			if keep(r) {
				ids = append(ids, r.id)
			}
		}
		return ids
	}
	since, until := pootEpoch.Add(-300*24*time.Hour), pootEpoch.Add(-270*24*time.Hour)
	got := listAll(t, s, poot.ValidationFilter{NodeID: nodes[1], Since: since, Until: until, Limit: 13})
	exp := want(func(r rec) bool { return r.node == nodes[1] && !r.ts.Before(since) && r.ts.Before(until) })
	require.NotEmpty(t, exp)
	assert.Equal(t, exp, got, "node and 30-day window, 300 days back")

	got = listAll(t, s, poot.ValidationFilter{NodeID: nodes[2], Since: pootEpoch.Add(-366 * 24 * time.Hour), Limit: 100})
	assert.Equal(t, want(func(r rec) bool { return r.node == nodes[2] }), got, "a node's whole year")

	hash := fmt.Sprintf("%064x", 3)
	got = listAll(t, s, poot.ValidationFilter{OutputHash: hash, Limit: 50})
	assert.Equal(t, want(func(r rec) bool { return r.hash == hash }), got, "by output hash across nodes")

	got = listAll(t, s, poot.ValidationFilter{OutputHash: hash, NodeID: nodes[0], Until: pootEpoch.Add(-100 * 24 * time.Hour)})
	assert.Equal(t, want(func(r rec) bool {
		return r.hash == hash && r.node == nodes[0] && r.ts.Before(pootEpoch.Add(-100*24*time.Hour))
	}), got, "by output hash, node and until")

	page, err := s.ListValidations(ctx, poot.ValidationFilter{NodeID: "node_year_none"})
	require.NoError(t, err)
	assert.Empty(t, page.Validations)
	assert.Empty(t, page.NextCursor)

	page, err = s.ListValidations(ctx, poot.ValidationFilter{})
	require.NoError(t, err)
	assert.Len(t, page.Validations, 600, "no limit means the default page (1000)")
	assert.Empty(t, page.NextCursor)
}

// testPootPagingUnderInserts pages a node's history newest first while newer validations keep
// arriving: the pages neither repeat nor skip anything that existed when paging started.
func testPootPagingUnderInserts(t *testing.T, s poot.Store) {
	ctx := context.Background()
	node := "node_paging_aaaa"
	var before []string
	for i := range 60 {
		// Pairs share a timestamp so the (ts, seq, id) tie-break is exercised across pages.
		v := pootValidation(i, node, pootEpoch.Add(time.Duration(i/2)*time.Second), 0)
		require.NoError(t, s.SaveValidation(ctx, v))
		before = append([]string{v.ValidationID}, before...)
	}
	f := poot.ValidationFilter{NodeID: node, Limit: 7}
	var got []string
	for i := 0; ; i++ {
		page, err := s.ListValidations(ctx, f)
		require.NoError(t, err)
		for _, v := range page.Validations {
			got = append(got, v.ValidationID)
		}
		// A newer validation arrives between pages.
		require.NoError(t, s.SaveValidation(ctx, pootValidation(1000+i, node, pootEpoch.Add(time.Hour+time.Duration(i)*time.Second), 0)))
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	assert.Equal(t, before, got)
}

// testPootNormalisation stores times with a zone and nanoseconds and reads them back in UTC at
// microsecond precision; a Since given with a zone is normalised the same way.
func testPootNormalisation(t *testing.T, s poot.Store) {
	ctx := context.Background()
	zone := time.FixedZone("x", 2*3600)
	ts := time.Date(2026, 5, 1, 10, 0, 0, 123456789, zone)
	v := pootValidation(1, "node_norm_aaaa", ts, 1)
	v.ProofTimestamp = ts.Add(-time.Second)
	v.Errors = nil
	require.NoError(t, s.SaveValidation(ctx, v))
	page, err := s.ListValidations(ctx, poot.ValidationFilter{NodeID: v.NodeID, Since: ts})
	require.NoError(t, err)
	require.Len(t, page.Validations, 1, "Since equal to the stored time (after normalisation) includes it")
	got := page.Validations[0]
	want := ts.UTC().Truncate(time.Microsecond)
	assert.Equal(t, want, got.Timestamp)
	assert.Equal(t, time.UTC, got.Timestamp.Location())
	assert.Equal(t, want.Add(-time.Second), got.ProofTimestamp)
	assert.Equal(t, want, got.State.At)
	assert.NotNil(t, got.Errors, "errors read back as an empty list, never null")

	page, err = s.ListValidations(ctx, poot.ValidationFilter{NodeID: v.NodeID, Until: ts})
	require.NoError(t, err)
	assert.Empty(t, page.Validations, "Until is exclusive")

	// A returned value does not alias the stored one.
	got.Errors = append(got.Errors, poot.Reason{Code: "x"})
	page, err = s.ListValidations(ctx, poot.ValidationFilter{NodeID: v.NodeID})
	require.NoError(t, err)
	assert.Empty(t, page.Validations[0].Errors)
}

func testPootBadCursor(t *testing.T, s poot.Store) {
	ctx := context.Background()
	for _, c := range []string{"not a cursor", "bm90LWEtY3Vyc29y", "%%%"} {
		_, err := s.ListValidations(ctx, poot.ValidationFilter{Cursor: c})
		assert.Error(t, err, "cursor %q", c)
	}
}

// testPootPurge drops what has expired by the caller's clock and nothing else.
func testPootPurge(t *testing.T, s poot.Store) {
	p, ok := s.(PootPurger)
	if !ok {
		t.Skip("store has no PurgePoot")
	}
	ctx := context.Background()
	now := pootEpoch
	require.NoError(t, s.ConsumeNonce(ctx, "node_purge_aaaa", "expired-nonce", now.Add(-time.Second)))
	require.NoError(t, s.ConsumeNonce(ctx, "node_purge_aaaa", "live-nonce-1", now.Add(time.Second)))
	oldCh := poot.Challenge{NodeID: "node_purge_aaaa", Nonce: poot.NewChallengeNonce(), IssuedAt: now.Add(-25*time.Hour - 2*time.Minute), ExpiresAt: now.Add(-25 * time.Hour)}
	lateCh := poot.Challenge{NodeID: "node_purge_aaaa", Nonce: poot.NewChallengeNonce(), IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(-time.Hour + 2*time.Minute)}
	require.NoError(t, s.SaveChallenge(ctx, oldCh))
	require.NoError(t, s.SaveChallenge(ctx, lateCh))
	oldV := pootValidation(1, "node_purge_aaaa", now.Add(-400*24*time.Hour), 1)
	keepV := pootValidation(2, "node_purge_aaaa", now.Add(-300*24*time.Hour), 1)
	require.NoError(t, s.SaveValidation(ctx, oldV))
	require.NoError(t, s.SaveValidation(ctx, keepV))

	n, err := p.PurgePoot(ctx, now, now.Add(-366*24*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 3, n, "one nonce, one challenge, one validation")

	assert.NoError(t, s.ConsumeNonce(ctx, "node_purge_aaaa", "expired-nonce", now.Add(24*time.Hour)), "an expired record is gone")
	assert.ErrorIs(t, s.ConsumeNonce(ctx, "node_purge_aaaa", "live-nonce-1", now.Add(24*time.Hour)), poot.ErrNonceReplayed,
		"a record that has not expired survives the purge")
	_, err = s.ConsumeChallenge(ctx, oldCh.NodeID, oldCh.Nonce)
	assert.ErrorIs(t, err, poot.ErrChallengeNotFound)
	c, err := s.ConsumeChallenge(ctx, lateCh.NodeID, lateCh.Nonce)
	require.NoError(t, err, "a recently expired challenge stays so its late answer is told it expired")
	assert.Equal(t, lateCh.ExpiresAt, c.ExpiresAt)
	assert.Equal(t, []string{keepV.ValidationID}, listAll(t, s, poot.ValidationFilter{NodeID: "node_purge_aaaa"}))
}

// testPootConcurrentMixed runs the validator's write pattern from many goroutines: every
// distinct nonce is consumed exactly once and every validation is stored.
func testPootConcurrentMixed(t *testing.T, s poot.Store) {
	ctx := context.Background()
	const workers, each = 8, 25
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for i := range each {
				node := fmt.Sprintf("node_mixed_%04d", i%3)
				nonce := fmt.Sprintf("nonce-%04d", i) // every worker tries the same nonces
				c := poot.Challenge{NodeID: node, Nonce: poot.NewChallengeNonce(), IssuedAt: pootEpoch, ExpiresAt: pootEpoch.Add(time.Minute)}
				if err := s.SaveChallenge(ctx, c); err != nil {
					errs <- err
					return
				}
				if _, err := s.ConsumeChallenge(ctx, node, c.Nonce); err != nil {
					errs <- err
					return
				}
				err := s.ConsumeNonce(ctx, node, nonce, pootEpoch.Add(24*time.Hour))
				if err != nil && !errors.Is(err, poot.ErrNonceReplayed) {
					errs <- err
					return
				}
				v := pootValidation(w*1000+i, node, pootEpoch.Add(time.Duration(i)*time.Millisecond), i)
				v.Evidence = err == nil
				if err := s.SaveValidation(ctx, v); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		require.NoError(t, <-errs)
	}
	total, evidence := 0, 0
	for n := range 3 {
		total += len(listAll(t, s, poot.ValidationFilter{NodeID: fmt.Sprintf("node_mixed_%04d", n), Limit: 100}))
		evidence += len(listAll(t, s, poot.ValidationFilter{NodeID: fmt.Sprintf("node_mixed_%04d", n), EvidenceOnly: true}))
	}
	assert.Equal(t, workers*each, total)
	assert.Equal(t, each, evidence, "each (node, nonce) pair was consumed by exactly one worker")
}

// AuditBatcher is implemented by stores that append several audit entries in one transaction
// (the PoOT batch route writes one entry per proof).
type AuditBatcher interface {
	AppendAuditBatch(ctx context.Context, entries []nodemgmt.AuditEntry) error
	ListAudit(ctx context.Context, f nodemgmt.AuditFilter) ([]nodemgmt.AuditEntry, error)
}

// RunAuditBatch checks AppendAuditBatch: every entry is listed like one written by AppendAudit,
// newest first in write order, details in their JSON shape.
func RunAuditBatch(t *testing.T, s AuditBatcher) {
	ctx := context.Background()
	at := time.Date(2026, 2, 3, 4, 5, 6, 789, time.UTC)
	var entries []nodemgmt.AuditEntry
	for i := range 5 {
		entries = append(entries, nodemgmt.AuditEntry{ID: fmt.Sprintf("audit_batch_%d", i), At: at, Category: "poot", Actor: "validator",
			Action: "validate", Target: "node_audit_batch", Result: "ok", Details: map[string]any{"n": i, "reasons": []string{"x"}}})
	}
	require.NoError(t, s.AppendAuditBatch(ctx, entries))
	require.NoError(t, s.AppendAuditBatch(ctx, nil))
	got, err := s.ListAudit(ctx, nodemgmt.AuditFilter{Category: "poot", Target: "node_audit_batch"})
	require.NoError(t, err)
	require.Len(t, got, 5)
	for i, e := range got {
		want := entries[4-i]
		assert.Equal(t, want.ID, e.ID, "newest first; ties in write order, latest first")
		assert.Equal(t, at.Truncate(time.Microsecond), e.At)
		assert.Equal(t, float64(4-i), e.Details["n"])
		assert.Equal(t, []any{"x"}, e.Details["reasons"])
	}
}
