package ratelimit_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/refserver/ratelimit"
)

type failing struct{ err error }

func (f failing) Allow(context.Context, string, ratelimit.Tier) (ratelimit.Decision, error) {
	return ratelimit.Decision{}, f.err
}

func TestResilient(t *testing.T) {
	t.Parallel()
	down := failing{errors.New("dial tcp: connection refused")}
	tests := []struct {
		name     string
		cfg      ratelimit.ResilientConfig
		allowed  bool
		limit    int
		retryMin time.Duration
	}{
		{"fail open by default", ratelimit.ResilientConfig{Primary: down}, true, 0, 0},
		{"fail closed", ratelimit.ResilientConfig{Primary: down, Mode: ratelimit.FailClosed}, false, 0, time.Second},
		{"fallback decides", ratelimit.ResilientConfig{Primary: down, Mode: ratelimit.FailClosed,
			Fallback: newMemory(t, newFakeClock(), nil)}, true, 600, 0},
		{"failing fallback then mode", ratelimit.ResilientConfig{Primary: down, Mode: ratelimit.FailClosed,
			Fallback: down}, false, 0, time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			tc.cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			r := ratelimit.NewResilient(tc.cfg)
			for range 3 {
				d, err := r.Allow(context.Background(), "admin", ratelimit.TierAdmin)
				require.NoError(t, err)
				assert.Equal(t, tc.allowed, d.Allowed)
				assert.Equal(t, tc.limit, d.Limit)
				assert.Equal(t, tc.retryMin, d.RetryAfter)
			}
			assert.Equal(t, uint64(3), r.Failures())
			assert.Equal(t, 1, bytes.Count(logs.Bytes(), []byte("rate limiter unavailable")), "log throttled during an outage")
		})
	}
}

func TestResilientPassesDecisionsAndCancellation(t *testing.T) {
	t.Parallel()
	r := ratelimit.NewResilient(ratelimit.ResilientConfig{Primary: newMemory(t, newFakeClock(), nil)})
	d, err := r.Allow(context.Background(), "k", ratelimit.TierUnauthenticated)
	require.NoError(t, err)
	assert.Equal(t, 5, d.Limit)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r = ratelimit.NewResilient(ratelimit.ResilientConfig{Primary: failing{context.Canceled}})
	_, err = r.Allow(ctx, "k", ratelimit.TierUnauthenticated)
	require.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, r.Failures())
}
