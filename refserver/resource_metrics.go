package refserver

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

// DefaultResourceMetricsNodes is the default bound on the nodes that get resource series.
const DefaultResourceMetricsNodes = 1000

// resourceMetrics are the resource series:
//
//	lucid_node_management_resource_usage{node_id, resource}         gauge, from every stored sample:
//	    cpu, memory, disk, gpu in percent (memory and disk used/total); network in Mbps (in+out)
//	lucid_node_management_resource_alerts{node_id, resource, level} gauge: 1 while the alert is
//	    active, 0 once cleared
//	lucid_node_management_resource_series_dropped_total              counter: samples and alerts of
//	    nodes beyond the bound that got no series
//
// Cardinality: at most limit nodes (RESOURCE_METRICS_MAX_NODES, default 1000) get series, each
// with at most 5 usage series and 10 alert series (5 resources × 2 levels); the series of a
// deleted node are removed. Nodes past the bound are counted in the dropped counter and remain
// fully visible through the API.
type resourceMetrics struct {
	usage   *prometheus.GaugeVec
	alerts  *prometheus.GaugeVec
	dropped prometheus.Counter
	limit   int

	mu    sync.Mutex
	nodes map[string]struct{}
}

func newResourceMetrics(reg *prometheus.Registry, limit int) (*resourceMetrics, error) {
	if limit <= 0 {
		limit = DefaultResourceMetricsNodes
	}
	m := &resourceMetrics{
		usage: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: metricPrefix + "resource_usage",
			Help: "Latest reported resource usage per node: cpu, memory, disk, gpu in percent; network in Mbps (in+out).",
		}, []string{"node_id", "resource"}),
		alerts: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: metricPrefix + "resource_alerts",
			Help: "Resource alerts per node, resource and level: 1 while active, 0 once cleared.",
		}, []string{"node_id", "resource", "level"}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: metricPrefix + "resource_series_dropped_total",
			Help: "Resource samples and alerts of nodes beyond RESOURCE_METRICS_MAX_NODES that got no series.",
		}),
		limit: limit,
		nodes: map[string]struct{}{},
	}
	for _, c := range []prometheus.Collector{m.usage, m.alerts, m.dropped} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// admit reports whether the node has (or may now get) series.
func (m *resourceMetrics) admit(node string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.nodes[node]; ok {
		return true
	}
	if len(m.nodes) >= m.limit {
		m.dropped.Inc()
		return false
	}
	m.nodes[node] = struct{}{}
	return true
}

// sample is the Monitor's OnSample hook.
func (m *resourceMetrics) sample(s nodemgmt.ResourceSample) {
	if !m.admit(s.NodeID) {
		return
	}
	m.usage.WithLabelValues(s.NodeID, string(nodemgmt.ResourceCPU)).Set(s.MetricValue(nodemgmt.MetricCPU))
	m.usage.WithLabelValues(s.NodeID, string(nodemgmt.ResourceMemory)).Set(s.MetricValue(nodemgmt.MetricMemory))
	m.usage.WithLabelValues(s.NodeID, string(nodemgmt.ResourceDisk)).Set(s.MetricValue(nodemgmt.MetricDisk))
	m.usage.WithLabelValues(s.NodeID, string(nodemgmt.ResourceNetwork)).Set(s.MetricValue(nodemgmt.MetricNetwork))
	if s.GPU != nil {
		m.usage.WithLabelValues(s.NodeID, string(nodemgmt.ResourceGPU)).Set(s.GPU.UsagePercent)
	}
}

// alert is the Monitor's OnAlert hook.
func (m *resourceMetrics) alert(e nodemgmt.AlertEvent) {
	if !m.admit(e.Alert.NodeID) {
		return
	}
	v := 0.0
	if e.Raised {
		v = 1
	}
	m.alerts.WithLabelValues(e.Alert.NodeID, string(e.Alert.Resource), string(e.Alert.Level)).Set(v)
}

// forget removes a deleted node's series and frees its place under the bound.
func (m *resourceMetrics) forget(node string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.nodes, node)
	m.usage.DeletePartialMatch(prometheus.Labels{"node_id": node})
	m.alerts.DeletePartialMatch(prometheus.Labels{"node_id": node})
}

