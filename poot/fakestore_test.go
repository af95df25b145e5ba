package poot_test

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/poot/poottest"
)

// memStore is an in-memory poot.Store for tests. Its persisted part (nonces, validations)
// survives a "restart" by building a new Validator over the same memStore.
type memStore struct {
	mu          sync.Mutex
	challenges  map[string]poot.Challenge
	nonces      map[string]time.Time
	validations []poot.Validation
	byNode      map[string][]int
	failList    error
	failSave    error
}

func newMemStore() *memStore {
	return &memStore{challenges: map[string]poot.Challenge{}, nonces: map[string]time.Time{}, byNode: map[string][]int{}}
}

func (s *memStore) SaveChallenge(_ context.Context, c poot.Challenge) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.challenges[c.Nonce]; dup {
		return errors.New("duplicate challenge nonce")
	}
	s.challenges[c.Nonce] = c
	return nil
}

func (s *memStore) ConsumeChallenge(_ context.Context, nodeID, nonce string) (poot.Challenge, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.challenges[nonce]
	if !ok {
		return poot.Challenge{}, poot.ErrChallengeNotFound
	}
	if c.NodeID != nodeID {
		return poot.Challenge{}, poot.ErrChallengeOtherNode
	}
	delete(s.challenges, nonce)
	return c, nil
}

func (s *memStore) ConsumeNonce(_ context.Context, nodeID, nonce string, expiresAt time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := nodeID + "\x00" + nonce
	if _, ok := s.nonces[k]; ok {
		return poot.ErrNonceReplayed
	}
	s.nonces[k] = expiresAt
	return nil
}

func (s *memStore) SaveValidation(_ context.Context, v poot.Validation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failSave != nil {
		return s.failSave
	}
	s.byNode[v.NodeID] = append(s.byNode[v.NodeID], len(s.validations))
	s.validations = append(s.validations, v)
	return nil
}

// newer orders validations newest first: Timestamp desc, State.Seq desc, ValidationID desc.
func newer(a, b poot.Validation) int {
	if c := b.Timestamp.Compare(a.Timestamp); c != 0 {
		return c
	}
	if c := cmp.Compare(b.State.Seq, a.State.Seq); c != 0 {
		return c
	}
	return strings.Compare(b.ValidationID, a.ValidationID)
}

func cursorOf(v poot.Validation) string {
	return v.Timestamp.UTC().Format(time.RFC3339Nano) + "|" + strconv.FormatInt(v.State.Seq, 10) + "|" + v.ValidationID
}

func (s *memStore) ListValidations(_ context.Context, f poot.ValidationFilter) (poot.ValidationPage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failList != nil {
		return poot.ValidationPage{}, s.failList
	}
	var after *poot.Validation
	if f.Cursor != "" {
		parts := strings.SplitN(f.Cursor, "|", 3)
		if len(parts) != 3 {
			return poot.ValidationPage{}, errors.New("bad cursor")
		}
		t, err := time.Parse(time.RFC3339Nano, parts[0])
		if err != nil {
			return poot.ValidationPage{}, errors.New("bad cursor")
		}
		seq, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			return poot.ValidationPage{}, errors.New("bad cursor")
		}
		after = &poot.Validation{Timestamp: t, State: poot.State{Seq: seq}, ValidationID: parts[2]}
	}
	candidates := s.validations
	if f.NodeID != "" {
		candidates = make([]poot.Validation, 0, len(s.byNode[f.NodeID]))
		for _, i := range s.byNode[f.NodeID] {
			candidates = append(candidates, s.validations[i])
		}
	}
	var out []poot.Validation
	for _, v := range candidates {
		switch {
		case f.NodeID != "" && v.NodeID != f.NodeID,
			!f.Since.IsZero() && v.Timestamp.Before(f.Since),
			!f.Until.IsZero() && !v.Timestamp.Before(f.Until),
			f.OutputHash != "" && v.OutputHash != f.OutputHash,
			f.EvidenceOnly && !v.Evidence,
			after != nil && newer(*after, v) >= 0:
			continue
		}
		out = append(out, v)
	}
	slices.SortFunc(out, newer)
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	page := poot.ValidationPage{}
	if len(out) > limit {
		out = out[:limit]
		page.NextCursor = cursorOf(out[limit-1])
	}
	page.Validations = out
	return page, nil
}

// The in-memory fake honours the same store contract the real backends must.
func TestMemStoreConformance(t *testing.T) {
	poottest.StoreConformance(t, func(*testing.T) poot.Store { return newMemStore() })
}
