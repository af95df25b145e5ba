// Package sqlite is the embedded storage backend: pure-Go SQLite (modernc.org/sqlite) in WAL
// mode, in one file.
//
// Writes go through a single connection, each in a BEGIN IMMEDIATE transaction, so every
// read-modify-write (a pool's capacity check and the membership change, an UpdateNode callback)
// is serialised without retry loops; a pool's node count is derived by COUNT inside that same
// transaction and is therefore exact. Reads use a separate pool of read-only connections, which
// WAL lets run alongside the writer; hot read statements are prepared once and reused.
//
// The schema is embedded and versioned: migrations/NNNN_name.sql files are applied in order at
// Open, each once, in its own transaction, and recorded in schema_migrations. Version numbers
// follow the order the domains landed in: 0001 nodes, pools, audit, leases, meta; 0002 node
// uptime; 0003 PoOT; 0004 payouts; 0005 resources. A new change is a new file with the next number.
//
// A node's hardware_info (MAC addresses, hardware signature) and public_key are sealed with
// storage/seal under the operator's key; the key check value in the meta table makes Open fail
// with seal.ErrKeyMismatch when the key differs from the one the database was created with.
// Times are stored as INTEGER microseconds (UTC).
//
// Decoded nodes are cached for GetNode and ListNodes (Options.NodeCacheSize); every node write
// removes its nodes before and after its transaction, so a cached node is always the latest
// committed row. This relies on the process being the file's only writer: do not point two
// servers at one SQLite file (use PostgreSQL for several replicas).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

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
	// ReadConns is the size of the read-only connection pool; default max(4, GOMAXPROCS).
	ReadConns int
	// BusyTimeout is how long a connection waits for a lock held by another process; default 5 s.
	BusyTimeout time.Duration
	// Now is the clock used for migration records; default time.Now.
	Now func() time.Time
	// NodeCacheSize bounds the cache of decoded nodes behind GetNode; default 10,000, negative
	// disables it. The cache relies on this process being the database's only writer.
	NodeCacheSize int
}

// Store is the SQLite backend. It is safe for concurrent use.
type Store struct {
	path   string
	w      *sql.DB // exactly one connection; every write is a BEGIN IMMEDIATE transaction
	r      *sql.DB // read-only connections
	sealer *seal.Sealer
	log    *slog.Logger
	wst    stmtCache
	rst    stmtCache
	cache  *nodeCache // nil when disabled
	poot   pootState  // PoOT group commit and evidence cache (poot_batch.go)
	// payouts is the group commit of payout transitions (payout_group.go).
	payouts payoutGroup
}

// ErrNoKey is returned by Open without an encryption key.
var ErrNoKey = errors.New("sqlite store: an encryption key is required (ENCRYPTION_KEY, 32 bytes as base64 or hex; seal.GenerateKey makes one)")

// Open opens (creating if needed) the database file at path, applies pending migrations and
// checks the encryption key.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	return open(ctx, path, opts, migrationFS())
}

func migrationFS() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

func open(ctx context.Context, path string, opts Options, migs fs.FS) (*Store, error) {
	if len(opts.Key) == 0 {
		return nil, ErrNoKey
	}
	sealer, err := seal.New(opts.Key)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return nil, errors.New("sqlite store: empty database path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite store: database path %q must not contain '?' or '#'", path)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ReadConns <= 0 {
		opts.ReadConns = max(4, runtime.GOMAXPROCS(0))
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.NodeCacheSize == 0 {
		opts.NodeCacheSize = 10_000
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("sqlite store: create directory: %w", err)
		}
	}
	// Create the file owner-only before SQLite creates it with wider permissions.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: open %s: %w", path, err)
	}
	_ = f.Close()

	common := fmt.Sprintf("?_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=temp_store(memory)",
		opts.BusyTimeout.Milliseconds())
	// The writer checkpoints every 10,000 WAL pages (about 40 MB) instead of SQLite's 1,000: a
	// page rewritten by many commits (hot index leaves) is copied back once, which took a
	// 1000-proof PoOT batch from about 500 to 370 ms here. The cost is a WAL file of up to
	// ~40 MB between checkpoints, truncated back to 64 MB at most after one.
	w, err := sql.Open("sqlite", path+common+"&_pragma=journal_mode(WAL)&_pragma=wal_autocheckpoint(10000)&_pragma=journal_size_limit(67108864)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{path: path, w: w, sealer: sealer, log: opts.Logger, cache: newNodeCache(opts.NodeCacheSize)}
	s.wst.db = w
	if err := s.init(ctx, opts, migs); err != nil {
		_ = w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", path+common+"&_pragma=query_only(1)&_pragma=cache_size(-16000)")
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("sqlite store: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(opts.ReadConns)
	r.SetMaxIdleConns(opts.ReadConns)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	s.r = r
	s.rst.db = r
	if err := r.PingContext(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("sqlite store: open %s: %w", path, err)
	}
	if err := s.rst.prepare(ctx, readQueries()...); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("sqlite store: open %s: %w", path, err)
	}
	return s, nil
}

// init applies migrations and checks (or, on a new database, records) the key check value.
func (s *Store) init(ctx context.Context, opts Options, migs fs.FS) error {
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("sqlite store: open %s: %w", s.path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("sqlite store: open %s: journal mode is %q, want wal", s.path, mode)
	}
	if err := migrate(ctx, s.w, migs, opts.Now, s.log); err != nil {
		return fmt.Errorf("sqlite store: migrate %s: %w", s.path, err)
	}
	if err := s.wst.prepare(ctx, writeQueries...); err != nil {
		return fmt.Errorf("sqlite store: open %s: %w", s.path, err)
	}
	return s.write(ctx, "key check", func(tx *sql.Tx) error {
		var stored string
		err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'key_check'`).Scan(&stored)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('key_check', ?)`, s.sealer.CheckValue())
			return err
		case err != nil:
			return err
		}
		if err := s.sealer.Verify(stored); err != nil {
			return fmt.Errorf("sqlite store: open %s: %w", s.path, err)
		}
		return nil
	})
}

