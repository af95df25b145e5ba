package refserver

import (
	"context"
	"time"
)

// Background loops that must run on one replica at a time (the heartbeat reaper, the payout
// processor and scheduler, resource and audit retention) all run through runLeased: the
// domain packages offer plain loops, and this file is the one place that decides which
// replica runs them.

// Lease names, one per leased loop.
const (
	reaperLease            = "health-reaper"
	resourceRetentionLease = "resource-retention"
	auditRetentionLease    = "audit-retention"
)

// defaultLeaseTTL is how long a background loop's lease lasts without renewal; it is renewed every
// third of that, so a replica that dies hands its loops over within leaseTTL.
const defaultLeaseTTL = 15 * time.Second

// runLeased runs fn while this replica holds the named lease: fn starts when the lease is
// acquired and is cancelled (and waited for) when it is lost, when renewals have failed for a
// whole TTL, or when ctx ends; the lease is then released.
func (s *Server) runLeased(ctx context.Context, name string, fn func(ctx context.Context)) {
	var (
		cancel context.CancelFunc
		done   chan struct{}
		lastOK time.Time
	)
	stop := func() {
		if cancel != nil {
			cancel()
			<-done
			cancel = nil
		}
	}
	defer func() {
		stop()
		if err := s.store.ReleaseLease(context.WithoutCancel(ctx), name, s.holder); err != nil {
			s.log.Warn("lease release failed", "lease", name, "err", err)
		}
	}()
	t := time.NewTicker(s.leaseTTL / 3)
	defer t.Stop()
	for {
		ok, err := s.store.AcquireLease(ctx, name, s.holder, s.now(), s.leaseTTL)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("lease renewal failed", "lease", name, "err", err)
			if cancel != nil && time.Since(lastOK) > s.leaseTTL {
				s.log.Warn("lease presumed lost; stopping", "lease", name)
				stop()
			}
		case ok:
			lastOK = time.Now()
			if cancel != nil {
				select {
				case <-done: // fn ended on its own: run it again
					cancel()
					cancel = nil
				default:
				}
			}
			if cancel == nil {
				cancel, done = startLoop(ctx, fn)
				s.log.Info("lease acquired; loop started", "lease", name, "holder", s.holder)
			}
		default:
			if cancel != nil {
				s.log.Warn("lease lost; loop stopped", "lease", name)
				stop()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// startLoop runs fn in a goroutine under a child context; done closes when fn returns.
func startLoop(ctx context.Context, fn func(ctx context.Context)) (context.CancelFunc, chan struct{}) {
	c, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(c)
	}()
	return cancel, done
}

// runEvery calls fn now and then every interval until ctx ends.
func runEvery(ctx context.Context, interval time.Duration, fn func(ctx context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		fn(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Audit retention per category, from SPEC: node history two years, payout audit seven years;
// PoOT validations are kept a year, and so are their audit entries.
var auditRetention = map[string]time.Duration{
	"node":   2 * 365 * 24 * time.Hour,
	"pool":   2 * 365 * 24 * time.Hour,
	"poot":   365 * 24 * time.Hour,
	"payout": 7 * 365 * 24 * time.Hour,
}

// auditRetentionInterval is how often old audit entries are pruned.
const auditRetentionInterval = time.Hour

// runAuditRetention prunes audit entries past their category's retention, hourly.
func (s *Server) runAuditRetention(ctx context.Context) {
	runEvery(ctx, auditRetentionInterval, func(ctx context.Context) { s.pruneAudit(ctx) })
}

// pruneAudit deletes audit entries older than their category's retention.
func (s *Server) pruneAudit(ctx context.Context) {
	now := s.now()
	for category, keep := range auditRetention {
		n, err := s.store.PruneAudit(ctx, category, now.Add(-keep))
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("audit retention failed", "category", category, "err", err)
			}
			continue
		}
		if n > 0 {
			s.log.Info("audit retention", "category", category, "deleted", n)
		}
	}
}
