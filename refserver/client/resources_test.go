package client

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/refserver/auth"
)

func sample(at time.Time, cpu float64) nodemgmt.ResourceSample {
	return nodemgmt.ResourceSample{
		Timestamp: at,
		CPU:       nodemgmt.CPUUsage{UsagePercent: cpu, Cores: 8, FrequencyMHz: 3200, LoadAverage: nodemgmt.LoadAverage{1, 0.5, 0.25}},
		Memory:    nodemgmt.MemoryUsage{TotalBytes: 16 * nodemgmt.GiB, UsedBytes: 4 * nodemgmt.GiB, FreeBytes: 12 * nodemgmt.GiB},
		Disk:      nodemgmt.DiskUsage{TotalBytes: 500_000_000_000, UsedBytes: 100_000_000_000, FreeBytes: 400_000_000_000},
		Network: nodemgmt.NetworkUsage{Interfaces: []nodemgmt.InterfaceUsage{{Name: "eth0", BytesIn: 1000, BytesOut: 2000}},
			TotalBytesIn: 1000, TotalBytesOut: 2000},
	}
}

func TestResources(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	admin := e.client(t)
	ctx := context.Background()
	n, err := admin.Nodes.Create(ctx, nodeReq("res-node"))
	require.NoError(t, err)
	worker := e.client(t, WithToken(e.token(t, auth.RoleWorker, n.NodeID)))

	th, err := admin.Resources.SetThresholds(ctx, n.NodeID, nodemgmt.ThresholdsUpdate{CPU: &nodemgmt.Threshold{Warning: 50, Critical: 90}})
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.Threshold{Warning: 50, Critical: 90}, th.CPU)
	assert.Equal(t, nodemgmt.DefaultThresholds(n.NodeID).Memory, th.Memory, "untouched resources keep the defaults")

	now := e.clock.Now()
	rep, err := worker.Resources.ReportSample(ctx, n.NodeID, sample(now.Add(-2*time.Minute), 20))
	require.NoError(t, err)
	assert.Equal(t, n.NodeID, rep.NodeID)
	assert.Empty(t, rep.ActiveAlerts)

	rep, err = worker.Resources.ReportSample(ctx, n.NodeID, sample(now.Add(-time.Minute), 75))
	require.NoError(t, err)
	require.Len(t, rep.ActiveAlerts, 1)
	assert.Equal(t, nodemgmt.ResourceCPU, rep.ActiveAlerts[0].Resource)

	alerts, err := worker.Resources.Alerts(ctx, n.NodeID, true)
	require.NoError(t, err)
	require.Len(t, alerts, 1)
	assert.Nil(t, alerts[0].ClearedAt)

	_, err = worker.Resources.ReportSample(ctx, n.NodeID, sample(now, 10))
	require.NoError(t, err)
	active, err := worker.Resources.Alerts(ctx, n.NodeID, true)
	require.NoError(t, err)
	assert.Empty(t, active, "recovering clears the alert")
	all, err := worker.Resources.Alerts(ctx, n.NodeID, false)
	require.NoError(t, err)
	require.NotEmpty(t, all)

	cur, err := worker.Resources.Current(ctx, n.NodeID, "1h")
	require.NoError(t, err)
	require.NotNil(t, cur.Current)
	assert.InDelta(t, 10, cur.Current.CPU.UsagePercent, 1e-9)
	assert.Equal(t, "1h", cur.TimeRange)
	assert.Equal(t, th.CPU, cur.Thresholds.CPU)

	m, err := worker.Resources.Metrics(ctx, n.NodeID, MetricsOptions{MetricType: nodemgmt.MetricType("cpu"), Granularity: "1m",
		Start: now.Add(-time.Hour), End: now.Add(time.Minute)})
	require.NoError(t, err)
	assert.Equal(t, "1m", m.Granularity)
	assert.NotEmpty(t, m.Points)

	a, err := admin.Resources.Allocate(ctx, n.NodeID, nodemgmt.AllocationRequest{CPUPercent: 50, MemoryBytes: 4 * nodemgmt.GiB,
		DiskBytes: 10_000_000_000, NetworkMbps: 100})
	require.NoError(t, err)
	assert.Equal(t, n.NodeID, a.NodeID)
	assert.Equal(t, 4*nodemgmt.GiB, a.MemoryBytes)

	t.Run("errors", func(t *testing.T) {
		_, err := admin.Resources.Allocate(ctx, n.NodeID, nodemgmt.AllocationRequest{MemoryBytes: 64 * nodemgmt.GiB})
		assert.ErrorIs(t, err, nodemgmt.ErrInvalidAlloc)
		assert.Equal(t, CodeInvalidAllocation, CodeOf(err))
		_, err = worker.Resources.Allocate(ctx, n.NodeID, nodemgmt.AllocationRequest{CPUPercent: 1})
		assert.True(t, IsForbidden(err), "%v", err)
		_, err = worker.Resources.SetThresholds(ctx, n.NodeID, nodemgmt.ThresholdsUpdate{})
		assert.True(t, IsForbidden(err), "%v", err)
		_, err = worker.Resources.Current(ctx, n.NodeID, "2h")
		assert.True(t, IsValidation(err), "%v", err)
		_, err = worker.Resources.ReportSample(ctx, n.NodeID, sample(now.Add(time.Hour), 10))
		assert.True(t, IsValidation(err), "a sample from the future: %v", err)
		_, err = admin.Resources.Current(ctx, "node_not_there", "")
		assert.ErrorIs(t, err, nodemgmt.ErrNodeNotFound)
		_, err = worker.Resources.Alerts(ctx, "node_not_mine", false)
		assert.True(t, IsForbidden(err), "%v", err)
	})
}
