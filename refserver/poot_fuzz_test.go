package refserver

import (
	"context"
	"testing"

	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/storage/memory"
)

// FuzzPootHistoryCursor: any cursor string is either refused by the handler's shape check or
// accepted by the store; it never panics, and a cursor the check accepts never makes the store
// fail.
func FuzzPootHistoryCursor(f *testing.F) {
	for _, s := range []string{"", "MTc2NzMyMzA0NTAwMDAwMHwzfGFiYw", "fHx8", "MXwyfA", "not a cursor", "LTF8LTF8eA"} {
		f.Add(s)
	}
	store := memory.New()
	f.Fuzz(func(t *testing.T, c string) {
		if !validValidationCursor(c) {
			return
		}
		if _, err := store.ListValidations(context.Background(), poot.ValidationFilter{NodeID: "node_fuzz_0001", Cursor: c}); err != nil {
			t.Fatalf("cursor %q passed the check but the store refused it: %v", c, err)
		}
	})
}
