package nodemgmt

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resClock is a manual clock for the Monitor.
type resClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *resClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *resClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// scriptedSource returns one scripted sample per call, stamped with the clock, and then
// advances the clock by step so that consecutive samples have distinct timestamps.
type scriptedSource struct {
	mu     sync.Mutex
	clock  *resClock
	step   time.Duration
	script []func(s *ResourceSample)
	calls  int
}

func (s *scriptedSource) Sample(context.Context) (ResourceSample, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.script) == 0 {
		return ResourceSample{}, ErrNoSample
	}
	i := s.calls
	if i >= len(s.script) {
		i = len(s.script) - 1
	}
	s.calls++
	out := goodSample(s.clock.Now())
	out.NodeID = ""
	out.GPU = nil
	s.script[i](&out)
	s.clock.Advance(s.step)
	return out, nil
}

const (
	resNodeFree = "node_free0001"
	resNodePool = "node_pooled01"
	resPool     = "pool_limits01"
)

type monitorFixture struct {
	m      *Monitor
	nodes  *resFakeNodes
	store  *resFakeStore
	clock  *resClock
	mu     sync.Mutex
	events []AlertEvent
}

func (f *monitorFixture) takeEvents() []AlertEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.events
	f.events = nil
	return e
}

func newMonitorFixture(t *testing.T) *monitorFixture {
	t.Helper()
	f := &monitorFixture{nodes: newResFakeNodes(), store: newResFakeStore(), clock: &resClock{t: resT0}}
	hw := HardwareInfo{
		CPU:     CPUInfo{Cores: 8, FrequencyMHz: 3000, Architecture: "x86_64"},
		Memory:  MemoryInfo{TotalBytes: 16 * GiB},
		Storage: StorageInfo{TotalBytes: 500e9, Type: "SSD"},
		Network: []NetworkInfo{{Interface: "eth0", SpeedMbps: 1000}, {Interface: "eth1", SpeedMbps: 1000}},
	}
	f.nodes.nodes[resNodeFree] = &Node{NodeID: resNodeFree, Name: "free", Status: StatusActive, HardwareInfo: hw,
		Configuration: &Configuration{ResourceLimits: &ResourceLimits{MemoryBytes: 12 * GiB}}}
	f.nodes.nodes[resNodePool] = &Node{NodeID: resNodePool, Name: "pooled", Status: StatusActive, HardwareInfo: hw, PoolID: resPool}
	f.nodes.pools[resPool] = &Pool{PoolID: resPool, Name: "limited", MaxNodes: 10,
		ResourceLimits: &ResourceLimits{CPUPercent: 50, MemoryBytes: 8 * GiB, NetworkMbps: 500}}
	f.m = NewMonitor(f.nodes, f.store, MonitorConfig{Now: f.clock.Now, Logger: slog.New(slog.DiscardHandler), OnAlert: func(e AlertEvent) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.events = append(f.events, e)
	}})
	return f
}

func cpuAt(v float64) func(*ResourceSample) {
	return func(s *ResourceSample) { s.CPU.UsagePercent = v }
}

