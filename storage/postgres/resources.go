package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/internal/rowcodec"
)

var _ nodemgmt.ResourceStore = (*Store)(nil)

const (
	qInsertSample = `INSERT INTO resource_samples (node_id, ts, cpu, memory, disk, network) VALUES ($1, $2, $3, $4, $5, $6)`
	qUpsertLatest = `INSERT INTO resource_latest (node_id, ts, sample) VALUES ($1, $2, $3)
		ON CONFLICT (node_id) DO UPDATE SET ts = excluded.ts, sample = excluded.sample
		WHERE excluded.ts > resource_latest.ts`
	// qUpsertHourly folds one sample into the four metric rows of its hour. The rows are
	// always locked in the same order, so concurrent samples of one node cannot deadlock.
	qUpsertHourly = `INSERT INTO resource_hourly (node_id, metric, hour, count, sum, min, max) VALUES
		($1, 'cpu', $2, 1, $3, $3, $3), ($1, 'memory', $2, 1, $4, $4, $4), ($1, 'disk', $2, 1, $5, $5, $5),
		($1, 'network', $2, 1, $6, $6, $6)
		ON CONFLICT (node_id, metric, hour) DO UPDATE SET count = resource_hourly.count + 1,
			sum = resource_hourly.sum + excluded.sum, min = LEAST(resource_hourly.min, excluded.min),
			max = GREATEST(resource_hourly.max, excluded.max)`
	// Buckets start at multiples of the bucket length since the Unix epoch.
	bucketExpr    = `date_bin($1::bigint * interval '1 microsecond', %s, timestamptz '1970-01-01 00:00:00+00')`
	alertCols     = `id, node_id, resource, level, value, threshold, raised_at, cleared_at`
	qActiveAlerts = `SELECT ` + alertCols + ` FROM resource_alerts WHERE node_id = $1 AND cleared_at IS NULL ORDER BY resource`
)

// qAggHourly buckets the hourly aggregates of one metric.
var qAggHourly = `SELECT ` + fmt.Sprintf(bucketExpr, "hour") + ` AS b, SUM(count)::bigint, SUM(sum), MIN(min), MAX(max)
	FROM resource_hourly WHERE node_id = $2 AND metric = $3 AND hour >= $4 AND hour < $5 GROUP BY b ORDER BY b`

// metricColumn is the resource_samples column of each metric type. Only these fixed names are
// ever put into query text.
var metricColumn = map[nodemgmt.MetricType]string{
	nodemgmt.MetricCPU: "cpu", nodemgmt.MetricMemory: "memory", nodemgmt.MetricDisk: "disk", nodemgmt.MetricNetwork: "network",
}

// aggRawQuery buckets raw samples with date_bin.
func aggRawQuery(col string) string {
	return `SELECT ` + fmt.Sprintf(bucketExpr, "ts") + ` AS b, COUNT(*), SUM(` + col + `), MIN(` + col + `), MAX(` + col + `)
		FROM resource_samples WHERE node_id = $2 AND ts >= $3 AND ts < $4 GROUP BY b ORDER BY b`
}

// aggWholeQuery aggregates raw samples over the whole range (one point).
func aggWholeQuery(col string) string {
	return `SELECT COUNT(*), SUM(` + col + `), MIN(` + col + `), MAX(` + col + `) FROM resource_samples
		WHERE node_id = $1 AND ts >= $2 AND ts < $3`
}

