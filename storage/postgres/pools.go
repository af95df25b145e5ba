package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/internal/rowcodec"
)

const poolBaseCols = `pool_id, name, description, max_nodes, resource_limits, auto_scaling, scaling_policy, pricing,
	created_at, updated_at`

// poolCols reads a pool with its member count derived in the same statement (for reads that
// lock nothing; locked reads count in a separate statement, see lockPool).
const poolCols = poolBaseCols + `, (SELECT COUNT(*) FROM nodes n WHERE n.pool_id = pools.pool_id)`

const (
	qGetPool        = `SELECT ` + poolCols + ` FROM pools WHERE pool_id = $1`
	qLockPool       = `SELECT ` + poolBaseCols + `, 0 FROM pools WHERE pool_id = $1 FOR UPDATE`
	qPoolCount      = `SELECT COUNT(*) FROM nodes WHERE pool_id = $1`
	qCountPools     = `SELECT COUNT(*) FROM pools`
	qListPools      = `SELECT (` + qCountPools + `), ` + poolCols + ` FROM pools ORDER BY created_at, pool_id LIMIT $1 OFFSET $2`
	qListPoolsAfter = `SELECT (` + qCountPools + `), ` + poolCols + ` FROM pools WHERE (created_at, pool_id) > ($1, $2)
	ORDER BY created_at, pool_id LIMIT $3`
)

func poolExists(field, value string) error {
	return &nodemgmt.Error{Code: nodemgmt.CodePoolExists, Message: "a pool with this " + field + " already exists",
		Details: map[string]any{field: value}}
}

type encodedPool struct{ limits, policy, pricing any }

func encodePool(p *nodemgmt.Pool) (encodedPool, error) {
	c, err := rowcodec.EncodePool(p)
	if err != nil {
		return encodedPool{}, err
	}
	return encodedPool{limits: rawJSON(c.Limits), policy: rawJSON(c.Policy), pricing: rawJSON(c.Pricing)}, nil
}

func scanPool(row pgx.Row) (*nodemgmt.Pool, error) {
	var (
		p                       nodemgmt.Pool
		maxNodes                int32
		count                   int64
		limits, policy, pricing []byte
		created, updated        time.Time
	)
	if err := row.Scan(&p.PoolID, &p.Name, &p.Description, &maxNodes, &limits, &p.AutoScaling, &policy, &pricing,
		&created, &updated, &count); err != nil {
		return nil, err
	}
	p.MaxNodes, p.NodeCount = int(maxNodes), int(count)
	if err := rowcodec.DecodePool(&p, rowcodec.PoolColumns{Limits: limits, Policy: policy, Pricing: pricing}); err != nil {
		return nil, err
	}
	p.CreatedAt = created.UTC()
	p.UpdatedAt = updated.UTC()
	return &p, nil
}

func poolWriteErr(op string, p *nodemgmt.Pool, err error) error {
	switch uniqueViolation(err) {
	case "":
		return internal(op, err)
	case consPoolsPK:
		return poolExists("pool_id", p.PoolID)
	default:
		return poolExists("name", p.Name)
	}
}

// CreatePool inserts a pool with a unique id and name; its NodeCount is derived, not stored.
func (s *Store) CreatePool(ctx context.Context, p *nodemgmt.Pool) error {
	enc, err := encodePool(p)
	if err != nil {
		return internal("create pool", err)
	}
	return s.tx(ctx, "create pool", func(tx pgx.Tx) error {
		// A duplicate id is reported as such even when the name is taken too.
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM pools WHERE pool_id = $1`, p.PoolID).Scan(&one)
		if err == nil {
			return poolExists("pool_id", p.PoolID)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return internal("create pool", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO pools (`+poolBaseCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			p.PoolID, p.Name, p.Description, int32(p.MaxNodes), enc.limits, p.AutoScaling, enc.policy, enc.pricing,
			norm(p.CreatedAt), norm(p.UpdatedAt)); err != nil {
			return poolWriteErr("create pool", p, err)
		}
		return nil
	})
}

