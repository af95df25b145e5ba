-- 0002: PoOT. Times are timestamptz (microseconds, UTC).

-- Every validation, kept a year. record is the full poot.Validation as JSON (reasons, flags,
-- reputation State); the other columns are what listings filter and order by.
CREATE TABLE poot_validations (
    validation_id text PRIMARY KEY,
    node_id       text NOT NULL,
    ts            timestamptz NOT NULL,
    seq           bigint NOT NULL,
    is_valid      boolean NOT NULL,
    evidence      boolean NOT NULL,
    score         double precision NOT NULL,
    output_hash   text NOT NULL,
    record        json NOT NULL
);

-- Listing order is (ts, seq, validation_id) descending; each index serves one filter.
CREATE INDEX poot_validations_node ON poot_validations (node_id, ts, seq, validation_id);
-- The validator reads a node's latest evidence validations on every proof.
CREATE INDEX poot_validations_node_evidence ON poot_validations (node_id, ts, seq, validation_id) WHERE evidence;
CREATE INDEX poot_validations_hash ON poot_validations (output_hash, ts, seq, validation_id) WHERE output_hash <> '';
CREATE INDEX poot_validations_ts ON poot_validations (ts, seq, validation_id);

-- Issued, not yet answered challenges. The nonce is unique across all nodes.
CREATE TABLE poot_challenges (
    nonce      text PRIMARY KEY,
    node_id    text NOT NULL,
    issued_at  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE INDEX poot_challenges_expires ON poot_challenges (expires_at);

-- Consumed nonces: the primary key refuses a replay, across restarts and replicas, until the
-- row is purged after expires_at.
CREATE TABLE poot_nonces (
    node_id    text NOT NULL,
    nonce      text NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (node_id, nonce)
);

CREATE INDEX poot_nonces_expires ON poot_nonces (expires_at);
