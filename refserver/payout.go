package refserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/payout/tron/trontest"
	"github.com/hamigames/lucid-node-management/refserver/auth"
	"github.com/hamigames/lucid-node-management/refserver/ratelimit"
)

// payoutAPI is the payout domain of the server: the service behind the routes, and (once Serve
// has opened the chain) the processor and scheduler that run under a lease.
type payoutAPI struct {
	store   payout.Store // instrumented
	wallets payout.WalletStore
	svc     *payout.Service
	addrs   payout.AddressValidator
	metrics *payoutMetrics
	audit   chan nodemgmt.AuditEntry

	// Set by startPayouts before any loop runs; read by the audit route.
	chain  payout.ChainClient
	lister payout.TransferLister
	sim    *trontest.Server
	payer  string
	ready  chan struct{}
}

// errPayoutsUnavailable answers payout routes on a store without the payout domain.
var errPayoutsUnavailable = newAPIError(CodeUnavailable, "payouts are not available on this store", nil)

// initPayouts wires the payout store, wallets, service and metrics. Deps.PayoutStore and
// Deps.Wallets default to Deps.Store when it implements them (every storage backend does);
// without them the payout routes answer 503.
func (s *Server) initPayouts(deps Deps) error {
	ps, ws := deps.PayoutStore, deps.Wallets
	if ps == nil {
		ps, _ = deps.Store.(payout.Store)
	}
	if ws == nil {
		ws, _ = deps.Store.(payout.WalletStore)
	}
	if ps == nil || ws == nil {
		s.log.Warn("store has no payout domain; payout routes disabled")
		return nil
	}
	m, err := newPayoutMetrics(s.registry, ps)
	if err != nil {
		return err
	}
	p := &payoutAPI{
		store: &instrumentedPayoutStore{next: ps, m: s.metrics}, wallets: ws, metrics: m,
		addrs: payout.AddressValidator{Blocklist: payout.NewBlocklist(s.cfg.Payout.Blocklist...)},
		audit: make(chan nodemgmt.AuditEntry, 4096), ready: make(chan struct{}),
		chain: deps.Chain, lister: deps.ChainLister,
	}
	blockTime := 3 * time.Second
	if s.cfg.Chain == "sim" {
		blockTime = s.cfg.Payout.SimBlockInterval
	}
	p.svc, err = payout.NewService(payout.ServiceConfig{
		Store: p.store, Addresses: p.addrs, Clock: s.now,
		AllowInsecureWebhook: s.cfg.Payout.AllowInsecureWebhook,
		ConfirmationEstimate: time.Duration(s.cfg.Payout.TronConfirmations+1) * blockTime,
		Observer:             payout.ObserverFunc(s.payoutEvent),
	})
	if err != nil {
		return err
	}
	s.pay = p
	return nil
}

// registerPayoutRoutes installs the payout routes, all in the payout rate-limit tier, behind
// payout:read / payout:write (which only admin tokens carry; worker and validator tokens get 403).
func (s *Server) registerPayoutRoutes() {
	r, w, tier := auth.ScopePayoutRead, auth.ScopePayoutWrite, ratelimit.TierPayout
	for _, rt := range []route{
		{method: "GET", path: "/api/v1/nodes/{node_id}/payouts", scope: r, tier: tier, h: s.nodePayouts},
		{method: "GET", path: "/api/v1/nodes/{node_id}/wallet", scope: r, tier: tier, h: s.getWallet},
		{method: "PUT", path: "/api/v1/nodes/{node_id}/wallet", scope: w, tier: tier, h: s.putWallet},
		{method: "POST", path: "/api/v1/nodes/payouts/batch", scope: w, tier: tier, h: s.submitBatch},
		{method: "GET", path: "/api/v1/nodes/payouts/batch/{batch_id}", scope: r, tier: tier, h: s.batchStatus},
		{method: "GET", path: "/api/v1/nodes/payouts/schedule", scope: r, tier: tier, h: s.getSchedule},
		{method: "POST", path: "/api/v1/nodes/payouts/schedule", scope: w, tier: tier, h: s.setSchedule},
		{method: "GET", path: "/api/v1/nodes/payouts/history", scope: r, tier: tier, h: s.payoutHistory},
		{method: "GET", path: "/api/v1/nodes/payouts/audit", scope: r, admin: true, tier: tier, h: s.payoutAuditRoute},
	} {
		s.handle(rt)
	}
}

