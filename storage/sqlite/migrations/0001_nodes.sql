-- 0001: the node registry: meta (key check), pools, nodes, audit log, leases.
-- Times are INTEGER microseconds since the Unix epoch, UTC. Nested structures are JSON text;
-- hardware_info and public_key are sealed (AES-256-GCM) blobs.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE pools (
    pool_id         TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    description     TEXT NOT NULL,
    max_nodes       INTEGER NOT NULL,
    resource_limits TEXT,
    auto_scaling    INTEGER NOT NULL,
    scaling_policy  TEXT,
    pricing         TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX pools_created ON pools (created_at, pool_id);

-- A pool's node_count is not stored: it is COUNT(*) of its members, read in the same
-- transaction, so it can never drift from the membership.
CREATE TABLE nodes (
    node_id         TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    pool_id         TEXT REFERENCES pools (pool_id),
    pool_priority   INTEGER,
    status          TEXT NOT NULL,
    node_type       TEXT NOT NULL,
    hardware_info   BLOB NOT NULL,
    location        TEXT,
    configuration   TEXT,
    poot_score      REAL NOT NULL,
    last_heartbeat  INTEGER,
    health          TEXT NOT NULL,
    health_deadline INTEGER,
    public_key      BLOB,
    maintenance     TEXT,
    status_reason   TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

-- Names are unique within a pool; nodes without a pool share the '' namespace.
CREATE UNIQUE INDEX nodes_pool_name ON nodes (ifnull(pool_id, ''), name);
CREATE INDEX nodes_created ON nodes (created_at, node_id);
CREATE INDEX nodes_pool ON nodes (pool_id, created_at, node_id);
-- The API's usual listing (a pool's nodes in one status) pages and counts from this index alone.
CREATE INDEX nodes_pool_status ON nodes (pool_id, status, created_at, node_id);
CREATE INDEX nodes_status ON nodes (status, created_at, node_id);
CREATE INDEX nodes_health ON nodes (health, created_at, node_id);
CREATE INDEX nodes_health_deadline ON nodes (health_deadline) WHERE health <> 'down';

CREATE TABLE audit (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    id       TEXT NOT NULL,
    at       INTEGER NOT NULL,
    category TEXT NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    target   TEXT NOT NULL,
    result   TEXT NOT NULL,
    details  TEXT
) STRICT;

CREATE INDEX audit_at ON audit (at, seq);
CREATE INDEX audit_category_at ON audit (category, at);
CREATE INDEX audit_target_at ON audit (target, at);

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
