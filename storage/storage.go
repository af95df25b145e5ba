// Package storage opens the storage backend a DSN names and returns one value that satisfies
// every domain store interface (today nodemgmt.Store; the PoOT, payout and resource stores join
// it as those domains land).
//
// DSNs:
//
//	memory:              in-memory (tests, embedding); nothing survives the process
//	sqlite:PATH          embedded SQLite file at PATH (relative to the working directory, or
//	                     absolute); parent directories are created. sqlite://PATH also works.
//	postgres://…         PostgreSQL (postgresql://… too); several server replicas may share
//	                     one database. Pool settings such as pool_max_conns go in the URL's
//	                     query, where pgxpool reads them.
//
// Every backend passes storage/storagetest. The SQLite and PostgreSQL backends require an
// encryption key (Options.EncryptionKey); see storage/seal for its format and seal.GenerateKey.
// One SQLite file serves one process.
package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/storage/memory"
	"github.com/hamigames/lucid-node-management/storage/postgres"
	"github.com/hamigames/lucid-node-management/storage/seal"
	"github.com/hamigames/lucid-node-management/storage/sqlite"
)

// Store is what Open returns: every domain store interface plus Close. It grows as domains
// are added.
type Store interface {
	nodemgmt.Store
	poot.Store
	nodemgmt.ResourceStore
	payout.Store
	payout.WalletStore
	// Close releases the backend's resources.
	Close() error
}

var (
	_ Store = (*memory.Store)(nil)
	_ Store = (*sqlite.Store)(nil)
	_ Store = (*postgres.Store)(nil)
)

// Options configures Open.
type Options struct {
	// EncryptionKey is the ENCRYPTION_KEY text: 32 bytes as standard base64 or 64 hex
	// characters. Required for sqlite and postgres; ignored by memory.
	EncryptionKey string
	// Logger receives the backend's operational messages (migrations); default slog.Default().
	Logger *slog.Logger
}

// Open opens the backend named by dsn. The caller must Close it.
func Open(ctx context.Context, dsn string, opts Options) (Store, error) {
	scheme, rest, ok := strings.Cut(dsn, ":")
	if !ok {
		return nil, fmt.Errorf("storage: DSN %q has no scheme: want memory:, sqlite:PATH or postgres://…", dsn)
	}
	switch strings.ToLower(scheme) {
	case "memory":
		return memory.New(), nil
	case "sqlite", "sqlite3":
		path := strings.TrimPrefix(rest, "//")
		if path == "" {
			return nil, errors.New("storage: sqlite DSN needs a path: sqlite:PATH")
		}
		if opts.EncryptionKey == "" {
			return nil, fmt.Errorf("storage: %w", sqlite.ErrNoKey)
		}
		key, err := seal.ParseKey(opts.EncryptionKey)
		if err != nil {
			return nil, fmt.Errorf("storage: ENCRYPTION_KEY: %w", err)
		}
		return sqlite.Open(ctx, path, sqlite.Options{Key: key, Logger: opts.Logger})
	case "postgres", "postgresql":
		if opts.EncryptionKey == "" {
			return nil, fmt.Errorf("storage: %w", postgres.ErrNoKey)
		}
		key, err := seal.ParseKey(opts.EncryptionKey)
		if err != nil {
			return nil, fmt.Errorf("storage: ENCRYPTION_KEY: %w", err)
		}
		s, err := postgres.Open(ctx, dsn, postgres.Options{Key: key, Logger: opts.Logger})
		if err != nil {
			return nil, err // not a typed nil inside the interface
		}
		return s, nil
	default:
		return nil, fmt.Errorf("storage: unknown DSN scheme %q: want memory:, sqlite:PATH or postgres://…", scheme)
	}
}
