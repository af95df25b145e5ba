-- 0004: payouts. Money is bigint minor units next to a currency column (USDT 6 decimals,
-- LUCID 8), never a float. Wallet addresses (payouts.wallet_address, payout_txs.to_address,
-- node_wallets.address) are sealed (AES-256-GCM) bytea bound to their row by the associated
-- data, as in the SQLite backend. Times are timestamptz (microseconds, UTC).

CREATE TABLE payout_batches (
    batch_id         text PRIMARY KEY,
    status           text NOT NULL,
    priority         text NOT NULL,
    scheduled_at     timestamptz,
    notification_url text NOT NULL,
    content_hash     text NOT NULL,
    payout_count     integer NOT NULL,
    totals           json NOT NULL,
    created_at       timestamptz NOT NULL,
    finished_at      timestamptz,
    notified_at      timestamptz,
    notify_attempts  integer NOT NULL,
    notify_error     text NOT NULL,
    version          bigint NOT NULL
);

-- Batches still being processed or still owing their webhook: the processor's working set.
CREATE INDEX payout_batches_open ON payout_batches (batch_id)
    WHERE status IN ('queued', 'processing') OR (notification_url <> '' AND notified_at IS NULL);

-- status is derived from stage on every write so listings can filter by the public status.
CREATE TABLE payouts (
    payout_id        text PRIMARY KEY,
    node_id          text NOT NULL,
    amount_minor     bigint NOT NULL CHECK (amount_minor > 0),
    currency         text NOT NULL CHECK (currency IN ('USDT', 'LUCID')),
    wallet_address   bytea NOT NULL,
    stage            text NOT NULL,
    status           text NOT NULL,
    priority         text NOT NULL,
    transaction_hash text NOT NULL,
    batch_id         text NOT NULL,
    epoch_id         text NOT NULL,
    scheduled_at     timestamptz,
    processed_at     timestamptz,
    completed_at     timestamptz,
    error_message    text NOT NULL,
    chain_state      text NOT NULL,
    block_number     bigint NOT NULL,
    tx_attempts      integer NOT NULL,
    errors           integer NOT NULL,
    next_attempt_at  timestamptz NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    version          bigint NOT NULL
);

CREATE INDEX payouts_created ON payouts (created_at, payout_id);
CREATE INDEX payouts_node ON payouts (node_id, created_at, payout_id);
CREATE INDEX payouts_batch ON payouts (batch_id, created_at, payout_id);
CREATE INDEX payouts_status ON payouts (status, created_at, payout_id);
CREATE INDEX payouts_active ON payouts (payout_id) WHERE status IN ('pending', 'processing');

-- Every transaction ever built for a payout, superseded ones included (the audit reads them
-- all). seq keeps the order of creation; tx_id is unique across payouts.
CREATE TABLE payout_txs (
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx_id           text NOT NULL UNIQUE,
    payout_id       text NOT NULL REFERENCES payouts (payout_id),
    raw             bytea NOT NULL,
    expiration      timestamptz NOT NULL,
    to_address      bytea NOT NULL,
    amount_minor    bigint NOT NULL,
    currency        text NOT NULL,
    state           text NOT NULL,
    block_number    bigint NOT NULL,
    superseded      boolean NOT NULL,
    broadcast_error text NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE INDEX payout_txs_payout ON payout_txs (payout_id, seq);

-- The epoch schedule: a single row.
CREATE TABLE payout_schedule (
    id                   integer PRIMARY KEY CHECK (id = 1),
    enabled              boolean NOT NULL,
    interval_us          bigint NOT NULL,
    reward_pool_minor    bigint NOT NULL,
    minimum_payout_minor bigint NOT NULL,
    currency             text NOT NULL,
    next_run_at          timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    version              bigint NOT NULL
);

CREATE TABLE payout_epochs (
    epoch_id        text PRIMARY KEY,
    currency        text NOT NULL,
    start_at        timestamptz NOT NULL,
    end_at          timestamptz NOT NULL,
    pool            bigint NOT NULL,
    carry_in        bigint NOT NULL,
    distributed     bigint NOT NULL,
    remainder_units bigint NOT NULL,
    carry_out       bigint NOT NULL,
    shares          json NOT NULL,
    payout_ids      json NOT NULL,
    created_at      timestamptz NOT NULL
);

CREATE INDEX payout_epochs_end ON payout_epochs (currency, end_at, epoch_id);

-- The append-only entitlement ledger: entitlement = Σ owed − Σ paid + Σ reversal.
CREATE TABLE payout_ledger (
    seq       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    node_id   text NOT NULL,
    currency  text NOT NULL,
    kind      text NOT NULL CHECK (kind IN ('owed', 'paid', 'reversal')),
    minor     bigint NOT NULL,
    epoch_id  text NOT NULL,
    payout_id text NOT NULL,
    at        timestamptz NOT NULL
);

CREATE INDEX payout_ledger_node ON payout_ledger (currency, node_id);

-- Where each node is paid, one wallet per node and currency.
CREATE TABLE node_wallets (
    node_id    text NOT NULL,
    currency   text NOT NULL,
    address    bytea NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (node_id, currency)
);
