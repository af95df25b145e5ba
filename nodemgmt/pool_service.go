package nodemgmt

import (
	"context"
	"fmt"
)

// DefaultPriority is a pool member's priority when the request does not say.
const DefaultPriority = 50

// CreatePoolRequest is the body of POST /nodes/pools.
type CreatePoolRequest struct {
	Name           string          `json:"name"`
	Description    string          `json:"description"`
	MaxNodes       int             `json:"max_nodes"`
	ResourceLimits *ResourceLimits `json:"resource_limits,omitempty"`
	AutoScaling    bool            `json:"auto_scaling"`
	ScalingPolicy  *ScalingPolicy  `json:"scaling_policy,omitempty"`
	Pricing        *Pricing        `json:"pricing,omitempty"`
}

// CreatePool creates a pool with a server-generated id; names are unique.
func (s *Service) CreatePool(ctx context.Context, actor Actor, req CreatePoolRequest) (p *Pool, err error) {
	defer func() {
		id := ""
		if p != nil {
			id = p.PoolID
		}
		s.record(ctx, "pool", actor, "create", id, err, map[string]any{"name": req.Name})
	}()
	if req.MaxNodes == 0 {
		req.MaxNodes = DefaultMaxNodes
	}
	now := s.now()
	p = &Pool{PoolID: newID("pool_"), Name: req.Name, Description: req.Description, MaxNodes: req.MaxNodes,
		ResourceLimits: req.ResourceLimits, AutoScaling: req.AutoScaling, ScalingPolicy: req.ScalingPolicy,
		Pricing: req.Pricing, CreatedAt: now, UpdatedAt: now}
	var v validationError
	validatePool(&v, p)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.store.CreatePool(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// GetPool returns one pool with its exact node count.
func (s *Service) GetPool(ctx context.Context, id string) (*Pool, error) {
	if err := checkPoolID(id); err != nil {
		return nil, err
	}
	return s.store.GetPool(ctx, id)
}

// UpdatePoolRequest is the body of PUT /nodes/pools/{id}; absent fields are left unchanged.
type UpdatePoolRequest struct {
	Name           *string         `json:"name,omitempty"`
	Description    *string         `json:"description,omitempty"`
	MaxNodes       *int            `json:"max_nodes,omitempty"`
	ResourceLimits *ResourceLimits `json:"resource_limits,omitempty"`
	AutoScaling    *bool           `json:"auto_scaling,omitempty"`
	ScalingPolicy  *ScalingPolicy  `json:"scaling_policy,omitempty"`
	Pricing        *Pricing        `json:"pricing,omitempty"`
}

// UpdatePool changes a pool. Lowering max_nodes below the current member count is refused.
func (s *Service) UpdatePool(ctx context.Context, actor Actor, id string, req UpdatePoolRequest) (p *Pool, err error) {
	defer func() { s.record(ctx, "pool", actor, "update", id, err, nil) }()
	if err := checkPoolID(id); err != nil {
		return nil, err
	}
	now := s.now()
	return s.store.UpdatePool(ctx, id, func(p *Pool) error {
		if req.Name != nil {
			p.Name = *req.Name
		}
		if req.Description != nil {
			p.Description = *req.Description
		}
		if req.MaxNodes != nil {
			p.MaxNodes = *req.MaxNodes
		}
		if req.ResourceLimits != nil {
			p.ResourceLimits = req.ResourceLimits
		}
		if req.AutoScaling != nil {
			p.AutoScaling = *req.AutoScaling
		}
		if req.ScalingPolicy != nil {
			p.ScalingPolicy = req.ScalingPolicy
		}
		if req.Pricing != nil {
			p.Pricing = req.Pricing
		}
		var v validationError
		validatePool(&v, p)
		if err := v.err(); err != nil {
			return err
		}
		if p.MaxNodes < p.NodeCount {
			return &Error{Code: CodeResourceLimit, Message: fmt.Sprintf("max_nodes %d is below the pool's %d members", p.MaxNodes, p.NodeCount),
				Details: map[string]any{"max_nodes": p.MaxNodes, "node_count": p.NodeCount}}
		}
		p.UpdatedAt = now
		return nil
	})
}

// DeletePool removes an empty pool; a pool with members is refused.
func (s *Service) DeletePool(ctx context.Context, actor Actor, id string) (err error) {
	defer func() { s.record(ctx, "pool", actor, "delete", id, err, nil) }()
	if err := checkPoolID(id); err != nil {
		return err
	}
	return s.store.DeletePool(ctx, id)
}

// PoolList is the response of a pool listing.
type PoolList struct {
	Pools      []*Pool    `json:"pools"`
	Pagination Pagination `json:"pagination"`
}

// ListPools lists pools by page or cursor.
func (s *Service) ListPools(ctx context.Context, q ListQuery) (PoolList, error) {
	cur, err := q.normalize()
	if err != nil {
		return PoolList{}, err
	}
	page, err := s.store.ListPools(ctx, PoolFilter{Offset: (q.Page - 1) * q.Limit, Limit: q.Limit, After: cur})
	if err != nil {
		return PoolList{}, err
	}
	next := ""
	if len(page.Pools) == q.Limit {
		last := page.Pools[len(page.Pools)-1]
		next = EncodeCursor(Cursor{CreatedAt: last.CreatedAt, ID: last.PoolID})
	}
	if page.Pools == nil {
		page.Pools = []*Pool{}
	}
	return PoolList{Pools: page.Pools, Pagination: pagination(q, page.Total, next)}, nil
}

// AddPoolNodeRequest is the body of POST /nodes/pools/{id}/nodes.
type AddPoolNodeRequest struct {
	NodeID string `json:"node_id"`
	// Priority is 1–100; absent means DefaultPriority (an explicit 0 is refused).
	Priority *int `json:"priority,omitempty"`
}

// AddNodeToPool makes a node a member of a pool; a full pool is refused (LUCID_ERR_5004).
func (s *Service) AddNodeToPool(ctx context.Context, actor Actor, poolID string, req AddPoolNodeRequest) (p *Pool, err error) {
	defer func() { s.record(ctx, "pool", actor, "add_node", poolID, err, map[string]any{"node_id": req.NodeID}) }()
	if err := checkPoolID(poolID); err != nil {
		return nil, err
	}
	if err := checkNodeID(req.NodeID); err != nil {
		return nil, err
	}
	priority := DefaultPriority
	if req.Priority != nil {
		priority = *req.Priority
	}
	if priority < 1 || priority > 100 {
		var v validationError
		v.add("priority", "must be 1–100")
		return nil, v.err()
	}
	return s.store.AddNodeToPool(ctx, poolID, req.NodeID, priority, s.now())
}

// RemoveNodeFromPool ends a node's membership of a pool.
func (s *Service) RemoveNodeFromPool(ctx context.Context, actor Actor, poolID, nodeID string) (p *Pool, err error) {
	defer func() { s.record(ctx, "pool", actor, "remove_node", poolID, err, map[string]any{"node_id": nodeID}) }()
	if err := checkPoolID(poolID); err != nil {
		return nil, err
	}
	if err := checkNodeID(nodeID); err != nil {
		return nil, err
	}
	return s.store.RemoveNodeFromPool(ctx, poolID, nodeID, s.now())
}
