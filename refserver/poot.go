package refserver

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/refserver/auth"
	"github.com/hamigames/lucid-node-management/refserver/ratelimit"
)

// PoOT over HTTP.
//
//	GET  /api/v1/nodes/{node_id}/poot/score       poot:read   PoOTScore
//	POST /api/v1/nodes/{node_id}/poot/challenge   poot:write  {node_id, nonce, issued_at, expires_at}
//	POST /api/v1/nodes/{node_id}/poot/validate    poot:write  PoOTValidation
//	GET  /api/v1/nodes/{node_id}/poot/history     poot:read   {validations, pagination{limit, next_cursor}}
//	POST /api/v1/nodes/poot/batch-validate        poot:write  {batch_id, results, summary}, validator and admin only
//
// A worker token may use the per-node routes of its own node only. Every route is in the PoOT
// rate-limit tier as well as the caller's own.
//
// A proof that was judged is answered 200 with the PoOTValidation, valid or not: the result
// object is the answer, and a rejected proof carries is_valid false and every reason in errors
// (machine-readable code + message). Only a request that could not be judged is an error: a
// malformed body (400, LUCID_ERR_4001), a node_id in the body that differs from the path (400,
// LUCID_ERR_4000), more than 1000 proofs in a batch (400, LUCID_ERR_4000), a body over
// MAX_BODY_BYTES (413), or a store failure (500) or timeout (503). Callers that prefer an error
// for a rejected proof can map is_valid=false to LUCID_ERR_5005 themselves (poot.Validation.Err).
//
// The node's poot_score follows the score of its latest evidence validation (every valid proof,
// and signed proofs of a keyed node that failed a check), so GET /nodes/{node_id} and
// GET .../poot/score agree. Every judged proof and every batch is written to the audit log
// (category "poot").

// pootAPI is the PoOT part of the server.
type pootAPI struct {
	v       *poot.Validator
	raw     poot.Store // the backend itself (for PurgePoot)
	metrics *pootMetrics
	scores  *scoreWriter
	timeout time.Duration
	// auditBatch writes many audit entries in one transaction when the store can (both
	// built-in backends); nil means one AppendAudit per entry.
	auditBatch func(ctx context.Context, entries []nodemgmt.AuditEntry) error
	// lastPurge is the server time (Unix seconds) of the last purge of expired PoOT records.
	lastPurge atomic.Int64
}

// pootPurger is implemented by stores that drop expired nonces, challenges and old validations
// (both built-in backends do; see storagetest.PootPurger).
type pootPurger interface {
	PurgePoot(ctx context.Context, now, validationsBefore time.Time) (int, error)
}

// auditBatcher is implemented by stores that append several audit entries in one transaction.
type auditBatcher interface {
	AppendAuditBatch(ctx context.Context, entries []nodemgmt.AuditEntry) error
}

// Retention of PoOT records: validation history is kept for a year (a leap day included), and
// expired records are purged lazily, at most once per pootPurgeEvery.
const (
	pootHistoryRetention = 366 * 24 * time.Hour
	pootPurgeEvery       = 10 * time.Minute
)

// newPootAPI builds the validator over the PoOT store (Deps.PoOTStore, or Deps.Store when it
// implements poot.Store) and the node registry.
func (s *Server) newPootAPI(deps Deps) (*pootAPI, error) {
	store := deps.PoOTStore
	if store == nil {
		ps, ok := deps.Store.(poot.Store)
		if !ok {
			return nil, errors.New("Deps.PoOTStore is required when Deps.Store does not implement poot.Store")
		}
		store = ps
	}
	m, err := newPootMetrics(s.registry)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	p := &pootAPI{raw: store, metrics: m, timeout: s.cfg.PoOTValidationTimeout}
	if ab, ok := deps.Store.(auditBatcher); ok {
		p.auditBatch = func(ctx context.Context, entries []nodemgmt.AuditEntry) error {
			start := time.Now()
			err := ab.AppendAuditBatch(ctx, entries)
			s.metrics.db("append_audit_batch", start, err)
			return err
		}
	}
	p.scores = &scoreWriter{svc: s.svc, last: map[string]int64{},
		onErr: func(ctx context.Context, nodeID string, score float64, err error) {
			m.scoreWrites.WithLabelValues("error").Inc()
			s.log.ErrorContext(ctx, "poot_score write failed; the node's next evidence validation writes it again",
				"node_id", nodeID, "score", score, "err", err)
		}}
	// A batch keeps poot.DefaultBatchWorkers proofs in flight: most of a proof's time waits on
	// the store, and the more proofs wait at once, the more share one SQLite commit.
	p.v = poot.NewValidator(nodeDirectory{svc: s.svc, now: s.now}, instrumentPootStore(store, s.metrics),
		poot.WithClock(poot.ClockFunc(s.now)), poot.WithObserver(m.observer()))
	p.lastPurge.Store(s.now().Unix())
	return p, nil
}

