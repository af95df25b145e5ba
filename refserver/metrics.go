package refserver

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

const metricPrefix = "lucid_node_management_"

// metrics are the server's Prometheus series, registered on the Server's own registry so many
// servers can live in one process (tests).
type metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	nodeOps     *prometheus.CounterVec
	dbOps       *prometheus.CounterVec
	dbDuration  *prometheus.HistogramVec
	statusCodes map[int]string
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricPrefix + "http_requests_total",
			Help: "HTTP requests by method, route pattern and status code.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    metricPrefix + "http_request_duration_seconds",
			Help:    "HTTP request latency by method and route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route"}),
		nodeOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricPrefix + "node_operations_total",
			Help: "Node and pool operations by operation and result (ok or the error code).",
		}, []string{"op", "result"}),
		dbOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricPrefix + "database_operations_total",
			Help: "Store operations by operation and result (ok or error).",
		}, []string{"op", "result"}),
		dbDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    metricPrefix + "database_operation_duration_seconds",
			Help:    "Store operation latency by operation.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"op"}),
		statusCodes: map[int]string{},
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.nodeOps, m.dbOps, m.dbDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for code := 100; code < 600; code++ {
		m.statusCodes[code] = strconv.Itoa(code)
	}
	return m, nil
}

// registerFleet adds the fleet gauges, read from the store at scrape time: active nodes, and
// nodes by lifecycle status and by health (so "nodes down" alerts count nodes, not transitions).
func (m *metrics) registerFleet(reg *prometheus.Registry, svc *nodemgmt.Service) error {
	if err := reg.Register(&fleetCollector{svc: svc,
		byStatus: prometheus.NewDesc(metricPrefix+"nodes_by_status", "Nodes in each lifecycle status.", []string{"status"}, nil),
		byHealth: prometheus.NewDesc(metricPrefix+"nodes_by_health", "Nodes in each health state.", []string{"health"}, nil),
	}); err != nil {
		return err
	}
	return reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: metricPrefix + "active_nodes",
		Help: "Nodes whose lifecycle status is active.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c, err := svc.Counts(ctx)
		if err != nil {
			return -1
		}
		return float64(c.ByStatus[nodemgmt.StatusActive])
	}))
}

func (m *metrics) request(method, route string, status int, d time.Duration) {
	code, ok := m.statusCodes[status]
	if !ok {
		code = strconv.Itoa(status)
	}
	m.requests.WithLabelValues(method, route, code).Inc()
	m.duration.WithLabelValues(method, route).Observe(d.Seconds())
}

// operation is nodemgmt's OnOperation hook.
func (m *metrics) operation(op, result string) { m.nodeOps.WithLabelValues(op, result).Inc() }

func (m *metrics) db(op string, start time.Time, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.dbOps.WithLabelValues(op, result).Inc()
	m.dbDuration.WithLabelValues(op).Observe(time.Since(start).Seconds())
}

// instrumentedStore counts and times every store call. Domain outcomes such as "not found" are
// counted as errors too: the series measures the database, the node series the business. It
// embeds no Store, so a method added to nodemgmt.Store fails to compile here until it is
// instrumented.
type instrumentedStore struct {
	next nodemgmt.Store
	m    *metrics
}

var _ nodemgmt.Store = (*instrumentedStore)(nil)

func instrumentStore(s nodemgmt.Store, m *metrics) nodemgmt.Store {
	return &instrumentedStore{next: s, m: m}
}

func (s *instrumentedStore) CreateNode(ctx context.Context, n *nodemgmt.Node) error {
	start := time.Now()
	err := s.next.CreateNode(ctx, n)
	s.m.db("create_node", start, err)
	return err
}

func (s *instrumentedStore) GetNode(ctx context.Context, id string) (*nodemgmt.Node, error) {
	start := time.Now()
	v, err := s.next.GetNode(ctx, id)
	s.m.db("get_node", start, err)
	return v, err
}

func (s *instrumentedStore) UpdateNode(ctx context.Context, id string, fn func(n *nodemgmt.Node) error) (*nodemgmt.Node, error) {
	start := time.Now()
	v, err := s.next.UpdateNode(ctx, id, fn)
	s.m.db("update_node", start, err)
	return v, err
}

func (s *instrumentedStore) DeleteNode(ctx context.Context, id string, check func(n *nodemgmt.Node) error) error {
	start := time.Now()
	err := s.next.DeleteNode(ctx, id, check)
	s.m.db("delete_node", start, err)
	return err
}

func (s *instrumentedStore) ListNodes(ctx context.Context, f nodemgmt.NodeFilter) (nodemgmt.NodePage, error) {
	start := time.Now()
	v, err := s.next.ListNodes(ctx, f)
	s.m.db("list_nodes", start, err)
	return v, err
}

func (s *instrumentedStore) ListStaleNodes(ctx context.Context, before time.Time, limit int) ([]*nodemgmt.Node, error) {
	start := time.Now()
	v, err := s.next.ListStaleNodes(ctx, before, limit)
	s.m.db("list_stale_nodes", start, err)
	return v, err
}

