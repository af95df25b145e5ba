-- 0001: the node registry: meta (key check), pools, nodes, audit log, leases.
-- Times are timestamptz (microsecond precision, UTC). Nested structures are json (kept as the exact
-- text Go wrote: nothing queries inside them, and unlike jsonb it accepts every string Go can
-- encode, \u0000 included); hardware_info and public_key are sealed (AES-256-GCM) bytea.

CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE pools (
    pool_id         text PRIMARY KEY,
    name            text NOT NULL CONSTRAINT pools_name_key UNIQUE,
    description     text NOT NULL,
    max_nodes       integer NOT NULL,
    resource_limits json,
    auto_scaling    boolean NOT NULL,
    scaling_policy  json,
    pricing         json,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE INDEX pools_created ON pools (created_at, pool_id);

-- A pool's node_count is not stored: it is COUNT(*) of its members, read after the pool row is
-- locked, so it can never drift from the membership.
CREATE TABLE nodes (
    node_id         text PRIMARY KEY,
    name            text NOT NULL,
    pool_id         text REFERENCES pools (pool_id),
    pool_priority   integer,
    status          text NOT NULL,
    node_type       text NOT NULL,
    hardware_info   bytea NOT NULL,
    location        json,
    configuration   json,
    poot_score      double precision NOT NULL,
    last_heartbeat  timestamptz,
    health          text NOT NULL,
    health_deadline timestamptz,
    public_key      bytea,
    maintenance     json,
    status_reason   text NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    uptime_since    timestamptz,
    up_seconds      bigint NOT NULL DEFAULT 0
);

-- Names are unique within a pool; nodes without a pool share the '' namespace.
CREATE UNIQUE INDEX nodes_pool_name ON nodes ((coalesce(pool_id, '')), name);
CREATE INDEX nodes_created ON nodes (created_at, node_id);
CREATE INDEX nodes_pool ON nodes (pool_id, created_at, node_id);
CREATE INDEX nodes_pool_status ON nodes (pool_id, status, created_at, node_id);
CREATE INDEX nodes_status ON nodes (status, created_at, node_id);
CREATE INDEX nodes_health ON nodes (health, created_at, node_id);
CREATE INDEX nodes_health_deadline ON nodes (health_deadline) WHERE health <> 'down';

CREATE TABLE audit (
    seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id       text NOT NULL,
    at       timestamptz NOT NULL,
    category text NOT NULL,
    actor    text NOT NULL,
    action   text NOT NULL,
    target   text NOT NULL,
    result   text NOT NULL,
    details  json
);

CREATE INDEX audit_at ON audit (at, seq);
CREATE INDEX audit_category_at ON audit (category, at);
CREATE INDEX audit_target_at ON audit (target, at);

CREATE TABLE leases (
    name       text PRIMARY KEY,
    holder     text NOT NULL,
    expires_at timestamptz NOT NULL
);
