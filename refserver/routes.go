package refserver

import (
	"github.com/hamigames/lucid-node-management/refserver/auth"
)

// registerRoutes installs every route. Each group lives in its own file and registers its
// routes through s.handle, which wires authentication, rate limiting, the access rule and the
// route label for logs and metrics. To add a group: write func (s *Server) registerXRoutes() in
// its own file and call it below.
func (s *Server) registerRoutes() {
	s.registerHealthRoutes()
	s.registerNodeRoutes()
	s.registerPoolRoutes()
	s.registerAuditRoutes()

	s.registerPootRoutes()

	s.registerPayoutRoutes()

	s.registerResourceRoutes()
}

// registerAuditRoutes installs GET /api/v1/audit (admin only).
func (s *Server) registerAuditRoutes() {
	s.handle(route{method: "GET", path: "/api/v1/audit", scope: auth.ScopeNodeRead, admin: true, h: s.listAudit})
}
