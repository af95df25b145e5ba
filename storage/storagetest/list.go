package storagetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

var (
	seedStatuses = []nodemgmt.Status{nodemgmt.StatusInactive, nodemgmt.StatusActive, nodemgmt.StatusActive, nodemgmt.StatusMaintenance, nodemgmt.StatusError}
	seedHealths  = []nodemgmt.Health{nodemgmt.HealthHealthy, nodemgmt.HealthUnknown, nodemgmt.HealthDown}
	seedPools    = []string{"", "pool_list_a", "pool_list_b", "pool_list_a"}
)

// seedNodes writes n nodes in a scrambled order. Every two nodes share a creation time so that
// ordering by id breaks ties. It returns the nodes in the expected (CreatedAt, NodeID) order.
func seedNodes(t *testing.T, s nodemgmt.Store, n int) []*nodemgmt.Node {
	t.Helper()
	mustCreatePool(t, s, SimplePool("pool_list_a", "list-a", 1000, Base))
	mustCreatePool(t, s, SimplePool("pool_list_b", "list-b", 1000, Base))
	nodes := make([]*nodemgmt.Node, n)
	for i := range n {
		// Ids descend while times ascend, so an id-only order would be wrong.
		nd := MinimalNode(nodeID(10_000-i), fmt.Sprintf("seed-%03d", i), seedPools[i%len(seedPools)],
			at(time.Duration(i/2)*time.Second))
		nd.Status = seedStatuses[i%len(seedStatuses)]
		nd.Health = seedHealths[i%len(seedHealths)]
		nodes[i] = nd
	}
	for _, i := range scramble(n) {
		mustCreateNode(t, s, nodes[i])
	}
	want := make([]*nodemgmt.Node, n)
	for i, nd := range nodes {
		want[i] = ExpectedNode(t, nd)
	}
	slices.SortFunc(want, func(a, b *nodemgmt.Node) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.NodeID, b.NodeID)
	})
	return want
}

// scramble returns a fixed permutation of 0..n-1.
func scramble(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = (i*7 + 3) % n
	}
	if n%7 == 0 {
		for i := range out {
			out[i] = n - 1 - i
		}
	}
	return out
}

func matches(n *nodemgmt.Node, f nodemgmt.NodeFilter) bool {
	return (f.Status == "" || n.Status == f.Status) && (f.PoolID == "" || n.PoolID == f.PoolID) &&
		(f.Health == "" || n.Health == f.Health)
}

func testListNodesFilters(t *testing.T, s nodemgmt.Store) {
	all := seedNodes(t, s, 40)
	filters := map[string]nodemgmt.NodeFilter{
		"all":                    {},
		"status":                 {Status: nodemgmt.StatusActive},
		"pool":                   {PoolID: "pool_list_a"},
		"health":                 {Health: nodemgmt.HealthHealthy},
		"status and pool":        {Status: nodemgmt.StatusActive, PoolID: "pool_list_a"},
		"status, pool, health":   {Status: nodemgmt.StatusActive, PoolID: "pool_list_b", Health: nodemgmt.HealthDown},
		"nothing matches":        {Status: nodemgmt.StatusStopping},
		"unknown pool":           {PoolID: "pool_nobody"},
		"status and health":      {Status: nodemgmt.StatusInactive, Health: nodemgmt.HealthUnknown},
		"pool b healthy":         {PoolID: "pool_list_b", Health: nodemgmt.HealthHealthy},
		"maintenance, any other": {Status: nodemgmt.StatusMaintenance},
	}
	for name, f := range filters {
		t.Run(name, func(t *testing.T) {
			var want []*nodemgmt.Node
			for _, n := range all {
				if matches(n, f) {
					want = append(want, n)
				}
			}
			if name != "nothing matches" && name != "unknown pool" {
				require.NotEmpty(t, want, "the seed covers this filter")
			}

			// Everything at once.
			page, err := s.ListNodes(ctx, f)
			require.NoError(t, err)
			assert.Equal(t, len(want), page.Total)
			require.Equal(t, ids(want), ids(page.Nodes))
			if len(want) > 0 {
				require.Equal(t, want[0], page.Nodes[0], "listed nodes are complete")
			}

			// Offset paging.
			var got []*nodemgmt.Node
			for off := 0; off < len(want)+7; off += 7 {
				g := f
				g.Offset, g.Limit = off, 7
				page, err := s.ListNodes(ctx, g)
				require.NoError(t, err)
				assert.Equal(t, len(want), page.Total, "total ignores paging")
				assert.LessOrEqual(t, len(page.Nodes), 7)
				got = append(got, page.Nodes...)
			}
			require.Equal(t, ids(want), ids(got))

			// Cursor paging.
			got = nil
			var cur *nodemgmt.Cursor
			for range len(want) + 2 {
				g := f
				g.Limit, g.After = 6, cur
				if cur != nil {
					g.Offset = 1000 // ignored with a cursor
				}
				page, err := s.ListNodes(ctx, g)
				require.NoError(t, err)
				assert.Equal(t, len(want), page.Total, "total ignores the cursor")
				got = append(got, page.Nodes...)
				if len(page.Nodes) < 6 {
					break
				}
				last := page.Nodes[len(page.Nodes)-1]
				cur = &nodemgmt.Cursor{CreatedAt: last.CreatedAt, ID: last.NodeID}
			}
			require.Equal(t, ids(want), ids(got))
		})
	}
}

