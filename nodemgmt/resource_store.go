package nodemgmt

import (
	"context"
	"time"
)

// ResourceStore is the persistence of resource monitoring, separate from Store. The storage
// packages implement it and every backend must behave the same; every method is safe for
// concurrent use.
//
// Samples are kept twice: raw rows (one per node and timestamp) and hourly aggregates per node,
// hour and metric type (count, sum, min, max of ResourceSample.MetricValue). SaveSample writes
// both in one transaction, so the hourly table is always complete for every hour whose raw
// samples were ever stored, and retention can delete raw rows without a separate roll-up pass.
// An SQL backend keeps the aggregates with
//
//	INSERT … ON CONFLICT(node_id, metric, hour) DO UPDATE SET count=count+1, sum=sum+v,
//	    min=MIN(min, v), max=MAX(max, v)
type ResourceStore interface {
	// SaveSample stores a validated sample (s.NodeID set, Timestamp in UTC) and folds its
	// metric values into the hourly aggregates, atomically. A second sample with the same node
	// and timestamp is refused with an error matching ErrConflict and changes nothing.
	SaveSample(ctx context.Context, s *ResourceSample) error
	// LatestSample returns the node's sample with the greatest timestamp, or nil, nil if the
	// node has none.
	LatestSample(ctx context.Context, nodeID string) (*ResourceSample, error)
	// AggregateSamples computes the buckets of q in the backend (never by loading every sample
	// into the caller); see AggregateQuery for the bucket rules.
	AggregateSamples(ctx context.Context, q AggregateQuery) ([]MetricPoint, error)
	// DeleteSamplesBefore deletes raw samples with timestamp < before (all nodes) and returns
	// how many it deleted. Hourly aggregates are kept.
	DeleteSamplesBefore(ctx context.Context, before time.Time) (int64, error)
	// DeleteHourlyBefore deletes hourly aggregates whose hour starts before before.
	DeleteHourlyBefore(ctx context.Context, before time.Time) (int64, error)

	// GetThresholds returns the node's thresholds, or nil, nil if it never set any.
	GetThresholds(ctx context.Context, nodeID string) (*Thresholds, error)
	// PutThresholds creates or replaces the node's thresholds.
	PutThresholds(ctx context.Context, t *Thresholds) error

	// ActiveAlerts returns the node's alerts with ClearedAt nil (at most one per resource),
	// ordered by Resource.
	ActiveAlerts(ctx context.Context, nodeID string) ([]Alert, error)
	// ListAlerts returns alerts, newest RaisedAt first (ties by ID).
	ListAlerts(ctx context.Context, f AlertFilter) ([]Alert, error)
	// SwapAlert atomically sets ClearedAt = at on the node's active alert for the resource, if
	// there is one, and inserts next (when not nil) as the new active alert. It returns the
	// alert it cleared (nil if none). A backend enforces "one active alert per node and
	// resource", for example with a partial unique index WHERE cleared_at IS NULL.
	SwapAlert(ctx context.Context, nodeID string, r Resource, at time.Time, next *Alert) (*Alert, error)

	// GetAllocation returns the node's current reservation, or nil, nil if it has none.
	GetAllocation(ctx context.Context, nodeID string) (*Allocation, error)
	// PutAllocation creates or replaces the node's reservation.
	PutAllocation(ctx context.Context, a *Allocation) error

	// DeleteNodeResources removes the node's samples, aggregates, thresholds and allocation
	// and clears its active alerts (ClearedAt = at), when the node is deleted. Alert history is
	// kept.
	DeleteNodeResources(ctx context.Context, nodeID string, at time.Time) error
}

// AggregateQuery selects one metric of one node in [Start, End).
//
// With Bucket > 0, buckets start at multiples of Bucket since the Unix epoch (UTC); Start and
// End are multiples of Bucket (the Monitor aligns them). Each point covers
// [Point.Start, Point.Start+Bucket); buckets without samples are omitted; points are ordered
// by Start. Bucket ≥ 1 hour (a whole number of hours) is answered from the hourly aggregates,
// so it also covers hours whose raw samples retention has deleted; smaller buckets come from
// raw samples.
//
// With Bucket == 0, the answer is a single point over the whole range from raw samples (Start
// = q.Start), or no point if there are no samples.
type AggregateQuery struct {
	NodeID string
	Metric MetricType
	Start  time.Time
	End    time.Time
	Bucket time.Duration
}

// MetricPoint is one aggregated bucket of a metric.
type MetricPoint struct {
	Start   time.Time `json:"timestamp"`
	Samples int64     `json:"samples"`
	Avg     float64   `json:"avg"`
	Min     float64   `json:"min"`
	Max     float64   `json:"max"`
}

// AlertFilter selects alerts. Zero values mean "any"; Limit 0 means the backend's default (100).
type AlertFilter struct {
	NodeID     string
	ActiveOnly bool
	Since      time.Time
	Limit      int
}

// Allocation is the resources reserved for a node. It is kept in the ResourceStore (not on
// the Node) and returned by the resource API. A new allocation replaces the previous one;
// zero fields reserve nothing of that resource.
type Allocation struct {
	NodeID      string    `json:"node_id"`
	CPUPercent  float64   `json:"cpu_percent"`
	MemoryBytes int64     `json:"memory_bytes"`
	DiskBytes   int64     `json:"disk_bytes"`
	NetworkMbps float64   `json:"network_mbps"`
	AllocatedAt time.Time `json:"allocated_at"`
	AllocatedBy string    `json:"allocated_by"`
}
