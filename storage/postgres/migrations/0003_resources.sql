-- 0003: resource monitoring. Times are timestamptz (microseconds, UTC).
--
-- resource_samples holds one row per node and sample timestamp with the value of each metric
-- type (nodemgmt.ResourceSample.MetricValue) as a column, so bucketed queries are one GROUP BY
-- over a primary-key range that never touches a JSON document. The full sample of the
-- "current" view is kept per node in resource_latest (only the newest is ever read).
CREATE TABLE resource_samples (
    node_id text NOT NULL,
    ts      timestamptz NOT NULL,
    cpu     double precision NOT NULL,
    memory  double precision NOT NULL,
    disk    double precision NOT NULL,
    network double precision NOT NULL,
    PRIMARY KEY (node_id, ts)
);

-- Retention deletes by time across all nodes.
CREATE INDEX resource_samples_ts ON resource_samples (ts);

CREATE TABLE resource_latest (
    node_id text PRIMARY KEY,
    ts      timestamptz NOT NULL,
    sample  json NOT NULL
);

CREATE INDEX resource_latest_ts ON resource_latest (ts);

-- Hourly aggregates, upserted in the transaction that inserts the raw sample, so they are
-- complete for every hour whose samples were ever stored and outlive raw retention.
CREATE TABLE resource_hourly (
    node_id text NOT NULL,
    metric  text NOT NULL,
    hour    timestamptz NOT NULL,
    count   bigint NOT NULL,
    sum     double precision NOT NULL,
    min     double precision NOT NULL,
    max     double precision NOT NULL,
    PRIMARY KEY (node_id, metric, hour)
);

CREATE INDEX resource_hourly_hour ON resource_hourly (hour);

CREATE TABLE resource_thresholds (
    node_id    text PRIMARY KEY,
    thresholds json NOT NULL,
    updated_at timestamptz NOT NULL,
    updated_by text NOT NULL
);

CREATE TABLE resource_alerts (
    id         text PRIMARY KEY,
    node_id    text NOT NULL,
    resource   text NOT NULL,
    level      text NOT NULL,
    value      double precision NOT NULL,
    threshold  double precision NOT NULL,
    raised_at  timestamptz NOT NULL,
    cleared_at timestamptz
);

-- At most one active alert per node and resource, whatever the code above does.
CREATE UNIQUE INDEX resource_alerts_active ON resource_alerts (node_id, resource) WHERE cleared_at IS NULL;
CREATE INDEX resource_alerts_node ON resource_alerts (node_id, raised_at);
CREATE INDEX resource_alerts_raised ON resource_alerts (raised_at);

CREATE TABLE resource_allocations (
    node_id      text PRIMARY KEY,
    cpu_percent  double precision NOT NULL,
    memory_bytes bigint NOT NULL,
    disk_bytes   bigint NOT NULL,
    network_mbps double precision NOT NULL,
    allocated_at timestamptz NOT NULL,
    allocated_by text NOT NULL
);
