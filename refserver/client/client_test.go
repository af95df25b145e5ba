package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/refserver"
	"github.com/hamigames/lucid-node-management/refserver/auth"
)

func TestNew(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"http://localhost:8083", true},
		{"https://lucid.example.com/prefix/", true},
		{"ftp://x", false},
		{"localhost:8083", false},
		{"http://", false},
		{"http://h/?q=1", false},
		{"http://h/%zz", false},
	} {
		_, err := New(tc.url)
		assert.Equal(t, tc.ok, err == nil, "%s: %v", tc.url, err)
	}
}

func TestNodesLifecycle(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	c := e.client(t)
	ctx := context.Background()

	n, err := c.Nodes.Create(ctx, nodeReq("alpha-1"))
	require.NoError(t, err)
	require.True(t, nodemgmt.ValidNodeID(n.NodeID), n.NodeID)
	assert.Equal(t, nodemgmt.StatusInactive, n.Status)

	got, err := c.Nodes.Get(ctx, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, "alpha-1", got.Name)
	assert.Equal(t, 8, got.HardwareInfo.CPU.Cores)

	name := "alpha-renamed"
	up, err := c.Nodes.Update(ctx, n.NodeID, nodemgmt.UpdateNodeRequest{Name: &name})
	require.NoError(t, err)
	assert.Equal(t, name, up.Name)

	// A heartbeat proves the node is up, so the start completes at once.
	ack, err := c.Nodes.Heartbeat(ctx, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.HealthHealthy, ack.Health)
	assert.Positive(t, ack.TTLSeconds)
	assert.True(t, ack.Deadline.After(e.clock.Now()))

	res, err := c.Nodes.Start(ctx, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.StatusActive, res.Status)
	require.NotNil(t, res.StartedAt)

	again, err := c.Nodes.Start(ctx, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, "already active", again.Message)

	// Deleting an active node is refused with the lifecycle code.
	err = c.Nodes.Delete(ctx, n.NodeID)
	require.Error(t, err)
	assert.True(t, errors.Is(err, nodemgmt.ErrInvalidStatus), "%v", err)

	m, err := c.Nodes.EnterMaintenance(ctx, n.NodeID, nodemgmt.MaintenanceRequest{Reason: "disk swap", Drain: true})
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.StatusMaintenance, m.Status)
	require.NotNil(t, m.Maintenance)
	assert.Equal(t, "disk swap", m.Maintenance.Reason)

	m, err = c.Nodes.ExitMaintenance(ctx, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.StatusInactive, m.Status)
	assert.Nil(t, m.Maintenance)
	_, err = c.Nodes.ExitMaintenance(ctx, n.NodeID)
	assert.ErrorIs(t, err, nodemgmt.ErrInvalidStatus, "not in maintenance: %v", err)

	rs, err := c.Nodes.Restart(ctx, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.StatusActive, rs.Status)

	st, err := c.Nodes.Stop(ctx, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.StatusInactive, st.Status)

	require.NoError(t, c.Nodes.Delete(ctx, n.NodeID))
	_, err = c.Nodes.Get(ctx, n.NodeID)
	require.Error(t, err)
	assert.True(t, IsNotFound(err))
	assert.True(t, errors.Is(err, nodemgmt.ErrNodeNotFound))
	assert.False(t, errors.Is(err, nodemgmt.ErrPoolNotFound))
	assert.Equal(t, CodeNodeNotFound, CodeOf(err))

	entries, err := c.Audit(ctx, AuditOptions{Category: "node", Target: n.NodeID, Since: time.Now().Add(-time.Hour)})
	require.NoError(t, err)
	actions := map[string]bool{}
	for _, en := range entries {
		assert.Equal(t, n.NodeID, en.Target)
		actions[en.Action] = true
	}
	for _, a := range []string{"create", "start", "stop", "delete"} {
		assert.True(t, actions[a], "audit lacks %s: %v", a, actions)
	}
	limited, err := c.Audit(ctx, AuditOptions{Limit: 2})
	require.NoError(t, err)
	assert.Len(t, limited, 2)
}

