package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/internal/migrations"
	"github.com/hamigames/lucid-node-management/storage/seal"
	"github.com/hamigames/lucid-node-management/storage/storagetest"
)

var ctx = context.Background()

func fixedNow() time.Time { return time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC) }

func TestOpenWithoutKey(t *testing.T) {
	t.Parallel()
	_, err := Open(ctx, filepath.Join(t.TempDir(), "x.db"), Options{})
	require.ErrorIs(t, err, ErrNoKey)
	_, err = Open(ctx, filepath.Join(t.TempDir(), "x.db"), Options{Key: []byte("short")})
	require.ErrorIs(t, err, seal.ErrInvalidKey)
}

func TestKeyMismatch(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "lucid.db")
	s, err := Open(ctx, path, Options{Key: testKey})
	require.NoError(t, err)
	n := storagetest.FullNode("node_key001", "keyed", "", storagetest.Base)
	require.NoError(t, s.CreateNode(ctx, n))
	require.NoError(t, s.Close())

	_, err = Open(ctx, path, Options{Key: bytes.Repeat([]byte{7}, 32)})
	require.ErrorIs(t, err, seal.ErrKeyMismatch)
	assert.Contains(t, err.Error(), "encryption key does not match this database")

	s, err = Open(ctx, path, Options{Key: testKey})
	require.NoError(t, err)
	defer s.Close()
	got, err := s.GetNode(ctx, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, storagetest.ExpectedNode(t, n), got)
}

// rawDB opens the file without the store, as someone who copied it would.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestSealedAtRest(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "lucid.db")
	s, err := Open(ctx, path, Options{Key: testKey})
	require.NoError(t, err)
	a := storagetest.FullNode("node_seal01", "sealed-a", "", storagetest.Base)
	b := storagetest.FullNode("node_seal02", "sealed-b", "", storagetest.Base)
	b.HardwareInfo.Signature = "other-signature"
	require.NoError(t, s.CreateNode(ctx, a))
	require.NoError(t, s.CreateNode(ctx, b))

	secrets := [][]byte{[]byte("aa:bb:cc:dd:ee:01"), []byte("hwsig-0123456789abcdef"), []byte(a.PublicKey)}
	for _, suffix := range []string{"", "-wal"} {
		raw, err := os.ReadFile(path + suffix)
		require.NoError(t, err)
		for _, secret := range secrets {
			assert.False(t, bytes.Contains(raw, secret), "%s in plain text in %s", secret, filepath.Base(path+suffix))
		}
	}
	// Non-sensitive columns stay readable for operators.
	db := rawDB(t, path)
	var name, location string
	require.NoError(t, db.QueryRow(`SELECT name, location FROM nodes WHERE node_id = ?`, a.NodeID).Scan(&name, &location))
	assert.Equal(t, "sealed-a", name)
	assert.Contains(t, location, "Munich")

	// A sealed value moved to another row is refused, never served as that row's data.
	_, err = db.Exec(`UPDATE nodes SET hardware_info = (SELECT hardware_info FROM nodes WHERE node_id = ?) WHERE node_id = ?`,
		a.NodeID, b.NodeID)
	require.NoError(t, err)
	_, err = s.GetNode(ctx, b.NodeID)
	require.ErrorIs(t, err, seal.ErrOpen)
	var lucid interface{ LucidCode() string }
	assert.False(t, errors.As(err, &lucid), "an internal error, not a domain answer")
	require.NoError(t, s.Close())
}

func TestDomainErrorsHideTheDriver(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	require.NoError(t, s.CreateNode(ctx, storagetest.MinimalNode("node_hyg001", "same", "", storagetest.Base)))
	err := s.CreateNode(ctx, storagetest.MinimalNode("node_hyg002", "same", "", storagetest.Base))
	require.ErrorIs(t, err, nodemgmt.ErrNodeExists)
	assert.NotContains(t, err.Error(), "constraint")
	assert.NotContains(t, err.Error(), "SQL")
	require.NoError(t, s.CreatePool(ctx, storagetest.SimplePool("pool_hyg001", "p", 1, storagetest.Base)))
	err = s.CreatePool(ctx, storagetest.SimplePool("pool_hyg002", "p", 1, storagetest.Base))
	require.ErrorIs(t, err, nodemgmt.ErrPoolExists)
	assert.NotContains(t, err.Error(), "constraint")
}

