-- 0003: PoOT. Times are INTEGER microseconds since the Unix epoch, UTC.
--
-- The tables are WITHOUT ROWID, clustered on the key every hot statement uses, so a proof's
-- writes touch as few pages as possible: the nonce insert, the challenge delete and the
-- validation insert are the per-proof cost of the single writer.

-- Every validation, kept a year. record is the full poot.Validation as JSON (reasons, flags,
-- reputation State); the other columns are what listings filter and order by. The key is the
-- listing order of one node's history; validation ids are random UUIDs.
CREATE TABLE poot_validations (
    node_id       TEXT NOT NULL,
    ts            INTEGER NOT NULL,
    seq           INTEGER NOT NULL,
    validation_id TEXT NOT NULL,
    is_valid      INTEGER NOT NULL,
    evidence      INTEGER NOT NULL,
    score         REAL NOT NULL,
    output_hash   TEXT NOT NULL,
    record        TEXT NOT NULL,
    PRIMARY KEY (node_id, ts, seq, validation_id)
) STRICT, WITHOUT ROWID;

-- Listing order is (ts, seq, validation_id) descending; each index serves one filter.
CREATE INDEX poot_validations_hash ON poot_validations (output_hash, ts, seq, validation_id) WHERE output_hash <> '';
CREATE INDEX poot_validations_ts ON poot_validations (ts, seq, validation_id);

-- Issued, not yet answered challenges. The nonce is unique across all nodes.
CREATE TABLE poot_challenges (
    nonce      TEXT PRIMARY KEY,
    node_id    TEXT NOT NULL,
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX poot_challenges_expires ON poot_challenges (expires_at);

-- Consumed nonces: the key refuses a replay, across restarts, until the row is purged after
-- expires_at.
CREATE TABLE poot_nonces (
    node_id    TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (node_id, nonce)
) STRICT, WITHOUT ROWID;

CREATE INDEX poot_nonces_expires ON poot_nonces (expires_at);