func TestEmptyIDsAreRefusedLocally(t *testing.T) {
	t.Parallel()
	c, err := New("http://127.0.0.1:1") // nothing listens: any request would fail differently
	require.NoError(t, err)
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"get":        func() error { _, err := c.Nodes.Get(ctx, ""); return err },
		"delete":     func() error { return c.Nodes.Delete(ctx, "") },
		"start":      func() error { _, err := c.Nodes.Start(ctx, ""); return err },
		"heartbeat":  func() error { _, err := c.Nodes.Heartbeat(ctx, ""); return err },
		"pool get":   func() error { _, err := c.Pools.Get(ctx, ""); return err },
		"pool del":   func() error { return c.Pools.Delete(ctx, "") },
		"pool rm":    func() error { _, err := c.Pools.RemoveNode(ctx, "pool_abcdef", ""); return err },
		"pool rm p":  func() error { _, err := c.Pools.RemoveNode(ctx, "", "node_abcdef"); return err },
		"pool add p": func() error { _, err := c.Pools.AddNode(ctx, "", nodemgmt.AddPoolNodeRequest{}); return err },
	} {
		assert.ErrorIs(t, call(), errNoID, name)
	}
}

func TestPathSegmentsAreEscaped(t *testing.T) {
	t.Parallel()
	var paths []string
	e := newTestEnv(t, envOpt{wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			paths = append(paths, r.URL.EscapedPath())
			h.ServeHTTP(w, r)
		})
	}})
	c := e.client(t)
	_, err := c.Nodes.Get(context.Background(), "pools/x")
	require.Error(t, err)
	require.Equal(t, []string{"/api/v1/nodes/pools%2Fx"}, paths)
	// The id stays one segment: never the pool listing route.
	assert.NotEqual(t, http.StatusOK, StatusOf(err))
}

func TestPools(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	c := e.client(t)
	ctx := context.Background()

	p, err := c.Pools.Create(ctx, nodemgmt.CreatePoolRequest{Name: "gpu-pool", Description: "GPU workers", MaxNodes: 2,
		Pricing: &nodemgmt.Pricing{CostPerHour: "0.125", Currency: "USDT"}})
	require.NoError(t, err)
	assert.Equal(t, 2, p.MaxNodes)
	assert.Equal(t, nodemgmt.Decimal("0.125"), p.Pricing.CostPerHour)

	_, err = c.Pools.Create(ctx, nodemgmt.CreatePoolRequest{Name: "gpu-pool"})
	require.Error(t, err)
	assert.True(t, IsConflict(err))
	assert.ErrorIs(t, err, nodemgmt.ErrPoolExists)

	got, err := c.Pools.Get(ctx, p.PoolID)
	require.NoError(t, err)
	assert.Equal(t, "GPU workers", got.Description)

	desc := "GPU workers, EU"
	up, err := c.Pools.Update(ctx, p.PoolID, nodemgmt.UpdatePoolRequest{Description: &desc})
	require.NoError(t, err)
	assert.Equal(t, desc, up.Description)

	var ids []string
	for i := range 3 {
		n, err := c.Nodes.Create(ctx, nodeReq(fmt.Sprintf("member-%d", i)))
		require.NoError(t, err)
		ids = append(ids, n.NodeID)
	}
	for _, id := range ids[:2] {
		p, err = c.Pools.AddNode(ctx, p.PoolID, nodemgmt.AddPoolNodeRequest{NodeID: id, Priority: new(60)})
		require.NoError(t, err)
	}
	assert.Equal(t, 2, p.NodeCount)
	_, err = c.Pools.AddNode(ctx, p.PoolID, nodemgmt.AddPoolNodeRequest{NodeID: ids[2]})
	require.Error(t, err)
	assert.ErrorIs(t, err, nodemgmt.ErrResourceLimit)

	members, err := c.Nodes.List(ctx, NodeListOptions{PoolID: p.PoolID})
	require.NoError(t, err)
	assert.Equal(t, 2, members.Pagination.Total)

	err = c.Pools.Delete(ctx, p.PoolID)
	assert.Equal(t, CodeConflict, CodeOf(err), "a pool with nodes cannot be deleted: %v", err)
	_, err = c.Pools.AddNode(ctx, p.PoolID, nodemgmt.AddPoolNodeRequest{NodeID: ids[0]})
	assert.Equal(t, CodeConflict, CodeOf(err), "already a member: %v", err)
	_, err = c.Pools.RemoveNode(ctx, p.PoolID, ids[2])
	assert.Equal(t, CodeConflict, CodeOf(err), "not a member: %v", err)
	two := 1
	_, err = c.Pools.Update(ctx, p.PoolID, nodemgmt.UpdatePoolRequest{MaxNodes: &two})
	assert.ErrorIs(t, err, nodemgmt.ErrResourceLimit, "max_nodes below members: %v", err)

	for _, id := range ids[:2] {
		p, err = c.Pools.RemoveNode(ctx, p.PoolID, id)
		require.NoError(t, err)
	}
	assert.Equal(t, 0, p.NodeCount)

	list, err := c.Pools.List(ctx, ListOptions{Page: 1, Limit: 10})
	require.NoError(t, err)
	require.Len(t, list.Pools, 1)
	assert.Equal(t, 1, list.Pagination.Total)

	require.NoError(t, c.Pools.Delete(ctx, p.PoolID))
	_, err = c.Pools.Get(ctx, p.PoolID)
	assert.ErrorIs(t, err, nodemgmt.ErrPoolNotFound)
	assert.True(t, IsNotFound(err))
}

