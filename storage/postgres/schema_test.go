package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// Every test works in a schema of its own, so tests are isolated and run in parallel. Creating
// and migrating a schema costs about a second of DDL on a small machine, so schemas that a test
// only used (without touching schema_migrations) are emptied afterwards and handed to the next
// test: cleanSchema returns a schema that no other running test uses and that holds no rows.
// TestMain drops them all at the end.
var schemas = struct {
	sync.Mutex
	free    []string
	created []string
}{}

// firstDeleted are tables referencing others, emptied before the rest.
var firstDeleted = []string{"payout_txs", "nodes"}

func newSchemaName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "lucid_test_" + hex.EncodeToString(b)
}

func createSchema(t testing.TB, base string) string {
	t.Helper()
	schema := newSchemaName()
	conn, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	return schema
}

// cleanSchema returns a URL whose connections use an empty schema (tables may exist, without
// rows) as their search_path, for this test alone.
func cleanSchema(t testing.TB) string {
	t.Helper()
	base := testURL(t)
	schemas.Lock()
	var schema string
	if n := len(schemas.free); n > 0 {
		schema, schemas.free = schemas.free[n-1], schemas.free[:n-1]
	}
	schemas.Unlock()
	if schema == "" {
		schema = createSchema(t, base)
		schemas.Lock()
		schemas.created = append(schemas.created, schema)
		schemas.Unlock()
	}
	// Registered before the test opens its stores, so it runs after they are closed.
	t.Cleanup(func() {
		if err := emptySchemaTables(base, schema); err != nil {
			t.Errorf("empty schema %s: %v", schema, err)
			return // not reused
		}
		schemas.Lock()
		schemas.free = append(schemas.free, schema)
		schemas.Unlock()
	})
	return withSearchPath(t, base, schema)
}

// emptySchemaTables deletes every row of every table but schema_migrations.
func emptySchemaTables(base, schema string) error {
	c, err := pgx.Connect(context.Background(), base)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	rows, err := c.Query(context.Background(), `SELECT table_name FROM information_schema.tables
		WHERE table_schema = $1 AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'`, schema)
	if err != nil {
		return err
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	var stmts []string
	for _, first := range firstDeleted {
		for _, tb := range tables {
			if tb == first {
				stmts = append(stmts, "DELETE FROM "+schema+"."+tb)
			}
		}
	}
	for _, tb := range tables {
		if !contains(firstDeleted, tb) {
			stmts = append(stmts, "DELETE FROM "+schema+"."+tb)
		}
	}
	if len(stmts) == 0 {
		return nil
	}
	_, err = c.Exec(context.Background(), strings.Join(stmts, "; "))
	return err
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// emptySchema creates a new schema without tables, dropped when the test ends (for tests of
// migrations themselves, or that change schema_migrations).
func emptySchema(t testing.TB) string {
	t.Helper()
	base := testURL(t)
	schema := createSchema(t, base)
	t.Cleanup(func() {
		if err := dropSchema(base, schema); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(t, base, schema)
}

func dropSchema(base, schema string) error {
	c, err := pgx.Connect(context.Background(), base)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	_, err = c.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	return err
}

func withSearchPath(t testing.TB, base, schema string) string {
	t.Helper()
	if !strings.Contains(base, "://") {
		return base + " search_path=" + schema + " synchronous_commit=off" // key=value form
	}
	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	// Commits in throwaway test schemas need not wait for the disk.
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

// TestMain raises the default parallelism and drops the schemas the tests (and benchmarks) created.
func TestMain(m *testing.M) {
	// These tests mostly wait for the database server, not for a CPU: unless -parallel is
	// given, run more of them at once than there are cores.
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", "8")
	}
	code := m.Run()
	closeBenchStores()
	if base := os.Getenv("LUCID_TEST_POSTGRES_URL"); base != "" {
		for _, s := range schemas.created {
			if err := dropSchema(base, s); err != nil {
				fmt.Fprintf(os.Stderr, "drop schema %s: %v\n", s, err)
			}
		}
	}
	os.Exit(code)
}
