package storagetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

func testPoolRoundTrip(t *testing.T, s nodemgmt.Store) {
	for _, p := range []*nodemgmt.Pool{
		FullPool("pool_rt0001", "full-pool", 25, Base),
		SimplePool("pool_rt0002", "simple-pool", 1, at(time.Second)),
	} {
		want := ExpectedPool(t, p, 0)
		p.NodeCount = 7 // a store derives the count; it never trusts the caller's
		mustCreatePool(t, s, p)
		require.Equal(t, want, mustGetPool(t, s, p.PoolID))
	}
	got := mustGetPool(t, s, "pool_rt0001")
	assert.Equal(t, nodemgmt.Decimal("0.12345678"), got.Pricing.CostPerHour)
	assert.Equal(t, time.UTC, got.UpdatedAt.Location())

	// No aliasing in either direction.
	p := FullPool("pool_rt0003", "alias-pool", 5, Base)
	want := ExpectedPool(t, p, 0)
	mustCreatePool(t, s, p)
	p.ScalingPolicy.MinNodes = 99
	p.Pricing.Currency = "LUCID"
	got = mustGetPool(t, s, p.PoolID)
	got.ResourceLimits.CPUPercent = 1
	require.Equal(t, want, mustGetPool(t, s, p.PoolID))

	_, err := s.GetPool(ctx, "pool_missing")
	require.ErrorIs(t, err, nodemgmt.ErrPoolNotFound)
	assert.NotErrorIs(t, err, nodemgmt.ErrNodeNotFound)
}

func testPoolUniqueness(t *testing.T, s nodemgmt.Store) {
	mustCreatePool(t, s, SimplePool("pool_pu0001", "unique", 10, Base))
	err := s.CreatePool(ctx, SimplePool("pool_pu0001", "other", 10, Base))
	require.ErrorIs(t, err, nodemgmt.ErrPoolExists, "duplicate id")
	err = s.CreatePool(ctx, SimplePool("pool_pu0002", "unique", 10, Base))
	require.ErrorIs(t, err, nodemgmt.ErrPoolExists, "duplicate name")
	require.NoError(t, s.CreatePool(ctx, SimplePool("pool_pu0003", "Unique", 10, Base)), "names are case-sensitive")
	page, err := s.ListPools(ctx, nodemgmt.PoolFilter{})
	require.NoError(t, err)
	assert.Equal(t, 2, page.Total)
}

func testUpdatePool(t *testing.T, s nodemgmt.Store) {
	p := FullPool("pool_up0001", "update-me", 10, Base)
	mustCreatePool(t, s, p)
	mustCreatePool(t, s, SimplePool("pool_up0002", "other", 10, Base))
	mustCreateNode(t, s, MinimalNode("node_pu0001", "member-1", "pool_up0001", Base))
	mustCreateNode(t, s, MinimalNode("node_pu0002", "member-2", "pool_up0001", Base))
	want := ExpectedPool(t, p, 2)

	got, err := s.UpdatePool(ctx, p.PoolID, func(c *nodemgmt.Pool) error {
		require.Equal(t, want, c, "fn sees the stored pool with its exact count")
		c.Name = "renamed"
		c.Description = "new"
		c.MaxNodes = 3
		c.ScalingPolicy = nil
		c.AutoScaling = false
		c.Pricing = &nodemgmt.Pricing{CostPerHour: "1.5", Currency: "LUCID"}
		c.UpdatedAt = at(time.Hour)
		return nil
	})
	require.NoError(t, err)
	stored := mustGetPool(t, s, p.PoolID)
	require.Equal(t, stored, got)
	assert.Equal(t, "renamed", stored.Name)
	assert.Equal(t, 3, stored.MaxNodes)
	assert.Equal(t, 2, stored.NodeCount)
	assert.Nil(t, stored.ScalingPolicy)
	assert.Equal(t, Normalize(at(time.Hour)), stored.UpdatedAt)

	// fn errors come back unchanged and nothing is written.
	_, err = s.UpdatePool(ctx, p.PoolID, func(c *nodemgmt.Pool) error { c.Name = "nope"; c.MaxNodes = 1; return errBoom })
	require.True(t, err == errBoom, "got %v", err)
	require.Equal(t, stored, mustGetPool(t, s, p.PoolID))

	// A name taken by another pool is refused.
	_, err = s.UpdatePool(ctx, p.PoolID, func(c *nodemgmt.Pool) error { c.Name = "other"; return nil })
	require.ErrorIs(t, err, nodemgmt.ErrPoolExists)
	require.Equal(t, stored, mustGetPool(t, s, p.PoolID))

	// The freed old name is usable, and keeping one's own name is fine.
	mustCreatePool(t, s, SimplePool("pool_up0003", "update-me", 10, Base))
	_, err = s.UpdatePool(ctx, p.PoolID, func(c *nodemgmt.Pool) error { c.Name = "renamed"; return nil })
	require.NoError(t, err)

	// The id and the count are not the caller's to change.
	_, err = s.UpdatePool(ctx, p.PoolID, func(c *nodemgmt.Pool) error { c.PoolID = "pool_up0009"; return nil })
	require.Error(t, err)
	_, err = s.UpdatePool(ctx, p.PoolID, func(c *nodemgmt.Pool) error { c.NodeCount = 0; return nil })
	require.Error(t, err)
	require.Equal(t, stored, mustGetPool(t, s, p.PoolID))

	_, err = s.UpdatePool(ctx, "pool_missing", func(*nodemgmt.Pool) error { return nil })
	require.ErrorIs(t, err, nodemgmt.ErrPoolNotFound)
}

