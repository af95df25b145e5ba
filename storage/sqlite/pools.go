package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/internal/rowcodec"
)

// poolCols reads a pool with its member count derived in the same statement.
const poolCols = `pool_id, name, description, max_nodes, resource_limits, auto_scaling, scaling_policy, pricing,
	created_at, updated_at, (SELECT COUNT(*) FROM nodes n WHERE n.pool_id = pools.pool_id)`

const (
	qGetPool        = `SELECT ` + poolCols + ` FROM pools WHERE pool_id = ?`
	qListPools      = `SELECT ` + poolCols + ` FROM pools ORDER BY created_at, pool_id LIMIT ? OFFSET ?`
	qListPoolsAfter = `SELECT ` + poolCols + ` FROM pools WHERE (created_at, pool_id) > (?, ?) ORDER BY created_at, pool_id LIMIT ?`
)

func poolExists(field, value string) error {
	return &nodemgmt.Error{Code: nodemgmt.CodePoolExists, Message: "a pool with this " + field + " already exists",
		Details: map[string]any{field: value}}
}

type encodedPool struct{ limits, policy, pricing sql.NullString }

func encodePool(p *nodemgmt.Pool) (encodedPool, error) {
	c, err := rowcodec.EncodePool(p)
	if err != nil {
		return encodedPool{}, err
	}
	return encodedPool{limits: nullJSON(c.Limits), policy: nullJSON(c.Policy), pricing: nullJSON(c.Pricing)}, nil
}

func scanPool(row scanner) (*nodemgmt.Pool, error) {
	var (
		p                       nodemgmt.Pool
		limits, policy, pricing sql.NullString
		created, updated        int64
	)
	if err := row.Scan(&p.PoolID, &p.Name, &p.Description, &p.MaxNodes, &limits, &p.AutoScaling, &policy, &pricing,
		&created, &updated, &p.NodeCount); err != nil {
		return nil, err
	}
	if err := rowcodec.DecodePool(&p, rowcodec.PoolColumns{Limits: jsonBytes(limits), Policy: jsonBytes(policy),
		Pricing: jsonBytes(pricing)}); err != nil {
		return nil, err
	}
	p.CreatedAt = fromMicros(created)
	p.UpdatedAt = fromMicros(updated)
	return &p, nil
}