// SaveSample inserts the raw row, refreshes the node's latest sample and folds the values into
// the hourly aggregates, in one transaction; a duplicate (node, timestamp) writes nothing.
func (s *Store) SaveSample(ctx context.Context, in *nodemgmt.ResourceSample) error {
	const op = "save sample"
	e, err := rowcodec.EncodeSample(in)
	if err != nil {
		return internal(op, err)
	}
	c, doc, v := e.Sample, e.Doc, e.Values
	hour := c.Timestamp.Truncate(time.Hour)
	return s.tx(ctx, op, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, qInsertSample, c.NodeID, c.Timestamp, v[0], v[1], v[2], v[3]); err != nil {
			if uniqueViolation(err) != "" {
				return conflict("a sample with this timestamp is already stored",
					map[string]any{"node_id": c.NodeID, "timestamp": c.Timestamp})
			}
			return internal(op, err)
		}
		if _, err := tx.Exec(ctx, qUpsertLatest, c.NodeID, c.Timestamp, json.RawMessage(doc)); err != nil {
			return internal(op, err)
		}
		if _, err := tx.Exec(ctx, qUpsertHourly, c.NodeID, hour, v[0], v[1], v[2], v[3]); err != nil {
			return internal(op, err)
		}
		return nil
	})
}

// LatestSample returns the node's newest sample, or nil.
func (s *Store) LatestSample(ctx context.Context, nodeID string) (*nodemgmt.ResourceSample, error) {
	var doc []byte
	if err := s.pool.QueryRow(ctx, `SELECT sample FROM resource_latest WHERE node_id = $1`, nodeID).Scan(&doc); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, nil
		}
		return nil, internal("latest sample", err)
	}
	out, err := rowcodec.DecodeSample(doc)
	if err != nil {
		return nil, internal("latest sample", err)
	}
	return out, nil
}

// AggregateSamples answers q with one GROUP BY in PostgreSQL: over raw samples for buckets
// under an hour (and the whole-range point), over the hourly aggregates for an hour or more.
func (s *Store) AggregateSamples(ctx context.Context, q nodemgmt.AggregateQuery) ([]nodemgmt.MetricPoint, error) {
	const op = "aggregate samples"
	col, ok := metricColumn[q.Metric]
	if !ok {
		return nil, fmt.Errorf("postgres store: %s: unknown metric type %q", op, q.Metric)
	}
	start, end := norm(q.Start), norm(q.End)
	bucket := q.Bucket.Microseconds()
	var (
		query string
		args  []any
	)
	switch {
	case q.Bucket >= time.Hour:
		query, args = qAggHourly, []any{bucket, q.NodeID, string(q.Metric), start, end}
	case q.Bucket > 0:
		query, args = aggRawQuery(col), []any{bucket, q.NodeID, start, end}
	default:
		var (
			n             int64
			sum, min, max *float64
		)
		if err := s.pool.QueryRow(ctx, aggWholeQuery(col), q.NodeID, start, end).Scan(&n, &sum, &min, &max); err != nil {
			return nil, internal(op, err)
		}
		if n == 0 || sum == nil || min == nil || max == nil {
			return nil, nil
		}
		return []nodemgmt.MetricPoint{{Start: start, Samples: n, Avg: *sum / float64(n), Min: *min, Max: *max}}, nil
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, internal(op, err)
	}
	defer rows.Close()
	var out []nodemgmt.MetricPoint
	for rows.Next() {
		var (
			b             time.Time
			n             int64
			sum, min, max float64
		)
		if err := rows.Scan(&b, &n, &sum, &min, &max); err != nil {
			return nil, internal(op, err)
		}
		out = append(out, nodemgmt.MetricPoint{Start: b.UTC(), Samples: n, Avg: sum / float64(n), Min: min, Max: max})
	}
	if err := rows.Err(); err != nil {
		return nil, internal(op, err)
	}
	return out, nil
}

// DeleteSamplesBefore deletes raw samples (and latest samples) older than before.
func (s *Store) DeleteSamplesBefore(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.tx(ctx, "delete samples", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM resource_samples WHERE ts < $1`, norm(before))
		if err != nil {
			return internal("delete samples", err)
		}
		n = tag.RowsAffected()
		if _, err := tx.Exec(ctx, `DELETE FROM resource_latest WHERE ts < $1`, norm(before)); err != nil {
			return internal("delete samples", err)
		}
		return nil
	})
	return n, err
}

// DeleteHourlyBefore deletes hourly aggregates whose hour starts before before.
func (s *Store) DeleteHourlyBefore(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM resource_hourly WHERE hour < $1`, norm(before))
	if err != nil {
		return 0, internal("delete hourly", err)
	}
	return tag.RowsAffected(), nil
}

