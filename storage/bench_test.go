package storage_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage"
	"github.com/hamigames/lucid-node-management/storage/sqlite"
	"github.com/hamigames/lucid-node-management/storage/storagetest"
)

const benchNodes = 10_000

// seeded holds one filled store per backend for the whole benchmark run: seeding 10,000 nodes
// is done once, not once per b.N round.
var seeded = struct {
	sync.Mutex
	stores map[string]storage.Store
	ids    map[string][]string
	dir    string
}{stores: map[string]storage.Store{}, ids: map[string][]string{}}

func benchStore(b *testing.B, backend string) (storage.Store, []string) {
	b.Helper()
	seeded.Lock()
	defer seeded.Unlock()
	if s := seeded.stores[backend]; s != nil {
		return s, seeded.ids[backend]
	}
	if backend == "sqlite-nocache" {
		if seeded.dir == "" {
			dir, err := osMkdirTemp()
			if err != nil {
				b.Fatal(err)
			}
			seeded.dir = dir
		}
		s, err := sqlite.Open(context.Background(), filepath.Join(seeded.dir, "nocache.db"),
			sqlite.Options{Key: []byte(strings.Repeat("k", 32)), NodeCacheSize: -1})
		if err != nil {
			b.Fatal(err)
		}
		seeded.stores[backend] = s
		seeded.ids[backend] = storagetest.Seed(b, s, benchNodes)
		return s, seeded.ids[backend]
	}
	dsn := "memory:"
	if backend == "sqlite" {
		// Not b.TempDir: the store outlives this sub-benchmark.
		if seeded.dir == "" {
			dir, err := osMkdirTemp()
			if err != nil {
				b.Fatal(err)
			}
			seeded.dir = dir
		}
		dsn = "sqlite:" + filepath.Join(seeded.dir, "bench.db")
	}
	s, err := storage.Open(context.Background(), dsn, storage.Options{EncryptionKey: testKey})
	if err != nil {
		b.Fatal(err)
	}
	seeded.stores[backend] = s
	seeded.ids[backend] = storagetest.Seed(b, s, benchNodes)
	return s, seeded.ids[backend]
}

// backends: memory is the baseline; sqlite-nocache shows the database path behind the node cache.
var backends = []string{"memory", "sqlite", "sqlite-nocache"}

// BenchmarkGetNode reads random nodes by id from many goroutines; memory is the baseline.
func BenchmarkGetNode(b *testing.B) {
	for _, backend := range backends {
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
// goroutines, at varying offsets; memory is the baseline.
func BenchmarkListNodes(b *testing.B) {
	for _, backend := range backends {
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
					if err != nil || len(res.Nodes) != 20 {
						b.Errorf("page %d: %d nodes, %v", page, len(res.Nodes), err)
						return
					}
				}
			})
		})
	}
}
