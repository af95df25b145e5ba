package payout

import (
	"context"
	"sync"
	"time"
)

// Pipelined processing (Run).
//
// ProcessOnce is a pass: it starts every due payout and waits for the last one, so one slow
// chain call holds back the whole next pass, and every pass asks the chain about every payout
// that is waiting for a block. Run instead keeps payouts moving independently: each tick
// starts the due payouts that are not already being worked on, up to Concurrency at once,
// without waiting for the ones started earlier. A payout whose last look at the chain found
// nothing new is not asked about again until the head block changes, since no status can
// change without a new block; so the chain sees about one status call per waiting payout per
// block instead of one per payout per tick.
//
// A transaction already in a block needs the confirmation depth before anything can change
// for it, so when the chain client tells the head block's number (chainHead) and its depth
// is known, such a payout is not asked about until the head reaches that depth: two status
// calls per payout instead of one per block. A transaction that leaves its block in a fork is
// noticed at that check and handled as before.
//
// Listing the active payouts is the other cost that grows with the backlog (a full read of
// up to a thousand rows). A tick whose head equals the last listing's, or, when head numbers
// are known, is still below the first head at which some waiting payout can have news, can
// only find payouts that are new, scheduled or out of backoff; such ticks list only when
// rescanEvery (or PollInterval, if longer) has passed since the last listing.
//
// None of this touches exactly-once: a worker makes the same compare-and-set transitions as a
// pass, a payout is never worked on by two workers of one Run, and skipping a check only
// delays a step.

// pipeline is Run's state: the payouts being worked on, the worker slots, and for each
// payout that is waiting for the chain the head at which it last found nothing new.
type pipeline struct {
	sem chan struct{}
	wg  sync.WaitGroup

	mu      sync.Mutex
	running map[string]bool
	waiting map[string]waitMark
	// queue holds the due payouts of the last tick that found no free worker, in priority
	// order; a worker that finishes takes the next one at once instead of idling to the next
	// tick.
	queue []queued

	// listedHead and listedAt are the head and local time of the last listing.
	listedHead time.Time
	listedAt   time.Time
}

// rescanEvery bounds how long a new, scheduled or backed-off payout can wait to be noticed
// while the head does not move.
const rescanEvery = 250 * time.Millisecond

// queued is a payout waiting for a worker, with the head read before it was listed.
type queued struct {
	py   Payout
	head headView
}

// waitMark records that payout version ver saw nothing new from the chain with head at (or
// after) head, and, when its transaction is in a block, the head number (until) at which
// the transaction reaches the confirmation depth. Any change to the payout (another replica,
// a cancel) changes its version.
type waitMark struct {
	head  headView
	until int64
	ver   int64
}

// wake is the first head number at which the payout can have news, or -1 if unknown.
func (w waitMark) wake() int64 {
	switch {
	case w.until > 0:
		return w.until
	case w.head.num >= 0:
		return w.head.num + 1
	}
	return -1
}

// chainHead is implemented by chain clients that tell the head block's number as well as its
// time (payout/tron does).
type chainHead interface {
	Head(ctx context.Context) (number int64, at time.Time, err error)
}

// chainDepth is implemented by chain clients that count confirmations against a depth of
// their own (payout/tron does); ProcessorConfig.Confirmations, when set, takes precedence.
type chainDepth interface {
	Confirmations() int64
}

// headView is the head as pump saw it; num is -1 when the client does not tell it.
type headView struct {
	at  time.Time
	num int64
	ok  bool
}

func (p *Processor) readHead(ctx context.Context) headView {
	cctx, cancel := p.chainCtx(ctx)
	defer cancel()
	if ch, ok := p.cfg.Chain.(chainHead); ok {
		num, at, err := ch.Head(cctx)
		return headView{at: at, num: num, ok: err == nil}
	}
	at, err := p.cfg.Chain.Now(cctx)
	return headView{at: at, num: -1, ok: err == nil}
}

// depth is the number of confirmations after which a payout's transaction is final, or 0
// when it is not known.
func (p *Processor) depth() int64 {
	if p.cfg.Confirmations > 0 {
		return p.cfg.Confirmations
	}
	if cd, ok := p.cfg.Chain.(chainDepth); ok {
		return cd.Confirmations()
	}
	return 0
}

// wait tells whether a payout marked w has nothing to expect from the chain at head h.
func (w waitMark) wait(py Payout, h headView) bool {
	if !h.ok || w.ver != py.Version || (py.Stage != StageSigned && py.Stage != StageBroadcast) {
		return false
	}
	if w.until > 0 && h.num >= 0 && h.num < w.until {
		return true
	}
	return !h.at.After(w.head.at)
}

