package postgres_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/postgres"
	"github.com/hamigames/lucid-node-management/storage/sqlite"
	"github.com/hamigames/lucid-node-management/storage/storagetest"
)

const benchNodes = 10_000

// benchStores holds one seeded store per backend for the whole run: seeding 10,000 nodes is
// done once, not once per b.N round. SQLite runs next to PostgreSQL as the baseline, in the
// same process, with the same data and the same calls.
// benchURL is the connection URL of the postgres benchmark schema.
var benchURL string

var benchStores = struct {
	sync.Mutex
	stores map[string]nodemgmt.Store
	ids    map[string][]string
	closer []func()
}{stores: map[string]nodemgmt.Store{}, ids: map[string][]string{}}

func closeBenchStores() {
	for _, c := range benchStores.closer {
		c()
	}
}

func benchStore(b *testing.B, backend string) (nodemgmt.Store, []string) {
	b.Helper()
	benchStores.Lock()
	defer benchStores.Unlock()
	if s := benchStores.stores[backend]; s != nil {
		return s, benchStores.ids[backend]
	}
	var s nodemgmt.Store
	switch backend {
	case "postgres":
		base := testURL(b)
		schema := createSchema(b, base)
		schemas.Lock()
		schemas.created = append(schemas.created, schema)
		schemas.Unlock()
		benchURL = withSearchPath(b, base, schema)
		ps, err := postgres.Open(context.Background(), benchURL, postgres.Options{Key: testKey})
		if err != nil {
			b.Fatal(err)
		}
		benchStores.closer = append(benchStores.closer, func() { _ = ps.Close() })
		s = ps
	case "sqlite", "sqlite-nocache":
		// Not b.TempDir: the store outlives this sub-benchmark.
		dir, err := os.MkdirTemp("", "lucid-pg-bench-")
		if err != nil {
			b.Fatal(err)
		}
		opts := sqlite.Options{Key: testKey}
		if backend == "sqlite-nocache" {
			opts.NodeCacheSize = -1
		}
		ss, err := sqlite.Open(context.Background(), filepath.Join(dir, "bench.db"), opts)
		if err != nil {
			b.Fatal(err)
		}
		benchStores.closer = append(benchStores.closer, func() { _ = ss.Close(); _ = os.RemoveAll(dir) })
		s = ss
	}
	benchStores.stores[backend] = s
	benchStores.ids[backend] = storagetest.Seed(b, s, benchNodes)
	if backend == "postgres" {
		// Measure the steady state: autovacuum would soon set the visibility map (which lets
		// the page's COUNT run on the index alone) and refresh the planner's statistics.
		conn, err := pgx.Connect(context.Background(), benchURL)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "VACUUM ANALYZE nodes"); err != nil {
			b.Fatal(err)
		}
	}
	return s, benchStores.ids[backend]
}

// benchBackends: sqlite (with its node cache, the default) and sqlite-nocache (every read goes
// to the database, like postgres, which has no cache because other replicas write) are the
// baselines.
var benchBackends = []string{"postgres", "sqlite", "sqlite-nocache"}

// BenchmarkGetNode reads random nodes of 10,000 by id from many goroutines.
func BenchmarkGetNode(b *testing.B) {
	testURL(b)
	for _, backend := range benchBackends {
		b.Run(backend, func(b *testing.B) {
			s, ids := benchStore(b, backend)
			ctx := context.Background()
			var seq atomic.Uint64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := seq.Add(7919)
				for pb.Next() {
					i += 104729
					if _, err := s.GetNode(ctx, ids[i%uint64(len(ids))]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkListNodes lists a page of 20 active nodes of one pool, with its total, from many
// goroutines, at varying offsets, over 10,000 nodes.
func BenchmarkListNodes(b *testing.B) {
	testURL(b)
	for _, backend := range benchBackends {
		b.Run(backend, func(b *testing.B) {
			s, _ := benchStore(b, backend)
			ctx := context.Background()
			var seq atomic.Uint64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					page := int(seq.Add(1) % 10)
					res, err := s.ListNodes(ctx, nodemgmt.NodeFilter{Status: nodemgmt.StatusActive, PoolID: storagetest.BenchPools[page%4],
						Offset: page * 20, Limit: 20})
					if err != nil || len(res.Nodes) != 20 || res.Total != benchNodes/20 {
						b.Errorf("page %d: %d nodes of %d, %v", page, len(res.Nodes), res.Total, err)
						return
					}
				}
			})
		})
	}
}