func (s *Server) payouts() (*payoutAPI, error) {
	if s.pay == nil {
		return nil, errPayoutsUnavailable
	}
	return s.pay, nil
}

// requireJSON refuses bodies that are not declared JSON (LUCID_ERR_4150).
func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); ct == "" || err != nil || mt != "application/json" {
		return newAPIError(CodeUnsupportedMedia, "Content-Type must be application/json", map[string]any{"content_type": truncate(ct, 100)})
	}
	return nil
}

func (s *Server) nodePayouts(w http.ResponseWriter, r *http.Request) error {
	p, err := s.payouts()
	if err != nil {
		return err
	}
	nodeID := r.PathValue("node_id")
	q := r.URL.Query()
	for k := range q {
		if k != "page" && k != "limit" && k != "status" && k != "cursor" {
			return newAPIError(CodeValidation, "unknown query parameter", map[string]any{"field": k, "reason": "not a parameter of this route"})
		}
	}
	f, page, err := payout.ParseListQuery(q, nodeID)
	if err != nil {
		return err
	}
	list, err := p.svc.ListPayouts(r.Context(), f, page)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, list)
	return nil
}

// payoutHistory lists every payout: node_id, status, batch_id, currency, since/until (or
// start_time/end_time, RFC 3339), page/limit or cursor.
func (s *Server) payoutHistory(w http.ResponseWriter, r *http.Request) error {
	p, err := s.payouts()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	for alias, name := range map[string]string{"since": "start_time", "until": "end_time"} {
		if v := q.Get(alias); v != "" {
			q.Set(name, v)
			q.Del(alias)
		}
	}
	for k := range q {
		switch k {
		case "page", "limit", "status", "cursor", "node_id", "batch_id", "currency", "start_time", "end_time":
		default:
			return newAPIError(CodeValidation, "unknown query parameter", map[string]any{"field": k, "reason": "not a parameter of this route"})
		}
	}
	f, page, err := payout.ParseListQuery(q, "")
	if err != nil {
		return err
	}
	list, err := p.svc.ListPayouts(r.Context(), f, page)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, list)
	return nil
}

func (s *Server) submitBatch(w http.ResponseWriter, r *http.Request) error {
	p, err := s.payouts()
	if err != nil {
		return err
	}
	if err := requireJSON(r); err != nil {
		return err
	}
	req, err := payout.DecodeBatchRequest(r.Body)
	if err != nil {
		return err
	}
	res, err := p.svc.SubmitBatch(r.Context(), req)
	target := truncate(req.BatchID, 140)
	if err != nil {
		s.recordPayout(r, "submit_batch", target, err, map[string]any{"payouts": len(req.Payouts)})
		return err
	}
	if !res.Idempotent {
		p.metrics.accepted(req)
	}
	s.recordPayout(r, "submit_batch", target, nil, map[string]any{"payouts": res.PayoutCount, "totals": res.Totals, "idempotent": res.Idempotent})
	s.writeJSON(w, r, http.StatusAccepted, res)
	return nil
}

func (s *Server) batchStatus(w http.ResponseWriter, r *http.Request) error {
	p, err := s.payouts()
	if err != nil {
		return err
	}
	id := r.PathValue("batch_id")
	if !payout.ValidBatchID(id) {
		return newAPIError(CodeValidation, "invalid batch_id", map[string]any{"field": "batch_id", "reason": "must match ^batch_[a-zA-Z0-9_-]+$"})
	}
	res, err := p.svc.BatchStatus(r.Context(), id)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, res)
	return nil
}

func (s *Server) getSchedule(w http.ResponseWriter, r *http.Request) error {
	p, err := s.payouts()
	if err != nil {
		return err
	}
	v, err := p.svc.GetSchedule(r.Context())
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, v)
	return nil
}