// instrumentedResources counts and times every ResourceStore call in the database series,
// like instrumentedStore.
type instrumentedResources struct {
	next nodemgmt.ResourceStore
	m    *metrics
}

var _ nodemgmt.ResourceStore = (*instrumentedResources)(nil)

func instrumentResourceStore(s nodemgmt.ResourceStore, m *metrics) nodemgmt.ResourceStore {
	return &instrumentedResources{next: s, m: m}
}

func (s *instrumentedResources) SaveSample(ctx context.Context, smp *nodemgmt.ResourceSample) error {
	start := time.Now()
	err := s.next.SaveSample(ctx, smp)
	s.m.db("save_sample", start, err)
	return err
}

func (s *instrumentedResources) LatestSample(ctx context.Context, nodeID string) (*nodemgmt.ResourceSample, error) {
	start := time.Now()
	v, err := s.next.LatestSample(ctx, nodeID)
	s.m.db("latest_sample", start, err)
	return v, err
}

func (s *instrumentedResources) AggregateSamples(ctx context.Context, q nodemgmt.AggregateQuery) ([]nodemgmt.MetricPoint, error) {
	start := time.Now()
	v, err := s.next.AggregateSamples(ctx, q)
	s.m.db("aggregate_samples", start, err)
	return v, err
}

func (s *instrumentedResources) DeleteSamplesBefore(ctx context.Context, before time.Time) (int64, error) {
	start := time.Now()
	v, err := s.next.DeleteSamplesBefore(ctx, before)
	s.m.db("delete_samples", start, err)
	return v, err
}

func (s *instrumentedResources) DeleteHourlyBefore(ctx context.Context, before time.Time) (int64, error) {
	start := time.Now()
	v, err := s.next.DeleteHourlyBefore(ctx, before)
	s.m.db("delete_hourly", start, err)
	return v, err
}

func (s *instrumentedResources) GetThresholds(ctx context.Context, nodeID string) (*nodemgmt.Thresholds, error) {
	start := time.Now()
	v, err := s.next.GetThresholds(ctx, nodeID)
	s.m.db("get_thresholds", start, err)
	return v, err
}

func (s *instrumentedResources) PutThresholds(ctx context.Context, t *nodemgmt.Thresholds) error {
	start := time.Now()
	err := s.next.PutThresholds(ctx, t)
	s.m.db("put_thresholds", start, err)
	return err
}

func (s *instrumentedResources) ActiveAlerts(ctx context.Context, nodeID string) ([]nodemgmt.Alert, error) {
	start := time.Now()
	v, err := s.next.ActiveAlerts(ctx, nodeID)
	s.m.db("active_alerts", start, err)
	return v, err
}

func (s *instrumentedResources) ListAlerts(ctx context.Context, f nodemgmt.AlertFilter) ([]nodemgmt.Alert, error) {
	start := time.Now()
	v, err := s.next.ListAlerts(ctx, f)
	s.m.db("list_alerts", start, err)
	return v, err
}

func (s *instrumentedResources) SwapAlert(ctx context.Context, nodeID string, r nodemgmt.Resource, at time.Time, next *nodemgmt.Alert) (*nodemgmt.Alert, error) {
	start := time.Now()
	v, err := s.next.SwapAlert(ctx, nodeID, r, at, next)
	s.m.db("swap_alert", start, err)
	return v, err
}

func (s *instrumentedResources) GetAllocation(ctx context.Context, nodeID string) (*nodemgmt.Allocation, error) {
	start := time.Now()
	v, err := s.next.GetAllocation(ctx, nodeID)
	s.m.db("get_allocation", start, err)
	return v, err
}

func (s *instrumentedResources) PutAllocation(ctx context.Context, a *nodemgmt.Allocation) error {
	start := time.Now()
	err := s.next.PutAllocation(ctx, a)
	s.m.db("put_allocation", start, err)
	return err
}

func (s *instrumentedResources) DeleteNodeResources(ctx context.Context, nodeID string, at time.Time) error {
	start := time.Now()
	err := s.next.DeleteNodeResources(ctx, nodeID, at)
	s.m.db("delete_node_resources", start, err)
	return err
}
