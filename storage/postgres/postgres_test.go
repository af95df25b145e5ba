package postgres_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage"
	"github.com/hamigames/lucid-node-management/storage/postgres"
	"github.com/hamigames/lucid-node-management/storage/seal"
	"github.com/hamigames/lucid-node-management/storage/storagetest"
)

var (
	ctx     = context.Background()
	testKey = bytes.Repeat([]byte{0x42}, 32)
)

// testURL returns LUCID_TEST_POSTGRES_URL or skips the test.
func testURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("LUCID_TEST_POSTGRES_URL")
	if u == "" {
		t.Skip("LUCID_TEST_POSTGRES_URL is not set: skipping the PostgreSQL backend tests " +
			"(set it to e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	return u
}

func open(t testing.TB, dsn string, key []byte) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(ctx, dsn, postgres.Options{Key: key})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestConformance(t *testing.T) {
	testURL(t)
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storagetest.Backend { return open(t, cleanSchema(t), testKey) })
}

// TestReplicasPoolAdds races adds to one pool through two stores on the same database, as two
// server replicas would: the capacity holds exactly and both see the same count.
func TestReplicasPoolAdds(t *testing.T) {
	t.Parallel()
	dsn := cleanSchema(t)
	a, b := open(t, dsn, testKey), open(t, dsn, testKey)
	const workers, capacity = 40, 10
	require.NoError(t, a.CreatePool(ctx, storagetest.SimplePool("pool_shared", "shared", capacity, storagetest.Base)))
	for i := range workers {
		require.NoError(t, a.CreateNode(ctx, storagetest.MinimalNode(fmt.Sprintf("node_r%03d", i), fmt.Sprintf("replica-%03d", i), "", storagetest.Base)))
	}
	var ok, full atomic.Int32
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range workers {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := s.AddNodeToPool(ctx, "pool_shared", fmt.Sprintf("node_r%03d", i), 50, storagetest.Base)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, nodemgmt.ErrResourceLimit):
				full.Add(1)
			default:
				errs <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int32(capacity), ok.Load())
	assert.Equal(t, int32(workers-capacity), full.Load())
	for _, s := range []*postgres.Store{a, b} {
		p, err := s.GetPool(ctx, "pool_shared")
		require.NoError(t, err)
		assert.Equal(t, capacity, p.NodeCount)
		page, err := s.ListNodes(ctx, nodemgmt.NodeFilter{PoolID: "pool_shared"})
		require.NoError(t, err)
		assert.Equal(t, capacity, page.Total)
	}
}

// TestReplicasLease: of many holders on two replicas asking at once, exactly one gets the lease,
// and the other replica sees it held until it expires.
func TestReplicasLease(t *testing.T) {
	t.Parallel()
	dsn := cleanSchema(t)
	a, b := open(t, dsn, testKey), open(t, dsn, testKey)
	var winners atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 20 {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			got, err := s.AcquireLease(ctx, "reaper", fmt.Sprintf("replica-%d", i), storagetest.Base, time.Minute)
			assert.NoError(t, err)
			if got {
				winners.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(1), winners.Load())
	got, err := b.AcquireLease(ctx, "reaper", "late", storagetest.Base.Add(59*time.Second), time.Minute)
	require.NoError(t, err)
	assert.False(t, got, "still held")
	got, err = a.AcquireLease(ctx, "reaper", "late", storagetest.Base.Add(time.Minute), time.Minute)
	require.NoError(t, err)
	assert.True(t, got, "expired")
}

// TestConcurrentOpen starts several replicas on an empty schema at once: the advisory lock lets
// one migrate while the others wait, and every one opens.
func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	dsn := emptySchema(t)
	const replicas = 4
	stores := make([]*postgres.Store, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stores[i], errs[i] = postgres.Open(ctx, dsn, postgres.Options{Key: testKey, MaxConns: 2})
		}()
	}
	close(start)
	wg.Wait()
	for i := range replicas {
		require.NoError(t, errs[i], "replica %d", i)
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var versions, dups int
	require.NoError(t, conn.QueryRow(ctx, `SELECT COUNT(*), COUNT(*) - COUNT(DISTINCT version) FROM schema_migrations`).Scan(&versions, &dups))
	assert.Positive(t, versions)
	assert.Zero(t, dups)
	var checks int
	require.NoError(t, conn.QueryRow(ctx, `SELECT COUNT(*) FROM meta WHERE key = 'key_check'`).Scan(&checks))
	assert.Equal(t, 1, checks)
	// Every replica works on the same data.
	require.NoError(t, stores[0].CreateNode(ctx, storagetest.MinimalNode("node_open01", "opened", "", storagetest.Base)))
	_, err = stores[replicas-1].GetNode(ctx, "node_open01")
	require.NoError(t, err)
}

