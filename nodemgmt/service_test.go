package nodemgmt_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/memory"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var admin = nodemgmt.Actor{Subject: "admin-1", Role: "admin"}

const (
	ttl     = 90 * time.Second
	grace   = 60 * time.Second
	restart = 5 * time.Minute
)

func newService(t *testing.T) (*nodemgmt.Service, *clock, *memory.Store) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	st := memory.New()
	svc := nodemgmt.NewService(st, nodemgmt.Config{HeartbeatTTL: ttl, HeartbeatGrace: grace, RestartTTL: restart, Now: clk.Now})
	return svc, clk, st
}

func createNode(t *testing.T, svc *nodemgmt.Service, name, pool string) *nodemgmt.Node {
	t.Helper()
	n, err := svc.CreateNode(context.Background(), admin, nodemgmt.CreateNodeRequest{
		Name: name, PoolID: pool,
		HardwareInfo: nodemgmt.HardwareInfo{
			CPU:     nodemgmt.CPUInfo{Cores: 4},
			Memory:  nodemgmt.MemoryInfo{TotalBytes: 8 * nodemgmt.GiB},
			Storage: nodemgmt.StorageInfo{TotalBytes: 100_000_000_000, Type: "SSD"},
			Network: []nodemgmt.NetworkInfo{{Interface: "eth0", SpeedMbps: 1000}},
		},
	})
	require.NoError(t, err)
	return n
}

func TestLifecycleThroughService(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, _, _ := newService(t)
	n := createNode(t, svc, "worker-a", "")
	assert.Equal(t, nodemgmt.StatusInactive, n.Status)
	assert.Equal(t, nodemgmt.HealthUnknown, n.Health)

	// stopping an inactive node is a no-op answer, not an error
	res, err := svc.StopNode(ctx, admin, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, "already inactive", res.Message)

	// a node that never heartbeated stays starting until its first heartbeat
	res, err = svc.StartNode(ctx, admin, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.StatusStarting, res.Status)
	ack, err := svc.Heartbeat(ctx, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.StatusActive, ack.Status)
	assert.Equal(t, 90, ack.TTLSeconds)

	res, err = svc.StartNode(ctx, admin, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, "already active", res.Message)

	err = svc.DeleteNode(ctx, admin, n.NodeID)
	require.ErrorIs(t, err, nodemgmt.ErrInvalidStatus, "an active node cannot be deleted")

	// restart of a healthy node ends active again
	res, err = svc.RestartNode(ctx, admin, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.StatusActive, res.Status)

	res, err = svc.StopNode(ctx, admin, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.StatusInactive, res.Status)
	require.NoError(t, svc.DeleteNode(ctx, admin, n.NodeID))
	_, err = svc.GetNode(ctx, n.NodeID)
	require.ErrorIs(t, err, nodemgmt.ErrNodeNotFound)

	// every operation left an audit entry, failures with their code
	entries, err := svc.Audit(ctx, nodemgmt.AuditFilter{Target: n.NodeID})
	require.NoError(t, err)
	results := map[string]string{}
	for _, e := range entries {
		results[e.Action+":"+e.Result] = e.Actor
	}
	assert.Contains(t, results, "delete:"+nodemgmt.CodeInvalidStatus)
	assert.Contains(t, results, "delete:ok")
	assert.Contains(t, results, "start:ok")
	assert.Equal(t, "admin-1", results["restart:ok"])
}

func TestMaintenanceRecordsWhoAndWhy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, clk, _ := newService(t)
	n := createNode(t, svc, "worker-m", "")
	_, err := svc.EnterMaintenance(ctx, admin, n.NodeID, nodemgmt.MaintenanceRequest{})
	require.ErrorIs(t, err, nodemgmt.ErrValidation, "a reason is required")

	got, err := svc.EnterMaintenance(ctx, admin, n.NodeID, nodemgmt.MaintenanceRequest{Reason: "disk swap", Drain: true})
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.StatusMaintenance, got.Status)
	require.NotNil(t, got.Maintenance)
	assert.Equal(t, "admin-1", got.Maintenance.By)
	assert.Equal(t, "disk swap", got.Maintenance.Reason)
	assert.True(t, got.Maintenance.Drain)
	assert.True(t, got.Maintenance.Since.Equal(clk.Now()))

	_, err = svc.StartNode(ctx, admin, n.NodeID)
	require.ErrorIs(t, err, nodemgmt.ErrInvalidStatus, "start is refused during maintenance")

	got, err = svc.ExitMaintenance(ctx, admin, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.StatusInactive, got.Status)
	assert.Nil(t, got.Maintenance)
}

func TestReaperTTLGraceAndRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, clk, _ := newService(t)
	n := createNode(t, svc, "worker-r", "")
	_, err := svc.Heartbeat(ctx, n.NodeID)
	require.NoError(t, err)

	health := func() nodemgmt.Health {
		got, err := svc.GetNode(ctx, n.NodeID)
		require.NoError(t, err)
		return got.Health
	}

	clk.Advance(ttl) // exactly at the deadline: still healthy
	st, err := svc.ReapHealth(ctx)
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.ReapStats{}, st)
	assert.Equal(t, nodemgmt.HealthHealthy, health())

	clk.Advance(time.Second)
	st, err = svc.ReapHealth(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Unknown)
	assert.Equal(t, nodemgmt.HealthUnknown, health())

	clk.Advance(grace - time.Second) // deadline + grace exactly: not yet down
	_, err = svc.ReapHealth(ctx)
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.HealthUnknown, health())

	clk.Advance(time.Second + time.Millisecond)
	st, err = svc.ReapHealth(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Down)
	assert.Equal(t, nodemgmt.HealthDown, health())

	// a heartbeat brings it back
	_, err = svc.Heartbeat(ctx, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.HealthHealthy, health())

	// the server was away for ten minutes: after restart the fleet gets RestartTTL, not "down"
	clk.Advance(10 * time.Minute)
	changed, err := svc.PrepareAfterRestart(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, changed)
	st, err = svc.ReapHealth(ctx)
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.ReapStats{}, st)
	assert.Equal(t, nodemgmt.HealthHealthy, health())

	clk.Advance(restart - time.Second)
	_, err = svc.ReapHealth(ctx)
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.HealthHealthy, health(), "still within the restart TTL")

	clk.Advance(2 * time.Second)
	_, err = svc.ReapHealth(ctx)
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.HealthUnknown, health(), "a node that does not come back after the restart TTL turns unknown")
}

func TestReaperMarksSilentNewNodeDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, clk, _ := newService(t)
	n := createNode(t, svc, "worker-silent", "")
	clk.Advance(ttl + grace + time.Second)
	st, err := svc.ReapHealth(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Down)
	got, err := svc.GetNode(ctx, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.HealthDown, got.Health)
}

func TestRunReaperReapsUntilCancelled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, clk, _ := newService(t)
	n := createNode(t, svc, "worker-l", "")
	clk.Advance(ttl + grace + time.Second)

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { svc.RunReaper(runCtx, 5*time.Millisecond); close(done) }()
	require.Eventually(t, func() bool {
		got, err := svc.GetNode(ctx, n.NodeID)
		return err == nil && got.Health == nodemgmt.HealthDown
	}, 2*time.Second, 5*time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("RunReaper did not stop when its context ended")
	}
}

func TestPoolsThroughService(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, _, _ := newService(t)
	p, err := svc.CreatePool(ctx, admin, nodemgmt.CreatePoolRequest{Name: "pool-a", MaxNodes: 2})
	require.NoError(t, err)
	_, err = svc.CreatePool(ctx, admin, nodemgmt.CreatePoolRequest{Name: "pool-a"})
	require.ErrorIs(t, err, nodemgmt.ErrPoolExists)
	_, err = svc.CreatePool(ctx, admin, nodemgmt.CreatePoolRequest{Name: "scaler", AutoScaling: true})
	require.ErrorIs(t, err, nodemgmt.ErrValidation, "auto scaling needs a policy")

	a := createNode(t, svc, "same-name", p.PoolID)
	b := createNode(t, svc, "node-b", "")
	c := createNode(t, svc, "node-c", "")
	// the same name is fine outside the pool, not inside it
	d := createNode(t, svc, "same-name", "")
	_, err = svc.AddNodeToPool(ctx, admin, p.PoolID, nodemgmt.AddPoolNodeRequest{NodeID: d.NodeID})
	require.ErrorIs(t, err, nodemgmt.ErrNodeExists)

	got, err := svc.AddNodeToPool(ctx, admin, p.PoolID, nodemgmt.AddPoolNodeRequest{NodeID: b.NodeID, Priority: new(10)})
	require.NoError(t, err)
	assert.Equal(t, 2, got.NodeCount)
	_, err = svc.AddNodeToPool(ctx, admin, p.PoolID, nodemgmt.AddPoolNodeRequest{NodeID: c.NodeID})
	require.ErrorIs(t, err, nodemgmt.ErrResourceLimit, "the pool is full")
	_, err = svc.AddNodeToPool(ctx, admin, p.PoolID, nodemgmt.AddPoolNodeRequest{NodeID: c.NodeID, Priority: new(101)})
	require.ErrorIs(t, err, nodemgmt.ErrValidation)

	two := 1
	_, err = svc.UpdatePool(ctx, admin, p.PoolID, nodemgmt.UpdatePoolRequest{MaxNodes: &two})
	require.ErrorIs(t, err, nodemgmt.ErrResourceLimit, "max_nodes below the member count")

	require.Error(t, svc.DeletePool(ctx, admin, p.PoolID), "a pool with nodes cannot be deleted")

	// moving a node out through PUT pool_id: refused while its name is taken outside, and the
	// node stays a member of its pool
	empty := ""
	_, err = svc.UpdateNode(ctx, admin, a.NodeID, nodemgmt.UpdateNodeRequest{PoolID: &empty})
	require.ErrorIs(t, err, nodemgmt.ErrNodeExists)
	still, err := svc.GetNode(ctx, a.NodeID)
	require.NoError(t, err)
	assert.Equal(t, p.PoolID, still.PoolID)
	require.NoError(t, svc.DeleteNode(ctx, admin, d.NodeID))
	moved, err := svc.UpdateNode(ctx, admin, a.NodeID, nodemgmt.UpdateNodeRequest{PoolID: &empty})
	require.NoError(t, err)
	assert.Empty(t, moved.PoolID)
	_, err = svc.RemoveNodeFromPool(ctx, admin, p.PoolID, b.NodeID)
	require.NoError(t, err)
	got, err = svc.GetPool(ctx, p.PoolID)
	require.NoError(t, err)
	assert.Equal(t, 0, got.NodeCount)
	require.NoError(t, svc.DeletePool(ctx, admin, p.PoolID))
	_, err = svc.GetPool(ctx, p.PoolID)
	require.ErrorIs(t, err, nodemgmt.ErrPoolNotFound)
}