// registerPootRoutes installs the PoOT routes.
func (s *Server) registerPootRoutes() {
	r, w := auth.ScopePoOTRead, auth.ScopePoOTWrite
	for _, rt := range []route{
		{method: "GET", path: "/api/v1/nodes/{node_id}/poot/score", scope: r, workers: true, h: s.pootScore},
		{method: "POST", path: "/api/v1/nodes/{node_id}/poot/challenge", scope: w, workers: true, h: s.pootChallenge},
		{method: "POST", path: "/api/v1/nodes/{node_id}/poot/validate", scope: w, workers: true, h: s.pootValidate},
		{method: "GET", path: "/api/v1/nodes/{node_id}/poot/history", scope: r, workers: true, h: s.pootHistory},
		{method: "POST", path: "/api/v1/nodes/poot/batch-validate", scope: w, h: s.pootBatchValidate},
	} {
		rt.tier = ratelimit.TierPoOT
		s.handle(rt)
	}
}

// pootContext bounds one PoOT operation by POOT_VALIDATION_TIMEOUT.
func (p *pootAPI) context(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), p.timeout)
}

// pootErr turns a timeout into 503 so clients know to retry; other errors pass unchanged.
func pootErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &apiError{code: CodeUnavailable, message: "PoOT validation timed out; retry later", cause: err}
	}
	return err
}

func (s *Server) pootScore(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := s.poot.context(r)
	defer cancel()
	sc, err := s.poot.v.CurrentScore(ctx, r.PathValue("node_id"))
	if err != nil {
		return pootErr(err)
	}
	s.writeJSON(w, r, http.StatusOK, sc)
	return nil
}

func (s *Server) pootChallenge(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	ctx, cancel := s.poot.context(r)
	defer cancel()
	c, err := s.poot.v.IssueChallenge(ctx, r.PathValue("node_id"))
	if err != nil {
		return pootErr(err)
	}
	s.writeJSON(w, r, http.StatusOK, c)
	return nil
}

// readJSONBody checks the Content-Type and reads the whole (size-limited) body; the poot
// decoders then judge it strictly.
func readJSONBody(r *http.Request) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != "application/json" {
		return nil, newAPIError(CodeUnsupportedMedia, "Content-Type must be application/json",
			map[string]any{"content_type": truncate(ct, 100)})
	}
	if r.Body == nil {
		return nil, newAPIError(CodeMalformedBody, "request body is empty", nil)
	}
	return io.ReadAll(r.Body)
}

func (s *Server) pootValidate(w http.ResponseWriter, r *http.Request) error {
	body, err := readJSONBody(r)
	if err != nil {
		return err
	}
	proof, err := poot.DecodeProof(body)
	if err != nil {
		return err
	}
	ctx, cancel := s.poot.context(r)
	defer cancel()
	res, err := s.poot.v.ValidateAs(ctx, r.PathValue("node_id"), proof)
	if err != nil {
		var pe *poot.Error
		if !errors.As(err, &pe) || pe.Code != poot.CodeValidation {
			s.pootAudit(r, "validate", r.PathValue("node_id"), errorCode(err), map[string]any{"nonce": truncate(proof.Nonce, 128)})
		}
		return pootErr(err)
	}
	s.poot.scores.apply(r.Context(), res)
	s.pootAuditValidation(r, res, "")
	s.pootMaybePurge(r.Context())
	s.writeJSON(w, r, http.StatusOK, res)
	return nil
}

