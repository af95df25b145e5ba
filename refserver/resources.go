package refserver

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/nodemgmt/hostmetrics"
	"github.com/hamigames/lucid-node-management/refserver/auth"
)

// Resource monitoring defaults of the server.
const (
	// AggregateRetentionDays is how long hourly aggregates are kept (SPEC: one year).
	AggregateRetentionDays = 365
	// retentionInterval is how often the retention loop runs.
	retentionInterval = time.Hour
	// maxReportBytes bounds the body of POST …/resources/metrics: one sample.
	maxReportBytes = nodemgmt.MaxSampleBytes
)

// resources is the resource-monitoring part of a Server: the Monitor over the store, the
// optional local metrics source and the Prometheus series.
type resources struct {
	mon     *nodemgmt.Monitor
	source  nodemgmt.MetricsSource // injected (Deps.HostMetrics); nil builds hostmetrics at Serve
	metrics *resourceMetrics
}

// initResources builds the Monitor when a ResourceStore is available (Deps.Resources, or the
// Store itself when it implements nodemgmt.ResourceStore, as every storage backend does) and
// sets the alert gauges from the alerts active in the store. Without a ResourceStore the
// resource routes answer 503.
func (s *Server) initResources(deps Deps) error {
	rs := deps.Resources
	if rs == nil {
		rs, _ = deps.Store.(nodemgmt.ResourceStore)
	}
	if rs == nil {
		s.log.Warn("resource monitoring disabled: the store does not implement nodemgmt.ResourceStore")
		return nil
	}
	rm, err := newResourceMetrics(s.registry, s.cfg.ResourceMetricsNodes)
	if err != nil {
		return err
	}
	res := &resources{source: deps.HostMetrics, metrics: rm}
	res.mon = nodemgmt.NewMonitor(s.store, instrumentResourceStore(rs, s.metrics), nodemgmt.MonitorConfig{
		Now:                s.now,
		Logger:             s.log,
		RawRetention:       time.Duration(s.cfg.ResourceRetentionDays) * 24 * time.Hour,
		AggregateRetention: AggregateRetentionDays * 24 * time.Hour,
		OnAlert:            rm.alert,
		OnSample:           rm.sample,
		OnOperation:        s.metrics.operation,
	})
	s.res = res
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	active, err := res.mon.ActiveAlerts(ctx, rm.limit*len(nodemgmt.Resources))
	if err != nil {
		s.log.Warn("resource alerts: could not read the active alerts for the gauges", "err", err)
		return nil
	}
	for _, a := range active {
		rm.alert(nodemgmt.AlertEvent{Alert: a, Raised: true})
	}
	return nil
}

// Monitor returns the resource monitor, or nil when the store has no resource support.
func (s *Server) Monitor() *nodemgmt.Monitor {
	if s.res == nil {
		return nil
	}
	return s.res.mon
}

// startResourceLoops starts, under ctx, the retention loop (under its lease) and, when
// Config.HostNodeID is set, the collector of the host's own samples. Serve waits for both on
// shutdown.
func (s *Server) startResourceLoops(ctx context.Context) {
	if s.res == nil {
		return
	}
	mon := s.res.mon
	days := s.cfg.ResourceRetentionDays
	s.goBackground(func() {
		s.runLeased(ctx, resourceRetentionLease, func(c context.Context) {
			_ = mon.RunRetention(c, retentionInterval, days, AggregateRetentionDays)
		})
	})
	node := s.cfg.HostNodeID
	if node == "" {
		return
	}
	src := s.res.source
	if src == nil {
		hm, err := hostmetrics.New(hostmetrics.Options{Interval: min(5*time.Second, s.cfg.ResourceCollectionInterval), Logger: s.log})
		if err != nil {
			s.log.Error("resource collector disabled: host metrics unavailable", "node_id", node, "err", err)
			return
		}
		if err := hm.Start(ctx); err != nil {
			s.log.Error("resource collector disabled: host metrics unavailable", "node_id", node, "err", err)
			return
		}
		s.goBackground(func() {
			<-ctx.Done()
			_ = hm.Close()
		})
		src = hm
	}
	if _, err := s.store.GetNode(ctx, node); err != nil {
		s.log.Warn("resource collector: the host node does not exist yet; samples are refused until it is registered",
			"node_id", node, "err", err)
	}
	s.log.Info("resource collector started", "node_id", node, "interval", s.cfg.ResourceCollectionInterval.String())
	interval := s.cfg.ResourceCollectionInterval
	s.goBackground(func() { _ = mon.RunCollector(ctx, node, src, interval) })
}

// forgetNodeResources drops a deleted node's resource data and its series. The node is gone
// already, so a failure is logged, not answered: the data is unreachable through the API and
// retention removes it in the end.
func (s *Server) forgetNodeResources(ctx context.Context, nodeID string) {
	if s.res == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.res.mon.ForgetNode(ctx, nodeID); err != nil {
		s.log.WarnContext(ctx, "resource data of a deleted node not dropped", "node_id", nodeID, "err", err)
	}
	s.res.metrics.forget(nodeID)
}

