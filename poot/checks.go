package poot

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// Each check below is a small pure function that returns nil or the Reason of its failure.

// checkNodeID accepts `^node_[a-zA-Z0-9_-]+$` with 8–64 characters.
func checkNodeID(id string) *Reason {
	if len(id) < 8 || len(id) > 64 || id[:5] != "node_" {
		return &Reason{ReasonNodeIDInvalid, "node_id must match ^node_[a-zA-Z0-9_-]+$ with 8–64 characters"}
	}
	for i := 5; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return &Reason{ReasonNodeIDInvalid, "node_id must match ^node_[a-zA-Z0-9_-]+$ with 8–64 characters"}
		}
	}
	return nil
}

// maxEncodedOutput is the longest standard base64 text that can decode to MaxOutputBytes.
var maxEncodedOutput = base64.StdEncoding.EncodedLen(MaxOutputBytes)

// checkOutput decodes standard base64 (with padding, no whitespace) of at most 1 MiB. The
// size is judged on the encoded length first so an oversized body is never decoded.
func checkOutput(s string) ([]byte, *Reason) {
	if s == "" {
		return nil, &Reason{ReasonOutputMissing, "output_data is required"}
	}
	if len(s) > maxEncodedOutput {
		return nil, &Reason{ReasonOutputTooLarge, fmt.Sprintf("output_data decodes to more than %d bytes", MaxOutputBytes)}
	}
	// The decoder skips '\r' and '\n' even in strict mode; the wire form allows neither.
	out, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || strings.ContainsAny(s, "\r\n") {
		return nil, &Reason{ReasonOutputNotBase64, "output_data must be standard base64 with padding"}
	}
	if len(out) > MaxOutputBytes {
		return nil, &Reason{ReasonOutputTooLarge, fmt.Sprintf("output_data decodes to more than %d bytes", MaxOutputBytes)}
	}
	return out, nil
}

// parseTimestamp parses an RFC 3339 timestamp (fractional seconds allowed).
func parseTimestamp(s string) (time.Time, *Reason) {
	if s == "" {
		return time.Time{}, &Reason{ReasonTimestampMissing, "timestamp is required"}
	}
	if len(s) > 64 {
		return time.Time{}, &Reason{ReasonTimestampInvalid, "timestamp must be RFC 3339"}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &Reason{ReasonTimestampInvalid, "timestamp must be RFC 3339"}
	}
	return t, nil
}

// checkTimestampWindow accepts timestamps in [now-24h, now+5m] by the server clock.
func checkTimestampWindow(ts, now time.Time) *Reason {
	if ts.Before(now.Add(-ReplayWindow)) {
		return &Reason{ReasonTimestampStale, "timestamp is older than 24 hours"}
	}
	if ts.After(now.Add(MaxFutureSkew)) {
		return &Reason{ReasonTimestampFuture, "timestamp is more than 5 minutes in the future"}
	}
	return nil
}

// checkNonce accepts 8–128 printable ASCII characters (0x21–0x7E).
func checkNonce(n string) *Reason {
	if len(n) < MinNonceLen {
		return &Reason{ReasonNonceTooShort, fmt.Sprintf("nonce must have at least %d characters", MinNonceLen)}
	}
	if len(n) > MaxNonceLen {
		return &Reason{ReasonNonceTooLong, fmt.Sprintf("nonce must have at most %d characters", MaxNonceLen)}
	}
	for i := 0; i < len(n); i++ {
		if n[i] < 0x21 || n[i] > 0x7e {
			return &Reason{ReasonNonceInvalid, "nonce must be printable ASCII without spaces"}
		}
	}
	return nil
}

// checkNodeActive refuses unknown and non-active nodes.
func checkNodeActive(info NodeInfo, found bool) *Reason {
	if !found {
		return &Reason{ReasonNodeUnknown, "node is not registered"}
	}
	if !info.Active {
		return &Reason{ReasonNodeInactive, "node is not active"}
	}
	return nil
}

// checkChallenge judges a challenge returned by Store.ConsumeChallenge at time now.
func checkChallenge(c Challenge, now time.Time) *Reason {
	if !now.Before(c.ExpiresAt) {
		return &Reason{ReasonChallengeExpired, "challenge expired before the proof arrived"}
	}
	return nil
}

// checkScore applies the threshold.
func checkScore(score, threshold float64) *Reason {
	if score < threshold {
		return &Reason{ReasonScoreBelowThreshold, fmt.Sprintf("score %.2f is below the threshold %.2f", score, threshold)}
	}
	return nil
}
