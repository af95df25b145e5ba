package refserver

import (
	"context"
	"net/http"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/refserver/auth"
)

// registerNodeRoutes installs the /api/v1/nodes routes. Worker tokens may read their own node
// and send its heartbeat; listing nodes is refused to workers (403), as is every change.
func (s *Server) registerNodeRoutes() {
	r, w := auth.ScopeNodeRead, auth.ScopeNodeWrite
	for _, rt := range []route{
		{method: "GET", path: "/api/v1/nodes", scope: r, h: s.listNodes},
		{method: "POST", path: "/api/v1/nodes", scope: w, h: s.createNode},
		{method: "GET", path: "/api/v1/nodes/{node_id}", scope: r, workers: true, h: s.getNode},
		{method: "PUT", path: "/api/v1/nodes/{node_id}", scope: w, h: s.updateNode},
		{method: "DELETE", path: "/api/v1/nodes/{node_id}", scope: w, h: s.deleteNode},
		{method: "POST", path: "/api/v1/nodes/{node_id}/start", scope: w, h: s.startNode},
		{method: "POST", path: "/api/v1/nodes/{node_id}/stop", scope: w, h: s.stopNode},
		{method: "POST", path: "/api/v1/nodes/{node_id}/restart", scope: w, h: s.restartNode},
		{method: "POST", path: "/api/v1/nodes/{node_id}/heartbeat", scope: w, workers: true, h: s.heartbeat},
		{method: "POST", path: "/api/v1/nodes/{node_id}/maintenance", scope: w, h: s.enterMaintenance},
		{method: "DELETE", path: "/api/v1/nodes/{node_id}/maintenance", scope: w, h: s.exitMaintenance},
	} {
		s.handle(rt)
	}
}

var (
	nodeStatuses = []string{"inactive", "starting", "active", "stopping", "maintenance", "error"}
	nodeHealths  = []string{"healthy", "unknown", "down"}
)

func (s *Server) listNodes(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r.URL.Query(), "page", "limit", "status", "pool_id", "health", "cursor")
	nq := nodemgmt.NodeQuery{
		ListQuery: listQuery(q),
		Status:    nodemgmt.Status(q.enum("status", nodeStatuses...)),
		Health:    nodemgmt.Health(q.enum("health", nodeHealths...)),
		PoolID:    q.str("pool_id"),
	}
	if nq.PoolID != "" && !nodemgmt.ValidPoolID(nq.PoolID) {
		q.fail("pool_id", "must match ^pool_[a-zA-Z0-9_-]+$ with 8–64 characters")
	}
	if err := q.err(); err != nil {
		return err
	}
	list, err := s.svc.ListNodes(r.Context(), nq)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, list)
	return nil
}

// maxPage bounds page numbers so offsets stay far from overflow.
const maxPage = 1_000_000

// listQuery reads page, limit and cursor.
func listQuery(q *query) nodemgmt.ListQuery {
	lq := nodemgmt.ListQuery{
		Page:   q.intIn("page", 1, 1, maxPage),
		Limit:  q.intIn("limit", nodemgmt.DefaultPageLimit, 1, nodemgmt.MaxPageLimit),
		Cursor: q.str("cursor"),
	}
	if len(lq.Cursor) > 200 {
		q.fail("cursor", "is not a cursor this server issued")
		lq.Cursor = ""
	}
	if _, err := nodemgmt.DecodeCursor(lq.Cursor); lq.Cursor != "" && err != nil {
		q.fail("cursor", "is not a cursor this server issued")
		lq.Cursor = ""
	}
	return lq
}

func (s *Server) createNode(w http.ResponseWriter, r *http.Request) error {
	var req nodemgmt.CreateNodeRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	n, err := s.svc.CreateNode(r.Context(), actorOf(r), req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/nodes/"+n.NodeID)
	s.writeJSON(w, r, http.StatusCreated, n)
	return nil
}

func (s *Server) getNode(w http.ResponseWriter, r *http.Request) error {
	n, err := s.svc.GetNode(r.Context(), r.PathValue("node_id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, n)
	return nil
}

func (s *Server) updateNode(w http.ResponseWriter, r *http.Request) error {
	var req nodemgmt.UpdateNodeRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	n, err := s.svc.UpdateNode(r.Context(), actorOf(r), r.PathValue("node_id"), req)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, n)
	return nil
}

func (s *Server) deleteNode(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	if err := s.svc.DeleteNode(r.Context(), actorOf(r), r.PathValue("node_id")); err != nil {
		return err
	}
	s.forgetNodeResources(r.Context(), r.PathValue("node_id"))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) lifecycle(op func(ctx context.Context, a nodemgmt.Actor, id string) (nodemgmt.LifecycleResult, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := noBody(r); err != nil {
			return err
		}
		res, err := op(r.Context(), actorOf(r), r.PathValue("node_id"))
		if err != nil {
			return err
		}
		s.writeJSON(w, r, http.StatusOK, res)
		return nil
	}
}

func (s *Server) startNode(w http.ResponseWriter, r *http.Request) error {
	return s.lifecycle(s.svc.StartNode)(w, r)
}

func (s *Server) stopNode(w http.ResponseWriter, r *http.Request) error {
	return s.lifecycle(s.svc.StopNode)(w, r)
}

func (s *Server) restartNode(w http.ResponseWriter, r *http.Request) error {
	return s.lifecycle(s.svc.RestartNode)(w, r)
}

func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	ack, err := s.svc.Heartbeat(r.Context(), r.PathValue("node_id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, ack)
	return nil
}

func (s *Server) enterMaintenance(w http.ResponseWriter, r *http.Request) error {
	var req nodemgmt.MaintenanceRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	n, err := s.svc.EnterMaintenance(r.Context(), actorOf(r), r.PathValue("node_id"), req)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, n)
	return nil
}

func (s *Server) exitMaintenance(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	n, err := s.svc.ExitMaintenance(r.Context(), actorOf(r), r.PathValue("node_id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, n)
	return nil
}

// AuditList is the answer of GET /api/v1/audit.
type AuditList struct {
	Entries []nodemgmt.AuditEntry `json:"entries"`
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r.URL.Query(), "category", "target", "since", "limit")
	f := nodemgmt.AuditFilter{
		Category: q.enum("category", "node", "pool", "poot", "payout"),
		Target:   q.str("target"),
		Limit:    q.intIn("limit", 100, 1, 1000),
	}
	if len(f.Target) > 100 {
		q.fail("target", "must be at most 100 characters")
	}
	if raw := q.str("since"); raw != "" {
		t, err := time.Parse(time.RFC3339, raw)
		if err != nil {
			q.fail("since", "must be an RFC 3339 timestamp")
		}
		f.Since = t
	}
	if err := q.err(); err != nil {
		return err
	}
	entries, err := s.svc.Audit(r.Context(), f)
	if err != nil {
		return err
	}
	if entries == nil {
		entries = []nodemgmt.AuditEntry{}
	}
	s.writeJSON(w, r, http.StatusOK, AuditList{Entries: entries})
	return nil
}
