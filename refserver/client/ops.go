package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

// HealthReport is the answer of /health, /health/ready and /health/live. It has the JSON shape
// of refserver.HealthReport; it is declared here so that importing the client does not pull in
// the server and its dependencies (a test keeps the two in step).
type HealthReport struct {
	// Status is healthy, degraded or unhealthy.
	Status    string                 `json:"status"`
	Timestamp time.Time              `json:"timestamp"`
	Checks    map[string]HealthCheck `json:"checks,omitempty"`
}

// HealthCheck is one check of a HealthReport (database, heartbeats, server).
type HealthCheck struct {
	Status     string         `json:"status"`
	DurationMS float64        `json:"duration_ms"`
	Error      string         `json:"error,omitempty"`
	Details    map[string]any `json:"details,omitempty"`
}

// Healthy reports whether the server said healthy (degraded and unhealthy are not).
func (h *HealthReport) Healthy() bool { return h != nil && h.Status == "healthy" }

// Health runs every check (GET /health, no token). An unhealthy server answers 503 with a
// report: that is returned with a nil error, so read Status; an error means no report came back.
func (c *Client) Health(ctx context.Context) (*HealthReport, error) {
	return c.health(ctx, "/health")
}

// Ready reports whether the server takes traffic (GET /health/ready; 503 with a report while the
// database is unreachable or the server drains, returned like Health).
func (c *Client) Ready(ctx context.Context) (*HealthReport, error) {
	return c.health(ctx, "/health/ready")
}

// Live reports that the process answers (GET /health/live; never rate limited).
func (c *Client) Live(ctx context.Context) (*HealthReport, error) {
	return c.health(ctx, "/health/live")
}

func (c *Client) health(ctx context.Context, path string) (*HealthReport, error) {
	// 503 carries a report too: it is the answer itself, not a failed call (and not retried).
	var out HealthReport
	err := c.do(ctx, request{method: http.MethodGet, path: path, public: true,
		ok: []int{http.StatusOK, http.StatusServiceUnavailable}, out: &out})
	if err != nil {
		return nil, err
	}
	if out.Status == "" {
		return nil, fmt.Errorf("client: GET %s: answer is not a health report", path)
	}
	return &out, nil
}

// AuditOptions filter the audit log. Zero fields do not filter; Limit 0 means the server's
// default (100, at most 1000).
type AuditOptions struct {
	// Category is node, pool, poot or payout.
	Category string
	// Target is the id the operation touched (a node, pool or batch id).
	Target string
	// Since keeps entries at or after this time.
	Since time.Time
	Limit int
}

// AuditList is the answer of GET /api/v1/audit (refserver.AuditList).
type AuditList struct {
	Entries []nodemgmt.AuditEntry `json:"entries"`
}

// Audit returns audit entries, newest first (GET /api/v1/audit; admin tokens only).
func (c *Client) Audit(ctx context.Context, opts AuditOptions) ([]nodemgmt.AuditEntry, error) {
	v := url.Values{}
	if opts.Category != "" {
		v.Set("category", opts.Category)
	}
	if opts.Target != "" {
		v.Set("target", opts.Target)
	}
	if !opts.Since.IsZero() {
		v.Set("since", opts.Since.UTC().Format(time.RFC3339))
	}
	if opts.Limit > 0 {
		v.Set("limit", strconv.Itoa(opts.Limit))
	}
	var out AuditList
	if err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/audit", query: v,
		ok: []int{http.StatusOK}, out: &out}); err != nil {
		return nil, err
	}
	return out.Entries, nil
}
