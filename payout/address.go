package payout

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// TronAddressVersion is the version byte of TRON mainnet/testnet addresses.
const TronAddressVersion = 0x41

const b58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

var b58Index = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(b58Alphabet); i++ {
		t[b58Alphabet[i]] = int8(i)
	}
	return t
}()

// Address validation errors.
var (
	// ErrAddressSyntax is an address with the wrong length or characters.
	ErrAddressSyntax = errors.New("address: malformed")
	// ErrAddressChecksum is a base58check address whose checksum does not match.
	ErrAddressChecksum = errors.New("address: bad checksum")
	// ErrAddressVersion is a base58check address with a version byte other than 0x41.
	ErrAddressVersion = errors.New("address: not a TRON address (version byte)")
	// ErrAddressBlocked is an address on the configured blocklist.
	ErrAddressBlocked = errors.New("address: blocked")
)

// Base58Decode decodes Bitcoin-alphabet base58 text; each leading '1' is one leading zero byte.
// Digits are taken five at a time (58^5 < 2^30) into little-endian 32-bit limbs.
func Base58Decode(s string) ([]byte, error) {
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	rest := s[zeros:]
	limbs := make([]uint32, 0, len(rest)/5+2)
	for i := 0; i < len(rest); {
		n := min(5, len(rest)-i)
		var chunk, mul uint64 = 0, 1
		for k := range n {
			v := b58Index[rest[i+k]]
			if v < 0 {
				return nil, fmt.Errorf("%w: invalid base58 character %q", ErrAddressSyntax, rest[i+k])
			}
			chunk = chunk*58 + uint64(v)
			mul *= 58
		}
		i += n
		carry := chunk
		for j := range limbs {
			t := uint64(limbs[j])*mul + carry
			limbs[j] = uint32(t)
			carry = t >> 32
		}
		for carry != 0 {
			limbs = append(limbs, uint32(carry))
			carry >>= 32
		}
	}
	out := make([]byte, zeros, zeros+4*len(limbs))
	lead := true
	for j := len(limbs) - 1; j >= 0; j-- {
		for sh := 24; sh >= 0; sh -= 8 {
			b := byte(limbs[j] >> sh)
			if lead && b == 0 {
				continue
			}
			lead = false
			out = append(out, b)
		}
	}
	return out, nil
}

// Base58Encode encodes bytes with the Bitcoin alphabet.
func Base58Encode(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	// log(256)/log(58) < 1.366.
	out := make([]byte, (len(b)-zeros)*1366/1000+1)
	used := 0
	for _, c := range b[zeros:] {
		carry := int(c)
		j := 0
		for k := len(out) - 1; (carry != 0 || j < used) && k >= 0; k-- {
			carry += 256 * int(out[k])
			out[k] = byte(carry % 58)
			carry /= 58
			j++
		}
		used = j
	}
	var sb strings.Builder
	sb.Grow(zeros + used)
	for range zeros {
		sb.WriteByte('1')
	}
	for _, d := range out[len(out)-used:] {
		sb.WriteByte(b58Alphabet[d])
	}
	return sb.String()
}

func checksum4(payload []byte) []byte {
	h1 := sha256.Sum256(payload)
	h2 := sha256.Sum256(h1[:])
	return h2[:4]
}

// TronAddressFromBytes returns the base58check text of a 21-byte TRON address (0x41 + 20 bytes).
func TronAddressFromBytes(b []byte) (string, error) {
	if len(b) != 21 || b[0] != TronAddressVersion {
		return "", ErrAddressVersion
	}
	return Base58Encode(append(bytes.Clone(b), checksum4(b)...)), nil
}

// DecodeTronAddress validates base58check text and returns the 21-byte address (0x41 + 20).
func DecodeTronAddress(s string) ([]byte, error) {
	if len(s) != 34 || s[0] != 'T' {
		return nil, fmt.Errorf("%w: a TRON address is 34 characters starting with T", ErrAddressSyntax)
	}
	raw, err := Base58Decode(s)
	if err != nil {
		return nil, err
	}
	if len(raw) != 25 {
		return nil, fmt.Errorf("%w: decodes to %d bytes, want 25", ErrAddressSyntax, len(raw))
	}
	if raw[0] != TronAddressVersion {
		return nil, ErrAddressVersion
	}
	if !bytes.Equal(checksum4(raw[:21]), raw[21:]) {
		return nil, ErrAddressChecksum
	}
	return raw[:21], nil
}

// ValidateTronAddress checks a TRON base58check address.
func ValidateTronAddress(s string) error {
	_, err := DecodeTronAddress(s)
	return err
}

// ValidateLucidAddress checks a LUCID address: "0x" followed by 40 hex digits (42 chars).
func ValidateLucidAddress(s string) error {
	if len(s) != 42 || (s[:2] != "0x" && s[:2] != "0X") {
		return fmt.Errorf("%w: a LUCID address is 0x followed by 40 hex digits", ErrAddressSyntax)
	}
	for i := 2; i < 42; i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return fmt.Errorf("%w: non-hex character at %d", ErrAddressSyntax, i)
		}
	}
	return nil
}

// ValidateAddress checks an address for currency c (USDT pays on TRON).
func ValidateAddress(c Currency, s string) error {
	switch c {
	case USDT:
		return ValidateTronAddress(s)
	case LUCID:
		return ValidateLucidAddress(s)
	}
	return fmt.Errorf("%w %q", ErrUnknownCurrency, c)
}

// CanonicalAddress returns the form used for comparisons and the blocklist: TRON addresses as
// they are (base58 is case-sensitive), LUCID addresses lowercased.
func CanonicalAddress(c Currency, s string) string {
	if c == LUCID {
		return strings.ToLower(s)
	}
	return s
}

// Blocklist is a set of refused addresses, safe for concurrent use and changeable at run time.
type Blocklist struct {
	mu  sync.RWMutex
	set map[string]struct{}
}

// NewBlocklist returns a blocklist of the given addresses (TRON base58 or LUCID hex).
func NewBlocklist(addrs ...string) *Blocklist {
	b := &Blocklist{set: make(map[string]struct{}, len(addrs))}
	b.Add(addrs...)
	return b
}

func blockKey(s string) string {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		return strings.ToLower(s)
	}
	return s
}

// Add blocks more addresses.
func (b *Blocklist) Add(addrs ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, a := range addrs {
		if a = strings.TrimSpace(a); a != "" {
			b.set[blockKey(a)] = struct{}{}
		}
	}
}

// Contains reports whether the address is blocked; a nil Blocklist blocks nothing.
func (b *Blocklist) Contains(addr string) bool {
	if b == nil {
		return false
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	_, ok := b.set[blockKey(addr)]
	return ok
}

// AddressValidator validates destination addresses per currency against a blocklist.
type AddressValidator struct {
	// Blocklist refuses listed addresses; nil blocks nothing.
	Blocklist *Blocklist
}

// Validate checks the address format for c and the blocklist.
func (v AddressValidator) Validate(c Currency, addr string) error {
	if err := ValidateAddress(c, addr); err != nil {
		return err
	}
	if v.Blocklist.Contains(addr) {
		return ErrAddressBlocked
	}
	return nil
}
