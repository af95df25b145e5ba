package storage_test

import (
	"os"
	"testing"
)

func osMkdirTemp() (string, error) { return os.MkdirTemp("", "lucid-storage-bench-") }

// TestMain closes the benchmark stores and removes their files after the run.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, s := range seeded.stores {
		_ = s.Close()
	}
	if seeded.dir != "" {
		_ = os.RemoveAll(seeded.dir)
	}
	os.Exit(code)
}
