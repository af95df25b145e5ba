package poot

import (
	"time"
)

// Limits of the proof format.
const (
	// MaxOutputBytes is the largest decoded output a proof may carry (1 MiB).
	MaxOutputBytes = 1 << 20
	// MinNonceLen and MaxNonceLen bound a nonce's length in bytes.
	MinNonceLen = 8
	// MaxNonceLen bounds a nonce's length in bytes so stores can index it.
	MaxNonceLen = 128
	// MaxBatch is the largest number of proofs ValidateBatch accepts.
	MaxBatch = 1000
	// ReplayWindow is how long a consumed nonce stays unacceptable for its node, and how old a
	// proof timestamp may be.
	ReplayWindow = 24 * time.Hour
	// MaxFutureSkew is how far ahead of the server clock a proof timestamp may be.
	MaxFutureSkew = 5 * time.Minute
)

// Reason codes: the machine-readable part of a rejection. They are stable API values.
const (
	ReasonNodeIDInvalid       = "node_id_invalid"
	ReasonNodeUnknown         = "node_unknown"
	ReasonNodeInactive        = "node_inactive"
	ReasonOutputMissing       = "output_missing"
	ReasonOutputNotBase64     = "output_not_base64"
	ReasonOutputTooLarge      = "output_too_large"
	ReasonTimestampMissing    = "timestamp_missing"
	ReasonTimestampInvalid    = "timestamp_invalid"
	ReasonTimestampStale      = "timestamp_stale"
	ReasonTimestampFuture     = "timestamp_future"
	ReasonNonceTooShort       = "nonce_too_short"
	ReasonNonceTooLong        = "nonce_too_long"
	ReasonNonceInvalid        = "nonce_invalid"
	ReasonNonceReplayed       = "nonce_replayed"
	ReasonSignatureMissing    = "signature_missing"
	ReasonSignatureNotBase64  = "signature_not_base64"
	ReasonSignatureInvalid    = "signature_invalid"
	ReasonPublicKeyInvalid    = "public_key_invalid"
	ReasonChallengeUnknown    = "challenge_unknown"
	ReasonChallengeExpired    = "challenge_expired"
	ReasonChallengeOtherNode  = "challenge_other_node"
	ReasonNodeMismatch        = "node_id_mismatch"
	ReasonScoreBelowThreshold = "score_below_threshold"
	ReasonInternal            = "internal_error"
)

// Reason says why a proof was rejected: a stable machine-readable Code and a human Message.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Proof is one PoOT validation request as a node sends it. Fields keep the exact strings sent:
// the signature covers the timestamp as sent, and every content check reports a Reason
// instead of failing the decode.
type Proof struct {
	// NodeID is the proving node (`^node_[a-zA-Z0-9_-]+$`, 8–64 chars).
	NodeID string `json:"node_id"`
	// OutputData is the output, standard base64 (with padding); decoded at most 1 MiB.
	OutputData string `json:"output_data"`
	// Timestamp is the node's RFC 3339 time of the proof; it must lie within the last 24 hours
	// and at most 5 minutes ahead of the server clock. It is not evidence for the score.
	Timestamp string `json:"timestamp"`
	// Nonce is a server-issued challenge nonce, or (nodes without a public key only) a
	// client-chosen nonce of 8–128 printable ASCII characters.
	Nonce string `json:"nonce"`
	// Signature is the standard base64 of the 64-byte ed25519 signature over CanonicalMessage;
	// required for nodes with a public key.
	Signature string `json:"signature,omitempty"`
	// Metrics are the node's self-reported output-time metrics; scored by MetricsScore and
	// reported alongside, never fed into the standard score.
	Metrics *OutputTimeMetrics `json:"metrics,omitempty"`
}