// writeQueries are the statements writer transactions use, prepared at Open.
var writeQueries = []string{qGetNode, qNodeExists, qInsertNode, qUpdateNode, qGetPool, qInsertAudit}

// readQueries are the hot reads and every statement a read transaction uses, prepared at Open.
func readQueries() []string {
	qs := []string{qGetNode, qGetPool, qStaleNodes, qCountNodes, qListPools, qListPoolsAfter}
	for _, status := range []nodemgmt.Status{"", nodemgmt.StatusActive} {
		for _, pool := range []string{"", "p"} {
			for _, health := range []nodemgmt.Health{"", nodemgmt.HealthHealthy} {
				for _, after := range []*nodemgmt.Cursor{nil, {}} {
					page, count, _, _ := nodeListQueries(nodemgmt.NodeFilter{Status: status, PoolID: pool, Health: health, After: after})
					qs = append(qs, page, count)
				}
			}
		}
	}
	return qs
}

// Close closes both connection pools, first letting SQLite refresh its planner statistics.
func (s *Store) Close() error {
	var errs []error
	if _, err := s.w.Exec("PRAGMA optimize"); err != nil {
		s.log.Warn("sqlite: optimize on close", "err", err)
	}
	s.rst.close()
	s.wst.close()
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	return errors.Join(errs...)
}

// Ping runs a query on a read connection.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return internal("ping", err)
	}
	return nil
}

// write runs fn in a BEGIN IMMEDIATE transaction on the single writer connection and commits if
// fn returns nil. fn's errors are returned unchanged; failures of the transaction itself are
// wrapped.
func (s *Store) write(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return internal(op, err)
	}
	// A panicking callback must not keep the only writer connection in an open transaction.
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return internal(op, err)
	}
	return nil
}

// internal wraps an unexpected database error with the operation; the server answers it with a
// 500 that does not carry this text.
func internal(op string, err error) error {
	return fmt.Errorf("sqlite store: %s: %w", op, err)
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY constraint violation.
func isUnique(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// stmtCache keeps prepared statements per connection pool; database/sql then prepares each one
// lazily on every connection it is used on and keeps it there.
//
// A statement must exist before a transaction uses it: creating one takes a connection from the
// pool, which a transaction already holding the writer's only connection (or the last free
// reader) would wait for forever. So the statements transactions use are prepared at Open, and a
// transaction that meets an unknown query prepares it on its own connection instead.
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[query]
}

// get returns the cached statement, preparing it if needed. It must not be called while the
// caller holds a connection of c.db.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := c.lookup(query); st != nil {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.m[query]; prev != nil {
		_ = st.Close()
		return prev, nil
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st, nil
}

// prepare creates the statements for queries up front.
func (c *stmtCache) prepare(ctx context.Context, queries ...string) error {
	for _, q := range queries {
		if _, err := c.get(ctx, q); err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
	}
	return nil
}

// txStmt returns the statement for query bound to tx, without taking another connection.
func (c *stmtCache) txStmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	if st := c.lookup(query); st != nil {
		return tx.StmtContext(ctx, st), nil
	}
	return tx.PrepareContext(ctx, query)
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		_ = st.Close()
	}
	c.m = nil
}

// micros is the stored form of a time.
func micros(t time.Time) int64 { return t.UTC().Truncate(time.Microsecond).UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func norm(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(*t), Valid: true}
}

func fromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}
