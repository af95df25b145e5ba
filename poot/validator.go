package poot

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"runtime"
	"sync"
	"time"
)

// NodeInfo is what PoOT needs to know about a node from the node registry.
type NodeInfo struct {
	NodeID string
	// Active is true when the node's lifecycle status is active.
	Active bool
	// PublicKey is the registered ed25519 key, standard base64 of 32 bytes ("" for none).
	PublicKey string
	// CreatedAt is the node's registration time.
	CreatedAt time.Time
	// Uptime is the 0–1 fraction of expected heartbeats received recently, measured by the
	// server (a verified fact, not reported by the node).
	Uptime float64
}

// NodeDirectory answers questions about registered nodes. The composition root wires it to
// the node registry.
type NodeDirectory interface {
	// LookupNode returns the node's PoOT-relevant facts, or an error wrapping ErrNodeNotFound.
	LookupNode(ctx context.Context, nodeID string) (NodeInfo, error)
}

// Store persists challenges, consumed nonces and validations. Every method must be safe for
// concurrent use and atomic as described, across processes sharing the same database.
type Store interface {
	// SaveChallenge stores a newly issued challenge; Nonce is unique across all nodes.
	SaveChallenge(ctx context.Context, c Challenge) error
	// ConsumeChallenge atomically deletes and returns the challenge with this nonce when it was
	// issued to nodeID, whether or not it has expired (the caller judges expiry). It returns
	// ErrChallengeNotFound when no challenge has this nonce, and ErrChallengeOtherNode, leaving
	// the challenge in place, when it belongs to another node.
	ConsumeChallenge(ctx context.Context, nodeID, nonce string) (Challenge, error)
	// ConsumeNonce atomically records (nodeID, nonce) as used until expiresAt and returns
	// ErrNonceReplayed if it is already recorded (unique constraint on (node_id, nonce)). A
	// store may keep records longer than expiresAt (purge lazily), never shorter.
	ConsumeNonce(ctx context.Context, nodeID, nonce string, expiresAt time.Time) error
	// SaveValidation appends one validation (ValidationID is unique).
	SaveValidation(ctx context.Context, v Validation) error
	// ListValidations returns validations matching f, newest first (Timestamp desc, then
	// State.Seq desc, then ValidationID desc), at most f.Limit, with an opaque cursor for the
	// next page.
	ListValidations(ctx context.Context, f ValidationFilter) (ValidationPage, error)
}

// Clock tells the server time.
type Clock interface{ Now() time.Time }

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// Observer receives events for metrics; every field is optional. Callbacks must be cheap and
// safe for concurrent use.
type Observer struct {
	// OnValidation is called once per judged proof (its Score, Anomaly, IsValid and
	// ValidationTimeMS carry what Prometheus counts).
	OnValidation func(v Validation)
	// OnBatch is called once per batch with its summary and duration.
	OnBatch func(s BatchSummary, elapsed time.Duration)
	// OnChallenge is called once per issued challenge.
	OnChallenge func(c Challenge)
	// OnError is called when a proof could not be judged (directory or store failure).
	OnError func(nodeID string, err error)
}

// Validator judges proofs: it runs the checks, consumes nonces and challenges, scores, and
// persists every validation.
type Validator struct {
	dir     NodeDirectory
	store   Store
	clock   Clock
	policy  Policy
	obs     Observer
	workers int
	// locks serialize the stateful part of validations of the same node in this process, so
	// each reads the State the previous one saved.
	locks [nodeLockStripes]sync.Mutex
}

// nodeLockStripes is the number of node lock stripes: enough that two nodes seldom share one,
// since a proof waiting on its stripe waits a whole store commit of the other node's proof.
const nodeLockStripes = 4096

