package poot

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// MessagePrefix starts every canonical message; the version lets the format evolve.
const MessagePrefix = "LUCID-POOT-V1\n"

// CanonicalMessage returns the exact bytes a node signs (see the package documentation):
//
//	"LUCID-POOT-V1\n" + nodeID + "\n" + nonce + "\n" + timestamp + "\n" + outputHashHex
//
// timestamp is the proof's timestamp string exactly as sent; outputHashHex is the 64-character
// lowercase hex sha-256 of the decoded output. None of the fields may contain '\n' (the checks
// on node id, nonce and timestamp guarantee it for accepted proofs).
func CanonicalMessage(nodeID, nonce, timestamp, outputHashHex string) []byte {
	b := make([]byte, 0, len(MessagePrefix)+len(nodeID)+len(nonce)+len(timestamp)+len(outputHashHex)+3)
	b = append(b, MessagePrefix...)
	b = append(b, nodeID...)
	b = append(b, '\n')
	b = append(b, nonce...)
	b = append(b, '\n')
	b = append(b, timestamp...)
	b = append(b, '\n')
	b = append(b, outputHashHex...)
	return b
}

// OutputHash returns the lowercase hex sha-256 of output.
func OutputHash(output []byte) string {
	sum := sha256.Sum256(output)
	return hex.EncodeToString(sum[:])
}

// ParsePublicKey decodes a node's public key: standard base64 (with padding) of exactly 32 bytes.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(s)
	if err == nil && strings.ContainsAny(s, "\r\n") {
		err = errors.New("line breaks are not allowed")
	}
	if err != nil {
		return nil, fmt.Errorf("public key is not standard base64: %w", err)
	}
	if len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("public key is %d bytes, want %d", len(raw), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(raw), nil
}

// EncodePublicKey returns the registration form of an ed25519 public key (standard base64).
func EncodePublicKey(pub ed25519.PublicKey) string {
	return base64.StdEncoding.EncodeToString(pub)
}

// SignProof signs the canonical message of (nodeID, nonce, timestamp, output) with priv and
// returns the signature in its wire form (standard base64). Nodes and tests use it.
func SignProof(priv ed25519.PrivateKey, nodeID, nonce, timestamp string, output []byte) string {
	msg := CanonicalMessage(nodeID, nonce, timestamp, OutputHash(output))
	return base64.StdEncoding.EncodeToString(ed25519.Sign(priv, msg))
}

// checkSignature verifies a proof's wire signature against the node's key. It returns nil when
// the signature verifies.
func checkSignature(pub ed25519.PublicKey, sig string, nodeID, nonce, timestamp, outputHashHex string) *Reason {
	if sig == "" {
		return &Reason{ReasonSignatureMissing, "the node has a public key; the proof must be signed"}
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(sig)
	if err != nil || len(raw) != ed25519.SignatureSize || strings.ContainsAny(sig, "\r\n") {
		return &Reason{ReasonSignatureNotBase64, "signature must be standard base64 of 64 bytes"}
	}
	if !ed25519.Verify(pub, CanonicalMessage(nodeID, nonce, timestamp, outputHashHex), raw) {
		return &Reason{ReasonSignatureInvalid, "signature does not verify under the node's public key"}
	}
	return nil
}

// VerifyProofSignature reports whether p carries a valid signature under pub for its decoded
// output. It is the same check Validate applies, exposed for clients and tests.
func VerifyProofSignature(pub ed25519.PublicKey, p Proof) bool {
	if len(pub) != ed25519.PublicKeySize {
		return false
	}
	out, r := checkOutput(p.OutputData)
	if r != nil {
		return false
	}
	return checkSignature(pub, p.Signature, p.NodeID, p.Nonce, p.Timestamp, OutputHash(out)) == nil
}
