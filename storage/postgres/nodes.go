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

const nodeCols = `node_id, name, pool_id, status, node_type, hardware_info, location, configuration, poot_score,
	last_heartbeat, health, health_deadline, public_key, maintenance, status_reason, created_at, updated_at,
	uptime_since, up_seconds`

const (
	qGetNode       = `SELECT ` + nodeCols + ` FROM nodes WHERE node_id = $1`
	qGetNodeLocked = qGetNode + ` FOR UPDATE`
	qInsertNode    = `INSERT INTO nodes (` + nodeCols + `, pool_priority)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`
	qUpdateNode = `UPDATE nodes SET name = $2, status = $3, node_type = $4, hardware_info = $5, location = $6,
	configuration = $7, poot_score = $8, last_heartbeat = $9, health = $10, health_deadline = $11, public_key = $12,
	maintenance = $13, status_reason = $14, created_at = $15, updated_at = $16, uptime_since = $17, up_seconds = $18
	WHERE node_id = $1`
	qStaleNodes = `SELECT ` + nodeCols + ` FROM nodes WHERE health <> 'down' AND health_deadline < $1
	ORDER BY health_deadline, node_id LIMIT $2`
	qCountNodes = `SELECT status, health, COUNT(*) FROM nodes GROUP BY status, health`
)

// Constraint names the unique violations are told apart by (see migrations/0001_nodes.sql).
const (
	consNodesPK       = "nodes_pkey"
	consNodesPoolName = "nodes_pool_name"
	consPoolsPK       = "pools_pkey"
	consPoolsName     = "pools_name_key"
)

// encodedNode is a node in column form, sensitive columns sealed (see rowcodec.EncodeNode).
type encodedNode struct {
	hardware, publicKey                  []byte
	location, configuration, maintenance any // nil (NULL) or json.RawMessage
}

// jsonArg encodes v for a json column; isNil gives NULL. The value is a json.RawMessage so pgx
// sends it as JSON, not as bytea.
func jsonArg(v any, isNil bool) (any, error) {
	b, err := rowcodec.JSON(v, isNil)
	if err != nil {
		return nil, err
	}
	return rawJSON(b), nil
}

// rawJSON turns rowcodec's nil-for-NULL bytes into a json column argument.
func rawJSON(b []byte) any {
	if b == nil {
		return nil
	}
	return json.RawMessage(b)
}

func (s *Store) encodeNode(n *nodemgmt.Node) (encodedNode, error) {
	c, err := rowcodec.EncodeNode(s.sealer, n)
	if err != nil {
		return encodedNode{}, err
	}
	return encodedNode{hardware: c.Hardware, publicKey: c.PublicKey, location: rawJSON(c.Location),
		configuration: rawJSON(c.Configuration), maintenance: rawJSON(c.Maintenance)}, nil
}