// nodeLock returns the stripe lock of a node id (FNV-1a).
func (v *Validator) nodeLock(nodeID string) *sync.Mutex {
	h := uint32(2166136261)
	for i := 0; i < len(nodeID); i++ {
		h ^= uint32(nodeID[i])
		h *= 16777619
	}
	return &v.locks[h%uint32(len(v.locks))]
}

// DefaultBatchWorkers is the default bound of proofs of one batch in flight: enough that a
// group-committing store writes dozens of proofs per transaction.
const DefaultBatchWorkers = 64

// Option configures a Validator.
type Option func(*Validator)

// WithClock sets the server clock (default: the system clock).
func WithClock(c Clock) Option { return func(v *Validator) { v.clock = c } }

// WithPolicy sets the scoring policy (default: DefaultPolicy()). Start from DefaultPolicy and
// change fields; a zero Policy has no threshold and no challenge lifetime.
func WithPolicy(p Policy) Option { return func(v *Validator) { v.policy = p } }

// WithObserver sets the metrics observer.
func WithObserver(o Observer) Option { return func(v *Validator) { v.obs = o } }

// WithWorkers bounds the proofs of one ValidateBatch in flight (default: DefaultBatchWorkers).
// Their CPU-bound checks run on at most GOMAXPROCS at once whatever the bound; the rest of a
// proof mostly waits on the store.
func WithWorkers(n int) Option { return func(v *Validator) { v.workers = n } }

// NewValidator returns a Validator over the node directory and the store.
func NewValidator(dir NodeDirectory, store Store, opts ...Option) *Validator {
	v := &Validator{dir: dir, store: store, clock: ClockFunc(time.Now), policy: DefaultPolicy(), workers: DefaultBatchWorkers}
	for _, o := range opts {
		o(v)
	}
	if v.workers < 1 {
		v.workers = 1
	}
	return v
}

// Policy returns the validator's scoring policy.
func (v *Validator) Policy() Policy { return v.policy }

// newUUID returns a random version 4 UUID from crypto/rand.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// NewChallengeNonce returns a fresh challenge nonce: 32 random bytes, base64url without padding
// (43 characters).
func NewChallengeNonce() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// lookup asks the directory; found is false for unknown nodes.
func (v *Validator) lookup(ctx context.Context, nodeID string) (NodeInfo, bool, error) {
	info, err := v.dir.LookupNode(ctx, nodeID)
	if errors.Is(err, ErrNodeNotFound) {
		return NodeInfo{}, false, nil
	}
	if err != nil {
		return NodeInfo{}, false, internalError("node directory failed", err)
	}
	return info, true, nil
}

// IssueChallenge issues a single-use challenge to an active node, valid for
// Policy.ChallengeTTL. Unknown nodes get a LUCID_ERR_5001 error, inactive ones LUCID_ERR_5003.
func (v *Validator) IssueChallenge(ctx context.Context, nodeID string) (Challenge, error) {
	if r := checkNodeID(nodeID); r != nil {
		return Challenge{}, &Error{Code: CodeValidation, Message: r.Message,
			Details: map[string]any{"field": "node_id", "reason": r.Code}}
	}
	info, found, err := v.lookup(ctx, nodeID)
	if err != nil {
		return Challenge{}, err
	}
	if !found {
		return Challenge{}, &Error{Code: CodeNodeNotFound, Message: "node not found", Details: map[string]any{"node_id": nodeID}}
	}
	if !info.Active {
		return Challenge{}, &Error{Code: CodeInvalidStatus, Message: "node is not active", Details: map[string]any{"node_id": nodeID}}
	}
	now := v.clock.Now()
	c := Challenge{NodeID: nodeID, Nonce: NewChallengeNonce(), IssuedAt: now, ExpiresAt: now.Add(v.policy.ChallengeTTL)}
	if err := v.store.SaveChallenge(ctx, c); err != nil {
		return Challenge{}, internalError("saving the challenge failed", err)
	}
	if v.obs.OnChallenge != nil {
		v.obs.OnChallenge(c)
	}
	return c, nil
}

