package postgres_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/hamigames/lucid-node-management/storage/postgres"
	"github.com/hamigames/lucid-node-management/storage/seal"
)

// Open connects, applies pending migrations (replicas starting together wait on an advisory
// lock) and checks the encryption key against the one the database was created with. Every
// replica must use the same ENCRYPTION_KEY.
func ExampleOpen() {
	key, err := seal.ParseKey(os.Getenv("ENCRYPTION_KEY"))
	if err != nil {
		log.Fatal(err)
	}
	s, err := postgres.Open(context.Background(), "postgres://lucid:secret@db:5432/lucid?sslmode=verify-full&pool_max_conns=20",
		postgres.Options{Key: key})
	if err != nil {
		log.Fatal(err) // e.g. seal.ErrKeyMismatch when the key differs
	}
	defer s.Close()
	fmt.Println(s.Ping(context.Background()))
}
