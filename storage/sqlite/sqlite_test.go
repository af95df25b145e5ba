package sqlite

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/storage/storagetest"
)

var testKey = bytes.Repeat([]byte{0x42}, 32)

func openTest(t *testing.T) *Store {
	t.Helper()
	return openTestWith(t, Options{Key: testKey})
}

func openTestWith(t *testing.T, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "lucid.db"), opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storagetest.Backend { return openTest(t) })
}

// TestConformanceNoCache runs the suite straight against the database, without the node cache.
func TestConformanceNoCache(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storagetest.Backend {
		return openTestWith(t, Options{Key: testKey, NodeCacheSize: -1})
	})
}