// Validate judges one proof and persists the validation. A rejected proof is not an error: it
// comes back with IsValid false and every reason in Errors. The error is non-nil only when the
// directory or the store failed (LUCID_ERR_5000); then nothing is persisted.
//
// Order of the checks (see the package documentation): stateless checks and the directory
// first, then the signature, and only when all of these pass are the nonce and the challenge
// consumed, so an unsigned or forged proof can never burn a keyed node's challenge or nonce.
func (v *Validator) Validate(ctx context.Context, p Proof) (Validation, error) {
	return v.judge(ctx, p, nil)
}

// judge is Validate; cpu, when not nil, is a semaphore held during the CPU-bound checks
// (decoding, hashing, the signature) and released before the store is touched.
func (v *Validator) judge(ctx context.Context, p Proof, cpu chan struct{}) (Validation, error) {
	res, err := v.validate(ctx, p, cpu)
	if err != nil {
		if v.obs.OnError != nil {
			v.obs.OnError(p.NodeID, err)
		}
		return Validation{}, err
	}
	if v.obs.OnValidation != nil {
		v.obs.OnValidation(res)
	}
	return res, nil
}

// validate is Validate without the observer calls.
func (v *Validator) validate(ctx context.Context, p Proof, cpu chan struct{}) (Validation, error) {
	release := func() {}
	if cpu != nil {
		select {
		case cpu <- struct{}{}:
		case <-ctx.Done():
			return Validation{}, internalError("the batch was cancelled", ctx.Err())
		}
		held := true
		release = func() {
			if held {
				held = false
				<-cpu
			}
		}
		defer release()
	}
	now := v.clock.Now()
	res := Validation{ValidationID: newUUID(), NodeID: p.NodeID, Timestamp: now, Nonce: p.Nonce, Errors: []Reason{}}
	add := func(r *Reason) {
		if r != nil {
			res.Errors = append(res.Errors, *r)
		}
	}
	if p.Metrics != nil {
		ms := MetricsScore(*p.Metrics)
		res.MetricsScore = &ms
	}

	// Stateless checks: every one runs so the rejection lists all reasons.
	idReason := checkNodeID(p.NodeID)
	add(idReason)
	out, outReason := checkOutput(p.OutputData)
	add(outReason)
	if outReason == nil {
		res.OutputHash = OutputHash(out)
	}
	ts, tsReason := parseTimestamp(p.Timestamp)
	if tsReason == nil {
		res.ProofTimestamp = ts
		tsReason = checkTimestampWindow(ts, now)
	}
	add(tsReason)
	nonceReason := checkNonce(p.Nonce)
	add(nonceReason)

	// Directory and signature.
	var info NodeInfo
	var pub ed25519.PublicKey
	if idReason == nil {
		var found bool
		var err error
		info, found, err = v.lookup(ctx, p.NodeID)
		if err != nil {
			return Validation{}, err
		}
		add(checkNodeActive(info, found))
		if found && info.PublicKey != "" {
			k, err := ParsePublicKey(info.PublicKey)
			if err != nil {
				add(&Reason{ReasonPublicKeyInvalid, "the node's registered public key is unusable"})
			} else {
				pub = k
			}
			switch {
			case p.Signature == "":
				add(&Reason{ReasonSignatureMissing, "the node has a public key; the proof must be signed"})
			case pub != nil && outReason == nil && tsReason == nil && nonceReason == nil:
				sr := checkSignature(pub, p.Signature, p.NodeID, p.Nonce, p.Timestamp, res.OutputHash)
				add(sr)
				res.Signed = sr == nil
			}
		}
	}
	keyed := info.PublicKey != ""

	release()
	if len(res.Errors) != 0 {
		// Rejected before anything is consumed; such a failure is never evidence.
		v.finish(&res, now)
		if err := v.store.SaveValidation(ctx, res); err != nil {
			return Validation{}, internalError("saving the validation failed", err)
		}
		return res, nil
	}

	// Stateful checks consume; they run only for proofs that passed everything above.
	mu := v.nodeLock(p.NodeID)
	mu.Lock()
	defer mu.Unlock()
	if ps, ok := v.store.(ProofStore); ok {
		// One store round trip: the history is read first (under the node lock nothing else
		// changes it), then the nonce, the challenge and the validation go in one transaction.
		hist, err := v.history(ctx, p.NodeID)
		if err != nil {
			return Validation{}, err
		}
		return ps.ConsumeProof(ctx, p.NodeID, p.Nonce, now.Add(ReplayWindow), func(c Consumed) Validation {
			r := res
			r.Errors = append([]Reason(nil), res.Errors...)
			v.consumed(&r, c, keyed, now)
			if r.Evidence {
				v.score(&r, hist, info, keyed, now)
			}
			v.finish(&r, now)
			return r
		})
	}

	var c Consumed
	err := v.store.ConsumeNonce(ctx, p.NodeID, p.Nonce, now.Add(ReplayWindow))
	switch {
	case errors.Is(err, ErrNonceReplayed):
		c.Replayed = true
	case err != nil:
		return Validation{}, internalError("consuming the nonce failed", err)
	default:
		c.Challenge, c.ChallengeErr = v.store.ConsumeChallenge(ctx, p.NodeID, p.Nonce)
		if c.ChallengeErr != nil && !errors.Is(c.ChallengeErr, ErrChallengeNotFound) && !errors.Is(c.ChallengeErr, ErrChallengeOtherNode) {
			return Validation{}, internalError("consuming the challenge failed", c.ChallengeErr)
		}
	}
	v.consumed(&res, c, keyed, now)
	if res.Evidence {
		hist, err := v.history(ctx, p.NodeID)
		if err != nil {
			return Validation{}, err
		}
		v.score(&res, hist, info, keyed, now)
	}
	v.finish(&res, now)
	if err := v.store.SaveValidation(ctx, res); err != nil {
		return Validation{}, internalError("saving the validation failed", err)
	}
	return res, nil
}

