package payouttest_test

import (
	"testing"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/payout/payouttest"
)

func TestMemStoreConformance(t *testing.T) {
	t.Parallel()
	payouttest.TestStore(t, func(*testing.T) payout.Store { return payouttest.NewMemStore() })
	payouttest.TestWalletStore(t, func(*testing.T) payout.WalletStore { return payouttest.NewMemStore() })
}
