package nodemgmt

import (
	"context"
	"time"
)

// Store is the persistence the Service needs. Implementations live in the storage packages and
// must pass storage/storagetest. Every method is safe for concurrent use; an operation that
// touches two rows (a node and its pool) is atomic.
//
// Errors: a missing node or pool is reported with an error matching ErrNodeNotFound or
// ErrPoolNotFound (errors.Is); a duplicate node id or a duplicate name within the same pool
// with ErrNodeExists; a duplicate pool id or pool name with ErrPoolExists.
type Store interface {
	// CreateNode inserts a new node. Its name must be unique within its pool (PoolID, where ""
	// is the namespace of nodes without a pool). If PoolID is set the pool's capacity rule of
	// AddNodeToPool applies in the same transaction.
	CreateNode(ctx context.Context, n *Node) error
	// GetNode returns the node with the id.
	GetNode(ctx context.Context, id string) (*Node, error)
	// UpdateNode reads the node, calls fn on a copy and, if fn returns nil, writes the copy back,
	// all atomically with respect to other updates of the same node. fn must not change NodeID or
	// PoolID (pool membership changes through AddNodeToPool/RemoveNodeFromPool). A new Name
	// must stay unique within the node's pool (else ErrNodeExists). It returns the stored node,
	// or fn's error unchanged.
	UpdateNode(ctx context.Context, id string, fn func(n *Node) error) (*Node, error)
	// DeleteNode removes the node if check (called inside the transaction on the current node)
	// returns nil; otherwise it returns check's error unchanged.
	DeleteNode(ctx context.Context, id string, check func(n *Node) error) error
	// ListNodes returns a page of nodes ordered by (CreatedAt, NodeID) ascending.
	ListNodes(ctx context.Context, f NodeFilter) (NodePage, error)
	// ListStaleNodes returns up to limit nodes whose health is not down and whose
	// HealthDeadline is before the given time, for the heartbeat reaper.
	ListStaleNodes(ctx context.Context, before time.Time, limit int) ([]*Node, error)
	// ExtendHealthDeadlines sets HealthDeadline to at least until for every node whose health is
	// not down (used after a server start so a restart does not mark the fleet down), and
	// returns how many nodes it changed.
	ExtendHealthDeadlines(ctx context.Context, until time.Time) (int, error)
	// CountNodes counts nodes by status and health (for /health and metrics).
	CountNodes(ctx context.Context) (NodeCounts, error)

	// CreatePool inserts a new pool (unique id and unique name).
	CreatePool(ctx context.Context, p *Pool) error
	// GetPool returns the pool with its exact NodeCount.
	GetPool(ctx context.Context, id string) (*Pool, error)
	// UpdatePool reads, modifies via fn and writes back atomically, like UpdateNode. fn must
	// not change PoolID or NodeCount; lowering MaxNodes below NodeCount must be refused by fn.
	UpdatePool(ctx context.Context, id string, fn func(p *Pool) error) (*Pool, error)
	// DeletePool removes the pool if it has no member nodes; otherwise it returns an error
	// matching ErrConflict.
	DeletePool(ctx context.Context, id string) error
	// ListPools returns a page of pools ordered by (CreatedAt, PoolID) ascending.
	ListPools(ctx context.Context, f PoolFilter) (PoolPage, error)
	// AddNodeToPool makes the node a member of the pool in one transaction: the pool must exist
	// and have NodeCount < MaxNodes (else ErrResourceLimit), the node must exist and be in no
	// pool (else ErrConflict; re-adding to the same pool is ErrConflict too), and its name must be
	// unique in the pool (else ErrNodeExists). It sets the node's PoolID and UpdatedAt (now) and
	// returns the pool with its new NodeCount.
	AddNodeToPool(ctx context.Context, poolID, nodeID string, priority int, now time.Time) (*Pool, error)
	// RemoveNodeFromPool clears the node's membership (ErrConflict if it is not a member).
	RemoveNodeFromPool(ctx context.Context, poolID, nodeID string, now time.Time) (*Pool, error)

	// AppendAudit records one audit entry.
	AppendAudit(ctx context.Context, e AuditEntry) error
	// ListAudit returns audit entries, newest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
	// PruneAudit deletes entries of the given category older than before; it returns the count.
	PruneAudit(ctx context.Context, category string, before time.Time) (int, error)

	// AcquireLease takes or renews the named lease for holder until now+ttl. It returns true
	// when holder has the lease: it was free, expired, or already held by holder.
	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
	// ReleaseLease gives the lease up if holder has it.
	ReleaseLease(ctx context.Context, name, holder string) error

	// Ping checks that the store is reachable (health checks).
	Ping(ctx context.Context) error
}

// NodeFilter selects nodes. Zero values mean "any". With After set, the page starts after that
// position (cursor pagination) and Offset is ignored.
type NodeFilter struct {
	Status Status
	PoolID string
	Health Health
	Offset int
	Limit  int
	After  *Cursor
}

// PoolFilter selects pools; paging works as in NodeFilter.
type PoolFilter struct {
	Offset int
	Limit  int
	After  *Cursor
}

// Cursor is a position in a (CreatedAt, ID) ordering; it stays correct under inserts.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

// NodePage is one page of nodes and the total count matching the filter (ignoring paging).
type NodePage struct {
	Nodes []*Node
	Total int
}

// PoolPage is one page of pools and the total count.
type PoolPage struct {
	Pools []*Pool
	Total int
}

// NodeCounts are fleet totals by status and by health.
type NodeCounts struct {
	ByStatus map[Status]int
	ByHealth map[Health]int
	Total    int
}

// AuditEntry is one recorded operation: who did what to which object, when, with what result.
type AuditEntry struct {
	ID       string         `json:"id"`
	At       time.Time      `json:"at"`
	Category string         `json:"category"` // "node", "pool", "poot", "payout"
	Actor    string         `json:"actor"`
	Action   string         `json:"action"`
	Target   string         `json:"target"`
	Result   string         `json:"result"` // "ok" or the error code
	Details  map[string]any `json:"details,omitempty"`
}

// AuditFilter selects audit entries. Zero values mean "any".
type AuditFilter struct {
	Category string
	Target   string
	Since    time.Time
	Limit    int
}
