package auth

import (
	"sync"
	"time"
)

// verified is what the cache remembers of a token that passed every check.
type verified struct {
	p         Principal
	exp       time.Time
	notBefore time.Time // the later of nbf and iat
}

// verifiedCache maps the exact text of verified tokens to their principal, bounded in size.
type verifiedCache struct {
	mu  sync.RWMutex
	max int
	m   map[string]verified
}

func newVerifiedCache(size int) *verifiedCache {
	return &verifiedCache{max: size, m: make(map[string]verified, min(size, 1024))}
}

func (c *verifiedCache) get(token string) (verified, bool) {
	c.mu.RLock()
	e, ok := c.m[token]
	c.mu.RUnlock()
	return e, ok
}

func (c *verifiedCache) remove(token string) {
	c.mu.Lock()
	delete(c.m, token)
	c.mu.Unlock()
}

// put stores e. When the cache is full, one pass drops expired entries and, to keep inserts
// cheap on average, enough others (in the map's randomized order) to free a sixteenth of the
// room; dropped tokens are merely verified in full again on their next use.
func (c *verifiedCache) put(token string, e verified, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		free := max(1, c.max/16)
		freed := 0
		for k, v := range c.m {
			if now.After(v.exp) || freed < free {
				delete(c.m, k)
				freed++
			}
		}
	}
	c.m[token] = e
}