// ProofStore is implemented by a Store that can take the stateful part of one proof in a
// single transaction: ConsumeProof records (nodeID, nonce) until nonceExpiresAt and, when the
// nonce is new, consumes the challenge with that nonce exactly as ConsumeNonce and
// ConsumeChallenge do; it then calls judge once with what it found and saves the validation
// judge returns, all or nothing. It returns that validation as saved, or an error (then
// nothing of this proof is persisted and the nonce stays free). judge must be quick and must
// not call the store. A store that shares its transactions between concurrent proofs must keep
// each proof's outcome independent: one replay never fails another proof.
type ProofStore interface {
	ConsumeProof(ctx context.Context, nodeID, nonce string, nonceExpiresAt time.Time, judge func(Consumed) Validation) (Validation, error)
}

// Consumed is what consuming a proof's nonce and challenge found.
type Consumed struct {
	// Replayed is true when the nonce was already recorded for the node; then no challenge
	// was looked at.
	Replayed bool
	// Challenge is the consumed challenge when ChallengeErr is nil.
	Challenge Challenge
	// ChallengeErr is nil, ErrChallengeNotFound or ErrChallengeOtherNode (the challenge stays).
	ChallengeErr error
}

// consumed applies the outcome of the nonce and challenge consumption to res.
func (v *Validator) consumed(res *Validation, c Consumed, keyed bool, now time.Time) {
	add := func(r *Reason) {
		if r != nil {
			res.Errors = append(res.Errors, *r)
		}
	}
	if c.Replayed {
		add(&Reason{ReasonNonceReplayed, "nonce was already used by this node within 24 hours"})
		return
	}
	switch {
	case c.ChallengeErr == nil:
		if r := checkChallenge(c.Challenge, now); r != nil {
			add(r)
		} else {
			res.Challenged = true
			lat := now.Sub(c.Challenge.IssuedAt)
			res.LatencyMS = float64(lat) / float64(time.Millisecond)
			res.Timeliness = v.policy.Timeliness(lat)
		}
	case errors.Is(c.ChallengeErr, ErrChallengeNotFound):
		if keyed {
			add(&Reason{ReasonChallengeUnknown, "nodes with a public key must answer a challenge issued by the server"})
		} else {
			res.Timeliness = clamp01(v.policy.UnchallengedTimeliness)
		}
	default: // ErrChallengeOtherNode
		add(&Reason{ReasonChallengeOtherNode, "the challenge was issued to another node"})
	}
	res.ChecksPassed = len(res.Errors) == 0
	// A failure is evidence against the node only when the node provably sent it.
	res.Evidence = keyed || res.ChecksPassed
	if !res.ChecksPassed {
		res.Timeliness = 0
	}
}