// PootBatchResponse is the answer of POST /api/v1/nodes/poot/batch-validate: the SPEC's
// {results, summary} and the batch id under which the batch and each proof were audited.
type PootBatchResponse struct {
	BatchID string            `json:"batch_id"`
	Results []poot.Validation `json:"results"`
	Summary poot.BatchSummary `json:"summary"`
}

func (s *Server) pootBatchValidate(w http.ResponseWriter, r *http.Request) error {
	body, err := readJSONBody(r)
	if err != nil {
		return err
	}
	req, err := poot.DecodeBatchRequest(body)
	if err != nil {
		return err
	}
	ctx, cancel := s.poot.context(r)
	defer cancel()
	res, err := s.poot.v.ValidateBatch(ctx, req.Validations)
	if err != nil {
		return pootErr(err)
	}
	batchID := "batch_" + randomHex(12)
	s.poot.scores.applyLatest(r.Context(), res.Results)
	entries := make([]nodemgmt.AuditEntry, 0, len(res.Results)+1)
	for _, v := range res.Results {
		entries = append(entries, s.pootValidationEntry(r, v, batchID))
	}
	result := "ok"
	if res.Summary.Errors > 0 {
		result = poot.CodeInternal
	}
	entries = append(entries, s.pootEntry(r, "batch_validate", batchID, result, map[string]any{"batch_id": batchID,
		"total": res.Summary.Total, "valid": res.Summary.Valid, "invalid": res.Summary.Invalid, "errors": res.Summary.Errors}))
	s.pootAuditAll(r, entries)
	s.pootMaybePurge(r.Context())
	if res.Results == nil {
		res.Results = []poot.Validation{}
	}
	s.writeJSON(w, r, http.StatusOK, PootBatchResponse{BatchID: batchID, Results: res.Results, Summary: res.Summary})
	return nil
}

// PootHistory is the answer of GET /api/v1/nodes/{node_id}/poot/history: validations newest
// first and the cursor of the next page ("" on the last page).
type PootHistory struct {
	Validations []poot.Validation `json:"validations"`
	Pagination  PootPagination    `json:"pagination"`
}

// PootPagination is the cursor pagination of PootHistory.
type PootPagination struct {
	Limit      int    `json:"limit"`
	NextCursor string `json:"next_cursor"`
}

var outputHashRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (s *Server) pootHistory(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r.URL.Query(), "limit", "cursor", "since", "until", "output_hash")
	f := poot.ValidationFilter{
		NodeID:     r.PathValue("node_id"),
		Limit:      q.intIn("limit", poot.DefaultHistoryLimit, 1, poot.MaxHistoryLimit),
		Cursor:     q.str("cursor"),
		OutputHash: q.str("output_hash"),
	}
	if f.Cursor != "" && !validValidationCursor(f.Cursor) {
		q.fail("cursor", "is not a cursor this server issued")
	}
	if f.OutputHash != "" && !outputHashRE.MatchString(f.OutputHash) {
		q.fail("output_hash", "must be 64 lowercase hex characters")
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if raw := q.str(p.name); raw != "" {
			t, err := time.Parse(time.RFC3339, raw)
			if err != nil {
				q.fail(p.name, "must be an RFC 3339 timestamp")
			}
			*p.dst = t
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		q.fail("until", "must be after since")
	}
	if err := q.err(); err != nil {
		return err
	}
	ctx, cancel := s.poot.context(r)
	defer cancel()
	if _, err := s.svc.GetNode(ctx, f.NodeID); err != nil {
		return err
	}
	page, err := s.poot.v.History(ctx, f)
	if err != nil {
		return pootErr(err)
	}
	if page.Validations == nil {
		page.Validations = []poot.Validation{}
	}
	s.writeJSON(w, r, http.StatusOK, PootHistory{Validations: page.Validations,
		Pagination: PootPagination{Limit: f.Limit, NextCursor: page.NextCursor}})
	return nil
}