func (s *Server) setSchedule(w http.ResponseWriter, r *http.Request) error {
	p, err := s.payouts()
	if err != nil {
		return err
	}
	if err := requireJSON(r); err != nil {
		return err
	}
	req, err := payout.DecodeScheduleRequest(r.Body)
	if err != nil {
		return err
	}
	v, err := p.svc.SetSchedule(r.Context(), req)
	s.recordPayout(r, "set_schedule", "schedule", err, map[string]any{"enabled": v.Enabled, "interval": v.Interval,
		"reward_pool": v.RewardPool, "currency": v.Currency, "minimum_payout": v.MinimumPayout})
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, v)
	return nil
}

// WalletRequest is the body of PUT /api/v1/nodes/{node_id}/wallet.
type WalletRequest struct {
	Currency      payout.Currency `json:"currency,omitempty"`
	WalletAddress string          `json:"wallet_address"`
}

// WalletView is the answer of the wallet routes.
type WalletView struct {
	NodeID        string          `json:"node_id"`
	Currency      payout.Currency `json:"currency"`
	WalletAddress string          `json:"wallet_address"`
	UpdatedAt     time.Time       `json:"updated_at"`
}

func (s *Server) getWallet(w http.ResponseWriter, r *http.Request) error {
	p, err := s.payouts()
	if err != nil {
		return err
	}
	q := newQuery(r.URL.Query(), "currency")
	cur := payout.Currency(q.enum("currency", "USDT", "LUCID"))
	if err := q.err(); err != nil {
		return err
	}
	if cur == "" {
		cur = payout.USDT
	}
	nodeID := r.PathValue("node_id")
	wl, err := p.wallets.GetWallet(r.Context(), nodeID, cur)
	if errors.Is(err, payout.ErrNotFound) {
		return &payout.Error{Code: payout.CodeNotFound, Message: "the node has no wallet in this currency", Details: map[string]any{"node_id": nodeID, "currency": cur}}
	}
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, WalletView{NodeID: wl.NodeID, Currency: wl.Currency, WalletAddress: wl.Address, UpdatedAt: wl.UpdatedAt})
	return nil
}

// putWallet sets where a node is paid: the node must exist and the address must pass the same
// validation and blocklist as batch payouts. The address is sealed at rest by the SQL backends.
func (s *Server) putWallet(w http.ResponseWriter, r *http.Request) error {
	p, err := s.payouts()
	if err != nil {
		return err
	}
	var req WalletRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	nodeID := r.PathValue("node_id")
	cur, cerr := payout.ParseCurrency(string(req.Currency))
	if cerr != nil {
		return newAPIError(CodeValidation, "invalid wallet", map[string]any{"field": "currency", "reason": "must be USDT or LUCID"})
	}
	if err := p.addrs.Validate(cur, req.WalletAddress); err != nil {
		reason := "must be a TRON base58check address (34 characters, version 0x41, valid checksum)"
		if cur == payout.LUCID {
			reason = "must be 0x followed by 40 hex digits"
		}
		if errors.Is(err, payout.ErrAddressBlocked) {
			reason = "address is blocked"
		}
		s.recordPayout(r, "set_wallet", nodeID, newAPIError(CodeValidation, "", nil), map[string]any{"currency": cur, "reason": reason})
		return newAPIError(CodeValidation, "invalid wallet", map[string]any{"field": "wallet_address", "reason": reason})
	}
	if _, err := s.svc.GetNode(r.Context(), nodeID); err != nil {
		return err
	}
	wl := payout.Wallet{NodeID: nodeID, Currency: cur, Address: payout.CanonicalAddress(cur, req.WalletAddress), UpdatedAt: s.now().UTC()}
	err = p.wallets.SetWallet(r.Context(), wl)
	s.recordPayout(r, "set_wallet", nodeID, err, map[string]any{"currency": cur})
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, WalletView{NodeID: wl.NodeID, Currency: wl.Currency, WalletAddress: wl.Address, UpdatedAt: wl.UpdatedAt})
	return nil
}

