// Package payout pays node operators exactly once.
//
// It holds money (Amount in integer minor units per Currency, exact decimal JSON), wallet
// address validation (TRON base58check for USDT, 0x-hex for LUCID, a blocklist), the payout and
// batch model with request validation and batch idempotency, epoch planning from PoOT scores
// (cumulative owed minus cumulative paid, explicit remainders, a minimum payout threshold), the
// Processor state machine that drives payouts through a ChainClient with signed bytes persisted
// before broadcast, the Scheduler, and the Audit that proves one confirmed transaction per
// completed payout.
//
// The package imports no chain SDK: payout/tron implements ChainClient over TRON, and the
// composition root supplies the Store, the ScoreSource and the clock.
//
// # Decisions
//
//   - Amounts leave the API as exact decimal JSON strings ("12.5") and enter as a JSON number
//     or string; text with an exponent, a sign, NaN/Inf or more decimals than the currency has
//     is refused. Per payout 0.000001 ≤ amount ≤ 1,000,000 (ValidatePayoutAmount).
//   - A batch_id reused with different content is LUCID_ERR_4090 (HTTP 409): SPEC asks for 409
//     and 5010 maps to 422. Content is compared by BatchContentHash after defaults are applied.
//   - Rounding: SplitPool uses the largest remainder method, so an epoch's Σ shares equals its
//     pool exactly and EpochRecord.RemainderUnits records how many units the remainder step
//     handed out (ties go to the lower NodeID, at most one minor unit per node per epoch). When
//     no node is eligible the whole pool is carried to the next epoch (CarryOut).
//   - Entitlement = Σ owed − Σ paid + Σ reversal in an append-only ledger; a payout is debited
//     when planned, and credited back if it fails or is cancelled, atomically with that change.
//   - Stages: pending → signed → broadcast → confirmed → completed, or failed/cancelled. The
//     public status maps signed/broadcast/confirmed to processing; stage and chain_state are
//     extra API fields.
//   - Processor.Run pipelines: each worker takes the next due payout as soon as it is free, and a
//     payout waiting for the chain is looked at again only after a new head block (or, once its
//     transaction is in a block, when it can have reached the confirmation depth). Every stage
//     change is still persisted, by compare-and-set, before the next chain call; ProcessOnce and
//     Recover are single passes with the same guarantees.
//   - Webhooks are https only unless allowed otherwise, delivered at least once (a crash between
//     the POST and recording it repeats the POST), up to ProcessorConfig.WebhookAttempts.
package payout
