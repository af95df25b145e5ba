package rowcodec

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/storage/internal/clone"
)

// NormValidation returns v with its times in the stored form (UTC microseconds) and Errors
// never nil, as every read returns it: a validation compares equal whether it was just saved
// or read back.
func NormValidation(v poot.Validation) poot.Validation {
	v.Timestamp, v.ProofTimestamp, v.State.At = clone.Norm(v.Timestamp), clone.Norm(v.ProofTimestamp), clone.Norm(v.State.At)
	if v.Errors == nil {
		v.Errors = []poot.Reason{}
	}
	return v
}

// DecodeValidation reads a validation's JSON record column, normalised like NormValidation.
func DecodeValidation(rec []byte) (poot.Validation, error) {
	var v poot.Validation
	if err := json.Unmarshal(rec, &v); err != nil {
		return poot.Validation{}, err
	}
	return NormValidation(v), nil
}

// EncodeValCursor is base64url("micros|seq|id"), a position in the validation listing order
// (ts, seq, validation_id). Both backends issue this form, so a cursor stays valid when the
// backend behind a deployment changes.
func EncodeValCursor(micros, seq int64, id string) string {
	raw := strconv.FormatInt(micros, 10) + "|" + strconv.FormatInt(seq, 10) + "|" + id
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeValCursor parses a cursor made by EncodeValCursor; ok is false for anything else, and
// each backend reports that with its own error.
func DecodeValCursor(c string) (micros, seq int64, id string, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, 0, "", false
	}
	parts := strings.SplitN(string(raw), "|", 3)
	if len(parts) != 3 || parts[2] == "" {
		return 0, 0, "", false
	}
	us, err1 := strconv.ParseInt(parts[0], 10, 64)
	sq, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, "", false
	}
	return us, sq, parts[2], true
}
