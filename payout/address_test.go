package payout_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/payout"
)

// Known-valid TRON addresses: the USDT TRC-20 contracts on mainnet and Shasta (SPEC).
const (
	usdtMainnet = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
	usdtShasta  = "TG3XXyExBkPp9nzdajDZsozEu4BkaSJozs"
)

func TestTronAddress(t *testing.T) {
	t.Parallel()
	for _, a := range []string{usdtMainnet, usdtShasta} {
		raw, err := payout.DecodeTronAddress(a)
		require.NoError(t, err, a)
		require.Len(t, raw, 21)
		assert.Equal(t, byte(0x41), raw[0])
		back, err := payout.TronAddressFromBytes(raw)
		require.NoError(t, err)
		assert.Equal(t, a, back)
	}
	bad := map[string]error{
		"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u":         payout.ErrAddressChecksum,
		"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6":          payout.ErrAddressSyntax,
		"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6tt":        payout.ErrAddressSyntax,
		"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj60":         payout.ErrAddressSyntax, // '0' is not base58
		"0x52908400098527886e0f7030069857d2e4169ee7": payout.ErrAddressSyntax,
		"":                                   payout.ErrAddressSyntax,
		"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2": payout.ErrAddressSyntax, // bitcoin address
	}
	for a, want := range bad {
		require.ErrorIs(t, payout.ValidateTronAddress(a), want, a)
	}
	// A 0x41-less payload with a valid checksum is refused for its version byte.
	payload := append([]byte{0x42}, bytes.Repeat([]byte{7}, 20)...)
	other := payout.Base58Encode(append(payload, sha256d(payload)[:4]...))
	if len(other) == 34 && other[0] == 'T' {
		require.ErrorIs(t, payout.ValidateTronAddress(other), payout.ErrAddressVersion)
	}
}

func TestBase58RoundTrip(t *testing.T) {
	t.Parallel()
	for _, b := range [][]byte{{}, {0}, {0, 0, 1}, {255, 254}, bytes.Repeat([]byte{0xab}, 25)} {
		got, err := payout.Base58Decode(payout.Base58Encode(b))
		require.NoError(t, err)
		assert.Equal(t, b, got)
	}
	assert.Equal(t, "5Q", payout.Base58Encode([]byte{255}))
	assert.Equal(t, "11", payout.Base58Encode([]byte{0, 0}))
}

func TestLucidAddressAndBlocklist(t *testing.T) {
	t.Parallel()
	good := "0x52908400098527886E0F7030069857D2E4169EE7"
	require.NoError(t, payout.ValidateLucidAddress(good))
	for _, a := range []string{"52908400098527886E0F7030069857D2E4169EE7", "0x52908400098527886E0F7030069857D2E4169EE", "0x52908400098527886E0F7030069857D2E4169EEg"} {
		require.ErrorIs(t, payout.ValidateLucidAddress(a), payout.ErrAddressSyntax, a)
	}
	v := payout.AddressValidator{Blocklist: payout.NewBlocklist(usdtShasta, "0x52908400098527886e0f7030069857d2e4169ee7")}
	require.ErrorIs(t, v.Validate(payout.USDT, usdtShasta), payout.ErrAddressBlocked)
	require.ErrorIs(t, v.Validate(payout.LUCID, good), payout.ErrAddressBlocked, "LUCID blocklist is case-insensitive")
	require.NoError(t, v.Validate(payout.USDT, usdtMainnet))
	require.NoError(t, payout.AddressValidator{}.Validate(payout.USDT, usdtShasta), "nil blocklist blocks nothing")
}

// FuzzTronAddress checks that whatever validates decodes to 0x41 + 20 bytes and re-encodes to
// the same text.
func FuzzTronAddress(f *testing.F) {
	for _, s := range []string{usdtMainnet, usdtShasta, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u", "T", "0x00", "11111111111111111111111111111111111"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		raw, err := payout.DecodeTronAddress(s)
		if err != nil {
			return
		}
		if len(raw) != 21 || raw[0] != 0x41 {
			t.Fatalf("%q decoded to %x", s, raw)
		}
		back, err := payout.TronAddressFromBytes(raw)
		if err != nil || back != s {
			t.Fatalf("%q re-encodes to %q (%v)", s, back, err)
		}
	})
}

// FuzzBase58 checks decode(encode(b)) == b.
func FuzzBase58(f *testing.F) {
	f.Add([]byte{0, 1, 2})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := payout.Base58Decode(payout.Base58Encode(b))
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("%x -> %x (%v)", b, got, err)
		}
	})
}