func TestMonitorThresholdCrossingAndRecovery(t *testing.T) {
	t.Parallel()
	f := newMonitorFixture(t)
	ctx := context.Background()
	steps := []struct {
		cpu    float64
		level  AlertLevel // active cpu alert after the sample ("" none)
		events []string   // "+warning", "-warning", …
	}{
		{50, "", nil},
		{85, LevelWarning, []string{"+warning"}},
		{88, LevelWarning, nil},                                // still warning, no duplicate
		{96, LevelCritical, []string{"-warning", "+critical"}}, // escalation replaces the warning
		{94, LevelCritical, nil},                               // within hysteresis (95-2)
		{90, LevelWarning, []string{"-critical", "+warning"}},  // downgrade
		{79, LevelWarning, nil},                                // within hysteresis (80-2)
		{70, "", []string{"-warning"}},                         // recovery clears
		{70, "", nil},
	}
	var script []func(*ResourceSample)
	for _, s := range steps {
		script = append(script, cpuAt(s.cpu))
	}
	src := &scriptedSource{clock: f.clock, step: time.Minute, script: script}
	for i, st := range steps {
		res, err := f.m.CollectOnce(ctx, resNodeFree, src)
		require.NoError(t, err, "step %d", i)
		var got AlertLevel
		for _, a := range res.ActiveAlerts {
			require.Equal(t, ResourceCPU, a.Resource, "only cpu moves in this script")
			got = a.Level
		}
		assert.Equal(t, st.level, got, "step %d cpu %v", i, st.cpu)
		var ev []string
		for _, e := range f.takeEvents() {
			sign := "-"
			if e.Raised {
				sign = "+"
			}
			ev = append(ev, sign+string(e.Alert.Level))
		}
		assert.Equal(t, st.events, ev, "step %d cpu %v", i, st.cpu)
	}
	hist, err := f.m.Alerts(ctx, resNodeFree, false)
	require.NoError(t, err)
	require.Len(t, hist, 3)
	for _, a := range hist {
		assert.False(t, a.Active(), "all cleared at the end")
		assert.True(t, a.ClearedAt.After(a.RaisedAt))
	}
	// History newest first: the downgraded warning, the critical, the first warning.
	assert.Equal(t, LevelWarning, hist[0].Level)
	assert.Equal(t, 90.0, hist[0].Value)
	assert.Equal(t, 80.0, hist[0].Threshold)
	assert.Equal(t, LevelCritical, hist[1].Level)
	assert.Equal(t, 95.0, hist[1].Threshold)
	active, err := f.m.Alerts(ctx, resNodeFree, true)
	require.NoError(t, err)
	assert.Empty(t, active)
}

func TestMonitorCustomThresholdsAndOtherResources(t *testing.T) {
	t.Parallel()
	f := newMonitorFixture(t)
	ctx := context.Background()
	_, err := f.m.SetThresholds(ctx, Actor{Subject: "op"}, resNodeFree, ThresholdsUpdate{Memory: &Threshold{Warning: 40, Critical: 60}})
	require.NoError(t, err)
	th, err := f.m.Thresholds(ctx, resNodeFree)
	require.NoError(t, err)
	assert.Equal(t, Threshold{Warning: 40, Critical: 60}, th.Memory)
	assert.Equal(t, DefaultThresholds("").CPU, th.CPU, "untouched resources keep the defaults")

	src := &scriptedSource{clock: f.clock, step: time.Minute, script: []func(*ResourceSample){
		func(s *ResourceSample) { // memory 50 % (warning at 40), network 1700/2000 Mbps = 85 %
			s.Network.InMbps = 1700
		},
	}}
	res, err := f.m.CollectOnce(ctx, resNodeFree, src)
	require.NoError(t, err)
	levels := map[Resource]AlertLevel{}
	for _, a := range res.ActiveAlerts {
		levels[a.Resource] = a.Level
	}
	assert.Equal(t, map[Resource]AlertLevel{ResourceMemory: LevelWarning, ResourceNetwork: LevelWarning}, levels)

	for _, bad := range []ThresholdsUpdate{
		{CPU: &Threshold{Warning: 90, Critical: 80}},
		{Disk: &Threshold{Warning: 50, Critical: 120}},
		{GPU: &Threshold{Warning: -1, Critical: 50}},
	} {
		_, err := f.m.SetThresholds(ctx, Actor{Subject: "op"}, resNodeFree, bad)
		require.ErrorIs(t, err, ErrValidation)
	}
	_, err = f.m.SetThresholds(ctx, Actor{Subject: "op"}, "node_missing1", ThresholdsUpdate{})
	require.ErrorIs(t, err, ErrNodeNotFound)
}

func TestMonitorOutOfOrderSampleDoesNotMoveAlerts(t *testing.T) {
	t.Parallel()
	f := newMonitorFixture(t)
	ctx := context.Background()
	s := goodSample(resT0)
	s.NodeID = ""
	s.CPU.UsagePercent = 97
	_, err := f.m.Report(ctx, resNodeFree, s)
	require.NoError(t, err)
	old := goodSample(resT0.Add(-time.Minute))
	old.CPU.UsagePercent = 10
	old.NodeID = resNodeFree
	res, err := f.m.Report(ctx, resNodeFree, old)
	require.NoError(t, err)
	require.Len(t, res.ActiveAlerts, 1)
	assert.Equal(t, LevelCritical, res.ActiveAlerts[0].Level)

	_, err = f.m.Report(ctx, resNodeFree, old)
	require.ErrorIs(t, err, ErrConflict, "the same timestamp twice")
}

