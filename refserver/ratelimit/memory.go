package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of MemoryConfig.
const (
	// DefaultMaxKeys bounds the number of (tier, key) buckets kept in memory.
	DefaultMaxKeys = 100_000
	// DefaultShards is the number of independently locked parts of the bucket map.
	DefaultShards = 64
)

// MemoryConfig configures a Memory limiter. The zero value gives DefaultTiers per minute.
type MemoryConfig struct {
	// Tiers are the limits per Window; DefaultTiers() when zero.
	Tiers Tiers
	// Window is the period the limits refer to; DefaultWindow when zero.
	Window time.Duration
	// BurstFraction is the share of the limit a client may spend at once, in (0, 1]; 1 when
	// zero. The bucket refills at Limit/Window, so with 1 a fresh client may send up to about
	// twice the limit in its very first window, then exactly the limit per window.
	BurstFraction float64
	// MaxKeys is the hard cap on buckets kept; DefaultMaxKeys when zero.
	MaxKeys int
	// Shards is the number of map shards; DefaultShards when zero.
	Shards int
	// SweepInterval is how often a shard drops its idle buckets (amortized on inserts, or via
	// Sweep); Window when zero.
	SweepInterval time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// tierParams are the bucket settings of one tier.
type tierParams struct {
	limit int
	burst int
	rate  rate.Limit
	every time.Duration // time to earn one token
}

type bucketKey struct {
	tier uint8 // index in AllTiers
	key  string
}

// tierIndex returns the index of t in AllTiers, or -1.
func tierIndex(t Tier) int {
	switch t {
	case TierUnauthenticated:
		return 0
	case TierAuthenticated:
		return 1
	case TierAdmin:
		return 2
	case TierPoOT:
		return 3
	case TierPayout:
		return 4
	}
	return -1
}

type shard struct {
	mu        sync.RWMutex
	buckets   map[bucketKey]*rate.Limiter
	lastSweep atomic.Int64 // unix nanoseconds
}

// Memory is an in-process Limiter: one token bucket per (tier, key), in a sharded map whose
// size stays bounded. Buckets that have refilled completely are dropped by sweeps, which loses
// nothing (a new bucket starts full); when a shard reaches its share of MaxKeys, the fullest of
// a few sampled buckets is evicted, which at worst forgives a little of one client's spending.
// (A request racing with the eviction of its own bucket may be counted in the dropped bucket:
// at most one request forgiven per such race.) Safe for concurrent use. Each replica counts on its own: use Redis to share a budget.
type Memory struct {
	params   [5]tierParams
	shards   []shard
	mask     uint64
	perShard int
	sweep    time.Duration
	now      func() time.Time
	seed     maphash.Seed
}

// NewMemory returns a Memory limiter for cfg.
func NewMemory(cfg MemoryConfig) (*Memory, error) {
	if cfg.Tiers == (Tiers{}) {
		cfg.Tiers = DefaultTiers()
	}
	if cfg.Window == 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.Window < 0 {
		return nil, errors.New("ratelimit: window must be positive")
	}
	if cfg.BurstFraction == 0 {
		cfg.BurstFraction = 1
	}
	if cfg.BurstFraction < 0 || cfg.BurstFraction > 1 || math.IsNaN(cfg.BurstFraction) {
		return nil, fmt.Errorf("ratelimit: burst fraction %v outside (0, 1]", cfg.BurstFraction)
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	if cfg.Shards <= 0 {
		cfg.Shards = DefaultShards
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = cfg.Window
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	n := 1
	for n < cfg.Shards && n < cfg.MaxKeys {
		n <<= 1
	}
	m := &Memory{
		shards:   make([]shard, n),
		mask:     uint64(n - 1),
		perShard: max(1, (cfg.MaxKeys+n-1)/n),
		sweep:    cfg.SweepInterval,
		now:      cfg.Now,
		seed:     maphash.MakeSeed(),
	}
	for i, t := range AllTiers() {
		limit, _ := cfg.Tiers.Limit(t)
		p := tierParams{limit: limit}
		if limit > 0 {
			p.burst = max(1, int(math.Ceil(float64(limit)*cfg.BurstFraction)))
			p.every = cfg.Window / time.Duration(limit)
			p.rate = rate.Limit(float64(limit) / cfg.Window.Seconds())
		}
		m.params[i] = p
	}
	start := cfg.Now().UnixNano()
	for i := range m.shards {
		m.shards[i].buckets = make(map[bucketKey]*rate.Limiter)
		m.shards[i].lastSweep.Store(start)
	}
	return m, nil
}

// Allow takes one token from the bucket of (tier, key). It never blocks and never fails except
// for an unknown tier; ctx is accepted for the interface.
func (m *Memory) Allow(_ context.Context, key string, tier Tier) (Decision, error) {
	ti := tierIndex(tier)
	if ti < 0 {
		return Decision{}, fmt.Errorf("ratelimit: unknown tier %q", tier)
	}
	p := m.params[ti]
	if p.limit <= 0 {
		return unlimited, nil
	}
	now := m.now()
	k := bucketKey{tier: uint8(ti), key: key}
	s := &m.shards[m.shardIndex(k)]
	s.mu.RLock()
	lim := s.buckets[k]
	s.mu.RUnlock()
	if lim == nil {
		lim = m.insert(s, k, p, now)
	}
	allowed := lim.AllowN(now, 1)
	tokens := lim.TokensAt(now)
	d := Decision{
		Allowed:    allowed,
		Limit:      p.limit,
		Remaining:  max(0, int(tokens)),
		ResetAfter: scale(p.every, float64(p.burst)-tokens),
	}
	if !allowed {
		d.RetryAfter = max(scale(p.every, 1-tokens), time.Nanosecond)
	}
	return d, nil
}

// scale returns every·n, or 0 for n ≤ 0.
func scale(every time.Duration, n float64) time.Duration {
	if n <= 0 {
		return 0
	}
	return time.Duration(math.Round(float64(every) * n))
}

func (m *Memory) shardIndex(k bucketKey) uint64 {
	// Spread the tiers of one key over different shards.
	return (maphash.String(m.seed, k.key) + uint64(k.tier)*0x9e3779b97f4a7c15) & m.mask
}

// insert returns the bucket of k, creating it; it sweeps the shard when due and evicts when the
// shard is full.
func (m *Memory) insert(s *shard, k bucketKey, p tierParams, now time.Time) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	if lim := s.buckets[k]; lim != nil {
		return lim
	}
	if now.UnixNano()-s.lastSweep.Load() >= int64(m.sweep) {
		m.sweepLocked(s, now)
	}
	if len(s.buckets) >= m.perShard {
		m.evictLocked(s, now)
	}
	lim := rate.NewLimiter(p.rate, p.burst)
	s.buckets[k] = lim
	return lim
}

// sweepLocked drops the buckets that have refilled completely: forgetting them loses nothing.
func (m *Memory) sweepLocked(s *shard, now time.Time) int {
	n := 0
	for k, lim := range s.buckets {
		if lim.TokensAt(now) >= float64(lim.Burst()) {
			delete(s.buckets, k)
			n++
		}
	}
	s.lastSweep.Store(now.UnixNano())
	return n
}

// evictSample is how many buckets evictLocked looks at.
const evictSample = 8

// evictLocked removes the fullest of a few buckets taken from the map's randomized iteration
// order: the one whose client has spent the least lately.
func (m *Memory) evictLocked(s *shard, now time.Time) {
	var victim bucketKey
	best := math.Inf(-1)
	i := 0
	for k, lim := range s.buckets {
		if fill := lim.TokensAt(now) / float64(lim.Burst()); fill > best {
			best, victim = fill, k
		}
		if i++; i == evictSample {
			break
		}
	}
	delete(s.buckets, victim)
}

// Sweep drops every bucket that has refilled completely and returns how many it dropped. The
// limiter also sweeps on its own as keys arrive; a server may call Sweep from a ticker to give
// memory back while traffic is quiet.
func (m *Memory) Sweep() int {
	now := m.now()
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += m.sweepLocked(s, now)
		s.mu.Unlock()
	}
	return n
}

// Len returns the number of buckets held.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.RLock()
		n += len(s.buckets)
		s.mu.RUnlock()
	}
	return n
}
