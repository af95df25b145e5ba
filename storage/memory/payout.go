package memory

import "github.com/hamigames/lucid-node-management/payout/memstore"

// PayoutStore is the payout domain of the memory backend: payouts, batches, transactions, the
// schedule, epochs, the ledger and node wallets. It is payout/memstore's store, the one
// in-memory implementation that payouttest.MemStore also wraps.
type PayoutStore = memstore.Store

// NewPayoutStore returns an empty payout store.
func NewPayoutStore() *PayoutStore { return memstore.New() }
