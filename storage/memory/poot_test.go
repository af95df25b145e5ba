package memory_test

import (
	"testing"

	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/storage/memory"
	"github.com/hamigames/lucid-node-management/storage/storagetest"
)

// TestPootConformance runs the PoOT sub-suite alone (it is also part of the full suite).
func TestPootConformance(t *testing.T) {
	t.Parallel()
	storagetest.RunPoot(t, func(t *testing.T) poot.Store { return memory.New() })
}

func TestAppendAuditBatch(t *testing.T) {
	t.Parallel()
	storagetest.RunAuditBatch(t, memory.New())
}
