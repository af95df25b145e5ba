package payout

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ServiceConfig configures a Service. Store and Clock are required.
type ServiceConfig struct {
	Store     Store
	Addresses AddressValidator
	Clock     func() time.Time
	// AllowInsecureWebhook permits http:// notification URLs.
	AllowInsecureWebhook bool
	// PerPayoutEstimate estimates processing time per payout for estimated_completion
	// (default 100ms, plus one ConfirmationEstimate).
	PerPayoutEstimate time.Duration
	// ConfirmationEstimate is the expected time to confirmation (default 1m).
	ConfirmationEstimate time.Duration
	// Observer is told about payouts the service changes (cancellation).
	Observer Observer
}

// Service is what the HTTP layer calls: batch submission with idempotency, batch status,
// listings, the schedule and cancellation.
type Service struct{ cfg ServiceConfig }

// NewService returns a Service.
func NewService(cfg ServiceConfig) (*Service, error) {
	if cfg.Store == nil || cfg.Clock == nil {
		return nil, errors.New("payout: ServiceConfig needs Store and Clock")
	}
	if cfg.PerPayoutEstimate <= 0 {
		cfg.PerPayoutEstimate = 100 * time.Millisecond
	}
	if cfg.ConfirmationEstimate <= 0 {
		cfg.ConfirmationEstimate = time.Minute
	}
	return &Service{cfg: cfg}, nil
}

// SubmitBatch validates and stores a batch with its payouts in one atomic write. A batch_id
// already stored with the same canonical content returns the stored batch (Idempotent true,
// nothing written); with different content it is refused with LUCID_ERR_4090 (HTTP 409),
// Details {"batch_id", "reason"}.
func (s *Service) SubmitBatch(ctx context.Context, req BatchRequest) (BatchResponse, error) {
	now := s.cfg.Clock()
	b, ps, err := ValidateBatch(req, ValidateOptions{Addresses: s.cfg.Addresses, Now: now, AllowInsecureWebhook: s.cfg.AllowInsecureWebhook})
	if err != nil {
		return BatchResponse{}, err
	}
	err = s.cfg.Store.CreateBatch(ctx, b, ps)
	if err == nil {
		return s.response(b, false), nil
	}
	if !errors.Is(err, ErrConflict) {
		return BatchResponse{}, &Error{Code: CodeInternal, Message: "storing the batch failed", Err: err}
	}
	old, gerr := s.cfg.Store.GetBatch(ctx, b.BatchID)
	if errors.Is(gerr, ErrNotFound) {
		return BatchResponse{}, &Error{Code: CodeConflict, Message: "a payout_id of this batch already exists in another batch", Details: map[string]any{"batch_id": b.BatchID, "reason": "payout_id_exists"}, Err: err}
	}
	if gerr != nil {
		return BatchResponse{}, &Error{Code: CodeInternal, Message: "reading the batch failed", Err: gerr}
	}
	if old.ContentHash != b.ContentHash {
		return BatchResponse{}, &Error{Code: CodeConflict, Message: "batch_id already used with different content", Details: map[string]any{"batch_id": b.BatchID, "reason": "batch_id_reused"}}
	}
	return s.response(old, true), nil
}

func (s *Service) response(b Batch, idem bool) BatchResponse {
	r := BatchResponse{
		BatchID: b.BatchID, Status: b.Status, PayoutCount: b.PayoutCount, Totals: b.Totals,
		Priority: b.Priority, ScheduledAt: b.ScheduledAt, CreatedAt: b.CreatedAt, FinishedAt: b.FinishedAt, Idempotent: idem,
	}
	if !b.Status.Finished() {
		start := b.CreatedAt
		if b.ScheduledAt != nil && b.ScheduledAt.After(start) {
			start = *b.ScheduledAt
		}
		est := start.Add(time.Duration(b.PayoutCount)*s.cfg.PerPayoutEstimate + s.cfg.ConfirmationEstimate).UTC()
		r.EstimatedCompletion = &est
	}
	return r
}

