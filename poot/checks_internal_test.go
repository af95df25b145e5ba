package poot

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func code(r *Reason) string {
	if r == nil {
		return ""
	}
	return r.Code
}

func TestCheckTimestampWindow(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		ts   time.Time
		want string
	}{
		{now, ""},
		{now.Add(-ReplayWindow), ""},
		{now.Add(-ReplayWindow - time.Nanosecond), ReasonTimestampStale},
		{now.Add(MaxFutureSkew), ""},
		{now.Add(MaxFutureSkew + time.Nanosecond), ReasonTimestampFuture},
		{now.Add(-ReplayWindow).In(time.FixedZone("x", 3600)), ""},
	} {
		assert.Equal(t, tc.want, code(checkTimestampWindow(tc.ts, now)), tc.ts)
	}
}

func TestParseTimestamp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string
	}{
		{"2026-01-02T03:04:05Z", ""},
		{"2026-01-02T03:04:05.123456789+02:00", ""},
		{"", ReasonTimestampMissing},
		{"2026-01-02 03:04:05Z", ReasonTimestampInvalid},
		{"2026-01-02T03:04:05", ReasonTimestampInvalid},
		{"1767323045", ReasonTimestampInvalid},
		{"2026-01-02T03:04:05Z\n", ReasonTimestampInvalid},
		{strings.Repeat("9", 65), ReasonTimestampInvalid},
	} {
		_, r := parseTimestamp(tc.in)
		assert.Equal(t, tc.want, code(r), tc.in)
	}
}

func TestCheckNonce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string
	}{
		{"abcdefgh", ""},
		{"abcdefg", ReasonNonceTooShort},
		{"", ReasonNonceTooShort},
		{strings.Repeat("a", MaxNonceLen), ""},
		{strings.Repeat("a", MaxNonceLen+1), ReasonNonceTooLong},
		{"abcd efgh", ReasonNonceInvalid},
		{"abcd\nefgh", ReasonNonceInvalid},
		{"abcdéfgh", ReasonNonceInvalid},
		{"~!@#$%^&*()", ""},
	} {
		assert.Equal(t, tc.want, code(checkNonce(tc.in)), tc.in)
	}
	assert.Nil(t, checkNonce(NewChallengeNonce()))
	assert.Len(t, NewChallengeNonce(), 43)
	assert.NotEqual(t, NewChallengeNonce(), NewChallengeNonce())
}

func TestCheckNodeID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"node_abc", true},
		{"node_ab", false},
		{"node_" + strings.Repeat("a", 59), true},
		{"node_" + strings.Repeat("a", 60), false},
		{"nodeXabcdef", false},
		{"node_a.b.c", false},
		{"node_abc\n", false},
		{"node_A-b_9", true},
	} {
		assert.Equal(t, tc.want, checkNodeID(tc.in) == nil, tc.in)
	}
}

func TestCheckOutput(t *testing.T) {
	t.Parallel()
	max := bytes.Repeat([]byte{7}, MaxOutputBytes)
	for _, tc := range []struct {
		name, in, want string
	}{
		{"exactly 1 MiB", base64.StdEncoding.EncodeToString(max), ""},
		{"1 MiB + 1", base64.StdEncoding.EncodeToString(append(max, 1)), ReasonOutputTooLarge},
		{"empty", "", ReasonOutputMissing},
		{"no padding", "AA", ReasonOutputNotBase64},
		{"whitespace", "AA==\n", ReasonOutputNotBase64},
		{"url alphabet", "-_8=", ReasonOutputNotBase64},
		{"non-canonical padding bits", "AB==", ReasonOutputNotBase64},
		{"ok", "aGVsbG8=", ""},
	} {
		_, r := checkOutput(tc.in)
		assert.Equal(t, tc.want, code(r), tc.name)
	}
}

func TestNewUUID(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		u := newUUID()
		assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, u)
		assert.False(t, seen[u])
		seen[u] = true
	}
}
