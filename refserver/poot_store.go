package refserver

import (
	"context"
	"time"

	"github.com/hamigames/lucid-node-management/poot"
)

// instrumentedPootStore counts and times every PoOT store call in the database series, like
// instrumentedStore does for the node registry. Domain outcomes (a replayed nonce, an unknown
// challenge) count as errors there too.
type instrumentedPootStore struct {
	next poot.Store
	m    *metrics
}

var _ poot.Store = (*instrumentedPootStore)(nil)

func (s *instrumentedPootStore) SaveChallenge(ctx context.Context, c poot.Challenge) error {
	start := time.Now()
	err := s.next.SaveChallenge(ctx, c)
	s.m.db("poot_save_challenge", start, err)
	return err
}

func (s *instrumentedPootStore) ConsumeChallenge(ctx context.Context, nodeID, nonce string) (poot.Challenge, error) {
	start := time.Now()
	c, err := s.next.ConsumeChallenge(ctx, nodeID, nonce)
	s.m.db("poot_consume_challenge", start, err)
	return c, err
}

func (s *instrumentedPootStore) ConsumeNonce(ctx context.Context, nodeID, nonce string, expiresAt time.Time) error {
	start := time.Now()
	err := s.next.ConsumeNonce(ctx, nodeID, nonce, expiresAt)
	s.m.db("poot_consume_nonce", start, err)
	return err
}

func (s *instrumentedPootStore) SaveValidation(ctx context.Context, v poot.Validation) error {
	start := time.Now()
	err := s.next.SaveValidation(ctx, v)
	s.m.db("poot_save_validation", start, err)
	return err
}

func (s *instrumentedPootStore) ListValidations(ctx context.Context, f poot.ValidationFilter) (poot.ValidationPage, error) {
	start := time.Now()
	p, err := s.next.ListValidations(ctx, f)
	s.m.db("poot_list_validations", start, err)
	return p, err
}

// instrumentedProofStore adds ConsumeProof for stores that judge a proof in one transaction,
// so wrapping does not hide it from the validator.
type instrumentedProofStore struct {
	*instrumentedPootStore
	proofs poot.ProofStore
}

var _ poot.ProofStore = (*instrumentedProofStore)(nil)

func (s *instrumentedProofStore) ConsumeProof(ctx context.Context, nodeID, nonce string, exp time.Time,
	judge func(poot.Consumed) poot.Validation) (poot.Validation, error) {
	start := time.Now()
	v, err := s.proofs.ConsumeProof(ctx, nodeID, nonce, exp, judge)
	s.m.db("poot_consume_proof", start, err)
	return v, err
}

// instrumentPootStore wraps store, keeping its ConsumeProof when it has one.
func instrumentPootStore(store poot.Store, m *metrics) poot.Store {
	base := &instrumentedPootStore{next: store, m: m}
	if ps, ok := store.(poot.ProofStore); ok {
		return &instrumentedProofStore{instrumentedPootStore: base, proofs: ps}
	}
	return base
}
