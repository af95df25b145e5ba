package payout

import (
	"context"
	"fmt"
	"sort"
)

// ChainTransfer is a transfer the chain executed from the payer, as a TransferLister reports it.
type ChainTransfer struct {
	TxID        string
	To          string
	Amount      Amount
	BlockNumber int64
	// Success is false for a transaction that was included but reverted (paid nothing).
	Success bool
}

// TransferLister lists every transfer from the payer the chain has included. A ChainClient
// that can implement it (a simulator, or an indexer-backed client) lets the audit also prove
// that no transaction outside the records paid anyone.
type TransferLister interface {
	ListTransfers(ctx context.Context) ([]ChainTransfer, error)
}

// ViolationKind names what the audit found wrong.
type ViolationKind string

// Audit violation kinds.
const (
	// ViolationNoConfirmedTx: a completed payout has no confirmed transaction.
	ViolationNoConfirmedTx ViolationKind = "completed_without_confirmed_tx"
	// ViolationMultipleTx: a payout has more than one successful transaction on chain (paid twice).
	ViolationMultipleTx ViolationKind = "paid_more_than_once"
	// ViolationWrongTransfer: the confirmed transaction pays another amount or address.
	ViolationWrongTransfer ViolationKind = "transfer_mismatch"
	// ViolationPaidNotCompleted: a failed or cancelled payout has a successful transaction.
	ViolationPaidNotCompleted ViolationKind = "paid_but_not_completed"
	// ViolationUnknownTransfer: the chain shows a payer transfer no payout recorded.
	ViolationUnknownTransfer ViolationKind = "unknown_transfer"
	// ViolationRecordMismatch: the final transaction hash is not a confirmed record of the payout.
	ViolationRecordMismatch ViolationKind = "record_mismatch"
)

// Violation is one audit finding.
type Violation struct {
	Kind     ViolationKind `json:"kind"`
	PayoutID string        `json:"payout_id,omitempty"`
	TxID     string        `json:"tx_id,omitempty"`
	Detail   string        `json:"detail"`
}

// AuditReport is the result of Audit.
type AuditReport struct {
	Payouts    int         `json:"payouts"`
	Completed  int         `json:"completed"`
	Txs        int         `json:"transactions"`
	Violations []Violation `json:"violations"`
}

// OK reports whether the audit found nothing wrong.
func (r AuditReport) OK() bool { return len(r.Violations) == 0 }

// Audit proves exactly-once against the chain: every completed payout has exactly one
// confirmed transaction among its records, that transaction is its TransactionHash and pays
// exactly its amount to its address; no failed or cancelled payout has a successful
// transaction; and, when lister is not nil, every successful payer transfer on chain belongs
// to a recorded transaction (nothing else paid anyone) and pays what that record says. Payouts
// still in flight are checked only for double payment.
func Audit(ctx context.Context, s Store, chain ChainClient, lister TransferLister) (AuditReport, error) {
	var rep AuditReport
	byTx := map[string]TxRecord{}
	after := ""
	for {
		txs, err := s.ListAllTxs(ctx, after, 1000)
		if err != nil {
			return rep, err
		}
		for _, t := range txs {
			byTx[t.TxID] = t
		}
		if len(txs) < 1000 {
			break
		}
		after = txs[len(txs)-1].TxID
	}
	rep.Txs = len(byTx)
	var onChain map[string]ChainTransfer
	if lister != nil {
		list, err := lister.ListTransfers(ctx)
		if err != nil {
			return rep, fmt.Errorf("list chain transfers: %w", err)
		}
		onChain = make(map[string]ChainTransfer, len(list))
		for _, ct := range list {
			onChain[ct.TxID] = ct
			rec, ok := byTx[ct.TxID]
			if !ok {
				if ct.Success {
					rep.add(Violation{Kind: ViolationUnknownTransfer, TxID: ct.TxID, Detail: fmt.Sprintf("pays %s to %s, no record", ct.Amount, ct.To)})
				}
				continue
			}
			if ct.Success && (ct.To != rec.To || ct.Amount != rec.Amount) {
				rep.add(Violation{Kind: ViolationWrongTransfer, PayoutID: rec.PayoutID, TxID: ct.TxID, Detail: fmt.Sprintf("chain pays %s to %s, record says %s to %s", ct.Amount, ct.To, rec.Amount, rec.To)})
			}
		}
	}
	perPayout := map[string][]TxRecord{}
	for _, t := range byTx {
		perPayout[t.PayoutID] = append(perPayout[t.PayoutID], t)
	}
	offset := 0
	for {
		pg, err := s.ListPayouts(ctx, PayoutFilter{Limit: 1000, Offset: offset})
		if err != nil {
			return rep, err
		}
		for _, py := range pg.Payouts {
			if err := rep.checkPayout(ctx, chain, onChain, py, perPayout[py.PayoutID]); err != nil {
				return rep, err
			}
		}
		offset += len(pg.Payouts)
		if len(pg.Payouts) == 0 || offset >= pg.Total {
			break
		}
	}
	sort.SliceStable(rep.Violations, func(i, j int) bool { return rep.Violations[i].PayoutID < rep.Violations[j].PayoutID })
	return rep, nil
}