// registerResourceRoutes installs the /api/v1/nodes/{node_id}/resources routes. Scopes are
// node:read and node:write; worker tokens may read their own node's resources and alerts and
// report its samples, but not set thresholds or allocate.
func (s *Server) registerResourceRoutes() {
	r, w := auth.ScopeNodeRead, auth.ScopeNodeWrite
	for _, rt := range []route{
		{method: "GET", path: "/api/v1/nodes/{node_id}/resources", scope: r, workers: true, h: s.getResources},
		{method: "GET", path: "/api/v1/nodes/{node_id}/resources/metrics", scope: r, workers: true, h: s.getResourceMetrics},
		{method: "POST", path: "/api/v1/nodes/{node_id}/resources/metrics", scope: w, workers: true, h: s.reportResources},
		{method: "PUT", path: "/api/v1/nodes/{node_id}/resources/thresholds", scope: w, h: s.putThresholds},
		{method: "POST", path: "/api/v1/nodes/{node_id}/resources/allocate", scope: w, h: s.allocateResources},
		{method: "GET", path: "/api/v1/nodes/{node_id}/resources/alerts", scope: r, workers: true, h: s.getResourceAlerts},
	} {
		h := rt.h
		rt.h = func(w http.ResponseWriter, r *http.Request) error {
			if s.res == nil {
				return newAPIError(CodeUnavailable, "resource monitoring is not available with this store", nil)
			}
			return h(w, r)
		}
		s.handle(rt)
	}
}

func (s *Server) getResources(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r.URL.Query(), "time_range")
	tr := q.enum("time_range", "1h", "6h", "24h", "7d")
	if err := q.err(); err != nil {
		return err
	}
	out, err := s.res.mon.Current(r.Context(), r.PathValue("node_id"), tr)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}

// queryTime parses an optional RFC 3339 timestamp parameter.
func queryTime(q *query, name string) time.Time {
	raw, ok := q.values[name]
	if !ok {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, raw[0])
	if err != nil {
		q.fail(name, "must be an RFC 3339 timestamp such as 2026-01-02T15:04:05Z")
		return time.Time{}
	}
	return t
}

func (s *Server) getResourceMetrics(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r.URL.Query(), "metric_type", "granularity", "start_time", "end_time")
	mq := nodemgmt.MetricsQuery{
		MetricType:  nodemgmt.MetricType(q.enum("metric_type", "cpu", "memory", "disk", "network")),
		Granularity: q.enum("granularity", "1m", "5m", "15m", "1h"),
		Start:       queryTime(q, "start_time"),
		End:         queryTime(q, "end_time"),
	}
	if err := q.err(); err != nil {
		return err
	}
	out, err := s.res.mon.Metrics(r.Context(), r.PathValue("node_id"), mq)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}

// reportResources stores a sample a node reports about itself: at most maxReportBytes of JSON,
// decoded strictly and validated by nodemgmt.ParseResourceSample, then evaluated against the
// node's thresholds. The answer is 201 with the node's active alerts.
func (s *Server) reportResources(w http.ResponseWriter, r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); ct == "" || err != nil || mt != "application/json" {
		return newAPIError(CodeUnsupportedMedia, "Content-Type must be application/json",
			map[string]any{"content_type": truncate(ct, 100)})
	}
	if r.ContentLength > maxReportBytes {
		return newAPIError(CodeBodyTooLarge, "a resource sample must be at most 64 KiB",
			map[string]any{"limit_bytes": maxReportBytes})
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxReportBytes+1))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return err
		}
		return newAPIError(CodeMalformedBody, "request body could not be read", nil)
	}
	if len(body) > maxReportBytes {
		return newAPIError(CodeBodyTooLarge, "a resource sample must be at most 64 KiB",
			map[string]any{"limit_bytes": maxReportBytes})
	}
	mon := s.res.mon
	smp, err := nodemgmt.ParseResourceSample(body, s.now(), mon.Config().RawRetention)
	if err != nil {
		return err
	}
	res, err := mon.Report(r.Context(), r.PathValue("node_id"), smp)
	if err != nil {
		return err
	}
	if res.ActiveAlerts == nil {
		res.ActiveAlerts = []nodemgmt.Alert{}
	}
	s.writeJSON(w, r, http.StatusCreated, res)
	return nil
}

func (s *Server) putThresholds(w http.ResponseWriter, r *http.Request) error {
	var upd nodemgmt.ThresholdsUpdate
	if err := decodeJSON(r, &upd); err != nil {
		return err
	}
	t, err := s.res.mon.SetThresholds(r.Context(), actorOf(r), r.PathValue("node_id"), upd)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, t)
	return nil
}

func (s *Server) allocateResources(w http.ResponseWriter, r *http.Request) error {
	var req nodemgmt.AllocationRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	a, err := s.res.mon.Allocate(r.Context(), actorOf(r), r.PathValue("node_id"), req)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, a)
	return nil
}

// AlertList is the answer of GET …/resources/alerts.
type AlertList struct {
	NodeID string           `json:"node_id"`
	Alerts []nodemgmt.Alert `json:"alerts"`
}

func (s *Server) getResourceAlerts(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r.URL.Query(), "active")
	active := q.enum("active", "true", "false") == "true"
	if err := q.err(); err != nil {
		return err
	}
	id := r.PathValue("node_id")
	alerts, err := s.res.mon.Alerts(r.Context(), id, active)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, AlertList{NodeID: id, Alerts: alerts})
	return nil
}

// validHostNodeID checks the HOST_NODE_ID setting.
func validHostNodeID(id string) bool { return nodemgmt.ValidNodeID(id) }
