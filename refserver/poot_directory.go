package refserver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/poot"
)

// nodeDirectory is the poot.NodeDirectory of the server: the node registry seen through
// nodemgmt.Service. Uptime is the heartbeat coverage the server measured itself.
type nodeDirectory struct {
	svc *nodemgmt.Service
	now func() time.Time
}

var _ poot.NodeDirectory = nodeDirectory{}

// LookupNode implements poot.NodeDirectory.
func (d nodeDirectory) LookupNode(ctx context.Context, nodeID string) (poot.NodeInfo, error) {
	n, err := d.svc.GetNode(ctx, nodeID)
	if err != nil {
		var ne *nodemgmt.Error
		if errors.As(err, &ne) && (ne.Code == nodemgmt.CodeNodeNotFound || ne.Code == nodemgmt.CodeValidation) {
			// An id the registry refuses as malformed is not a registered node either.
			return poot.NodeInfo{}, fmt.Errorf("%w: %s", poot.ErrNodeNotFound, nodeID)
		}
		return poot.NodeInfo{}, err
	}
	return poot.NodeInfo{
		NodeID:    n.NodeID,
		Active:    n.Status == nodemgmt.StatusActive,
		PublicKey: n.PublicKey,
		CreatedAt: n.CreatedAt,
		Uptime:    n.Uptime(d.now()),
	}, nil
}

// scoreWriter keeps each node's poot_score equal to the score of its latest evidence
// validation. Validations of one node can finish out of order (two requests, or a batch and a
// single proof), so a score is written only when its reputation Seq is newer than the last one
// written by this process; the writes of one node are serialised by a stripe lock.
type scoreWriter struct {
	svc   *nodemgmt.Service
	locks [32]sync.Mutex
	mu    sync.Mutex
	last  map[string]int64 // node → Seq of the score last written
	onErr func(ctx context.Context, nodeID string, score float64, err error)
}

func (w *scoreWriter) lock(nodeID string) *sync.Mutex {
	h := uint32(2166136261)
	for i := 0; i < len(nodeID); i++ {
		h ^= uint32(nodeID[i])
		h *= 16777619
	}
	return &w.locks[h%uint32(len(w.locks))]
}

// apply writes the score of v to its node when v is evidence and newer than what was written.
// A failed write is reported to onErr (logged and counted) and not retried: the node's next
// evidence validation writes its score again.
func (w *scoreWriter) apply(ctx context.Context, v poot.Validation) {
	if !v.Evidence {
		return
	}
	l := w.lock(v.NodeID)
	l.Lock()
	defer l.Unlock()
	w.mu.Lock()
	prev, seen := w.last[v.NodeID]
	w.mu.Unlock()
	if seen && v.State.Seq <= prev {
		return
	}
	// The validation has been stored; its score must reach the node even if the client left.
	if err := w.svc.SetPootScore(context.WithoutCancel(ctx), v.NodeID, v.Score); err != nil {
		w.onErr(ctx, v.NodeID, v.Score, err)
		return
	}
	w.mu.Lock()
	w.last[v.NodeID] = v.State.Seq
	w.mu.Unlock()
}

// applyLatest writes, for each node of vs, the score of its newest evidence validation only.
func (w *scoreWriter) applyLatest(ctx context.Context, vs []poot.Validation) {
	latest := map[string]int{}
	var order []string
	for i, v := range vs {
		if !v.Evidence {
			continue
		}
		j, ok := latest[v.NodeID]
		if !ok {
			order = append(order, v.NodeID)
		}
		if !ok || v.State.Seq > vs[j].State.Seq {
			latest[v.NodeID] = i
		}
	}
	for _, node := range order {
		w.apply(ctx, vs[latest[node]])
	}
}
