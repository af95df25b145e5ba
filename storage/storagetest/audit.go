package storagetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

func auditIDs(es []nodemgmt.AuditEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func testAudit(t *testing.T, s nodemgmt.Store) {
	entries := []nodemgmt.AuditEntry{
		{ID: "audit_01", At: at(1 * time.Minute), Category: "node", Actor: "alice", Action: "create", Target: "node_a", Result: "ok",
			Details: map[string]any{"name": "n-a", "drain": true, "count": 3, "nested": map[string]any{"k": "v"}}},
		{ID: "audit_02", At: at(2 * time.Minute), Category: "pool", Actor: "bob", Action: "create", Target: "pool_a", Result: "ok"},
		{ID: "audit_03", At: at(3 * time.Minute), Category: "node", Actor: "alice", Action: "start", Target: "node_b", Result: nodemgmt.CodeInvalidStatus},
		{ID: "audit_04", At: at(3 * time.Minute), Category: "node", Actor: "system", Action: "health_down", Target: "node_a", Result: "ok"},
		{ID: "audit_05", At: at(4 * time.Minute), Category: "payout", Actor: "carol", Action: "batch", Target: "batch_1", Result: "ok"},
	}
	// Written out of time order: listing orders by time, then by write order.
	for _, i := range []int{1, 0, 2, 3, 4} {
		require.NoError(t, s.AppendAudit(ctx, entries[i]))
	}

	all, err := s.ListAudit(ctx, nodemgmt.AuditFilter{})
	require.NoError(t, err)
	require.Equal(t, []string{"audit_05", "audit_04", "audit_03", "audit_02", "audit_01"}, auditIDs(all), "newest first")

	first := all[4]
	assert.Equal(t, Normalize(entries[0].At), first.At)
	assert.Equal(t, time.UTC, first.At.Location())
	assert.Equal(t, "alice", first.Actor)
	assert.Equal(t, "create", first.Action)
	assert.Equal(t, "node_a", first.Target)
	assert.Equal(t, "ok", first.Result)
	assert.Equal(t, "node", first.Category)
	assert.Equal(t, map[string]any{"name": "n-a", "drain": true, "count": float64(3), "nested": map[string]any{"k": "v"}}, first.Details)
	assert.Nil(t, all[3].Details)
	assert.Equal(t, nodemgmt.CodeInvalidStatus, all[2].Result)

	for name, tc := range map[string]struct {
		f    nodemgmt.AuditFilter
		want []string
	}{
		"category":           {nodemgmt.AuditFilter{Category: "node"}, []string{"audit_04", "audit_03", "audit_01"}},
		"target":             {nodemgmt.AuditFilter{Target: "node_a"}, []string{"audit_04", "audit_01"}},
		"since is inclusive": {nodemgmt.AuditFilter{Since: at(3 * time.Minute)}, []string{"audit_05", "audit_04", "audit_03"}},
		"limit":              {nodemgmt.AuditFilter{Limit: 2}, []string{"audit_05", "audit_04"}},
		"combined":           {nodemgmt.AuditFilter{Category: "node", Since: at(2 * time.Minute), Limit: 1}, []string{"audit_04"}},
		"none":               {nodemgmt.AuditFilter{Category: "poot"}, []string{}},
	} {
		got, err := s.ListAudit(ctx, tc.f)
		require.NoError(t, err, name)
		assert.Equal(t, tc.want, auditIDs(got), name)
	}

	// Entries are copies.
	all[4].Details["name"] = "mutated"
	again, err := s.ListAudit(ctx, nodemgmt.AuditFilter{Target: "node_a", Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, "n-a", again[1].Details["name"])
}

func testAuditPrune(t *testing.T, s nodemgmt.Store) {
	for i := range 10 {
		cat := "node"
		if i%2 == 1 {
			cat = "payout"
		}
		require.NoError(t, s.AppendAudit(ctx, nodemgmt.AuditEntry{ID: fmt.Sprintf("audit_%02d", i), At: at(time.Duration(i) * time.Hour),
			Category: cat, Actor: "a", Action: "x", Target: "t", Result: "ok"}))
	}
	n, err := s.PruneAudit(ctx, "node", at(4*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 2, n, "node entries at hours 0 and 2; hour 4 is not older")
	n, err = s.PruneAudit(ctx, "node", at(4*time.Hour))
	require.NoError(t, err)
	assert.Zero(t, n)

	rest, err := s.ListAudit(ctx, nodemgmt.AuditFilter{})
	require.NoError(t, err)
	assert.Equal(t, []string{"audit_09", "audit_08", "audit_07", "audit_06", "audit_05", "audit_04", "audit_03", "audit_01"}, auditIDs(rest),
		"other categories are kept")
	n, err = s.PruneAudit(ctx, "payout", at(100*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 5, n)
}