func TestMonitorReportRefusals(t *testing.T) {
	t.Parallel()
	f := newMonitorFixture(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		node   string
		mutate func(s *ResourceSample)
		want   error
	}{
		{"other node in body", resNodeFree, func(s *ResourceSample) { s.NodeID = resNodePool }, ErrValidation},
		{"negative counter", resNodeFree, func(s *ResourceSample) { s.Network.PacketsIn = -1 }, ErrValidation},
		{"percent over 100", resNodeFree, func(s *ResourceSample) { s.CPU.UsagePercent = 250 }, ErrValidation},
		{"future", resNodeFree, func(s *ResourceSample) { s.Timestamp = resT0.Add(time.Hour) }, ErrValidation},
		{"unknown node", "node_unknown1", func(*ResourceSample) {}, ErrNodeNotFound},
		{"malformed node id", "bad", func(*ResourceSample) {}, ErrValidation},
	}
	for _, tc := range tests {
		s := goodSample(resT0)
		s.NodeID = ""
		tc.mutate(&s)
		_, err := f.m.Report(ctx, tc.node, s)
		require.ErrorIs(t, err, tc.want, tc.name)
	}
	assert.Zero(t, f.store.sampleCount(), "nothing stored")
}

func TestMonitorAllocate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name       string
		node       string
		req        AllocationRequest
		wantCode   string
		violations []string
	}{
		{"fits hardware", resNodeFree, AllocationRequest{CPUPercent: 90, MemoryBytes: 12 * GiB, DiskBytes: 400e9, NetworkMbps: 2000}, "", nil},
		{"cpu over 100", resNodeFree, AllocationRequest{CPUPercent: 100.5}, CodeInvalidAllocation, []string{"cpu_percent"}},
		{"memory over hardware", resNodeFree, AllocationRequest{MemoryBytes: 17 * GiB}, CodeInvalidAllocation, []string{"memory_bytes"}},
		{"disk and network over hardware", resNodeFree, AllocationRequest{DiskBytes: 501e9, NetworkMbps: 2001}, CodeInvalidAllocation, []string{"disk_bytes", "network_mbps"}},
		{"memory over node limit", resNodeFree, AllocationRequest{MemoryBytes: 13 * GiB}, CodeResourceLimit, []string{"memory_bytes"}},
		{"fits pool", resNodePool, AllocationRequest{CPUPercent: 50, MemoryBytes: 8 * GiB, DiskBytes: 450e9, NetworkMbps: 500}, "", nil},
		{"over pool cpu and network", resNodePool, AllocationRequest{CPUPercent: 60, NetworkMbps: 501}, CodeResourceLimit, []string{"cpu_percent", "network_mbps"}},
		{"hardware refusal before pool", resNodePool, AllocationRequest{CPUPercent: 60, MemoryBytes: 20 * GiB}, CodeInvalidAllocation, []string{"memory_bytes"}},
		{"negative", resNodeFree, AllocationRequest{MemoryBytes: -1}, CodeValidation, nil},
		{"unknown node", "node_unknown1", AllocationRequest{}, CodeNodeNotFound, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newMonitorFixture(t)
			a, err := f.m.Allocate(ctx, Actor{Subject: "op"}, tc.node, tc.req)
			if tc.wantCode == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.req.MemoryBytes, a.MemoryBytes)
				got, err := f.m.Allocation(ctx, tc.node)
				require.NoError(t, err)
				assert.Equal(t, a, got)
				sum, err := f.m.Current(ctx, tc.node, "")
				require.NoError(t, err)
				assert.Equal(t, a, sum.Allocation)
				return
			}
			var e *Error
			require.True(t, errors.As(err, &e), "got %v", err)
			assert.Equal(t, tc.wantCode, e.Code)
			if tc.violations != nil {
				vs, ok := e.Details["violations"].([]AllocationViolation)
				require.True(t, ok)
				var names []string
				for _, v := range vs {
					names = append(names, v.Resource)
				}
				assert.Equal(t, tc.violations, names)
			}
			got, err := f.store.GetAllocation(ctx, tc.node)
			require.NoError(t, err)
			assert.Nil(t, got, "nothing reserved on refusal")
			require.NotEmpty(t, f.nodes.audit)
			assert.Equal(t, tc.wantCode, f.nodes.audit[len(f.nodes.audit)-1].Result, "refusal audited")
		})
	}
}