func TestWrongKeyRefused(t *testing.T) {
	t.Parallel()
	dsn := cleanSchema(t)
	s := open(t, dsn, testKey)
	require.NoError(t, s.CreateNode(ctx, storagetest.FullNode("node_key001", "keyed", "", storagetest.Base)))

	_, err := postgres.Open(ctx, dsn, postgres.Options{Key: bytes.Repeat([]byte{0x43}, 32)})
	require.ErrorIs(t, err, seal.ErrKeyMismatch)
	assert.Contains(t, err.Error(), "encryption key does not match this database")
	assert.NotContains(t, err.Error(), "search_path", "the error names host and database, not the URL")

	// The right key still opens it and reads the sealed columns.
	again := open(t, dsn, testKey)
	n, err := again.GetNode(ctx, "node_key001")
	require.NoError(t, err)
	assert.Equal(t, "hwsig-0123456789abcdef", n.HardwareInfo.Signature)
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	_, err := postgres.Open(ctx, "postgres://x@127.0.0.1:1/db", postgres.Options{})
	require.ErrorIs(t, err, postgres.ErrNoKey)
	_, err = postgres.Open(ctx, "postgres://x@127.0.0.1:1/db", postgres.Options{Key: []byte("short")})
	require.ErrorIs(t, err, seal.ErrInvalidKey)
	_, err = postgres.Open(ctx, "postgres://user:secret@%zz/db", postgres.Options{Key: testKey})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret", "the password is never echoed")
}

// TestSealedAtRest reads the raw columns: hardware_info and public_key are not stored in the
// clear, and a sealed value moved to another row does not open there.
func TestSealedAtRest(t *testing.T) {
	t.Parallel()
	dsn := cleanSchema(t)
	s := open(t, dsn, testKey)
	require.NoError(t, s.CreateNode(ctx, storagetest.FullNode("node_seal01", "sealed-1", "", storagetest.Base)))
	require.NoError(t, s.CreateNode(ctx, storagetest.FullNode("node_seal02", "sealed-2", "", storagetest.Base)))
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var hw, pk []byte
	require.NoError(t, conn.QueryRow(ctx, `SELECT hardware_info, public_key FROM nodes WHERE node_id = 'node_seal01'`).Scan(&hw, &pk))
	assert.NotContains(t, string(hw), "aa:bb:cc:dd:ee:01")
	assert.NotContains(t, string(hw), "hwsig")
	assert.NotContains(t, string(pk), "11qYAYKx")

	_, err = conn.Exec(ctx, `UPDATE nodes SET hardware_info = $1 WHERE node_id = 'node_seal02'`, hw)
	require.NoError(t, err)
	_, err = s.GetNode(ctx, "node_seal02")
	require.ErrorIs(t, err, seal.ErrOpen)
}

// TestNewerSchemaRefused: a database migrated by a newer binary is not opened by an older one.
func TestNewerSchemaRefused(t *testing.T) {
	t.Parallel()
	dsn := emptySchema(t)
	_ = open(t, dsn, testKey)
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', now())`)
	require.NoError(t, err)
	_, err = postgres.Open(ctx, dsn, postgres.Options{Key: testKey})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "schema version 9999")
}

// TestOpenThroughStorage opens the backend the way the server does, by DSN.
func TestOpenThroughStorage(t *testing.T) {
	t.Parallel()
	dsn := cleanSchema(t)
	s, err := storage.Open(ctx, dsn, storage.Options{EncryptionKey: hex.EncodeToString(testKey)})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	require.NoError(t, s.Ping(ctx))
	require.NoError(t, s.CreateNode(ctx, storagetest.MinimalNode("node_dsn001", "by-dsn", "", storagetest.Base)))
	_, err = s.GetNode(ctx, "node_dsn001")
	require.NoError(t, err)

	_, err = storage.Open(ctx, dsn, storage.Options{EncryptionKey: hex.EncodeToString(bytes.Repeat([]byte{1}, 32))})
	require.ErrorIs(t, err, seal.ErrKeyMismatch)
}

// TestJSONColumnsKeepAnyString: nested values are json, not jsonb, so strings jsonb refuses
// (a NUL character) round-trip like in the other backends.
func TestJSONColumnsKeepAnyString(t *testing.T) {
	t.Parallel()
	s := open(t, cleanSchema(t), testKey)
	n := storagetest.FullNode("node_nul001", "nul", "", storagetest.Base)
	n.Location.City = "a\x00b"
	require.NoError(t, s.CreateNode(ctx, n))
	got, err := s.GetNode(ctx, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, "a\x00b", got.Location.City)

	require.NoError(t, s.AppendAudit(ctx, nodemgmt.AuditEntry{ID: "a1", At: storagetest.Base, Category: "node", Actor: "ops",
		Action: "update", Target: n.NodeID, Result: "ok", Details: map[string]any{"reason": "x\x00y"}}))
	es, err := s.ListAudit(ctx, nodemgmt.AuditFilter{Target: n.NodeID})
	require.NoError(t, err)
	require.Len(t, es, 1)
	assert.Equal(t, "x\x00y", es[0].Details["reason"])
}