func testDeletePool(t *testing.T, s nodemgmt.Store) {
	mustCreatePool(t, s, SimplePool("pool_dp0001", "empty", 10, Base))
	mustCreatePool(t, s, SimplePool("pool_dp0002", "busy", 10, Base))
	mustCreateNode(t, s, MinimalNode("node_dp0001", "member", "pool_dp0002", Base))

	require.NoError(t, s.DeletePool(ctx, "pool_dp0001"))
	_, err := s.GetPool(ctx, "pool_dp0001")
	require.ErrorIs(t, err, nodemgmt.ErrPoolNotFound)
	require.ErrorIs(t, s.DeletePool(ctx, "pool_dp0001"), nodemgmt.ErrPoolNotFound)

	err = s.DeletePool(ctx, "pool_dp0002")
	require.ErrorIs(t, err, nodemgmt.ErrConflict)
	assert.Equal(t, 1, mustGetPool(t, s, "pool_dp0002").NodeCount)
	assert.Equal(t, "pool_dp0002", mustGetNode(t, s, "node_dp0001").PoolID)

	_, err = s.RemoveNodeFromPool(ctx, "pool_dp0002", "node_dp0001", at(time.Minute))
	require.NoError(t, err)
	require.NoError(t, s.DeletePool(ctx, "pool_dp0002"))
	assert.Empty(t, mustGetNode(t, s, "node_dp0001").PoolID)

	// The name is free again.
	mustCreatePool(t, s, SimplePool("pool_dp0003", "busy", 10, Base))
}

func testListPools(t *testing.T, s nodemgmt.Store) {
	var want []string
	for i := range 15 {
		// Ids descend while times ascend; every three pools share a time.
		want = append(want, fmt.Sprintf("pool_lp%04d", 100-i))
	}
	// Expected order: by time, then by id.
	order := make([]string, 0, 15)
	for g := 0; g < 15; g += 3 {
		grp := []string{want[g+2], want[g+1], want[g]}
		order = append(order, grp...)
	}
	for _, i := range scramble(15) {
		mustCreatePool(t, s, SimplePool(want[i], fmt.Sprintf("lp-%02d", i), 10, at(time.Duration(i/3)*time.Second)))
	}
	mustCreateNode(t, s, MinimalNode("node_lp0001", "in-pool", order[4], Base))

	page, err := s.ListPools(ctx, nodemgmt.PoolFilter{})
	require.NoError(t, err)
	assert.Equal(t, 15, page.Total)
	require.Equal(t, order, poolIDs(page.Pools))
	assert.Equal(t, 1, page.Pools[4].NodeCount, "listed pools carry their count")
	assert.Equal(t, mustGetPool(t, s, order[4]), page.Pools[4])

	var got []string
	for off := 0; off < 20; off += 4 {
		page, err := s.ListPools(ctx, nodemgmt.PoolFilter{Offset: off, Limit: 4})
		require.NoError(t, err)
		assert.Equal(t, 15, page.Total)
		got = append(got, poolIDs(page.Pools)...)
	}
	require.Equal(t, order, got)

	got = nil
	var cur *nodemgmt.Cursor
	for range 10 {
		page, err := s.ListPools(ctx, nodemgmt.PoolFilter{Limit: 4, After: cur})
		require.NoError(t, err)
		got = append(got, poolIDs(page.Pools)...)
		if len(page.Pools) < 4 {
			break
		}
		l := page.Pools[len(page.Pools)-1]
		cur = &nodemgmt.Cursor{CreatedAt: l.CreatedAt, ID: l.PoolID}
	}
	require.Equal(t, order, got)
}

func poolIDs(pools []*nodemgmt.Pool) []string {
	out := make([]string, len(pools))
	for i, p := range pools {
		out[i] = p.PoolID
	}
	return out
}

