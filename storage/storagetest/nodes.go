package storagetest

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

var errBoom = errors.New("boom from the callback")

func testNodeRoundTrip(t *testing.T, s nodemgmt.Store) {
	mustCreatePool(t, s, SimplePool("pool_rt01", "rt-pool", 10, Base))
	for _, n := range []*nodemgmt.Node{
		FullNode("node_rt0001", "full-node", "", at(time.Second)),
		FullNode("node_rt0002", "full-node", "pool_rt01", at(2*time.Second)),
	} {
		want := ExpectedNode(t, n)
		mustCreateNode(t, s, n)
		got := mustGetNode(t, s, n.NodeID)
		require.Equal(t, want, got)
		assert.Equal(t, time.UTC, got.CreatedAt.Location())
		assert.Equal(t, 123456000, got.CreatedAt.Nanosecond(), "microsecond precision")
	}
}

func testNodeMinimalRoundTrip(t *testing.T, s nodemgmt.Store) {
	n := MinimalNode("node_min001", "minimal", "", Base)
	want := ExpectedNode(t, n)
	mustCreateNode(t, s, n)
	got := mustGetNode(t, s, n.NodeID)
	require.Equal(t, want, got)
	assert.Nil(t, got.Location)
	assert.Nil(t, got.Configuration)
	assert.Nil(t, got.LastHeartbeat)
	assert.Nil(t, got.HealthDeadline)
	assert.Nil(t, got.Maintenance)
	assert.Nil(t, got.HardwareInfo.GPU)
	assert.Empty(t, got.PublicKey)
}

func testNodeNoAliasing(t *testing.T, s nodemgmt.Store) {
	n := FullNode("node_alias01", "alias", "", Base)
	want := ExpectedNode(t, n)
	mustCreateNode(t, s, n)

	// The caller keeps using its value after the write.
	n.Name = "changed"
	n.HardwareInfo.Network[0].MACAddress = "00:00:00:00:00:00"
	n.Location.Coordinates.Latitude = 0
	*n.LastHeartbeat = time.Time{}
	n.Configuration.ResourceLimits.CPUPercent = 1
	require.Equal(t, want, mustGetNode(t, s, n.NodeID))

	// A value the store returned is the caller's to change.
	got := mustGetNode(t, s, n.NodeID)
	got.HardwareInfo.Network[0].Interface = "mutated"
	got.HardwareInfo.GPU.Model = "mutated"
	got.Maintenance.Reason = "mutated"
	*got.HealthDeadline = time.Time{}
	require.Equal(t, want, mustGetNode(t, s, n.NodeID))

	// fn's copy is not the stored value: changes made before an error are not kept.
	_, err := s.UpdateNode(ctx, n.NodeID, func(c *nodemgmt.Node) error {
		c.HardwareInfo.Network[0].SpeedMbps = 1
		c.Location.City = "mutated"
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	require.Equal(t, want, mustGetNode(t, s, n.NodeID))

	// The node UpdateNode returns is not shared with the store either.
	upd, err := s.UpdateNode(ctx, n.NodeID, func(c *nodemgmt.Node) error { return nil })
	require.NoError(t, err)
	upd.HardwareInfo.Network[1].Interface = "mutated"
	require.Equal(t, want, mustGetNode(t, s, n.NodeID))
}

func testNodeNotFound(t *testing.T, s nodemgmt.Store) {
	_, err := s.GetNode(ctx, "node_missing")
	require.ErrorIs(t, err, nodemgmt.ErrNodeNotFound)
	assert.NotErrorIs(t, err, nodemgmt.ErrPoolNotFound)

	called := false
	_, err = s.UpdateNode(ctx, "node_missing", func(*nodemgmt.Node) error { called = true; return nil })
	require.ErrorIs(t, err, nodemgmt.ErrNodeNotFound)
	assert.False(t, called)

	err = s.DeleteNode(ctx, "node_missing", func(*nodemgmt.Node) error { called = true; return nil })
	require.ErrorIs(t, err, nodemgmt.ErrNodeNotFound)
	assert.False(t, called)

	var lucid interface{ LucidCode() string }
	require.ErrorAs(t, err, &lucid)
	assert.Equal(t, nodemgmt.CodeNodeNotFound, lucid.LucidCode())
}

func testNodeUniqueness(t *testing.T, s nodemgmt.Store) {
	mustCreatePool(t, s, SimplePool("pool_uniq_a", "uniq-a", 10, Base))
	mustCreatePool(t, s, SimplePool("pool_uniq_b", "uniq-b", 10, Base))
	mustCreateNode(t, s, MinimalNode("node_u0001", "alpha", "", Base))

	tests := []struct {
		name string
		node *nodemgmt.Node
		want error
	}{
		{"duplicate id", MinimalNode("node_u0001", "other-name", "", Base), nodemgmt.ErrNodeExists},
		{"duplicate id in other pool", MinimalNode("node_u0001", "other-name", "pool_uniq_a", Base), nodemgmt.ErrNodeExists},
		{"duplicate name without pool", MinimalNode("node_u0002", "alpha", "", Base), nodemgmt.ErrNodeExists},
		{"same name in pool a", MinimalNode("node_u0003", "alpha", "pool_uniq_a", Base), nil},
		{"same name in pool b", MinimalNode("node_u0004", "alpha", "pool_uniq_b", Base), nil},
		{"duplicate name in pool a", MinimalNode("node_u0005", "alpha", "pool_uniq_a", Base), nodemgmt.ErrNodeExists},
		{"names are case-sensitive", MinimalNode("node_u0006", "Alpha", "", Base), nil},
		{"unknown pool", MinimalNode("node_u0007", "beta", "pool_missing", Base), nodemgmt.ErrPoolNotFound},
	}
	for _, tc := range tests {
		err := s.CreateNode(ctx, tc.node)
		if tc.want == nil {
			require.NoError(t, err, tc.name)
			continue
		}
		require.ErrorIs(t, err, tc.want, tc.name)
	}
	// The refused writes left nothing behind.
	page, err := s.ListNodes(ctx, nodemgmt.NodeFilter{})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"node_u0001", "node_u0003", "node_u0004", "node_u0006"}, ids(page.Nodes))
	assert.Equal(t, "alpha", mustGetNode(t, s, "node_u0001").Name)
	assert.Equal(t, 1, mustGetPool(t, s, "pool_uniq_a").NodeCount)
}

