package storagetest

import (
	"testing"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/payout/payouttest"
)

// PayoutBackend is what the payout sub-suite needs: the payout store and the node wallets.
type PayoutBackend interface {
	payout.Store
	payout.WalletStore
}

// RunPayouts runs the payout.Store and payout.WalletStore conformance tests (the suites live in
// payout/payouttest, so the reference store and every backend are held to the same rules).
func RunPayouts(t *testing.T, newStore func(t *testing.T) PayoutBackend) {
	t.Run("Store", func(t *testing.T) {
		t.Parallel()
		payouttest.TestStore(t, func(t *testing.T) payout.Store { return newStore(t) })
	})
	t.Run("Wallets", func(t *testing.T) {
		t.Parallel()
		payouttest.TestWalletStore(t, func(t *testing.T) payout.WalletStore { return newStore(t) })
	})
}
