package payout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Currency is a payout currency.
type Currency string

// Supported currencies.
const (
	// USDT is Tether on TRON (TRC-20), 6 decimals.
	USDT Currency = "USDT"
	// LUCID is the Lucid token, 8 decimals.
	LUCID Currency = "LUCID"
)

// Decimals is the number of decimal places of the currency's minor unit (USDT 6, LUCID 8);
// 0 for an unknown currency.
func (c Currency) Decimals() int {
	switch c {
	case USDT:
		return 6
	case LUCID:
		return 8
	}
	return 0
}

// Valid reports whether c is a supported currency.
func (c Currency) Valid() bool { return c == USDT || c == LUCID }

// ParseCurrency parses a currency name; the empty string is the default, USDT.
func ParseCurrency(s string) (Currency, error) {
	switch Currency(s) {
	case "":
		return USDT, nil
	case USDT, LUCID:
		return Currency(s), nil
	}
	return "", fmt.Errorf("unsupported currency %q (USDT or LUCID)", s)
}

// pow10 returns 10^d for 0 ≤ d ≤ 18.
func pow10(d int) int64 {
	p := int64(1)
	for range d {
		p *= 10
	}
	return p
}

// Payout bounds from SPEC: 0.000001 ≤ amount ≤ 1,000,000 per payout.
const (
	// MaxPayoutWhole is the largest amount of a single payout, in whole units.
	MaxPayoutWhole = 1_000_000
	// MinPayoutMicro is the smallest amount of a single payout in millionths of a unit.
	MinPayoutMicro = 1
)

// Amount is a non-negative quantity of one currency in integer minor units (USDT 1e-6,
// LUCID 1e-8). The zero value has no currency and is not a valid payout amount.
type Amount struct {
	minor    int64
	currency Currency
}

// Errors returned by amount parsing and arithmetic.
var (
	// ErrAmountSyntax is text that is not a plain non-negative decimal.
	ErrAmountSyntax = errors.New("amount: not a plain non-negative decimal")
	// ErrAmountPrecision is text with more decimals than the currency has.
	ErrAmountPrecision = errors.New("amount: more decimals than the currency has")
	// ErrAmountRange is an amount outside the representable or allowed range.
	ErrAmountRange = errors.New("amount: out of range")
	// ErrCurrencyMismatch is arithmetic between two currencies.
	ErrCurrencyMismatch = errors.New("amount: currency mismatch")
	// ErrUnknownCurrency is an unsupported currency.
	ErrUnknownCurrency = errors.New("amount: unknown currency")
)

// NewAmount returns minor units of c; minor must be ≥ 0 and c supported.
func NewAmount(minor int64, c Currency) (Amount, error) {
	if !c.Valid() {
		return Amount{}, fmt.Errorf("%w %q", ErrUnknownCurrency, c)
	}
	if minor < 0 {
		return Amount{}, fmt.Errorf("%w: negative", ErrAmountRange)
	}
	return Amount{minor: minor, currency: c}, nil
}

// Zero returns the zero amount of c.
func Zero(c Currency) Amount { return Amount{currency: c} }

