package poot_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/poot"
)

func TestDecodeProof(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"minimal", `{"node_id":"node_a1234567","output_data":"AA==","timestamp":"2026-01-02T03:04:05Z","nonce":"abcdefgh"}`, nil},
		{"signed with metrics", `{"node_id":"node_a1234567","output_data":"AA==","timestamp":"t","nonce":"n","signature":"s","metrics":{"session_hours":5,"credits":2500}}`, nil},
		{"empty object decodes; checks judge it", `{}`, nil},
		{"unknown field", `{"node_id":"node_a1234567","score":100}`, poot.ErrMalformed},
		{"unknown metrics field", `{"metrics":{"bonus":1}}`, poot.ErrMalformed},
		{"duplicate key", `{"nonce":"abcdefgh","nonce":"ijklmnop"}`, poot.ErrMalformed},
		{"duplicate nested key", `{"metrics":{"credits":1,"credits":2}}`, poot.ErrMalformed},
		{"null", `{"signature":null}`, poot.ErrMalformed},
		{"wrong type", `{"nonce":12345678}`, poot.ErrMalformed},
		{"array", `[]`, poot.ErrMalformed},
		{"string", `"x"`, poot.ErrMalformed},
		{"trailing object", `{}{}`, poot.ErrMalformed},
		{"trailing garbage", `{} x`, poot.ErrMalformed},
		{"truncated", `{"nonce":"abc`, poot.ErrMalformed},
		{"empty", ``, poot.ErrMalformed},
		{"too large", `{"output_data":"` + strings.Repeat("A", poot.MaxProofJSONBytes) + `"}`, poot.ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := poot.DecodeProof([]byte(tc.in))
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
			var le interface{ LucidCode() string }
			require.ErrorAs(t, err, &le)
		})
	}
	p, err := poot.DecodeProof([]byte(`{"node_id":"node_a1234567","output_data":"AA==","timestamp":"2026-01-02T03:04:05Z","nonce":"abcdefgh","signature":"c2ln"}`))
	require.NoError(t, err)
	assert.Equal(t, poot.Proof{NodeID: "node_a1234567", OutputData: "AA==", Timestamp: "2026-01-02T03:04:05Z", Nonce: "abcdefgh", Signature: "c2ln"}, p)
}

func TestDecodeBatchRequest(t *testing.T) {
	t.Parallel()
	req, err := poot.DecodeBatchRequest([]byte(`{"validations":[{"node_id":"node_a1234567","nonce":"abcdefgh"},{}]}`))
	require.NoError(t, err)
	assert.Len(t, req.Validations, 2)

	_, err = poot.DecodeBatchRequest([]byte(`{}`))
	assert.ErrorIs(t, err, poot.ErrInvalidRequest)
	_, err = poot.DecodeBatchRequest([]byte(`{"validations":[{"extra":1}]}`))
	assert.ErrorIs(t, err, poot.ErrMalformed)
	big := `{"validations":[` + strings.Repeat(`{},`, poot.MaxBatch) + `{}]}`
	_, err = poot.DecodeBatchRequest([]byte(big))
	assert.ErrorIs(t, err, poot.ErrInvalidRequest)
}

// FuzzDecodeProof checks that decoding never panics, refuses what it should, and that whatever
// it accepts re-encodes to an equivalent proof.
func FuzzDecodeProof(f *testing.F) {
	f.Add([]byte(`{"node_id":"node_a1234567","output_data":"AA==","timestamp":"2026-01-02T03:04:05Z","nonce":"abcdefgh"}`))
	f.Add([]byte(`{"nonce":"a","nonce":"b"}`))
	f.Add([]byte(`{"metrics":{"credits":1e400}}`))
	f.Add([]byte(`{"signature":null}`))
	f.Add([]byte(`{"node_id":"\u0000"} `))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := poot.DecodeProof(data)
		if err != nil {
			var le interface{ LucidCode() string }
			if !assert.ErrorAs(t, err, &le) {
				t.FailNow()
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("re-encoding: %v", err)
		}
		q, err := poot.DecodeProof(b)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", b, err)
		}
		if !assert.Equal(t, p, q) {
			t.FailNow()
		}
	})
}
