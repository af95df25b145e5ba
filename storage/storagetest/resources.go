package storagetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

// RunResources runs the nodemgmt.ResourceStore conformance tests.
func RunResources(t *testing.T, newStore func(t *testing.T) nodemgmt.ResourceStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s nodemgmt.ResourceStore)
	}{
		{"SampleRoundTrip", testSampleRoundTrip},
		{"SampleDuplicate", testSampleDuplicate},
		{"LatestSample", testLatestSample},
		{"AggregateBuckets", testAggregateBuckets},
		{"AggregateRange", testAggregateRange},
		{"AggregateWholeRange", testAggregateWholeRange},
		{"HourlyOutlivesRaw", testHourlyOutlivesRaw},
		{"Retention", testResourceRetention},
		{"Thresholds", testThresholds},
		{"SwapAlert", testSwapAlert},
		{"ListAlerts", testListAlerts},
		{"ConcurrentSwapAlert", testConcurrentSwapAlert},
		{"Allocations", testAllocations},
		{"DeleteNodeResources", testDeleteNodeResources},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

// hourBase is an hour boundary (also a multiple of 1m, 5m and 15m since the epoch).
var hourBase = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

const (
	resNodeA = "node_res_a001"
	resNodeB = "node_res_b001"
)

// rampSample is sample i of the known data set: taken at hourBase + i·30 s with cpu = i,
// network = i + 0.5 Mbps, memory = i % and disk = (100 − i/2) % (i < 120).
func rampSample(node string, i int) *nodemgmt.ResourceSample {
	return &nodemgmt.ResourceSample{
		NodeID:    node,
		Timestamp: hourBase.Add(time.Duration(i) * 30 * time.Second),
		CPU:       nodemgmt.CPUUsage{UsagePercent: float64(i) * 100 / 120, Cores: 8},
		Memory:    nodemgmt.MemoryUsage{TotalBytes: 1 << 30, UsedBytes: int64(i) << 30 / 128},
		Disk:      nodemgmt.DiskUsage{TotalBytes: 1 << 40, UsedBytes: 1 << 39},
		Network:   nodemgmt.NetworkUsage{InMbps: float64(i), OutMbps: 0.5},
	}
}

func fullSample(node string, ts time.Time) *nodemgmt.ResourceSample {
	temp, gtemp := 61.5, 70.25
	return &nodemgmt.ResourceSample{
		NodeID:    node,
		Timestamp: ts,
		CPU: nodemgmt.CPUUsage{UsagePercent: 42.5, Cores: 16, FrequencyMHz: 3600,
			LoadAverage: nodemgmt.LoadAverage{1.5, 1.25, 1}, TemperatureCelsius: &temp},
		Memory: nodemgmt.MemoryUsage{TotalBytes: 32 << 30, UsedBytes: 8 << 30, FreeBytes: 20 << 30, CachedBytes: 4 << 30,
			SwapTotalBytes: 2 << 30, SwapUsedBytes: 1 << 20},
		Disk: nodemgmt.DiskUsage{TotalBytes: 1 << 40, UsedBytes: 1 << 38, FreeBytes: 3 << 38, ReadIOPS: 120.5,
			WriteIOPS: 80.25, ReadThroughputMBps: 12.5, WriteThroughputMBps: 8.75},
		Network: nodemgmt.NetworkUsage{
			Interfaces: []nodemgmt.InterfaceUsage{
				{Name: "eth0", BytesIn: 1000, BytesOut: 2000, PacketsIn: 10, PacketsOut: 20, InMbps: 1.5, OutMbps: 2.5},
				{Name: "lo", BytesIn: 5, BytesOut: 5},
			},
			TotalBytesIn: 1000, TotalBytesOut: 2000, PacketsIn: 10, PacketsOut: 20, ErrorsIn: 1, ErrorsOut: 2,
			InMbps: 1.5, OutMbps: 2.5},
		GPU: &nodemgmt.GPUUsage{UsagePercent: 77, MemoryUsedBytes: 4 << 30, MemoryTotalBytes: 8 << 30, TemperatureCelsius: &gtemp},
	}
}

func mustSave(t *testing.T, s nodemgmt.ResourceStore, smp *nodemgmt.ResourceSample) {
	t.Helper()
	require.NoError(t, s.SaveSample(context.Background(), smp))
}

func saveRamp(t *testing.T, s nodemgmt.ResourceStore, node string, n int) {
	t.Helper()
	for i := range n {
		mustSave(t, s, rampSample(node, i))
	}
}

func aggregate(t *testing.T, s nodemgmt.ResourceStore, node string, m nodemgmt.MetricType, start, end time.Time, b time.Duration) []nodemgmt.MetricPoint {
	t.Helper()
	pts, err := s.AggregateSamples(context.Background(), nodemgmt.AggregateQuery{NodeID: node, Metric: m, Start: start, End: end, Bucket: b})
	require.NoError(t, err)
	return pts
}

func testSampleRoundTrip(t *testing.T, s nodemgmt.ResourceStore) {
	ctx := context.Background()
	in := fullSample(resNodeA, hourBase.Add(123456789*time.Nanosecond).In(time.FixedZone("x", 7200)))
	mustSave(t, s, in)
	// Mutating the caller's value after the write must not change what is stored.
	*in.CPU.TemperatureCelsius = 1
	in.Network.Interfaces[0].Name = "changed"
	in.GPU.UsagePercent = 1

	got, err := s.LatestSample(ctx, resNodeA)
	require.NoError(t, err)
	want := fullSample(resNodeA, Normalize(hourBase.Add(123456789*time.Nanosecond)))
	assert.Equal(t, want, got)
	assert.Equal(t, time.UTC, got.Timestamp.Location())

	got.Network.Interfaces[0].Name = "mutated"
	again, err := s.LatestSample(ctx, resNodeA)
	require.NoError(t, err)
	assert.Equal(t, "eth0", again.Network.Interfaces[0].Name)

	none, err := s.LatestSample(ctx, resNodeB)
	require.NoError(t, err)
	assert.Nil(t, none)
}

func testSampleDuplicate(t *testing.T, s nodemgmt.ResourceStore) {
	first := rampSample(resNodeA, 10)
	mustSave(t, s, first)
	dup := rampSample(resNodeA, 10)
	dup.CPU.UsagePercent = 99
	err := s.SaveSample(context.Background(), dup)
	require.ErrorIs(t, err, nodemgmt.ErrConflict)

	// Nothing of the refused sample is stored: neither raw nor hourly.
	for _, b := range []time.Duration{0, time.Minute, time.Hour} {
		pts := aggregate(t, s, resNodeA, nodemgmt.MetricCPU, hourBase, hourBase.Add(time.Hour), b)
		require.Len(t, pts, 1, "bucket %s", b)
		assert.Equal(t, int64(1), pts[0].Samples, "bucket %s", b)
		assert.Equal(t, first.CPU.UsagePercent, pts[0].Max, "bucket %s", b)
	}
	latest, err := s.LatestSample(context.Background(), resNodeA)
	require.NoError(t, err)
	assert.Equal(t, first.CPU.UsagePercent, latest.CPU.UsagePercent)

	// The same timestamp on another node is a different sample.
	mustSave(t, s, rampSample(resNodeB, 10))
}

func testLatestSample(t *testing.T, s nodemgmt.ResourceStore) {
	ctx := context.Background()
	for _, i := range []int{5, 20, 7} { // out of order: the greatest timestamp wins
		mustSave(t, s, rampSample(resNodeA, i))
	}
	got, err := s.LatestSample(ctx, resNodeA)
	require.NoError(t, err)
	assert.Equal(t, Normalize(rampSample(resNodeA, 20).Timestamp), got.Timestamp)
	assert.Equal(t, rampSample(resNodeA, 20).CPU.UsagePercent, got.CPU.UsagePercent)
}

// expectedPoint is the bucket of the ramp that holds samples [from, from+n).
func expectedPoint(start time.Time, from, n int, value func(i int) float64) nodemgmt.MetricPoint {
	p := nodemgmt.MetricPoint{Start: start, Samples: int64(n), Min: value(from), Max: value(from + n - 1)}
	var sum float64
	for i := from; i < from+n; i++ {
		sum += value(i)
	}
	p.Avg = sum / float64(n)
	return p
}

func assertPoints(t *testing.T, want, got []nodemgmt.MetricPoint, msg string) {
	t.Helper()
	require.Len(t, got, len(want), msg)
	for i := range want {
		assert.True(t, want[i].Start.Equal(got[i].Start), "%s point %d: start %s, want %s", msg, i, got[i].Start, want[i].Start)
		assert.Equal(t, time.UTC, got[i].Start.Location(), "%s point %d", msg, i)
		assert.Equal(t, want[i].Samples, got[i].Samples, "%s point %d", msg, i)
		assert.InDelta(t, want[i].Avg, got[i].Avg, 1e-9, "%s point %d avg", msg, i)
		assert.InDelta(t, want[i].Min, got[i].Min, 1e-9, "%s point %d min", msg, i)
		assert.InDelta(t, want[i].Max, got[i].Max, 1e-9, "%s point %d max", msg, i)
	}
}

func testAggregateBuckets(t *testing.T, s nodemgmt.ResourceStore) {
	saveRamp(t, s, resNodeA, 120) // one hour, 2 samples per minute
	saveRamp(t, s, resNodeB, 3)   // another node's samples never leak in

	// The network metric of the ramp is i + 0.5: integers and halves sum exactly in any order,
	// so avg/min/max must match exactly.
	net := func(i int) float64 { return float64(i) + 0.5 }
	for _, tc := range []struct {
		bucket time.Duration
		per    int // samples per bucket
	}{{time.Minute, 2}, {2 * time.Minute, 4}, {5 * time.Minute, 10}, {15 * time.Minute, 30}, {30 * time.Minute, 60}, {time.Hour, 120}} {
		var want []nodemgmt.MetricPoint
		for k := 0; k < 120/tc.per; k++ {
			want = append(want, expectedPoint(hourBase.Add(time.Duration(k)*tc.bucket), k*tc.per, tc.per, net))
		}
		got := aggregate(t, s, resNodeA, nodemgmt.MetricNetwork, hourBase, hourBase.Add(time.Hour), tc.bucket)
		require.Len(t, got, len(want))
		for i := range want {
			assert.Equal(t, want[i].Avg, got[i].Avg, "bucket %s point %d avg", tc.bucket, i)
			assert.Equal(t, want[i].Min, got[i].Min, "bucket %s point %d min", tc.bucket, i)
			assert.Equal(t, want[i].Max, got[i].Max, "bucket %s point %d max", tc.bucket, i)
		}
		assertPoints(t, want, got, fmt.Sprintf("network %s", tc.bucket))
	}

	// Every metric type maps to its own value (MetricValue).
	values := map[nodemgmt.MetricType]func(i int) float64{
		nodemgmt.MetricCPU:    func(i int) float64 { return float64(i) * 100 / 120 },
		nodemgmt.MetricMemory: func(i int) float64 { return float64(i) / 128 * 100 },
		nodemgmt.MetricDisk:   func(int) float64 { return 50 },
	}
	for m, v := range values {
		want := []nodemgmt.MetricPoint{expectedPoint(hourBase, 0, 30, v), expectedPoint(hourBase.Add(15*time.Minute), 30, 30, v),
			expectedPoint(hourBase.Add(30*time.Minute), 60, 30, v), expectedPoint(hourBase.Add(45*time.Minute), 90, 30, v)}
		assertPoints(t, want, aggregate(t, s, resNodeA, m, hourBase, hourBase.Add(time.Hour), 15*time.Minute), string(m)+" 15m")
		assertPoints(t, []nodemgmt.MetricPoint{expectedPoint(hourBase, 0, 120, v)},
			aggregate(t, s, resNodeA, m, hourBase, hourBase.Add(time.Hour), time.Hour), string(m)+" 1h")
	}
}

func testAggregateRange(t *testing.T, s nodemgmt.ResourceStore) {
	saveRamp(t, s, resNodeA, 120)
	// Samples 120..129 fall in the next hour.
	for i := 120; i < 130; i++ {
		mustSave(t, s, rampSample(resNodeA, i))
	}
	net := func(i int) float64 { return float64(i) + 0.5 }
	// [10m, 20m) at 5m: exactly two buckets, the end is exclusive.
	got := aggregate(t, s, resNodeA, nodemgmt.MetricNetwork, hourBase.Add(10*time.Minute), hourBase.Add(20*time.Minute), 5*time.Minute)
	assertPoints(t, []nodemgmt.MetricPoint{
		expectedPoint(hourBase.Add(10*time.Minute), 20, 10, net),
		expectedPoint(hourBase.Add(15*time.Minute), 30, 10, net),
	}, got, "5m range")

	// Two hours at 1h: both hours, the second with its 10 samples.
	got = aggregate(t, s, resNodeA, nodemgmt.MetricNetwork, hourBase, hourBase.Add(2*time.Hour), time.Hour)
	assertPoints(t, []nodemgmt.MetricPoint{expectedPoint(hourBase, 0, 120, net), expectedPoint(hourBase.Add(time.Hour), 120, 10, net)},
		got, "1h two hours")
	// A 2-hour bucket folds both hourly rows into one point.
	got = aggregate(t, s, resNodeA, nodemgmt.MetricNetwork, hourBase, hourBase.Add(2*time.Hour), 2*time.Hour)
	assertPoints(t, []nodemgmt.MetricPoint{expectedPoint(hourBase, 0, 130, net)}, got, "2h")

	// A range without samples has no points.
	assert.Empty(t, aggregate(t, s, resNodeA, nodemgmt.MetricCPU, hourBase.Add(-time.Hour), hourBase, time.Minute))
	assert.Empty(t, aggregate(t, s, resNodeA, nodemgmt.MetricCPU, hourBase.Add(-time.Hour), hourBase, time.Hour))
	assert.Empty(t, aggregate(t, s, "node_missing1", nodemgmt.MetricCPU, hourBase, hourBase.Add(time.Hour), 5*time.Minute))
}

func testAggregateWholeRange(t *testing.T, s nodemgmt.ResourceStore) {
	saveRamp(t, s, resNodeA, 120)
	net := func(i int) float64 { return float64(i) + 0.5 }
	start := hourBase.Add(7 * time.Minute) // not aligned: Bucket 0 needs no alignment
	got := aggregate(t, s, resNodeA, nodemgmt.MetricNetwork, start, hourBase.Add(17*time.Minute), 0)
	assertPoints(t, []nodemgmt.MetricPoint{expectedPoint(start, 14, 20, net)}, got, "whole range")
	assert.Empty(t, aggregate(t, s, resNodeA, nodemgmt.MetricNetwork, hourBase.Add(-time.Hour), hourBase, 0))
}

func testHourlyOutlivesRaw(t *testing.T, s nodemgmt.ResourceStore) {
	ctx := context.Background()
	saveRamp(t, s, resNodeA, 120)
	n, err := s.DeleteSamplesBefore(ctx, hourBase.Add(2*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, int64(120), n)

	assert.Empty(t, aggregate(t, s, resNodeA, nodemgmt.MetricNetwork, hourBase, hourBase.Add(time.Hour), time.Minute))
	assert.Empty(t, aggregate(t, s, resNodeA, nodemgmt.MetricNetwork, hourBase, hourBase.Add(time.Hour), 0))
	net := func(i int) float64 { return float64(i) + 0.5 }
	assertPoints(t, []nodemgmt.MetricPoint{expectedPoint(hourBase, 0, 120, net)},
		aggregate(t, s, resNodeA, nodemgmt.MetricNetwork, hourBase, hourBase.Add(time.Hour), time.Hour), "1h after raw deletion")
	latest, err := s.LatestSample(ctx, resNodeA)
	require.NoError(t, err)
	assert.Nil(t, latest, "the latest sample is a raw sample too")
}

func testResourceRetention(t *testing.T, s nodemgmt.ResourceStore) {
	ctx := context.Background()
	saveRamp(t, s, resNodeA, 130) // hours 10:00 (120) and 11:00 (10)
	saveRamp(t, s, resNodeB, 4)

	n, err := s.DeleteSamplesBefore(ctx, hourBase.Add(time.Minute)) // samples 0, 1 of each node
	require.NoError(t, err)
	assert.Equal(t, int64(4), n)
	pts := aggregate(t, s, resNodeA, nodemgmt.MetricCPU, hourBase, hourBase.Add(time.Hour), 0)
	require.Len(t, pts, 1)
	assert.Equal(t, int64(118), pts[0].Samples)
	latest, err := s.LatestSample(ctx, resNodeB)
	require.NoError(t, err)
	require.NotNil(t, latest)

	// Hourly rows of 10:00 (2 nodes × 4 metrics) go; 11:00 stays.
	h, err := s.DeleteHourlyBefore(ctx, hourBase.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, int64(8), h)
	assert.Empty(t, aggregate(t, s, resNodeA, nodemgmt.MetricCPU, hourBase, hourBase.Add(time.Hour), time.Hour))
	pts = aggregate(t, s, resNodeA, nodemgmt.MetricCPU, hourBase, hourBase.Add(2*time.Hour), time.Hour)
	require.Len(t, pts, 1)
	assert.Equal(t, int64(10), pts[0].Samples)

	n, err = s.DeleteSamplesBefore(ctx, hourBase.Add(-time.Hour))
	require.NoError(t, err)
	assert.Zero(t, n)
}

func testThresholds(t *testing.T, s nodemgmt.ResourceStore) {
	ctx := context.Background()
	got, err := s.GetThresholds(ctx, resNodeA)
	require.NoError(t, err)
	assert.Nil(t, got)

	th := nodemgmt.DefaultThresholds(resNodeA)
	th.CPU = nodemgmt.Threshold{Warning: 50.5, Critical: 75.25}
	th.UpdatedAt = hourBase.Add(123456789 * time.Nanosecond)
	th.UpdatedBy = "admin:alice"
	require.NoError(t, s.PutThresholds(ctx, &th))
	got, err = s.GetThresholds(ctx, resNodeA)
	require.NoError(t, err)
	want := th
	want.UpdatedAt = Normalize(th.UpdatedAt)
	assert.Equal(t, &want, got)

	th.Disk = nodemgmt.Threshold{Warning: 10, Critical: 20}
	th.UpdatedBy = "admin:bob"
	require.NoError(t, s.PutThresholds(ctx, &th))
	got, err = s.GetThresholds(ctx, resNodeA)
	require.NoError(t, err)
	assert.Equal(t, nodemgmt.Threshold{Warning: 10, Critical: 20}, got.Disk)
	assert.Equal(t, "admin:bob", got.UpdatedBy)

	other, err := s.GetThresholds(ctx, resNodeB)
	require.NoError(t, err)
	assert.Nil(t, other)
}

func newAlert(id, node string, r nodemgmt.Resource, level nodemgmt.AlertLevel, raised time.Time) *nodemgmt.Alert {
	return &nodemgmt.Alert{ID: id, NodeID: node, Resource: r, Level: level, Value: 91.25, Threshold: 90, RaisedAt: raised}
}

func testSwapAlert(t *testing.T, s nodemgmt.ResourceStore) {
	ctx := context.Background()
	cleared, err := s.SwapAlert(ctx, resNodeA, nodemgmt.ResourceCPU, hourBase, nil)
	require.NoError(t, err)
	assert.Nil(t, cleared, "nothing to clear")

	warn := newAlert("alert_0001", resNodeA, nodemgmt.ResourceCPU, nodemgmt.LevelWarning, hourBase)
	cleared, err = s.SwapAlert(ctx, resNodeA, nodemgmt.ResourceCPU, hourBase, warn)
	require.NoError(t, err)
	assert.Nil(t, cleared)
	mem := newAlert("alert_0002", resNodeA, nodemgmt.ResourceMemory, nodemgmt.LevelCritical, hourBase)
	_, err = s.SwapAlert(ctx, resNodeA, nodemgmt.ResourceMemory, hourBase, mem)
	require.NoError(t, err)

	active, err := s.ActiveAlerts(ctx, resNodeA)
	require.NoError(t, err)
	assert.Equal(t, []nodemgmt.Alert{*warn, *mem}, active, "ordered by resource")

	// Warning → critical: the warning is cleared and returned, the critical one is active.
	at := hourBase.Add(time.Minute + 789*time.Nanosecond)
	crit := newAlert("alert_0003", resNodeA, nodemgmt.ResourceCPU, nodemgmt.LevelCritical, at)
	cleared, err = s.SwapAlert(ctx, resNodeA, nodemgmt.ResourceCPU, at, crit)
	require.NoError(t, err)
	require.NotNil(t, cleared)
	assert.Equal(t, warn.ID, cleared.ID)
	require.NotNil(t, cleared.ClearedAt)
	assert.Equal(t, Normalize(at), *cleared.ClearedAt)

	active, err = s.ActiveAlerts(ctx, resNodeA)
	require.NoError(t, err)
	wantCrit := *crit
	wantCrit.RaisedAt = Normalize(at)
	assert.Equal(t, []nodemgmt.Alert{wantCrit, *mem}, active)

	// Recovery clears without a replacement.
	cleared, err = s.SwapAlert(ctx, resNodeA, nodemgmt.ResourceCPU, at.Add(time.Minute), nil)
	require.NoError(t, err)
	require.NotNil(t, cleared)
	assert.Equal(t, crit.ID, cleared.ID)
	active, err = s.ActiveAlerts(ctx, resNodeA)
	require.NoError(t, err)
	assert.Equal(t, []nodemgmt.Alert{*mem}, active)

	// A reused alert id is refused and changes nothing.
	_, err = s.SwapAlert(ctx, resNodeA, nodemgmt.ResourceCPU, at, newAlert("alert_0002", resNodeA, nodemgmt.ResourceCPU, nodemgmt.LevelWarning, at))
	require.Error(t, err)
	active, err = s.ActiveAlerts(ctx, resNodeA)
	require.NoError(t, err)
	assert.Equal(t, []nodemgmt.Alert{*mem}, active)

	none, err := s.ActiveAlerts(ctx, resNodeB)
	require.NoError(t, err)
	assert.Empty(t, none)
}

func testListAlerts(t *testing.T, s nodemgmt.ResourceStore) {
	ctx := context.Background()
	// a1 (A cpu, t0, cleared at t2), a2 (B disk, t1, active), a3 (A cpu, t2, active), a4 (A gpu, t2, active).
	t0, t1, t2 := hourBase, hourBase.Add(time.Minute), hourBase.Add(2*time.Minute)
	for _, step := range []struct {
		node string
		r    nodemgmt.Resource
		a    *nodemgmt.Alert
		at   time.Time
	}{
		{resNodeA, nodemgmt.ResourceCPU, newAlert("alert_a1", resNodeA, nodemgmt.ResourceCPU, nodemgmt.LevelWarning, t0), t0},
		{resNodeB, nodemgmt.ResourceDisk, newAlert("alert_a2", resNodeB, nodemgmt.ResourceDisk, nodemgmt.LevelWarning, t1), t1},
		{resNodeA, nodemgmt.ResourceCPU, newAlert("alert_a3", resNodeA, nodemgmt.ResourceCPU, nodemgmt.LevelCritical, t2), t2},
		{resNodeA, nodemgmt.ResourceGPU, newAlert("alert_a4", resNodeA, nodemgmt.ResourceGPU, nodemgmt.LevelWarning, t2), t2},
	} {
		_, err := s.SwapAlert(ctx, step.node, step.r, step.at, step.a)
		require.NoError(t, err)
	}
	list := func(f nodemgmt.AlertFilter) []string {
		t.Helper()
		as, err := s.ListAlerts(ctx, f)
		require.NoError(t, err)
		var out []string
		for _, a := range as {
			out = append(out, a.ID)
		}
		return out
	}
	assert.Equal(t, []string{"alert_a4", "alert_a3", "alert_a2", "alert_a1"}, list(nodemgmt.AlertFilter{}), "newest first, ties by id descending")
	assert.Equal(t, []string{"alert_a4", "alert_a3", "alert_a1"}, list(nodemgmt.AlertFilter{NodeID: resNodeA}))
	assert.Equal(t, []string{"alert_a4", "alert_a3"}, list(nodemgmt.AlertFilter{NodeID: resNodeA, ActiveOnly: true}))
	assert.Equal(t, []string{"alert_a4", "alert_a3", "alert_a2"}, list(nodemgmt.AlertFilter{ActiveOnly: true}))
	assert.Equal(t, []string{"alert_a4", "alert_a3", "alert_a2"}, list(nodemgmt.AlertFilter{Since: t1}))
	assert.Equal(t, []string{"alert_a4", "alert_a3"}, list(nodemgmt.AlertFilter{Limit: 2}))
	assert.Empty(t, list(nodemgmt.AlertFilter{NodeID: "node_missing1"}))

	as, err := s.ListAlerts(ctx, nodemgmt.AlertFilter{NodeID: resNodeA})
	require.NoError(t, err)
	require.Len(t, as, 3)
	require.NotNil(t, as[2].ClearedAt)
	assert.Equal(t, Normalize(t2), *as[2].ClearedAt)
	assert.Nil(t, as[0].ClearedAt)
}

// testConcurrentSwapAlert races many swaps on one node and resource: each must clear exactly the
// alert the previous swap inserted, so at the end one alert is active and every other one was
// cleared exactly once.
func testConcurrentSwapAlert(t *testing.T, s nodemgmt.ResourceStore) {
	ctx := context.Background()
	const n = 24
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		cleared = map[string]int{}
		nils    int
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at := hourBase.Add(time.Duration(i) * time.Second)
			a := newAlert(fmt.Sprintf("alert_c%03d", i), resNodeA, nodemgmt.ResourceCPU, nodemgmt.LevelWarning, at)
			c, err := s.SwapAlert(ctx, resNodeA, nodemgmt.ResourceCPU, at, a)
			assert.NoError(t, err)
			mu.Lock()
			defer mu.Unlock()
			if c == nil {
				nils++
			} else {
				cleared[c.ID]++
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, nils, "only the first swap finds nothing to clear")
	assert.Len(t, cleared, n-1)
	for id, k := range cleared {
		assert.Equal(t, 1, k, "alert %s cleared more than once", id)
	}
	active, err := s.ActiveAlerts(ctx, resNodeA)
	require.NoError(t, err)
	require.Len(t, active, 1)
	assert.NotContains(t, cleared, active[0].ID)
	all, err := s.ListAlerts(ctx, nodemgmt.AlertFilter{NodeID: resNodeA})
	require.NoError(t, err)
	assert.Len(t, all, n)
}

func testAllocations(t *testing.T, s nodemgmt.ResourceStore) {
	ctx := context.Background()
	got, err := s.GetAllocation(ctx, resNodeA)
	require.NoError(t, err)
	assert.Nil(t, got)

	a := &nodemgmt.Allocation{NodeID: resNodeA, CPUPercent: 25.5, MemoryBytes: 4 << 30, DiskBytes: 100 << 30,
		NetworkMbps: 250.25, AllocatedAt: hourBase.Add(999 * time.Nanosecond), AllocatedBy: "admin:alice"}
	require.NoError(t, s.PutAllocation(ctx, a))
	got, err = s.GetAllocation(ctx, resNodeA)
	require.NoError(t, err)
	want := *a
	want.AllocatedAt = Normalize(a.AllocatedAt)
	assert.Equal(t, &want, got)

	b := &nodemgmt.Allocation{NodeID: resNodeA, CPUPercent: 10, AllocatedAt: hourBase, AllocatedBy: "admin:bob"}
	require.NoError(t, s.PutAllocation(ctx, b))
	got, err = s.GetAllocation(ctx, resNodeA)
	require.NoError(t, err)
	assert.Equal(t, b, got, "a new allocation replaces the old one entirely")

	other, err := s.GetAllocation(ctx, resNodeB)
	require.NoError(t, err)
	assert.Nil(t, other)
}

func testDeleteNodeResources(t *testing.T, s nodemgmt.ResourceStore) {
	ctx := context.Background()
	for _, node := range []string{resNodeA, resNodeB} {
		saveRamp(t, s, node, 10)
		th := nodemgmt.DefaultThresholds(node)
		th.UpdatedAt = hourBase
		require.NoError(t, s.PutThresholds(ctx, &th))
		require.NoError(t, s.PutAllocation(ctx, &nodemgmt.Allocation{NodeID: node, CPUPercent: 5, AllocatedAt: hourBase}))
		_, err := s.SwapAlert(ctx, node, nodemgmt.ResourceCPU, hourBase, newAlert("alert_"+node, node, nodemgmt.ResourceCPU, nodemgmt.LevelWarning, hourBase))
		require.NoError(t, err)
	}
	at := hourBase.Add(time.Hour)
	require.NoError(t, s.DeleteNodeResources(ctx, resNodeA, at))

	latest, err := s.LatestSample(ctx, resNodeA)
	require.NoError(t, err)
	assert.Nil(t, latest)
	for _, b := range []time.Duration{0, time.Minute, time.Hour} {
		assert.Empty(t, aggregate(t, s, resNodeA, nodemgmt.MetricCPU, hourBase, hourBase.Add(time.Hour), b))
	}
	th, err := s.GetThresholds(ctx, resNodeA)
	require.NoError(t, err)
	assert.Nil(t, th)
	al, err := s.GetAllocation(ctx, resNodeA)
	require.NoError(t, err)
	assert.Nil(t, al)
	active, err := s.ActiveAlerts(ctx, resNodeA)
	require.NoError(t, err)
	assert.Empty(t, active)
	hist, err := s.ListAlerts(ctx, nodemgmt.AlertFilter{NodeID: resNodeA})
	require.NoError(t, err)
	require.Len(t, hist, 1, "alert history is kept")
	require.NotNil(t, hist[0].ClearedAt)
	assert.Equal(t, Normalize(at), *hist[0].ClearedAt)

	// The other node is untouched.
	latest, err = s.LatestSample(ctx, resNodeB)
	require.NoError(t, err)
	assert.NotNil(t, latest)
	assert.Len(t, aggregate(t, s, resNodeB, nodemgmt.MetricCPU, hourBase, hourBase.Add(time.Hour), time.Hour), 1)
	th, err = s.GetThresholds(ctx, resNodeB)
	require.NoError(t, err)
	assert.NotNil(t, th)
	active, err = s.ActiveAlerts(ctx, resNodeB)
	require.NoError(t, err)
	assert.Len(t, active, 1)

	// A node can start over after its data was dropped (same timestamps are accepted again).
	saveRamp(t, s, resNodeA, 2)
}
