// Package postgres is the PostgreSQL storage backend (pgx v5, pgxpool), for several server
// replicas sharing one database.
//
// Every read-modify-write runs in a READ COMMITTED transaction that first locks the rows it
// decides on with SELECT … FOR UPDATE: UpdateNode/DeleteNode lock the node, UpdatePool/DeletePool
// lock the pool, and AddNodeToPool/CreateNode-in-a-pool lock the pool row before counting its
// members in a separate statement (which takes a fresh snapshot after the lock is granted), so a
// pool's node count stays exact when many replicas add nodes at once. Transactions that fail with
// a serialization failure or a deadlock are retried a few times. There is no in-process cache:
// other replicas write the same rows.
//
// The schema is embedded and versioned: migrations/NNNN_name.sql files are applied in order at
// Open, recorded in schema_migrations, all in one transaction that holds a transaction-scoped
// advisory lock (keyed by the current schema), so replicas starting together do not race.
//
// A node's hardware_info and public_key are sealed with storage/seal under the operator's key,
// with the same associated data as the SQLite backend; the key check value in the meta table
// makes Open fail with seal.ErrKeyMismatch when the key differs from the one the database was
// created with. Times are timestamptz, stored in UTC at microsecond precision.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/seal"
)

var _ nodemgmt.Store = (*Store)(nil)

// Options configures Open.
type Options struct {
	// Key is the 32-byte encryption key (see seal.ParseKey). Required.
	Key []byte
	// Logger receives migration and operational messages; default slog.Default().
	Logger *slog.Logger
	// Now is the clock used for migration records; default time.Now.
	Now func() time.Time
	// MaxConns bounds the connection pool; zero keeps the URL's pool_max_conns or pgxpool's
	// default (the larger of 4 and the number of CPUs).
	MaxConns int32
	// MinConns is the number of connections kept open; zero keeps the URL's or pgxpool's default.
	MinConns int32
	// MaxRetries is how often a transaction that hit a serialization failure or a deadlock is
	// retried; default 5.
	MaxRetries int
}

// Store is the PostgreSQL backend. It is safe for concurrent use, also by several processes
// on the same database.
type Store struct {
	pool    *pgxpool.Pool
	sealer  *seal.Sealer
	log     *slog.Logger
	retries int
}

// ErrNoKey is returned by Open without an encryption key.
var ErrNoKey = errors.New("postgres store: an encryption key is required (ENCRYPTION_KEY, 32 bytes as base64 or hex; seal.GenerateKey makes one)")

// Open connects to the database at url (postgres://… or a key=value connection string),
// applies pending migrations and checks the encryption key. The caller must Close the store.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if len(opts.Key) == 0 {
		return nil, ErrNoKey
	}
	sealer, err := seal.New(opts.Key)
	if err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = 5
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message can quote the URL, password included: keep only the kind of error.
		return nil, errors.New("postgres store: cannot parse the database URL (want postgres://user:password@host:port/database?sslmode=…)")
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.MinConns > 0 {
		cfg.MinConns = min(opts.MinConns, cfg.MaxConns)
	}
	// Sessions speak UTC so that anything the server renders as text is UTC too.
	if _, ok := cfg.ConnConfig.RuntimeParams["timezone"]; !ok {
		cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	}
	where := fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres store: open %s: %w", where, err)
	}
	s := &Store{pool: pool, sealer: sealer, log: opts.Logger, retries: opts.MaxRetries}
	if err := s.init(ctx, opts.Now); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store: open %s: %w", where, err)
	}
	return s, nil
}

// init applies migrations and checks (or, on a new database, records) the key check value.
func (s *Store) init(ctx context.Context, now func() time.Time) error {
	if err := migrate(ctx, s.pool, migrationFS(), now, s.log); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return s.tx(ctx, "key check", func(tx pgx.Tx) error {
		// The first replica to get here records its key; every later open compares.
		if _, err := tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('key_check', $1) ON CONFLICT (key) DO NOTHING`,
			s.sealer.CheckValue()); err != nil {
			return internal("key check", err)
		}
		var stored string
		if err := tx.QueryRow(ctx, `SELECT value FROM meta WHERE key = 'key_check'`).Scan(&stored); err != nil {
			return internal("key check", err)
		}
		return s.sealer.Verify(stored)
	})
}

// Close closes the connection pool, waiting for connections in use to be returned.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping checks that a connection can be acquired and answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return internal("ping", err)
	}
	return nil
}

// tx runs fn in a READ COMMITTED transaction and commits if fn returns nil. fn's own errors are
// returned unchanged. A transaction that failed with a serialization failure or a deadlock is
// retried from the start (fn is called again), so fn must not have effects outside tx.
func (s *Store) tx(ctx context.Context, op string, fn func(tx pgx.Tx) error) error {
	var err error
	for attempt := 0; ; attempt++ {
		err = s.tryTx(ctx, op, fn)
		if err == nil || !retryable(err) || attempt >= s.retries || ctx.Err() != nil {
			return err
		}
		// Back off a little, more each time, so the competing transaction can finish.
		t := time.NewTimer(time.Duration(attempt+1) * 2 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

func (s *Store) tryTx(ctx context.Context, op string, fn func(tx pgx.Tx) error) (err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return internal(op, err)
	}
	// Roll back on error and on panic, so a failing callback never leaves a connection inside
	// an open transaction. The rollback must run even when ctx is already cancelled.
	done := false
	defer func() {
		if !done {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	done = true
	if err := tx.Commit(ctx); err != nil {
		return internal(op, err)
	}
	return nil
}

// retryable reports whether err is a serialization failure or a deadlock, after which the whole
// transaction can simply be run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// uniqueViolation returns the name of the violated unique constraint, or "" if err is not a
// unique violation (SQLSTATE 23505).
func uniqueViolation(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		if pe.ConstraintName == "" {
			return "?"
		}
		return pe.ConstraintName
	}
	return ""
}

// internal wraps an unexpected database error with the operation; the server answers it with a
// 500 that does not carry this text.
func internal(op string, err error) error {
	return fmt.Errorf("postgres store: %s: %w", op, err)
}

// norm is the stored form of a time: UTC, truncated to microseconds (timestamptz precision).
func norm(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// normPtr is norm for optional times; nil stays nil (NULL).
func normPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := norm(*t)
	return &v
}

// utcPtr turns a scanned optional timestamptz into UTC.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

// limitArg is a LIMIT argument: NULL (no limit) for zero or negative.
func limitArg(limit int) any {
	if limit <= 0 {
		return nil
	}
	return int64(limit)
}
