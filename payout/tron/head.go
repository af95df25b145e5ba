package tron

import (
	"context"
	"errors"
	"sync"

	"github.com/fbsobreira/gotron-sdk/pkg/proto/api"
)

// headView is what the client needs of the head block: its number and timestamp (ms).
type headView struct {
	num int64
	ts  int64
}

// headCall is one GetNowBlock2 in flight, shared by every caller that asked meanwhile.
type headCall struct {
	done chan struct{}
	v    headView
	err  error
}

// headSource coalesces head-block reads. A processor checks hundreds of transactions at once,
// and each receipt lookup needs the head to count confirmations; the node answers the head
// with all its transactions, so one read per caller made the head the largest cost of a pass.
// A caller that asks while a read is in flight waits for that read instead of starting its
// own. Its answer was read no earlier than the caller's own read would have started (it began
// before the caller asked), so it can only understate the head: confirmations are counted
// low, never high, and a head time that is already past an expiration stays past it.
type headSource struct {
	mu   sync.Mutex
	call *headCall
}

// get returns the head, joining a read in flight or starting one with fetch. A joiner whose
// context ends stops waiting; the read itself runs under the context of the caller that
// started it.
func (h *headSource) get(ctx context.Context, fetch func(context.Context) (*api.BlockExtention, error)) (headView, error) {
	h.mu.Lock()
	if c := h.call; c != nil {
		h.mu.Unlock()
		select {
		case <-c.done:
			return c.v, c.err
		case <-ctx.Done():
			return headView{}, ctx.Err()
		}
	}
	c := &headCall{done: make(chan struct{})}
	h.call = c
	h.mu.Unlock()

	b, err := fetch(ctx)
	if err == nil {
		raw := b.GetBlockHeader().GetRawData()
		c.v = headView{num: raw.GetNumber(), ts: raw.GetTimestamp()}
		if c.v.ts <= 0 {
			err = errors.New("node returned a head block without timestamp")
		}
	}
	c.err = err

	h.mu.Lock()
	h.call = nil
	h.mu.Unlock()
	close(c.done)
	return c.v, c.err
}
