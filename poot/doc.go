// Package poot implements Proof of Output Time: the proof format, server-issued challenges,
// ed25519 signatures over a canonical message, the validation checks with machine-readable
// reasons, the standard score with memory, anomaly detection, batch validation and the Lucid
// output-time metrics score. It imports the standard library only; storage and the node
// registry are reached through the small Store and NodeDirectory interfaces.
//
// # Proofs
//
// A node sends a Proof: node_id, output_data (standard base64 with padding, decoded at most
// 1 MiB), timestamp (RFC 3339, within the last 24 hours and at most 5 minutes ahead of the
// server clock), nonce and, for a node with a registered public key, signature. DecodeProof and
// DecodeBatchRequest decode untrusted JSON strictly (unknown fields, duplicate keys, nulls and
// trailing data are refused); the field contents are judged by Validator.Validate, which lists
// every failing check in Validation.Errors as a Reason{Code, Message}. Reason codes are the
// Reason* constants (node_id_invalid, node_unknown, node_inactive, output_missing,
// output_not_base64, output_too_large, timestamp_missing, timestamp_invalid, timestamp_stale,
// timestamp_future, nonce_too_short, nonce_too_long, nonce_invalid, nonce_replayed,
// signature_missing, signature_not_base64, signature_invalid, public_key_invalid,
// challenge_unknown, challenge_expired, challenge_other_node, score_below_threshold,
// internal_error).
//
// # Nonces and challenges
//
// Validator.IssueChallenge gives an active node a Challenge: 32 random bytes in base64url
// without padding (43 characters), single use, valid for Policy.ChallengeTTL (2 minutes).
// A node with a public key must answer a challenge issued to it. A node without a key may
// still send a client-chosen nonce of 8–128 printable ASCII characters (0x21–0x7E), or answer
// a challenge. In both cases Store.ConsumeNonce records (node, nonce) for 24 hours under a
// unique constraint, so a nonce is never accepted twice for a node, across restarts and
// replicas; Store.ConsumeChallenge deletes the challenge atomically.
//
// # Signatures
//
// A node registers an ed25519 public key (standard base64 of the 32-byte key). Its proofs carry
// signature = standard base64 of the 64-byte ed25519 signature over exactly these bytes:
//
//	"LUCID-POOT-V1" 0x0A node_id 0x0A nonce 0x0A timestamp 0x0A output_sha256_hex
//
// that is the ASCII string "LUCID-POOT-V1\n", the node id, "\n", the nonce, "\n", the
// timestamp string exactly as sent in the proof (not re-formatted), "\n", and the 64
// lowercase hex digits of the sha-256 of the decoded output; no trailing newline. None of the
// fields can contain a newline once the checks have passed. CanonicalMessage builds it and
// SignProof signs it.
//
// Test vector (the first entry of testdata/signature_vectors.json, checked by the tests): the
// private key seed is the 32 bytes 0x00 0x01 … 0x1f, whose public key is
// "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=". With node_id "node_vector_1", nonce
// "Vj3tQ0k2cHxTnYw8bq1m5r7z9A4sFhJkLpXcEe2gUoI", timestamp "2026-01-02T03:04:05Z" and the
// output "hello lucid" (output_data "aGVsbG8gbHVjaWQ="), the output hash is
// fc608336b7b51532c684962d03ec231f04c747dc7f3c162759676838a184b2ea, the message is the 157 bytes
//
//	LUCID-POOT-V1
//	node_vector_1
//	Vj3tQ0k2cHxTnYw8bq1m5r7z9A4sFhJkLpXcEe2gUoI
//	2026-01-02T03:04:05Z
//	fc608336b7b51532c684962d03ec231f04c747dc7f3c162759676838a184b2ea
//
// (no newline after the hash) and the signature is
// "/XI4Fgyup+xaLdbAxy/bAmYTNT6vzVvC50p7RU6AC0rC0H9MAmfsszdjyWfTJjcy7F8+OVkwzaGBdzpGZr38Dg==".
//
// # Order of the checks
//
// Validate runs the cheap stateless checks first (node id, output, timestamp, nonce format),
// all of them so the rejection lists every reason; then asks the NodeDirectory whether the
// node is known and active and for its key; then verifies the signature. Only a proof that
// passed all of these reaches the consuming steps: ConsumeNonce (replays stop here), then
// ConsumeChallenge (unknown, expired, or another node's challenge; another node's challenge is
// left in place). So a forged or unsigned proof can never burn a keyed node's challenge or
// nonce, and the outcome of the stateful checks is never revealed to an unauthenticated
// sender: a forged replay is reported as a signature failure, not as a replay. For nodes
// without a key nothing is authenticated, so anyone who learns such a node's challenge can
// spend it; registering a key closes that.
//
// # The standard score
//
// The score is Policy.Score, a pure, deterministic, O(1) function of verified facts (Facts):
// the node's reputation State before this proof, the current outcome (whether all checks
// passed, server-measured timeliness), the node's heartbeat uptime fraction U and its
// registration time, and whether the node is keyed. Output size, the node's timestamp and
// the nonce content are not inputs. An evidence validation is one whose nonce was consumed and
// that either passed all checks or was signed by the node's key (so an attacker cannot ruin a
// victim's reputation with failing proofs). Only evidence validations are scored; others get
// score 0 and confidence 0 and never enter the node's State or anomaly history.
//
// The State holds exponentially decayed sums over all of the node's evidence outcomes i, with
// weights w_i = 2^(−age_i/HalfLife) (HalfLife 7 days; the current outcome has weight 1),
// s_i = 1 for a passed outcome and 0 otherwise, t_i its timeliness (0 when it failed), and
// m, the number of passed outcomes (not decayed). Policy.Fold adds one outcome; every
// evidence validation stores the resulting State (Validation.State), and the next proof
// starts from the stored State with the highest Seq. Then:
//
//	n   = Σ w_i                                            evidence
//	R   = (Σ w_i·s_i + PriorWeight·PriorSuccess) / (n + PriorWeight)   reputation (prior 1 × 0.5)
//	T   = Σ w_i·s_i·t_i / n                                timeliness
//	raw = 100 · A · (0.60·R + 0.25·U + 0.15·T)             A = 1 keyed, UnkeyedAssurance 0.85 otherwise
//	cap = 75 + 25·min(1, m/10)                             probation over the first 10 passed proofs
//	score      = round2(clamp(min(raw, cap), 0, 100))
//	confidence = round4(n/(n+5) · (0.5 + 0.5·min(1, age/7 days)) · A)
//
// Timeliness of a challenged proof is 1 when it arrives within 10 s of IssuedAt (server
// clock), falling linearly to 0 at ChallengeTTL; an unchallenged proof (client nonce) gets
// UnchallengedTimeliness 0.5, since its latency cannot be measured.
//
// The threshold applies to the score computed with this proof included; a proof is valid when
// every check passed and score ≥ Threshold (70). An honest keyed node that answers challenges
// on time with full uptime scores min(85, 77.5) = 77.5 on its first proof, which is valid, and
// rises monotonically (80, 82.5, …) as probation lifts over its first 10 proofs, toward 100
// as its reputation grows. A node without a key is capped at 85 and needs a few proofs before
// it is valid. Replays and forgeries are never evidence, so a node that only replays or forges
// never becomes valid, and cannot change a victim's standing.
//
// Validations of one node are serialized inside a Validator so each folds onto the previous
// State. Two replicas validating the same node at the same instant may both start from the
// same State; then one of the two outcomes is left out of the later sums, as if that proof
// had not been sent (its own validation result stands).
//
// # Storage
//
// A Store persists every Validation with all its fields (including State, or at least its
// numbers and Seq), orders ListValidations newest first by (Timestamp, State.Seq,
// ValidationID), and keeps history for a year. Consumed nonces need a unique (node_id, nonce)
// key and may be purged once expired; challenges need a unique nonce and may be purged once
// expired.
//
// # Anomalies
//
// A validation is flagged (Validation.Anomaly, AnomalyZ) when its score is more than 3
// standard deviations (floored at 0.5 points) from the mean of the node's recent evidence
// scores (the last 32), once it has at least 10 of them.
//
// # Output-time metrics
//
// MetricsScore is the Lucid output-time metrics score (session 0.25, credits 0.20, resource
// 0.15, bandwidth 0.10, uptime 0.15, quality 0.10, trust 0.05). Those metrics are reported by
// the node itself, so they cannot be evidence: when a proof carries them, their score is
// returned in Validation.MetricsScore next to the standard score and never changes it.
package poot