func (s *instrumentedStore) ExtendHealthDeadlines(ctx context.Context, until time.Time) (int, error) {
	start := time.Now()
	v, err := s.next.ExtendHealthDeadlines(ctx, until)
	s.m.db("extend_health_deadlines", start, err)
	return v, err
}

func (s *instrumentedStore) CountNodes(ctx context.Context) (nodemgmt.NodeCounts, error) {
	start := time.Now()
	v, err := s.next.CountNodes(ctx)
	s.m.db("count_nodes", start, err)
	return v, err
}

func (s *instrumentedStore) CreatePool(ctx context.Context, p *nodemgmt.Pool) error {
	start := time.Now()
	err := s.next.CreatePool(ctx, p)
	s.m.db("create_pool", start, err)
	return err
}

func (s *instrumentedStore) GetPool(ctx context.Context, id string) (*nodemgmt.Pool, error) {
	start := time.Now()
	v, err := s.next.GetPool(ctx, id)
	s.m.db("get_pool", start, err)
	return v, err
}

func (s *instrumentedStore) UpdatePool(ctx context.Context, id string, fn func(p *nodemgmt.Pool) error) (*nodemgmt.Pool, error) {
	start := time.Now()
	v, err := s.next.UpdatePool(ctx, id, fn)
	s.m.db("update_pool", start, err)
	return v, err
}

func (s *instrumentedStore) DeletePool(ctx context.Context, id string) error {
	start := time.Now()
	err := s.next.DeletePool(ctx, id)
	s.m.db("delete_pool", start, err)
	return err
}

func (s *instrumentedStore) ListPools(ctx context.Context, f nodemgmt.PoolFilter) (nodemgmt.PoolPage, error) {
	start := time.Now()
	v, err := s.next.ListPools(ctx, f)
	s.m.db("list_pools", start, err)
	return v, err
}

func (s *instrumentedStore) AddNodeToPool(ctx context.Context, poolID, nodeID string, priority int, now time.Time) (*nodemgmt.Pool, error) {
	start := time.Now()
	v, err := s.next.AddNodeToPool(ctx, poolID, nodeID, priority, now)
	s.m.db("add_node_to_pool", start, err)
	return v, err
}

func (s *instrumentedStore) RemoveNodeFromPool(ctx context.Context, poolID, nodeID string, now time.Time) (*nodemgmt.Pool, error) {
	start := time.Now()
	v, err := s.next.RemoveNodeFromPool(ctx, poolID, nodeID, now)
	s.m.db("remove_node_from_pool", start, err)
	return v, err
}

func (s *instrumentedStore) AppendAudit(ctx context.Context, e nodemgmt.AuditEntry) error {
	start := time.Now()
	err := s.next.AppendAudit(ctx, e)
	s.m.db("append_audit", start, err)
	return err
}

func (s *instrumentedStore) ListAudit(ctx context.Context, f nodemgmt.AuditFilter) ([]nodemgmt.AuditEntry, error) {
	start := time.Now()
	v, err := s.next.ListAudit(ctx, f)
	s.m.db("list_audit", start, err)
	return v, err
}

func (s *instrumentedStore) PruneAudit(ctx context.Context, category string, before time.Time) (int, error) {
	start := time.Now()
	v, err := s.next.PruneAudit(ctx, category, before)
	s.m.db("prune_audit", start, err)
	return v, err
}

func (s *instrumentedStore) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	start := time.Now()
	v, err := s.next.AcquireLease(ctx, name, holder, now, ttl)
	s.m.db("acquire_lease", start, err)
	return v, err
}

func (s *instrumentedStore) ReleaseLease(ctx context.Context, name, holder string) error {
	start := time.Now()
	err := s.next.ReleaseLease(ctx, name, holder)
	s.m.db("release_lease", start, err)
	return err
}

func (s *instrumentedStore) Ping(ctx context.Context) error {
	start := time.Now()
	err := s.next.Ping(ctx)
	s.m.db("ping", start, err)
	return err
}

// fleetCollector reports node counts by status and health from one store query per scrape.
type fleetCollector struct {
	svc                *nodemgmt.Service
	byStatus, byHealth *prometheus.Desc
}

// Describe implements prometheus.Collector.
func (c *fleetCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.byStatus
	ch <- c.byHealth
}

// Collect implements prometheus.Collector; every status and health is reported, zero included,
// so a series never disappears when its last node leaves it.
func (c *fleetCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.svc.Counts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.byStatus, err)
		return
	}
	for _, s := range []nodemgmt.Status{nodemgmt.StatusInactive, nodemgmt.StatusStarting, nodemgmt.StatusActive,
		nodemgmt.StatusStopping, nodemgmt.StatusMaintenance, nodemgmt.StatusError} {
		ch <- prometheus.MustNewConstMetric(c.byStatus, prometheus.GaugeValue, float64(counts.ByStatus[s]), string(s))
	}
	for _, h := range []nodemgmt.Health{nodemgmt.HealthHealthy, nodemgmt.HealthUnknown, nodemgmt.HealthDown} {
		ch <- prometheus.MustNewConstMetric(c.byHealth, prometheus.GaugeValue, float64(counts.ByHealth[h]), string(h))
	}
}
