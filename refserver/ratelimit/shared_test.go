package ratelimit

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpenSharedRefusesUnreachableRedis(t *testing.T) {
	t.Parallel()
	_, _, err := OpenShared(context.Background(), SharedConfig{URL: "redis://127.0.0.1:1/0", Tiers: DefaultTiers()})
	require.Error(t, err)
	_, _, err = OpenShared(context.Background(), SharedConfig{URL: "http://nope", Tiers: DefaultTiers()})
	require.Error(t, err)
}

func TestOpenSharedBudgetAcrossReplicas(t *testing.T) {
	url := os.Getenv("LUCID_TEST_REDIS_URL")
	if url == "" {
		t.Skip("LUCID_TEST_REDIS_URL not set (e.g. redis://127.0.0.1:6379/0); skipping the shared-limiter test")
	}
	ctx := context.Background()
	tiers := Tiers{Unauthenticated: 5, Authenticated: 5, Admin: 5, PoOT: 5, Payout: 5}
	a, closeA, err := OpenShared(ctx, SharedConfig{URL: url, Tiers: tiers})
	require.NoError(t, err)
	defer closeA()
	b, closeB, err := OpenShared(ctx, SharedConfig{URL: url, Tiers: tiers})
	require.NoError(t, err)
	defer closeB()
	key := "shared-test-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	allowed := 0
	for i := 0; i < 10; i++ {
		l := a
		if i%2 == 1 {
			l = b
		}
		d, err := l.Allow(ctx, key, TierPayout)
		require.NoError(t, err)
		if d.Allowed {
			allowed++
		}
	}
	assert.Equal(t, 5, allowed, "two replicas share one budget")
}
