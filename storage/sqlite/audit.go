package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/internal/rowcodec"
)

const qInsertAudit = `INSERT INTO audit (id, at, category, actor, action, target, result, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

// AppendAudit records one entry; Details are stored as JSON.
func (s *Store) AppendAudit(ctx context.Context, e nodemgmt.AuditEntry) error {
	details, err := jsonColumn(e.Details, e.Details == nil)
	if err != nil {
		return internal("append audit", err)
	}
	return s.write(ctx, "append audit", func(tx *sql.Tx) error {
		st, err := s.wst.txStmt(ctx, tx, qInsertAudit)
		if err != nil {
			return internal("append audit", err)
		}
		if _, err := st.ExecContext(ctx, e.ID, micros(e.At), e.Category, e.Actor, e.Action, e.Target, e.Result, details); err != nil {
			return internal("append audit", err)
		}
		return nil
	})
}

// ListAudit returns matching entries, newest first (ties in write order, latest first).
func (s *Store) ListAudit(ctx context.Context, f nodemgmt.AuditFilter) ([]nodemgmt.AuditEntry, error) {
	var conds []string
	var args []any
	if f.Category != "" {
		conds = append(conds, "category = ?")
		args = append(args, f.Category)
	}
	if f.Target != "" {
		conds = append(conds, "target = ?")
		args = append(args, f.Target)
	}
	if !f.Since.IsZero() {
		conds = append(conds, "at >= ?")
		args = append(args, micros(f.Since))
	}
	q := `SELECT id, at, category, actor, action, target, result, details FROM audit`
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	q += " ORDER BY at DESC, seq DESC LIMIT ?"
	limit := int64(f.Limit)
	if limit <= 0 {
		limit = -1
	}
	args = append(args, limit)
	st, err := s.rst.get(ctx, q)
	if err != nil {
		return nil, internal("list audit", err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, internal("list audit", err)
	}
	defer rows.Close()
	out := []nodemgmt.AuditEntry{}
	for rows.Next() {
		var (
			e       nodemgmt.AuditEntry
			at      int64
			details sql.NullString
		)
		if err := rows.Scan(&e.ID, &at, &e.Category, &e.Actor, &e.Action, &e.Target, &e.Result, &details); err != nil {
			return nil, internal("list audit", err)
		}
		e.At = fromMicros(at)
		if err := rowcodec.DecodeAuditDetails(&e, jsonBytes(details)); err != nil {
			return nil, internal("list audit", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, internal("list audit", err)
	}
	return out, nil
}

// PruneAudit deletes entries of the category ("" = every category) older than before.
func (s *Store) PruneAudit(ctx context.Context, category string, before time.Time) (int, error) {
	var n int64
	err := s.write(ctx, "prune audit", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM audit WHERE (? = '' OR category = ?) AND at < ?`, category, category, micros(before))
		if err != nil {
			return internal("prune audit", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// AcquireLease takes the lease when it is free, expired or already held by holder, in one
// upsert; it reports whether holder has it now.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	var got bool
	err := s.write(ctx, "acquire lease", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
			name, holder, micros(now.Add(ttl)), micros(now))
		if err != nil {
			return internal("acquire lease", err)
		}
		n, err := res.RowsAffected()
		got = n == 1
		return err
	})
	return got, err
}

// ReleaseLease frees the lease if holder has it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	return s.write(ctx, "release lease", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder); err != nil {
			return internal("release lease", err)
		}
		return nil
	})
}
