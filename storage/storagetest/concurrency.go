package storagetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

// parallel runs fn(i) for i in [0,n) on n goroutines released at the same moment.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

func testConcurrentPoolAdds(t *testing.T, s nodemgmt.Store) {
	const workers, capacity = 50, 10
	mustCreatePool(t, s, SimplePool("pool_cc0001", "contended", capacity, Base))
	for i := range workers {
		mustCreateNode(t, s, MinimalNode(nodeID(i), fmt.Sprintf("racer-%02d", i), "", Base))
	}
	var ok, full atomic.Int32
	errs := make(chan error, workers)
	parallel(workers, func(i int) {
		p, err := s.AddNodeToPool(ctx, "pool_cc0001", nodeID(i), 50, at(time.Minute))
		switch {
		case err == nil:
			ok.Add(1)
			if p.NodeCount < 1 || p.NodeCount > capacity {
				errs <- fmt.Errorf("returned count %d out of range", p.NodeCount)
			}
		case errors.Is(err, nodemgmt.ErrResourceLimit):
			full.Add(1)
		default:
			errs <- err
		}
	})
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int32(capacity), ok.Load(), "exactly the capacity succeeds")
	assert.Equal(t, int32(workers-capacity), full.Load())
	p := mustGetPool(t, s, "pool_cc0001")
	assert.Equal(t, capacity, p.NodeCount)
	page, err := s.ListNodes(ctx, nodemgmt.NodeFilter{PoolID: "pool_cc0001"})
	require.NoError(t, err)
	assert.Equal(t, capacity, page.Total, "NodeCount equals the members")
	assert.Len(t, page.Nodes, capacity)
}

func testConcurrentCreateInPool(t *testing.T, s nodemgmt.Store) {
	const workers, capacity = 30, 5
	mustCreatePool(t, s, SimplePool("pool_cc0002", "contended-create", capacity, Base))
	var ok atomic.Int32
	errs := make(chan error, workers)
	parallel(workers, func(i int) {
		err := s.CreateNode(ctx, MinimalNode(nodeID(i), fmt.Sprintf("born-%02d", i), "pool_cc0002", Base))
		switch {
		case err == nil:
			ok.Add(1)
		case errors.Is(err, nodemgmt.ErrResourceLimit):
		default:
			errs <- err
		}
	})
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int32(capacity), ok.Load())
	assert.Equal(t, capacity, mustGetPool(t, s, "pool_cc0002").NodeCount)
	c, err := s.CountNodes(ctx)
	require.NoError(t, err)
	assert.Equal(t, capacity, c.Total, "refused creates left no rows")
}

func testConcurrentUpdates(t *testing.T, s nodemgmt.Store) {
	const workers, each = 10, 10
	n := MinimalNode("node_inc001", "counter", "", Base)
	n.Configuration = &nodemgmt.Configuration{}
	mustCreateNode(t, s, n)
	errs := make(chan error, workers*each)
	parallel(workers, func(int) {
		for range each {
			_, err := s.UpdateNode(ctx, n.NodeID, func(c *nodemgmt.Node) error {
				c.Configuration.MaxSessions++
				c.PootScore++
				return nil
			})
			if err != nil {
				errs <- err
			}
		}
	})
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got := mustGetNode(t, s, n.NodeID)
	assert.Equal(t, workers*each, got.Configuration.MaxSessions, "no update lost")
	assert.Equal(t, float64(workers*each), got.PootScore)
}

func testConcurrentSameName(t *testing.T, s nodemgmt.Store) {
	const workers = 20
	var ok, exists atomic.Int32
	parallel(workers, func(i int) {
		err := s.CreateNode(ctx, MinimalNode(nodeID(i), "only-one", "", Base))
		switch {
		case err == nil:
			ok.Add(1)
		case errors.Is(err, nodemgmt.ErrNodeExists):
			exists.Add(1)
		}
	})
	assert.Equal(t, int32(1), ok.Load())
	assert.Equal(t, int32(workers-1), exists.Load())
}
