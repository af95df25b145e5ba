package nodemgmt

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"time"
)

// MonitorConfig tunes a Monitor. Zero fields take the documented defaults.
type MonitorConfig struct {
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives alerts and collector problems; default slog.Default().
	Logger *slog.Logger
	// RawRetention is how long raw samples are kept and the oldest timestamp a report may carry
	// (default 90 days, RESOURCE_RETENTION_DAYS).
	RawRetention time.Duration
	// AggregateRetention is how long hourly aggregates are kept (default 365 days).
	AggregateRetention time.Duration
	// Hysteresis is how many percentage points below a threshold a value must fall before the
	// alert clears or downgrades (default DefaultHysteresis; negative means none).
	Hysteresis float64
	// MaxBuckets bounds the points of one metrics query (default 10080: 7 days of minutes).
	MaxBuckets int
	// SampleTimeout bounds one MetricsSource.Sample call of the collector (default 5 s).
	SampleTimeout time.Duration
	// OnAlert, if set, is called for every alert raised or cleared (logs, Prometheus gauges).
	OnAlert func(AlertEvent)
	// OnSample, if set, is called with every stored sample (Prometheus usage gauges).
	OnSample func(ResourceSample)
	// OnOperation, if set, is called once per audited operation with its result, like
	// Config.OnOperation.
	OnOperation func(op, result string)
}

// Monitor holds the rules of resource monitoring: it accepts samples (from the local collector
// or remote reports), evaluates thresholds into alerts, answers queries and reserves resources.
// It reads nodes and pools through Store and keeps its own data in a ResourceStore.
type Monitor struct {
	nodes Store
	res   ResourceStore
	cfg   MonitorConfig
}

// NewMonitor returns a Monitor over the two stores with cfg's zero fields defaulted.
func NewMonitor(nodes Store, res ResourceStore, cfg MonitorConfig) *Monitor {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.RawRetention <= 0 {
		cfg.RawRetention = 90 * 24 * time.Hour
	}
	if cfg.AggregateRetention <= 0 {
		cfg.AggregateRetention = 365 * 24 * time.Hour
	}
	if cfg.Hysteresis == 0 {
		cfg.Hysteresis = DefaultHysteresis
	} else if cfg.Hysteresis < 0 {
		cfg.Hysteresis = 0
	}
	if cfg.MaxBuckets <= 0 {
		cfg.MaxBuckets = 7 * 24 * 60
	}
	if cfg.SampleTimeout <= 0 {
		cfg.SampleTimeout = 5 * time.Second
	}
	return &Monitor{nodes: nodes, res: res, cfg: cfg}
}

// Config returns the effective configuration (defaults applied).
func (m *Monitor) Config() MonitorConfig { return m.cfg }

func (m *Monitor) now() time.Time { return m.cfg.Now().UTC() }

func (m *Monitor) record(ctx context.Context, actor Actor, action, target string, err error, details map[string]any) {
	result := "ok"
	if err != nil {
		result = errorCode(err)
	}
	if m.cfg.OnOperation != nil {
		m.cfg.OnOperation("node."+action, result)
	}
	e := AuditEntry{ID: newID("audit_"), At: m.now(), Category: "node", Actor: actor.String(),
		Action: action, Target: target, Result: result, Details: details}
	if aerr := m.nodes.AppendAudit(ctx, e); aerr != nil {
		m.cfg.Logger.ErrorContext(ctx, "audit write failed", "action", action, "target", target, "err", aerr)
	}
}

func (m *Monitor) node(ctx context.Context, nodeID string) (*Node, error) {
	if err := checkNodeID(nodeID); err != nil {
		return nil, err
	}
	return m.nodes.GetNode(ctx, nodeID)
}

// ReportResult is the answer to a stored sample: the node's active alerts after evaluating it.
type ReportResult struct {
	NodeID       string    `json:"node_id"`
	Timestamp    time.Time `json:"timestamp"`
	ActiveAlerts []Alert   `json:"active_alerts"`
}

