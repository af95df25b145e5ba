// Package seal encrypts individual values at rest for the storage backends: AES-256-GCM with a
// fresh random nonce per value, and associated data that binds each ciphertext to the row and
// column it belongs to, so a value copied into another row does not decrypt.
//
// The operator's key (ENCRYPTION_KEY) is 32 random bytes written as standard base64 or as 64 hex
// characters. Two subkeys are derived from it with HKDF-SHA256: one for AES-GCM and one for the
// key check value a database stores on first open, so that opening it later with another key
// fails with ErrKeyMismatch instead of producing garbage.
//
// Sealed format: one version byte (1), the 12-byte nonce, then the GCM ciphertext and tag.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a key in bytes.
const KeySize = 32

// version1 is the first byte of every value sealed by this package.
const version1 = 1

const nonceSize = 12

// ErrKeyMismatch is returned when a database was sealed under a different key.
var ErrKeyMismatch = errors.New("encryption key does not match this database")

// ErrInvalidKey is returned for key text that is not 32 bytes in base64 or hex.
var ErrInvalidKey = errors.New("invalid encryption key: want 32 random bytes as standard base64 (44 characters) or 64 hex characters")

// ErrOpen is returned when a sealed value cannot be decrypted (tampered, truncated, wrong row
// or wrong key).
var ErrOpen = errors.New("sealed value cannot be decrypted")

// ParseKey reads a key given as 64 hex characters or as standard (or URL-safe) base64 of 32
// bytes. Surrounding white space is ignored. Anything else is ErrInvalidKey.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("%w: the key is empty", ErrInvalidKey)
	}
	if len(s) == 2*KeySize {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if k, err := enc.Strict().DecodeString(s); err == nil {
			if len(k) == KeySize {
				return k, nil
			}
			return nil, fmt.Errorf("%w: it decodes to %d bytes", ErrInvalidKey, len(k))
		}
	}
	return nil, ErrInvalidKey
}

// GenerateKey returns a new random key as standard base64 text, the form ENCRYPTION_KEY takes.
func GenerateKey() (string, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return "", fmt.Errorf("seal: generate key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(k), nil
}

// Sealer encrypts and decrypts values under one key. It is safe for concurrent use.
type Sealer struct {
	aead  cipher.AEAD
	check string
}

// New returns a Sealer for a 32-byte key.
func New(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w: got %d bytes", ErrInvalidKey, len(key))
	}
	encKey, err := hkdf.Key(sha256.New, key, nil, "lucid-node-management seal v1 aes-256-gcm", KeySize)
	if err != nil {
		return nil, fmt.Errorf("seal: derive key: %w", err)
	}
	checkKey, err := hkdf.Key(sha256.New, key, nil, "lucid-node-management seal v1 key check", KeySize)
	if err != nil {
		return nil, fmt.Errorf("seal: derive key: %w", err)
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	mac := hmac.New(sha256.New, checkKey)
	mac.Write([]byte("key check value"))
	return &Sealer{aead: aead, check: "v1:" + hex.EncodeToString(mac.Sum(nil))}, nil
}

// Seal encrypts plaintext bound to aad (for example "nodes.public_key:" + node id).
func (s *Sealer) Seal(plaintext, aad []byte) []byte {
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+s.aead.Overhead())
	out[0] = version1
	if _, err := rand.Read(out[1 : 1+nonceSize]); err != nil {
		panic("seal: crypto/rand failed: " + err.Error())
	}
	return s.aead.Seal(out, out[1:1+nonceSize], plaintext, aad)
}

// Open decrypts a value made by Seal with the same aad; any mismatch is ErrOpen.
func (s *Sealer) Open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) < 1+nonceSize+s.aead.Overhead() || sealed[0] != version1 {
		return nil, ErrOpen
	}
	pt, err := s.aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// CheckValue is a value derived from the key that reveals nothing about it; a database stores it
// on first open and compares it on every later open.
func (s *Sealer) CheckValue() string { return s.check }

// Verify compares a stored check value with this key's, in constant time; a difference is
// ErrKeyMismatch.
func (s *Sealer) Verify(stored string) error {
	if !hmac.Equal([]byte(stored), []byte(s.check)) {
		return ErrKeyMismatch
	}
	return nil
}
