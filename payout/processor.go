package payout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Event is one persisted payout transition, reported to the Observer.
type Event struct {
	// Payout is the payout after the transition.
	Payout Payout
	// From and To are the stages before and after; equal for a persisted retry/backoff.
	From Stage
	To   Stage
	// Err is the step error that caused a backoff, if any.
	Err error
}

// Observer receives payout events, for metrics. It is called synchronously from the worker
// that made the transition and must not block.
type Observer interface {
	PayoutEvent(e Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// PayoutEvent calls f.
func (f ObserverFunc) PayoutEvent(e Event) { f(e) }

// ProcessorConfig configures a Processor. Store, Chain and Clock are required.
type ProcessorConfig struct {
	Store Store
	Chain ChainClient
	// Clock is the local time for scheduling and backoff (chain expiry uses Chain.Now).
	Clock func() time.Time
	// Concurrency bounds the payouts advanced at once (default 8). Most of a payout's time is
	// spent waiting for the chain, so this may be well above the number of cores.
	Concurrency int
	// PollInterval is how often Run reads the chain head and may look for due payouts
	// (default 1s; see processor_pipeline.go for when a tick lists them). It is a latency
	// knob, not a throughput one: payouts already being worked on keep moving between ticks.
	PollInterval time.Duration
	// Confirmations is the depth at which a transaction counts as confirmed. 0 trusts the
	// client's TxConfirmed state; otherwise Confirmations ≥ this is required as well.
	Confirmations int64
	// BackoffMin and BackoffMax bound the exponential backoff after step errors (1s, 5m).
	BackoffMin time.Duration
	BackoffMax time.Duration
	// MaxTxAttempts bounds how many transactions one payout may get before it fails (default 5).
	MaxTxAttempts int
	// StepTimeout bounds each chain call (default 30s).
	StepTimeout time.Duration
	// MaxStepsPerPass bounds how many transitions one payout makes in one pass (default 8).
	MaxStepsPerPass int
	// HTTPClient posts batch webhooks (default: a client with WebhookTimeout).
	HTTPClient *http.Client
	// WebhookTimeout bounds one webhook attempt (default 10s).
	WebhookTimeout time.Duration
	// WebhookAttempts bounds webhook deliveries per batch (default 5), with backoff between.
	WebhookAttempts int
	// Observer receives transitions (optional).
	Observer Observer
	// Logger logs step errors (default: discard).
	Logger *slog.Logger
}

// Processor drives payouts through pending → signed → broadcast → confirmed → completed.
//
// Exactly-once rests on three rules: (1) a transaction is signed and persisted together with
// the payout's move to signed, before any broadcast; (2) while a payout has a live transaction,
// only those exact bytes are (re)broadcast; (3) a transaction is declared dead, letting the
// payout get a new one or fail, only when the chain's head time is past its expiration and,
// read after that, the chain does not know it. Every transition is a compare-and-set, so two
// workers or replicas never both act on the same version.
type Processor struct {
	cfg      ProcessorConfig
	mu       sync.Mutex
	notifyAt map[string]time.Time
	inflight map[string]bool
	wg       sync.WaitGroup
}

// NewProcessor validates the configuration and applies defaults.
func NewProcessor(cfg ProcessorConfig) (*Processor, error) {
	if cfg.Store == nil || cfg.Chain == nil || cfg.Clock == nil {
		return nil, errors.New("payout: ProcessorConfig needs Store, Chain and Clock")
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = time.Second
	}
	if cfg.BackoffMax < cfg.BackoffMin {
		cfg.BackoffMax = max(5*time.Minute, cfg.BackoffMin)
	}
	if cfg.MaxTxAttempts <= 0 {
		cfg.MaxTxAttempts = 5
	}
	if cfg.StepTimeout <= 0 {
		cfg.StepTimeout = 30 * time.Second
	}
	if cfg.MaxStepsPerPass <= 0 {
		cfg.MaxStepsPerPass = 8
	}
	if cfg.WebhookTimeout <= 0 {
		cfg.WebhookTimeout = 10 * time.Second
	}
	if cfg.WebhookAttempts <= 0 {
		cfg.WebhookAttempts = 5
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: cfg.WebhookTimeout}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Processor{cfg: cfg, notifyAt: map[string]time.Time{}, inflight: map[string]bool{}}, nil
}

// Run recovers (retrying until it succeeds) and then processes due payouts every PollInterval
// until ctx is done. It returns ctx.Err() after waiting for in-flight webhooks.
func (p *Processor) Run(ctx context.Context) error {
	defer p.wg.Wait()
	backoff := p.cfg.BackoffMin
	for {
		err := p.Recover(ctx)
		if err == nil {
			break
		}
		p.cfg.Logger.Warn("payout recovery failed, retrying", "err", err, "in", backoff)
		if !sleepCtx(ctx, backoff) {
			return ctx.Err()
		}
		backoff = min(2*backoff, p.cfg.BackoffMax)
	}
	pl := newPipeline(p.cfg.Concurrency)
	defer pl.wg.Wait()
	t := time.NewTicker(p.cfg.PollInterval)
	defer t.Stop()
	for {
		if err := p.pump(ctx, pl); err != nil && ctx.Err() == nil {
			p.cfg.Logger.Warn("payout pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Recover reconciles every non-terminal payout with the chain without signing or
// broadcasting anything: a payout whose transaction the chain already includes moves on, a
// pending payout that has a live transaction record adopts it. It fails if any payout could
// not be reconciled; Run does nothing else until Recover succeeds.
func (p *Processor) Recover(ctx context.Context) error {
	var errs []error
	err := p.eachActive(ctx, func(py Payout) {
		for range p.cfg.MaxStepsPerPass {
			next, changed, err := p.advance(ctx, py, true)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", py.PayoutID, err))
				return
			}
			if !changed {
				return
			}
			py = next
		}
	})
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return nil
}

func (p *Processor) eachActive(ctx context.Context, fn func(Payout)) error {
	after := ""
	for {
		ps, err := p.cfg.Store.ListActive(ctx, after, 1000)
		if err != nil {
			return err
		}
		for _, py := range ps {
			fn(py)
		}
		if len(ps) < 1000 {
			return nil
		}
		after = ps[len(ps)-1].PayoutID
	}
}

// ProcessOnce makes one pass: every due non-terminal payout is advanced (highest priority
// first, at most Concurrency at once) until it has to wait for the chain, then finished batches
// are closed and their webhooks started.
func (p *Processor) ProcessOnce(ctx context.Context) error {
	due, _, err := p.due(ctx)
	if err != nil {
		return err
	}
	sem := make(chan struct{}, p.cfg.Concurrency)
	var wg sync.WaitGroup
	for _, py := range due {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(py Payout) {
			defer func() { <-sem; wg.Done() }()
			_, _ = p.drive(ctx, py)
		}(py)
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return p.closeBatches(ctx)
}

// due lists the non-terminal payouts that may be advanced now, highest priority first, and
// the batches that have a non-terminal payout (due or not).
func (p *Processor) due(ctx context.Context) ([]Payout, map[string]bool, error) {
	now := p.cfg.Clock()
	var due []Payout
	busy := map[string]bool{}
	if err := p.eachActive(ctx, func(py Payout) {
		busy[py.BatchID] = true
		if py.NextAttemptAt.After(now) {
			return
		}
		if py.Stage == StagePending && py.ScheduledAt != nil && py.ScheduledAt.After(now) {
			return
		}
		due = append(due, py)
	}); err != nil {
		return nil, nil, err
	}
	sort.SliceStable(due, func(i, j int) bool {
		ri, rj := due[i].Priority.Rank(), due[j].Priority.Rank()
		if ri != rj {
			return ri > rj
		}
		return due[i].CreatedAt.Before(due[j].CreatedAt)
	})
	return due, busy, nil
}

// Step advances one payout by at most one transition; for tests and tools.
func (p *Processor) Step(ctx context.Context, payoutID string) (Payout, error) {
	py, err := p.cfg.Store.GetPayout(ctx, payoutID)
	if err != nil {
		return Payout{}, err
	}
	next, _, err := p.advance(ctx, py, false)
	return next, err
}

// drive advances py until it has to wait, is terminal, or has made MaxStepsPerPass
// transitions. It returns the payout as last seen and whether it stopped because the chain had
// nothing new for it (a step that persisted nothing and failed nothing).
func (p *Processor) drive(ctx context.Context, py Payout) (Payout, bool) {
	for range p.cfg.MaxStepsPerPass {
		next, changed, err := p.advance(ctx, py, false)
		if err != nil {
			p.backoff(ctx, next, err)
			return next, false
		}
		if !changed {
			return next, true
		}
		if next.Stage.Terminal() {
			return next, false
		}
		py = next
	}
	return py, false
}

// backoff persists the error and the next attempt time; a lost race is ignored.
func (p *Processor) backoff(ctx context.Context, py Payout, stepErr error) {
	if errors.Is(stepErr, ErrConflict) || ctx.Err() != nil {
		return
	}
	p.cfg.Logger.Info("payout step failed", "payout_id", py.PayoutID, "stage", py.Stage, "err", stepErr)
	np := py
	np.Errors++
	d := p.cfg.BackoffMin
	for i := 1; i < np.Errors && d < p.cfg.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, p.cfg.BackoffMax)
	np.NextAttemptAt = p.cfg.Clock().Add(d)
	np.ErrorMessage = truncate(stepErr.Error(), 500)
	if saved, err := p.save(ctx, py, np, nil, nil, nil); err == nil {
		p.emit(Event{Payout: saved, From: py.Stage, To: saved.Stage, Err: stepErr})
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (p *Processor) save(ctx context.Context, old, np Payout, newTx *TxRecord, txUp []TxRecord, ledger []LedgerEntry) (Payout, error) {
	np.UpdatedAt = p.cfg.Clock().UTC()
	return p.cfg.Store.UpdatePayout(ctx, PayoutUpdate{Payout: np, ExpectVersion: old.Version, NewTx: newTx, TxUpdates: txUp, Ledger: ledger})
}

func (p *Processor) transition(ctx context.Context, old, np Payout, newTx *TxRecord, txUp []TxRecord, ledger []LedgerEntry) (Payout, bool, error) {
	np.Errors = 0
	np.NextAttemptAt = time.Time{}
	saved, err := p.save(ctx, old, np, newTx, txUp, ledger)
	if err != nil {
		return old, false, err
	}
	p.emit(Event{Payout: saved, From: old.Stage, To: saved.Stage})
	return saved, true, nil
}

func (p *Processor) emit(e Event) {
	if p.cfg.Observer != nil {
		p.cfg.Observer.PayoutEvent(e)
	}
}

func (p *Processor) chainCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, p.cfg.StepTimeout)
}

func (p *Processor) confirmedEnough(st TxStatus) bool {
	switch st.State {
	case TxConfirmed:
		return p.cfg.Confirmations == 0 || st.Confirmations >= p.cfg.Confirmations
	case TxIncluded:
		return p.cfg.Confirmations > 0 && st.Confirmations >= p.cfg.Confirmations
	}
	return false
}

// fail moves a payout with no live transaction to failed; an epoch payout's amount is credited
// back to the node's entitlement in the same atomic update.
func (p *Processor) fail(ctx context.Context, py Payout, msg string, txUp []TxRecord) (Payout, bool, error) {
	np := py
	np.Stage = StageFailed
	np.ErrorMessage = truncate(msg, 500)
	var ledger []LedgerEntry
	if py.EpochID != "" {
		ledger = []LedgerEntry{{NodeID: py.NodeID, Currency: py.Currency(), Kind: LedgerReversal, Minor: py.Amount.Minor(), EpochID: py.EpochID, PayoutID: py.PayoutID, At: p.cfg.Clock().UTC()}}
	}
	return p.transition(ctx, py, np, nil, txUp, ledger)
}

// advance makes at most one transition of py. In recovery mode it never signs or broadcasts.
// It returns the payout after the step and whether a transition was persisted.
func (p *Processor) advance(ctx context.Context, py Payout, recovery bool) (Payout, bool, error) {
	switch py.Stage {
	case StagePending:
		return p.stepPending(ctx, py, recovery)
	case StageSigned, StageBroadcast:
		return p.stepLive(ctx, py, recovery)
	case StageConfirmed:
		np := py
		np.Stage = StageCompleted
		now := p.cfg.Clock().UTC()
		np.CompletedAt = &now
		np.ErrorMessage = ""
		return p.transition(ctx, py, np, nil, nil, nil)
	}
	return py, false, nil
}

func liveTx(txs []TxRecord) (TxRecord, bool) {
	for i := len(txs) - 1; i >= 0; i-- {
		if !txs[i].Superseded {
			return txs[i], true
		}
	}
	return TxRecord{}, false
}

func (p *Processor) stepPending(ctx context.Context, py Payout, recovery bool) (Payout, bool, error) {
	txs, err := p.cfg.Store.ListTxs(ctx, py.PayoutID)
	if err != nil {
		return py, false, err
	}
	if tx, ok := liveTx(txs); ok {
		// Invariant repair: a live transaction always wins over building a new one.
		np := py
		np.Stage = StageSigned
		np.TransactionHash = tx.TxID
		return p.transition(ctx, py, np, nil, nil, nil)
	}
	if recovery {
		return py, false, nil
	}
	if py.ScheduledAt != nil && py.ScheduledAt.After(p.cfg.Clock()) {
		return py, false, nil
	}
	if py.TxAttempts >= p.cfg.MaxTxAttempts {
		return p.fail(ctx, py, fmt.Sprintf("gave up after %d transactions: %s", py.TxAttempts, py.ErrorMessage), nil)
	}
	cctx, cancel := p.chainCtx(ctx)
	st, err := p.cfg.Chain.Transfer(cctx, TransferRequest{PayoutID: py.PayoutID, To: py.WalletAddress, Amount: py.Amount})
	cancel()
	if err != nil {
		if errors.Is(err, ErrTransferRejected) {
			return p.fail(ctx, py, "transfer rejected: "+err.Error(), nil)
		}
		return py, false, fmt.Errorf("transfer: %w", err)
	}
	if st.TxID == "" || len(st.Raw) == 0 {
		return py, false, errors.New("transfer: chain client returned an empty transaction")
	}
	now := p.cfg.Clock().UTC()
	rec := TxRecord{
		TxID: st.TxID, PayoutID: py.PayoutID, Raw: st.Raw, Expiration: st.Expiration, To: py.WalletAddress,
		Amount: py.Amount, CreatedAt: now, UpdatedAt: now,
	}
	np := py
	np.Stage = StageSigned
	np.TransactionHash = st.TxID
	np.TxAttempts++
	np.ChainState = ""
	np.BlockNumber = 0
	if np.ProcessedAt == nil {
		np.ProcessedAt = &now
	}
	// If this compare-and-set loses, the signed bytes were never broadcast and are dropped.
	return p.transition(ctx, py, np, &rec, nil, nil)
}

func (p *Processor) stepLive(ctx context.Context, py Payout, recovery bool) (Payout, bool, error) {
	txs, err := p.cfg.Store.ListTxs(ctx, py.PayoutID)
	if err != nil {
		return py, false, err
	}
	var tx TxRecord
	found := false
	for _, t := range txs {
		if t.TxID == py.TransactionHash {
			tx, found = t, true
		}
	}
	if !found || tx.Superseded {
		return py, false, fmt.Errorf("payout %s in stage %s has no live transaction %q", py.PayoutID, py.Stage, py.TransactionHash)
	}
	st, err := p.status(ctx, tx.TxID)
	if err != nil {
		return py, false, err
	}
	now := p.cfg.Clock().UTC()
	switch st.State {
	case TxIncluded, TxConfirmed:
		np := py
		np.ChainState, np.BlockNumber = st.State, st.BlockNumber
		tx.State, tx.BlockNumber, tx.UpdatedAt = st.State, st.BlockNumber, now
		if p.confirmedEnough(st) {
			np.Stage = StageConfirmed
			np.ChainState = TxConfirmed
			tx.State = TxConfirmed
			return p.transition(ctx, py, np, nil, []TxRecord{tx}, nil)
		}
		np.Stage = StageBroadcast
		if np.Stage == py.Stage && np.ChainState == py.ChainState && np.BlockNumber == py.BlockNumber {
			return py, false, nil
		}
		return p.transition(ctx, py, np, nil, []TxRecord{tx}, nil)
	case TxPending:
		if py.Stage == StageBroadcast && py.ChainState == TxPending {
			return py, false, nil
		}
		np := py
		np.Stage, np.ChainState = StageBroadcast, TxPending
		return p.transition(ctx, py, np, nil, nil, nil)
	case TxFailed:
		// In a block but reverted: it paid nothing. Final only at the confirmation depth, since a
		// block dropped in a reorganisation could return the transaction to the pool.
		if p.cfg.Confirmations > 0 && st.Confirmations < p.cfg.Confirmations {
			if py.ChainState == TxFailed {
				return py, false, nil
			}
			np := py
			np.Stage, np.ChainState, np.BlockNumber = StageBroadcast, TxFailed, st.BlockNumber
			return p.transition(ctx, py, np, nil, nil, nil)
		}
		tx.State, tx.BlockNumber, tx.Superseded, tx.UpdatedAt = TxFailed, st.BlockNumber, true, now
		msg := "transaction " + tx.TxID + " failed on chain: " + st.Reason
		if py.TxAttempts >= p.cfg.MaxTxAttempts {
			return p.fail(ctx, py, msg, []TxRecord{tx})
		}
		np := py
		np.Stage, np.ChainState, np.ErrorMessage = StagePending, TxFailed, truncate(msg, 500)
		return p.transition(ctx, py, np, nil, []TxRecord{tx}, nil)
	case TxNotFound:
	default:
		return py, false, fmt.Errorf("chain status %q for %s", st.State, tx.TxID)
	}
	// Not found. Head time is read first: a block made after this read is later than the
	// expiration and cannot include the transaction, and any earlier block is visible to the
	// second status read.
	cctx, cancel := p.chainCtx(ctx)
	chainNow, err := p.cfg.Chain.Now(cctx)
	cancel()
	if err != nil {
		return py, false, fmt.Errorf("chain time: %w", err)
	}
	if chainNow.After(tx.Expiration) {
		st2, err := p.status(ctx, tx.TxID)
		if err != nil {
			return py, false, err
		}
		if st2.State != TxNotFound {
			return py, false, nil // it appeared after all; the next step handles it
		}
		tx.Superseded, tx.State, tx.UpdatedAt = true, TxNotFound, now
		np := py
		np.Stage, np.ChainState = StagePending, TxNotFound
		np.ErrorMessage = "transaction " + tx.TxID + " expired without being included"
		if tx.BroadcastError != "" {
			np.ErrorMessage += " (broadcast rejected: " + tx.BroadcastError + ")"
		}
		np.ErrorMessage = truncate(np.ErrorMessage, 500)
		// The next step signs a new transaction, or fails the payout once MaxTxAttempts is spent.
		return p.transition(ctx, py, np, nil, []TxRecord{tx}, nil)
	}
	if recovery {
		return py, false, nil
	}
	cctx, cancel = p.chainCtx(ctx)
	err = p.cfg.Chain.Broadcast(cctx, SignedTransfer{TxID: tx.TxID, Raw: tx.Raw, Expiration: tx.Expiration})
	cancel()
	if err != nil {
		// A refusal (expired, bandwidth, duplicate nonce …) is retried like any error until the
		// transaction expires; then the payout gets a new one, within MaxTxAttempts.
		if errors.Is(err, ErrTransferRejected) && tx.BroadcastError == "" {
			tx.BroadcastError, tx.UpdatedAt = truncate(err.Error(), 500), now
			np := py
			np.ErrorMessage = "broadcast rejected: " + tx.BroadcastError
			saved, serr := p.save(ctx, py, np, nil, []TxRecord{tx}, nil)
			if serr != nil {
				return py, false, serr
			}
			return saved, false, fmt.Errorf("broadcast: %w", err)
		}
		return py, false, fmt.Errorf("broadcast: %w", err)
	}
	if py.Stage == StageBroadcast {
		return py, false, nil
	}
	np := py
	np.Stage = StageBroadcast
	return p.transition(ctx, py, np, nil, nil, nil)
}

func (p *Processor) status(ctx context.Context, txID string) (TxStatus, error) {
	cctx, cancel := p.chainCtx(ctx)
	defer cancel()
	st, err := p.cfg.Chain.Status(cctx, txID)
	if err != nil {
		return TxStatus{}, fmt.Errorf("status: %w", err)
	}
	return st, nil
}

// Wait blocks until webhook deliveries started by earlier passes have finished.
func (p *Processor) Wait() { p.wg.Wait() }
