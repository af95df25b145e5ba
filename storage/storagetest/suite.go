// Package storagetest is the conformance suite every storage backend must pass, so that the
// memory, SQLite and PostgreSQL backends are interchangeable behind the domain store interfaces.
//
// The suite is split by domain, one file each: RunNodes covers nodemgmt.Store (nodes, pools,
// membership, audit, leases). A backend test calls Run with a factory that returns a fresh,
// empty store for each sub-test:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storagetest.Backend {
//			s := memory.New()
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Adding a domain (for example PoOT): write poot.go with RunPoot(t, func(*testing.T) poot.Store),
// add poot.Store to Backend, and call RunPoot from Run. Each sub-suite can also be run alone.
//
// Conventions the suite pins down for every backend:
//   - Times are stored in UTC at microsecond precision: a value written as 10:00:00.123456789+02:00
//     reads back as 08:00:00.123456Z. Callers compare with Normalize. Times given as arguments
//     (cursors, deadlines, Since, before) are normalised the same way before they are compared.
//   - Stores copy values in and out; mutating a value after writing it, or a value returned by the
//     store, never changes what is stored.
//   - Audit Details are JSON-shaped: numbers read back as float64.
//   - Limit 0 means "no limit" in filters; DeleteNode accepts a nil check.
//   - A callback (UpdateNode, UpdatePool, DeleteNode's check) that fails or panics writes nothing
//     and leaves the store usable; it must not call the store itself.
package storagetest

import (
	"testing"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/poot"
)

// Backend is everything a storage backend provides; it grows as domains are added.
type Backend interface {
	nodemgmt.Store
	poot.Store
	nodemgmt.ResourceStore
	payout.Store
	payout.WalletStore
}

// Run runs every domain sub-suite against stores made by newStore. newStore must return a new,
// empty store on each call and arrange its cleanup with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) Backend) {
	t.Run("nodemgmt", func(t *testing.T) {
		RunNodes(t, func(t *testing.T) nodemgmt.Store { return newStore(t) })
	})
	t.Run("poot", func(t *testing.T) {
		RunPoot(t, func(t *testing.T) poot.Store { return newStore(t) })
	})
	t.Run("resources", func(t *testing.T) {
		RunResources(t, func(t *testing.T) nodemgmt.ResourceStore { return newStore(t) })
	})
	t.Run("payouts", func(t *testing.T) {
		RunPayouts(t, func(t *testing.T) PayoutBackend { return newStore(t) })
	})
}

// RunNodes runs the nodemgmt.Store conformance tests.
func RunNodes(t *testing.T, newStore func(t *testing.T) nodemgmt.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s nodemgmt.Store)
	}{
		{"NodeRoundTrip", testNodeRoundTrip},
		{"NodeMinimalRoundTrip", testNodeMinimalRoundTrip},
		{"NodeNoAliasing", testNodeNoAliasing},
		{"NodeNotFound", testNodeNotFound},
		{"NodeUniqueness", testNodeUniqueness},
		{"CreateNodeInPool", testCreateNodeInPool},
		{"UpdateNode", testUpdateNode},
		{"UpdateNodeFnError", testUpdateNodeFnError},
		{"UpdateNodeRename", testUpdateNodeRename},
		{"UpdateNodeImmutable", testUpdateNodeImmutable},
		{"UpdateNodePanics", testUpdateNodePanics},
		{"DeleteNode", testDeleteNode},
		{"ListNodesFilters", testListNodesFilters},
		{"ListNodesEdges", testListNodesEdges},
		{"ListNodesCursorUnderInserts", testListNodesCursorUnderInserts},
		{"ListStaleNodes", testListStaleNodes},
		{"ExtendHealthDeadlines", testExtendHealthDeadlines},
		{"CountNodes", testCountNodes},
		{"PoolRoundTrip", testPoolRoundTrip},
		{"PoolUniqueness", testPoolUniqueness},
		{"UpdatePool", testUpdatePool},
		{"DeletePool", testDeletePool},
		{"ListPools", testListPools},
		{"AddNodeToPool", testAddNodeToPool},
		{"RemoveNodeFromPool", testRemoveNodeFromPool},
		{"ConcurrentPoolAdds", testConcurrentPoolAdds},
		{"ConcurrentCreateInPool", testConcurrentCreateInPool},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"ConcurrentSameName", testConcurrentSameName},
		{"Audit", testAudit},
		{"AuditPrune", testAuditPrune},
		{"Leases", testLeases},
		{"ConcurrentLease", testConcurrentLease},
		{"Ping", testPing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}
