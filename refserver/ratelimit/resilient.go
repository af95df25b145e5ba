package ratelimit

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// FailureMode is what Resilient answers when its primary limiter fails and no fallback is set.
type FailureMode int

const (
	// FailOpen admits the request (no X-RateLimit headers): an outage of the limiter's store
	// does not become an outage of the API. The default.
	FailOpen FailureMode = iota
	// FailClosed refuses the request with a Retry-After: nothing passes unmetered.
	FailClosed
)

// ResilientConfig configures Resilient.
type ResilientConfig struct {
	// Primary is the limiter consulted first, typically Redis.
	Primary Limiter
	// Fallback, when set, decides while Primary fails, typically a Memory limiter with the same
	// tiers: each replica then enforces the limits on its own. Mode applies when it fails too.
	Fallback Limiter
	// Mode is the answer when no limiter could decide; FailOpen by default.
	Mode FailureMode
	// RetryAfter is the Retry-After of a FailClosed refusal; 1 s when zero.
	RetryAfter time.Duration
	// Logger receives the failures, at most one line per LogEvery; slog.Default() when nil.
	Logger *slog.Logger
	// LogEvery throttles the failure log during an outage; 10 s when zero.
	LogEvery time.Duration
	// Now is the clock for the log throttle; time.Now when nil.
	Now func() time.Time
}

// Resilient is a Limiter that never returns its primary's failure to the server: it falls back
// to a second limiter or to the configured FailureMode, and logs the failure. A request whose
// context is already done is the only error it passes on.
type Resilient struct {
	cfg      ResilientConfig
	failures atomic.Uint64
	lastLog  atomic.Int64
}

// NewResilient returns a Resilient limiter for cfg; cfg.Primary is required.
func NewResilient(cfg ResilientConfig) *Resilient {
	if cfg.Primary == nil {
		panic("ratelimit: NewResilient needs a primary limiter")
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.LogEvery <= 0 {
		cfg.LogEvery = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Resilient{cfg: cfg}
}

// Allow asks the primary limiter, then the fallback, then answers by the failure mode.
func (r *Resilient) Allow(ctx context.Context, key string, tier Tier) (Decision, error) {
	d, err := r.cfg.Primary.Allow(ctx, key, tier)
	if err == nil {
		return d, nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return Decision{}, ctxErr
	}
	r.failures.Add(1)
	r.logFailure(ctx, tier, err)
	if r.cfg.Fallback != nil {
		if d, ferr := r.cfg.Fallback.Allow(ctx, key, tier); ferr == nil {
			return d, nil
		}
	}
	if r.cfg.Mode == FailClosed {
		return Decision{Allowed: false, RetryAfter: r.cfg.RetryAfter}, nil
	}
	return Decision{Allowed: true}, nil
}

// Failures returns how many decisions the primary limiter failed to make.
func (r *Resilient) Failures() uint64 { return r.failures.Load() }

func (r *Resilient) logFailure(ctx context.Context, tier Tier, err error) {
	now := r.cfg.Now().UnixNano()
	last := r.lastLog.Load()
	if last != 0 && now-last < int64(r.cfg.LogEvery) {
		return
	}
	if !r.lastLog.CompareAndSwap(last, now) {
		return
	}
	mode := "fail open"
	switch {
	case r.cfg.Fallback != nil:
		mode = "fallback limiter"
	case r.cfg.Mode == FailClosed:
		mode = "fail closed"
	}
	r.cfg.Logger.ErrorContext(ctx, "rate limiter unavailable", "tier", string(tier), "mode", mode,
		"failures_total", r.failures.Load(), "error", err)
}
