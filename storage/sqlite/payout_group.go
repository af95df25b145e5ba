package sqlite

import (
	"context"
	"database/sql"
	"runtime"
	"slices"
	"sync"
)

// Group commit of payout transitions.
//
// A payout processor persists about five transitions per payout, each before its next chain
// step, from many workers at once; one BEGIN IMMEDIATE … COMMIT each made the single writer
// connection the processor's bottleneck. UpdatePayout therefore queues its work here, and, as
// for PoOT writes (poot_batch.go), the first caller that finds no group running leads: it runs
// every queued update in one transaction, commits, and only then hands each caller its
// result. No caller hears "saved" before the commit that saved it, so a transition is still
// persisted before the chain step that follows it.
//
// Each update keeps its own all-or-nothing compare-and-set: it runs inside a SAVEPOINT, and
// if it fails (a version conflict, a duplicate transaction id, any statement error) only its
// own statements are rolled back, so the other updates of the group commit without it. A
// failed commit fails every update of the group, none of which then took effect. Alone, an
// update costs one transaction as before, without a savepoint.

// payoutGroup is the queue of UpdatePayout work waiting for the writer. Its zero value is
// ready.
type payoutGroup struct {
	mu      sync.Mutex
	pending []*payoutOp
	leading bool
}

// payoutOp is one queued update; run executes it inside the group's transaction.
type payoutOp struct {
	ctx  context.Context
	run  func(ctx context.Context, tx *sql.Tx) error
	err  error
	done chan struct{}
}

// payoutMaxGroup bounds the updates of one transaction, so one group cannot hold the writer
// long.
const payoutMaxGroup = 128

const (
	qPayoutSavepoint = `SAVEPOINT payout_update`
	qPayoutRelease   = `RELEASE payout_update`
	qPayoutRollback  = `ROLLBACK TO payout_update`
)

// payoutDo queues run and waits until the group that ran it has committed or failed. The
// write statements run uses must have been prepared (warm) before.
func (s *Store) payoutDo(ctx context.Context, run func(ctx context.Context, tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.warm(ctx, qPayoutSavepoint, qPayoutRelease, qPayoutRollback)
	op := &payoutOp{ctx: ctx, run: run, done: make(chan struct{})}
	g := &s.payouts
	g.mu.Lock()
	g.pending = append(g.pending, op)
	lead := !g.leading
	g.leading = true
	g.mu.Unlock()
	if lead {
		s.payoutLead()
	}
	<-op.done
	return op.err
}

// payoutLead runs one group (which holds the leader's own op) and passes the lead on to a new
// goroutine when more ops are waiting, so the leader's caller returns after its own commit.
func (s *Store) payoutLead() {
	g := &s.payouts
	// Let the workers that are about to queue an update do so first (see pootLead).
	runtime.Gosched()
	g.mu.Lock()
	n := min(len(g.pending), payoutMaxGroup)
	ops := slices.Clone(g.pending[:n])
	g.pending = slices.Delete(g.pending, 0, n)
	g.mu.Unlock()

	s.payoutRunGroup(ops)

	g.mu.Lock()
	more := len(g.pending) > 0
	if !more {
		g.leading = false
	}
	g.mu.Unlock()
	if more {
		go s.payoutLead()
	}
}

// payoutRunGroup runs ops in one writer transaction and delivers their results after it ends.
// The transaction is not tied to any caller's context: a caller that gives up must not break
// the updates of the others; its own update is skipped if it gave up before it ran.
func (s *Store) payoutRunGroup(ops []*payoutOp) {
	ctx := context.Background()
	if len(ops) == 1 {
		op := ops[0]
		op.err = s.write(ctx, "update payout", func(tx *sql.Tx) error {
			if err := op.ctx.Err(); err != nil {
				return err
			}
			return op.run(ctx, tx)
		})
		close(op.done)
		return
	}
	err := s.write(ctx, "update payouts", func(tx *sql.Tx) error {
		for _, op := range ops {
			if op.err = op.ctx.Err(); op.err != nil {
				continue
			}
			if _, err := s.texec(ctx, tx, qPayoutSavepoint); err != nil {
				return internal("update payouts", err)
			}
			if op.err = op.run(ctx, tx); op.err != nil {
				if _, err := s.texec(ctx, tx, qPayoutRollback); err != nil {
					return internal("update payouts", err)
				}
			}
			if _, err := s.texec(ctx, tx, qPayoutRelease); err != nil {
				return internal("update payouts", err)
			}
		}
		return nil
	})
	for _, op := range ops {
		if err != nil {
			op.err = err
		}
		close(op.done)
	}
}