// history is the validator's one read: the latest evidence validation carries the reputation
// State, and the window's scores feed anomaly detection.
func (v *Validator) history(ctx context.Context, nodeID string) ([]Validation, error) {
	page, err := v.store.ListValidations(ctx, ValidationFilter{
		NodeID: nodeID, EvidenceOnly: true, Limit: max(1, v.policy.AnomalyWindow),
	})
	if err != nil {
		return nil, internalError("reading the validation history failed", err)
	}
	return page.Validations, nil
}

// score scores an evidence validation from the node's history.
func (v *Validator) score(res *Validation, hist []Validation, info NodeInfo, keyed bool, now time.Time) {
	scores := make([]float64, 0, len(hist))
	for _, h := range hist {
		scores = append(scores, h.Score)
	}
	sr := v.policy.Score(Facts{
		Now: now, NodeCreatedAt: info.CreatedAt, Keyed: keyed, Uptime: info.Uptime,
		Current: Outcome{At: now, Passed: res.ChecksPassed, Timeliness: res.Timeliness},
		Prior:   latest(hist).State,
	})
	res.Score, res.Confidence, res.State = sr.Score, sr.Confidence, sr.State
	res.Anomaly, res.AnomalyZ = v.policy.Anomaly(sr.Score, scores)
	if res.ChecksPassed {
		if r := checkScore(res.Score, v.policy.Threshold); r != nil {
			res.Errors = append(res.Errors, *r)
		}
	}
}

// finish sets the verdict and the time the judgement took.
func (v *Validator) finish(res *Validation, now time.Time) {
	res.IsValid = res.ChecksPassed && len(res.Errors) == 0
	res.ValidationTimeMS = round(float64(v.clock.Now().Sub(now))/float64(time.Millisecond), 3)
}

// ValidateAs validates a proof posted for the node named in the request path: an empty
// p.NodeID takes pathNodeID, a different one is refused with LUCID_ERR_4000 (field node_id,
// reason node_id_mismatch) before anything is consumed or stored.
func (v *Validator) ValidateAs(ctx context.Context, pathNodeID string, p Proof) (Validation, error) {
	if p.NodeID == "" {
		p.NodeID = pathNodeID
	} else if p.NodeID != pathNodeID {
		return Validation{}, &Error{Code: CodeValidation, Message: "node_id in the body differs from the path",
			Details: map[string]any{"field": "node_id", "reason": ReasonNodeMismatch}}
	}
	return v.Validate(ctx, p)
}