// validValidationCursor checks the shape every backend's validation cursor has:
// base64url("micros|seq|validation_id"), so a garbled cursor is a 400, not a store error.
func validValidationCursor(c string) bool {
	if len(c) > 200 {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return false
	}
	parts := strings.SplitN(string(raw), "|", 3)
	if len(parts) != 3 || parts[2] == "" {
		return false
	}
	_, err1 := strconv.ParseInt(parts[0], 10, 64)
	_, err2 := strconv.ParseInt(parts[1], 10, 64)
	return err1 == nil && err2 == nil
}

// pootAuditValidation records one judged proof: who sent it, the node, the result (ok, or
// LUCID_ERR_5005 with the reasons) and the validation's identity.
func (s *Server) pootAuditValidation(r *http.Request, v poot.Validation, batchID string) {
	s.pootAuditAll(r, []nodemgmt.AuditEntry{s.pootValidationEntry(r, v, batchID)})
}

// pootValidationEntry is the audit entry of one judged proof.
func (s *Server) pootValidationEntry(r *http.Request, v poot.Validation, batchID string) nodemgmt.AuditEntry {
	result := "ok"
	if !v.IsValid {
		result = poot.CodeValidationFailed
	}
	reasons := make([]string, 0, len(v.Errors))
	for _, e := range v.Errors {
		reasons = append(reasons, e.Code)
	}
	d := map[string]any{"validation_id": v.ValidationID, "is_valid": v.IsValid, "score": v.Score,
		"reasons": reasons, "output_hash": v.OutputHash, "evidence": v.Evidence, "anomaly": v.Anomaly}
	if batchID != "" {
		d["batch_id"] = batchID
	}
	return s.pootEntry(r, "validate", v.NodeID, result, d)
}

// pootAudit appends one audit entry of category poot through the server's store, like every
// node operation. A failed write is logged: the validation has happened and stays stored.
func (s *Server) pootAudit(r *http.Request, action, target, result string, details map[string]any) {
	s.pootAuditAll(r, []nodemgmt.AuditEntry{s.pootEntry(r, action, target, result, details)})
}

// pootEntry builds an audit entry of category poot for the request's caller.
func (s *Server) pootEntry(r *http.Request, action, target, result string, details map[string]any) nodemgmt.AuditEntry {
	return nodemgmt.AuditEntry{ID: "audit_" + randomHex(12), At: s.now().UTC(), Category: "poot", Actor: actorOf(r).String(),
		Action: action, Target: target, Result: result, Details: details}
}

// pootAuditAll writes entries, in one transaction when the store can; failures are logged.
func (s *Server) pootAuditAll(r *http.Request, entries []nodemgmt.AuditEntry) {
	ctx := context.WithoutCancel(r.Context())
	if len(entries) > 1 && s.poot.auditBatch != nil {
		if err := s.poot.auditBatch(ctx, entries); err != nil {
			s.log.ErrorContext(r.Context(), "audit write failed", "action", "batch", "entries", len(entries), "err", err)
		}
		return
	}
	for _, e := range entries {
		if err := s.store.AppendAudit(ctx, e); err != nil {
			s.log.ErrorContext(r.Context(), "audit write failed", "action", e.Action, "target", e.Target, "err", err)
		}
	}
}

// pootMaybePurge drops expired nonces and challenges and year-old validations, at most once per
// pootPurgeEvery, in the request that finds the last purge too old (one indexed DELETE each).
func (s *Server) pootMaybePurge(ctx context.Context) {
	pr, ok := s.poot.raw.(pootPurger)
	if !ok {
		return
	}
	now := s.now()
	last := s.poot.lastPurge.Load()
	if now.Unix()-last < int64(pootPurgeEvery/time.Second) || !s.poot.lastPurge.CompareAndSwap(last, now.Unix()) {
		return
	}
	n, err := pr.PurgePoot(context.WithoutCancel(ctx), now, now.Add(-pootHistoryRetention))
	if err != nil {
		s.log.WarnContext(ctx, "purging expired PoOT records failed", "err", err)
		return
	}
	if n > 0 {
		s.log.InfoContext(ctx, "purged expired PoOT records", "rows", n)
	}
}

// errorCode is the audit result of an error: its LUCID_ERR_ code, or LUCID_ERR_5000.
func errorCode(err error) string {
	var c interface{ LucidCode() string }
	if errors.As(err, &c) {
		return c.LucidCode()
	}
	return CodeInternal
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
