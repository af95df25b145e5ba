package poot_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/poot"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sigVector is one signature test vector: inputs, then the exact expected bytes.
type sigVector struct {
	Name         string `json:"name"`
	SeedHex      string `json:"seed_hex"`
	PublicKey    string `json:"public_key"`
	NodeID       string `json:"node_id"`
	Nonce        string `json:"nonce"`
	Timestamp    string `json:"timestamp"`
	OutputBase64 string `json:"output_base64"`
	OutputSHA256 string `json:"output_sha256"`
	Message      string `json:"message"`
	MessageHex   string `json:"message_hex"`
	Signature    string `json:"signature"`
}

func vectorInputs() []sigVector {
	seq := make([]byte, 32)
	for i := range seq {
		seq[i] = byte(i)
	}
	return []sigVector{
		{Name: "doc vector", SeedHex: hex.EncodeToString(seq), NodeID: "node_vector_1", Nonce: "Vj3tQ0k2cHxTnYw8bq1m5r7z9A4sFhJkLpXcEe2gUoI",
			Timestamp: "2026-01-02T03:04:05Z", OutputBase64: base64.StdEncoding.EncodeToString([]byte("hello lucid"))},
		{Name: "fractional offset timestamp, client nonce", SeedHex: hex.EncodeToString(make([]byte, 32)), NodeID: "node_legacy-A_2",
			Nonce: "client-nonce-0001", Timestamp: "2026-01-02T05:04:05.123456789+02:00", OutputBase64: base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xff})},
		{Name: "one byte output", SeedHex: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", NodeID: "node_rfc8032",
			Nonce: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", Timestamp: "2026-11-27T00:00:00Z", OutputBase64: "AA=="},
	}
}

func computeVector(t *testing.T, in sigVector) sigVector {
	seed, err := hex.DecodeString(in.SeedHex)
	require.NoError(t, err)
	priv := ed25519.NewKeyFromSeed(seed)
	out, err := base64.StdEncoding.DecodeString(in.OutputBase64)
	require.NoError(t, err)
	v := in
	v.PublicKey = poot.EncodePublicKey(priv.Public().(ed25519.PublicKey))
	v.OutputSHA256 = poot.OutputHash(out)
	msg := poot.CanonicalMessage(v.NodeID, v.Nonce, v.Timestamp, v.OutputSHA256)
	v.Message = string(msg)
	v.MessageHex = hex.EncodeToString(msg)
	v.Signature = poot.SignProof(priv, v.NodeID, v.Nonce, v.Timestamp, out)
	return v
}

func TestSignatureVectors(t *testing.T) {
	t.Parallel()
	path := filepath.Join("testdata", "signature_vectors.json")
	var got []sigVector
	for _, in := range vectorInputs() {
		got = append(got, computeVector(t, in))
	}
	if *update {
		b, err := json.MarshalIndent(got, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var want []sigVector
	require.NoError(t, json.Unmarshal(b, &want))
	require.Equal(t, want, got)

	// The message layout, spelled out independently of CanonicalMessage.
	v := want[0]
	assert.Equal(t, "LUCID-POOT-V1\nnode_vector_1\nVj3tQ0k2cHxTnYw8bq1m5r7z9A4sFhJkLpXcEe2gUoI\n2026-01-02T03:04:05Z\n"+v.OutputSHA256, v.Message)
	assert.Equal(t, "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=", v.PublicKey)
	for _, v := range want {
		pub, err := poot.ParsePublicKey(v.PublicKey)
		require.NoError(t, err)
		p := poot.Proof{NodeID: v.NodeID, OutputData: v.OutputBase64, Timestamp: v.Timestamp, Nonce: v.Nonce, Signature: v.Signature}
		assert.True(t, poot.VerifyProofSignature(pub, p), v.Name)
		p.Timestamp += " "
		assert.False(t, poot.VerifyProofSignature(pub, p), "the timestamp is signed as sent")
	}
}

func TestParsePublicKey(t *testing.T) {
	t.Parallel()
	good := base64.StdEncoding.EncodeToString(make([]byte, 32))
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{good, true},
		{good[:len(good)-1], false},
		{base64.StdEncoding.EncodeToString(make([]byte, 31)), false},
		{base64.RawURLEncoding.EncodeToString(make([]byte, 32)), false},
		{"", false},
	} {
		_, err := poot.ParsePublicKey(tc.in)
		assert.Equal(t, tc.ok, err == nil, tc.in)
	}
}

// FuzzVerifySignature checks that verification never panics, accepts exactly the signature of
// the canonical message, and refuses any change to a signed field.
func FuzzVerifySignature(f *testing.F) {
	f.Add([]byte{1}, "node_fuzz_01", "nonce-000001", "2026-01-02T03:04:05Z", []byte("out"), "", byte(0))
	f.Add([]byte{2}, "node_x", "n", "t", []byte{}, "AAAA", byte(3))
	f.Add([]byte("seed"), "node_fuzz_01\n", "a\nb", "2026-01-02T03:04:05+01:00", []byte{0xff}, "!!", byte(7))
	f.Fuzz(func(t *testing.T, seed []byte, nodeID, nonce, ts string, out []byte, sigText string, which byte) {
		var s [32]byte
		copy(s[:], seed)
		priv := ed25519.NewKeyFromSeed(s[:])
		pub := priv.Public().(ed25519.PublicKey)
		p := poot.Proof{NodeID: nodeID, OutputData: base64.StdEncoding.EncodeToString(out), Timestamp: ts, Nonce: nonce}
		// Arbitrary signature text must never panic and (barring a 2^-128 accident) never verify.
		p.Signature = sigText
		_ = poot.VerifyProofSignature(pub, p)
		_ = poot.VerifyProofSignature(ed25519.PublicKey(seed), p)

		p.Signature = poot.SignProof(priv, nodeID, nonce, ts, out)
		if len(out) <= poot.MaxOutputBytes && len(out) > 0 && !poot.VerifyProofSignature(pub, p) {
			t.Fatal("a proof signed over its canonical message does not verify")
		}
		q := p
		switch which % 4 {
		case 0:
			q.NodeID += "x"
		case 1:
			q.Nonce += "x"
		case 2:
			q.Timestamp += "x"
		case 3:
			q.OutputData = base64.StdEncoding.EncodeToString(append(out, 'x'))
		}
		if poot.VerifyProofSignature(pub, q) {
			t.Fatalf("a changed field (%d) still verifies", which%4)
		}
	})
}