// GetPool returns the pool with its exact member count.
func (s *Store) GetPool(ctx context.Context, id string) (*nodemgmt.Pool, error) {
	p, err := scanPool(s.pool.QueryRow(ctx, qGetPool, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nodemgmt.NotFoundPool(id)
	}
	if err != nil {
		return nil, internal("get pool", err)
	}
	return p, nil
}

// lockPool locks the pool row FOR UPDATE and then counts its members in a second statement.
// Under READ COMMITTED that statement takes a new snapshot, which already contains every
// membership change committed by transactions that held the lock before this one; a count in
// the locking statement itself would use the snapshot from before the wait and could be stale.
func (s *Store) lockPool(ctx context.Context, tx pgx.Tx, id string) (*nodemgmt.Pool, error) {
	p, err := scanPool(tx.QueryRow(ctx, qLockPool, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nodemgmt.NotFoundPool(id)
	}
	if err != nil {
		return nil, internal("lock pool", err)
	}
	var count int64
	if err := tx.QueryRow(ctx, qPoolCount, id).Scan(&count); err != nil {
		return nil, internal("count pool members", err)
	}
	p.NodeCount = int(count)
	return p, nil
}

// UpdatePool locks the pool, applies fn and writes it back in one transaction.
func (s *Store) UpdatePool(ctx context.Context, id string, fn func(p *nodemgmt.Pool) error) (*nodemgmt.Pool, error) {
	var out *nodemgmt.Pool
	err := s.tx(ctx, "update pool", func(tx pgx.Tx) error {
		p, err := s.lockPool(ctx, tx, id)
		if err != nil {
			return err
		}
		count := p.NodeCount
		if err := fn(p); err != nil {
			return err
		}
		if p.PoolID != id || p.NodeCount != count {
			return fmt.Errorf("postgres store: UpdatePool callback changed pool_id or node_count of %s", id)
		}
		enc, err := encodePool(p)
		if err != nil {
			return internal("update pool", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE pools SET name = $2, description = $3, max_nodes = $4, resource_limits = $5,
			auto_scaling = $6, scaling_policy = $7, pricing = $8, created_at = $9, updated_at = $10 WHERE pool_id = $1`,
			id, p.Name, p.Description, int32(p.MaxNodes), enc.limits, p.AutoScaling, enc.policy, enc.pricing,
			norm(p.CreatedAt), norm(p.UpdatedAt)); err != nil {
			return poolWriteErr("update pool", p, err)
		}
		out, err = s.lockPool(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeletePool removes an empty pool; a pool with members is ErrConflict. Adds to the pool lock
// its row too, so none can slip in between the count and the delete.
func (s *Store) DeletePool(ctx context.Context, id string) error {
	return s.tx(ctx, "delete pool", func(tx pgx.Tx) error {
		p, err := s.lockPool(ctx, tx, id)
		if err != nil {
			return err
		}
		if p.NodeCount > 0 {
			return conflict("the pool still has member nodes", map[string]any{"pool_id": id, "node_count": p.NodeCount})
		}
		if _, err := tx.Exec(ctx, `DELETE FROM pools WHERE pool_id = $1`, id); err != nil {
			return internal("delete pool", err)
		}
		return nil
	})
}

// ListPools returns a page of pools in (CreatedAt, PoolID) order and the total, from one
// statement.
func (s *Store) ListPools(ctx context.Context, f nodemgmt.PoolFilter) (nodemgmt.PoolPage, error) {
	var page nodemgmt.PoolPage
	q, args := qListPools, []any{limitArg(f.Limit), int64(max(f.Offset, 0))}
	if f.After != nil {
		q, args = qListPoolsAfter, []any{norm(f.After.CreatedAt), f.After.ID, limitArg(f.Limit)}
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return page, internal("list pools", err)
	}
	defer rows.Close()
	for rows.Next() {
		var total int64
		p, err := scanPool(prefixed{rows, &total})
		if err != nil {
			return page, internal("list pools", err)
		}
		page.Total = int(total)
		page.Pools = append(page.Pools, p)
	}
	if err := rows.Err(); err != nil {
		return page, internal("list pools", err)
	}
	if len(page.Pools) == 0 {
		var total int64
		if err := s.pool.QueryRow(ctx, qCountPools).Scan(&total); err != nil {
			return page, internal("list pools", err)
		}
		page.Total = int(total)
	}
	return page, nil
}

// AddNodeToPool makes the node a member of the pool. The pool row is locked first, so adds to
// one pool run one after another and each counts the members the previous ones committed.
func (s *Store) AddNodeToPool(ctx context.Context, poolID, nodeID string, priority int, now time.Time) (*nodemgmt.Pool, error) {
	var out *nodemgmt.Pool
	err := s.tx(ctx, "add node to pool", func(tx pgx.Tx) error {
		p, err := s.lockPool(ctx, tx, poolID)
		if err != nil {
			return err
		}
		n, err := s.getNodeTx(ctx, tx, nodeID, true)
		if err != nil {
			return err
		}
		if n.PoolID != "" {
			return conflict("the node is already a member of a pool", map[string]any{"node_id": nodeID, "pool_id": n.PoolID})
		}
		if p.NodeCount >= p.MaxNodes {
			return poolFull(poolID, p.MaxNodes, p.NodeCount)
		}
		if _, err := tx.Exec(ctx, `UPDATE nodes SET pool_id = $2, pool_priority = $3, updated_at = $4 WHERE node_id = $1`,
			nodeID, poolID, int32(priority), norm(now)); err != nil {
			if uniqueViolation(err) != "" {
				return nameTaken(poolID, n.Name)
			}
			return internal("add node to pool", err)
		}
		p.NodeCount++
		p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
		out = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RemoveNodeFromPool ends the node's membership of the pool.
func (s *Store) RemoveNodeFromPool(ctx context.Context, poolID, nodeID string, now time.Time) (*nodemgmt.Pool, error) {
	var out *nodemgmt.Pool
	err := s.tx(ctx, "remove node from pool", func(tx pgx.Tx) error {
		p, err := s.lockPool(ctx, tx, poolID)
		if err != nil {
			return err
		}
		n, err := s.getNodeTx(ctx, tx, nodeID, true)
		if err != nil {
			return err
		}
		if n.PoolID != poolID {
			return conflict("the node is not a member of this pool", map[string]any{"node_id": nodeID, "pool_id": poolID})
		}
		if _, err := tx.Exec(ctx, `UPDATE nodes SET pool_id = NULL, pool_priority = NULL, updated_at = $2 WHERE node_id = $1`,
			nodeID, norm(now)); err != nil {
			if uniqueViolation(err) != "" {
				return nameTaken("", n.Name)
			}
			return internal("remove node from pool", err)
		}
		p.NodeCount--
		out = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