// Report validates a sample of the node (ResourceSample.Validate with the raw retention as
// maximum age; a NodeID in the sample must match nodeID), stores it (timestamp in UTC,
// truncated to the microsecond) and, unless it is older
// than the node's latest stored sample, evaluates the node's thresholds against it. A sample
// with the same timestamp as a stored one is refused with LUCID_ERR_4090. Nothing is stored
// when validation fails.
func (m *Monitor) Report(ctx context.Context, nodeID string, s ResourceSample) (*ReportResult, error) {
	if s.NodeID != "" && s.NodeID != nodeID {
		var v validationError
		v.add("node_id", "does not match the node of the request")
		return nil, v.err()
	}
	s.NodeID = nodeID
	// Microseconds are what every backend (PostgreSQL included) stores exactly, so the
	// duplicate check and "latest" agree everywhere.
	s.Timestamp = s.Timestamp.UTC().Truncate(time.Microsecond)
	if err := checkNodeID(nodeID); err != nil {
		return nil, err
	}
	if err := s.Validate(m.now(), m.cfg.RawRetention); err != nil {
		return nil, err
	}
	n, err := m.nodes.GetNode(ctx, nodeID)
	if err != nil {
		return nil, err
	}
	latest, err := m.res.LatestSample(ctx, nodeID)
	if err != nil {
		return nil, err
	}
	if err := m.res.SaveSample(ctx, &s); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, &Error{Code: CodeConflict, Message: "a sample with this timestamp is already stored",
				Details: map[string]any{"node_id": nodeID, "timestamp": s.Timestamp}, Err: err}
		}
		return nil, err
	}
	if m.cfg.OnSample != nil {
		m.cfg.OnSample(s)
	}
	var active []Alert
	if latest == nil || !s.Timestamp.Before(latest.Timestamp) {
		active, err = m.evaluate(ctx, n, &s)
	} else {
		active, err = m.res.ActiveAlerts(ctx, nodeID)
	}
	if err != nil {
		return nil, err
	}
	return &ReportResult{NodeID: nodeID, Timestamp: s.Timestamp, ActiveAlerts: active}, nil
}

func (m *Monitor) thresholds(ctx context.Context, nodeID string) (Thresholds, error) {
	t, err := m.res.GetThresholds(ctx, nodeID)
	if err != nil {
		return Thresholds{}, err
	}
	if t == nil {
		return DefaultThresholds(nodeID), nil
	}
	return *t, nil
}

// evaluate moves the node's alerts to the levels the sample shows and returns the active ones.
func (m *Monitor) evaluate(ctx context.Context, n *Node, s *ResourceSample) ([]Alert, error) {
	th, err := m.thresholds(ctx, n.NodeID)
	if err != nil {
		return nil, err
	}
	active, err := m.res.ActiveAlerts(ctx, n.NodeID)
	if err != nil {
		return nil, err
	}
	current := make(map[Resource]Alert, len(active))
	for _, a := range active {
		current[a.Resource] = a
	}
	capacity := networkCapacityMbps(n)
	now := m.now()
	var out []Alert
	for _, r := range Resources {
		cur, has := current[r]
		value, ok := thresholdValue(s, r, capacity)
		if !ok {
			if has {
				out = append(out, cur)
			}
			continue
		}
		limit := th.For(r)
		level := nextLevel(cur.Level, value, limit, m.cfg.Hysteresis)
		if level == cur.Level {
			if has {
				out = append(out, cur)
			}
			continue
		}
		var next *Alert
		if level != "" {
			tv := limit.Warning
			if level == LevelCritical {
				tv = limit.Critical
			}
			next = &Alert{ID: newID("alert_"), NodeID: n.NodeID, Resource: r, Level: level,
				Value: round2(value), Threshold: tv, RaisedAt: now}
		}
		cleared, err := m.res.SwapAlert(ctx, n.NodeID, r, now, next)
		if err != nil {
			return nil, err
		}
		if cleared != nil {
			m.cfg.Logger.InfoContext(ctx, "resource alert cleared", "node_id", n.NodeID, "resource", r,
				"level", cleared.Level, "value", round2(value), "alert_id", cleared.ID)
			m.emit(AlertEvent{Alert: *cleared, Raised: false})
		}
		if next != nil {
			m.cfg.Logger.WarnContext(ctx, "resource alert raised", "node_id", n.NodeID, "resource", r,
				"level", next.Level, "value", next.Value, "threshold", next.Threshold, "alert_id", next.ID)
			m.emit(AlertEvent{Alert: *next, Raised: true})
			out = append(out, *next)
		}
	}
	return out, nil
}

