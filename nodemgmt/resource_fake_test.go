package nodemgmt

import (
	"context"
	"math"
	"sort"
	"sync"
	"time"
)

// resFakeNodes is the part of Store the Monitor uses, over a map. Methods the Monitor never
// calls are left to the embedded nil interface (they would panic).
type resFakeNodes struct {
	Store
	mu     sync.Mutex
	nodes  map[string]*Node
	pools  map[string]*Pool
	audit  []AuditEntry
	leases map[string]string
}

func newResFakeNodes() *resFakeNodes {
	return &resFakeNodes{nodes: map[string]*Node{}, pools: map[string]*Pool{}, leases: map[string]string{}}
}

func (f *resFakeNodes) GetNode(_ context.Context, id string) (*Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.nodes[id]
	if !ok {
		return nil, NotFoundNode(id)
	}
	c := *n
	return &c, nil
}

func (f *resFakeNodes) GetPool(_ context.Context, id string) (*Pool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.pools[id]
	if !ok {
		return nil, NotFoundPool(id)
	}
	c := *p
	return &c, nil
}

func (f *resFakeNodes) AppendAudit(_ context.Context, e AuditEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.audit = append(f.audit, e)
	return nil
}

func (f *resFakeNodes) AcquireLease(_ context.Context, name, holder string, _ time.Time, _ time.Duration) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if h, ok := f.leases[name]; ok && h != holder {
		return false, nil
	}
	f.leases[name] = holder
	return true, nil
}

func (f *resFakeNodes) ReleaseLease(_ context.Context, name, holder string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.leases[name] == holder {
		delete(f.leases, name)
	}
	return nil
}

// resFakeStore is an in-memory ResourceStore with the semantics the interface documents,
// including the hourly aggregates folded in by SaveSample.
type resFakeStore struct {
	mu          sync.Mutex
	samples     map[string][]ResourceSample // by node, any order
	seen        map[string]map[int64]int    // node → timestamp (ns) → index in samples
	latest      map[string]int64            // node → greatest timestamp (ns)
	hourly      map[hourKey]*hourAgg
	thresholds  map[string]Thresholds
	alerts      []Alert
	allocations map[string]Allocation
}

type hourKey struct {
	node   string
	metric MetricType
	hour   int64 // unix seconds of the hour start
}

type hourAgg struct {
	count         int64
	sum, min, max float64
}

func newResFakeStore() *resFakeStore {
	return &resFakeStore{samples: map[string][]ResourceSample{}, seen: map[string]map[int64]int{}, latest: map[string]int64{}, hourly: map[hourKey]*hourAgg{},
		thresholds: map[string]Thresholds{}, allocations: map[string]Allocation{}}
}

func (f *resFakeStore) SaveSample(_ context.Context, s *ResourceSample) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, dup := f.seen[s.NodeID][s.Timestamp.UnixNano()]; dup {
		return &Error{Code: CodeConflict, Message: "duplicate sample"}
	}
	if f.seen[s.NodeID] == nil {
		f.seen[s.NodeID] = map[int64]int{}
	}
	f.seen[s.NodeID][s.Timestamp.UnixNano()] = len(f.samples[s.NodeID])
	f.samples[s.NodeID] = append(f.samples[s.NodeID], *s)
	if ts, ok := f.latest[s.NodeID]; !ok || s.Timestamp.UnixNano() > ts {
		f.latest[s.NodeID] = s.Timestamp.UnixNano()
	}
	for _, t := range MetricTypes {
		v := s.MetricValue(t)
		k := hourKey{s.NodeID, t, alignDown(s.Timestamp, time.Hour).Unix()}
		a, ok := f.hourly[k]
		if !ok {
			a = &hourAgg{min: math.Inf(1), max: math.Inf(-1)}
			f.hourly[k] = a
		}
		a.count++
		a.sum += v
		a.min = math.Min(a.min, v)
		a.max = math.Max(a.max, v)
	}
	return nil
}

func (f *resFakeStore) LatestSample(_ context.Context, nodeID string) (*ResourceSample, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	best, found := f.latest[nodeID]
	if !found {
		return nil, nil
	}
	c := f.samples[nodeID][f.seen[nodeID][best]]
	return &c, nil
}

