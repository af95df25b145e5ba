package payout

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Batch size limits (SPEC: 1–1000 payouts per batch).
const (
	MinBatchSize = 1
	MaxBatchSize = 1000
	// MaxBatchBodyBytes bounds a batch request body: 1000 payouts of a few hundred bytes each.
	MaxBatchBodyBytes = 1 << 20
	// maxFieldErrors caps the field errors returned for one request.
	maxFieldErrors = 50
)

// PayoutRequest is one payout in a batch request.
type PayoutRequest struct {
	// PayoutID is optional; when empty, "payout_<batch suffix>_<index>" is derived so a
	// resubmission yields the same ids.
	PayoutID      string   `json:"payout_id,omitempty"`
	NodeID        string   `json:"node_id"`
	Amount        Decimal  `json:"amount"`
	Currency      Currency `json:"currency,omitempty"`
	WalletAddress string   `json:"wallet_address"`
	Priority      Priority `json:"priority,omitempty"`
}

// BatchRequest is the body of POST /api/v1/nodes/payouts/batch.
type BatchRequest struct {
	BatchID         string          `json:"batch_id"`
	Payouts         []PayoutRequest `json:"payouts"`
	Priority        Priority        `json:"priority,omitempty"`
	ScheduledAt     *time.Time      `json:"scheduled_at,omitempty"`
	NotificationURL string          `json:"notification_url,omitempty"`
}

// BatchResponse is the 202 answer to a batch submission and the body of the batch status route.
type BatchResponse struct {
	BatchID             string              `json:"batch_id"`
	Status              BatchStatus         `json:"status"`
	EstimatedCompletion *time.Time          `json:"estimated_completion,omitempty"`
	PayoutCount         int                 `json:"payout_count"`
	Totals              map[Currency]string `json:"totals,omitempty"`
	Priority            Priority            `json:"priority"`
	ScheduledAt         *time.Time          `json:"scheduled_at,omitempty"`
	CreatedAt           time.Time           `json:"created_at"`
	FinishedAt          *time.Time          `json:"finished_at,omitempty"`
	// Idempotent is true when this answer replays an earlier identical submission.
	Idempotent bool `json:"idempotent,omitempty"`
	// Payouts lists each payout with its status and transaction hash (status route only).
	Payouts []PayoutView `json:"payouts,omitempty"`
}

// DecodeBatchRequest reads a JSON batch request from r (at most MaxBatchBodyBytes). Syntax
// errors, wrong JSON types and trailing data are malformed-body errors (LUCID_ERR_4001);
// unknown fields are ignored for compatibility with older clients.
func DecodeBatchRequest(r io.Reader) (BatchRequest, error) {
	var req BatchRequest
	lr := &io.LimitedReader{R: r, N: MaxBatchBodyBytes + 1}
	dec := json.NewDecoder(lr)
	if err := dec.Decode(&req); err != nil {
		if lr.N <= 0 {
			return BatchRequest{}, &Error{Code: "LUCID_ERR_4130", Message: "request body too large", Details: map[string]any{"limit_bytes": MaxBatchBodyBytes}}
		}
		return BatchRequest{}, malformed(err)
	}
	if dec.More() {
		return BatchRequest{}, &Error{Code: CodeMalformed, Message: "malformed request body: trailing data after the JSON object"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return BatchRequest{}, &Error{Code: CodeMalformed, Message: "malformed request body: trailing data after the JSON object"}
	}
	return req, nil
}

func malformed(err error) *Error {
	d := map[string]any{}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		d["field"] = te.Field
		d["reason"] = "wrong JSON type, want " + te.Type.String()
	} else if errors.Is(err, ErrAmountSyntax) {
		d["reason"] = "amount must be a JSON number or string"
	} else {
		d["reason"] = "invalid JSON"
	}
	return &Error{Code: CodeMalformed, Message: "malformed request body", Details: d, Err: err}
}

// ValidateOptions are the settings batch validation depends on.
type ValidateOptions struct {
	// Addresses validates wallet addresses (format and blocklist).
	Addresses AddressValidator
	// Now is the current time (for created_at and the queued/processing decision).
	Now time.Time
	// AllowInsecureWebhook permits http:// notification URLs (tests, development).
	AllowInsecureWebhook bool
}

