package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/internal/rowcodec"
)

const nodeCols = `node_id, name, pool_id, status, node_type, hardware_info, location, configuration, poot_score,
	last_heartbeat, health, health_deadline, public_key, maintenance, status_reason, created_at, updated_at,
	uptime_since, up_seconds`

const (
	qGetNode    = `SELECT ` + nodeCols + ` FROM nodes WHERE node_id = ?`
	qNodeExists = `SELECT 1 FROM nodes WHERE node_id = ?`
	qInsertNode = `INSERT INTO nodes (` + nodeCols + `, pool_priority) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qUpdateNode = `UPDATE nodes SET name = ?, status = ?, node_type = ?, hardware_info = ?, location = ?, configuration = ?,
	poot_score = ?, last_heartbeat = ?, health = ?, health_deadline = ?, public_key = ?, maintenance = ?, status_reason = ?,
	created_at = ?, updated_at = ?, uptime_since = ?, up_seconds = ? WHERE node_id = ?`
	qDeleteNode = `DELETE FROM nodes WHERE node_id = ?`
	qStaleNodes = `SELECT ` + nodeCols + ` FROM nodes WHERE health <> 'down' AND health_deadline < ?
	ORDER BY health_deadline, node_id LIMIT ?`
	qCountNodes = `SELECT status, health, COUNT(*) FROM nodes GROUP BY status, health`
)

// encodedNode is a node in column form, sensitive columns sealed (see rowcodec.EncodeNode).
type encodedNode struct {
	hardware      []byte
	location      sql.NullString
	configuration sql.NullString
	maintenance   sql.NullString
	publicKey     []byte
}

// jsonColumn encodes v for a TEXT column holding JSON; isNil gives NULL.
func jsonColumn(v any, isNil bool) (sql.NullString, error) {
	b, err := rowcodec.JSON(v, isNil)
	if err != nil {
		return sql.NullString{}, err
	}
	return nullJSON(b), nil
}

// nullJSON turns rowcodec's nil-for-NULL bytes into a TEXT column value.
func nullJSON(b []byte) sql.NullString {
	if b == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: string(b), Valid: true}
}

// jsonBytes is the inverse of nullJSON: NULL gives nil, anything else non-nil bytes.
func jsonBytes(ns sql.NullString) []byte {
	if !ns.Valid {
		return nil
	}
	return append([]byte{}, ns.String...)
}

func (s *Store) encodeNode(n *nodemgmt.Node) (encodedNode, error) {
	c, err := rowcodec.EncodeNode(s.sealer, n)
	if err != nil {
		return encodedNode{}, err
	}
	return encodedNode{hardware: c.Hardware, publicKey: c.PublicKey, location: nullJSON(c.Location),
		configuration: nullJSON(c.Configuration), maintenance: nullJSON(c.Maintenance)}, nil
}

type scanner interface{ Scan(dest ...any) error }

// rawNode is one row of nodeCols as stored: sealed and JSON columns not yet decoded.
type rawNode struct {
	n                                   nodemgmt.Node
	pool, location, config, maintenance sql.NullString
	hardware, publicKey                 []byte
	heartbeat, deadline, uptimeSince    sql.NullInt64
	created, updated                    int64
}

func scanRaw(row scanner) (*rawNode, error) {
	var r rawNode
	if err := row.Scan(&r.n.NodeID, &r.n.Name, &r.pool, &r.n.Status, &r.n.NodeType, &r.hardware, &r.location, &r.config,
		&r.n.PootScore, &r.heartbeat, &r.n.Health, &r.deadline, &r.publicKey, &r.maintenance, &r.n.StatusReason,
		&r.created, &r.updated, &r.uptimeSince, &r.n.UpSeconds); err != nil {
		return nil, err
	}
	return &r, nil
}

// scanNode reads one row of nodeCols, opening the sealed columns.
func (s *Store) scanNode(row scanner) (*nodemgmt.Node, error) {
	r, err := scanRaw(row)
	if err != nil {
		return nil, err
	}
	return s.decodeNode(r)
}

// decodeNode opens the sealed columns and decodes the JSON ones.
func (s *Store) decodeNode(r *rawNode) (*nodemgmt.Node, error) {
	n := r.n
	n.PoolID = r.pool.String
	if err := rowcodec.DecodeNode(s.sealer, &n, rowcodec.NodeColumns{Hardware: r.hardware, PublicKey: r.publicKey,
		Location: jsonBytes(r.location), Configuration: jsonBytes(r.config), Maintenance: jsonBytes(r.maintenance)}); err != nil {
		return nil, err
	}
	n.LastHeartbeat = fromNullMicros(r.heartbeat)
	n.HealthDeadline = fromNullMicros(r.deadline)
	n.UptimeSince = fromNullMicros(r.uptimeSince)
	n.CreatedAt = fromMicros(r.created)
	n.UpdatedAt = fromMicros(r.updated)
	return &n, nil
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func nodeExistsErr(id string) error {
	return &nodemgmt.Error{Code: nodemgmt.CodeNodeExists, Message: "a node with this id already exists", Details: map[string]any{"node_id": id}}
}

func nameTaken(pool, name string) error {
	return &nodemgmt.Error{Code: nodemgmt.CodeNodeExists, Message: "a node with this name already exists in the pool",
		Details: map[string]any{"name": name, "pool_id": pool}}
}

func poolFull(id string, maxNodes, count int) error {
	return &nodemgmt.Error{Code: nodemgmt.CodeResourceLimit, Message: "the pool is full",
		Details: map[string]any{"pool_id": id, "max_nodes": maxNodes, "node_count": count}}
}

func conflict(msg string, details map[string]any) error {
	return &nodemgmt.Error{Code: nodemgmt.CodeConflict, Message: msg, Details: details}
}

// CreateNode inserts n; with a PoolID the pool's capacity is checked in the same transaction.
func (s *Store) CreateNode(ctx context.Context, n *nodemgmt.Node) error {
	s.cache.startWrite(false, n.NodeID)
	defer s.cache.endWrite(false, n.NodeID)
	enc, err := s.encodeNode(n)
	if err != nil {
		return internal("create node", err)
	}
	return s.write(ctx, "create node", func(tx *sql.Tx) error {
		exists, err := s.nodeExists(ctx, tx, n.NodeID)
		if err != nil {
			return internal("create node", err)
		}
		if exists {
			return nodeExistsErr(n.NodeID)
		}
		var priority sql.NullInt64
		if n.PoolID != "" {
			if err := s.checkCapacity(ctx, tx, n.PoolID); err != nil {
				return err
			}
			priority = sql.NullInt64{Int64: nodemgmt.DefaultPriority, Valid: true}
		}
		st, err := s.wst.txStmt(ctx, tx, qInsertNode)
		if err != nil {
			return internal("create node", err)
		}
		_, err = st.ExecContext(ctx, n.NodeID, n.Name, nullString(n.PoolID), n.Status, n.NodeType, enc.hardware, enc.location,
			enc.configuration, n.PootScore, nullMicros(n.LastHeartbeat), n.Health, nullMicros(n.HealthDeadline), enc.publicKey,
			enc.maintenance, n.StatusReason, micros(n.CreatedAt), micros(n.UpdatedAt), nullMicros(n.UptimeSince), n.UpSeconds,
			priority)
		if isUnique(err) {
			return nameTaken(n.PoolID, n.Name)
		}
		if err != nil {
			return internal("create node", err)
		}
		return nil
	})
}

func (s *Store) nodeExists(ctx context.Context, tx *sql.Tx, id string) (bool, error) {
	st, err := s.wst.txStmt(ctx, tx, qNodeExists)
	if err != nil {
		return false, err
	}
	var one int
	err = st.QueryRowContext(ctx, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// checkCapacity returns ErrPoolNotFound or ErrResourceLimit unless the pool has room for one
// more node. It runs inside the writer transaction, so the answer holds until commit.
func (s *Store) checkCapacity(ctx context.Context, tx *sql.Tx, poolID string) error {
	p, err := s.getPoolTx(ctx, tx, poolID)
	if err != nil {
		return err
	}
	if p.NodeCount >= p.MaxNodes {
		return poolFull(poolID, p.MaxNodes, p.NodeCount)
	}
	return nil
}

// GetNode returns the node from the cache, or reads it through a prepared statement on the
// read pool and caches it.
func (s *Store) GetNode(ctx context.Context, id string) (*nodemgmt.Node, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if n := s.cache.get(id); n != nil {
		return n, nil
	}
	epoch := s.cache.begin()
	st, err := s.rst.get(ctx, qGetNode)
	if err != nil {
		return nil, internal("get node", err)
	}
	n, err := s.scanNode(st.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nodemgmt.NotFoundNode(id)
	}
	if err != nil {
		return nil, internal("get node", err)
	}
	s.cache.fill(epoch, n)
	return n, nil
}

func (s *Store) getNodeTx(ctx context.Context, tx *sql.Tx, id string) (*nodemgmt.Node, error) {
	st, err := s.wst.txStmt(ctx, tx, qGetNode)
	if err != nil {
		return nil, internal("read node", err)
	}
	n, err := s.scanNode(st.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nodemgmt.NotFoundNode(id)
	}
	if err != nil {
		return nil, internal("read node", err)
	}
	return n, nil
}

// UpdateNode reads the node, applies fn and writes it back in one writer transaction. fn must
// not call the store.
func (s *Store) UpdateNode(ctx context.Context, id string, fn func(n *nodemgmt.Node) error) (*nodemgmt.Node, error) {
	s.cache.startWrite(false, id)
	defer s.cache.endWrite(false, id)
	var out *nodemgmt.Node
	err := s.write(ctx, "update node", func(tx *sql.Tx) error {
		n, err := s.getNodeTx(ctx, tx, id)
		if err != nil {
			return err
		}
		oldPool := n.PoolID
		if err := fn(n); err != nil {
			return err
		}
		if n.NodeID != id || n.PoolID != oldPool {
			return fmt.Errorf("sqlite store: UpdateNode callback changed node_id or pool_id of %s", id)
		}
		if err := s.updateNodeTx(ctx, tx, n); err != nil {
			return err
		}
		out, err = s.getNodeTx(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) updateNodeTx(ctx context.Context, tx *sql.Tx, n *nodemgmt.Node) error {
	enc, err := s.encodeNode(n)
	if err != nil {
		return internal("update node", err)
	}
	st, err := s.wst.txStmt(ctx, tx, qUpdateNode)
	if err != nil {
		return internal("update node", err)
	}
	_, err = st.ExecContext(ctx, n.Name, n.Status, n.NodeType, enc.hardware, enc.location, enc.configuration, n.PootScore,
		nullMicros(n.LastHeartbeat), n.Health, nullMicros(n.HealthDeadline), enc.publicKey, enc.maintenance, n.StatusReason,
		micros(n.CreatedAt), micros(n.UpdatedAt), nullMicros(n.UptimeSince), n.UpSeconds, n.NodeID)
	if isUnique(err) {
		return nameTaken(n.PoolID, n.Name)
	}
	if err != nil {
		return internal("update node", err)
	}
	return nil
}

// DeleteNode removes the node if check accepts the current row.
func (s *Store) DeleteNode(ctx context.Context, id string, check func(n *nodemgmt.Node) error) error {
	s.cache.startWrite(false, id)
	defer s.cache.endWrite(false, id)
	return s.write(ctx, "delete node", func(tx *sql.Tx) error {
		n, err := s.getNodeTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(n); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, qDeleteNode, id); err != nil {
			return internal("delete node", err)
		}
		return nil
	})
}

// nodeListQueries builds the page and count queries for the filter's shape (which filters are
// set, cursor or offset); values are bound as arguments so each shape is prepared once.
func nodeListQueries(f nodemgmt.NodeFilter) (page, count string, where, pageArgs []any) {
	var conds []string
	if f.Status != "" {
		conds = append(conds, "status = ?")
		where = append(where, string(f.Status))
	}
	if f.PoolID != "" {
		conds = append(conds, "pool_id = ?")
		where = append(where, f.PoolID)
	}
	if f.Health != "" {
		conds = append(conds, "health = ?")
		where = append(where, string(f.Health))
	}
	w := ""
	if len(conds) > 0 {
		w = " WHERE " + strings.Join(conds, " AND ")
	}
	count = "SELECT COUNT(*) FROM nodes" + w
	pageArgs = append(pageArgs, where...)
	pw := w
	offset := max(f.Offset, 0)
	if f.After != nil {
		if pw == "" {
			pw = " WHERE "
		} else {
			pw += " AND "
		}
		pw += "(created_at, node_id) > (?, ?)"
		pageArgs = append(pageArgs, micros(f.After.CreatedAt), f.After.ID)
		offset = 0
	}
	limit := int64(f.Limit)
	if limit <= 0 {
		limit = -1
	}
	pageArgs = append(pageArgs, limit, offset)
	page = "SELECT " + nodeCols + " FROM nodes" + pw + " ORDER BY created_at, node_id LIMIT ? OFFSET ?"
	return page, count, where, pageArgs
}

// ListNodes returns a page and the total in one read transaction, so both see the same data.
func (s *Store) ListNodes(ctx context.Context, f nodemgmt.NodeFilter) (nodemgmt.NodePage, error) {
	pageQ, countQ, whereArgs, pageArgs := nodeListQueries(f)
	var page nodemgmt.NodePage
	epoch := s.cache.begin()
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return page, internal("list nodes", err)
	}
	defer func() { _ = tx.Rollback() }()
	st, err := s.rst.txStmt(ctx, tx, countQ)
	if err != nil {
		return page, internal("list nodes", err)
	}
	if err := st.QueryRowContext(ctx, whereArgs...).Scan(&page.Total); err != nil {
		return page, internal("list nodes", err)
	}
	if page.Total == 0 {
		return page, nil
	}
	if st, err = s.rst.txStmt(ctx, tx, pageQ); err != nil {
		return page, internal("list nodes", err)
	}
	page.Nodes, err = s.queryNodesCached(ctx, epoch, st, pageArgs...)
	if err != nil {
		return page, internal("list nodes", err)
	}
	return page, nil
}

// queryNodesCached reads rows in a snapshot opened after begin returned epoch and decodes only
// the rows the cache cannot answer for that snapshot (see nodeCache).
func (s *Store) queryNodesCached(ctx context.Context, epoch uint64, st *sql.Stmt, args ...any) ([]*nodemgmt.Node, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var raws []*rawNode
	for rows.Next() {
		r, err := scanRaw(rows)
		if err != nil {
			return nil, err
		}
		raws = append(raws, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ids := make([]string, len(raws))
	for i, r := range raws {
		ids[i] = r.n.NodeID
	}
	cached := s.cache.lookup(epoch, ids)
	out := make([]*nodemgmt.Node, len(raws))
	for i, r := range raws {
		if cached != nil && cached[i] != nil {
			out[i] = cached[i]
			continue
		}
		n, err := s.decodeNode(r)
		if err != nil {
			return nil, err
		}
		s.cache.fill(epoch, n)
		out[i] = n
	}
	return out, nil
}

func (s *Store) queryNodes(ctx context.Context, st *sql.Stmt, args ...any) ([]*nodemgmt.Node, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*nodemgmt.Node
	for rows.Next() {
		n, err := s.scanNode(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// ListStaleNodes returns up to limit nodes that are not down and whose deadline is before the
// given time, oldest deadline first.
func (s *Store) ListStaleNodes(ctx context.Context, before time.Time, limit int) ([]*nodemgmt.Node, error) {
	st, err := s.rst.get(ctx, qStaleNodes)
	if err != nil {
		return nil, internal("list stale nodes", err)
	}
	l := int64(limit)
	if l <= 0 {
		l = -1
	}
	out, err := s.queryNodes(ctx, st, micros(before), l)
	if err != nil {
		return nil, internal("list stale nodes", err)
	}
	return out, nil
}

// ExtendHealthDeadlines raises every deadline of a node that is not down to at least until.
func (s *Store) ExtendHealthDeadlines(ctx context.Context, until time.Time) (int, error) {
	s.cache.startWrite(true)
	defer s.cache.endWrite(true)
	var n int64
	err := s.write(ctx, "extend health deadlines", func(tx *sql.Tx) error {
		u := micros(until)
		res, err := tx.ExecContext(ctx, `UPDATE nodes SET health_deadline = ?
			WHERE health <> 'down' AND (health_deadline IS NULL OR health_deadline < ?)`, u, u)
		if err != nil {
			return internal("extend health deadlines", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// CountNodes counts nodes by status and by health; only values that occur are present.
func (s *Store) CountNodes(ctx context.Context) (nodemgmt.NodeCounts, error) {
	c := nodemgmt.NodeCounts{ByStatus: map[nodemgmt.Status]int{}, ByHealth: map[nodemgmt.Health]int{}}
	st, err := s.rst.get(ctx, qCountNodes)
	if err != nil {
		return c, internal("count nodes", err)
	}
	rows, err := st.QueryContext(ctx)
	if err != nil {
		return c, internal("count nodes", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			status nodemgmt.Status
			health nodemgmt.Health
			n      int
		)
		if err := rows.Scan(&status, &health, &n); err != nil {
			return c, internal("count nodes", err)
		}
		c.ByStatus[status] += n
		c.ByHealth[health] += n
		c.Total += n
	}
	if err := rows.Err(); err != nil {
		return c, internal("count nodes", err)
	}
	return c, nil
}