func (r *AuditReport) add(v Violation) { r.Violations = append(r.Violations, v) }

func (r *AuditReport) checkPayout(ctx context.Context, chain ChainClient, onChain map[string]ChainTransfer, py Payout, txs []TxRecord) error {
	r.Payouts++
	var paid []TxRecord
	confirmed := map[string]bool{}
	for _, t := range txs {
		ok, conf, err := paidOnChain(ctx, chain, onChain, t)
		if err != nil {
			return err
		}
		if ok {
			paid = append(paid, t)
			confirmed[t.TxID] = conf
		}
	}
	if len(paid) > 1 {
		r.add(Violation{Kind: ViolationMultipleTx, PayoutID: py.PayoutID, Detail: fmt.Sprintf("%d successful transactions", len(paid))})
	}
	switch py.Stage {
	case StageCompleted:
		r.Completed++
		if len(paid) == 0 {
			r.add(Violation{Kind: ViolationNoConfirmedTx, PayoutID: py.PayoutID, TxID: py.TransactionHash, Detail: "completed but no confirmed transaction"})
			return nil
		}
		t := paid[0]
		if !confirmed[t.TxID] {
			r.add(Violation{Kind: ViolationNoConfirmedTx, PayoutID: py.PayoutID, TxID: t.TxID, Detail: "completed but its transaction is not at the confirmation depth"})
		}
		if t.TxID != py.TransactionHash {
			r.add(Violation{Kind: ViolationRecordMismatch, PayoutID: py.PayoutID, TxID: t.TxID, Detail: "confirmed transaction is not the payout's transaction_hash " + py.TransactionHash})
		}
		if t.To != py.WalletAddress || t.Amount != py.Amount {
			r.add(Violation{Kind: ViolationWrongTransfer, PayoutID: py.PayoutID, TxID: t.TxID, Detail: fmt.Sprintf("pays %s to %s, payout is %s to %s", t.Amount, t.To, py.Amount, py.WalletAddress)})
		}
	case StageFailed, StageCancelled:
		if len(paid) > 0 {
			r.add(Violation{Kind: ViolationPaidNotCompleted, PayoutID: py.PayoutID, TxID: paid[0].TxID, Detail: "payout is " + string(py.Stage) + " but a transaction paid it"})
		}
	}
	return nil
}

// paidOnChain reports whether the transaction is in a block and succeeded (it paid, or will
// once its block is final), and whether the client reports it confirmed.
func paidOnChain(ctx context.Context, chain ChainClient, onChain map[string]ChainTransfer, t TxRecord) (paid, confirmed bool, err error) {
	st, err := chain.Status(ctx, t.TxID)
	if err != nil {
		return false, false, fmt.Errorf("status of %s: %w", t.TxID, err)
	}
	if st.State != TxConfirmed && st.State != TxIncluded {
		return false, false, nil
	}
	if onChain != nil {
		ct, ok := onChain[t.TxID]
		if !ok || !ct.Success {
			return false, false, nil
		}
	}
	return true, st.State == TxConfirmed, nil
}
