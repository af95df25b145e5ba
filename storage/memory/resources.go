package memory

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/internal/clone"
)

var _ nodemgmt.ResourceStore = (*Store)(nil)

// resourceState is the resource-monitoring part of the Store, guarded by Store.mu. Samples of a
// node are kept sorted by timestamp so range queries and "latest" are binary searches.
type resourceState struct {
	samples     map[string][]nodemgmt.ResourceSample // node → sorted by Timestamp
	hourly      map[hourKey]*agg
	thresholds  map[string]nodemgmt.Thresholds
	alerts      []nodemgmt.Alert // insertion order
	allocations map[string]nodemgmt.Allocation
}

type hourKey struct {
	node   string
	metric nodemgmt.MetricType
	hour   int64 // unix microseconds of the hour start
}

type agg struct {
	count         int64
	sum, min, max float64
}

func (a *agg) add(count int64, sum, lo, hi float64) {
	if a.count == 0 {
		a.min, a.max = lo, hi
	} else {
		a.min, a.max = math.Min(a.min, lo), math.Max(a.max, hi)
	}
	a.count += count
	a.sum += sum
}

func (r *resourceState) init() {
	if r.samples == nil {
		r.samples = map[string][]nodemgmt.ResourceSample{}
		r.hourly = map[hourKey]*agg{}
		r.thresholds = map[string]nodemgmt.Thresholds{}
		r.allocations = map[string]nodemgmt.Allocation{}
	}
}

// lockRes takes the write lock for a resource operation and returns the unlock function, or an
// error when the context is done or the store closed.
func (s *Store) lockRes(ctx context.Context) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errClosed
	}
	s.res.init()
	return s.mu.Unlock, nil
}

// cloneSample deep-copies a sample (interfaces, temperatures and gpu are shared otherwise).
func cloneSample(in *nodemgmt.ResourceSample) nodemgmt.ResourceSample {
	c := *in
	c.Timestamp = clone.Norm(in.Timestamp)
	if in.CPU.TemperatureCelsius != nil {
		v := *in.CPU.TemperatureCelsius
		c.CPU.TemperatureCelsius = &v
	}
	if in.Network.Interfaces != nil {
		c.Network.Interfaces = slices.Clone(in.Network.Interfaces)
	}
	if in.GPU != nil {
		g := *in.GPU
		if g.TemperatureCelsius != nil {
			v := *g.TemperatureCelsius
			g.TemperatureCelsius = &v
		}
		c.GPU = &g
	}
	return c
}

func cmpSampleTime(s nodemgmt.ResourceSample, t time.Time) int { return s.Timestamp.Compare(t) }

// floorDiv rounds v down to a multiple of d (d > 0), also for negative v.
func floorDiv(v, d int64) int64 {
	r := v % d
	if r < 0 {
		r += d
	}
	return v - r
}

