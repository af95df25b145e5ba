package memory

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/storage/internal/clone"
)

var _ poot.Store = (*Store)(nil)

// pootState holds the PoOT tables. It has its own mutex so validations never wait for node
// writes; its zero value is ready (maps are made on first use).
type pootState struct {
	mu          sync.Mutex
	challenges  map[string]poot.Challenge // by nonce
	nonces      map[nonceKey]time.Time    // → expires_at
	validations map[string]poot.Validation
	// order holds every validation id sorted newest first; byNode and byHash the same per key.
	order  []valKey
	byNode map[string][]valKey
	byHash map[string][]valKey
}

type nonceKey struct{ node, nonce string }

// valKey is the listing order of validations: Timestamp desc, State.Seq desc, ValidationID desc.
type valKey struct {
	at  time.Time
	seq int64
	id  string
}

func cmpNewest(a, b valKey) int {
	if c := b.at.Compare(a.at); c != 0 {
		return c
	}
	if c := cmp.Compare(b.seq, a.seq); c != 0 {
		return c
	}
	return strings.Compare(b.id, a.id)
}

func (p *pootState) init() {
	if p.challenges == nil {
		p.challenges = map[string]poot.Challenge{}
		p.nonces = map[nonceKey]time.Time{}
		p.validations = map[string]poot.Validation{}
		p.byNode = map[string][]valKey{}
		p.byHash = map[string][]valKey{}
	}
}

// pootLock takes the PoOT lock after checking that the store is open.
func (s *Store) pootLock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return errClosed
	}
	s.poot.mu.Lock()
	s.poot.init()
	return nil
}

// SaveChallenge stores a newly issued challenge; its nonce must be new.
func (s *Store) SaveChallenge(ctx context.Context, c poot.Challenge) error {
	if err := s.pootLock(ctx); err != nil {
		return err
	}
	defer s.poot.mu.Unlock()
	if _, dup := s.poot.challenges[c.Nonce]; dup {
		return fmt.Errorf("memory store: challenge nonce already issued")
	}
	c.IssuedAt, c.ExpiresAt = clone.Norm(c.IssuedAt), clone.Norm(c.ExpiresAt)
	s.poot.challenges[c.Nonce] = c
	return nil
}

// ConsumeChallenge deletes and returns the challenge when it was issued to nodeID; another
// node's challenge stays in place.
func (s *Store) ConsumeChallenge(ctx context.Context, nodeID, nonce string) (poot.Challenge, error) {
	if err := s.pootLock(ctx); err != nil {
		return poot.Challenge{}, err
	}
	defer s.poot.mu.Unlock()
	c, ok := s.poot.challenges[nonce]
	if !ok {
		return poot.Challenge{}, poot.ErrChallengeNotFound
	}
	if c.NodeID != nodeID {
		return poot.Challenge{}, poot.ErrChallengeOtherNode
	}
	delete(s.poot.challenges, nonce)
	return c, nil
}

// ConsumeNonce records (nodeID, nonce) until expiresAt, or returns poot.ErrNonceReplayed when
// the pair is already recorded.
func (s *Store) ConsumeNonce(ctx context.Context, nodeID, nonce string, expiresAt time.Time) error {
	if err := s.pootLock(ctx); err != nil {
		return err
	}
	defer s.poot.mu.Unlock()
	k := nonceKey{nodeID, nonce}
	if _, used := s.poot.nonces[k]; used {
		return poot.ErrNonceReplayed
	}
	s.poot.nonces[k] = clone.Norm(expiresAt)
	return nil
}

// copyValidation returns a deep copy of v with its times normalised like every stored time.
func copyValidation(v poot.Validation) poot.Validation {
	v.Timestamp, v.ProofTimestamp, v.State.At = clone.Norm(v.Timestamp), clone.Norm(v.ProofTimestamp), clone.Norm(v.State.At)
	if v.Errors != nil {
		v.Errors = slices.Clone(v.Errors)
	} else {
		v.Errors = []poot.Reason{}
	}
	if v.MetricsScore != nil {
		m := *v.MetricsScore
		v.MetricsScore = &m
	}
	return v
}

func insertNewest(list []valKey, k valKey) []valKey {
	i, _ := slices.BinarySearchFunc(list, k, cmpNewest)
	return slices.Insert(list, i, k)
}

func removeNewest(list []valKey, k valKey) []valKey {
	if i, ok := slices.BinarySearchFunc(list, k, cmpNewest); ok {
		return slices.Delete(list, i, i+1)
	}
	return list
}

// SaveValidation appends one validation; its id must be new.
func (s *Store) SaveValidation(ctx context.Context, v poot.Validation) error {
	if err := s.pootLock(ctx); err != nil {
		return err
	}
	defer s.poot.mu.Unlock()
	if _, dup := s.poot.validations[v.ValidationID]; dup {
		return fmt.Errorf("memory store: validation %s already stored", v.ValidationID)
	}
	c := copyValidation(v)
	k := valKey{c.Timestamp, c.State.Seq, c.ValidationID}
	s.poot.validations[c.ValidationID] = c
	s.poot.order = insertNewest(s.poot.order, k)
	s.poot.byNode[c.NodeID] = insertNewest(s.poot.byNode[c.NodeID], k)
	if c.OutputHash != "" {
		s.poot.byHash[c.OutputHash] = insertNewest(s.poot.byHash[c.OutputHash], k)
	}
	return nil
}

