package tron

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/hamigames/lucid-node-management/payout"
)

// FuzzDecodeSigned checks the parser of stored signed transactions: it never panics, refuses
// with ErrTransferRejected, and what it accepts hashes to the stored id.
func FuzzDecodeSigned(f *testing.F) {
	f.Add([]byte{}, "")
	f.Add([]byte{0x0a, 0x02, 0x08, 0x01}, "00")
	f.Add([]byte{0x0a, 0x00, 0x12, 0x41}, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
	f.Fuzz(func(t *testing.T, raw []byte, id string) {
		tx, err := decodeSigned(payout.SignedTransfer{TxID: id, Raw: raw})
		if err != nil {
			if !errors.Is(err, payout.ErrTransferRejected) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		b, err := proto.Marshal(tx.GetRawData())
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); len(id) != 64 || got != toLower(id) {
			t.Fatalf("accepted id %q for a transaction hashing to %s", id, got)
		}
	})
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