func TestListFiltersAndIterator(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	c := e.client(t)
	ctx := context.Background()
	const total = 23
	want := map[string]bool{}
	for i := range total {
		n, err := c.Nodes.Create(ctx, nodeReq(fmt.Sprintf("walk-%02d", i)))
		require.NoError(t, err)
		want[n.NodeID] = true
		if i%3 == 0 {
			_, err = c.Nodes.Start(ctx, n.NodeID)
			require.NoError(t, err)
		}
		e.clock.Advance(time.Millisecond) // distinct created_at
	}

	page, err := c.Nodes.List(ctx, NodeListOptions{ListOptions: ListOptions{Page: 2, Limit: 10}})
	require.NoError(t, err)
	assert.Len(t, page.Nodes, 10)
	assert.Equal(t, 2, page.Pagination.Page)
	assert.Equal(t, total, page.Pagination.Total)
	assert.Equal(t, 3, page.Pagination.Pages)

	starting, err := c.Nodes.List(ctx, NodeListOptions{Status: nodemgmt.StatusStarting})
	require.NoError(t, err)
	assert.Equal(t, 8, starting.Pagination.Total)
	_, err = c.Nodes.Heartbeat(ctx, starting.Nodes[0].NodeID)
	require.NoError(t, err)
	healthy, err := c.Nodes.List(ctx, NodeListOptions{Health: nodemgmt.HealthHealthy})
	require.NoError(t, err)
	require.Len(t, healthy.Nodes, 1)
	assert.Equal(t, starting.Nodes[0].NodeID, healthy.Nodes[0].NodeID)

	t.Run("walks every page once", func(t *testing.T) {
		seen := map[string]int{}
		requests := 0
		for n, err := range c.Nodes.All(ctx, NodeListOptions{ListOptions: ListOptions{Limit: 5, Page: 3}}) {
			require.NoError(t, err)
			seen[n.NodeID]++
			requests++
		}
		assert.Len(t, seen, total)
		for id, k := range seen {
			assert.True(t, want[id])
			assert.Equal(t, 1, k, id)
		}
	})
	t.Run("inserts during the walk do not repeat or skip old nodes", func(t *testing.T) {
		seen := map[string]bool{}
		i := 0
		for n, err := range c.Nodes.All(ctx, NodeListOptions{ListOptions: ListOptions{Limit: 4}}) {
			require.NoError(t, err)
			require.False(t, seen[n.NodeID], "repeated %s", n.NodeID)
			seen[n.NodeID] = true
			if i == 2 {
				_, err := c.Nodes.Create(ctx, nodeReq("walk-inserted"))
				require.NoError(t, err)
			}
			i++
		}
		for id := range want {
			assert.True(t, seen[id], "skipped %s", id)
		}
	})
	t.Run("filtered walk", func(t *testing.T) {
		k := 0
		for n, err := range c.Nodes.All(ctx, NodeListOptions{ListOptions: ListOptions{Limit: 3}, Health: nodemgmt.HealthUnknown}) {
			require.NoError(t, err)
			assert.Equal(t, nodemgmt.HealthUnknown, n.Health)
			k++
		}
		assert.Equal(t, total, k, "every node but the one that heartbeated, plus walk-inserted")
	})
	t.Run("break stops early", func(t *testing.T) {
		k := 0
		for _, err := range c.Nodes.All(ctx, NodeListOptions{ListOptions: ListOptions{Limit: 2}}) {
			require.NoError(t, err)
			k++
			if k == 3 {
				break
			}
		}
		assert.Equal(t, 3, k)
	})
	t.Run("error is yielded once", func(t *testing.T) {
		var errs []error
		for n, err := range c.Nodes.All(ctx, NodeListOptions{ListOptions: ListOptions{Cursor: "not-a-cursor"}}) {
			assert.Nil(t, n)
			errs = append(errs, err)
		}
		require.Len(t, errs, 1)
		assert.True(t, IsValidation(errs[0]), "%v", errs[0])
	})
	t.Run("pools", func(t *testing.T) {
		for i := range 5 {
			_, err := c.Pools.Create(ctx, nodemgmt.CreatePoolRequest{Name: fmt.Sprintf("walk-pool-%d", i)})
			require.NoError(t, err)
			e.clock.Advance(time.Millisecond)
		}
		k := 0
		for p, err := range c.Pools.All(ctx, ListOptions{Limit: 2}) {
			require.NoError(t, err)
			require.NotNil(t, p)
			k++
		}
		assert.Equal(t, 5, k)
	})
}

