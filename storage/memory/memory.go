// Package memory is the in-memory storage backend: maps behind one mutex, for tests and for
// embedding. Values are deep-copied on the way in and out, so callers never share stored data,
// and times are normalised to UTC microseconds exactly like the SQL backends. Nothing survives
// the process.
package memory

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/internal/clone"
)

var _ nodemgmt.Store = (*Store)(nil)

// nameKey is a node name within its pool's namespace ("" is the namespace of pool-less nodes).
type nameKey struct{ pool, name string }

// ordKey orders rows by (CreatedAt, ID).
type ordKey struct {
	at time.Time
	id string
}

func cmpOrd(a, b ordKey) int {
	if c := a.at.Compare(b.at); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

type auditRow struct {
	seq int64
	e   nodemgmt.AuditEntry
}

type lease struct {
	holder  string
	expires time.Time
}

// Store is the in-memory backend. The zero value is not usable; call New.
type Store struct {
	mu        sync.RWMutex
	nodes     map[string]*nodemgmt.Node
	names     map[nameKey]string
	nodeOrder []ordKey                  // sorted
	members   map[string]map[string]int // pool id → node id → priority
	pools     map[string]*nodemgmt.Pool
	poolNames map[string]string
	poolOrder []ordKey // sorted
	audit     []auditRow
	auditSeq  int64
	leases    map[string]lease
	res       resourceState // resources.go; maps made on first use
	poot      pootState     // poot.go; maps made on first use
	closed    bool
	// PayoutStore holds the payout domain (payout.go) behind its own mutex.
	*PayoutStore
}

// New returns an empty store.
func New() *Store {
	return &Store{
		nodes: map[string]*nodemgmt.Node{}, names: map[nameKey]string{}, members: map[string]map[string]int{},
		pools: map[string]*nodemgmt.Pool{}, poolNames: map[string]string{}, leases: map[string]lease{},
		PayoutStore: NewPayoutStore(),
	}
}

// Close marks the store closed; later calls fail.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

var errClosed = errors.New("memory store: closed")

// lock takes the write lock for an operation: it refuses a cancelled context or a closed store,
// and otherwise returns the function that releases the lock.
func (s *Store) lock(ctx context.Context) (unlock func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errClosed
	}
	return s.mu.Unlock, nil
}

// rlock is lock for read-only operations.
func (s *Store) rlock(ctx context.Context) (unlock func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, errClosed
	}
	return s.mu.RUnlock, nil
}

// Ping reports whether the store is open.
func (s *Store) Ping(ctx context.Context) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return errClosed
	}
	return ctx.Err()
}

func insertOrd(list []ordKey, k ordKey) []ordKey {
	i, _ := slices.BinarySearchFunc(list, k, cmpOrd)
	return slices.Insert(list, i, k)
}

func removeOrd(list []ordKey, k ordKey) []ordKey {
	if i, ok := slices.BinarySearchFunc(list, k, cmpOrd); ok {
		return slices.Delete(list, i, i+1)
	}
	return list
}

func nodeExists(id string) error {
	return &nodemgmt.Error{Code: nodemgmt.CodeNodeExists, Message: "a node with this id already exists", Details: map[string]any{"node_id": id}}
}

func nameTaken(pool, name string) error {
	return &nodemgmt.Error{Code: nodemgmt.CodeNodeExists, Message: "a node with this name already exists in the pool",
		Details: map[string]any{"name": name, "pool_id": pool}}
}

func poolFull(p *nodemgmt.Pool, count int) error {
	return &nodemgmt.Error{Code: nodemgmt.CodeResourceLimit, Message: "the pool is full",
		Details: map[string]any{"pool_id": p.PoolID, "max_nodes": p.MaxNodes, "node_count": count}}
}

func conflict(msg string, details map[string]any) error {
	return &nodemgmt.Error{Code: nodemgmt.CodeConflict, Message: msg, Details: details}
}

// CreateNode inserts n under the uniqueness and capacity rules of nodemgmt.Store.
func (s *Store) CreateNode(ctx context.Context, n *nodemgmt.Node) error {
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if _, ok := s.nodes[n.NodeID]; ok {
		return nodeExists(n.NodeID)
	}
	if n.PoolID != "" {
		p, ok := s.pools[n.PoolID]
		if !ok {
			return nodemgmt.NotFoundPool(n.PoolID)
		}
		if c := len(s.members[n.PoolID]); c >= p.MaxNodes {
			return poolFull(p, c)
		}
	}
	if _, ok := s.names[nameKey{n.PoolID, n.Name}]; ok {
		return nameTaken(n.PoolID, n.Name)
	}
	c := clone.Node(n)
	s.nodes[c.NodeID] = c
	s.names[nameKey{c.PoolID, c.Name}] = c.NodeID
	s.nodeOrder = insertOrd(s.nodeOrder, ordKey{c.CreatedAt, c.NodeID})
	if c.PoolID != "" {
		s.addMember(c.PoolID, c.NodeID, nodemgmt.DefaultPriority)
	}
	return nil
}

func (s *Store) addMember(pool, node string, priority int) {
	m := s.members[pool]
	if m == nil {
		m = map[string]int{}
		s.members[pool] = m
	}
	m[node] = priority
}

