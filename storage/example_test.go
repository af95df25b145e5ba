package storage_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage"
	"github.com/hamigames/lucid-node-management/storage/seal"
)

// Open a SQLite store with a freshly generated key, write a pool and read it back.
func ExampleOpen() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "lucid-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	key, err := seal.GenerateKey() // keep it: the database cannot be opened without it
	if err != nil {
		panic(err)
	}
	st, err := storage.Open(ctx, "sqlite:"+filepath.Join(dir, "data", "lucid.db"), storage.Options{EncryptionKey: key})
	if err != nil {
		panic(err)
	}
	defer st.Close()

	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	if err := st.CreatePool(ctx, &nodemgmt.Pool{PoolID: "pool_example", Name: "example", MaxNodes: 10, CreatedAt: now, UpdatedAt: now}); err != nil {
		panic(err)
	}
	p, err := st.GetPool(ctx, "pool_example")
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Name, p.NodeCount, p.MaxNodes)

	_, err = st.GetPool(ctx, "pool_missing")
	fmt.Println(err != nil && errors.Is(err, nodemgmt.ErrPoolNotFound))
	// Output:
	// example 0 10
	// true
}
