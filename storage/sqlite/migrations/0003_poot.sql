-- 0003: PoOT. Times are INTEGER microseconds since the Unix epoch, UTC.

-- Every validation, kept a year. record is the full poot.Validation as JSON (reasons, flags,
-- reputation State); the other columns are what listings filter and order by.
CREATE TABLE poot_validations (
    validation_id TEXT PRIMARY KEY,
    node_id       TEXT NOT NULL,
    ts            INTEGER NOT NULL,
    seq           INTEGER NOT NULL,
    is_valid      INTEGER NOT NULL,
    evidence      INTEGER NOT NULL,
    score         REAL NOT NULL,
    output_hash   TEXT NOT NULL,
    record        TEXT NOT NULL
) STRICT;

-- Listing order is (ts, seq, validation_id) descending; each index serves one filter.
CREATE INDEX poot_validations_node ON poot_validations (node_id, ts, seq, validation_id);
-- The validator reads a node's latest evidence validations on every proof.
CREATE INDEX poot_validations_node_evidence ON poot_validations (node_id, ts, seq, validation_id) WHERE evidence = 1;
CREATE INDEX poot_validations_hash ON poot_validations (output_hash, ts, seq, validation_id) WHERE output_hash <> '';
CREATE INDEX poot_validations_ts ON poot_validations (ts, seq, validation_id);

-- Issued, not yet answered challenges. The nonce is unique across all nodes.
CREATE TABLE poot_challenges (
    nonce      TEXT PRIMARY KEY,
    node_id    TEXT NOT NULL,
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX poot_challenges_expires ON poot_challenges (expires_at);

-- Consumed nonces: the unique key refuses a replay, across restarts, until the row is purged
-- after expires_at.
CREATE TABLE poot_nonces (
    node_id    TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    UNIQUE (node_id, nonce)
) STRICT;

CREATE INDEX poot_nonces_expires ON poot_nonces (expires_at);
