package storage_test

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/storage"
	"github.com/hamigames/lucid-node-management/storage/postgres"
	"github.com/hamigames/lucid-node-management/storage/seal"
	"github.com/hamigames/lucid-node-management/storage/storagetest"
)

var testKey = hex.EncodeToString([]byte(strings.Repeat("k", 32)))

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name, dsn, key string
		is             error
		contains       string
	}{
		{"no scheme", "lucid.db", testKey, nil, "no scheme"},
		{"unknown scheme", "mysql://x", testKey, nil, "unknown DSN scheme"},
		{"postgres without key", "postgres://user@localhost/lucid", "", postgres.ErrNoKey, "encryption key is required"},
		{"postgresql with a bad key", "postgresql://localhost/lucid", "secret", seal.ErrInvalidKey, "ENCRYPTION_KEY"},
		{"postgres unreachable", "postgres://user:hunter2@127.0.0.1:1/lucid?connect_timeout=2", testKey, nil, "postgres store: open 127.0.0.1:1/lucid"},
		{"sqlite without path", "sqlite:", testKey, nil, "needs a path"},
		{"sqlite without key", "sqlite:" + filepath.Join(dir, "a.db"), "", nil, "encryption key is required"},
		{"sqlite with a bad key", "sqlite:" + filepath.Join(dir, "b.db"), "secret", seal.ErrInvalidKey, "ENCRYPTION_KEY"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := storage.Open(context.Background(), tc.dsn, storage.Options{EncryptionKey: tc.key})
			require.Error(t, err)
			assert.Nil(t, s)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			assert.Contains(t, err.Error(), tc.contains)
			assert.NotContains(t, err.Error(), "hunter2", "a DSN's password never appears in an error")
		})
	}
}

func TestOpenMemory(t *testing.T) {
	t.Parallel()
	s, err := storage.Open(context.Background(), "memory:", storage.Options{})
	require.NoError(t, err)
	require.NoError(t, s.Ping(context.Background()))
	require.NoError(t, s.Close())
}

func TestOpenSQLiteCreatesDirectories(t *testing.T) {
	t.Chdir(t.TempDir())
	ctx := context.Background()
	for _, dsn := range []string{"sqlite:data/nested/lucid.db", "sqlite://other/lucid.db"} {
		s, err := storage.Open(ctx, dsn, storage.Options{EncryptionKey: testKey})
		require.NoError(t, err, dsn)
		n := storagetest.MinimalNode("node_open001", "opened", "", storagetest.Base)
		require.NoError(t, s.CreateNode(ctx, n))
		require.NoError(t, s.Close())

		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		info, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the database file is private")

		// Reopening keeps the data; another key is refused.
		s, err = storage.Open(ctx, dsn, storage.Options{EncryptionKey: testKey})
		require.NoError(t, err)
		got, err := s.GetNode(ctx, n.NodeID)
		require.NoError(t, err)
		assert.Equal(t, "opened", got.Name)
		require.NoError(t, s.Close())

		other, err := seal.GenerateKey()
		require.NoError(t, err)
		_, err = storage.Open(ctx, dsn, storage.Options{EncryptionKey: other})
		require.ErrorIs(t, err, seal.ErrKeyMismatch)
		assert.Contains(t, err.Error(), "encryption key does not match this database")
	}
}
