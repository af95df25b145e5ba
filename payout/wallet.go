package payout

import (
	"context"
	"time"
)

// Wallet is where a node is paid in one currency. Payouts planned from PoOT scores read it
// through the ScoreSource the server wires; batch payouts carry their own address.
type Wallet struct {
	NodeID   string
	Currency Currency
	// Address is the canonical address (CanonicalAddress), validated before it is stored.
	Address   string
	UpdatedAt time.Time
}

// WalletStore persists node wallets, one per node and currency. Addresses are sensitive:
// backends that persist to disk encrypt them at rest.
type WalletStore interface {
	// SetWallet stores w, replacing the node's wallet in that currency.
	SetWallet(ctx context.Context, w Wallet) error
	// GetWallet returns a node's wallet in currency c, or ErrNotFound.
	GetWallet(ctx context.Context, nodeID string, c Currency) (Wallet, error)
	// ListWallets returns every wallet in currency c, ordered by NodeID.
	ListWallets(ctx context.Context, c Currency) ([]Wallet, error)
}
