package client

import (
	"context"
	"iter"
	"net/http"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

// PoolsService calls the /api/v1/nodes/pools routes (admin tokens). Get it from Client.Pools.
type PoolsService struct{ c *Client }

// List returns one page of pools (GET /api/v1/nodes/pools).
func (s *PoolsService) List(ctx context.Context, opts ListOptions) (*nodemgmt.PoolList, error) {
	var out nodemgmt.PoolList
	err := s.c.do(ctx, request{method: http.MethodGet, path: "/api/v1/nodes/pools", query: opts.values(),
		ok: []int{http.StatusOK}, out: &out})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// All walks every pool, following cursors (see NodesService.All).
func (s *PoolsService) All(ctx context.Context, opts ListOptions) iter.Seq2[*nodemgmt.Pool, error] {
	return func(yield func(*nodemgmt.Pool, error) bool) {
		opts.Page = 0
		for {
			page, err := s.List(ctx, opts)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, p := range page.Pools {
				if !yield(p, nil) {
					return
				}
			}
			next := page.Pagination.NextCursor
			if next == "" || len(page.Pools) == 0 || next == opts.Cursor {
				return
			}
			opts.Cursor = next
		}
	}
}

// Create creates a pool (POST /api/v1/nodes/pools → 201); max_nodes 0 means the default 100.
func (s *PoolsService) Create(ctx context.Context, req nodemgmt.CreatePoolRequest) (*nodemgmt.Pool, error) {
	var out nodemgmt.Pool
	err := s.c.do(ctx, request{method: http.MethodPost, path: "/api/v1/nodes/pools", body: req,
		ok: []int{http.StatusCreated}, out: &out})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Get returns one pool (GET /api/v1/nodes/pools/{pool_id}).
func (s *PoolsService) Get(ctx context.Context, poolID string) (*nodemgmt.Pool, error) {
	return s.poolCall(ctx, http.MethodGet, poolID, "", nil)
}

// Update changes the fields set in req (PUT /api/v1/nodes/pools/{pool_id}).
func (s *PoolsService) Update(ctx context.Context, poolID string, req nodemgmt.UpdatePoolRequest) (*nodemgmt.Pool, error) {
	return s.poolCall(ctx, http.MethodPut, poolID, "", req)
}

// Delete removes an empty pool (DELETE /api/v1/nodes/pools/{pool_id} → 204).
func (s *PoolsService) Delete(ctx context.Context, poolID string) error {
	if err := needID("pool_id", poolID); err != nil {
		return err
	}
	return s.c.do(ctx, request{method: http.MethodDelete, path: "/api/v1/nodes/pools/" + escape(poolID),
		ok: []int{http.StatusNoContent}})
}

// AddNode makes a node a member of the pool (POST /api/v1/nodes/pools/{pool_id}/nodes) and
// returns the pool with its new node_count. A full pool answers LUCID_ERR_5004.
func (s *PoolsService) AddNode(ctx context.Context, poolID string, req nodemgmt.AddPoolNodeRequest) (*nodemgmt.Pool, error) {
	return s.poolCall(ctx, http.MethodPost, poolID, "/nodes", req)
}

// RemoveNode takes a node out of the pool
// (DELETE /api/v1/nodes/pools/{pool_id}/nodes/{node_id}) and returns the pool.
func (s *PoolsService) RemoveNode(ctx context.Context, poolID, nodeID string) (*nodemgmt.Pool, error) {
	if err := needID("node_id", nodeID); err != nil {
		return nil, err
	}
	return s.poolCall(ctx, http.MethodDelete, poolID, "/nodes/"+escape(nodeID), nil)
}

func (s *PoolsService) poolCall(ctx context.Context, method, poolID, sub string, body any) (*nodemgmt.Pool, error) {
	if err := needID("pool_id", poolID); err != nil {
		return nil, err
	}
	var out nodemgmt.Pool
	err := s.c.do(ctx, request{method: method, path: "/api/v1/nodes/pools/" + escape(poolID) + sub, body: body,
		ok: []int{http.StatusOK}, out: &out})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