// payoutAuditRoute runs the reconciliation: every completed payout has exactly one confirmed
// transaction paying its amount to its address (and, with the simulator, no other transfer
// from the payer exists).
func (s *Server) payoutAuditRoute(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.PayoutAudit(r.Context())
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, rep)
	return nil
}

// PayoutAudit reconciles the payout records with the chain (payout.Audit). It answers 503 until
// Serve has opened the chain.
func (s *Server) PayoutAudit(ctx context.Context) (payout.AuditReport, error) {
	p, err := s.payouts()
	if err != nil {
		return payout.AuditReport{}, err
	}
	select {
	case <-p.ready:
	default:
		return payout.AuditReport{}, newAPIError(CodeUnavailable, "the payout chain is not open yet", nil)
	}
	rep, err := payout.Audit(ctx, p.store, p.chain, p.lister)
	if err != nil {
		return rep, &apiError{code: CodeUnavailable, message: "the audit could not read the store or the chain", cause: err}
	}
	if rep.Violations == nil {
		rep.Violations = []payout.Violation{}
	}
	return rep, nil
}

func auditID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "audit_" + hex.EncodeToString(b[:])
}

// recordPayout appends a "payout" audit entry for a request (who, what, when, result).
func (s *Server) recordPayout(r *http.Request, action, target string, err error, details map[string]any) {
	result := "ok"
	if err != nil {
		result = CodeInternal
		var c interface{ LucidCode() string }
		if errors.As(err, &c) {
			result = c.LucidCode()
		}
	}
	e := nodemgmt.AuditEntry{ID: auditID(), At: s.now().UTC(), Category: "payout", Actor: actorOf(r).String(),
		Action: action, Target: target, Result: result, Details: jsonShaped(details)}
	if aerr := s.store.AppendAudit(context.WithoutCancel(r.Context()), e); aerr != nil {
		s.log.ErrorContext(r.Context(), "audit write failed", "action", action, "target", target, "err", aerr)
	}
}

// jsonShaped round-trips details through JSON so every backend stores the same shapes.
func jsonShaped(d map[string]any) map[string]any {
	if d == nil {
		return nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil
	}
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// payoutEvent is the processor's and service's observer: metrics, and an audit entry for each
// payout that reaches a final status (written by the audit writer, never blocking a worker).
func (s *Server) payoutEvent(e payout.Event) {
	p := s.pay
	if p == nil {
		return
	}
	p.metrics.event(e, s.now())
	if e.From == e.To || !e.To.Terminal() {
		return
	}
	d := map[string]any{"amount": e.Payout.Amount.String(), "currency": string(e.Payout.Currency()),
		"node_id": e.Payout.NodeID, "batch_id": e.Payout.BatchID, "transaction_hash": e.Payout.TransactionHash}
	if e.Payout.ErrorMessage != "" {
		d["error_message"] = truncate(e.Payout.ErrorMessage, 300)
	}
	entry := nodemgmt.AuditEntry{ID: auditID(), At: s.now().UTC(), Category: "payout", Actor: "system:payout-processor",
		Action: "payout_" + string(e.To), Target: e.Payout.PayoutID, Result: "ok", Details: d}
	select {
	case p.audit <- entry:
	default: // the writer is behind: write here rather than lose the record
		if err := s.store.AppendAudit(context.Background(), entry); err != nil {
			s.log.Error("audit write failed", "action", entry.Action, "target", entry.Target, "err", err)
		}
	}
}

// runAuditWriter drains processor audit entries until ctx ends, then writes what is left.
func (s *Server) runAuditWriter(ctx context.Context) {
	p := s.pay
	write := func(e nodemgmt.AuditEntry) {
		if err := s.store.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
			s.log.Error("audit write failed", "action", e.Action, "target", e.Target, "err", err)
		}
	}
	for {
		select {
		case e := <-p.audit:
			write(e)
		case <-ctx.Done():
			for {
				select {
				case e := <-p.audit:
					write(e)
				default:
					return
				}
			}
		}
	}
}
