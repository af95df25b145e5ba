// Package payouttest holds helpers for testing code that pays out: MemStore (an in-memory
// payout.Store), FakeChain (an in-memory payout.ChainClient with fault injection), crash
// wrappers that kill a processor at any store or chain call, and RunScenario, the
// exactly-once scenario that any ChainClient can be run through with a Harness.
package payouttest
