package payout_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/payout"
)

func TestParseAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		c     payout.Currency
		minor int64
		err   error
	}{
		{"0", payout.USDT, 0, nil},
		{"12.5", payout.USDT, 12_500_000, nil},
		{"0.000001", payout.USDT, 1, nil},
		{"1000000", payout.USDT, 1_000_000_000_000, nil},
		{"1.50", payout.USDT, 1_500_000, nil},
		{"0.00000001", payout.LUCID, 1, nil},
		{"0.0000001", payout.USDT, 0, payout.ErrAmountPrecision},
		{"0.000000001", payout.LUCID, 0, payout.ErrAmountPrecision},
		{"-1", payout.USDT, 0, payout.ErrAmountSyntax},
		{"+1", payout.USDT, 0, payout.ErrAmountSyntax},
		{"1e3", payout.USDT, 0, payout.ErrAmountSyntax},
		{"NaN", payout.USDT, 0, payout.ErrAmountSyntax},
		{"Inf", payout.USDT, 0, payout.ErrAmountSyntax},
		{"", payout.USDT, 0, payout.ErrAmountSyntax},
		{".5", payout.USDT, 0, payout.ErrAmountSyntax},
		{"5.", payout.USDT, 0, payout.ErrAmountSyntax},
		{"012", payout.USDT, 0, payout.ErrAmountSyntax},
		{" 1", payout.USDT, 0, payout.ErrAmountSyntax},
		{"1,5", payout.USDT, 0, payout.ErrAmountSyntax},
		{"9223372036854", payout.USDT, 9_223_372_036_854_000_000, nil},
		{"9223372036855", payout.USDT, 0, payout.ErrAmountRange},
		{"99999999999999999999", payout.USDT, 0, payout.ErrAmountRange},
		{"1", payout.Currency("BTC"), 0, payout.ErrUnknownCurrency},
	}
	for _, tt := range tests {
		t.Run(tt.in+"/"+string(tt.c), func(t *testing.T) {
			t.Parallel()
			a, err := payout.ParseAmount(tt.in, tt.c)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.minor, a.Minor())
			assert.Equal(t, tt.c, a.Currency())
		})
	}
}

func TestAmountString(t *testing.T) {
	t.Parallel()
	for minor, want := range map[int64]string{0: "0", 1: "0.000001", 12_500_000: "12.5", 3_000_000: "3", 1_000_001: "1.000001"} {
		a, err := payout.NewAmount(minor, payout.USDT)
		require.NoError(t, err)
		assert.Equal(t, want, a.String())
		b, err := json.Marshal(a)
		require.NoError(t, err)
		assert.Equal(t, `"`+want+`"`, string(b))
	}
	l, _ := payout.NewAmount(123_456_789, payout.LUCID)
	assert.Equal(t, "1.23456789", l.String())
}

func TestAmountArithmetic(t *testing.T) {
	t.Parallel()
	a := payout.MustAmount("1.5", payout.USDT)
	b := payout.MustAmount("0.25", payout.USDT)
	s, err := a.Add(b)
	require.NoError(t, err)
	assert.Equal(t, "1.75", s.String())
	d, err := a.Sub(b)
	require.NoError(t, err)
	assert.Equal(t, "1.25", d.String())
	_, err = b.Sub(a)
	require.ErrorIs(t, err, payout.ErrAmountRange)
	_, err = a.Add(payout.MustAmount("1", payout.LUCID))
	require.ErrorIs(t, err, payout.ErrCurrencyMismatch)
	big, _ := payout.NewAmount(math.MaxInt64, payout.USDT)
	_, err = big.Add(payout.MustAmount("0.000001", payout.USDT))
	require.ErrorIs(t, err, payout.ErrAmountRange)
	_, err = payout.NewAmount(-1, payout.USDT)
	require.ErrorIs(t, err, payout.ErrAmountRange)
}

func TestValidatePayoutAmount(t *testing.T) {
	t.Parallel()
	ok := []string{"0.000001", "1", "1000000", "999999.999999"}
	bad := []string{"0", "1000000.000001", "2000000"}
	for _, s := range ok {
		require.NoError(t, payout.ValidatePayoutAmount(payout.MustAmount(s, payout.USDT)), s)
	}
	for _, s := range bad {
		require.ErrorIs(t, payout.ValidatePayoutAmount(payout.MustAmount(s, payout.USDT)), payout.ErrAmountRange, s)
	}
	// LUCID has 8 decimals but the same bounds.
	require.ErrorIs(t, payout.ValidatePayoutAmount(payout.MustAmount("0.00000099", payout.LUCID)), payout.ErrAmountRange)
	require.NoError(t, payout.ValidatePayoutAmount(payout.MustAmount("0.000001", payout.LUCID)))
}

func TestDecimalJSON(t *testing.T) {
	t.Parallel()
	var v struct{ A payout.Decimal }
	require.NoError(t, json.Unmarshal([]byte(`{"A": 12.50}`), &v))
	assert.Equal(t, payout.Decimal("12.50"), v.A)
	require.NoError(t, json.Unmarshal([]byte(`{"A": "0.1"}`), &v))
	assert.Equal(t, payout.Decimal("0.1"), v.A)
	require.NoError(t, json.Unmarshal([]byte(`{"A": 1e2}`), &v))
	_, err := v.A.Amount(payout.USDT)
	require.ErrorIs(t, err, payout.ErrAmountSyntax, "exponent text is refused")
	require.Error(t, json.Unmarshal([]byte(`{"A": true}`), &v))
}

// FuzzParseAmount checks that whatever parses round-trips exactly through String.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"0", "12.5", "0.000001", "1000000", "1e5", "-1", "NaN", "00.1", "9223372036854.775807"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, usdt bool) {
		c := payout.LUCID
		if usdt {
			c = payout.USDT
		}
		a, err := payout.ParseAmount(s, c)
		if err != nil {
			return
		}
		if a.Minor() < 0 {
			t.Fatalf("%q parsed negative", s)
		}
		back, err := payout.ParseAmount(a.String(), c)
		if err != nil || back != a {
			t.Fatalf("%q -> %s does not round-trip: %v", s, a, err)
		}
		var d payout.Decimal
		if err := json.Unmarshal([]byte(`"`+a.String()+`"`), &d); err != nil {
			t.Fatal(err)
		}
		if got, err := d.Amount(c); err != nil || got != a {
			t.Fatalf("JSON string round trip of %s: %v %v", a, got, err)
		}
	})
}
