package poottest_test

import (
	"fmt"

	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/poot/poottest"
)

// A test node signs proofs exactly like a real node; its identity is derived from its name.
func ExampleNode_ProveAt() {
	n := poottest.NewNamedNode(nil, "alice")
	p := n.ProveAt("golden-nonce-0001", "2026-01-02T03:04:05Z", []byte("golden output"))
	fmt.Println(n.ID)
	fmt.Println(poot.VerifyProofSignature(n.Public, p))
	// Output:
	// node_alice_2bd806c9
	// true
}