// GetThresholds returns the node's thresholds, or nil.
func (s *Store) GetThresholds(ctx context.Context, nodeID string) (*nodemgmt.Thresholds, error) {
	var (
		doc []byte
		at  time.Time
		by  string
	)
	err := s.pool.QueryRow(ctx, `SELECT thresholds, updated_at, updated_by FROM resource_thresholds WHERE node_id = $1`, nodeID).
		Scan(&doc, &at, &by)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, internal("get thresholds", err)
	}
	t, err := rowcodec.DecodeThresholds(doc)
	if err != nil {
		return nil, internal("get thresholds", err)
	}
	t.NodeID, t.UpdatedAt, t.UpdatedBy = nodeID, at.UTC(), by
	return &t, nil
}

// PutThresholds creates or replaces the node's thresholds.
func (s *Store) PutThresholds(ctx context.Context, t *nodemgmt.Thresholds) error {
	doc, err := rowcodec.EncodeThresholds(t)
	if err != nil {
		return internal("put thresholds", err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO resource_thresholds (node_id, thresholds, updated_at, updated_by) VALUES ($1, $2, $3, $4)
		ON CONFLICT (node_id) DO UPDATE SET thresholds = excluded.thresholds, updated_at = excluded.updated_at,
		updated_by = excluded.updated_by`, t.NodeID, json.RawMessage(doc), norm(t.UpdatedAt), t.UpdatedBy)
	if err != nil {
		return internal("put thresholds", err)
	}
	return nil
}

func scanAlert(row pgx.Row) (nodemgmt.Alert, error) {
	var (
		a               nodemgmt.Alert
		resource, level string
		cleared         *time.Time
	)
	if err := row.Scan(&a.ID, &a.NodeID, &resource, &level, &a.Value, &a.Threshold, &a.RaisedAt, &cleared); err != nil {
		return a, err
	}
	a.Resource, a.Level = nodemgmt.Resource(resource), nodemgmt.AlertLevel(level)
	a.RaisedAt = a.RaisedAt.UTC()
	a.ClearedAt = utcPtr(cleared)
	return a, nil
}

func (s *Store) queryAlerts(ctx context.Context, op, query string, args ...any) ([]nodemgmt.Alert, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, internal(op, err)
	}
	defer rows.Close()
	var out []nodemgmt.Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, internal(op, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(op, err)
	}
	return out, nil
}

// ActiveAlerts returns the node's uncleared alerts ordered by resource.
func (s *Store) ActiveAlerts(ctx context.Context, nodeID string) ([]nodemgmt.Alert, error) {
	return s.queryAlerts(ctx, "active alerts", qActiveAlerts, nodeID)
}

// ListAlerts returns matching alerts, newest first (ties by id, descending).
func (s *Store) ListAlerts(ctx context.Context, f nodemgmt.AlertFilter) ([]nodemgmt.Alert, error) {
	var (
		conds []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.NodeID != "" {
		conds = append(conds, "node_id = "+arg(f.NodeID))
	}
	if f.ActiveOnly {
		conds = append(conds, "cleared_at IS NULL")
	}
	if !f.Since.IsZero() {
		conds = append(conds, "raised_at >= "+arg(norm(f.Since)))
	}
	q := `SELECT ` + alertCols + ` FROM resource_alerts`
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q += " ORDER BY raised_at DESC, id DESC LIMIT " + arg(int64(limit))
	return s.queryAlerts(ctx, "list alerts", q, args...)
}

// SwapAlert clears the node's active alert for r and inserts next in one transaction. A
// transaction-scoped advisory lock on (node, resource) makes concurrent swaps, from any
// replica, run one after another, so each clears exactly the alert the previous one raised;
// the partial unique index resource_alerts_active backs the one-active rule.
func (s *Store) SwapAlert(ctx context.Context, nodeID string, r nodemgmt.Resource, at time.Time, next *nodemgmt.Alert) (*nodemgmt.Alert, error) {
	const op = "swap alert"
	var cleared *nodemgmt.Alert
	err := s.tx(ctx, op, func(tx pgx.Tx) error {
		cleared = nil
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('lucid resource alert:' || $1 || ':' || $2, 0))`,
			nodeID, string(r)); err != nil {
			return internal(op, err)
		}
		a, err := scanAlert(tx.QueryRow(ctx, `UPDATE resource_alerts SET cleared_at = $3
			WHERE node_id = $1 AND resource = $2 AND cleared_at IS NULL RETURNING `+alertCols, nodeID, string(r), norm(at)))
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return internal(op, err)
		default:
			cleared = &a
		}
		if next == nil {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO resource_alerts (`+alertCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)`,
			next.ID, nodeID, string(r), string(next.Level), next.Value, next.Threshold, norm(next.RaisedAt))
		if uniqueViolation(err) != "" {
			return conflict("an alert with this id already exists", map[string]any{"alert_id": next.ID})
		}
		if err != nil {
			return internal(op, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return cleared, nil
}

// GetAllocation returns the node's reservation, or nil.
func (s *Store) GetAllocation(ctx context.Context, nodeID string) (*nodemgmt.Allocation, error) {
	a := nodemgmt.Allocation{NodeID: nodeID}
	err := s.pool.QueryRow(ctx, `SELECT cpu_percent, memory_bytes, disk_bytes, network_mbps, allocated_at, allocated_by
		FROM resource_allocations WHERE node_id = $1`, nodeID).
		Scan(&a.CPUPercent, &a.MemoryBytes, &a.DiskBytes, &a.NetworkMbps, &a.AllocatedAt, &a.AllocatedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, internal("get allocation", err)
	}
	a.AllocatedAt = a.AllocatedAt.UTC()
	return &a, nil
}

// PutAllocation creates or replaces the node's reservation.
func (s *Store) PutAllocation(ctx context.Context, a *nodemgmt.Allocation) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO resource_allocations
		(node_id, cpu_percent, memory_bytes, disk_bytes, network_mbps, allocated_at, allocated_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (node_id) DO UPDATE SET cpu_percent = excluded.cpu_percent, memory_bytes = excluded.memory_bytes,
		disk_bytes = excluded.disk_bytes, network_mbps = excluded.network_mbps, allocated_at = excluded.allocated_at,
		allocated_by = excluded.allocated_by`,
		a.NodeID, a.CPUPercent, a.MemoryBytes, a.DiskBytes, a.NetworkMbps, norm(a.AllocatedAt), a.AllocatedBy)
	if err != nil {
		return internal("put allocation", err)
	}
	return nil
}

// DeleteNodeResources removes the node's samples, aggregates, thresholds and reservation and
// clears its active alerts, in one transaction.
func (s *Store) DeleteNodeResources(ctx context.Context, nodeID string, at time.Time) error {
	return s.tx(ctx, "delete node resources", func(tx pgx.Tx) error {
		for _, q := range []string{
			`DELETE FROM resource_samples WHERE node_id = $1`,
			`DELETE FROM resource_latest WHERE node_id = $1`,
			`DELETE FROM resource_hourly WHERE node_id = $1`,
			`DELETE FROM resource_thresholds WHERE node_id = $1`,
			`DELETE FROM resource_allocations WHERE node_id = $1`,
		} {
			if _, err := tx.Exec(ctx, q, nodeID); err != nil {
				return internal("delete node resources", err)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE resource_alerts SET cleared_at = $2 WHERE node_id = $1 AND cleared_at IS NULL`,
			nodeID, norm(at)); err != nil {
			return internal("delete node resources", err)
		}
		return nil
	})
}
