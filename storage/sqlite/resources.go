package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/internal/rowcodec"
)

var _ nodemgmt.ResourceStore = (*Store)(nil)

const (
	qInsertSample = `INSERT INTO resource_samples (node_id, m15, m5, m1, ts, cpu, memory, disk, network) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qUpsertLatest = `INSERT INTO resource_latest (node_id, ts, sample) VALUES (?, ?, ?)
		ON CONFLICT (node_id) DO UPDATE SET ts = excluded.ts, sample = excluded.sample
		WHERE excluded.ts > resource_latest.ts`
	// qUpsertHourly folds one sample into the four metric rows of its hour.
	qUpsertHourly = `INSERT INTO resource_hourly (node_id, metric, hour, count, sum, min, max) VALUES
		(?, 'cpu', ?, 1, ?, ?, ?), (?, 'memory', ?, 1, ?, ?, ?), (?, 'disk', ?, 1, ?, ?, ?), (?, 'network', ?, 1, ?, ?, ?)
		ON CONFLICT (node_id, metric, hour) DO UPDATE SET count = count + 1, sum = sum + excluded.sum,
			min = MIN(min, excluded.min), max = MAX(max, excluded.max)`
	qLatestSample  = `SELECT sample FROM resource_latest WHERE node_id = ?`
	qGetThresholds = `SELECT thresholds, updated_at, updated_by FROM resource_thresholds WHERE node_id = ?`
	qGetAllocation = `SELECT cpu_percent, memory_bytes, disk_bytes, network_mbps, allocated_at, allocated_by
		FROM resource_allocations WHERE node_id = ?`
	qAggHourly = `SELECT (hour / ?) * ? AS b, SUM(count), SUM(sum), MIN(min), MAX(max) FROM resource_hourly
		WHERE node_id = ? AND metric = ? AND hour >= ? AND hour < ? GROUP BY b ORDER BY b`
	qActiveAlerts = `SELECT ` + alertCols + ` FROM resource_alerts WHERE node_id = ? AND cleared_at IS NULL ORDER BY resource`
	alertCols     = `id, node_id, resource, level, value, threshold, raised_at, cleared_at`
)

// metricColumn is the resource_samples column of each metric type. Only these fixed names are
// ever put into query text.
var metricColumn = map[nodemgmt.MetricType]string{
	nodemgmt.MetricCPU: "cpu", nodemgmt.MetricMemory: "memory", nodemgmt.MetricDisk: "disk", nodemgmt.MetricNetwork: "network",
}

// Bucket lengths that have a key column in resource_samples, in microseconds.
const (
	us15m = int64(15 * time.Minute / time.Microsecond)
	us5m  = int64(5 * time.Minute / time.Microsecond)
	us1m  = int64(time.Minute / time.Microsecond)
)

// rawRange is the WHERE clause of a raw-sample range: the m15 bounds let SQLite seek the key
// range (ts is the key's last column); the ts bounds are exact.
const rawRange = ` FROM resource_samples WHERE node_id = ? AND m15 >= ? AND m15 <= ? AND ts >= ? AND ts < ?`

// aggRawQuery buckets raw samples by integer division of the microsecond timestamp: for 15, 5
// and 1 minutes by the stored quotients, a prefix of the key (no sort); for any other length
// by the expression (ts / bucket), which SQLite sorts.
func aggRawQuery(col string, bucket int64) (string, bool) {
	aggs := `, COUNT(*), SUM(` + col + `), MIN(` + col + `), MAX(` + col + `)`
	switch bucket {
	case us15m:
		return `SELECT m15 * ` + strconv.FormatInt(us15m, 10) + aggs + rawRange + ` GROUP BY m15 ORDER BY m15`, false
	case us5m:
		return `SELECT m5 * ` + strconv.FormatInt(us5m, 10) + aggs + rawRange + ` GROUP BY m15, m5 ORDER BY m15, m5`, false
	case us1m:
		return `SELECT m1 * ` + strconv.FormatInt(us1m, 10) + aggs + rawRange + ` GROUP BY m15, m5, m1 ORDER BY m15, m5, m1`, false
	}
	return `SELECT (ts / ?) * ? AS b` + aggs + rawRange + ` GROUP BY b ORDER BY b`, true
}

// aggWholeQuery aggregates raw samples over the whole range (one point).
func aggWholeQuery(col string) string {
	return `SELECT COUNT(*), SUM(` + col + `), MIN(` + col + `), MAX(` + col + `)` + rawRange
}

// rawRangeArgs are the arguments of rawRange for [start, end) in microseconds.
func rawRangeArgs(node string, start, end int64) []any {
	return []any{node, floorDiv(start, us15m), floorDiv(end-1, us15m), start, end}
}

// floorDiv is v / d rounded down (d > 0), also for times before 1970.
func floorDiv(v, d int64) int64 {
	q := v / d
	if v%d < 0 {
		q--
	}
	return q
}

// writeStmts makes sure the write statements are prepared on the writer before a transaction
// needs them (preparing takes the writer's only connection, so it cannot happen inside one).
func (s *Store) writeStmts(ctx context.Context, queries ...string) error {
	for _, q := range queries {
		if _, err := s.wst.get(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// SaveSample inserts the raw row, refreshes the node's latest sample and folds the values into
// the hourly aggregates, in one transaction.
func (s *Store) SaveSample(ctx context.Context, in *nodemgmt.ResourceSample) error {
	const op = "save sample"
	e, err := rowcodec.EncodeSample(in)
	if err != nil {
		return internal(op, err)
	}
	c, doc, v := e.Sample, e.Doc, e.Values
	if err := s.writeStmts(ctx, qInsertSample, qUpsertLatest, qUpsertHourly); err != nil {
		return internal(op, err)
	}
	ts := micros(c.Timestamp)
	hour := floorDiv(ts, time.Hour.Microseconds()) * time.Hour.Microseconds()
	return s.write(ctx, op, func(tx *sql.Tx) error {
		st, err := s.wst.txStmt(ctx, tx, qInsertSample)
		if err != nil {
			return internal(op, err)
		}
		if _, err := st.ExecContext(ctx, c.NodeID, floorDiv(ts, us15m), floorDiv(ts, us5m), floorDiv(ts, us1m), ts,
			v[0], v[1], v[2], v[3]); err != nil {
			if isUnique(err) {
				return conflict("a sample with this timestamp is already stored",
					map[string]any{"node_id": c.NodeID, "timestamp": c.Timestamp})
			}
			return internal(op, err)
		}
		if st, err = s.wst.txStmt(ctx, tx, qUpsertLatest); err != nil {
			return internal(op, err)
		}
		if _, err := st.ExecContext(ctx, c.NodeID, ts, string(doc)); err != nil {
			return internal(op, err)
		}
		if st, err = s.wst.txStmt(ctx, tx, qUpsertHourly); err != nil {
			return internal(op, err)
		}
		args := make([]any, 0, 20)
		for i := range v {
			args = append(args, c.NodeID, hour, v[i], v[i], v[i])
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return internal(op, err)
		}
		return nil
	})
}

// LatestSample returns the node's newest sample, or nil.
func (s *Store) LatestSample(ctx context.Context, nodeID string) (*nodemgmt.ResourceSample, error) {
	st, err := s.rst.get(ctx, qLatestSample)
	if err != nil {
		return nil, internal("latest sample", err)
	}
	var doc string
	if err := st.QueryRowContext(ctx, nodeID).Scan(&doc); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, internal("latest sample", err)
	}
	out, err := rowcodec.DecodeSample([]byte(doc))
	if err != nil {
		return nil, internal("latest sample", err)
	}
	return out, nil
}

// AggregateSamples answers q with one GROUP BY in SQLite: over raw samples for buckets under
// an hour (and the whole-range point), over the hourly aggregates for an hour or more.
func (s *Store) AggregateSamples(ctx context.Context, q nodemgmt.AggregateQuery) ([]nodemgmt.MetricPoint, error) {
	const op = "aggregate samples"
	col, ok := metricColumn[q.Metric]
	if !ok {
		return nil, fmt.Errorf("sqlite store: %s: unknown metric type %q", op, q.Metric)
	}
	start, end := micros(q.Start), micros(q.End)
	bucket := q.Bucket.Microseconds()
	var (
		query string
		args  []any
	)
	switch {
	case q.Bucket >= time.Hour:
		query, args = qAggHourly, []any{bucket, bucket, q.NodeID, string(q.Metric), start, end}
	case q.Bucket > 0:
		var expr bool
		query, expr = aggRawQuery(col, bucket)
		if expr {
			args = []any{bucket, bucket}
		}
		args = append(args, rawRangeArgs(q.NodeID, start, end)...)
	default:
		st, err := s.rst.get(ctx, aggWholeQuery(col))
		if err != nil {
			return nil, internal(op, err)
		}
		var (
			n             int64
			sum, min, max sql.NullFloat64
		)
		if end <= start {
			return nil, nil
		}
		if err := st.QueryRowContext(ctx, rawRangeArgs(q.NodeID, start, end)...).Scan(&n, &sum, &min, &max); err != nil {
			return nil, internal(op, err)
		}
		if n == 0 {
			return nil, nil
		}
		return []nodemgmt.MetricPoint{{Start: norm(q.Start), Samples: n, Avg: sum.Float64 / float64(n),
			Min: min.Float64, Max: max.Float64}}, nil
	}
	st, err := s.rst.get(ctx, query)
	if err != nil {
		return nil, internal(op, err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, internal(op, err)
	}
	defer rows.Close()
	var out []nodemgmt.MetricPoint
	for rows.Next() {
		var (
			b, n          int64
			sum, min, max float64
		)
		if err := rows.Scan(&b, &n, &sum, &min, &max); err != nil {
			return nil, internal(op, err)
		}
		out = append(out, nodemgmt.MetricPoint{Start: fromMicros(b), Samples: n, Avg: sum / float64(n), Min: min, Max: max})
	}
	if err := rows.Err(); err != nil {
		return nil, internal(op, err)
	}
	return out, nil
}

// DeleteSamplesBefore deletes raw samples (and latest samples) older than before.
func (s *Store) DeleteSamplesBefore(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, "delete samples", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM resource_samples WHERE ts < ?`, micros(before))
		if err != nil {
			return internal("delete samples", err)
		}
		if n, err = res.RowsAffected(); err != nil {
			return internal("delete samples", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM resource_latest WHERE ts < ?`, micros(before)); err != nil {
			return internal("delete samples", err)
		}
		return nil
	})
	return n, err
}

// DeleteHourlyBefore deletes hourly aggregates whose hour starts before before.
func (s *Store) DeleteHourlyBefore(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, "delete hourly", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM resource_hourly WHERE hour < ?`, micros(before))
		if err != nil {
			return internal("delete hourly", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// GetThresholds returns the node's thresholds, or nil.
func (s *Store) GetThresholds(ctx context.Context, nodeID string) (*nodemgmt.Thresholds, error) {
	var (
		doc, by string
		at      int64
	)
	st, err := s.rst.get(ctx, qGetThresholds)
	if err != nil {
		return nil, internal("get thresholds", err)
	}
	err = st.QueryRowContext(ctx, nodeID).Scan(&doc, &at, &by)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, internal("get thresholds", err)
	}
	t, err := rowcodec.DecodeThresholds([]byte(doc))
	if err != nil {
		return nil, internal("get thresholds", err)
	}
	t.NodeID, t.UpdatedAt, t.UpdatedBy = nodeID, fromMicros(at), by
	return &t, nil
}

// PutThresholds creates or replaces the node's thresholds.
func (s *Store) PutThresholds(ctx context.Context, t *nodemgmt.Thresholds) error {
	doc, err := rowcodec.EncodeThresholds(t)
	if err != nil {
		return internal("put thresholds", err)
	}
	return s.write(ctx, "put thresholds", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO resource_thresholds (node_id, thresholds, updated_at, updated_by) VALUES (?, ?, ?, ?)
			ON CONFLICT (node_id) DO UPDATE SET thresholds = excluded.thresholds, updated_at = excluded.updated_at,
			updated_by = excluded.updated_by`, t.NodeID, string(doc), micros(t.UpdatedAt), t.UpdatedBy)
		if err != nil {
			return internal("put thresholds", err)
		}
		return nil
	})
}

func scanAlert(row scanner) (nodemgmt.Alert, error) {
	var (
		a       nodemgmt.Alert
		raised  int64
		cleared sql.NullInt64
	)
	if err := row.Scan(&a.ID, &a.NodeID, &a.Resource, &a.Level, &a.Value, &a.Threshold, &raised, &cleared); err != nil {
		return a, err
	}
	a.RaisedAt = fromMicros(raised)
	a.ClearedAt = fromNullMicros(cleared)
	return a, nil
}

func (s *Store) queryAlerts(ctx context.Context, op, query string, args ...any) ([]nodemgmt.Alert, error) {
	st, err := s.rst.get(ctx, query)
	if err != nil {
		return nil, internal(op, err)
	}
	rows, err := st.QueryContext(ctx, args...)
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
	if f.NodeID != "" {
		conds, args = append(conds, "node_id = ?"), append(args, f.NodeID)
	}
	if f.ActiveOnly {
		conds = append(conds, "cleared_at IS NULL")
	}
	if !f.Since.IsZero() {
		conds, args = append(conds, "raised_at >= ?"), append(args, micros(f.Since))
	}
	q := `SELECT ` + alertCols + ` FROM resource_alerts`
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	q += " ORDER BY raised_at DESC, id DESC LIMIT ?"
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	return s.queryAlerts(ctx, "list alerts", q, append(args, limit)...)
}

// SwapAlert clears the node's active alert for r and inserts next in one transaction; the
// partial unique index resource_alerts_active backs the one-active rule.
func (s *Store) SwapAlert(ctx context.Context, nodeID string, r nodemgmt.Resource, at time.Time, next *nodemgmt.Alert) (*nodemgmt.Alert, error) {
	const op = "swap alert"
	var cleared *nodemgmt.Alert
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		cleared = nil
		a, err := scanAlert(tx.QueryRowContext(ctx, `SELECT `+alertCols+` FROM resource_alerts
			WHERE node_id = ? AND resource = ? AND cleared_at IS NULL`, nodeID, string(r)))
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return internal(op, err)
		default:
			if _, err := tx.ExecContext(ctx, `UPDATE resource_alerts SET cleared_at = ? WHERE id = ?`, micros(at), a.ID); err != nil {
				return internal(op, err)
			}
			t := norm(at)
			a.ClearedAt = &t
			cleared = &a
		}
		if next == nil {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO resource_alerts (`+alertCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)`,
			next.ID, nodeID, string(r), string(next.Level), next.Value, next.Threshold, micros(next.RaisedAt))
		if isUnique(err) {
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
	var at int64
	st, err := s.rst.get(ctx, qGetAllocation)
	if err != nil {
		return nil, internal("get allocation", err)
	}
	err = st.QueryRowContext(ctx, nodeID).Scan(&a.CPUPercent, &a.MemoryBytes, &a.DiskBytes, &a.NetworkMbps, &at, &a.AllocatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, internal("get allocation", err)
	}
	a.AllocatedAt = fromMicros(at)
	return &a, nil
}

// PutAllocation creates or replaces the node's reservation.
func (s *Store) PutAllocation(ctx context.Context, a *nodemgmt.Allocation) error {
	return s.write(ctx, "put allocation", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO resource_allocations
			(node_id, cpu_percent, memory_bytes, disk_bytes, network_mbps, allocated_at, allocated_by) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (node_id) DO UPDATE SET cpu_percent = excluded.cpu_percent, memory_bytes = excluded.memory_bytes,
			disk_bytes = excluded.disk_bytes, network_mbps = excluded.network_mbps, allocated_at = excluded.allocated_at,
			allocated_by = excluded.allocated_by`,
			a.NodeID, a.CPUPercent, a.MemoryBytes, a.DiskBytes, a.NetworkMbps, micros(a.AllocatedAt), a.AllocatedBy)
		if err != nil {
			return internal("put allocation", err)
		}
		return nil
	})
}

// DeleteNodeResources removes the node's samples, aggregates, thresholds and reservation and
// clears its active alerts, in one transaction.
func (s *Store) DeleteNodeResources(ctx context.Context, nodeID string, at time.Time) error {
	return s.write(ctx, "delete node resources", func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM resource_samples WHERE node_id = ?`,
			`DELETE FROM resource_latest WHERE node_id = ?`,
			`DELETE FROM resource_hourly WHERE node_id = ?`,
			`DELETE FROM resource_thresholds WHERE node_id = ?`,
			`DELETE FROM resource_allocations WHERE node_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, nodeID); err != nil {
				return internal("delete node resources", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE resource_alerts SET cleared_at = ? WHERE node_id = ? AND cleared_at IS NULL`,
			micros(at), nodeID); err != nil {
			return internal("delete node resources", err)
		}
		return nil
	})
}
