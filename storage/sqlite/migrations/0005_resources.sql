-- 0005: resource monitoring. Times are INTEGER microseconds since the Unix epoch, UTC.
--
-- resource_samples holds one row per node and sample timestamp with the value of each metric
-- type (nodemgmt.ResourceSample.MetricValue) as a column, so bucketed queries are one GROUP BY
-- over a primary-key range that never touches a JSON document. The full sample of the
-- "current" view is kept per node in resource_latest (only the newest is ever read, so the raw
-- table stays narrow: a 7-day 1-minute range is 10,080 short rows).
--
-- m15, m5 and m1 are the timestamp divided (floor) by 15, 5 and 1 minutes in microseconds. They
-- are all monotonic in ts, so the key orders rows exactly as (node_id, ts) would, and it is unique
-- for the same reason; but GROUP BY m15[, m5[, m1]] is now a prefix of the key, which SQLite
-- aggregates while it walks the key range instead of sorting every row into a temporary b-tree
-- first (the sort was two thirds of a 7-day 5-minute query).
CREATE TABLE resource_samples (
    node_id TEXT NOT NULL,
    m15     INTEGER NOT NULL,
    m5      INTEGER NOT NULL,
    m1      INTEGER NOT NULL,
    ts      INTEGER NOT NULL,
    cpu     REAL NOT NULL,
    memory  REAL NOT NULL,
    disk    REAL NOT NULL,
    network REAL NOT NULL,
    PRIMARY KEY (node_id, m15, m5, m1, ts)
) STRICT, WITHOUT ROWID;

-- Retention deletes by time across all nodes.
CREATE INDEX resource_samples_ts ON resource_samples (ts);

CREATE TABLE resource_latest (
    node_id TEXT PRIMARY KEY,
    ts      INTEGER NOT NULL,
    sample  TEXT NOT NULL
) STRICT;

CREATE INDEX resource_latest_ts ON resource_latest (ts);

-- Hourly aggregates, upserted in the transaction that inserts the raw sample, so they are
-- complete for every hour whose samples were ever stored and outlive raw retention.
CREATE TABLE resource_hourly (
    node_id TEXT NOT NULL,
    metric  TEXT NOT NULL,
    hour    INTEGER NOT NULL,
    count   INTEGER NOT NULL,
    sum     REAL NOT NULL,
    min     REAL NOT NULL,
    max     REAL NOT NULL,
    PRIMARY KEY (node_id, metric, hour)
) STRICT, WITHOUT ROWID;

CREATE INDEX resource_hourly_hour ON resource_hourly (hour);

CREATE TABLE resource_thresholds (
    node_id    TEXT PRIMARY KEY,
    thresholds TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
) STRICT;

CREATE TABLE resource_alerts (
    id         TEXT PRIMARY KEY,
    node_id    TEXT NOT NULL,
    resource   TEXT NOT NULL,
    level      TEXT NOT NULL,
    value      REAL NOT NULL,
    threshold  REAL NOT NULL,
    raised_at  INTEGER NOT NULL,
    cleared_at INTEGER
) STRICT;

-- At most one active alert per node and resource, whatever the code above does.
CREATE UNIQUE INDEX resource_alerts_active ON resource_alerts (node_id, resource) WHERE cleared_at IS NULL;
CREATE INDEX resource_alerts_node ON resource_alerts (node_id, raised_at);
CREATE INDEX resource_alerts_raised ON resource_alerts (raised_at);

CREATE TABLE resource_allocations (
    node_id      TEXT PRIMARY KEY,
    cpu_percent  REAL NOT NULL,
    memory_bytes INTEGER NOT NULL,
    disk_bytes   INTEGER NOT NULL,
    network_mbps REAL NOT NULL,
    allocated_at INTEGER NOT NULL,
    allocated_by TEXT NOT NULL
) STRICT;
