package rowcodec

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/storage/seal"
)

// AADPayoutAddr is the associated data of a payout's sealed wallet_address: bound to the row, so
// an address blob copied into another payout fails to open instead of redirecting funds.
func AADPayoutAddr(payoutID string) []byte { return []byte("payouts.wallet_address:" + payoutID) }

// AADTxAddr is the associated data of a transaction record's sealed to_address, for the same
// reason as AADPayoutAddr.
func AADTxAddr(txID string) []byte { return []byte("payout_txs.to_address:" + txID) }

// AADWallet is the associated data of a node's sealed wallet address for one currency; the
// currency is part of it because a node keeps one address per currency.
func AADWallet(nodeID string, c payout.Currency) []byte {
	return []byte("node_wallets.address:" + string(c) + ":" + nodeID)
}

// SealPayoutAddress is the wallet_address column of p.
func SealPayoutAddress(s *seal.Sealer, p *payout.Payout) []byte {
	return s.Seal([]byte(p.WalletAddress), AADPayoutAddr(p.PayoutID))
}

// OpenPayout sets p's Amount and WalletAddress from the amount_minor, currency and sealed
// wallet_address columns; p.PayoutID must already be set, as it is the associated data.
func OpenPayout(s *seal.Sealer, p *payout.Payout, minor int64, currency string, addr []byte) error {
	amt, err := payout.NewAmount(minor, payout.Currency(currency))
	if err != nil {
		return fmt.Errorf("payout %s: amount: %w", p.PayoutID, err)
	}
	a, err := s.Open(addr, AADPayoutAddr(p.PayoutID))
	if err != nil {
		return fmt.Errorf("payout %s: wallet_address: %w", p.PayoutID, err)
	}
	p.Amount, p.WalletAddress = amt, string(a)
	return nil
}

// SealTxAddress is the to_address column of t.
func SealTxAddress(s *seal.Sealer, t *payout.TxRecord) []byte {
	return s.Seal([]byte(t.To), AADTxAddr(t.TxID))
}

// OpenTx sets t's To and Amount from the sealed to_address, amount_minor and currency columns;
// t.TxID must already be set. An empty currency is a record written without an amount, which
// keeps the zero Amount rather than failing.
func OpenTx(s *seal.Sealer, t *payout.TxRecord, to []byte, minor int64, currency string) error {
	addr, err := s.Open(to, AADTxAddr(t.TxID))
	if err != nil {
		return fmt.Errorf("tx %s: to_address: %w", t.TxID, err)
	}
	if currency != "" {
		if t.Amount, err = payout.NewAmount(minor, payout.Currency(currency)); err != nil {
			return fmt.Errorf("tx %s: amount: %w", t.TxID, err)
		}
	}
	t.To = string(addr)
	return nil
}

// SealWalletAddress is the address column of w.
func SealWalletAddress(s *seal.Sealer, w *payout.Wallet) []byte {
	return s.Seal([]byte(w.Address), AADWallet(w.NodeID, w.Currency))
}

// OpenWallet sets w.Address from the sealed address column; w.NodeID and w.Currency must
// already be set.
func OpenWallet(s *seal.Sealer, w *payout.Wallet, addr []byte) error {
	a, err := s.Open(addr, AADWallet(w.NodeID, w.Currency))
	if err != nil {
		return fmt.Errorf("wallet of %s: %w", w.NodeID, err)
	}
	w.Address = string(a)
	return nil
}

// EncodeTotals is the JSON totals column of b.
func EncodeTotals(b *payout.Batch) ([]byte, error) {
	tot, err := json.Marshal(b.Totals)
	if err != nil {
		return nil, fmt.Errorf("encode totals: %w", err)
	}
	return tot, nil
}

// DecodeTotals sets b.Totals from the JSON totals column; b.BatchID names the batch in errors.
func DecodeTotals(b *payout.Batch, totals []byte) error {
	if err := json.Unmarshal(totals, &b.Totals); err != nil {
		return fmt.Errorf("batch %s: totals: %w", b.BatchID, err)
	}
	return nil
}

// Cond is one term of a WHERE clause without its placeholder, which belongs to the backend's
// dialect: Expr ends where the placeholder goes ("node_id = ").
type Cond struct {
	// Expr is the column and operator.
	Expr string
	// Value is the argument bound to the placeholder.
	Value any
}

// PayoutConds maps the filters of f to WHERE terms, in a fixed order; at converts a time to
// the backend's column form. One mapping keeps the backends filtering the same columns.
func PayoutConds(f payout.PayoutFilter, at func(time.Time) any) []Cond {
	var out []Cond
	add := func(expr string, v any) { out = append(out, Cond{Expr: expr, Value: v}) }
	if f.NodeID != "" {
		add("node_id = ", f.NodeID)
	}
	if f.BatchID != "" {
		add("batch_id = ", f.BatchID)
	}
	if f.EpochID != "" {
		add("epoch_id = ", f.EpochID)
	}
	if f.Status != "" {
		add("status = ", string(f.Status))
	}
	if f.Currency != "" {
		add("currency = ", string(f.Currency))
	}
	if f.From != nil {
		add("created_at >= ", at(*f.From))
	}
	if f.To != nil {
		add("created_at < ", at(*f.To))
	}
	return out
}

// PayoutPageLimit is the page size of a payout listing: the requested limit, or 1000 when it
// is unset or larger, so one request cannot read the whole table.
func PayoutPageLimit(limit int) int {
	if limit <= 0 || limit > 1000 {
		return 1000
	}
	return limit
}

// TrimPayoutPage cuts ps, read with one row more than limit, to limit and returns the cursor
// of the next page, or "" when ps was the last page.
func TrimPayoutPage(ps []payout.Payout, limit int) ([]payout.Payout, string) {
	if len(ps) <= limit {
		return ps, ""
	}
	ps = ps[:limit]
	return ps, payout.EncodeCursor(ps[len(ps)-1])
}
