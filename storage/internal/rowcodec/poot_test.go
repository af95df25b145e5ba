package rowcodec

import (
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/poot"
)

func TestValCursor(t *testing.T) {
	t.Parallel()
	c := EncodeValCursor(1_700_000_000_123_456, 42, "val_a|b")
	us, seq, id, ok := DecodeValCursor(c)
	require.True(t, ok)
	assert.Equal(t, int64(1_700_000_000_123_456), us)
	assert.Equal(t, int64(42), seq)
	assert.Equal(t, "val_a|b", id, "the id is the rest of the cursor, bars included")

	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for name, bad := range map[string]string{
		"not base64":  "!!",
		"two parts":   enc("1|2"),
		"empty id":    enc("1|2|"),
		"bad micros":  enc("x|2|id"),
		"bad seq":     enc("1|y|id"),
		"padded form": base64.URLEncoding.EncodeToString([]byte("1|2|i")),
	} {
		_, _, _, ok := DecodeValCursor(bad)
		assert.False(t, ok, name)
	}
}

func TestValidationNormalised(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 5, 6, 7, 8, 9, 1234, time.FixedZone("x", 3600))
	v := NormValidation(poot.Validation{ValidationID: "val_1", Timestamp: at})
	assert.Equal(t, at.UTC().Truncate(time.Microsecond), v.Timestamp)
	assert.NotNil(t, v.Errors, "reads always return a non-nil Errors")
	rec, err := json.Marshal(v)
	require.NoError(t, err)
	got, err := DecodeValidation(rec)
	require.NoError(t, err)
	assert.Equal(t, v, got)
	_, err = DecodeValidation([]byte("{"))
	assert.Error(t, err)
}