func TestErrorParsing(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	admin := e.client(t)

	t.Run("validation with field errors", func(t *testing.T) {
		req := nodeReq("x") // too short
		req.HardwareInfo.CPU.Cores = 0
		_, err := admin.Nodes.Create(ctx, req)
		ae, ok := AsAPIError(err)
		require.True(t, ok, "%v", err)
		assert.Equal(t, http.StatusBadRequest, ae.Status)
		assert.Equal(t, CodeValidation, ae.Code)
		assert.True(t, IsValidation(err))
		assert.ErrorIs(t, err, nodemgmt.ErrValidation)
		assert.NotEmpty(t, ae.Message)
		assert.Len(t, ae.RequestID, 36)
		assert.WithinDuration(t, e.clock.Now(), ae.Timestamp, 2*time.Second)
		fields := map[string]bool{}
		for _, f := range ae.FieldErrors() {
			fields[f.Field] = true
			assert.NotEmpty(t, f.Reason)
		}
		assert.True(t, fields["name"], "%v", ae.FieldErrors())
		assert.True(t, fields["hardware_info.cpu.cores"], "%v", ae.FieldErrors())
		assert.Contains(t, err.Error(), CodeValidation)
		assert.Contains(t, err.Error(), ae.RequestID)
	})
	t.Run("bad query names the parameter", func(t *testing.T) {
		_, err := admin.Nodes.List(ctx, NodeListOptions{Status: "sleeping"})
		ae, ok := AsAPIError(err)
		require.True(t, ok)
		require.Len(t, ae.FieldErrors(), 1)
		assert.Equal(t, "status", ae.FieldErrors()[0].Field)
	})
	t.Run("no token", func(t *testing.T) {
		anon, err := New(e.ts.URL)
		require.NoError(t, err)
		_, err = anon.Nodes.List(ctx, NodeListOptions{})
		assert.True(t, IsUnauthorized(err), "%v", err)
		assert.Equal(t, CodeUnauthorized, CodeOf(err))
	})
	t.Run("worker outside its node", func(t *testing.T) {
		n, err := admin.Nodes.Create(ctx, nodeReq("worker-own"))
		require.NoError(t, err)
		w := e.client(t, WithToken(e.token(t, auth.RoleWorker, n.NodeID)))
		_, err = w.Nodes.List(ctx, NodeListOptions{})
		assert.True(t, IsForbidden(err), "%v", err)
		_, err = w.Nodes.Get(ctx, "node_someone_else")
		assert.True(t, IsForbidden(err), "%v", err)
		own, err := w.Nodes.Get(ctx, n.NodeID)
		require.NoError(t, err)
		assert.Equal(t, n.NodeID, own.NodeID)
		_, err = w.Nodes.Start(ctx, n.NodeID)
		assert.Equal(t, CodeForbidden, CodeOf(err))
		_, err = admin.Nodes.Start(ctx, n.NodeID)
		require.NoError(t, err)
		_, err = w.Nodes.Heartbeat(ctx, n.NodeID)
		require.NoError(t, err)
	})
	t.Run("duplicate name in a pool", func(t *testing.T) {
		_, err := admin.Nodes.Create(ctx, nodeReq("dup-name"))
		require.NoError(t, err)
		_, err = admin.Nodes.Create(ctx, nodeReq("dup-name"))
		assert.ErrorIs(t, err, nodemgmt.ErrNodeExists)
		assert.True(t, IsConflict(err))
	})
	t.Run("not an API answer", func(t *testing.T) {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html>\x00bad\ngateway</html>"))
		}))
		defer ts.Close()
		c, err := New(ts.URL)
		require.NoError(t, err)
		_, err = c.Nodes.Get(ctx, "node_abcdefgh")
		ae, ok := AsAPIError(err)
		require.True(t, ok)
		assert.Equal(t, http.StatusBadGateway, ae.Status)
		assert.Empty(t, ae.Code)
		assert.Equal(t, "<html> bad gateway</html>", ae.Message)
		assert.False(t, errors.Is(err, nodemgmt.ErrNodeNotFound))
	})
	t.Run("helpers on other errors", func(t *testing.T) {
		err := errors.New("plain")
		assert.Zero(t, StatusOf(err))
		assert.Empty(t, CodeOf(err))
		assert.False(t, IsNotFound(err))
		assert.False(t, IsValidation(nil))
		wrapped := fmt.Errorf("ctx: %w", &APIError{Status: 409, Code: CodePoolExists})
		assert.True(t, IsConflict(wrapped))
		assert.ErrorIs(t, wrapped, nodemgmt.ErrPoolExists)
		assert.ErrorIs(t, wrapped, &APIError{Code: CodePoolExists})
		assert.NotErrorIs(t, wrapped, errors.New(CodePoolExists))
	})
}

