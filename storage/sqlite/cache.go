package sqlite

import (
	"sync"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/internal/clone"
)

// nodeCache keeps decoded nodes, so that GetNode and ListNodes need not open sealed columns and
// decode JSON for every read. It relies on this process being the database's only writer.
//
// Invariant: every cached entry equals the node's latest committed row. It holds because
//   - a write removes its nodes and bumps the epoch when it starts and again when it ends
//     (after commit or rollback), and no fill is accepted while any write is in flight;
//   - a reader takes the epoch before it opens its snapshot and may fill only if the epoch is
//     unchanged, so a row read before a write started or ended is never cached.
//
// A reader whose epoch is unchanged may also use cached entries in place of rows of its own
// snapshot: no write has started or ended since the snapshot began, and the nodes of a write
// still in flight are absent from the cache.
//
// Callers always get deep copies; cached values are never handed out.
type nodeCache struct {
	mu      sync.RWMutex
	epoch   uint64
	writing int
	max     int
	m       map[string]*nodemgmt.Node
}

func newNodeCache(size int) *nodeCache {
	if size <= 0 {
		return nil
	}
	return &nodeCache{max: size, m: make(map[string]*nodemgmt.Node, min(size, 1024))}
}

// get returns a copy of the cached node, or nil.
func (c *nodeCache) get(id string) *nodemgmt.Node {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	n := c.m[id]
	c.mu.RUnlock()
	if n == nil {
		return nil
	}
	return clone.Node(n)
}

// begin returns the epoch a reader must take before it opens its snapshot.
func (c *nodeCache) begin() uint64 {
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.epoch
}

// lookup returns copies of the cached nodes for ids (nil where absent), or nil if a write has
// started or ended since epoch.
func (c *nodeCache) lookup(epoch uint64, ids []string) []*nodemgmt.Node {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	if c.epoch != epoch {
		c.mu.RUnlock()
		return nil
	}
	found := make([]*nodemgmt.Node, len(ids))
	for i, id := range ids {
		found[i] = c.m[id]
	}
	c.mu.RUnlock()
	for i, n := range found {
		if n != nil {
			found[i] = clone.Node(n)
		}
	}
	return found
}

// fill caches a copy of n, read in a snapshot opened after begin returned epoch, unless a write
// has started or ended since or is in flight.
func (c *nodeCache) fill(epoch uint64, n *nodemgmt.Node) {
	if c == nil {
		return
	}
	cp := clone.Node(n)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch || c.writing > 0 {
		return
	}
	if _, ok := c.m[n.NodeID]; !ok && len(c.m) >= c.max {
		for k := range c.m { // evict an arbitrary entry: map order is unspecified
			delete(c.m, k)
			break
		}
	}
	c.m[n.NodeID] = cp
}

// startWrite must be called before a write of the nodes ids opens its transaction, and
// endWrite with the same ids after it has committed or rolled back. all covers every node.
func (c *nodeCache) startWrite(all bool, ids ...string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writing++
	c.dropLocked(all, ids)
}

func (c *nodeCache) endWrite(all bool, ids ...string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writing--
	c.dropLocked(all, ids)
}

func (c *nodeCache) dropLocked(all bool, ids []string) {
	c.epoch++
	if all {
		clear(c.m)
		return
	}
	for _, id := range ids {
		delete(c.m, id)
	}
}