// SaveSample stores the sample and folds its metric values into the hourly aggregates.
func (s *Store) SaveSample(ctx context.Context, in *nodemgmt.ResourceSample) error {
	unlock, err := s.lockRes(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	c := cloneSample(in)
	list := s.res.samples[c.NodeID]
	i, found := slices.BinarySearchFunc(list, c.Timestamp, cmpSampleTime)
	if found {
		return conflict("a sample with this timestamp is already stored",
			map[string]any{"node_id": c.NodeID, "timestamp": c.Timestamp})
	}
	s.res.samples[c.NodeID] = slices.Insert(list, i, c)
	hour := floorDiv(c.Timestamp.UnixMicro(), time.Hour.Microseconds())
	for _, t := range nodemgmt.MetricTypes {
		k := hourKey{c.NodeID, t, hour}
		a := s.res.hourly[k]
		if a == nil {
			a = &agg{}
			s.res.hourly[k] = a
		}
		v := c.MetricValue(t)
		a.add(1, v, v, v)
	}
	return nil
}

// LatestSample returns a copy of the node's newest sample, or nil.
func (s *Store) LatestSample(ctx context.Context, nodeID string) (*nodemgmt.ResourceSample, error) {
	unlock, err := s.lockRes(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	list := s.res.samples[nodeID]
	if len(list) == 0 {
		return nil, nil
	}
	c := cloneSample(&list[len(list)-1])
	return &c, nil
}

// AggregateSamples buckets the node's samples (or, for buckets of an hour or more, its hourly
// aggregates) in the store, without copying samples out.
func (s *Store) AggregateSamples(ctx context.Context, q nodemgmt.AggregateQuery) ([]nodemgmt.MetricPoint, error) {
	unlock, err := s.lockRes(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	start, end := clone.Norm(q.Start).UnixMicro(), clone.Norm(q.End).UnixMicro()
	bucket := q.Bucket.Microseconds()
	buckets := map[int64]*agg{}
	add := func(b, count int64, sum, lo, hi float64) {
		a := buckets[b]
		if a == nil {
			a = &agg{}
			buckets[b] = a
		}
		a.add(count, sum, lo, hi)
	}
	if q.Bucket >= time.Hour {
		for k, a := range s.res.hourly {
			if k.node == q.NodeID && k.metric == q.Metric && k.hour >= start && k.hour < end {
				add(floorDiv(k.hour, bucket), a.count, a.sum, a.min, a.max)
			}
		}
	} else {
		list := s.res.samples[q.NodeID]
		i, _ := slices.BinarySearchFunc(list, time.UnixMicro(start), cmpSampleTime)
		for ; i < len(list); i++ {
			ts := list[i].Timestamp.UnixMicro()
			if ts >= end {
				break
			}
			b := start
			if bucket > 0 {
				b = floorDiv(ts, bucket)
			}
			v := list[i].MetricValue(q.Metric)
			add(b, 1, v, v, v)
		}
	}
	out := make([]nodemgmt.MetricPoint, 0, len(buckets))
	for b, a := range buckets {
		out = append(out, nodemgmt.MetricPoint{Start: time.UnixMicro(b).UTC(), Samples: a.count,
			Avg: a.sum / float64(a.count), Min: a.min, Max: a.max})
	}
	slices.SortFunc(out, func(a, b nodemgmt.MetricPoint) int { return a.Start.Compare(b.Start) })
	return out, nil
}

// DeleteSamplesBefore deletes raw samples older than before; hourly aggregates stay.
func (s *Store) DeleteSamplesBefore(ctx context.Context, before time.Time) (int64, error) {
	unlock, err := s.lockRes(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	before = clone.Norm(before)
	var n int64
	for node, list := range s.res.samples {
		i, _ := slices.BinarySearchFunc(list, before, cmpSampleTime)
		if i == 0 {
			continue
		}
		n += int64(i)
		if i == len(list) {
			delete(s.res.samples, node)
			continue
		}
		s.res.samples[node] = slices.Clone(list[i:])
	}
	return n, nil
}

// DeleteHourlyBefore deletes hourly aggregates whose hour starts before before.
func (s *Store) DeleteHourlyBefore(ctx context.Context, before time.Time) (int64, error) {
	unlock, err := s.lockRes(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	b := clone.Norm(before).UnixMicro()
	var n int64
	for k := range s.res.hourly {
		if k.hour < b {
			delete(s.res.hourly, k)
			n++
		}
	}
	return n, nil
}

// GetThresholds returns a copy of the node's thresholds, or nil.
func (s *Store) GetThresholds(ctx context.Context, nodeID string) (*nodemgmt.Thresholds, error) {
	unlock, err := s.lockRes(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	t, ok := s.res.thresholds[nodeID]
	if !ok {
		return nil, nil
	}
	return &t, nil
}

// PutThresholds creates or replaces the node's thresholds.
func (s *Store) PutThresholds(ctx context.Context, t *nodemgmt.Thresholds) error {
	unlock, err := s.lockRes(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	c := *t
	c.UpdatedAt = clone.Norm(c.UpdatedAt)
	s.res.thresholds[c.NodeID] = c
	return nil
}

func cloneAlert(a *nodemgmt.Alert) nodemgmt.Alert {
	c := *a
	c.RaisedAt = clone.Norm(a.RaisedAt)
	if a.ClearedAt != nil {
		t := clone.Norm(*a.ClearedAt)
		c.ClearedAt = &t
	}
	return c
}

// ActiveAlerts returns the node's uncleared alerts ordered by resource.
func (s *Store) ActiveAlerts(ctx context.Context, nodeID string) ([]nodemgmt.Alert, error) {
	unlock, err := s.lockRes(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []nodemgmt.Alert
	for i := range s.res.alerts {
		if a := &s.res.alerts[i]; a.NodeID == nodeID && a.ClearedAt == nil {
			out = append(out, cloneAlert(a))
		}
	}
	slices.SortFunc(out, func(a, b nodemgmt.Alert) int { return strings.Compare(string(a.Resource), string(b.Resource)) })
	return out, nil
}

// ListAlerts returns matching alerts, newest first.
func (s *Store) ListAlerts(ctx context.Context, f nodemgmt.AlertFilter) ([]nodemgmt.Alert, error) {
	unlock, err := s.lockRes(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	since := clone.Norm(f.Since)
	var out []nodemgmt.Alert
	for i := range s.res.alerts {
		a := &s.res.alerts[i]
		if (f.NodeID == "" || a.NodeID == f.NodeID) && (!f.ActiveOnly || a.ClearedAt == nil) &&
			(f.Since.IsZero() || !a.RaisedAt.Before(since)) {
			out = append(out, cloneAlert(a))
		}
	}
	slices.SortFunc(out, func(a, b nodemgmt.Alert) int {
		if c := b.RaisedAt.Compare(a.RaisedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// SwapAlert clears the node's active alert for r (if any) and inserts next, under one lock.
func (s *Store) SwapAlert(ctx context.Context, nodeID string, r nodemgmt.Resource, at time.Time, next *nodemgmt.Alert) (*nodemgmt.Alert, error) {
	unlock, err := s.lockRes(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if next != nil {
		for i := range s.res.alerts {
			if s.res.alerts[i].ID == next.ID {
				return nil, conflict("an alert with this id already exists", map[string]any{"alert_id": next.ID})
			}
		}
	}
	at = clone.Norm(at)
	var cleared *nodemgmt.Alert
	for i := range s.res.alerts {
		a := &s.res.alerts[i]
		if a.NodeID == nodeID && a.Resource == r && a.ClearedAt == nil {
			t := at
			a.ClearedAt = &t
			c := cloneAlert(a)
			cleared = &c
		}
	}
	if next != nil {
		c := cloneAlert(next)
		c.ClearedAt = nil
		s.res.alerts = append(s.res.alerts, c)
	}
	return cleared, nil
}

// GetAllocation returns the node's reservation, or nil.
func (s *Store) GetAllocation(ctx context.Context, nodeID string) (*nodemgmt.Allocation, error) {
	unlock, err := s.lockRes(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	a, ok := s.res.allocations[nodeID]
	if !ok {
		return nil, nil
	}
	return &a, nil
}

// PutAllocation creates or replaces the node's reservation.
func (s *Store) PutAllocation(ctx context.Context, a *nodemgmt.Allocation) error {
	unlock, err := s.lockRes(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	c := *a
	c.AllocatedAt = clone.Norm(c.AllocatedAt)
	s.res.allocations[c.NodeID] = c
	return nil
}

// DeleteNodeResources drops the node's samples, aggregates, thresholds and reservation and
// clears its active alerts; alert history stays.
func (s *Store) DeleteNodeResources(ctx context.Context, nodeID string, at time.Time) error {
	unlock, err := s.lockRes(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	delete(s.res.samples, nodeID)
	for k := range s.res.hourly {
		if k.node == nodeID {
			delete(s.res.hourly, k)
		}
	}
	delete(s.res.thresholds, nodeID)
	delete(s.res.allocations, nodeID)
	at = clone.Norm(at)
	for i := range s.res.alerts {
		if a := &s.res.alerts[i]; a.NodeID == nodeID && a.ClearedAt == nil {
			t := at
			a.ClearedAt = &t
		}
	}
	return nil
}
