package memory_test

import (
	"testing"

	"github.com/hamigames/lucid-node-management/storage/memory"
	"github.com/hamigames/lucid-node-management/storage/storagetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storagetest.Backend {
		s := memory.New()
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}
