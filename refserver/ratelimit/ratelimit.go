// Package ratelimit holds the tiered, keyed request limiters of the reference server.
//
// Two implementations share one interface: Memory, a token bucket per (tier, key) in process
// (golang.org/x/time/rate) with bounded memory, and Redis, an exact sliding-window log shared
// by every replica, checked and recorded atomically by one Lua script. The server chooses the
// key: the authenticated token subject, or the client address for unauthenticated requests
// (never a client-supplied header such as X-Forwarded-For unless the operator configured a
// trusted proxy).
package ratelimit

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Tier is a class of requests with its own limit per window.
type Tier string

// The tiers of SPEC §2 (limits per minute by default).
const (
	// TierUnauthenticated: requests without a valid token, keyed by client address.
	TierUnauthenticated Tier = "unauthenticated"
	// TierAuthenticated: worker and validator tokens, keyed by token subject.
	TierAuthenticated Tier = "authenticated"
	// TierAdmin: admin tokens.
	TierAdmin Tier = "admin"
	// TierPoOT: PoOT validation routes, checked in addition to the caller's tier.
	TierPoOT Tier = "poot"
	// TierPayout: payout routes, checked in addition to the caller's tier.
	TierPayout Tier = "payout"
)

// AllTiers returns every tier.
func AllTiers() []Tier {
	return []Tier{TierUnauthenticated, TierAuthenticated, TierAdmin, TierPoOT, TierPayout}
}

// DefaultWindow is the length of the rate window: limits are "per minute".
const DefaultWindow = time.Minute

// Tiers holds the number of requests allowed per window for each tier. A limit ≤ 0 disables
// limiting for that tier (every request allowed; Decision.Limit is 0 and the server should
// then omit the X-RateLimit headers).
type Tiers struct {
	Unauthenticated int
	Authenticated   int
	Admin           int
	PoOT            int
	Payout          int
}

// DefaultTiers returns the limits of SPEC §2: 100, 1000, 10000, 100 and 50 per minute.
func DefaultTiers() Tiers {
	return Tiers{Unauthenticated: 100, Authenticated: 1000, Admin: 10000, PoOT: 100, Payout: 50}
}

// Limit returns the limit of tier, or an error for an unknown tier.
func (t Tiers) Limit(tier Tier) (int, error) {
	switch tier {
	case TierUnauthenticated:
		return t.Unauthenticated, nil
	case TierAuthenticated:
		return t.Authenticated, nil
	case TierAdmin:
		return t.Admin, nil
	case TierPoOT:
		return t.PoOT, nil
	case TierPayout:
		return t.Payout, nil
	}
	return 0, fmt.Errorf("ratelimit: unknown tier %q", tier)
}

// Limiter decides whether one more request of key in tier may pass now. Implementations are
// safe for concurrent use. An error means the decision could not be made (e.g. Redis is
// unreachable); the Decision is then meaningless — see Resilient for fail-open/closed.
type Limiter interface {
	Allow(ctx context.Context, key string, tier Tier) (Decision, error)
}

// Decision is the outcome of one Allow call, with what the response headers need.
type Decision struct {
	// Allowed tells whether the request may pass; a refused request consumed no budget.
	Allowed bool
	// Limit is the tier's budget per window (X-RateLimit-Limit); 0 when the tier is unlimited.
	Limit int
	// Remaining is what is left of the budget after this request (X-RateLimit-Remaining).
	Remaining int
	// RetryAfter is, for a refused request, how long until one request will pass (Retry-After).
	RetryAfter time.Duration
	// ResetAfter is how long until the whole budget is available again (X-RateLimit-Reset).
	ResetAfter time.Duration
}

// SetHeaders writes, for a refused request, Retry-After (seconds, rounded up, at least 1) and,
// when the tier has a limit, X-RateLimit-Limit, -Remaining and -Reset (seconds from now,
// rounded up).
func (d Decision) SetHeaders(h http.Header) {
	if !d.Allowed {
		h.Set("Retry-After", strconv.FormatInt(max(ceilSeconds(d.RetryAfter), 1), 10))
	}
	if d.Limit <= 0 {
		return
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(d.Remaining, 0)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(ceilSeconds(d.ResetAfter), 10))
}

// Err returns nil for an allowed request and an *Error with CodeRateLimited otherwise.
func (d Decision) Err() error {
	if d.Allowed {
		return nil
	}
	secs := max(ceilSeconds(d.RetryAfter), 1)
	return &Error{
		Code:    CodeRateLimited,
		Message: "rate limit exceeded, retry in " + strconv.FormatInt(secs, 10) + " s",
		Details: map[string]any{"limit": d.Limit, "retry_after_seconds": secs},
	}
}

func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(math.Ceil(d.Seconds()))
}

// CodeRateLimited is the LUCID_ERR_ code of a refused request (HTTP 429).
const CodeRateLimited = "LUCID_ERR_4291"

// Error is a refused request, shaped like the domain errors so the server's error mapper
// answers 429 with LUCID_ERR_4291.
type Error struct {
	// Code is CodeRateLimited.
	Code string
	// Message is safe to show to the client.
	Message string
	// Details carries limit and retry_after_seconds.
	Details map[string]any
	// Err is an optional cause.
	Err error
}

// Error returns the message.
func (e *Error) Error() string { return "ratelimit: " + e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// LucidCode returns the LUCID_ERR_ code.
func (e *Error) LucidCode() string { return e.Code }

// LucidDetails returns the details for the error body.
func (e *Error) LucidDetails() map[string]any { return e.Details }

// unlimited is the decision for a tier whose limit is disabled.
var unlimited = Decision{Allowed: true}