// ValidateBatch judges up to MaxBatch proofs independently, at most the configured number in
// flight (WithWorkers) and their CPU-bound checks on at most GOMAXPROCS at once, and returns
// one result per proof in order. A proof that could not be judged because of an internal
// failure comes back invalid with the reason internal_error and is counted in Summary.Errors. More than MaxBatch proofs is a
// LUCID_ERR_4000 error.
func (v *Validator) ValidateBatch(ctx context.Context, proofs []Proof) (BatchResult, error) {
	if len(proofs) > MaxBatch {
		return BatchResult{}, &Error{Code: CodeValidation, Message: "too many proofs in one batch",
			Details: map[string]any{"field": "validations", "reason": "at most 1000 items"}}
	}
	start := v.clock.Now()
	results := make([]Validation, len(proofs))
	failed := make([]bool, len(proofs))
	workers := min(v.workers, len(proofs))
	// Many proofs wait on the store at once, so a group-committing store gives each commit
	// dozens of them; the CPU-bound checks still run on at most GOMAXPROCS at a time, so the
	// first proofs reach the store early instead of all of them being verified in lockstep.
	cpu := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				r, err := v.judge(ctx, proofs[i], cpu)
				if err != nil {
					failed[i] = true
					r = Validation{ValidationID: newUUID(), NodeID: proofs[i].NodeID, Nonce: proofs[i].Nonce,
						Timestamp: v.clock.Now(), Errors: []Reason{{ReasonInternal, "the proof could not be judged; retry later"}}}
				}
				results[i] = r
			}
		})
	}
	for i := range proofs {
		next <- i
	}
	close(next)
	wg.Wait()

	sum := BatchSummary{Total: len(proofs)}
	for i, r := range results {
		switch {
		case failed[i]:
			sum.Errors++
		case r.IsValid:
			sum.Valid++
		default:
			sum.Invalid++
		}
	}
	if v.obs.OnBatch != nil {
		v.obs.OnBatch(sum, v.clock.Now().Sub(start))
	}
	return BatchResult{Results: results, Summary: sum}, nil
}

// CurrentScore returns the node's score from its latest evidence validation, or a pending
// score of 0 calculated now when it has none. Unknown nodes get a LUCID_ERR_5001 error.
func (v *Validator) CurrentScore(ctx context.Context, nodeID string) (Score, error) {
	if _, found, err := v.lookup(ctx, nodeID); err != nil {
		return Score{}, err
	} else if !found {
		return Score{}, &Error{Code: CodeNodeNotFound, Message: "node not found", Details: map[string]any{"node_id": nodeID}}
	}
	page, err := v.store.ListValidations(ctx, ValidationFilter{NodeID: nodeID, EvidenceOnly: true, Limit: max(1, v.policy.AnomalyWindow)})
	if err != nil {
		return Score{}, internalError("reading the validation history failed", err)
	}
	if len(page.Validations) == 0 {
		return Score{NodeID: nodeID, CalculatedAt: v.clock.Now(), ValidationStatus: StatusPending}, nil
	}
	last := latest(page.Validations)
	status := StatusInvalid
	if last.IsValid {
		status = StatusValid
	}
	return Score{NodeID: nodeID, Score: last.Score, CalculatedAt: last.Timestamp, OutputHash: last.OutputHash,
		ValidationStatus: status, Confidence: last.Confidence}, nil
}

// latest returns the validation with the highest State.Seq (the newest by Timestamp may tie);
// the zero Validation for an empty list.
func latest(vs []Validation) Validation {
	var best Validation
	for i, v := range vs {
		if i == 0 || v.State.Seq > best.State.Seq {
			best = v
		}
	}
	return best
}

// Default and maximum page sizes of History.
const (
	DefaultHistoryLimit = 50
	MaxHistoryLimit     = 1000
)

// History returns one page of stored validations matching f, newest first. Limit defaults to
// DefaultHistoryLimit and is capped at MaxHistoryLimit.
func (v *Validator) History(ctx context.Context, f ValidationFilter) (ValidationPage, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultHistoryLimit
	}
	f.Limit = min(f.Limit, MaxHistoryLimit)
	page, err := v.store.ListValidations(ctx, f)
	if err != nil {
		return ValidationPage{}, internalError("reading the validation history failed", err)
	}
	return page, nil
}