// ValidateBatch checks a request and returns the batch and its payouts ready for the Store, or
// a LUCID_ERR_4000 error listing every field that failed (up to 50) in Details["errors"].
func ValidateBatch(req BatchRequest, opt ValidateOptions) (Batch, []Payout, error) {
	var errs []FieldError
	add := func(field, reason string) {
		if len(errs) < maxFieldErrors {
			errs = append(errs, FieldError{Field: field, Reason: reason})
		}
	}
	if !ValidBatchID(req.BatchID) {
		add("batch_id", "must match ^batch_[a-zA-Z0-9_-]+$ (at most 128 characters)")
	}
	prio := req.Priority
	if prio == "" {
		prio = PriorityNormal
	} else if prio.Rank() < 0 {
		add("priority", "must be one of low, normal, high, urgent")
	}
	if req.NotificationURL != "" {
		if reason := checkWebhookURL(req.NotificationURL, opt.AllowInsecureWebhook); reason != "" {
			add("notification_url", reason)
		}
	}
	var sched *time.Time
	if req.ScheduledAt != nil {
		t := req.ScheduledAt.UTC()
		sched = &t
	}
	switch n := len(req.Payouts); {
	case n < MinBatchSize:
		add("payouts", "must contain at least 1 payout")
	case n > MaxBatchSize:
		add("payouts", fmt.Sprintf("must contain at most %d payouts, got %d", MaxBatchSize, n))
	}
	if len(req.Payouts) > MaxBatchSize {
		return Batch{}, nil, validationError("batch validation failed", errs...)
	}
	// Microseconds: what every Store keeps, so the first answer equals every later read.
	now := opt.Now.UTC().Truncate(time.Microsecond)
	suffix := strings.TrimPrefix(req.BatchID, "batch_")
	payouts := make([]Payout, 0, len(req.Payouts))
	seen := make(map[string]int, len(req.Payouts))
	totals := map[Currency]Amount{}
	for i, pr := range req.Payouts {
		f := "payouts[" + strconv.Itoa(i) + "]."
		id := pr.PayoutID
		if id == "" {
			id = "payout_" + suffix + "_" + strconv.Itoa(i)
		}
		if !ValidPayoutID(id) {
			if pr.PayoutID != "" || ValidBatchID(req.BatchID) { // a derived id's fault is batch_id's
				add(f+"payout_id", "must match ^payout_[a-zA-Z0-9_-]+$ (at most 128 characters)")
			}
		} else if j, dup := seen[id]; dup {
			add(f+"payout_id", "duplicates payouts["+strconv.Itoa(j)+"]")
		} else {
			seen[id] = i
		}
		if !validNodeID(pr.NodeID) {
			add(f+"node_id", "required, at most 128 characters of [a-zA-Z0-9_.:-]")
		}
		cur, err := ParseCurrency(string(pr.Currency))
		if err != nil {
			add(f+"currency", "must be USDT or LUCID")
			continue
		}
		amt, err := pr.Amount.Amount(cur)
		switch {
		case pr.Amount == "":
			add(f+"amount", "required")
		case errors.Is(err, ErrAmountPrecision):
			add(f+"amount", fmt.Sprintf("at most %d decimals for %s", cur.Decimals(), cur))
		case err != nil:
			add(f+"amount", "must be a plain positive decimal such as 12.5")
		default:
			if err := ValidatePayoutAmount(amt); err != nil {
				add(f+"amount", "must be between 0.000001 and 1000000")
			}
		}
		if err := opt.Addresses.Validate(cur, pr.WalletAddress); err != nil {
			add(f+"wallet_address", addressReason(cur, err))
		}
		p := prio
		if pr.Priority != "" {
			if pr.Priority.Rank() < 0 {
				add(f+"priority", "must be one of low, normal, high, urgent")
			}
			p = pr.Priority
		}
		if len(errs) > 0 {
			continue
		}
		if t, err := totals[cur].addOrInit(amt); err == nil {
			totals[cur] = t
		} else {
			add(f+"amount", "batch total overflows")
		}
		payouts = append(payouts, Payout{
			PayoutID: id, NodeID: pr.NodeID, Amount: amt, WalletAddress: CanonicalAddress(cur, pr.WalletAddress),
			Stage: StagePending, Priority: p, BatchID: req.BatchID, ScheduledAt: sched,
			CreatedAt: now, UpdatedAt: now,
		})
	}
	if len(errs) > 0 {
		return Batch{}, nil, validationError("batch validation failed", errs...)
	}
	st := BatchProcessing
	if sched != nil && sched.After(now) {
		st = BatchQueued
	}
	tot := make(map[Currency]string, len(totals))
	for c, a := range totals {
		tot[c] = a.String()
	}
	b := Batch{
		BatchID: req.BatchID, Status: st, Priority: prio, ScheduledAt: sched,
		NotificationURL: req.NotificationURL, PayoutCount: len(payouts), Totals: tot, CreatedAt: now,
	}
	b.ContentHash = BatchContentHash(b, payouts)
	return b, payouts, nil
}

func (a Amount) addOrInit(b Amount) (Amount, error) {
	if a.currency == "" {
		return b, nil
	}
	return a.Add(b)
}

func addressReason(c Currency, err error) string {
	switch {
	case errors.Is(err, ErrAddressBlocked):
		return "address is blocked"
	case c == USDT:
		return "must be a TRON base58check address (34 characters, version 0x41, valid checksum)"
	default:
		return "must be 0x followed by 40 hex digits"
	}
}

func validNodeID(s string) bool {
	if s == "" || len(s) > MaxIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

func checkWebhookURL(s string, insecure bool) string {
	if len(s) > 2048 {
		return "at most 2048 characters"
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return "must be an absolute https URL without credentials"
	}
	if u.Scheme != "https" && !(insecure && u.Scheme == "http") {
		return "must use https"
	}
	return ""
}

// BatchContentHash is the canonical hash (hex SHA-256) of what a batch asks for: batch_id,
// priority, scheduled_at, notification_url and, in request order, each payout's id, node,
// currency, minor units, address and priority. Fields are length-prefixed so no two different
// contents share an encoding. Defaults are applied first, so "priority omitted" and
// "priority: normal" hash the same, as do 12.5 and "12.50".
func BatchContentHash(b Batch, ps []Payout) string {
	var buf bytes.Buffer
	put := func(s string) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(s)))
		buf.Write(n[:])
		buf.WriteString(s)
	}
	put("lucid-payout-batch-v1")
	put(b.BatchID)
	put(string(b.Priority))
	if b.ScheduledAt != nil {
		put(b.ScheduledAt.UTC().Format(time.RFC3339Nano))
	} else {
		put("")
	}
	put(b.NotificationURL)
	put(strconv.Itoa(len(ps)))
	for _, p := range ps {
		put(p.PayoutID)
		put(p.NodeID)
		put(string(p.Currency()))
		put(strconv.FormatInt(p.Amount.Minor(), 10))
		put(p.WalletAddress)
		put(string(p.Priority))
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:])
}
