package auth_test

import (
	"fmt"
	"time"

	"github.com/hamigames/lucid-node-management/refserver/auth"
)

func ExampleAuthority_Verify() {
	a, err := auth.New(auth.Config{
		Secret: []byte("an example secret of at least 32 bytes"),
		Now:    func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}
	tok, err := a.Issue(auth.RoleWorker, "node-42", 0)
	if err != nil {
		panic(err)
	}
	raw, _ := auth.ParseBearer("Bearer " + tok)
	p, err := a.Verify(raw)
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Subject, p.Has(auth.ScopePoOTWrite), p.CanAccessNode("node-42"), p.CanAccessNode("node-43"))
	// Output: worker:node-42 true true false
}
