package storagetest

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

func testLeases(t *testing.T, s nodemgmt.Store) {
	const ttl = 30 * time.Second
	acquire := func(name, holder string, now time.Time) bool {
		t.Helper()
		ok, err := s.AcquireLease(ctx, name, holder, now, ttl)
		require.NoError(t, err)
		return ok
	}
	assert.True(t, acquire("reaper", "a", Base), "free lease")
	assert.False(t, acquire("reaper", "b", Base.Add(10*time.Second)), "held by a")
	assert.True(t, acquire("other", "b", Base), "leases are independent")
	assert.True(t, acquire("reaper", "a", Base.Add(20*time.Second)), "renewal by the holder")
	// The renewal moved the expiry to +50s.
	assert.False(t, acquire("reaper", "b", Base.Add(45*time.Second)), "still held after the first expiry")
	assert.True(t, acquire("reaper", "b", Base.Add(50*time.Second)), "expired: b takes over")
	assert.False(t, acquire("reaper", "a", Base.Add(55*time.Second)), "a lost it")

	require.NoError(t, s.ReleaseLease(ctx, "reaper", "a"), "releasing a lease one does not hold is a no-op")
	assert.False(t, acquire("reaper", "a", Base.Add(56*time.Second)))
	require.NoError(t, s.ReleaseLease(ctx, "reaper", "b"))
	assert.True(t, acquire("reaper", "a", Base.Add(57*time.Second)), "released: free at once")
	require.NoError(t, s.ReleaseLease(ctx, "never-taken", "x"))
}

func testConcurrentLease(t *testing.T, s nodemgmt.Store) {
	var winners atomic.Int32
	parallel(20, func(i int) {
		ok, err := s.AcquireLease(ctx, "singleton", fmt.Sprintf("holder-%d", i), Base, time.Minute)
		if err == nil && ok {
			winners.Add(1)
		}
	})
	assert.Equal(t, int32(1), winners.Load())
}

func testPing(t *testing.T, s nodemgmt.Store) {
	require.NoError(t, s.Ping(ctx))
}
