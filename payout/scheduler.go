package payout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// ScheduleView is the JSON shape of the schedule (GET/POST /api/v1/nodes/payouts/schedule).
type ScheduleView struct {
	Enabled         bool      `json:"enabled"`
	Interval        string    `json:"interval"`
	IntervalSeconds int64     `json:"interval_seconds"`
	RewardPool      string    `json:"reward_pool"`
	Currency        Currency  `json:"currency"`
	MinimumPayout   string    `json:"minimum_payout"`
	NextRunAt       time.Time `json:"next_run_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// View returns the API shape of the schedule.
func (s Schedule) View() ScheduleView {
	return ScheduleView{
		Enabled: s.Enabled, Interval: s.Interval.String(), IntervalSeconds: int64(s.Interval / time.Second),
		RewardPool: s.RewardPool.String(), Currency: s.Currency(), MinimumPayout: s.MinimumPayout.String(),
		NextRunAt: s.NextRunAt, UpdatedAt: s.UpdatedAt,
	}
}

// ScheduleRequest is the body of POST /api/v1/nodes/payouts/schedule. Omitted fields keep their
// stored value (or the default when nothing is stored: disabled, 24h, USDT, pool 0, minimum 1).
type ScheduleRequest struct {
	Enabled *bool `json:"enabled,omitempty"`
	// Interval is a Go duration ("24h", "90m"); IntervalSeconds is the same in seconds.
	Interval        string     `json:"interval,omitempty"`
	IntervalSeconds *int64     `json:"interval_seconds,omitempty"`
	RewardPool      Decimal    `json:"reward_pool,omitempty"`
	Currency        Currency   `json:"currency,omitempty"`
	MinimumPayout   Decimal    `json:"minimum_payout,omitempty"`
	NextRunAt       *time.Time `json:"next_run_at,omitempty"`
}

// Schedule bounds.
const (
	MinScheduleInterval = time.Minute
	MaxScheduleInterval = 90 * 24 * time.Hour
)

// ApplyScheduleRequest merges req into cur (the stored schedule, or the zero value) and
// validates the result, returning field errors as LUCID_ERR_4000.
func ApplyScheduleRequest(cur Schedule, req ScheduleRequest, now time.Time) (Schedule, error) {
	s := cur
	if s.Interval == 0 {
		s.Interval = 24 * time.Hour
	}
	var errs []FieldError
	if req.Enabled != nil {
		s.Enabled = *req.Enabled
	}
	switch {
	case req.Interval != "":
		d, err := time.ParseDuration(req.Interval)
		if err != nil {
			errs = append(errs, FieldError{"interval", "must be a duration such as 24h"})
		}
		s.Interval = d
	case req.IntervalSeconds != nil:
		s.Interval = time.Duration(*req.IntervalSeconds) * time.Second
	}
	if s.Interval < MinScheduleInterval || s.Interval > MaxScheduleInterval {
		errs = append(errs, FieldError{"interval", "must be between 1m and 2160h"})
	}
	c := cur.Currency()
	if req.Currency != "" || !c.Valid() {
		var err error
		if c, err = ParseCurrency(string(req.Currency)); err != nil {
			errs = append(errs, FieldError{"currency", "must be USDT or LUCID"})
			return Schedule{}, validationError("schedule validation failed", errs...)
		}
	}
	conv := func(field string, d Decimal, old Amount, def int64) Amount {
		if d == "" {
			if old.Currency() == c {
				return old
			}
			a, _ := NewAmount(def, c)
			return a
		}
		a, err := d.Amount(c)
		if err != nil {
			errs = append(errs, FieldError{field, fmt.Sprintf("must be a non-negative decimal with at most %d decimals", c.Decimals())})
		}
		return a
	}
	s.RewardPool = conv("reward_pool", req.RewardPool, cur.RewardPool, 0)
	lo, hi := PayoutBounds(c)
	s.MinimumPayout = conv("minimum_payout", req.MinimumPayout, cur.MinimumPayout, lo.Minor())
	if s.MinimumPayout.Currency() == c && (s.MinimumPayout.Minor() < lo.Minor() || s.MinimumPayout.Minor() > hi.Minor()) {
		errs = append(errs, FieldError{"minimum_payout", "must be between 0.000001 and 1000000"})
	}
	if req.NextRunAt != nil {
		s.NextRunAt = req.NextRunAt.UTC()
	} else if s.NextRunAt.IsZero() || (s.Enabled && !cur.Enabled && s.NextRunAt.Before(now)) {
		// First schedule, or re-enabled after a pause: start one interval from now instead of
		// planning the paused epochs.
		s.NextRunAt = now.UTC().Truncate(time.Second).Add(s.Interval)
	}
	if len(errs) > 0 {
		return Schedule{}, validationError("schedule validation failed", errs...)
	}
	s.UpdatedAt = now.UTC()
	return s, nil
}

// Scheduler plans epochs when the stored schedule says so. Scheduled payouts need nothing
// from it: the Processor does not touch a payout before its scheduled_at.
type Scheduler struct {
	Store   Store
	Planner *Planner
	Clock   func() time.Time
	// Tick is how often Run looks at the schedule (default 10s).
	Tick time.Duration
	// MaxCatchUp bounds how many missed epochs one RunOnce plans after downtime (default 10);
	// older missed epochs are skipped, and their pools are not distributed.
	MaxCatchUp int
	// OnEpoch is called after each committed epoch (optional, e.g. to wake the processor).
	OnEpoch func(EpochRecord)
	Logger  *slog.Logger
}

// RunOnce plans every epoch whose end (NextRunAt) has passed and advances NextRunAt,
// compare-and-setting the schedule so two replicas never plan the same epoch twice (and
// planning itself is idempotent per epoch id).
func (s *Scheduler) RunOnce(ctx context.Context) ([]EpochRecord, error) {
	maxN := s.MaxCatchUp
	if maxN <= 0 {
		maxN = 10
	}
	var done []EpochRecord
	for range maxN + 1 {
		sc, err := s.Store.GetSchedule(ctx)
		if errors.Is(err, ErrNotFound) {
			return done, nil
		}
		if err != nil {
			return done, err
		}
		now := s.Clock()
		if !sc.Enabled || sc.Interval <= 0 || now.Before(sc.NextRunAt) {
			return done, nil
		}
		end := sc.NextRunAt
		// Skip epochs beyond the catch-up window.
		if missed := int(now.Sub(end) / sc.Interval); missed > maxN {
			end = end.Add(time.Duration(missed-maxN) * sc.Interval)
		}
		rec, err := s.Planner.PlanAndCommit(ctx, sc, end.Add(-sc.Interval), end)
		if err != nil {
			return done, err
		}
		next := sc
		next.NextRunAt = end.Add(sc.Interval)
		next.UpdatedAt = now.UTC()
		if _, err := s.Store.SetSchedule(ctx, next, sc.Version); err != nil && !errors.Is(err, ErrConflict) {
			return done, err
		}
		done = append(done, rec)
		if s.OnEpoch != nil {
			s.OnEpoch(rec)
		}
	}
	return done, nil
}

// Run calls RunOnce every Tick until ctx is done.
func (s *Scheduler) Run(ctx context.Context) error {
	tick := s.Tick
	if tick <= 0 {
		tick = 10 * time.Second
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil && s.Logger != nil {
			s.Logger.Warn("payout scheduler", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// DecodeScheduleRequest reads a JSON schedule request (at most 64 KiB); syntax errors and wrong
// types are LUCID_ERR_4001.
func DecodeScheduleRequest(r io.Reader) (ScheduleRequest, error) {
	var req ScheduleRequest
	dec := json.NewDecoder(io.LimitReader(r, 64<<10))
	if err := dec.Decode(&req); err != nil {
		return ScheduleRequest{}, malformed(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return ScheduleRequest{}, &Error{Code: CodeMalformed, Message: "malformed request body: trailing data after the JSON object"}
	}
	return req, nil
}