// TestRetryOn429 drives the server's real limiter: the admin budget is 2 per minute, and the
// client's wait advances the server's clock instead of sleeping.
func TestRetryOn429(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, envOpt{cfg: func(c *refserver.Config) {
		c.RateLimits = refserver.RateLimits{Unauthenticated: 100, Node: 100, Admin: 2, PoOT: 100, Payout: 100}
	}})
	ctx := context.Background()

	var waits []time.Duration
	fake := func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		e.clock.Advance(d)
		return nil
	}

	plain := e.client(t)
	var err error
	for range 10 {
		if _, err = plain.Nodes.List(ctx, NodeListOptions{}); err != nil {
			break
		}
	}
	require.True(t, IsRateLimited(err), "%v", err)
	ae, _ := AsAPIError(err)
	assert.Equal(t, CodeRateLimited, ae.Code)
	require.GreaterOrEqual(t, ae.RetryAfter, time.Second)

	t.Run("bounded by MaxDelay", func(t *testing.T) {
		c := e.client(t, WithRetry(RetryPolicy{MaxAttempts: 5, MaxDelay: ae.RetryAfter - time.Millisecond}))
		c.sleep = fake
		_, err := c.Nodes.List(ctx, NodeListOptions{})
		assert.True(t, IsRateLimited(err))
		assert.Empty(t, waits, "a Retry-After beyond MaxDelay is not waited for")
	})

	t.Run("honours Retry-After then succeeds", func(t *testing.T) {
		waits = nil
		c := e.client(t, WithRetry(RetryPolicy{MaxAttempts: 3, MaxDelay: time.Hour}))
		c.sleep = fake
		// A POST is retried too: the limiter refused it before anything ran.
		p, err := c.Pools.Create(ctx, nodemgmt.CreatePoolRequest{Name: "after-429"})
		require.NoError(t, err)
		assert.Equal(t, "after-429", p.Name)
		require.Len(t, waits, 1)
		assert.Equal(t, ae.RetryAfter, waits[0])
		list, err := plain.Pools.List(ctx, ListOptions{})
		if err == nil {
			assert.Len(t, list.Pools, 1, "the retried create ran exactly once")
		}
	})

	t.Run("attempts are bounded", func(t *testing.T) {
		waits = nil
		c := e.client(t, WithRetry(RetryPolicy{MaxAttempts: 2, MaxDelay: time.Hour}))
		c.sleep = func(context.Context, time.Duration) error { waits = append(waits, 0); return nil } // clock stands still
		for range 5 {
			_, _ = plain.Nodes.List(ctx, NodeListOptions{})
		}
		_, err := c.Nodes.List(ctx, NodeListOptions{})
		assert.True(t, IsRateLimited(err))
		assert.Len(t, waits, 1)
	})

	t.Run("cancelled wait", func(t *testing.T) {
		c := e.client(t, WithRetry(RetryPolicy{MaxAttempts: 3, MaxDelay: time.Hour}))
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		c.sleep = sleepCtx
		_, err := c.Nodes.List(cctx, NodeListOptions{})
		require.Error(t, err)
		assert.ErrorIs(t, err, context.Canceled)
	})
}

