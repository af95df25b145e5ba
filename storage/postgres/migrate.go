package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/hamigames/lucid-node-management/storage/internal/migrations"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationFiles holds the schema, one file per version: NNNN_name.sql. Adding a file is all a
// new migration takes. Version numbers belong to this backend (they need not match SQLite's):
// 0001 nodes, pools, audit, leases, meta; later files add the other domains.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

func migrationFS() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// migrateLockSQL takes the advisory lock that serialises migrations of one schema; replicas
// using different schemas of one database do not wait for each other.
const migrateLockSQL = `SELECT pg_advisory_xact_lock(hashtextextended('lucid-node-management schema_migrations:' || coalesce(current_schema(), ''), 0))`

// migrate applies every migration of fsys that the database has not recorded in
// schema_migrations, in version order, in one transaction that first takes the advisory lock:
// a replica starting at the same time waits, then finds everything applied. A database that
// has a version this binary does not know was written by a newer binary and is refused.
func migrate(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, now func() time.Time, log *slog.Logger) error {
	migs, err := migrations.Load(fsys)
	if err != nil {
		return err
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, migrateLockSQL); err != nil {
		return fmt.Errorf("take the migration lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	applied, err := appliedVersions(ctx, tx)
	if err != nil {
		return err
	}
	known := map[int]bool{}
	for _, m := range migs {
		known[m.Version] = true
	}
	for v := range applied {
		if !known[v] {
			return fmt.Errorf("the database has schema version %d, which this program does not know: it was written by a newer version", v)
		}
	}
	var done []migrations.Migration
	for _, m := range migs {
		if applied[m.Version] {
			continue
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.Version, m.Name, norm(now())); err != nil {
			return fmt.Errorf("migration %s: record: %w", m.Name, err)
		}
		done = append(done, m)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit migrations: %w", err)
	}
	for _, m := range done {
		log.InfoContext(ctx, "applied database migration", "version", m.Version, "name", m.Name)
	}
	return nil
}

func appliedVersions(ctx context.Context, tx pgx.Tx) (map[int]bool, error) {
	rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	out := map[int]bool{}
	for _, v := range vs {
		out[int(v)] = true
	}
	return out, nil
}
