package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"time"

	"github.com/hamigames/lucid-node-management/payout"
)

// PayoutsService calls the payout routes (/api/v1/nodes/payouts/…, /api/v1/nodes/{node_id}/payouts
// and …/wallet), all in the payout rate-limit tier. They need payout:read or payout:write,
// which only admin tokens carry (worker and validator tokens get 403). Get it from
// Client.Payouts.
type PayoutsService struct{ c *Client }

// SubmitBatch submits a payout batch (POST /api/v1/nodes/payouts/batch → 202). It is processed
// asynchronously; poll Batch for its progress. Submitting the same batch_id with the same
// content again is answered with the existing batch (Idempotent set); with different content
// it is LUCID_ERR_4090.
func (s *PayoutsService) SubmitBatch(ctx context.Context, req payout.BatchRequest) (*payout.BatchResponse, error) {
	var out payout.BatchResponse
	if err := s.c.do(ctx, request{method: http.MethodPost, path: "/api/v1/nodes/payouts/batch", body: req,
		ok: []int{http.StatusAccepted}, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// Batch returns a batch's status and payouts (GET /api/v1/nodes/payouts/batch/{batch_id}).
func (s *PayoutsService) Batch(ctx context.Context, batchID string) (*payout.BatchResponse, error) {
	if err := needID("batch_id", batchID); err != nil {
		return nil, err
	}
	var out payout.BatchResponse
	if err := s.c.do(ctx, request{method: http.MethodGet, path: "/api/v1/nodes/payouts/batch/" + escape(batchID),
		ok: []int{http.StatusOK}, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// PayoutListOptions filter and page a payout listing. Zero fields do not filter. NodeID,
// BatchID, Currency, Start and End apply to History only (NodePayouts names its node in the path
// and filters by Status only).
type PayoutListOptions struct {
	ListOptions
	Status   payout.Status
	NodeID   string
	BatchID  string
	Currency payout.Currency
	// Start and End bound created_at.
	Start, End time.Time
}

func (o PayoutListOptions) values(history bool) url.Values {
	v := o.ListOptions.values()
	if o.Status != "" {
		v.Set("status", string(o.Status))
	}
	if !history {
		return v
	}
	if o.NodeID != "" {
		v.Set("node_id", o.NodeID)
	}
	if o.BatchID != "" {
		v.Set("batch_id", o.BatchID)
	}
	if o.Currency != "" {
		v.Set("currency", string(o.Currency))
	}
	if !o.Start.IsZero() {
		v.Set("start_time", o.Start.UTC().Format(time.RFC3339Nano))
	}
	if !o.End.IsZero() {
		v.Set("end_time", o.End.UTC().Format(time.RFC3339Nano))
	}
	return v
}

// NodePayouts lists one node's payouts, newest first (GET /api/v1/nodes/{node_id}/payouts).
func (s *PayoutsService) NodePayouts(ctx context.Context, nodeID string, opts PayoutListOptions) (*payout.PayoutListResponse, error) {
	if err := needID("node_id", nodeID); err != nil {
		return nil, err
	}
	var out payout.PayoutListResponse
	if err := s.c.do(ctx, request{method: http.MethodGet, path: "/api/v1/nodes/" + escape(nodeID) + "/payouts",
		query: opts.values(false), ok: []int{http.StatusOK}, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// History lists every payout matching opts, newest first (GET /api/v1/nodes/payouts/history).
func (s *PayoutsService) History(ctx context.Context, opts PayoutListOptions) (*payout.PayoutListResponse, error) {
	var out payout.PayoutListResponse
	if err := s.c.do(ctx, request{method: http.MethodGet, path: "/api/v1/nodes/payouts/history",
		query: opts.values(true), ok: []int{http.StatusOK}, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// AllHistory walks every payout matching opts, following cursors; the first error is yielded
// with a zero payout and ends the walk.
func (s *PayoutsService) AllHistory(ctx context.Context, opts PayoutListOptions) iter.Seq2[payout.PayoutView, error] {
	return func(yield func(payout.PayoutView, error) bool) {
		opts.Page = 0
		for {
			page, err := s.History(ctx, opts)
			if err != nil {
				yield(payout.PayoutView{}, err)
				return
			}
			for _, p := range page.Payouts {
				if !yield(p, nil) {
					return
				}
			}
			if page.NextCursor == "" || len(page.Payouts) == 0 || page.NextCursor == opts.Cursor {
				return
			}
			opts.Cursor = page.NextCursor
		}
	}
}

// Schedule returns when payouts run and what they split (GET /api/v1/nodes/payouts/schedule).
func (s *PayoutsService) Schedule(ctx context.Context) (*payout.ScheduleView, error) {
	var out payout.ScheduleView
	if err := s.c.do(ctx, request{method: http.MethodGet, path: "/api/v1/nodes/payouts/schedule",
		ok: []int{http.StatusOK}, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetSchedule changes the fields set in req and returns the whole schedule
// (POST /api/v1/nodes/payouts/schedule).
func (s *PayoutsService) SetSchedule(ctx context.Context, req payout.ScheduleRequest) (*payout.ScheduleView, error) {
	var out payout.ScheduleView
	if err := s.c.do(ctx, request{method: http.MethodPost, path: "/api/v1/nodes/payouts/schedule", body: req,
		ok: []int{http.StatusOK}, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// WalletRequest is the body of PUT /api/v1/nodes/{node_id}/wallet (refserver.WalletRequest).
type WalletRequest struct {
	// Currency is USDT (a TRON address) or LUCID (0x + 40 hex); "" means USDT.
	Currency      payout.Currency `json:"currency,omitempty"`
	WalletAddress string          `json:"wallet_address"`
}

// Wallet is where a node is paid in one currency (refserver.WalletView).
type Wallet struct {
	NodeID        string          `json:"node_id"`
	Currency      payout.Currency `json:"currency"`
	WalletAddress string          `json:"wallet_address"`
	UpdatedAt     time.Time       `json:"updated_at"`
}

// Wallet returns the node's wallet in currency ("" for USDT)
// (GET /api/v1/nodes/{node_id}/wallet). A node without one is LUCID_ERR_4040.
func (s *PayoutsService) Wallet(ctx context.Context, nodeID string, currency payout.Currency) (*Wallet, error) {
	if err := needID("node_id", nodeID); err != nil {
		return nil, err
	}
	v := url.Values{}
	if currency != "" {
		v.Set("currency", string(currency))
	}
	var out Wallet
	if err := s.c.do(ctx, request{method: http.MethodGet, path: "/api/v1/nodes/" + escape(nodeID) + "/wallet", query: v,
		ok: []int{http.StatusOK}, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetWallet sets where the node is paid (PUT /api/v1/nodes/{node_id}/wallet; admin). The
// address is validated (and checked against the blocklist) like batch payouts.
func (s *PayoutsService) SetWallet(ctx context.Context, nodeID string, req WalletRequest) (*Wallet, error) {
	if err := needID("node_id", nodeID); err != nil {
		return nil, err
	}
	var out Wallet
	if err := s.c.do(ctx, request{method: http.MethodPut, path: "/api/v1/nodes/" + escape(nodeID) + "/wallet", body: req,
		ok: []int{http.StatusOK}, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// Audit reconciles payouts with the chain: every completed payout has exactly one confirmed
// transaction paying its amount to its address (GET /api/v1/nodes/payouts/audit; admin). It is
// LUCID_ERR_5030 until the server has opened the chain.
func (s *PayoutsService) Audit(ctx context.Context) (*payout.AuditReport, error) {
	var out payout.AuditReport
	if err := s.c.do(ctx, request{method: http.MethodGet, path: "/api/v1/nodes/payouts/audit",
		ok: []int{http.StatusOK}, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}