// ParseAmount parses an exact decimal ("12", "12.5", "0.000001") in currency c. It refuses
// signs, exponents, NaN/Inf, spaces, leading zeros ("012"), a bare or trailing dot, more
// fractional digits than c has, and values that overflow int64 minor units. Zero is accepted;
// use ValidatePayoutAmount for the per-payout bounds.
func ParseAmount(s string, c Currency) (Amount, error) {
	if !c.Valid() {
		return Amount{}, fmt.Errorf("%w %q", ErrUnknownCurrency, c)
	}
	if s == "" || len(s) > 64 {
		return Amount{}, ErrAmountSyntax
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || (hasDot && frac == "") || !allDigits(intPart) || !allDigits(frac) {
		return Amount{}, ErrAmountSyntax
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		return Amount{}, ErrAmountSyntax
	}
	d := c.Decimals()
	if len(frac) > d {
		return Amount{}, ErrAmountPrecision
	}
	if len(intPart) > 18 {
		return Amount{}, ErrAmountRange
	}
	whole, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return Amount{}, ErrAmountRange
	}
	scale := pow10(d)
	if whole > math.MaxInt64/scale {
		return Amount{}, ErrAmountRange
	}
	var f int64
	if frac != "" {
		f, err = strconv.ParseInt(frac, 10, 64)
		if err != nil {
			return Amount{}, ErrAmountSyntax
		}
		f *= pow10(d - len(frac))
	}
	m := whole * scale
	if m > math.MaxInt64-f {
		return Amount{}, ErrAmountRange
	}
	return Amount{minor: m + f, currency: c}, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MustAmount parses s in c and panics on error; for constants in tests and examples.
func MustAmount(s string, c Currency) Amount {
	a, err := ParseAmount(s, c)
	if err != nil {
		panic(err)
	}
	return a
}

// Minor returns the amount in minor units.
func (a Amount) Minor() int64 { return a.minor }

// Currency returns the amount's currency.
func (a Amount) Currency() Currency { return a.currency }

// IsZero reports whether the amount is zero.
func (a Amount) IsZero() bool { return a.minor == 0 }

// String returns the exact decimal without trailing zeros, e.g. "12.5", "0.000001", "3".
func (a Amount) String() string {
	d := a.currency.Decimals()
	if d == 0 {
		return strconv.FormatInt(a.minor, 10)
	}
	scale := pow10(d)
	whole, frac := a.minor/scale, a.minor%scale
	if frac == 0 {
		return strconv.FormatInt(whole, 10)
	}
	fs := strconv.FormatInt(frac, 10)
	fs = strings.Repeat("0", d-len(fs)) + fs
	return strconv.FormatInt(whole, 10) + "." + strings.TrimRight(fs, "0")
}

// Add returns a+b; it fails on a currency mismatch or int64 overflow.
func (a Amount) Add(b Amount) (Amount, error) {
	if a.currency != b.currency {
		return Amount{}, fmt.Errorf("%w: %s + %s", ErrCurrencyMismatch, a.currency, b.currency)
	}
	if b.minor > math.MaxInt64-a.minor {
		return Amount{}, fmt.Errorf("%w: overflow", ErrAmountRange)
	}
	return Amount{minor: a.minor + b.minor, currency: a.currency}, nil
}

// Sub returns a-b; it fails on a currency mismatch or a negative result.
func (a Amount) Sub(b Amount) (Amount, error) {
	if a.currency != b.currency {
		return Amount{}, fmt.Errorf("%w: %s - %s", ErrCurrencyMismatch, a.currency, b.currency)
	}
	if b.minor > a.minor {
		return Amount{}, fmt.Errorf("%w: negative result", ErrAmountRange)
	}
	return Amount{minor: a.minor - b.minor, currency: a.currency}, nil
}

// Cmp compares a and b (same currency assumed): -1, 0 or +1.
func (a Amount) Cmp(b Amount) int {
	switch {
	case a.minor < b.minor:
		return -1
	case a.minor > b.minor:
		return 1
	}
	return 0
}

// PayoutBounds returns the smallest and largest amount of a single payout in c.
func PayoutBounds(c Currency) (lo, hi Amount) {
	d := c.Decimals()
	return Amount{minor: MinPayoutMicro * pow10(d-6), currency: c}, Amount{minor: MaxPayoutWhole * pow10(d), currency: c}
}

// ValidatePayoutAmount checks the SPEC bounds 0.000001 ≤ a ≤ 1,000,000.
func ValidatePayoutAmount(a Amount) error {
	if !a.currency.Valid() {
		return fmt.Errorf("%w %q", ErrUnknownCurrency, a.currency)
	}
	lo, hi := PayoutBounds(a.currency)
	if a.minor < lo.minor {
		return fmt.Errorf("%w: below the minimum %s", ErrAmountRange, lo)
	}
	if a.minor > hi.minor {
		return fmt.Errorf("%w: above the maximum %s", ErrAmountRange, hi)
	}
	return nil
}

// MarshalJSON writes the amount as an exact decimal JSON string ("12.5"), so no client parses
// it into a binary float by accident.
func (a Amount) MarshalJSON() ([]byte, error) {
	return []byte(`"` + a.String() + `"`), nil
}

// Decimal is an amount's decimal text as it arrived on the wire, before its currency is known.
// It decodes from a JSON number (12.5) or a JSON string ("12.5") and keeps the digits exactly,
// never through a float.
type Decimal string

// UnmarshalJSON accepts a JSON number or string and keeps its text.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		*d = ""
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return ErrAmountSyntax
		}
		*d = Decimal(s)
		return nil
	}
	if b[0] != '-' && (b[0] < '0' || b[0] > '9') {
		return ErrAmountSyntax // true, false, an object or an array
	}
	// A JSON number; its syntax was already checked by the decoder. Exponents and signs are
	// refused later by ParseAmount.
	*d = Decimal(b)
	return nil
}

// MarshalJSON writes the text as a JSON string.
func (d Decimal) MarshalJSON() ([]byte, error) { return json.Marshal(string(d)) }

// Amount parses the decimal in currency c.
func (d Decimal) Amount(c Currency) (Amount, error) { return ParseAmount(string(d), c) }