func testAddNodeToPool(t *testing.T, s nodemgmt.Store) {
	mustCreatePool(t, s, SimplePool("pool_ad0001", "target", 2, Base))
	mustCreatePool(t, s, SimplePool("pool_ad0002", "elsewhere", 10, Base))
	mustCreateNode(t, s, MinimalNode("node_ad0001", "n1", "", Base))
	mustCreateNode(t, s, MinimalNode("node_ad0002", "n2", "", Base))
	mustCreateNode(t, s, MinimalNode("node_ad0003", "n3", "", Base))
	mustCreateNode(t, s, MinimalNode("node_ad0004", "n4", "pool_ad0002", Base))
	mustCreateNode(t, s, MinimalNode("node_ad0005", "clash", "pool_ad0001", Base))
	mustCreateNode(t, s, MinimalNode("node_ad0006", "clash", "", Base))

	now := at(time.Hour)
	p, err := s.AddNodeToPool(ctx, "pool_ad0001", "node_ad0001", 70, now)
	require.NoError(t, err)
	assert.Equal(t, 2, p.NodeCount)
	require.Equal(t, mustGetPool(t, s, "pool_ad0001"), p)
	n := mustGetNode(t, s, "node_ad0001")
	assert.Equal(t, "pool_ad0001", n.PoolID)
	assert.Equal(t, Normalize(now), n.UpdatedAt)

	tests := []struct {
		name         string
		pool, node   string
		want         error
		wantNodePool string
	}{
		{"already a member", "pool_ad0001", "node_ad0001", nodemgmt.ErrConflict, "pool_ad0001"},
		{"member elsewhere", "pool_ad0002", "node_ad0001", nodemgmt.ErrConflict, "pool_ad0001"},
		{"member elsewhere, other way", "pool_ad0001", "node_ad0004", nodemgmt.ErrConflict, "pool_ad0002"},
		{"missing pool", "pool_missing", "node_ad0002", nodemgmt.ErrPoolNotFound, ""},
		{"missing node", "pool_ad0002", "node_missing", nodemgmt.ErrNodeNotFound, ""},
		{"full", "pool_ad0001", "node_ad0002", nodemgmt.ErrResourceLimit, ""},
		{"name taken in pool", "pool_ad0002", "node_ad0006", nil, "pool_ad0002"},
	}
	for _, tc := range tests {
		_, err := s.AddNodeToPool(ctx, tc.pool, tc.node, 50, now)
		if tc.want == nil {
			require.NoError(t, err, tc.name)
		} else {
			require.ErrorIs(t, err, tc.want, tc.name)
		}
		if tc.node != "node_missing" {
			assert.Equal(t, tc.wantNodePool, mustGetNode(t, s, tc.node).PoolID, tc.name)
		}
	}
	// node_ad0006 ("clash") joined ad0002; a second "clash" cannot join there.
	_, err = s.RemoveNodeFromPool(ctx, "pool_ad0001", "node_ad0005", now)
	require.NoError(t, err)
	_, err = s.AddNodeToPool(ctx, "pool_ad0002", "node_ad0005", 50, now)
	require.ErrorIs(t, err, nodemgmt.ErrNodeExists)
	assert.Empty(t, mustGetNode(t, s, "node_ad0005").PoolID)

	assert.Equal(t, 1, mustGetPool(t, s, "pool_ad0001").NodeCount)
	assert.Equal(t, 2, mustGetPool(t, s, "pool_ad0002").NodeCount)
	page, err := s.ListNodes(ctx, nodemgmt.NodeFilter{PoolID: "pool_ad0002"})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"node_ad0004", "node_ad0006"}, ids(page.Nodes))
}

func testRemoveNodeFromPool(t *testing.T, s nodemgmt.Store) {
	mustCreatePool(t, s, SimplePool("pool_rm0001", "rm", 10, Base))
	mustCreatePool(t, s, SimplePool("pool_rm0002", "rm-other", 10, Base))
	mustCreateNode(t, s, MinimalNode("node_rm0001", "leaver", "pool_rm0001", Base))
	mustCreateNode(t, s, MinimalNode("node_rm0002", "same", "pool_rm0001", Base))
	mustCreateNode(t, s, MinimalNode("node_rm0003", "same", "", Base))
	mustCreateNode(t, s, MinimalNode("node_rm0004", "poolless", "", Base))

	now := at(2 * time.Hour)
	p, err := s.RemoveNodeFromPool(ctx, "pool_rm0001", "node_rm0001", now)
	require.NoError(t, err)
	assert.Equal(t, 1, p.NodeCount)
	require.Equal(t, mustGetPool(t, s, "pool_rm0001"), p)
	n := mustGetNode(t, s, "node_rm0001")
	assert.Empty(t, n.PoolID)
	assert.Equal(t, Normalize(now), n.UpdatedAt)

	for name, tc := range map[string]struct {
		pool, node string
		want       error
	}{
		"not a member any more": {"pool_rm0001", "node_rm0001", nodemgmt.ErrConflict},
		"never in a pool":       {"pool_rm0001", "node_rm0004", nodemgmt.ErrConflict},
		"member of another":     {"pool_rm0002", "node_rm0002", nodemgmt.ErrConflict},
		"missing pool":          {"pool_missing", "node_rm0002", nodemgmt.ErrPoolNotFound},
		"missing node":          {"pool_rm0001", "node_missing", nodemgmt.ErrNodeNotFound},
		// Leaving would put two "same" nodes in the pool-less namespace.
		"name taken outside": {"pool_rm0001", "node_rm0002", nodemgmt.ErrNodeExists},
	} {
		_, err := s.RemoveNodeFromPool(ctx, tc.pool, tc.node, now)
		require.ErrorIs(t, err, tc.want, name)
	}
	assert.Equal(t, "pool_rm0001", mustGetNode(t, s, "node_rm0002").PoolID)
	assert.Equal(t, 1, mustGetPool(t, s, "pool_rm0001").NodeCount)
}