func TestPragmasAndReadOnlyPool(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1", "busy_timeout": "5000"} {
		var got string
		require.NoError(t, s.w.QueryRow("PRAGMA "+pragma).Scan(&got), pragma)
		assert.Equal(t, want, got, pragma)
	}
	var maxOpen = s.w.Stats().MaxOpenConnections
	assert.Equal(t, 1, maxOpen, "one writer connection")
	_, err := s.r.Exec(`INSERT INTO meta (key, value) VALUES ('x', 'y')`)
	require.Error(t, err, "the read pool cannot write")
}

func TestPersistsAcrossReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "lucid.db")
	s, err := Open(ctx, path, Options{Key: testKey, Now: fixedNow})
	require.NoError(t, err)
	require.NoError(t, s.CreatePool(ctx, storagetest.FullPool("pool_keep01", "keep", 5, storagetest.Base)))
	n := storagetest.FullNode("node_keep01", "kept", "pool_keep01", storagetest.Base)
	require.NoError(t, s.CreateNode(ctx, n))
	require.NoError(t, s.Close())

	s, err = Open(ctx, path, Options{Key: testKey, Now: fixedNow})
	require.NoError(t, err)
	defer s.Close()
	got, err := s.GetNode(ctx, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, storagetest.ExpectedNode(t, n), got)
	p, err := s.GetPool(ctx, "pool_keep01")
	require.NoError(t, err)
	assert.Equal(t, 1, p.NodeCount)

	var versions, applied int64
	require.NoError(t, s.r.QueryRow(`SELECT COUNT(*), MAX(applied_at) FROM schema_migrations`).Scan(&versions, &applied))
	all, err := migrations.Load(migrationFS())
	require.NoError(t, err)
	assert.EqualValues(t, len(all), versions, "migrations are applied once")
	assert.Equal(t, fixedNow().UnixMicro(), applied)
}

// TestNoDeadlockWithOneReader runs read transactions and writes together on the smallest pools,
// where preparing a statement inside a transaction would wait for a connection forever.
func TestNoDeadlockWithOneReader(t *testing.T) {
	t.Parallel()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "lucid.db"), Options{Key: testKey, ReadConns: 1})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.CreatePool(ctx, storagetest.SimplePool("pool_dl0001", "dl", 100, storagetest.Base)))
	filters := []nodemgmt.NodeFilter{{}, {Status: nodemgmt.StatusInactive}, {PoolID: "pool_dl0001", Limit: 5},
		{Health: nodemgmt.HealthUnknown, After: &nodemgmt.Cursor{}}, {Status: nodemgmt.StatusActive, PoolID: "pool_dl0001", Health: nodemgmt.HealthDown}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range 10 {
					_, _ = s.ListNodes(ctx, filters[(i+j)%len(filters)])
					_, _ = s.ListPools(ctx, nodemgmt.PoolFilter{Limit: 3})
					_ = s.CreateNode(ctx, storagetest.MinimalNode(fmt.Sprintf("node_dl%02d%02d", i, j), fmt.Sprintf("dl-%d-%d", i, j), "pool_dl0001", storagetest.Base))
					_, _ = s.UpdatePool(ctx, "pool_dl0001", func(p *nodemgmt.Pool) error { p.Description = "x"; return nil })
				}
			}()
		}
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("store deadlocked")
	}
	page, err := s.ListNodes(ctx, nodemgmt.NodeFilter{PoolID: "pool_dl0001"})
	require.NoError(t, err)
	assert.Equal(t, 80, page.Total)
}

