package refserver

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

// Heartbeat-ratio thresholds of /health: the share of active nodes that are healthy. Below
// DegradedRatio the fleet is degraded (still 200), below UnhealthyRatio unhealthy (503).
const (
	DegradedRatio  = 0.9
	UnhealthyRatio = 0.5
)

// Health states.
const (
	HealthOK        = "healthy"
	HealthDegraded  = "degraded"
	HealthUnhealthy = "unhealthy"
)

// HealthCheck is one check of /health.
type HealthCheck struct {
	Status     string         `json:"status"`
	DurationMS float64        `json:"duration_ms"`
	Error      string         `json:"error,omitempty"`
	Details    map[string]any `json:"details,omitempty"`
}

// HealthReport is the answer of /health and /health/ready.
type HealthReport struct {
	Status    string                 `json:"status"`
	Timestamp time.Time              `json:"timestamp"`
	Checks    map[string]HealthCheck `json:"checks,omitempty"`
}

// registerHealthRoutes installs the unauthenticated operational routes. /health, /health/ready
// and /metrics are rate limited in the unauthenticated tier (they reach the database);
// /health/live never is, so a busy client address can never fail a liveness probe.
func (s *Server) registerHealthRoutes() {
	metricsHandler := promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	for _, rt := range []route{
		{method: "GET", path: "/health", public: true, h: s.health},
		{method: "GET", path: "/health/ready", public: true, h: s.ready},
		{method: "GET", path: "/health/live", public: true, noLimit: true, h: s.live},
		{method: "GET", path: "/metrics", public: true, h: func(w http.ResponseWriter, r *http.Request) error {
			metricsHandler.ServeHTTP(w, r)
			return nil
		}},
	} {
		s.handle(rt)
	}
}

func (s *Server) live(w http.ResponseWriter, r *http.Request) error {
	s.writeJSON(w, r, http.StatusOK, HealthReport{Status: HealthOK, Timestamp: s.now().UTC()})
	return nil
}

// ready is 200 when the store answers (storage.Open has run the migrations before the server
// was built) and the server is not shutting down, so load balancers stop sending traffic during
// the drain.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	rep := HealthReport{Status: HealthOK, Timestamp: s.now().UTC(), Checks: map[string]HealthCheck{}}
	rep.Checks["database"] = s.checkDatabase(r.Context())
	if rep.Checks["database"].Status != HealthOK {
		rep.Status = HealthUnhealthy
	}
	if s.stopping.Load() {
		rep.Status = HealthUnhealthy
		rep.Checks["server"] = HealthCheck{Status: HealthUnhealthy, Error: "shutting down"}
	}
	status := http.StatusOK
	if rep.Status != HealthOK {
		status = http.StatusServiceUnavailable
	}
	s.writeJSON(w, r, status, rep)
	return nil
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	rep := HealthReport{Status: HealthOK, Timestamp: s.now().UTC(), Checks: map[string]HealthCheck{}}
	db := s.checkDatabase(r.Context())
	rep.Checks["database"] = db
	hb := s.checkHeartbeats(r.Context())
	rep.Checks["heartbeats"] = hb
	for _, c := range rep.Checks {
		switch {
		case c.Status == HealthUnhealthy:
			rep.Status = HealthUnhealthy
		case c.Status == HealthDegraded && rep.Status == HealthOK:
			rep.Status = HealthDegraded
		}
	}
	status := http.StatusOK
	if rep.Status == HealthUnhealthy {
		status = http.StatusServiceUnavailable
	}
	s.writeJSON(w, r, status, rep)
	return nil
}

func (s *Server) checkDatabase(ctx context.Context) HealthCheck {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start := time.Now()
	err := s.svc.Ping(ctx)
	c := HealthCheck{Status: HealthOK, DurationMS: ms(time.Since(start))}
	if err != nil {
		s.log.WarnContext(ctx, "health: database ping failed", "err", err)
		c.Status, c.Error = HealthUnhealthy, "database unreachable"
	}
	return c
}

// checkHeartbeats compares healthy active nodes with all active nodes.
func (s *Server) checkHeartbeats(ctx context.Context) HealthCheck {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start := time.Now()
	counts, err := s.svc.Counts(ctx)
	c := HealthCheck{Status: HealthOK, DurationMS: ms(time.Since(start))}
	if err != nil {
		s.log.WarnContext(ctx, "health: node counts failed", "err", err)
		c.Status, c.Error = HealthUnhealthy, "node counts unavailable"
		return c
	}
	active, healthy, err := s.activeHealthy(ctx, counts)
	if err != nil {
		c.Status, c.Error = HealthUnhealthy, "node counts unavailable"
		return c
	}
	ratio := 1.0
	if active > 0 {
		ratio = float64(healthy) / float64(active)
	}
	switch {
	case ratio < UnhealthyRatio:
		c.Status = HealthUnhealthy
	case ratio < DegradedRatio:
		c.Status = HealthDegraded
	}
	c.Details = map[string]any{"active": active, "healthy_active": healthy, "ratio": ratio,
		"degraded_below": DegradedRatio, "unhealthy_below": UnhealthyRatio, "total": counts.Total}
	return c
}

// activeHealthy counts the active nodes that are healthy. NodeCounts has the two axes
// separately, so the intersection is one filtered listing (its total; no rows are kept).
func (s *Server) activeHealthy(ctx context.Context, counts nodemgmt.NodeCounts) (active, healthy int, err error) {
	active = counts.ByStatus[nodemgmt.StatusActive]
	if active == 0 {
		return 0, 0, nil
	}
	page, err := s.store.ListNodes(ctx, nodemgmt.NodeFilter{Status: nodemgmt.StatusActive, Health: nodemgmt.HealthHealthy, Limit: 1})
	if err != nil {
		return 0, 0, err
	}
	return active, page.Total, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