func TestListNodesPagesAndCursor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, clk, _ := newService(t)
	var ids []string
	for i := 0; i < 7; i++ {
		clk.Advance(time.Second)
		ids = append(ids, createNode(t, svc, "n-"+string(rune('a'+i))+"xx", "").NodeID)
	}
	page, err := svc.ListNodes(ctx, nodemgmt.NodeQuery{ListQuery: nodemgmt.ListQuery{Page: 2, Limit: 3}})
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.Pagination{Page: 2, Limit: 3, Total: 7, Pages: 3, NextCursor: page.Pagination.NextCursor}, page.Pagination)
	require.Len(t, page.Nodes, 3)
	assert.Equal(t, ids[3], page.Nodes[0].NodeID)

	// walk by cursor while a node is inserted: nothing is skipped or repeated
	var seen []string
	q := nodemgmt.NodeQuery{ListQuery: nodemgmt.ListQuery{Limit: 3}}
	for {
		p, err := svc.ListNodes(ctx, q)
		require.NoError(t, err)
		for _, n := range p.Nodes {
			seen = append(seen, n.NodeID)
		}
		if len(seen) == 3 {
			clk.Advance(time.Second)
			ids = append(ids, createNode(t, svc, "late-node", "").NodeID)
		}
		if p.Pagination.NextCursor == "" {
			break
		}
		q.Cursor = p.Pagination.NextCursor
	}
	assert.Equal(t, ids, seen)

	_, err = svc.ListNodes(ctx, nodemgmt.NodeQuery{ListQuery: nodemgmt.ListQuery{Limit: 101}})
	require.ErrorIs(t, err, nodemgmt.ErrValidation)
	_, err = svc.ListNodes(ctx, nodemgmt.NodeQuery{Status: "sleeping"})
	require.ErrorIs(t, err, nodemgmt.ErrValidation)
	_, err = svc.ListNodes(ctx, nodemgmt.NodeQuery{ListQuery: nodemgmt.ListQuery{Cursor: "garbage!"}})
	require.ErrorIs(t, err, nodemgmt.ErrValidation)
}

func TestUptimeCountsOnlyCoveredTime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, clk, _ := newService(t)
	n := createNode(t, svc, "worker-up", "")
	for i := 0; i <= 10; i++ { // 300 s covered by heartbeats every 30 s
		_, err := svc.Heartbeat(ctx, n.NodeID)
		require.NoError(t, err)
		clk.Advance(30 * time.Second)
	}
	clk.Advance(270 * time.Second) // silent for 300 s in all: longer than the TTL, not counted
	_, err := svc.Heartbeat(ctx, n.NodeID)
	require.NoError(t, err)
	got, err := svc.GetNode(ctx, n.NodeID)
	require.NoError(t, err)
	assert.EqualValues(t, 300, got.UpSeconds)
	assert.InDelta(t, 0.5, got.Uptime(clk.Now()), 1e-9)
	fresh := createNode(t, svc, "worker-new", "")
	assert.Zero(t, fresh.Uptime(clk.Now()), "no heartbeat, no uptime")
}

func TestFailedUpdateUndoesPoolMove(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, _, _ := newService(t)
	p, err := svc.CreatePool(ctx, admin, nodemgmt.CreatePoolRequest{Name: "pool-undo"})
	require.NoError(t, err)
	n := createNode(t, svc, "mover", "")
	zero := 0
	_, err = svc.AddNodeToPool(ctx, admin, p.PoolID, nodemgmt.AddPoolNodeRequest{NodeID: n.NodeID, Priority: &zero})
	require.ErrorIs(t, err, nodemgmt.ErrValidation, "an explicit priority 0 is out of range")

	// the move is allowed but the status change is not: nothing of the request may stick
	active := nodemgmt.StatusActive
	_, err = svc.UpdateNode(ctx, admin, n.NodeID, nodemgmt.UpdateNodeRequest{PoolID: &p.PoolID, Status: &active})
	require.ErrorIs(t, err, nodemgmt.ErrInvalidStatus)
	got, err := svc.GetNode(ctx, n.NodeID)
	require.NoError(t, err)
	assert.Empty(t, got.PoolID)
	pool, err := svc.GetPool(ctx, p.PoolID)
	require.NoError(t, err)
	assert.Zero(t, pool.NodeCount)
}