func testListNodesEdges(t *testing.T, s nodemgmt.Store) {
	page, err := s.ListNodes(ctx, nodemgmt.NodeFilter{Limit: 10})
	require.NoError(t, err)
	assert.Empty(t, page.Nodes)
	assert.Zero(t, page.Total)

	all := seedNodes(t, s, 12)
	page, err = s.ListNodes(ctx, nodemgmt.NodeFilter{Offset: 12, Limit: 5})
	require.NoError(t, err)
	assert.Empty(t, page.Nodes, "offset past the end")
	assert.Equal(t, 12, page.Total)

	page, err = s.ListNodes(ctx, nodemgmt.NodeFilter{Offset: 10})
	require.NoError(t, err)
	assert.Equal(t, ids(all[10:]), ids(page.Nodes), "offset without a limit")

	// A cursor at the last node yields an empty page; a cursor before the first yields all.
	last := all[len(all)-1]
	page, err = s.ListNodes(ctx, nodemgmt.NodeFilter{After: &nodemgmt.Cursor{CreatedAt: last.CreatedAt, ID: last.NodeID}})
	require.NoError(t, err)
	assert.Empty(t, page.Nodes)
	page, err = s.ListNodes(ctx, nodemgmt.NodeFilter{After: &nodemgmt.Cursor{CreatedAt: Base.Add(-time.Hour), ID: "node_"}, Limit: 100})
	require.NoError(t, err)
	assert.Equal(t, ids(all), ids(page.Nodes))

	// A cursor between two nodes of the same time continues with the larger id.
	page, err = s.ListNodes(ctx, nodemgmt.NodeFilter{After: &nodemgmt.Cursor{CreatedAt: all[4].CreatedAt, ID: all[4].NodeID}, Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, ids(all[5:7]), ids(page.Nodes))

	// A cursor whose id no longer exists still positions correctly.
	page, err = s.ListNodes(ctx, nodemgmt.NodeFilter{After: &nodemgmt.Cursor{CreatedAt: all[3].CreatedAt, ID: all[3].NodeID + "~"}, Limit: 3})
	require.NoError(t, err)
	assert.Equal(t, ids(all[4:7]), ids(page.Nodes))
}

func testListNodesCursorUnderInserts(t *testing.T, s nodemgmt.Store) {
	all := seedNodes(t, s, 20)
	f := nodemgmt.NodeFilter{Limit: 8}
	first, err := s.ListNodes(ctx, f)
	require.NoError(t, err)
	require.Equal(t, ids(all[:8]), ids(first.Nodes))
	last := first.Nodes[7]

	// Nodes created before the cursor position, and one after it.
	mustCreateNode(t, s, MinimalNode("node_early1", "early-1", "", Base.Add(-time.Hour)))
	mustCreateNode(t, s, MinimalNode("node_early2", "early-2", "", all[2].CreatedAt))
	late := MinimalNode("node_late01", "late-1", "", all[19].CreatedAt.Add(time.Second))
	mustCreateNode(t, s, late)

	var rest []*nodemgmt.Node
	cur := &nodemgmt.Cursor{CreatedAt: last.CreatedAt, ID: last.NodeID}
	for {
		page, err := s.ListNodes(ctx, nodemgmt.NodeFilter{Limit: 8, After: cur})
		require.NoError(t, err)
		assert.Equal(t, 23, page.Total)
		rest = append(rest, page.Nodes...)
		if len(page.Nodes) < 8 {
			break
		}
		l := page.Nodes[len(page.Nodes)-1]
		cur = &nodemgmt.Cursor{CreatedAt: l.CreatedAt, ID: l.NodeID}
	}
	want := append(ids(all[8:]), late.NodeID)
	require.Equal(t, want, ids(rest), "no node skipped or repeated after inserts before the cursor")
}

func testListStaleNodes(t *testing.T, s nodemgmt.Store) {
	now := at(time.Hour)
	mk := func(id string, h nodemgmt.Health, deadline *time.Time) {
		n := MinimalNode(id, strings.ReplaceAll(id, "_", "-"), "", Base)
		n.Health, n.HealthDeadline = h, deadline
		mustCreateNode(t, s, n)
	}
	mk("node_st0001", nodemgmt.HealthHealthy, ptrTime(now.Add(-time.Minute)))    // stale
	mk("node_st0002", nodemgmt.HealthUnknown, ptrTime(now.Add(-10*time.Minute))) // stale, oldest
	mk("node_st0003", nodemgmt.HealthDown, ptrTime(now.Add(-time.Hour)))         // down: never listed
	mk("node_st0004", nodemgmt.HealthHealthy, ptrTime(now.Add(time.Minute)))     // not yet
	mk("node_st0005", nodemgmt.HealthHealthy, ptrTime(now))                      // at the instant: not before
	mk("node_st0006", nodemgmt.HealthUnknown, nil)                               // no deadline
	mk("node_st0007", nodemgmt.HealthHealthy, ptrTime(now.Add(-5*time.Minute)))  // stale

	stale, err := s.ListStaleNodes(ctx, now, 100)
	require.NoError(t, err)
	assert.Equal(t, []string{"node_st0002", "node_st0007", "node_st0001"}, ids(stale), "oldest deadline first")
	require.Equal(t, mustGetNode(t, s, "node_st0002"), stale[0])

	stale, err = s.ListStaleNodes(ctx, now, 2)
	require.NoError(t, err)
	assert.Equal(t, []string{"node_st0002", "node_st0007"}, ids(stale))

	stale, err = s.ListStaleNodes(ctx, Base, 100)
	require.NoError(t, err)
	assert.Empty(t, stale)
}

func testExtendHealthDeadlines(t *testing.T, s nodemgmt.Store) {
	until := at(time.Hour)
	mk := func(id string, h nodemgmt.Health, deadline *time.Time) {
		n := MinimalNode(id, strings.ReplaceAll(id, "_", "-"), "", Base)
		n.Health, n.HealthDeadline = h, deadline
		mustCreateNode(t, s, n)
	}
	mk("node_ex0001", nodemgmt.HealthHealthy, ptrTime(until.Add(-time.Minute)))
	mk("node_ex0002", nodemgmt.HealthUnknown, nil)
	mk("node_ex0003", nodemgmt.HealthHealthy, ptrTime(until.Add(time.Minute)))
	mk("node_ex0004", nodemgmt.HealthDown, ptrTime(until.Add(-time.Hour)))
	mk("node_ex0005", nodemgmt.HealthUnknown, ptrTime(until.Add(-2*time.Hour)))

	n, err := s.ExtendHealthDeadlines(ctx, until)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	for id, want := range map[string]time.Time{
		"node_ex0001": until, "node_ex0002": until, "node_ex0003": until.Add(time.Minute),
		"node_ex0004": until.Add(-time.Hour), "node_ex0005": until,
	} {
		got := mustGetNode(t, s, id)
		require.NotNil(t, got.HealthDeadline, id)
		assert.Equal(t, Normalize(want), *got.HealthDeadline, id)
	}
	n, err = s.ExtendHealthDeadlines(ctx, until)
	require.NoError(t, err)
	assert.Zero(t, n, "a second pass changes nothing")
}

func testCountNodes(t *testing.T, s nodemgmt.Store) {
	c, err := s.CountNodes(ctx)
	require.NoError(t, err)
	assert.Zero(t, c.Total)
	assert.NotNil(t, c.ByStatus)
	assert.NotNil(t, c.ByHealth)
	assert.Empty(t, c.ByStatus)

	all := seedNodes(t, s, 30)
	byStatus := map[nodemgmt.Status]int{}
	byHealth := map[nodemgmt.Health]int{}
	for _, n := range all {
		byStatus[n.Status]++
		byHealth[n.Health]++
	}
	c, err = s.CountNodes(ctx)
	require.NoError(t, err)
	assert.Equal(t, 30, c.Total)
	assert.Equal(t, byStatus, c.ByStatus, "only statuses that occur are present")
	assert.Equal(t, byHealth, c.ByHealth)
}
