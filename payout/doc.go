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
package payout