// nodeArgs are the arguments of qInsertNode (without pool_priority) and, reordered, qUpdateNode.
func nodeArgs(n *nodemgmt.Node, e encodedNode) []any {
	return []any{n.NodeID, n.Name, nullString(n.PoolID), string(n.Status), string(n.NodeType), e.hardware, e.location,
		e.configuration, n.PootScore, normPtr(n.LastHeartbeat), string(n.Health), normPtr(n.HealthDeadline), e.publicKey,
		e.maintenance, n.StatusReason, norm(n.CreatedAt), norm(n.UpdatedAt), normPtr(n.UptimeSince), n.UpSeconds}
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// scanNode reads one row of nodeCols, opening the sealed columns and decoding the JSON ones.
func (s *Store) scanNode(row pgx.Row) (*nodemgmt.Node, error) {
	var (
		n                                nodemgmt.Node
		pool                             *string
		status, nodeType, health         string
		hardware, publicKey              []byte
		location, config, maintenance    []byte
		heartbeat, deadline, uptimeSince *time.Time
		created, updated                 time.Time
	)
	if err := row.Scan(&n.NodeID, &n.Name, &pool, &status, &nodeType, &hardware, &location, &config, &n.PootScore,
		&heartbeat, &health, &deadline, &publicKey, &maintenance, &n.StatusReason, &created, &updated, &uptimeSince,
		&n.UpSeconds); err != nil {
		return nil, err
	}
	n.Status, n.NodeType, n.Health = nodemgmt.Status(status), nodemgmt.NodeType(nodeType), nodemgmt.Health(health)
	if pool != nil {
		n.PoolID = *pool
	}
	if err := rowcodec.DecodeNode(s.sealer, &n, rowcodec.NodeColumns{Hardware: hardware, PublicKey: publicKey,
		Location: location, Configuration: config, Maintenance: maintenance}); err != nil {
		return nil, err
	}
	n.LastHeartbeat = utcPtr(heartbeat)
	n.HealthDeadline = utcPtr(deadline)
	n.UptimeSince = utcPtr(uptimeSince)
	n.CreatedAt = created.UTC()
	n.UpdatedAt = updated.UTC()
	return &n, nil
}

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

// nodeWriteErr maps a failed node insert or update: a unique violation is a duplicate id or a
// name taken in the pool; anything else is internal.
func nodeWriteErr(op string, n *nodemgmt.Node, err error) error {
	switch uniqueViolation(err) {
	case "":
		return internal(op, err)
	case consNodesPK:
		return nodeExistsErr(n.NodeID)
	default:
		return nameTaken(n.PoolID, n.Name)
	}
}

// CreateNode inserts n; with a PoolID the pool row is locked and its capacity checked in the
// same transaction.
func (s *Store) CreateNode(ctx context.Context, n *nodemgmt.Node) error {
	enc, err := s.encodeNode(n)
	if err != nil {
		return internal("create node", err)
	}
	args := nodeArgs(n, enc)
	return s.tx(ctx, "create node", func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM nodes WHERE node_id = $1`, n.NodeID).Scan(&one)
		if err == nil {
			return nodeExistsErr(n.NodeID)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return internal("create node", err)
		}
		var priority *int32
		if n.PoolID != "" {
			p, err := s.lockPool(ctx, tx, n.PoolID)
			if err != nil {
				return err
			}
			if p.NodeCount >= p.MaxNodes {
				return poolFull(p.PoolID, p.MaxNodes, p.NodeCount)
			}
			v := int32(nodemgmt.DefaultPriority)
			priority = &v
		}
		if _, err := tx.Exec(ctx, qInsertNode, append(args, priority)...); err != nil {
			return nodeWriteErr("create node", n, err)
		}
		return nil
	})
}

// GetNode reads the node; there is no cache, other replicas write the same rows.
func (s *Store) GetNode(ctx context.Context, id string) (*nodemgmt.Node, error) {
	n, err := s.scanNode(s.pool.QueryRow(ctx, qGetNode, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nodemgmt.NotFoundNode(id)
	}
	if err != nil {
		return nil, internal("get node", err)
	}
	return n, nil
}

// getNodeTx reads the node inside tx, with FOR UPDATE when lock is set.
func (s *Store) getNodeTx(ctx context.Context, tx pgx.Tx, id string, lock bool) (*nodemgmt.Node, error) {
	q := qGetNode
	if lock {
		q = qGetNodeLocked
	}
	n, err := s.scanNode(tx.QueryRow(ctx, q, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nodemgmt.NotFoundNode(id)
	}
	if err != nil {
		return nil, internal("read node", err)
	}
	return n, nil
}

// UpdateNode locks the node row, applies fn to the decoded copy and writes it back, in one
// transaction. fn must not call the store.
func (s *Store) UpdateNode(ctx context.Context, id string, fn func(n *nodemgmt.Node) error) (*nodemgmt.Node, error) {
	var out *nodemgmt.Node
	err := s.tx(ctx, "update node", func(tx pgx.Tx) error {
		n, err := s.getNodeTx(ctx, tx, id, true)
		if err != nil {
			return err
		}
		oldPool := n.PoolID
		if err := fn(n); err != nil {
			return err
		}
		if n.NodeID != id || n.PoolID != oldPool {
			return fmt.Errorf("postgres store: UpdateNode callback changed node_id or pool_id of %s", id)
		}
		enc, err := s.encodeNode(n)
		if err != nil {
			return internal("update node", err)
		}
		a := nodeArgs(n, enc)
		// qUpdateNode takes every column but pool_id, in nodeCols order.
		if _, err := tx.Exec(ctx, qUpdateNode, append(a[:2:2], a[3:]...)...); err != nil {
			return nodeWriteErr("update node", n, err)
		}
		out, err = s.getNodeTx(ctx, tx, id, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteNode locks the node and removes it if check accepts it.
func (s *Store) DeleteNode(ctx context.Context, id string, check func(n *nodemgmt.Node) error) error {
	return s.tx(ctx, "delete node", func(tx pgx.Tx) error {
		n, err := s.getNodeTx(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(n); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM nodes WHERE node_id = $1`, id); err != nil {
			return internal("delete node", err)
		}
		return nil
	})
}