// Validation is the result of judging one proof (PoOTValidation in the API).
type Validation struct {
	// ValidationID is a random (version 4) UUID.
	ValidationID string `json:"validation_id"`
	NodeID       string `json:"node_id"`
	// IsValid is true when every check passed and Score reached the policy threshold.
	IsValid bool `json:"is_valid"`
	// Score is the standard score 0–100 with 2 decimals, computed with this proof included.
	Score float64 `json:"score"`
	// Confidence is 0–1 and grows with evidence and node age.
	Confidence float64 `json:"confidence"`
	// OutputHash is the lowercase hex sha-256 of the decoded output ("" if it did not decode).
	OutputHash string `json:"output_hash"`
	// Timestamp is the server time at which the proof was received and judged.
	Timestamp time.Time `json:"timestamp"`
	// ValidationTimeMS is how long the judgement took, in milliseconds.
	ValidationTimeMS float64 `json:"validation_time_ms"`
	// Errors lists every reason the proof was rejected (empty when valid).
	Errors []Reason `json:"errors"`

	// Anomaly is set when Score is more than Policy.AnomalySigma standard deviations away from
	// the node's recent scores (with at least Policy.AnomalyMinHistory of them).
	Anomaly bool `json:"anomaly"`
	// AnomalyZ is the deviation of Score from the history mean in standard deviations (0 when
	// the history is too short).
	AnomalyZ float64 `json:"anomaly_z"`

	// ProofTimestamp is the node's timestamp, parsed (zero if it did not parse).
	ProofTimestamp time.Time `json:"proof_timestamp,omitzero"`
	// Nonce is the nonce the proof carried.
	Nonce string `json:"nonce"`
	// Signed is true when the proof carried a signature that verified under the node's key.
	Signed bool `json:"signed"`
	// Challenged is true when the nonce was a challenge issued to this node and consumed.
	Challenged bool `json:"challenged"`
	// Evidence is true when the proof was authenticated as far as the node's key allows and its
	// nonce was consumed: only such validations feed the node's reputation and anomaly history.
	Evidence bool `json:"evidence"`
	// ChecksPassed is true when every check passed (the proof may still be below threshold).
	ChecksPassed bool `json:"checks_passed"`
	// Timeliness is the 0–1 timeliness factor measured by the server clock.
	Timeliness float64 `json:"timeliness"`
	// LatencyMS is the challenge response latency (IssuedAt → received), when challenged.
	LatencyMS float64 `json:"latency_ms,omitempty"`
	// State is the node's reputation memory after this validation (zero unless Evidence);
	// stores persist it so the next score reads only the latest evidence validation.
	State State `json:"reputation_state"`
	// MetricsScore is MetricsScore(Proof.Metrics) when metrics were reported; informational.
	MetricsScore *float64 `json:"metrics_score,omitempty"`
}

// Status values of Score.ValidationStatus.
const (
	StatusValid   = "valid"
	StatusInvalid = "invalid"
	StatusPending = "pending"
)

// Score is a node's current PoOT score (PoOTScore in the API).
type Score struct {
	NodeID       string    `json:"node_id"`
	Score        float64   `json:"score"`
	CalculatedAt time.Time `json:"calculated_at"`
	OutputHash   string    `json:"output_hash"`
	// ValidationStatus is valid|invalid from the latest evidence validation, or pending when
	// the node has none yet.
	ValidationStatus string  `json:"validation_status"`
	Confidence       float64 `json:"confidence"`
}

// Challenge is a server-issued single-use nonce for one node.
type Challenge struct {
	NodeID    string    `json:"node_id"`
	Nonce     string    `json:"nonce"`
	IssuedAt  time.Time `json:"issued_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ValidationFilter selects stored validations. Zero fields do not filter.
type ValidationFilter struct {
	NodeID string
	// Since and Until bound Validation.Timestamp: Since <= t < Until.
	Since time.Time
	Until time.Time
	// OutputHash selects validations of one output.
	OutputHash string
	// EvidenceOnly selects validations with Evidence set (used for scoring history).
	EvidenceOnly bool
	// Limit caps the page size; 0 means the store's default, at most 1000.
	Limit int
	// Cursor is the NextCursor of the previous page ("" for the first page).
	Cursor string
}

// ValidationPage is one page of validations, newest first (Timestamp desc, then State.Seq
// desc, then ValidationID desc), with the cursor of the next page ("" when this page is the
// last).
type ValidationPage struct {
	Validations []Validation
	NextCursor  string
}

// BatchSummary counts the outcomes of a batch (the SPEC summary).
type BatchSummary struct {
	Total   int `json:"total"`
	Valid   int `json:"valid"`
	Invalid int `json:"invalid"`
	// Errors counts proofs that could not be judged because of an internal failure.
	Errors int `json:"errors"`
}

// BatchResult is the answer to ValidateBatch: one Validation per proof, in request order.
type BatchResult struct {
	Results []Validation `json:"results"`
	Summary BatchSummary `json:"summary"`
}

// Err returns nil for a valid validation and otherwise a *Error with code LUCID_ERR_5005 whose
// details carry the reasons, for callers that prefer an error to a result.
func (v Validation) Err() error {
	if v.IsValid {
		return nil
	}
	return &Error{
		Code:    CodeValidationFailed,
		Message: "PoOT validation failed",
		Details: map[string]any{"validation_id": v.ValidationID, "reasons": v.Errors},
	}
}

// HasReason reports whether the validation was rejected for the given reason code.
func (v Validation) HasReason(code string) bool {
	for _, r := range v.Errors {
		if r.Code == code {
			return true
		}
	}
	return false
}
