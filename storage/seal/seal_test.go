package seal

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseKey(t *testing.T) {
	t.Parallel()
	raw := bytes.Repeat([]byte{0xab}, KeySize)
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"hex", hex.EncodeToString(raw), true},
		{"hex upper", "  " + hex.EncodeToString(raw) + "\n", true},
		{"base64", base64.StdEncoding.EncodeToString(raw), true},
		{"base64 url raw", base64.RawURLEncoding.EncodeToString(raw), true},
		{"empty", "", false},
		{"short base64", base64.StdEncoding.EncodeToString(raw[:16]), false},
		{"long base64", base64.StdEncoding.EncodeToString(append(raw, 1)), false},
		{"passphrase", "correct horse battery staple", false},
		{"63 hex", hex.EncodeToString(raw)[:63], false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := ParseKey(tc.in)
			if !tc.ok {
				require.ErrorIs(t, err, ErrInvalidKey)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, raw, k)
		})
	}
}

func TestGenerateKey(t *testing.T) {
	t.Parallel()
	a, err := GenerateKey()
	require.NoError(t, err)
	b, err := GenerateKey()
	require.NoError(t, err)
	assert.NotEqual(t, a, b)
	k, err := ParseKey(a)
	require.NoError(t, err)
	assert.Len(t, k, KeySize)
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	s, err := New(bytes.Repeat([]byte{1}, KeySize))
	require.NoError(t, err)
	pt := []byte(`{"mac_address":"aa:bb:cc:dd:ee:ff"}`)
	aad := []byte("nodes.hardware_info:node_1")

	c1 := s.Seal(pt, aad)
	c2 := s.Seal(pt, aad)
	assert.NotEqual(t, c1, c2, "every value gets its own nonce")
	assert.False(t, bytes.Contains(c1, []byte("aa:bb")))

	got, err := s.Open(c1, aad)
	require.NoError(t, err)
	assert.Equal(t, pt, got)

	_, err = s.Open(c1, []byte("nodes.hardware_info:node_2"))
	assert.ErrorIs(t, err, ErrOpen, "a value moved to another row must not open")

	tampered := bytes.Clone(c1)
	tampered[len(tampered)-1] ^= 1
	_, err = s.Open(tampered, aad)
	assert.ErrorIs(t, err, ErrOpen)

	_, err = s.Open(c1[:10], aad)
	assert.ErrorIs(t, err, ErrOpen)

	other, err := New(bytes.Repeat([]byte{2}, KeySize))
	require.NoError(t, err)
	_, err = other.Open(c1, aad)
	assert.ErrorIs(t, err, ErrOpen)

	empty := s.Seal(nil, aad)
	got, err = s.Open(empty, aad)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestCheckValue(t *testing.T) {
	t.Parallel()
	k1 := bytes.Repeat([]byte{1}, KeySize)
	a, err := New(k1)
	require.NoError(t, err)
	b, err := New(bytes.Clone(k1))
	require.NoError(t, err)
	c, err := New(bytes.Repeat([]byte{3}, KeySize))
	require.NoError(t, err)

	assert.Equal(t, a.CheckValue(), b.CheckValue(), "deterministic for one key")
	assert.NoError(t, b.Verify(a.CheckValue()))
	assert.ErrorIs(t, c.Verify(a.CheckValue()), ErrKeyMismatch)
	assert.NotContains(t, a.CheckValue(), hex.EncodeToString(k1))
	assert.EqualError(t, ErrKeyMismatch, "encryption key does not match this database")

	_, err = New(k1[:31])
	assert.ErrorIs(t, err, ErrInvalidKey)
}