// BatchStatus returns a batch with the status and transaction hash of each payout; unknown
// batches are LUCID_ERR_4040 (404).
func (s *Service) BatchStatus(ctx context.Context, batchID string) (BatchResponse, error) {
	b, err := s.cfg.Store.GetBatch(ctx, batchID)
	if errors.Is(err, ErrNotFound) {
		return BatchResponse{}, &Error{Code: CodeNotFound, Message: "batch not found", Details: map[string]any{"batch_id": batchID}}
	}
	if err != nil {
		return BatchResponse{}, &Error{Code: CodeInternal, Message: "reading the batch failed", Err: err}
	}
	ps, err := batchPayouts(ctx, s.cfg.Store, batchID)
	if err != nil {
		return BatchResponse{}, &Error{Code: CodeInternal, Message: "reading the batch failed", Err: err}
	}
	r := s.response(b, false)
	r.Payouts = make([]PayoutView, len(ps))
	for i, p := range ps {
		r.Payouts[i] = p.View()
	}
	return r, nil
}

// Pagination is the page/limit block of list responses.
type Pagination struct {
	Page  int `json:"page"`
	Limit int `json:"limit"`
	Total int `json:"total"`
	Pages int `json:"pages"`
}

// PayoutListResponse is the body of the payout listing routes.
type PayoutListResponse struct {
	Payouts    []PayoutView `json:"payouts"`
	Pagination Pagination   `json:"pagination"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// ListPayouts lists payouts with the filter; page is 1-based and only used without a cursor.
func (s *Service) ListPayouts(ctx context.Context, f PayoutFilter, page int) (PayoutListResponse, error) {
	if page < 1 {
		page = 1
	}
	if f.Cursor == "" {
		f.Offset = (page - 1) * f.Limit
	}
	pg, err := s.cfg.Store.ListPayouts(ctx, f)
	if err != nil {
		return PayoutListResponse{}, &Error{Code: CodeInternal, Message: "listing payouts failed", Err: err}
	}
	out := PayoutListResponse{Payouts: make([]PayoutView, len(pg.Payouts)), NextCursor: pg.NextCursor}
	for i, p := range pg.Payouts {
		out.Payouts[i] = p.View()
	}
	out.Pagination = Pagination{Page: page, Limit: f.Limit, Total: pg.Total, Pages: (pg.Total + f.Limit - 1) / f.Limit}
	return out, nil
}

// ParseListQuery reads page, limit (1–100, default 20), status, batch_id, currency, cursor,
// start_time and end_time (RFC 3339) from a query string; nodeID, when not empty, filters by
// node (the /nodes/{node_id}/payouts route). It returns the filter and the page.
func ParseListQuery(q url.Values, nodeID string) (PayoutFilter, int, error) {
	f := PayoutFilter{NodeID: nodeID, Limit: 20}
	page := 1
	var errs []FieldError
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			errs = append(errs, FieldError{"page", "must be an integer ≥ 1"})
		}
		page = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			errs = append(errs, FieldError{"limit", "must be an integer between 1 and 100"})
		}
		f.Limit = n
	}
	if v := q.Get("status"); v != "" {
		switch Status(v) {
		case StatusPending, StatusProcessing, StatusCompleted, StatusFailed, StatusCancelled:
			f.Status = Status(v)
		default:
			errs = append(errs, FieldError{"status", "must be pending, processing, completed, failed or cancelled"})
		}
	}
	if v := q.Get("node_id"); v != "" && nodeID == "" {
		f.NodeID = v
	}
	if v := q.Get("batch_id"); v != "" {
		if !ValidBatchID(v) {
			errs = append(errs, FieldError{"batch_id", "must match ^batch_[a-zA-Z0-9_-]+$"})
		}
		f.BatchID = v
	}
	if v := q.Get("currency"); v != "" {
		c, err := ParseCurrency(v)
		if err != nil {
			errs = append(errs, FieldError{"currency", "must be USDT or LUCID"})
		}
		f.Currency = c
	}
	for _, k := range []string{"start_time", "end_time"} {
		v := q.Get(k)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			errs = append(errs, FieldError{k, "must be an RFC 3339 time"})
			continue
		}
		if k == "start_time" {
			f.From = &t
		} else {
			f.To = &t
		}
	}
	if v := q.Get("cursor"); v != "" {
		if _, _, err := DecodeCursor(v); err != nil {
			errs = append(errs, FieldError{"cursor", "invalid cursor"})
		}
		f.Cursor = v
	}
	if len(errs) > 0 {
		return PayoutFilter{}, 0, validationError("invalid query", errs...)
	}
	return f, page, nil
}

// EncodeCursor returns the opaque cursor that continues a newest-first listing after p.
func EncodeCursor(p Payout) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(p.CreatedAt.UnixNano(), 10) + "|" + p.PayoutID))
}

// DecodeCursor returns the created_at and payout_id a cursor continues after.
func DecodeCursor(c string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", err
	}
	ts, id, ok := strings.Cut(string(b), "|")
	if !ok || !ValidPayoutID(id) {
		return time.Time{}, "", errors.New("bad cursor")
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return time.Time{}, "", err
	}
	return time.Unix(0, n).UTC(), id, nil
}

// AfterCursor reports whether p sorts after the cursor position in newest-first order, so a
// Store can apply a cursor with the same rule everywhere.
func AfterCursor(p Payout, at time.Time, id string) bool {
	if !p.CreatedAt.Equal(at) {
		return p.CreatedAt.Before(at)
	}
	return p.PayoutID < id
}

// GetSchedule returns the stored schedule, or the defaults when none was set.
func (s *Service) GetSchedule(ctx context.Context) (ScheduleView, error) {
	sc, err := s.cfg.Store.GetSchedule(ctx)
	if errors.Is(err, ErrNotFound) {
		d, _ := ApplyScheduleRequest(Schedule{}, ScheduleRequest{}, s.cfg.Clock())
		return d.View(), nil
	}
	if err != nil {
		return ScheduleView{}, &Error{Code: CodeInternal, Message: "reading the schedule failed", Err: err}
	}
	return sc.View(), nil
}

// SetSchedule merges and validates req and stores it (compare-and-set; a concurrent change is
// LUCID_ERR_4090).
func (s *Service) SetSchedule(ctx context.Context, req ScheduleRequest) (ScheduleView, error) {
	cur, err := s.cfg.Store.GetSchedule(ctx)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return ScheduleView{}, &Error{Code: CodeInternal, Message: "reading the schedule failed", Err: err}
	}
	next, err := ApplyScheduleRequest(cur, req, s.cfg.Clock())
	if err != nil {
		return ScheduleView{}, err
	}
	saved, err := s.cfg.Store.SetSchedule(ctx, next, cur.Version)
	if errors.Is(err, ErrConflict) {
		return ScheduleView{}, &Error{Code: CodeConflict, Message: "the schedule changed concurrently; retry", Err: err}
	}
	if err != nil {
		return ScheduleView{}, &Error{Code: CodeInternal, Message: "storing the schedule failed", Err: err}
	}
	return saved.View(), nil
}

// CancelPayout cancels a payout that has not been signed yet; otherwise LUCID_ERR_5006.
func (s *Service) CancelPayout(ctx context.Context, payoutID string) (Payout, error) {
	p, err := s.cfg.Store.GetPayout(ctx, payoutID)
	if errors.Is(err, ErrNotFound) {
		return Payout{}, &Error{Code: CodeNotFound, Message: "payout not found", Details: map[string]any{"payout_id": payoutID}}
	}
	if err != nil {
		return Payout{}, &Error{Code: CodeInternal, Message: "reading the payout failed", Err: err}
	}
	if p.Stage != StagePending {
		return Payout{}, &Error{Code: CodeProcessingFailed, Message: fmt.Sprintf("payout is %s and can no longer be cancelled", p.Stage), Details: map[string]any{"payout_id": payoutID, "stage": p.Stage}}
	}
	txs, err := s.cfg.Store.ListTxs(ctx, payoutID)
	if err != nil {
		return Payout{}, &Error{Code: CodeInternal, Message: "reading the payout failed", Err: err}
	}
	if _, live := liveTx(txs); live {
		return Payout{}, &Error{Code: CodeProcessingFailed, Message: "payout has a live transaction", Details: map[string]any{"payout_id": payoutID}}
	}
	np := p
	np.Stage = StageCancelled
	np.UpdatedAt = s.cfg.Clock().UTC()
	var ledger []LedgerEntry
	if p.EpochID != "" {
		ledger = []LedgerEntry{{NodeID: p.NodeID, Currency: p.Currency(), Kind: LedgerReversal, Minor: p.Amount.Minor(), EpochID: p.EpochID, PayoutID: p.PayoutID, At: np.UpdatedAt}}
	}
	saved, err := s.cfg.Store.UpdatePayout(ctx, PayoutUpdate{Payout: np, ExpectVersion: p.Version, Ledger: ledger})
	if errors.Is(err, ErrConflict) {
		return Payout{}, &Error{Code: CodeConflict, Message: "payout changed concurrently; retry", Err: err}
	}
	if err != nil {
		return Payout{}, &Error{Code: CodeInternal, Message: "cancelling failed", Err: err}
	}
	if s.cfg.Observer != nil {
		s.cfg.Observer.PayoutEvent(Event{Payout: saved, From: p.Stage, To: saved.Stage})
	}
	return saved, nil
}