// CreatePool inserts a pool with a unique id and name; its NodeCount is derived, not stored.
func (s *Store) CreatePool(ctx context.Context, p *nodemgmt.Pool) error {
	enc, err := encodePool(p)
	if err != nil {
		return internal("create pool", err)
	}
	return s.write(ctx, "create pool", func(tx *sql.Tx) error {
		if _, err := s.getPoolTx(ctx, tx, p.PoolID); err == nil {
			return poolExists("pool_id", p.PoolID)
		} else if !errors.Is(err, nodemgmt.ErrPoolNotFound) {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO pools (pool_id, name, description, max_nodes, resource_limits, auto_scaling,
			scaling_policy, pricing, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.PoolID, p.Name, p.Description, p.MaxNodes, enc.limits, p.AutoScaling, enc.policy, enc.pricing,
			micros(p.CreatedAt), micros(p.UpdatedAt))
		if isUnique(err) {
			return poolExists("name", p.Name)
		}
		if err != nil {
			return internal("create pool", err)
		}
		return nil
	})
}

// GetPool returns the pool with its exact member count.
func (s *Store) GetPool(ctx context.Context, id string) (*nodemgmt.Pool, error) {
	st, err := s.rst.get(ctx, qGetPool)
	if err != nil {
		return nil, internal("get pool", err)
	}
	p, err := scanPool(st.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nodemgmt.NotFoundPool(id)
	}
	if err != nil {
		return nil, internal("get pool", err)
	}
	return p, nil
}

func (s *Store) getPoolTx(ctx context.Context, tx *sql.Tx, id string) (*nodemgmt.Pool, error) {
	st, err := s.wst.txStmt(ctx, tx, qGetPool)
	if err != nil {
		return nil, internal("read pool", err)
	}
	p, err := scanPool(st.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nodemgmt.NotFoundPool(id)
	}
	if err != nil {
		return nil, internal("read pool", err)
	}
	return p, nil
}

// UpdatePool reads the pool, applies fn and writes it back in one writer transaction.
func (s *Store) UpdatePool(ctx context.Context, id string, fn func(p *nodemgmt.Pool) error) (*nodemgmt.Pool, error) {
	var out *nodemgmt.Pool
	err := s.write(ctx, "update pool", func(tx *sql.Tx) error {
		p, err := s.getPoolTx(ctx, tx, id)
		if err != nil {
			return err
		}
		count := p.NodeCount
		if err := fn(p); err != nil {
			return err
		}
		if p.PoolID != id || p.NodeCount != count {
			return fmt.Errorf("sqlite store: UpdatePool callback changed pool_id or node_count of %s", id)
		}
		enc, err := encodePool(p)
		if err != nil {
			return internal("update pool", err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE pools SET name = ?, description = ?, max_nodes = ?, resource_limits = ?,
			auto_scaling = ?, scaling_policy = ?, pricing = ?, created_at = ?, updated_at = ? WHERE pool_id = ?`,
			p.Name, p.Description, p.MaxNodes, enc.limits, p.AutoScaling, enc.policy, enc.pricing,
			micros(p.CreatedAt), micros(p.UpdatedAt), id)
		if isUnique(err) {
			return poolExists("name", p.Name)
		}
		if err != nil {
			return internal("update pool", err)
		}
		out, err = s.getPoolTx(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeletePool removes an empty pool; a pool with members is ErrConflict.
func (s *Store) DeletePool(ctx context.Context, id string) error {
	return s.write(ctx, "delete pool", func(tx *sql.Tx) error {
		p, err := s.getPoolTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if p.NodeCount > 0 {
			return conflict("the pool still has member nodes", map[string]any{"pool_id": id, "node_count": p.NodeCount})
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM pools WHERE pool_id = ?`, id); err != nil {
			return internal("delete pool", err)
		}
		return nil
	})
}

// ListPools returns a page of pools in (CreatedAt, PoolID) order and the total.
func (s *Store) ListPools(ctx context.Context, f nodemgmt.PoolFilter) (nodemgmt.PoolPage, error) {
	var page nodemgmt.PoolPage
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return page, internal("list pools", err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pools`).Scan(&page.Total); err != nil {
		return page, internal("list pools", err)
	}
	limit := int64(f.Limit)
	if limit <= 0 {
		limit = -1
	}
	q, args := qListPools, []any{limit, max(f.Offset, 0)}
	if f.After != nil {
		q, args = qListPoolsAfter, []any{micros(f.After.CreatedAt), f.After.ID, limit}
	}
	st, err := s.rst.txStmt(ctx, tx, q)
	if err != nil {
		return page, internal("list pools", err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return page, internal("list pools", err)
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPool(rows)
		if err != nil {
			return page, internal("list pools", err)
		}
		page.Pools = append(page.Pools, p)
	}
	if err := rows.Err(); err != nil {
		return page, internal("list pools", err)
	}
	return page, nil
}

// AddNodeToPool makes the node a member of the pool; the capacity check, the name check and the
// membership change happen in one writer transaction.
func (s *Store) AddNodeToPool(ctx context.Context, poolID, nodeID string, priority int, now time.Time) (*nodemgmt.Pool, error) {
	s.cache.startWrite(false, nodeID)
	defer s.cache.endWrite(false, nodeID)
	var out *nodemgmt.Pool
	err := s.write(ctx, "add node to pool", func(tx *sql.Tx) error {
		p, err := s.getPoolTx(ctx, tx, poolID)
		if err != nil {
			return err
		}
		n, err := s.getNodeTx(ctx, tx, nodeID)
		if err != nil {
			return err
		}
		if n.PoolID != "" {
			return conflict("the node is already a member of a pool", map[string]any{"node_id": nodeID, "pool_id": n.PoolID})
		}
		if p.NodeCount >= p.MaxNodes {
			return poolFull(poolID, p.MaxNodes, p.NodeCount)
		}
		_, err = tx.ExecContext(ctx, `UPDATE nodes SET pool_id = ?, pool_priority = ?, updated_at = ? WHERE node_id = ?`,
			poolID, priority, micros(now), nodeID)
		if isUnique(err) {
			return nameTaken(poolID, n.Name)
		}
		if err != nil {
			return internal("add node to pool", err)
		}
		out, err = s.getPoolTx(ctx, tx, poolID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RemoveNodeFromPool ends the node's membership of the pool.
func (s *Store) RemoveNodeFromPool(ctx context.Context, poolID, nodeID string, now time.Time) (*nodemgmt.Pool, error) {
	s.cache.startWrite(false, nodeID)
	defer s.cache.endWrite(false, nodeID)
	var out *nodemgmt.Pool
	err := s.write(ctx, "remove node from pool", func(tx *sql.Tx) error {
		if _, err := s.getPoolTx(ctx, tx, poolID); err != nil {
			return err
		}
		n, err := s.getNodeTx(ctx, tx, nodeID)
		if err != nil {
			return err
		}
		if n.PoolID != poolID {
			return conflict("the node is not a member of this pool", map[string]any{"node_id": nodeID, "pool_id": poolID})
		}
		_, err = tx.ExecContext(ctx, `UPDATE nodes SET pool_id = NULL, pool_priority = NULL, updated_at = ? WHERE node_id = ?`,
			micros(now), nodeID)
		if isUnique(err) {
			return nameTaken("", n.Name)
		}
		if err != nil {
			return internal("remove node from pool", err)
		}
		out, err = s.getPoolTx(ctx, tx, poolID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
