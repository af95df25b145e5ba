package seal

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParseKey: any operator-supplied text yields a 32-byte key or ErrInvalidKey, never a panic
// or a key of another size.
func FuzzParseKey(f *testing.F) {
	f.Add("")
	f.Add("QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=")
	f.Add("4242424242424242424242424242424242424242424242424242424242424242")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKey(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("error %v is not ErrInvalidKey", err)
			}
			return
		}
		if len(k) != KeySize {
			t.Fatalf("key of %d bytes", len(k))
		}
	})
}

// FuzzOpen: bytes read from a database file that someone may have altered never open without
// the key and the row they were sealed for, and never panic.
func FuzzOpen(f *testing.F) {
	s, err := New(bytes.Repeat([]byte{0x42}, KeySize))
	if err != nil {
		f.Fatal(err)
	}
	aad := []byte("nodes.public_key:node_fuzz")
	f.Add(s.Seal([]byte("secret"), aad))
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add(bytes.Repeat([]byte{1}, 29))
	f.Fuzz(func(t *testing.T, sealed []byte) {
		pt, err := s.Open(sealed, aad)
		if err == nil {
			// Only a value this key sealed for this row opens; check it survives a re-seal.
			again, err := s.Open(s.Seal(pt, aad), aad)
			if err != nil || !bytes.Equal(again, pt) {
				t.Fatalf("round trip failed: %v", err)
			}
			return
		}
		if !errors.Is(err, ErrOpen) {
			t.Fatalf("error %v is not ErrOpen", err)
		}
	})
}