// nodeListQuery builds one statement that returns the page with the filter's total on every
// row (an uncorrelated subquery, evaluated once in the same snapshot), and a count-only query
// for when the page is empty. Values are bound as arguments so each filter shape is one
// prepared statement.
func nodeListQuery(f nodemgmt.NodeFilter) (page, count string, pageArgs, countArgs []any) {
	var conds []string
	arg := func(v any) string {
		countArgs = append(countArgs, v)
		return "$" + strconv.Itoa(len(countArgs))
	}
	if f.Status != "" {
		conds = append(conds, "status = "+arg(string(f.Status)))
	}
	if f.PoolID != "" {
		conds = append(conds, "pool_id = "+arg(f.PoolID))
	}
	if f.Health != "" {
		conds = append(conds, "health = "+arg(string(f.Health)))
	}
	w := ""
	if len(conds) > 0 {
		w = " WHERE " + strings.Join(conds, " AND ")
	}
	count = "SELECT COUNT(*) FROM nodes" + w
	pageArgs = append(pageArgs, countArgs...)
	next := func(v any) string {
		pageArgs = append(pageArgs, v)
		return "$" + strconv.Itoa(len(pageArgs))
	}
	pw := w
	offset := max(f.Offset, 0)
	if f.After != nil {
		c := "(created_at, node_id) > (" + next(norm(f.After.CreatedAt)) + ", " + next(f.After.ID) + ")"
		if pw == "" {
			pw = " WHERE " + c
		} else {
			pw += " AND " + c
		}
		offset = 0
	}
	limit := next(limitArg(f.Limit))
	off := next(int64(offset))
	page = "SELECT (" + count + "), " + nodeCols + " FROM nodes" + pw +
		" ORDER BY created_at, node_id LIMIT " + limit + " OFFSET " + off
	return page, count, pageArgs, countArgs
}

// ListNodes returns a page and the total; both come from one statement, so they agree.
func (s *Store) ListNodes(ctx context.Context, f nodemgmt.NodeFilter) (nodemgmt.NodePage, error) {
	pageQ, countQ, pageArgs, countArgs := nodeListQuery(f)
	var page nodemgmt.NodePage
	rows, err := s.pool.Query(ctx, pageQ, pageArgs...)
	if err != nil {
		return page, internal("list nodes", err)
	}
	defer rows.Close()
	for rows.Next() {
		var total int64
		n, err := s.scanNode(prefixed{rows, &total})
		if err != nil {
			return page, internal("list nodes", err)
		}
		page.Total = int(total)
		page.Nodes = append(page.Nodes, n)
	}
	if err := rows.Err(); err != nil {
		return page, internal("list nodes", err)
	}
	if len(page.Nodes) == 0 {
		// An empty page (past the end, or nothing matches) still reports the total.
		var total int64
		if err := s.pool.QueryRow(ctx, countQ, countArgs...).Scan(&total); err != nil {
			return page, internal("list nodes", err)
		}
		page.Total = int(total)
	}
	return page, nil
}

// prefixed scans a row whose first column is extra (the total) and the rest a node.
type prefixed struct {
	rows  pgx.Rows
	extra any
}

func (p prefixed) Scan(dest ...any) error {
	return p.rows.Scan(append([]any{p.extra}, dest...)...)
}

func (s *Store) queryNodes(ctx context.Context, q string, args ...any) ([]*nodemgmt.Node, error) {
	rows, err := s.pool.Query(ctx, q, args...)
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
	out, err := s.queryNodes(ctx, qStaleNodes, norm(before), limitArg(limit))
	if err != nil {
		return nil, internal("list stale nodes", err)
	}
	return out, nil
}

// ExtendHealthDeadlines raises every deadline of a node that is not down to at least until.
func (s *Store) ExtendHealthDeadlines(ctx context.Context, until time.Time) (int, error) {
	var n int64
	err := s.tx(ctx, "extend health deadlines", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE nodes SET health_deadline = $1
			WHERE health <> 'down' AND (health_deadline IS NULL OR health_deadline < $1)`, norm(until))
		if err != nil {
			return internal("extend health deadlines", err)
		}
		n = tag.RowsAffected()
		return nil
	})
	return int(n), err
}

// CountNodes counts nodes by status and by health; only values that occur are present.
func (s *Store) CountNodes(ctx context.Context) (nodemgmt.NodeCounts, error) {
	c := nodemgmt.NodeCounts{ByStatus: map[nodemgmt.Status]int{}, ByHealth: map[nodemgmt.Health]int{}}
	rows, err := s.pool.Query(ctx, qCountNodes)
	if err != nil {
		return c, internal("count nodes", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			status, health string
			n              int64
		)
		if err := rows.Scan(&status, &health, &n); err != nil {
			return c, internal("count nodes", err)
		}
		c.ByStatus[nodemgmt.Status(status)] += int(n)
		c.ByHealth[nodemgmt.Health(health)] += int(n)
		c.Total += int(n)
	}
	if err := rows.Err(); err != nil {
		return c, internal("count nodes", err)
	}
	return c, nil
}