func testCreateNodeInPool(t *testing.T, s nodemgmt.Store) {
	mustCreatePool(t, s, SimplePool("pool_cap01", "cap", 2, Base))
	mustCreateNode(t, s, MinimalNode("node_c0001", "one", "pool_cap01", Base))
	mustCreateNode(t, s, MinimalNode("node_c0002", "two", "pool_cap01", Base))
	err := s.CreateNode(ctx, MinimalNode("node_c0003", "three", "pool_cap01", Base))
	require.ErrorIs(t, err, nodemgmt.ErrResourceLimit)
	_, err = s.GetNode(ctx, "node_c0003")
	require.ErrorIs(t, err, nodemgmt.ErrNodeNotFound)
	assert.Equal(t, 2, mustGetPool(t, s, "pool_cap01").NodeCount)
	assert.Equal(t, "pool_cap01", mustGetNode(t, s, "node_c0001").PoolID)
}

func testUpdateNode(t *testing.T, s nodemgmt.Store) {
	n := MinimalNode("node_up0001", "before", "", Base)
	mustCreateNode(t, s, n)
	hb := at(time.Hour)
	got, err := s.UpdateNode(ctx, n.NodeID, func(c *nodemgmt.Node) error {
		require.Equal(t, ExpectedNode(t, n), c, "fn sees the stored node")
		c.Name = "after"
		c.Status = nodemgmt.StatusActive
		c.Health = nodemgmt.HealthHealthy
		c.LastHeartbeat = &hb
		c.HealthDeadline = ptrTime(hb.Add(90 * time.Second))
		c.Location = &nodemgmt.Location{Country: "FR", Coordinates: &nodemgmt.Coordinates{Latitude: -1.5, Longitude: 2.25}}
		c.Configuration = &nodemgmt.Configuration{MaxSessions: 7}
		c.HardwareInfo.GPU = &nodemgmt.GPUInfo{Model: "T4", MemoryBytes: nodemgmt.GiB}
		c.HardwareInfo.Signature = "sig-2"
		c.PublicKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
		c.PootScore = 99.99
		c.StatusReason = "why"
		c.Maintenance = &nodemgmt.MaintenanceInfo{By: "me", Since: hb}
		c.UpdatedAt = hb
		return nil
	})
	require.NoError(t, err)
	stored := mustGetNode(t, s, n.NodeID)
	require.Equal(t, stored, got, "UpdateNode returns the stored node")
	assert.Equal(t, "after", stored.Name)
	assert.Equal(t, nodemgmt.StatusActive, stored.Status)
	assert.Equal(t, Normalize(hb), *stored.LastHeartbeat)
	assert.Equal(t, Normalize(hb), stored.UpdatedAt)
	assert.Equal(t, 99.99, stored.PootScore)
	assert.Equal(t, "sig-2", stored.HardwareInfo.Signature)
	assert.Equal(t, "T4", stored.HardwareInfo.GPU.Model)
	assert.Equal(t, 2.25, stored.Location.Coordinates.Longitude)

	// Optional parts can be cleared again.
	got, err = s.UpdateNode(ctx, n.NodeID, func(c *nodemgmt.Node) error {
		c.Location, c.Configuration, c.Maintenance, c.LastHeartbeat, c.HealthDeadline = nil, nil, nil, nil, nil
		c.PublicKey, c.HardwareInfo.GPU, c.HardwareInfo.Signature = "", nil, ""
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, mustGetNode(t, s, n.NodeID), got)
	assert.Nil(t, got.Location)
	assert.Nil(t, got.LastHeartbeat)
	assert.Empty(t, got.PublicKey)
	assert.Nil(t, got.HardwareInfo.GPU)
}

func testUpdateNodeFnError(t *testing.T, s nodemgmt.Store) {
	n := FullNode("node_fe0001", "fn-error", "", Base)
	want := ExpectedNode(t, n)
	mustCreateNode(t, s, n)
	domainErr := &nodemgmt.Error{Code: nodemgmt.CodeInvalidStatus, Message: "refused by rule"}
	for _, fnErr := range []error{errBoom, domainErr} {
		got, err := s.UpdateNode(ctx, n.NodeID, func(c *nodemgmt.Node) error {
			c.Name = "written-anyway"
			c.Status = nodemgmt.StatusError
			c.HardwareInfo.Network = nil
			return fnErr
		})
		require.True(t, err == fnErr, "fn's error is returned unchanged, got %v", err)
		assert.Nil(t, got)
		require.Equal(t, want, mustGetNode(t, s, n.NodeID), "nothing written")
	}
}

func testUpdateNodeRename(t *testing.T, s nodemgmt.Store) {
	mustCreatePool(t, s, SimplePool("pool_ren01", "ren", 10, Base))
	mustCreateNode(t, s, MinimalNode("node_r0001", "taken", "", Base))
	mustCreateNode(t, s, MinimalNode("node_r0002", "free", "", Base))
	mustCreateNode(t, s, MinimalNode("node_r0003", "pooled", "pool_ren01", Base))

	_, err := s.UpdateNode(ctx, "node_r0002", func(c *nodemgmt.Node) error { c.Name = "taken"; return nil })
	require.ErrorIs(t, err, nodemgmt.ErrNodeExists)
	assert.Equal(t, "free", mustGetNode(t, s, "node_r0002").Name)

	// A name used in another pool is free in this namespace.
	got, err := s.UpdateNode(ctx, "node_r0002", func(c *nodemgmt.Node) error { c.Name = "pooled"; return nil })
	require.NoError(t, err)
	assert.Equal(t, "pooled", got.Name)

	// The old name is released.
	_, err = s.UpdateNode(ctx, "node_r0001", func(c *nodemgmt.Node) error { c.Name = "free"; return nil })
	require.NoError(t, err)
	// Keeping one's own name is not a conflict.
	_, err = s.UpdateNode(ctx, "node_r0001", func(c *nodemgmt.Node) error { c.Name = "free"; c.PootScore = 1; return nil })
	require.NoError(t, err)
}

func testUpdateNodeImmutable(t *testing.T, s nodemgmt.Store) {
	mustCreatePool(t, s, SimplePool("pool_imm01", "imm", 10, Base))
	n := MinimalNode("node_im0001", "immutable", "", Base)
	want := ExpectedNode(t, n)
	mustCreateNode(t, s, n)
	for name, fn := range map[string]func(c *nodemgmt.Node){
		"node id": func(c *nodemgmt.Node) { c.NodeID = "node_im0002" },
		"pool id": func(c *nodemgmt.Node) { c.PoolID = "pool_imm01" },
	} {
		_, err := s.UpdateNode(ctx, n.NodeID, func(c *nodemgmt.Node) error { fn(c); c.Name = "x-changed"; return nil })
		require.Error(t, err, name)
		require.Equal(t, want, mustGetNode(t, s, n.NodeID), name)
	}
	_, err := s.GetNode(ctx, "node_im0002")
	require.ErrorIs(t, err, nodemgmt.ErrNodeNotFound)
	assert.Equal(t, 0, mustGetPool(t, s, "pool_imm01").NodeCount)
}

func testDeleteNode(t *testing.T, s nodemgmt.Store) {
	mustCreatePool(t, s, SimplePool("pool_del01", "del", 10, Base))
	n := FullNode("node_d0001", "doomed", "pool_del01", Base)
	want := ExpectedNode(t, n)
	mustCreateNode(t, s, n)
	require.Equal(t, 1, mustGetPool(t, s, "pool_del01").NodeCount)

	var seen *nodemgmt.Node
	err := s.DeleteNode(ctx, n.NodeID, func(c *nodemgmt.Node) error { seen = c; return errBoom })
	require.True(t, err == errBoom, "check's error is returned unchanged, got %v", err)
	require.Equal(t, want, seen, "check sees the current node")
	require.Equal(t, want, mustGetNode(t, s, n.NodeID))

	require.NoError(t, s.DeleteNode(ctx, n.NodeID, func(*nodemgmt.Node) error { return nil }))
	_, err = s.GetNode(ctx, n.NodeID)
	require.ErrorIs(t, err, nodemgmt.ErrNodeNotFound)
	assert.Equal(t, 0, mustGetPool(t, s, "pool_del01").NodeCount)
	err = s.DeleteNode(ctx, n.NodeID, func(*nodemgmt.Node) error { return nil })
	require.ErrorIs(t, err, nodemgmt.ErrNodeNotFound)

	// The id and the name can be used again.
	mustCreateNode(t, s, MinimalNode("node_d0001", "doomed", "pool_del01", Base))
	assert.Equal(t, 1, mustGetPool(t, s, "pool_del01").NodeCount)
}

func testUpdateNodePanics(t *testing.T, s nodemgmt.Store) {
	n := MinimalNode("node_pn0001", "panicky", "", Base)
	want := ExpectedNode(t, n)
	mustCreateNode(t, s, n)
	func() {
		defer func() { require.NotNil(t, recover(), "the callback's panic reaches the caller") }()
		_, _ = s.UpdateNode(ctx, n.NodeID, func(c *nodemgmt.Node) error {
			c.Name = "half-done"
			panic("callback bug")
		})
	}()
	require.Equal(t, want, mustGetNode(t, s, n.NodeID), "nothing written")
	// The store is still usable for writes.
	got, err := s.UpdateNode(ctx, n.NodeID, func(c *nodemgmt.Node) error { c.Name = "recovered"; return nil })
	require.NoError(t, err)
	assert.Equal(t, "recovered", got.Name)
	require.NoError(t, s.DeleteNode(ctx, n.NodeID, nil))
}
