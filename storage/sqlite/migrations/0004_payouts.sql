-- 0004: payouts. Money is INTEGER minor units next to a currency column (USDT 6 decimals,
-- LUCID 8), never REAL. Wallet addresses (payouts.wallet_address, payout_txs.to_address,
-- node_wallets.address) are sealed (AES-256-GCM) blobs bound to their row by the AAD; no query
-- filters by address, so no lookup hash is kept. Times are INTEGER microseconds, UTC.

CREATE TABLE payout_batches (
    batch_id         TEXT PRIMARY KEY,
    status           TEXT NOT NULL,
    priority         TEXT NOT NULL,
    scheduled_at     INTEGER,
    notification_url TEXT NOT NULL,
    content_hash     TEXT NOT NULL,
    payout_count     INTEGER NOT NULL,
    totals           TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    finished_at      INTEGER,
    notified_at      INTEGER,
    notify_attempts  INTEGER NOT NULL,
    notify_error     TEXT NOT NULL,
    version          INTEGER NOT NULL
) STRICT;

-- Batches still being processed or still owing their webhook: the processor's working set.
CREATE INDEX payout_batches_open ON payout_batches (batch_id)
    WHERE status IN ('queued', 'processing') OR (notification_url <> '' AND notified_at IS NULL);

-- status is derived from stage on every write so listings can filter by the public status.
CREATE TABLE payouts (
    payout_id        TEXT PRIMARY KEY,
    node_id          TEXT NOT NULL,
    amount_minor     INTEGER NOT NULL CHECK (amount_minor > 0),
    currency         TEXT NOT NULL CHECK (currency IN ('USDT', 'LUCID')),
    wallet_address   BLOB NOT NULL,
    stage            TEXT NOT NULL,
    status           TEXT NOT NULL,
    priority         TEXT NOT NULL,
    transaction_hash TEXT NOT NULL,
    batch_id         TEXT NOT NULL,
    epoch_id         TEXT NOT NULL,
    scheduled_at     INTEGER,
    processed_at     INTEGER,
    completed_at     INTEGER,
    error_message    TEXT NOT NULL,
    chain_state      TEXT NOT NULL,
    block_number     INTEGER NOT NULL,
    tx_attempts      INTEGER NOT NULL,
    errors           INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    version          INTEGER NOT NULL
) STRICT;

CREATE INDEX payouts_created ON payouts (created_at, payout_id);
CREATE INDEX payouts_node ON payouts (node_id, created_at, payout_id);
CREATE INDEX payouts_batch ON payouts (batch_id, created_at, payout_id);
CREATE INDEX payouts_active ON payouts (payout_id) WHERE status IN ('pending', 'processing');

-- Every transaction ever built for a payout, superseded ones included (the audit reads them
-- all). seq keeps the order of creation; tx_id is unique across payouts.
CREATE TABLE payout_txs (
    seq             INTEGER PRIMARY KEY,
    tx_id           TEXT NOT NULL UNIQUE,
    payout_id       TEXT NOT NULL REFERENCES payouts (payout_id),
    raw             BLOB NOT NULL,
    expiration      INTEGER NOT NULL,
    to_address      BLOB NOT NULL,
    amount_minor    INTEGER NOT NULL,
    currency        TEXT NOT NULL,
    state           TEXT NOT NULL,
    block_number    INTEGER NOT NULL,
    superseded      INTEGER NOT NULL,
    broadcast_error TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX payout_txs_payout ON payout_txs (payout_id, seq);

-- The epoch schedule: a single row.
CREATE TABLE payout_schedule (
    id                   INTEGER PRIMARY KEY CHECK (id = 1),
    enabled              INTEGER NOT NULL,
    interval_us          INTEGER NOT NULL,
    reward_pool_minor    INTEGER NOT NULL,
    minimum_payout_minor INTEGER NOT NULL,
    currency             TEXT NOT NULL,
    next_run_at          INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    version              INTEGER NOT NULL
) STRICT;

CREATE TABLE payout_epochs (
    epoch_id        TEXT PRIMARY KEY,
    currency        TEXT NOT NULL,
    start_at        INTEGER NOT NULL,
    end_at          INTEGER NOT NULL,
    pool            INTEGER NOT NULL,
    carry_in        INTEGER NOT NULL,
    distributed     INTEGER NOT NULL,
    remainder_units INTEGER NOT NULL,
    carry_out       INTEGER NOT NULL,
    shares          TEXT NOT NULL,
    payout_ids      TEXT NOT NULL,
    created_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX payout_epochs_end ON payout_epochs (currency, end_at, epoch_id);

-- The append-only entitlement ledger: entitlement = Σ owed − Σ paid + Σ reversal.
CREATE TABLE payout_ledger (
    seq       INTEGER PRIMARY KEY,
    node_id   TEXT NOT NULL,
    currency  TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('owed', 'paid', 'reversal')),
    minor     INTEGER NOT NULL,
    epoch_id  TEXT NOT NULL,
    payout_id TEXT NOT NULL,
    at        INTEGER NOT NULL
) STRICT;

CREATE INDEX payout_ledger_node ON payout_ledger (currency, node_id);

-- Where each node is paid, one wallet per node and currency.
CREATE TABLE node_wallets (
    node_id    TEXT NOT NULL,
    currency   TEXT NOT NULL,
    address    BLOB NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (node_id, currency)
) STRICT;