func (f *resFakeStore) AggregateSamples(_ context.Context, q AggregateQuery) ([]MetricPoint, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	buckets := map[int64]*hourAgg{}
	add := func(start int64, count int64, sum, lo, hi float64) {
		a, ok := buckets[start]
		if !ok {
			a = &hourAgg{min: math.Inf(1), max: math.Inf(-1)}
			buckets[start] = a
		}
		a.count += count
		a.sum += sum
		a.min = math.Min(a.min, lo)
		a.max = math.Max(a.max, hi)
	}
	if q.Bucket >= time.Hour {
		for k, a := range f.hourly {
			t := time.Unix(k.hour, 0)
			if k.node != q.NodeID || k.metric != q.Metric || t.Before(q.Start) || !t.Before(q.End) {
				continue
			}
			add(alignDown(t, q.Bucket).UnixNano(), a.count, a.sum, a.min, a.max)
		}
	} else {
		for _, s := range f.samples[q.NodeID] {
			if s.Timestamp.Before(q.Start) || !s.Timestamp.Before(q.End) {
				continue
			}
			start := q.Start.UnixNano()
			if q.Bucket > 0 {
				start = alignDown(s.Timestamp, q.Bucket).UnixNano()
			}
			v := s.MetricValue(q.Metric)
			add(start, 1, v, v, v)
		}
	}
	out := make([]MetricPoint, 0, len(buckets))
	for start, a := range buckets {
		out = append(out, MetricPoint{Start: time.Unix(0, start).UTC(), Samples: a.count,
			Avg: a.sum / float64(a.count), Min: a.min, Max: a.max})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

func (f *resFakeStore) DeleteSamplesBefore(_ context.Context, before time.Time) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n int64
	for node, list := range f.samples {
		kept := list[:0]
		for _, s := range list {
			if s.Timestamp.Before(before) {
				n++
				continue
			}
			kept = append(kept, s)
		}
		f.samples[node] = kept
		f.reindex(node)
	}
	return n, nil
}

func (f *resFakeStore) DeleteHourlyBefore(_ context.Context, before time.Time) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n int64
	for k := range f.hourly {
		if time.Unix(k.hour, 0).Before(before) {
			delete(f.hourly, k)
			n++
		}
	}
	return n, nil
}

func (f *resFakeStore) GetThresholds(_ context.Context, nodeID string) (*Thresholds, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.thresholds[nodeID]
	if !ok {
		return nil, nil
	}
	return &t, nil
}

func (f *resFakeStore) PutThresholds(_ context.Context, t *Thresholds) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.thresholds[t.NodeID] = *t
	return nil
}

func (f *resFakeStore) ActiveAlerts(_ context.Context, nodeID string) ([]Alert, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Alert
	for _, a := range f.alerts {
		if a.NodeID == nodeID && a.ClearedAt == nil {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Resource < out[j].Resource })
	return out, nil
}

func (f *resFakeStore) ListAlerts(_ context.Context, flt AlertFilter) ([]Alert, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Alert
	for _, a := range f.alerts {
		if (flt.NodeID == "" || a.NodeID == flt.NodeID) && (!flt.ActiveOnly || a.ClearedAt == nil) &&
			!a.RaisedAt.Before(flt.Since) {
			out = append(out, a)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].RaisedAt.Equal(out[j].RaisedAt) {
			return out[i].RaisedAt.After(out[j].RaisedAt)
		}
		return out[i].ID > out[j].ID
	})
	limit := flt.Limit
	if limit <= 0 {
		limit = 100
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (f *resFakeStore) SwapAlert(_ context.Context, nodeID string, r Resource, at time.Time, next *Alert) (*Alert, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var cleared *Alert
	for i := range f.alerts {
		a := &f.alerts[i]
		if a.NodeID == nodeID && a.Resource == r && a.ClearedAt == nil {
			t := at
			a.ClearedAt = &t
			c := *a
			cleared = &c
		}
	}
	if next != nil {
		f.alerts = append(f.alerts, *next)
	}
	return cleared, nil
}

func (f *resFakeStore) GetAllocation(_ context.Context, nodeID string) (*Allocation, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.allocations[nodeID]
	if !ok {
		return nil, nil
	}
	return &a, nil
}

func (f *resFakeStore) PutAllocation(_ context.Context, a *Allocation) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.allocations[a.NodeID] = *a
	return nil
}

func (f *resFakeStore) DeleteNodeResources(_ context.Context, nodeID string, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.samples, nodeID)
	delete(f.seen, nodeID)
	delete(f.latest, nodeID)
	for k := range f.hourly {
		if k.node == nodeID {
			delete(f.hourly, k)
		}
	}
	delete(f.thresholds, nodeID)
	delete(f.allocations, nodeID)
	for i := range f.alerts {
		if f.alerts[i].NodeID == nodeID && f.alerts[i].ClearedAt == nil {
			t := at
			f.alerts[i].ClearedAt = &t
		}
	}
	return nil
}

func (f *resFakeStore) reindex(node string) {
	f.seen[node] = map[int64]int{}
	delete(f.latest, node)
	for i, s := range f.samples[node] {
		ts := s.Timestamp.UnixNano()
		f.seen[node][ts] = i
		if l, ok := f.latest[node]; !ok || ts > l {
			f.latest[node] = ts
		}
	}
}

func (f *resFakeStore) sampleCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, l := range f.samples {
		n += len(l)
	}
	return n
}

var _ ResourceStore = (*resFakeStore)(nil)
