package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/internal/clone"
)

func poolExists(field, value string) error {
	return &nodemgmt.Error{Code: nodemgmt.CodePoolExists, Message: "a pool with this " + field + " already exists",
		Details: map[string]any{field: value}}
}

// poolOut returns a copy of the stored pool with its count derived from the membership set.
func (s *Store) poolOut(p *nodemgmt.Pool) *nodemgmt.Pool {
	c := clone.Pool(p)
	c.NodeCount = len(s.members[p.PoolID])
	return c
}

// CreatePool inserts a pool with a unique id and name; its NodeCount starts at zero.
func (s *Store) CreatePool(ctx context.Context, p *nodemgmt.Pool) error {
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if _, ok := s.pools[p.PoolID]; ok {
		return poolExists("pool_id", p.PoolID)
	}
	if _, ok := s.poolNames[p.Name]; ok {
		return poolExists("name", p.Name)
	}
	c := clone.Pool(p)
	c.NodeCount = 0
	s.pools[c.PoolID] = c
	s.poolNames[c.Name] = c.PoolID
	s.poolOrder = insertOrd(s.poolOrder, ordKey{c.CreatedAt, c.PoolID})
	return nil
}

// GetPool returns a copy of the pool with its exact member count.
func (s *Store) GetPool(ctx context.Context, id string) (*nodemgmt.Pool, error) {
	unlock, err := s.rlock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	p, ok := s.pools[id]
	if !ok {
		return nil, nodemgmt.NotFoundPool(id)
	}
	return s.poolOut(p), nil
}

// UpdatePool applies fn to a copy of the pool under the write lock and stores it if fn succeeds.
func (s *Store) UpdatePool(ctx context.Context, id string, fn func(p *nodemgmt.Pool) error) (*nodemgmt.Pool, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	old, ok := s.pools[id]
	if !ok {
		return nil, nodemgmt.NotFoundPool(id)
	}
	c := s.poolOut(old)
	count := c.NodeCount
	if err := fn(c); err != nil {
		return nil, err
	}
	if c.PoolID != id || c.NodeCount != count {
		return nil, fmt.Errorf("memory store: UpdatePool callback changed pool_id or node_count of %s", id)
	}
	c = clone.Pool(c)
	if c.Name != old.Name {
		if _, taken := s.poolNames[c.Name]; taken {
			return nil, poolExists("name", c.Name)
		}
		delete(s.poolNames, old.Name)
		s.poolNames[c.Name] = id
	}
	if !c.CreatedAt.Equal(old.CreatedAt) {
		s.poolOrder = insertOrd(removeOrd(s.poolOrder, ordKey{old.CreatedAt, id}), ordKey{c.CreatedAt, id})
	}
	c.NodeCount = 0
	s.pools[id] = c
	return s.poolOut(c), nil
}

// DeletePool removes an empty pool; a pool with members is ErrConflict.
func (s *Store) DeletePool(ctx context.Context, id string) error {
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	p, ok := s.pools[id]
	if !ok {
		return nodemgmt.NotFoundPool(id)
	}
	if n := len(s.members[id]); n > 0 {
		return conflict("the pool still has member nodes", map[string]any{"pool_id": id, "node_count": n})
	}
	delete(s.pools, id)
	delete(s.poolNames, p.Name)
	delete(s.members, id)
	s.poolOrder = removeOrd(s.poolOrder, ordKey{p.CreatedAt, id})
	return nil
}

// ListPools returns a page of pools in (CreatedAt, PoolID) order and the total.
func (s *Store) ListPools(ctx context.Context, f nodemgmt.PoolFilter) (nodemgmt.PoolPage, error) {
	unlock, err := s.rlock(ctx)
	if err != nil {
		return nodemgmt.PoolPage{}, err
	}
	defer unlock()
	page := nodemgmt.PoolPage{Total: len(s.poolOrder)}
	skip := max(f.Offset, 0)
	if f.After != nil {
		skip = 0
	}
	for _, k := range s.poolOrder {
		if f.After != nil && !afterCursor(k, f.After) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if f.Limit > 0 && len(page.Pools) >= f.Limit {
			break
		}
		page.Pools = append(page.Pools, s.poolOut(s.pools[k.id]))
	}
	return page, nil
}

// AddNodeToPool makes the node a member of the pool under the rules of nodemgmt.Store.
func (s *Store) AddNodeToPool(ctx context.Context, poolID, nodeID string, priority int, now time.Time) (*nodemgmt.Pool, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	p, n, err := s.poolAndNode(poolID, nodeID)
	if err != nil {
		return nil, err
	}
	if n.PoolID != "" {
		return nil, conflict("the node is already a member of a pool", map[string]any{"node_id": nodeID, "pool_id": n.PoolID})
	}
	if c := len(s.members[poolID]); c >= p.MaxNodes {
		return nil, poolFull(p, c)
	}
	if _, taken := s.names[nameKey{poolID, n.Name}]; taken {
		return nil, nameTaken(poolID, n.Name)
	}
	delete(s.names, nameKey{"", n.Name})
	s.names[nameKey{poolID, n.Name}] = nodeID
	n.PoolID = poolID
	n.UpdatedAt = clone.Norm(now)
	s.addMember(poolID, nodeID, priority)
	return s.poolOut(p), nil
}

// RemoveNodeFromPool ends the node's membership of the pool.
func (s *Store) RemoveNodeFromPool(ctx context.Context, poolID, nodeID string, now time.Time) (*nodemgmt.Pool, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	p, n, err := s.poolAndNode(poolID, nodeID)
	if err != nil {
		return nil, err
	}
	if n.PoolID != poolID {
		return nil, conflict("the node is not a member of this pool", map[string]any{"node_id": nodeID, "pool_id": poolID})
	}
	if _, taken := s.names[nameKey{"", n.Name}]; taken {
		return nil, nameTaken("", n.Name)
	}
	delete(s.names, nameKey{poolID, n.Name})
	s.names[nameKey{"", n.Name}] = nodeID
	n.PoolID = ""
	n.UpdatedAt = clone.Norm(now)
	delete(s.members[poolID], nodeID)
	return s.poolOut(p), nil
}

// poolAndNode looks up both sides of a membership change; the caller holds the lock.
func (s *Store) poolAndNode(poolID, nodeID string) (*nodemgmt.Pool, *nodemgmt.Node, error) {
	p, ok := s.pools[poolID]
	if !ok {
		return nil, nil, nodemgmt.NotFoundPool(poolID)
	}
	n, ok := s.nodes[nodeID]
	if !ok {
		return nil, nil, nodemgmt.NotFoundNode(nodeID)
	}
	return p, n, nil
}
