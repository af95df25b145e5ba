package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

// NodesService calls the /api/v1/nodes routes. Get it from Client.Nodes.
type NodesService struct{ c *Client }

// ListOptions are the paging parameters of list routes. Zero fields are not sent (the server
// defaults to page 1, limit 20). Cursor, when set, continues after a previous page's
// Pagination.NextCursor and stays correct while items are inserted; Page is then ignored.
type ListOptions struct {
	Page   int
	Limit  int
	Cursor string
}

func (o ListOptions) values() url.Values {
	v := url.Values{}
	if o.Page > 0 && o.Cursor == "" {
		v.Set("page", strconv.Itoa(o.Page))
	}
	if o.Limit > 0 {
		v.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Cursor != "" {
		v.Set("cursor", o.Cursor)
	}
	return v
}

// NodeListOptions filter and page a node listing.
type NodeListOptions struct {
	ListOptions
	Status nodemgmt.Status
	Health nodemgmt.Health
	PoolID string
}

func (o NodeListOptions) values() url.Values {
	v := o.ListOptions.values()
	if o.Status != "" {
		v.Set("status", string(o.Status))
	}
	if o.Health != "" {
		v.Set("health", string(o.Health))
	}
	if o.PoolID != "" {
		v.Set("pool_id", o.PoolID)
	}
	return v
}

// List returns one page of nodes (GET /api/v1/nodes; admin and validator tokens).
func (s *NodesService) List(ctx context.Context, opts NodeListOptions) (*nodemgmt.NodeList, error) {
	var out nodemgmt.NodeList
	err := s.c.do(ctx, request{method: http.MethodGet, path: "/api/v1/nodes", query: opts.values(),
		ok: []int{http.StatusOK}, out: &out})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// All walks every node matching opts' filters, following cursors page after page (opts.Limit
// nodes per request; Page is ignored, a Cursor starts the walk after that position). The walk
// stops at the first error, which is yielded with a nil node.
func (s *NodesService) All(ctx context.Context, opts NodeListOptions) iter.Seq2[*nodemgmt.Node, error] {
	return func(yield func(*nodemgmt.Node, error) bool) {
		opts.Page = 0
		for {
			page, err := s.List(ctx, opts)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, n := range page.Nodes {
				if !yield(n, nil) {
					return
				}
			}
			next := page.Pagination.NextCursor
			if next == "" || len(page.Nodes) == 0 || next == opts.Cursor {
				return
			}
			opts.Cursor = next
		}
	}
}

// Create registers a node (POST /api/v1/nodes → 201); the server generates its node_id.
func (s *NodesService) Create(ctx context.Context, req nodemgmt.CreateNodeRequest) (*nodemgmt.Node, error) {
	var out nodemgmt.Node
	err := s.c.do(ctx, request{method: http.MethodPost, path: "/api/v1/nodes", body: req,
		ok: []int{http.StatusCreated}, out: &out})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Get returns one node (GET /api/v1/nodes/{node_id}; workers: their own node only).
func (s *NodesService) Get(ctx context.Context, nodeID string) (*nodemgmt.Node, error) {
	return s.nodeCall(ctx, http.MethodGet, nodeID, "", nil)
}

// Update changes the fields set in req (PUT /api/v1/nodes/{node_id}); nil fields are kept.
func (s *NodesService) Update(ctx context.Context, nodeID string, req nodemgmt.UpdateNodeRequest) (*nodemgmt.Node, error) {
	return s.nodeCall(ctx, http.MethodPut, nodeID, "", req)
}

// Delete removes a node (DELETE /api/v1/nodes/{node_id} → 204); refused while it is active.
func (s *NodesService) Delete(ctx context.Context, nodeID string) error {
	if err := needID("node_id", nodeID); err != nil {
		return err
	}
	return s.c.do(ctx, request{method: http.MethodDelete, path: "/api/v1/nodes/" + escape(nodeID),
		ok: []int{http.StatusNoContent}})
}

// Start moves an inactive node to active (POST /api/v1/nodes/{node_id}/start). Starting an
// active node succeeds with a message saying so.
func (s *NodesService) Start(ctx context.Context, nodeID string) (*nodemgmt.LifecycleResult, error) {
	return s.lifecycle(ctx, nodeID, "start")
}

// Stop moves an active node to inactive (POST /api/v1/nodes/{node_id}/stop).
func (s *NodesService) Stop(ctx context.Context, nodeID string) (*nodemgmt.LifecycleResult, error) {
	return s.lifecycle(ctx, nodeID, "stop")
}

// Restart stops and starts a node (POST /api/v1/nodes/{node_id}/restart).
func (s *NodesService) Restart(ctx context.Context, nodeID string) (*nodemgmt.LifecycleResult, error) {
	return s.lifecycle(ctx, nodeID, "restart")
}

// Heartbeat reports that the node is alive (POST /api/v1/nodes/{node_id}/heartbeat; workers:
// their own node). The answer says when the next one is due.
func (s *NodesService) Heartbeat(ctx context.Context, nodeID string) (*nodemgmt.HeartbeatAck, error) {
	if err := needID("node_id", nodeID); err != nil {
		return nil, err
	}
	var out nodemgmt.HeartbeatAck
	err := s.c.do(ctx, request{method: http.MethodPost, path: "/api/v1/nodes/" + escape(nodeID) + "/heartbeat",
		ok: []int{http.StatusOK}, out: &out})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// EnterMaintenance puts a node into maintenance or drain, recording the token's subject and the
// reason (POST /api/v1/nodes/{node_id}/maintenance).
func (s *NodesService) EnterMaintenance(ctx context.Context, nodeID string, req nodemgmt.MaintenanceRequest) (*nodemgmt.Node, error) {
	return s.nodeCall(ctx, http.MethodPost, nodeID, "/maintenance", req)
}

// ExitMaintenance restores the status the node had before maintenance
// (DELETE /api/v1/nodes/{node_id}/maintenance).
func (s *NodesService) ExitMaintenance(ctx context.Context, nodeID string) (*nodemgmt.Node, error) {
	return s.nodeCall(ctx, http.MethodDelete, nodeID, "/maintenance", nil)
}

func (s *NodesService) nodeCall(ctx context.Context, method, nodeID, sub string, body any) (*nodemgmt.Node, error) {
	if err := needID("node_id", nodeID); err != nil {
		return nil, err
	}
	var out nodemgmt.Node
	err := s.c.do(ctx, request{method: method, path: "/api/v1/nodes/" + escape(nodeID) + sub, body: body,
		ok: []int{http.StatusOK}, out: &out})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *NodesService) lifecycle(ctx context.Context, nodeID, op string) (*nodemgmt.LifecycleResult, error) {
	if err := needID("node_id", nodeID); err != nil {
		return nil, err
	}
	var out nodemgmt.LifecycleResult
	err := s.c.do(ctx, request{method: http.MethodPost, path: "/api/v1/nodes/" + escape(nodeID) + "/" + op,
		ok: []int{http.StatusOK}, out: &out})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