// TestRetryTransient checks that GETs are retried after 503 and POSTs are not.
func TestRetryTransient(t *testing.T) {
	t.Parallel()
	var failures, seen atomic.Int32
	e := newTestEnv(t, envOpt{wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen.Add(1)
			if failures.Load() > 0 {
				failures.Add(-1)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte(`{"error":{"code":"LUCID_ERR_5030","message":"busy","details":{},"request_id":"r","timestamp":"2026-01-01T00:00:00Z"}}`))
				return
			}
			h.ServeHTTP(w, r)
		})
	}})
	ctx := context.Background()
	var waits []time.Duration
	c := e.client(t, WithRetry(RetryPolicy{MaxAttempts: 4, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}))
	c.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }

	failures.Store(2)
	seen.Store(0)
	_, err := c.Nodes.List(ctx, NodeListOptions{})
	require.NoError(t, err)
	assert.EqualValues(t, 3, seen.Load())
	require.Len(t, waits, 2)
	assert.True(t, waits[0] >= 50*time.Millisecond && waits[0] <= 100*time.Millisecond, "%v", waits[0])
	assert.True(t, waits[1] >= 100*time.Millisecond && waits[1] <= 200*time.Millisecond, "%v", waits[1])

	failures.Store(1)
	seen.Store(0)
	_, err = c.Nodes.Create(ctx, nodeReq("no-retry"))
	assert.Equal(t, CodeServiceUnavailable, CodeOf(err))
	assert.EqualValues(t, 1, seen.Load(), "a POST that may have run is not sent again")

	failures.Store(10)
	seen.Store(0)
	_, err = c.Nodes.List(ctx, NodeListOptions{})
	assert.Equal(t, http.StatusServiceUnavailable, StatusOf(err))
	assert.EqualValues(t, 4, seen.Load())
}

// TestRetryTransportError checks that a dropped connection is retried for GETs only.
func TestRetryTransportError(t *testing.T) {
	t.Parallel()
	var drops, seen atomic.Int32
	e := newTestEnv(t, envOpt{wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen.Add(1)
			if drops.Load() > 0 {
				drops.Add(-1)
				panic(http.ErrAbortHandler) // the connection is closed without an answer
			}
			h.ServeHTTP(w, r)
		})
	}})
	ctx := context.Background()
	c := e.client(t, WithRetry(RetryPolicy{MaxAttempts: 3}))
	c.sleep = func(context.Context, time.Duration) error { return nil }

	drops.Store(1)
	seen.Store(0)
	list, err := c.Nodes.List(ctx, NodeListOptions{})
	require.NoError(t, err)
	assert.NotNil(t, list)
	assert.EqualValues(t, 2, seen.Load())

	drops.Store(1)
	seen.Store(0)
	_, err = c.Pools.Create(ctx, nodemgmt.CreatePoolRequest{Name: "maybe-created"})
	require.Error(t, err)
	_, isAPI := AsAPIError(err)
	assert.False(t, isAPI, "a transport error is not an API error: %v", err)
	assert.EqualValues(t, 1, seen.Load(), "a POST that may have run is not sent again")
}

