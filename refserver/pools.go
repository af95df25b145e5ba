package refserver

import (
	"net/http"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/refserver/auth"
)

// registerPoolRoutes installs the /api/v1/nodes/pools routes; worker tokens may use none.
func (s *Server) registerPoolRoutes() {
	r, w := auth.ScopeNodeRead, auth.ScopeNodeWrite
	for _, rt := range []route{
		{method: "GET", path: "/api/v1/nodes/pools", scope: r, h: s.listPools},
		{method: "POST", path: "/api/v1/nodes/pools", scope: w, h: s.createPool},
		{method: "GET", path: "/api/v1/nodes/pools/{pool_id}", scope: r, h: s.getPool},
		{method: "PUT", path: "/api/v1/nodes/pools/{pool_id}", scope: w, h: s.updatePool},
		{method: "DELETE", path: "/api/v1/nodes/pools/{pool_id}", scope: w, h: s.deletePool},
		{method: "POST", path: "/api/v1/nodes/pools/{pool_id}/nodes", scope: w, h: s.addPoolNode},
		{method: "DELETE", path: "/api/v1/nodes/pools/{pool_id}/nodes/{node_id}", scope: w, h: s.removePoolNode},
	} {
		s.handle(rt)
	}
}

func (s *Server) listPools(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r.URL.Query(), "page", "limit", "cursor")
	lq := listQuery(q)
	if err := q.err(); err != nil {
		return err
	}
	list, err := s.svc.ListPools(r.Context(), lq)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, list)
	return nil
}

func (s *Server) createPool(w http.ResponseWriter, r *http.Request) error {
	var req nodemgmt.CreatePoolRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	p, err := s.svc.CreatePool(r.Context(), actorOf(r), req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/nodes/pools/"+p.PoolID)
	s.writeJSON(w, r, http.StatusCreated, p)
	return nil
}

func (s *Server) getPool(w http.ResponseWriter, r *http.Request) error {
	p, err := s.svc.GetPool(r.Context(), r.PathValue("pool_id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, p)
	return nil
}

func (s *Server) updatePool(w http.ResponseWriter, r *http.Request) error {
	var req nodemgmt.UpdatePoolRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	p, err := s.svc.UpdatePool(r.Context(), actorOf(r), r.PathValue("pool_id"), req)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, p)
	return nil
}

func (s *Server) deletePool(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	if err := s.svc.DeletePool(r.Context(), actorOf(r), r.PathValue("pool_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) addPoolNode(w http.ResponseWriter, r *http.Request) error {
	var req nodemgmt.AddPoolNodeRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	p, err := s.svc.AddNodeToPool(r.Context(), actorOf(r), r.PathValue("pool_id"), req)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, p)
	return nil
}

func (s *Server) removePoolNode(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	p, err := s.svc.RemoveNodeFromPool(r.Context(), actorOf(r), r.PathValue("pool_id"), r.PathValue("node_id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, p)
	return nil
}