func (m *Monitor) emit(e AlertEvent) {
	if m.cfg.OnAlert != nil {
		m.cfg.OnAlert(e)
	}
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// TimeRanges are the time_range values of GET …/resources, with their length.
var TimeRanges = map[string]time.Duration{
	"1h": time.Hour, "6h": 6 * time.Hour, "24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour,
}

// ResourceSummary is the answer of GET …/resources: the latest sample and, per metric type,
// the average, minimum and maximum over the time range, with the node's thresholds,
// reservation and active alerts.
type ResourceSummary struct {
	NodeID       string                     `json:"node_id"`
	TimeRange    string                     `json:"time_range"`
	Start        time.Time                  `json:"start_time"`
	End          time.Time                  `json:"end_time"`
	Current      *ResourceSample            `json:"current"`
	Summary      map[MetricType]MetricPoint `json:"summary"`
	Thresholds   Thresholds                 `json:"thresholds"`
	Allocation   *Allocation                `json:"allocation"`
	ActiveAlerts []Alert                    `json:"active_alerts"`
}

// Current returns the node's latest sample and a summary over timeRange (1h, 6h, 24h or 7d;
// "" means 1h) ending now. Metric types without samples in the range are absent from Summary.
func (m *Monitor) Current(ctx context.Context, nodeID, timeRange string) (*ResourceSummary, error) {
	if timeRange == "" {
		timeRange = "1h"
	}
	d, ok := TimeRanges[timeRange]
	if !ok {
		var v validationError
		v.add("time_range", "must be 1h, 6h, 24h or 7d")
		return nil, v.err()
	}
	if _, err := m.node(ctx, nodeID); err != nil {
		return nil, err
	}
	end := m.now()
	start := end.Add(-d)
	out := &ResourceSummary{NodeID: nodeID, TimeRange: timeRange, Start: start, End: end,
		Summary: make(map[MetricType]MetricPoint, len(MetricTypes))}
	var err error
	if out.Current, err = m.res.LatestSample(ctx, nodeID); err != nil {
		return nil, err
	}
	for _, t := range MetricTypes {
		p, err := m.summarize(ctx, nodeID, t, start, end.Add(time.Nanosecond))
		if err != nil {
			return nil, err
		}
		if p != nil {
			out.Summary[t] = *p
		}
	}
	if out.Thresholds, err = m.thresholds(ctx, nodeID); err != nil {
		return nil, err
	}
	if out.Allocation, err = m.res.GetAllocation(ctx, nodeID); err != nil {
		return nil, err
	}
	if out.ActiveAlerts, err = m.res.ActiveAlerts(ctx, nodeID); err != nil {
		return nil, err
	}
	if out.ActiveAlerts == nil {
		out.ActiveAlerts = []Alert{}
	}
	return out, nil
}

// summarize aggregates one metric over [start, end) into a single point (nil without samples).
// The whole hours inside the range come from the hourly aggregates and only the partial hours at
// both ends from raw samples, so a 7-day summary reads about 170 hourly rows and two hours of
// samples instead of 10,080 samples. (Within the raw retention both give the same samples.)
func (m *Monitor) summarize(ctx context.Context, nodeID string, t MetricType, start, end time.Time) (*MetricPoint, error) {
	q := AggregateQuery{NodeID: nodeID, Metric: t}
	hs, he := alignUp(start, time.Hour), alignDown(end, time.Hour)
	var parts []MetricPoint
	if !hs.Before(he) {
		q.Start, q.End = start, end
		pts, err := m.res.AggregateSamples(ctx, q)
		if err != nil {
			return nil, err
		}
		parts = pts
	} else {
		for _, part := range []AggregateQuery{
			{NodeID: nodeID, Metric: t, Start: start, End: hs},
			{NodeID: nodeID, Metric: t, Start: hs, End: he, Bucket: time.Hour},
			{NodeID: nodeID, Metric: t, Start: he, End: end},
		} {
			if !part.Start.Before(part.End) {
				continue
			}
			pts, err := m.res.AggregateSamples(ctx, part)
			if err != nil {
				return nil, err
			}
			parts = append(parts, pts...)
		}
	}
	if len(parts) == 0 {
		return nil, nil
	}
	out := MetricPoint{Start: start, Min: parts[0].Min, Max: parts[0].Max}
	var sum float64
	for _, p := range parts {
		out.Samples += p.Samples
		sum += p.Avg * float64(p.Samples)
		out.Min = math.Min(out.Min, p.Min)
		out.Max = math.Max(out.Max, p.Max)
	}
	if out.Samples == 0 {
		return nil, nil
	}
	out.Avg = sum / float64(out.Samples)
	return &out, nil
}

// Granularities are the granularity values of GET …/resources/metrics.
var Granularities = map[string]time.Duration{
	"1m": time.Minute, "5m": 5 * time.Minute, "15m": 15 * time.Minute, "1h": time.Hour,
}

// MetricsQuery is the query of GET …/resources/metrics. Zero values default: MetricType cpu,
// Granularity 5m, End now, Start one hour before End.
type MetricsQuery struct {
	MetricType  MetricType
	Granularity string
	Start       time.Time
	End         time.Time
}

// MetricsResult is the answer of GET …/resources/metrics. Start and End are the query range
// widened to whole buckets; Points holds the buckets that have samples, oldest first.
type MetricsResult struct {
	NodeID      string        `json:"node_id"`
	MetricType  MetricType    `json:"metric_type"`
	Granularity string        `json:"granularity"`
	Unit        string        `json:"unit"`
	Start       time.Time     `json:"start_time"`
	End         time.Time     `json:"end_time"`
	Points      []MetricPoint `json:"points"`
}

// MetricUnit is the unit of a metric type's values.
func MetricUnit(t MetricType) string {
	if t == MetricNetwork {
		return "Mbps"
	}
	return "percent"
}

// Metrics returns one metric of the node aggregated by granularity, computed by the store. The
// range must have End after Start and span at most MaxBuckets buckets.
func (m *Monitor) Metrics(ctx context.Context, nodeID string, q MetricsQuery) (*MetricsResult, error) {
	var v validationError
	if q.MetricType == "" {
		q.MetricType = MetricCPU
	}
	if !q.MetricType.Valid() {
		v.add("metric_type", "must be cpu, memory, disk or network")
	}
	if q.Granularity == "" {
		q.Granularity = "5m"
	}
	g, ok := Granularities[q.Granularity]
	if !ok {
		v.add("granularity", "must be 1m, 5m, 15m or 1h")
	}
	if q.End.IsZero() {
		q.End = m.now()
	}
	if q.Start.IsZero() {
		q.Start = q.End.Add(-time.Hour)
	}
	q.Start, q.End = q.Start.UTC(), q.End.UTC()
	if !q.End.After(q.Start) {
		v.add("end_time", "must be after start_time")
	} else if ok {
		start, end := alignDown(q.Start, g), alignUp(q.End, g)
		if n := int64(end.Sub(start) / g); n > int64(m.cfg.MaxBuckets) {
			v.add("start_time", "the range spans %d buckets of %s; at most %d are allowed", n, q.Granularity, m.cfg.MaxBuckets)
		}
		q.Start, q.End = start, end
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if _, err := m.node(ctx, nodeID); err != nil {
		return nil, err
	}
	pts, err := m.res.AggregateSamples(ctx, AggregateQuery{NodeID: nodeID, Metric: q.MetricType,
		Start: q.Start, End: q.End, Bucket: g})
	if err != nil {
		return nil, err
	}
	if pts == nil {
		pts = []MetricPoint{}
	}
	return &MetricsResult{NodeID: nodeID, MetricType: q.MetricType, Granularity: q.Granularity,
		Unit: MetricUnit(q.MetricType), Start: q.Start, End: q.End, Points: pts}, nil
}

// alignDown rounds t down to a multiple of d since the Unix epoch.
func alignDown(t time.Time, d time.Duration) time.Time {
	ns := t.UnixNano()
	r := ns % int64(d)
	if r < 0 {
		r += int64(d)
	}
	return time.Unix(0, ns-r).UTC()
}

// alignUp rounds t up to a multiple of d since the Unix epoch.
func alignUp(t time.Time, d time.Duration) time.Time {
	a := alignDown(t, d)
	if a.Before(t) {
		a = a.Add(d)
	}
	return a
}

// SetThresholds merges upd into the node's thresholds (the defaults if it had none), validates
// and stores them. They apply from the node's next sample on.
func (m *Monitor) SetThresholds(ctx context.Context, actor Actor, nodeID string, upd ThresholdsUpdate) (t *Thresholds, err error) {
	defer func() { m.record(ctx, actor, "resources.thresholds", nodeID, err, nil) }()
	if _, err := m.node(ctx, nodeID); err != nil {
		return nil, err
	}
	cur, err := m.thresholds(ctx, nodeID)
	if err != nil {
		return nil, err
	}
	upd.apply(&cur)
	if err := cur.Validate(); err != nil {
		return nil, err
	}
	cur.NodeID = nodeID
	cur.UpdatedAt = m.now()
	cur.UpdatedBy = actor.String()
	if err := m.res.PutThresholds(ctx, &cur); err != nil {
		return nil, err
	}
	return &cur, nil
}

// Thresholds returns the node's effective thresholds (the defaults if it never set any).
func (m *Monitor) Thresholds(ctx context.Context, nodeID string) (*Thresholds, error) {
	if _, err := m.node(ctx, nodeID); err != nil {
		return nil, err
	}
	t, err := m.thresholds(ctx, nodeID)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// Alerts returns the node's alerts, newest first: only the active ones, or the history (at
// most 100).
func (m *Monitor) Alerts(ctx context.Context, nodeID string, activeOnly bool) ([]Alert, error) {
	if _, err := m.node(ctx, nodeID); err != nil {
		return nil, err
	}
	out, err := m.res.ListAlerts(ctx, AlertFilter{NodeID: nodeID, ActiveOnly: activeOnly, Limit: 100})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []Alert{}
	}
	return out, nil
}

// Allocate reserves resources for the node, replacing its previous reservation. The request
// must fit the node's hardware (cpu ≤ 100 %, memory ≤ hardware memory, disk ≤ hardware storage,
// network ≤ the sum of the interface speeds), else LUCID_ERR_5009; and the node's own
// configuration.resource_limits and its pool's per-node resource_limits (zero caps are not
// caps), else LUCID_ERR_5004. Both errors list every violation in Details["violations"].
func (m *Monitor) Allocate(ctx context.Context, actor Actor, nodeID string, req AllocationRequest) (a *Allocation, err error) {
	defer func() {
		m.record(ctx, actor, "resources.allocate", nodeID, err, map[string]any{
			"cpu_percent": req.CPUPercent, "memory_bytes": req.MemoryBytes,
			"disk_bytes": req.DiskBytes, "network_mbps": req.NetworkMbps})
	}()
	if err := req.Validate(); err != nil {
		return nil, err
	}
	n, err := m.node(ctx, nodeID)
	if err != nil {
		return nil, err
	}
	if v := hardwareViolations(n, &req); len(v) > 0 {
		return nil, &Error{Code: CodeInvalidAllocation,
			Message: "invalid resource allocation: " + v[0].Resource + " exceeds the node's hardware",
			Details: map[string]any{"node_id": nodeID, "violations": v}}
	}
	var v []AllocationViolation
	if n.Configuration != nil {
		v = append(v, limitViolations(n.Configuration.ResourceLimits, &req, "node")...)
	}
	details := map[string]any{"node_id": nodeID}
	if n.PoolID != "" {
		p, err := m.nodes.GetPool(ctx, n.PoolID)
		if err != nil {
			return nil, err
		}
		v = append(v, limitViolations(p.ResourceLimits, &req, "pool")...)
		details["pool_id"] = n.PoolID
	}
	if len(v) > 0 {
		details["violations"] = v
		return nil, &Error{Code: CodeResourceLimit,
			Message: "resource limit exceeded: " + v[0].Resource + " exceeds the " + v[0].Scope + " limit",
			Details: details}
	}
	a = &Allocation{NodeID: nodeID, CPUPercent: req.CPUPercent, MemoryBytes: req.MemoryBytes,
		DiskBytes: req.DiskBytes, NetworkMbps: req.NetworkMbps, AllocatedAt: m.now(), AllocatedBy: actor.String()}
	if err := m.res.PutAllocation(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// Allocation returns the node's reservation, or nil if it has none.
func (m *Monitor) Allocation(ctx context.Context, nodeID string) (*Allocation, error) {
	if _, err := m.node(ctx, nodeID); err != nil {
		return nil, err
	}
	return m.res.GetAllocation(ctx, nodeID)
}

// ActiveAlerts returns the active alerts of every node (at most limit; default 1000), for
// example to set the alert gauges when the server starts.
func (m *Monitor) ActiveAlerts(ctx context.Context, limit int) ([]Alert, error) {
	if limit <= 0 {
		limit = 1000
	}
	return m.res.ListAlerts(ctx, AlertFilter{ActiveOnly: true, Limit: limit})
}

// ForgetNode drops the resource data of a deleted node and clears its active alerts; the
// cleared alerts are reported to OnAlert so gauges go back to zero. Call it after the node is
// deleted.
func (m *Monitor) ForgetNode(ctx context.Context, nodeID string) error {
	active, err := m.res.ActiveAlerts(ctx, nodeID)
	if err != nil {
		return err
	}
	at := m.now()
	if err := m.res.DeleteNodeResources(ctx, nodeID, at); err != nil {
		return err
	}
	for _, a := range active {
		a.ClearedAt = &at
		m.emit(AlertEvent{Alert: a, Raised: false})
	}
	return nil
}

// CollectOnce takes one sample from source and reports it for the node. A sample without a
// timestamp is stamped with the Monitor's clock.
func (m *Monitor) CollectOnce(ctx context.Context, nodeID string, source MetricsSource) (*ReportResult, error) {
	sctx, cancel := context.WithTimeout(ctx, m.cfg.SampleTimeout)
	s, err := source.Sample(sctx)
	cancel()
	if err != nil {
		return nil, err
	}
	if s.Timestamp.IsZero() {
		s.Timestamp = m.now()
	}
	return m.Report(ctx, nodeID, s)
}

// RunCollector samples source every interval (default 60 s, RESOURCE_COLLECTION_INTERVAL) and
// reports the samples for the node, until ctx ends. Collection runs only in this loop, never on
// a request path; a failed sample is logged and the loop goes on. It returns nil when ctx ends.
func (m *Monitor) RunCollector(ctx context.Context, nodeID string, source MetricsSource, interval time.Duration) error {
	if interval <= 0 {
		interval = 60 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	// A failure that repeats (a host node not registered yet) is logged as a warning once and
	// then at debug level, until a sample is stored again.
	lastFailure := ""
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		_, err := m.CollectOnce(ctx, nodeID, source)
		switch {
		case err == nil:
			if lastFailure != "" {
				m.cfg.Logger.InfoContext(ctx, "resource collector: samples stored again", "node_id", nodeID)
			}
			lastFailure = ""
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, ErrNoSample):
			m.cfg.Logger.DebugContext(ctx, "resource collector: no sample yet", "node_id", nodeID)
		case errorCode(err) == lastFailure:
			m.cfg.Logger.DebugContext(ctx, "resource collector: sample failed again", "node_id", nodeID, "err", err)
		default:
			lastFailure = errorCode(err)
			m.cfg.Logger.WarnContext(ctx, "resource collector: sample failed", "node_id", nodeID, "err", err)
		}
	}
}

// RetentionOnce deletes raw samples older than rawDays days and hourly aggregates older than
// aggregateDays days (defaults: the configured RawRetention and AggregateRetention when ≤ 0).
// The hourly aggregates are maintained by SaveSample, so nothing is lost by deleting raw rows.
func (m *Monitor) RetentionOnce(ctx context.Context, rawDays, aggregateDays int) (raw, hourly int64, err error) {
	rawKeep, aggKeep := m.cfg.RawRetention, m.cfg.AggregateRetention
	if rawDays > 0 {
		rawKeep = time.Duration(rawDays) * 24 * time.Hour
	}
	if aggregateDays > 0 {
		aggKeep = time.Duration(aggregateDays) * 24 * time.Hour
	}
	now := m.now()
	if raw, err = m.res.DeleteSamplesBefore(ctx, now.Add(-rawKeep)); err != nil {
		return 0, 0, err
	}
	if hourly, err = m.res.DeleteHourlyBefore(ctx, alignDown(now.Add(-aggKeep), time.Hour)); err != nil {
		return raw, 0, err
	}
	return raw, hourly, nil
}

// RunRetention runs RetentionOnce now and then every interval (default 1 h) until ctx ends.
// Failures are logged and retried on the next run. When several replicas share a store, the
// caller runs it on one of them at a time (the reference server holds a lease). It returns nil
// when ctx ends.
func (m *Monitor) RunRetention(ctx context.Context, interval time.Duration, rawDays, aggregateDays int) error {
	if interval <= 0 {
		interval = time.Hour
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		raw, hourly, err := m.RetentionOnce(ctx, rawDays, aggregateDays)
		if err != nil && ctx.Err() == nil {
			m.cfg.Logger.WarnContext(ctx, "resource retention failed", "err", err)
		} else if raw > 0 || hourly > 0 {
			m.cfg.Logger.InfoContext(ctx, "resource retention", "raw_deleted", raw, "hourly_deleted", hourly)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
