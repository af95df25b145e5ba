package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

// ResourcesService calls the /api/v1/nodes/{node_id}/resources routes. Worker tokens may read
// their own node's resources and alerts and report its samples; thresholds and allocations
// need node:write on an admin token. Get it from Client.Resources.
type ResourcesService struct{ c *Client }

func resourcePath(nodeID, sub string) string {
	return "/api/v1/nodes/" + escape(nodeID) + "/resources" + sub
}

// Current returns the node's latest sample, a summary over timeRange (1h, 6h, 24h or 7d; ""
// for the server's default), its thresholds, allocation and active alerts
// (GET /api/v1/nodes/{node_id}/resources).
func (s *ResourcesService) Current(ctx context.Context, nodeID, timeRange string) (*nodemgmt.ResourceSummary, error) {
	if err := needID("node_id", nodeID); err != nil {
		return nil, err
	}
	v := url.Values{}
	if timeRange != "" {
		v.Set("time_range", timeRange)
	}
	var out nodemgmt.ResourceSummary
	if err := s.c.do(ctx, request{method: http.MethodGet, path: resourcePath(nodeID, ""), query: v,
		ok: []int{http.StatusOK}, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// MetricsOptions select a metric series. Zero fields take the server's defaults.
type MetricsOptions struct {
	// MetricType is cpu, memory, disk or network.
	MetricType nodemgmt.MetricType
	// Granularity is 1m, 5m, 15m or 1h.
	Granularity string
	Start, End  time.Time
}

// Metrics returns one metric series of the node
// (GET /api/v1/nodes/{node_id}/resources/metrics).
func (s *ResourcesService) Metrics(ctx context.Context, nodeID string, opts MetricsOptions) (*nodemgmt.MetricsResult, error) {
	if err := needID("node_id", nodeID); err != nil {
		return nil, err
	}
	v := url.Values{}
	if opts.MetricType != "" {
		v.Set("metric_type", string(opts.MetricType))
	}
	if opts.Granularity != "" {
		v.Set("granularity", opts.Granularity)
	}
	if !opts.Start.IsZero() {
		v.Set("start_time", opts.Start.UTC().Format(time.RFC3339))
	}
	if !opts.End.IsZero() {
		v.Set("end_time", opts.End.UTC().Format(time.RFC3339))
	}
	var out nodemgmt.MetricsResult
	if err := s.c.do(ctx, request{method: http.MethodGet, path: resourcePath(nodeID, "/metrics"), query: v,
		ok: []int{http.StatusOK}, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReportSample stores a sample the node measured about itself
// (POST /api/v1/nodes/{node_id}/resources/metrics → 201) and returns the node's active alerts
// after evaluating it against the thresholds.
func (s *ResourcesService) ReportSample(ctx context.Context, nodeID string, sample nodemgmt.ResourceSample) (*nodemgmt.ReportResult, error) {
	if err := needID("node_id", nodeID); err != nil {
		return nil, err
	}
	var out nodemgmt.ReportResult
	if err := s.c.do(ctx, request{method: http.MethodPost, path: resourcePath(nodeID, "/metrics"), body: sample,
		ok: []int{http.StatusCreated}, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetThresholds changes the warning/critical thresholds given in upd and returns all of them
// (PUT /api/v1/nodes/{node_id}/resources/thresholds).
func (s *ResourcesService) SetThresholds(ctx context.Context, nodeID string, upd nodemgmt.ThresholdsUpdate) (*nodemgmt.Thresholds, error) {
	if err := needID("node_id", nodeID); err != nil {
		return nil, err
	}
	var out nodemgmt.Thresholds
	if err := s.c.do(ctx, request{method: http.MethodPut, path: resourcePath(nodeID, "/thresholds"), body: upd,
		ok: []int{http.StatusOK}, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// Allocate reserves resources for the node within its hardware and pool limits
// (POST /api/v1/nodes/{node_id}/resources/allocate); over-allocation is LUCID_ERR_5009.
func (s *ResourcesService) Allocate(ctx context.Context, nodeID string, req nodemgmt.AllocationRequest) (*nodemgmt.Allocation, error) {
	if err := needID("node_id", nodeID); err != nil {
		return nil, err
	}
	var out nodemgmt.Allocation
	if err := s.c.do(ctx, request{method: http.MethodPost, path: resourcePath(nodeID, "/allocate"), body: req,
		ok: []int{http.StatusOK}, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// AlertList is the answer of GET …/resources/alerts (refserver.AlertList).
type AlertList struct {
	NodeID string           `json:"node_id"`
	Alerts []nodemgmt.Alert `json:"alerts"`
}

// Alerts returns the node's threshold alerts, only the uncleared ones when activeOnly
// (GET /api/v1/nodes/{node_id}/resources/alerts).
func (s *ResourcesService) Alerts(ctx context.Context, nodeID string, activeOnly bool) ([]nodemgmt.Alert, error) {
	if err := needID("node_id", nodeID); err != nil {
		return nil, err
	}
	v := url.Values{}
	if activeOnly {
		v.Set("active", "true")
	}
	var out AlertList
	if err := s.c.do(ctx, request{method: http.MethodGet, path: resourcePath(nodeID, "/alerts"), query: v,
		ok: []int{http.StatusOK}, out: &out}); err != nil {
		return nil, err
	}
	return out.Alerts, nil
}