// TestLoadMigrations checks the embedded set; the loader's own rules are tested in
// storage/internal/migrations.
func TestLoadMigrations(t *testing.T) {
	t.Parallel()
	// The embedded set starts at 0001 and loads.
	migs, err := migrations.Load(migrationFS())
	require.NoError(t, err)
	require.NotEmpty(t, migs)
	assert.Equal(t, 1, migs[0].Version)
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	db := rawDB(t, filepath.Join(t.TempDir(), "m.db"))
	log := slog.New(slog.DiscardHandler)
	v1 := fstest.MapFS{"0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (1);")}}
	require.NoError(t, migrate(ctx, db, v1, fixedNow, log))
	require.NoError(t, migrate(ctx, db, v1, fixedNow, log), "applied once")
	var n int
	require.NoError(t, db.QueryRow(`SELECT COUNT(*) FROM a`).Scan(&n))
	assert.Equal(t, 1, n)

	// A later migration is all it takes to extend the schema.
	v2 := fstest.MapFS{"0001_a.sql": v1["0001_a.sql"], "0002_b.sql": {Data: []byte("CREATE TABLE b (y TEXT);")}}
	require.NoError(t, migrate(ctx, db, v2, fixedNow, log))
	_, err := db.Exec(`INSERT INTO b VALUES ('ok')`)
	require.NoError(t, err)

	// A failing migration leaves nothing behind: no half-created table, no version record.
	bad := fstest.MapFS{"0001_a.sql": v1["0001_a.sql"], "0002_b.sql": v2["0002_b.sql"],
		"0003_bad.sql": {Data: []byte("CREATE TABLE c (z); INSERT INTO nowhere VALUES (1);")}}
	require.Error(t, migrate(ctx, db, bad, fixedNow, log))
	var c int
	require.NoError(t, db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'c'`).Scan(&c))
	assert.Zero(t, c)
	require.NoError(t, db.QueryRow(`SELECT COUNT(*) FROM schema_migrations WHERE version = 3`).Scan(&c))
	assert.Zero(t, c)

	// A database from a newer binary is refused.
	err = migrate(ctx, db, v1, fixedNow, log)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "newer version")
}

// TestCacheNeverServesStaleNodes reads and lists nodes from many goroutines while others update
// them; listings must always match their filter, and once the writers are done every read must
// see the last write, so no stale value stayed cached.
func TestCacheNeverServesStaleNodes(t *testing.T) {
	t.Parallel()
	s := openTestWith(t, Options{Key: testKey, NodeCacheSize: 2})
	ids := []string{"node_cache01", "node_cache02", "node_cache03"}
	for _, id := range ids {
		n := storagetest.MinimalNode(id, id[5:], "", storagetest.Base)
		n.Configuration = &nodemgmt.Configuration{}
		require.NoError(t, s.CreateNode(ctx, n))
	}
	const writers, each = 3, 40
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for r := range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				_, _ = s.GetNode(ctx, ids[(r+i)%len(ids)])
				// A listing mixes cached nodes with its snapshot only when that is exact.
				page, err := s.ListNodes(ctx, nodemgmt.NodeFilter{Status: nodemgmt.StatusActive})
				if assert.NoError(t, err) {
					for _, n := range page.Nodes {
						assert.Equal(t, nodemgmt.StatusActive, n.Status, "listing returned a node outside its filter")
					}
					assert.Equal(t, page.Total, len(page.Nodes))
				}
			}
		}()
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				_, err := s.UpdateNode(ctx, ids[w], func(n *nodemgmt.Node) error {
					n.Configuration.MaxSessions++
					n.Status = map[bool]nodemgmt.Status{true: nodemgmt.StatusActive, false: nodemgmt.StatusInactive}[n.Configuration.MaxSessions%2 == 1]
					return nil
				})
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	for _, id := range ids {
		n, err := s.GetNode(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, each, n.Configuration.MaxSessions, id)
	}
	// A cached node handed out is the caller's to change.
	n, err := s.GetNode(ctx, ids[0])
	require.NoError(t, err)
	n.Configuration.MaxSessions = -1
	n, err = s.GetNode(ctx, ids[0])
	require.NoError(t, err)
	assert.Equal(t, each, n.Configuration.MaxSessions)
	// A bulk update empties the cache.
	until := storagetest.Base.Add(time.Hour)
	_, err = s.ExtendHealthDeadlines(ctx, until)
	require.NoError(t, err)
	n, err = s.GetNode(ctx, ids[0])
	require.NoError(t, err)
	require.NotNil(t, n.HealthDeadline)
	assert.Equal(t, storagetest.Normalize(until), *n.HealthDeadline)
}
