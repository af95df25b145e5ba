package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/internal/rowcodec"
)

// AppendAudit records one entry; Details are stored as json.
func (s *Store) AppendAudit(ctx context.Context, e nodemgmt.AuditEntry) error {
	details, err := jsonArg(e.Details, e.Details == nil)
	if err != nil {
		return internal("append audit", err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO audit (id, at, category, actor, action, target, result, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		e.ID, norm(e.At), e.Category, e.Actor, e.Action, e.Target, e.Result, details); err != nil {
		return internal("append audit", err)
	}
	return nil
}

// ListAudit returns matching entries, newest first (ties in write order, latest first).
func (s *Store) ListAudit(ctx context.Context, f nodemgmt.AuditFilter) ([]nodemgmt.AuditEntry, error) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Category != "" {
		conds = append(conds, "category = "+arg(f.Category))
	}
	if f.Target != "" {
		conds = append(conds, "target = "+arg(f.Target))
	}
	if !f.Since.IsZero() {
		conds = append(conds, "at >= "+arg(norm(f.Since)))
	}
	q := `SELECT id, at, category, actor, action, target, result, details FROM audit`
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	q += " ORDER BY at DESC, seq DESC LIMIT " + arg(limitArg(f.Limit))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, internal("list audit", err)
	}
	defer rows.Close()
	out := []nodemgmt.AuditEntry{}
	for rows.Next() {
		var (
			e       nodemgmt.AuditEntry
			details []byte
		)
		if err := rows.Scan(&e.ID, &e.At, &e.Category, &e.Actor, &e.Action, &e.Target, &e.Result, &details); err != nil {
			return nil, internal("list audit", err)
		}
		e.At = e.At.UTC()
		if err := rowcodec.DecodeAuditDetails(&e, details); err != nil {
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
	tag, err := s.pool.Exec(ctx, `DELETE FROM audit WHERE ($1 = '' OR category = $1) AND at < $2`, category, norm(before))
	if err != nil {
		return 0, internal("prune audit", err)
	}
	return int(tag.RowsAffected()), nil
}

// AcquireLease takes the lease when it is free, expired or already held by holder, in one
// upsert: under a concurrent insert of the same name PostgreSQL waits for the other
// transaction and evaluates the WHERE on the row it committed, so exactly one holder wins.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	var got bool
	err := s.tx(ctx, "acquire lease", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE leases.expires_at <= $4 OR leases.holder = excluded.holder`,
			name, holder, norm(now.Add(ttl)), norm(now))
		if err != nil {
			return internal("acquire lease", err)
		}
		got = tag.RowsAffected() == 1
		return nil
	})
	return got, err
}

// ReleaseLease frees the lease if holder has it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder); err != nil {
		return internal("release lease", err)
	}
	return nil
}
