package sqlite

import (
	"sync"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/internal/clone"
)

// nodeCache keeps decoded nodes for GetNode, which otherwise spends most of its time opening
// sealed columns and decoding JSON. It is correct because this process is the database's only
// writer and every node write invalidates after its commit:
//
//   - a reader takes the epoch before it reads the database, and may fill the cache only if the
//     epoch is unchanged when it fills; every invalidation bumps the epoch under the same lock;
//   - so a value read from a snapshot older than some commit is either refused (the commit's
//     invalidation came first) or removed (the invalidation comes after the fill).
//
// Callers get deep copies; the cached values are never handed out.
type nodeCache struct {
	mu    sync.RWMutex
	epoch uint64
	max   int
	m     map[string]*nodemgmt.Node
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

// begin returns the epoch a reader must present to fill.
func (c *nodeCache) begin() uint64 {
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.epoch
}

// fill caches a copy of n, read after begin returned epoch, unless a write has happened since.
func (c *nodeCache) fill(epoch uint64, n *nodemgmt.Node) {
	if c == nil {
		return
	}
	cp := clone.Node(n)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
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

// invalidate drops the nodes and refuses fills that started before this call.
func (c *nodeCache) invalidate(ids ...string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for _, id := range ids {
		delete(c.m, id)
	}
}

// invalidateAll drops every node, for bulk updates.
func (c *nodeCache) invalidateAll() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	clear(c.m)
}