// quiet tells whether no waiting payout can have news at head h, from the head numbers. The
// caller holds mu.
func (pl *pipeline) quiet(h headView) bool {
	if h.num < 0 {
		return false
	}
	for _, w := range pl.waiting {
		if wk := w.wake(); wk < 0 || h.num >= wk {
			return false
		}
	}
	return true
}

func newPipeline(concurrency int) *pipeline {
	return &pipeline{sem: make(chan struct{}, concurrency), running: map[string]bool{}, waiting: map[string]waitMark{}}
}

// pump starts workers for due payouts that are idle and may have news, then closes finished
// batches. It does not wait for the workers.
func (p *Processor) pump(ctx context.Context, pl *pipeline) (err error) {
	// The head is read before any status call the workers started below make, so a status
	// that saw nothing new stays valid until the head moves past this one. Without a head
	// nothing is skipped.
	head := p.readHead(ctx)
	now := p.cfg.Clock()
	if head.ok && now.Sub(pl.listedAt) < max(rescanEvery, p.cfg.PollInterval) {
		pl.mu.Lock()
		quiet := head.at.Equal(pl.listedHead) || pl.quiet(head)
		pl.mu.Unlock()
		if quiet {
			return nil
		}
	}
	pl.listedHead, pl.listedAt = head.at, now
	if !head.ok {
		pl.listedHead = time.Time{}
	}
	due, busy, err := p.due(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err == nil {
			err = p.closeBusyBatches(ctx, busy)
		}
	}()
	active := make(map[string]bool, len(due))
	pl.mu.Lock()
	pl.queue = pl.queue[:0]
	for _, py := range due {
		active[py.PayoutID] = true
		if pl.running[py.PayoutID] {
			continue
		}
		if w, ok := pl.waiting[py.PayoutID]; ok && w.wait(py, head) {
			continue
		}
		q := queued{py: py, head: head}
		select {
		case pl.sem <- struct{}{}:
			pl.running[py.PayoutID] = true
			pl.wg.Add(1)
			go p.work(ctx, pl, q)
		default:
			pl.queue = append(pl.queue, q)
		}
	}
	// Forget marks of payouts that are no longer due (finished, or in backoff and then changed).
	for id := range pl.waiting {
		if !active[id] && !pl.running[id] {
			delete(pl.waiting, id)
		}
	}
	pl.mu.Unlock()
	return nil
}

// closeBusyBatches runs closeBatches unless every open batch is already processing and still
// has a non-terminal payout: such a batch cannot finish yet, and closeBatches would read all
// of its payouts (up to MaxBatchSize) on every tick to find that out.
func (p *Processor) closeBusyBatches(ctx context.Context, busy map[string]bool) error {
	bs, err := p.cfg.Store.ListOpenBatches(ctx, p.cfg.WebhookAttempts)
	if err != nil {
		return err
	}
	for _, b := range bs {
		if b.Status.Finished() || b.Status == BatchQueued || !busy[b.BatchID] {
			return p.closeBatches(ctx)
		}
	}
	return nil
}

// work drives q's payout, records whether it now waits for a new block, and goes on with
// queued payouts until the queue is empty; it holds one worker slot throughout.
func (p *Processor) work(ctx context.Context, pl *pipeline, q queued) {
	defer pl.wg.Done()
	for {
		last, idle := p.drive(ctx, q.py)
		pl.mu.Lock()
		delete(pl.running, q.py.PayoutID)
		if idle && q.head.ok {
			w := waitMark{head: q.head, ver: last.Version}
			if d := p.depth(); d > 0 && last.BlockNumber > 0 && (last.ChainState == TxIncluded || last.ChainState == TxFailed) {
				w.until = last.BlockNumber + d - 1
			}
			pl.waiting[q.py.PayoutID] = w
		} else {
			delete(pl.waiting, q.py.PayoutID)
		}
		var next queued
		ok := false
		if ctx.Err() == nil {
			next, ok = pl.next()
		}
		pl.mu.Unlock()
		if !ok {
			<-pl.sem
			return
		}
		q = next
	}
}

// next pops the first queued payout that no worker has taken meanwhile and marks it running.
// The caller holds mu.
func (pl *pipeline) next() (queued, bool) {
	for len(pl.queue) > 0 {
		q := pl.queue[0]
		pl.queue = pl.queue[1:]
		if !pl.running[q.py.PayoutID] {
			pl.running[q.py.PayoutID] = true
			return q, true
		}
	}
	return queued{}, false
}