func TestHealth(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	c, err := New(e.ts.URL, WithHTTPClient(e.ts.Client()), WithUserAgent("probe/1"))
	require.NoError(t, err)
	for name, f := range map[string]func(context.Context) (*HealthReport, error){
		"health": c.Health, "ready": c.Ready, "live": c.Live,
	} {
		rep, err := f(ctx)
		require.NoError(t, err, name)
		assert.True(t, rep.Healthy(), name)
		assert.False(t, rep.Timestamp.IsZero(), name)
	}
	rep, err := c.Health(ctx)
	require.NoError(t, err)
	assert.Contains(t, rep.Checks, "database")
	assert.Contains(t, rep.Checks, "heartbeats")

	t.Run("503 report is an answer", func(t *testing.T) {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			assert.Equal(t, "probe/1", r.Header.Get("User-Agent"))
			assert.Empty(t, r.Header.Get("Authorization"), "health routes get no token")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"unhealthy","timestamp":"2026-01-01T00:00:00Z","checks":{"database":{"status":"unhealthy","duration_ms":1,"error":"database unreachable"}}}`))
		}))
		defer ts.Close()
		c, err := New(ts.URL, WithUserAgent("probe/1"), WithToken("secret"))
		require.NoError(t, err)
		rep, err := c.Health(ctx)
		require.NoError(t, err)
		assert.False(t, rep.Healthy())
		assert.Equal(t, "database unreachable", rep.Checks["database"].Error)
	})
}

// TestEnvelopesMatchServer keeps the client's copies of the server's small envelope types (kept
// here so the client does not import the server) in step with the server's: the zero values
// and a filled value encode to the same JSON.
func TestEnvelopesMatchServer(t *testing.T) {
	t.Parallel()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return string(b)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for name, pair := range map[string][2]any{
		"health":      {refserver.HealthReport{}, HealthReport{}},
		"health full": {refserver.HealthReport{Status: "ok", Timestamp: now, Checks: map[string]refserver.HealthCheck{"db": {Status: "ok", DurationMS: 1, Error: "e", Details: map[string]any{"k": 1}}}}, HealthReport{Status: "ok", Timestamp: now, Checks: map[string]HealthCheck{"db": {Status: "ok", DurationMS: 1, Error: "e", Details: map[string]any{"k": 1}}}}},
		"audit":       {refserver.AuditList{}, AuditList{}},
		"alerts":      {refserver.AlertList{NodeID: "n"}, AlertList{NodeID: "n"}},
		"poot batch":  {refserver.PootBatchResponse{BatchID: "b"}, BatchResult{BatchID: "b"}},
		"poot history": {refserver.PootHistory{Pagination: refserver.PootPagination{Limit: 5, NextCursor: "c"}},
			func() History { var h History; h.Pagination.Limit, h.Pagination.NextCursor = 5, "c"; return h }()},
		"wallet request": {refserver.WalletRequest{Currency: "USDT", WalletAddress: "a"}, WalletRequest{Currency: "USDT", WalletAddress: "a"}},
		"wallet":         {refserver.WalletView{NodeID: "n", Currency: "USDT", WalletAddress: "a", UpdatedAt: now}, Wallet{NodeID: "n", Currency: "USDT", WalletAddress: "a", UpdatedAt: now}},
	} {
		assert.Equal(t, enc(pair[0]), enc(pair[1]), name)
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"3":                             3 * time.Second,
		"-1":                            0,
		"soon":                          0,
		"Thu, 01 Jan 2026 00:00:10 GMT": 10 * time.Second,
		"Wed, 31 Dec 2025 23:59:00 GMT": 0,
	} {
		assert.Equal(t, want, parseRetryAfter(in, now), in)
	}
	assert.True(t, strings.HasPrefix((&APIError{Status: 404, Message: "m"}).Error(), "client: m (HTTP 404 Not Found"))
}
