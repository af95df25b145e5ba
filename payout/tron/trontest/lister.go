package trontest

import (
	"context"
	"sort"

	"github.com/hamigames/lucid-node-management/payout"
)

// Lister returns a payout.TransferLister over the simulator's chain: every included transfer
// from payer (base58), successful or not, in block order. It lets payout.Audit prove that no
// transaction outside the payout records paid anyone.
func (s *Server) Lister(payer string) payout.TransferLister { return lister{s: s, payer: payer} }

type lister struct {
	s     *Server
	payer string
}

func (l lister) ListTransfers(context.Context) ([]payout.ChainTransfer, error) {
	var out []payout.ChainTransfer
	for _, t := range l.s.Transactions() {
		if t.State != TxIncluded || t.From != l.payer {
			continue
		}
		amt, err := payout.NewAmount(t.Amount, payout.USDT)
		if err != nil {
			return nil, err
		}
		out = append(out, payout.ChainTransfer{TxID: t.ID, To: t.To, Amount: amt, BlockNumber: t.Block, Success: t.Paid()})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].BlockNumber < out[j].BlockNumber })
	return out, nil
}