// GetNode returns a copy of the node.
func (s *Store) GetNode(ctx context.Context, id string) (*nodemgmt.Node, error) {
	unlock, err := s.rlock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	n, ok := s.nodes[id]
	if !ok {
		return nil, nodemgmt.NotFoundNode(id)
	}
	return clone.Node(n), nil
}

// UpdateNode applies fn to a copy of the node under the write lock and stores the result if fn
// succeeds. fn must not call the store.
func (s *Store) UpdateNode(ctx context.Context, id string, fn func(n *nodemgmt.Node) error) (*nodemgmt.Node, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	old, ok := s.nodes[id]
	if !ok {
		return nil, nodemgmt.NotFoundNode(id)
	}
	c := clone.Node(old)
	if err := fn(c); err != nil {
		return nil, err
	}
	if c.NodeID != old.NodeID || c.PoolID != old.PoolID {
		return nil, fmt.Errorf("memory store: UpdateNode callback changed node_id or pool_id of %s", id)
	}
	c = clone.Node(c)
	if c.Name != old.Name {
		if _, taken := s.names[nameKey{c.PoolID, c.Name}]; taken {
			return nil, nameTaken(c.PoolID, c.Name)
		}
		delete(s.names, nameKey{old.PoolID, old.Name})
		s.names[nameKey{c.PoolID, c.Name}] = id
	}
	if !c.CreatedAt.Equal(old.CreatedAt) {
		s.nodeOrder = insertOrd(removeOrd(s.nodeOrder, ordKey{old.CreatedAt, id}), ordKey{c.CreatedAt, id})
	}
	s.nodes[id] = c
	return clone.Node(c), nil
}

// DeleteNode removes the node if check accepts it.
func (s *Store) DeleteNode(ctx context.Context, id string, check func(n *nodemgmt.Node) error) error {
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	n, ok := s.nodes[id]
	if !ok {
		return nodemgmt.NotFoundNode(id)
	}
	if check != nil {
		if err := check(clone.Node(n)); err != nil {
			return err
		}
	}
	delete(s.nodes, id)
	delete(s.names, nameKey{n.PoolID, n.Name})
	s.nodeOrder = removeOrd(s.nodeOrder, ordKey{n.CreatedAt, id})
	if n.PoolID != "" {
		delete(s.members[n.PoolID], id)
	}
	return nil
}

// afterCursor reports whether k comes after the cursor; the cursor's time is normalised like
// every stored time.
func afterCursor(k ordKey, c *nodemgmt.Cursor) bool {
	return cmpOrd(k, ordKey{clone.Norm(c.CreatedAt), c.ID}) > 0
}

// ListNodes returns the page of matching nodes in (CreatedAt, NodeID) order and their total.
func (s *Store) ListNodes(ctx context.Context, f nodemgmt.NodeFilter) (nodemgmt.NodePage, error) {
	unlock, err := s.rlock(ctx)
	if err != nil {
		return nodemgmt.NodePage{}, err
	}
	defer unlock()
	var page nodemgmt.NodePage
	skip := max(f.Offset, 0)
	if f.After != nil {
		skip = 0
	}
	for _, k := range s.nodeOrder {
		n := s.nodes[k.id]
		if (f.Status != "" && n.Status != f.Status) || (f.PoolID != "" && n.PoolID != f.PoolID) ||
			(f.Health != "" && n.Health != f.Health) {
			continue
		}
		page.Total++
		if f.After != nil && !afterCursor(k, f.After) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if f.Limit <= 0 || len(page.Nodes) < f.Limit {
			page.Nodes = append(page.Nodes, clone.Node(n))
		}
	}
	return page, nil
}

// ListStaleNodes returns nodes that are not down and whose deadline is before the given time,
// oldest deadline first.
func (s *Store) ListStaleNodes(ctx context.Context, before time.Time, limit int) ([]*nodemgmt.Node, error) {
	unlock, err := s.rlock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	before = clone.Norm(before)
	var out []*nodemgmt.Node
	for _, n := range s.nodes {
		if n.Health != nodemgmt.HealthDown && n.HealthDeadline != nil && n.HealthDeadline.Before(before) {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b *nodemgmt.Node) int {
		return cmp.Or(a.HealthDeadline.Compare(*b.HealthDeadline), strings.Compare(a.NodeID, b.NodeID))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	for i, n := range out {
		out[i] = clone.Node(n)
	}
	return out, nil
}

// ExtendHealthDeadlines raises the deadline of every node that is not down to at least until.
func (s *Store) ExtendHealthDeadlines(ctx context.Context, until time.Time) (int, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	until = clone.Norm(until)
	changed := 0
	for _, n := range s.nodes {
		if n.Health == nodemgmt.HealthDown || (n.HealthDeadline != nil && !n.HealthDeadline.Before(until)) {
			continue
		}
		u := until
		n.HealthDeadline = &u
		changed++
	}
	return changed, nil
}

// CountNodes counts nodes by status and by health; only values that occur are present.
func (s *Store) CountNodes(ctx context.Context) (nodemgmt.NodeCounts, error) {
	unlock, err := s.rlock(ctx)
	if err != nil {
		return nodemgmt.NodeCounts{}, err
	}
	defer unlock()
	c := nodemgmt.NodeCounts{ByStatus: map[nodemgmt.Status]int{}, ByHealth: map[nodemgmt.Health]int{}, Total: len(s.nodes)}
	for _, n := range s.nodes {
		c.ByStatus[n.Status]++
		c.ByHealth[n.Health]++
	}
	return c, nil
}