// pootMaxLimit caps a page of validations.
const pootMaxLimit = 1000

// ListValidations returns matching validations newest first, at most f.Limit (default and cap
// 1000), with the cursor of the next page.
func (s *Store) ListValidations(ctx context.Context, f poot.ValidationFilter) (poot.ValidationPage, error) {
	var after *valKey
	if f.Cursor != "" {
		k, err := decodeValCursor(f.Cursor)
		if err != nil {
			return poot.ValidationPage{}, err
		}
		after = &k
	}
	limit := f.Limit
	if limit <= 0 || limit > pootMaxLimit {
		limit = pootMaxLimit
	}
	since, until := clone.Norm(f.Since), clone.Norm(f.Until)
	if err := s.pootLock(ctx); err != nil {
		return poot.ValidationPage{}, err
	}
	defer s.poot.mu.Unlock()
	list := s.poot.order
	switch {
	case f.NodeID != "":
		list = s.poot.byNode[f.NodeID]
	case f.OutputHash != "":
		list = s.poot.byHash[f.OutputHash]
	}
	start := 0
	if after != nil {
		// The first key strictly after the cursor in listing order.
		start, _ = slices.BinarySearchFunc(list, *after, cmpNewest)
		if start < len(list) && cmpNewest(list[start], *after) == 0 {
			start++
		}
	}
	page := poot.ValidationPage{Validations: []poot.Validation{}}
	for _, k := range list[start:] {
		if !f.Until.IsZero() && !k.at.Before(until) {
			continue
		}
		if !f.Since.IsZero() && k.at.Before(since) {
			break // newest first: everything after is older still
		}
		v := s.poot.validations[k.id]
		if (f.NodeID != "" && v.NodeID != f.NodeID) || (f.OutputHash != "" && v.OutputHash != f.OutputHash) ||
			(f.EvidenceOnly && !v.Evidence) {
			continue
		}
		if len(page.Validations) == limit {
			last := page.Validations[limit-1]
			page.NextCursor = encodeValCursor(valKey{last.Timestamp, last.State.Seq, last.ValidationID})
			break
		}
		page.Validations = append(page.Validations, copyValidation(v))
	}
	return page, nil
}

// PurgePoot deletes consumed nonces whose record expired before now, challenges that expired
// more than poot.ReplayWindow before now (so a late answer is still told it is expired), and
// validations older than validationsBefore (history retention). It returns the rows removed.
func (s *Store) PurgePoot(ctx context.Context, now, validationsBefore time.Time) (int, error) {
	if err := s.pootLock(ctx); err != nil {
		return 0, err
	}
	defer s.poot.mu.Unlock()
	now, validationsBefore = clone.Norm(now), clone.Norm(validationsBefore)
	n := 0
	for k, exp := range s.poot.nonces {
		if exp.Before(now) {
			delete(s.poot.nonces, k)
			n++
		}
	}
	for nonce, c := range s.poot.challenges {
		if c.ExpiresAt.Add(poot.ReplayWindow).Before(now) {
			delete(s.poot.challenges, nonce)
			n++
		}
	}
	// order is newest first: the old ones are at the end.
	for len(s.poot.order) > 0 {
		k := s.poot.order[len(s.poot.order)-1]
		if !k.at.Before(validationsBefore) {
			break
		}
		v := s.poot.validations[k.id]
		s.poot.order = s.poot.order[:len(s.poot.order)-1]
		s.poot.byNode[v.NodeID] = removeNewest(s.poot.byNode[v.NodeID], k)
		if len(s.poot.byNode[v.NodeID]) == 0 {
			delete(s.poot.byNode, v.NodeID)
		}
		if v.OutputHash != "" {
			s.poot.byHash[v.OutputHash] = removeNewest(s.poot.byHash[v.OutputHash], k)
			if len(s.poot.byHash[v.OutputHash]) == 0 {
				delete(s.poot.byHash, v.OutputHash)
			}
		}
		delete(s.poot.validations, k.id)
		n++
	}
	return n, nil
}

// errBadCursor is returned for a cursor this store did not issue.
var errBadCursor = errors.New("memory store: invalid validation cursor")

// encodeValCursor is base64url("micros|seq|id") of the last validation of a page.
func encodeValCursor(k valKey) string {
	raw := strconv.FormatInt(k.at.UnixMicro(), 10) + "|" + strconv.FormatInt(k.seq, 10) + "|" + k.id
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeValCursor(c string) (valKey, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return valKey{}, errBadCursor
	}
	parts := strings.SplitN(string(raw), "|", 3)
	if len(parts) != 3 {
		return valKey{}, errBadCursor
	}
	us, err1 := strconv.ParseInt(parts[0], 10, 64)
	seq, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return valKey{}, errBadCursor
	}
	return valKey{time.UnixMicro(us).UTC(), seq, parts[2]}, nil
}