func TestMonitorMetricsAndCurrent(t *testing.T) {
	t.Parallel()
	f := newMonitorFixture(t)
	ctx := context.Background()
	// Three hours of one-minute samples; cpu = minute of the hour (0…59).
	start := resT0
	for i := range 180 {
		s := goodSample(start.Add(time.Duration(i) * time.Minute))
		s.NodeID = ""
		s.CPU.UsagePercent = float64(i % 60)
		f.clock.t = s.Timestamp
		_, err := f.m.Report(ctx, resNodeFree, s)
		require.NoError(t, err)
	}
	f.clock.t = start.Add(3 * time.Hour)

	res, err := f.m.Metrics(ctx, resNodeFree, MetricsQuery{MetricType: MetricCPU, Granularity: "1h",
		Start: start.Add(10 * time.Minute), End: start.Add(3 * time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, start, res.Start, "start aligned down to the hour")
	require.Len(t, res.Points, 3)
	for i, p := range res.Points {
		assert.Equal(t, start.Add(time.Duration(i)*time.Hour), p.Start)
		assert.EqualValues(t, 60, p.Samples)
		assert.InDelta(t, 29.5, p.Avg, 1e-9)
		assert.Equal(t, 0.0, p.Min)
		assert.Equal(t, 59.0, p.Max)
	}

	res, err = f.m.Metrics(ctx, resNodeFree, MetricsQuery{MetricType: MetricCPU, Granularity: "15m",
		Start: start, End: start.Add(time.Hour)})
	require.NoError(t, err)
	require.Len(t, res.Points, 4)
	assert.InDelta(t, 22.0, res.Points[1].Avg, 1e-9) // minutes 15…29
	assert.Equal(t, 29.0, res.Points[1].Max)
	assert.Equal(t, "percent", res.Unit)

	net, err := f.m.Metrics(ctx, resNodeFree, MetricsQuery{MetricType: MetricNetwork, Granularity: "5m", Start: start, End: start.Add(10 * time.Minute)})
	require.NoError(t, err)
	require.Len(t, net.Points, 2)
	assert.InDelta(t, 140, net.Points[0].Avg, 1e-9)
	assert.Equal(t, "Mbps", net.Unit)

	sum, err := f.m.Current(ctx, resNodeFree, "1h")
	require.NoError(t, err)
	require.NotNil(t, sum.Current)
	assert.Equal(t, start.Add(179*time.Minute), sum.Current.Timestamp)
	assert.EqualValues(t, 60, sum.Summary[MetricCPU].Samples) // 14:00…14:59 within [now-1h, now]
	assert.InDelta(t, 50, sum.Summary[MetricMemory].Avg, 1e-9)
	assert.Equal(t, DefaultThresholds(resNodeFree).CPU, sum.Thresholds.CPU)

	bad := []MetricsQuery{
		{MetricType: "gpu"},
		{Granularity: "2m"},
		{Start: start.Add(time.Hour), End: start},
		{Granularity: "1m", Start: start.Add(-8 * 24 * time.Hour), End: start},
	}
	for _, q := range bad {
		_, err := f.m.Metrics(ctx, resNodeFree, q)
		require.ErrorIs(t, err, ErrValidation, "%+v", q)
	}
	_, err = f.m.Current(ctx, resNodeFree, "2d")
	require.ErrorIs(t, err, ErrValidation)
	_, err = f.m.Metrics(ctx, "node_unknown1", MetricsQuery{})
	require.ErrorIs(t, err, ErrNodeNotFound)
}

func TestMonitorRetentionKeepsHourlyAggregates(t *testing.T) {
	t.Parallel()
	f := newMonitorFixture(t)
	ctx := context.Background()
	old := resT0.Add(-100 * 24 * time.Hour)
	for i := range 3 {
		s := goodSample(old.Add(time.Duration(i) * time.Minute))
		s.NodeID = resNodeFree
		require.NoError(t, f.store.SaveSample(ctx, &s)) // as stored back then
	}
	s := goodSample(resT0.Add(-time.Minute))
	_, err := f.m.Report(ctx, resNodeFree, ResourceSample(s))
	require.Error(t, err, "the sample carries another node id")
	s.NodeID = ""
	_, err = f.m.Report(ctx, resNodeFree, s)
	require.NoError(t, err)

	raw, hourly, err := f.m.RetentionOnce(ctx, 90, 365)
	require.NoError(t, err)
	assert.EqualValues(t, 3, raw)
	assert.Zero(t, hourly)
	assert.Equal(t, 1, f.store.sampleCount())

	res, err := f.m.Metrics(ctx, resNodeFree, MetricsQuery{Granularity: "1h", Start: old.Add(-time.Hour), End: old.Add(time.Hour)})
	require.NoError(t, err)
	require.Len(t, res.Points, 1, "hourly aggregate outlives the raw samples")
	assert.EqualValues(t, 3, res.Points[0].Samples)

	f.clock.Advance(300 * 24 * time.Hour)
	_, hourly, err = f.m.RetentionOnce(ctx, 0, 0)
	require.NoError(t, err)
	assert.EqualValues(t, 4, hourly, "one hour × four metric types older than a year")
}

func TestMonitorRunCollectorAndRetentionLoops(t *testing.T) {
	t.Parallel()
	f := newMonitorFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	src := &scriptedSource{clock: f.clock, step: time.Second, script: []func(*ResourceSample){cpuAt(10), cpuAt(99)}}
	done := make(chan error, 2)
	go func() { done <- f.m.RunCollector(ctx, resNodeFree, src, 2*time.Millisecond) }()
	go func() { done <- f.m.RunRetention(ctx, time.Hour, 90, 365) }()
	require.Eventually(t, func() bool { return f.store.sampleCount() >= 3 }, 5*time.Second, time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	require.NoError(t, <-done)
	active, err := f.m.Alerts(context.Background(), resNodeFree, true)
	require.NoError(t, err)
	require.Len(t, active, 1)
	assert.Equal(t, LevelCritical, active[0].Level)

	// A source with nothing yet is not fatal for the loop.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	require.NoError(t, f.m.RunCollector(ctx2, resNodeFree, &scriptedSource{clock: f.clock}, time.Millisecond))
}

func TestNextLevel(t *testing.T) {
	t.Parallel()
	th := Threshold{Warning: 80, Critical: 95}
	tests := []struct {
		cur   AlertLevel
		value float64
		h     float64
		want  AlertLevel
	}{
		{"", 79.99, 2, ""},
		{"", 80, 2, LevelWarning},
		{"", 95, 2, LevelCritical},
		{LevelWarning, 78, 2, LevelWarning},
		{LevelWarning, 77.9, 2, ""},
		{LevelWarning, 78, 0, ""},
		{LevelCritical, 93, 2, LevelCritical},
		{LevelCritical, 92.9, 2, LevelWarning},
		{LevelCritical, 79, 2, LevelWarning},
		{LevelCritical, 10, 2, ""},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, nextLevel(tc.cur, tc.value, th, tc.h), "%+v", tc)
	}
}

func TestMonitorForgetNode(t *testing.T) {
	t.Parallel()
	f := newMonitorFixture(t)
	ctx := context.Background()
	s := goodSample(resT0)
	s.NodeID = ""
	s.CPU.UsagePercent = 99
	_, err := f.m.Report(ctx, resNodeFree, s)
	require.NoError(t, err)
	_, err = f.m.Allocate(ctx, SystemActor, resNodeFree, AllocationRequest{CPUPercent: 10})
	require.NoError(t, err)
	all, err := f.m.ActiveAlerts(ctx, 0)
	require.NoError(t, err)
	require.Len(t, all, 1)
	f.takeEvents()

	require.NoError(t, f.m.ForgetNode(ctx, resNodeFree))
	ev := f.takeEvents()
	require.Len(t, ev, 1)
	assert.False(t, ev[0].Raised)
	assert.NotNil(t, ev[0].Alert.ClearedAt)
	all, err = f.m.ActiveAlerts(ctx, 0)
	require.NoError(t, err)
	assert.Empty(t, all)
	assert.Zero(t, f.store.sampleCount())
	a, err := f.store.GetAllocation(ctx, resNodeFree)
	require.NoError(t, err)
	assert.Nil(t, a)
}

// TestMonitorCurrentSummaryMixesHourlyAndRaw checks that the summary of a long range (whole
// hours from the hourly aggregates, the partial hours at both ends from raw samples) equals the
// brute-force aggregate of the samples in the range, at every time range.
func TestMonitorCurrentSummaryMixesHourlyAndRaw(t *testing.T) {
	t.Parallel()
	f := newMonitorFixture(t)
	ctx := context.Background()
	now := f.clock.Now().Add(17*time.Minute + 13*time.Second) // not on an hour
	// Samples every 7 minutes over 8 days before now (some before each range), and one at now.
	var all []ResourceSample
	for ts := now.Add(-8 * 24 * time.Hour); !ts.After(now); ts = ts.Add(7 * time.Minute) {
		s := goodSample(ts)
		s.NodeID = resNodeFree
		s.GPU = nil
		s.CPU.UsagePercent = float64(ts.Unix()/60%97) + 0.5
		require.NoError(t, f.store.SaveSample(ctx, &s))
		all = append(all, s)
	}
	last := goodSample(now)
	last.NodeID, last.GPU, last.CPU.UsagePercent = resNodeFree, nil, 99.5
	require.NoError(t, f.store.SaveSample(ctx, &last))
	all = append(all, last)
	f.clock.Advance(now.Sub(f.clock.Now()))

	for tr, d := range TimeRanges {
		sum, err := f.m.Current(ctx, resNodeFree, tr)
		require.NoError(t, err)
		start := now.Add(-d)
		var n int64
		var total float64
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, s := range all {
			if s.Timestamp.Before(start) || s.Timestamp.After(now) {
				continue
			}
			v := s.CPU.UsagePercent
			n++
			total += v
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		got := sum.Summary[MetricCPU]
		assert.Equal(t, n, got.Samples, tr)
		assert.InDelta(t, total/float64(n), got.Avg, 1e-9, tr)
		assert.Equal(t, lo, got.Min, tr)
		assert.Equal(t, hi, got.Max, tr)
		assert.True(t, got.Start.Equal(start), tr)
	}
}

// levelCounter is a slog handler that counts records by level and message.
type levelCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (h *levelCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h *levelCounter) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *levelCounter) WithGroup(string) slog.Handler            { return h }
func (h *levelCounter) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.counts[r.Level.String()+" "+r.Message]++
	return nil
}

func (h *levelCounter) get(key string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts[key]
}

// TestMonitorCollectorLogsRepeatedFailureOnce runs the collector for a node that is not
// registered: the failure is a warning once, then debug; when the node appears, samples are
// stored and that is logged once.
func TestMonitorCollectorLogsRepeatedFailureOnce(t *testing.T) {
	t.Parallel()
	f := newMonitorFixture(t)
	logs := &levelCounter{counts: map[string]int{}}
	m := NewMonitor(f.nodes, f.store, MonitorConfig{Now: time.Now, Logger: slog.New(logs)})
	const node = "node_later0001"
	src := &scriptedSource{clock: &resClock{t: time.Now()}, step: time.Millisecond, script: []func(*ResourceSample){cpuAt(10)}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.RunCollector(ctx, node, src, 2*time.Millisecond) }()

	require.Eventually(t, func() bool { return logs.get("DEBUG resource collector: sample failed again") >= 3 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, 1, logs.get("WARN resource collector: sample failed"))

	f.nodes.mu.Lock()
	f.nodes.nodes[node] = &Node{NodeID: node, Name: "later", Status: StatusActive, HardwareInfo: f.nodes.nodes[resNodeFree].HardwareInfo}
	f.nodes.mu.Unlock()
	require.Eventually(t, func() bool { return logs.get("INFO resource collector: samples stored again") == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	assert.Equal(t, 1, logs.get("WARN resource collector: sample failed"))
	assert.Equal(t, 1, logs.get("INFO resource collector: samples stored again"))
}
