package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hamigames/lucid-node-management/poot"
)

// PoOTService calls the PoOT routes (/api/v1/nodes/{node_id}/poot/…,
// /api/v1/nodes/poot/batch-validate). They are in the PoOT rate-limit tier. Worker tokens may
// use the per-node routes of their own node. Get it from Client.PoOT.
//
// A proof that was judged is a successful call even when it is rejected: read
// Validation.IsValid and Validation.Errors (or call Validation.Err for an error carrying
// LUCID_ERR_5005 and the reasons).
type PoOTService struct{ c *Client }

// Challenge asks the server for a single-use nonce for the node
// (POST /api/v1/nodes/{node_id}/poot/challenge). Answer it before Challenge.ExpiresAt with a
// proof signed by the node's key (poot.SignProof).
func (s *PoOTService) Challenge(ctx context.Context, nodeID string) (*poot.Challenge, error) {
	if err := needID("node_id", nodeID); err != nil {
		return nil, err
	}
	var out poot.Challenge
	err := s.c.do(ctx, request{method: http.MethodPost, path: "/api/v1/nodes/" + escape(nodeID) + "/poot/challenge",
		ok: []int{http.StatusOK}, out: &out})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Validate submits one proof for the node (POST /api/v1/nodes/{node_id}/poot/validate).
// proof.NodeID may be empty (the path names the node) or must equal nodeID.
func (s *PoOTService) Validate(ctx context.Context, nodeID string, proof poot.Proof) (*poot.Validation, error) {
	if err := needID("node_id", nodeID); err != nil {
		return nil, err
	}
	var out poot.Validation
	err := s.c.do(ctx, request{method: http.MethodPost, path: "/api/v1/nodes/" + escape(nodeID) + "/poot/validate",
		body: proof, ok: []int{http.StatusOK}, out: &out})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// BatchResult is the answer of a batch validation: the batch id under which the batch and each
// proof were audited, and the results in request order with their summary.
type BatchResult struct {
	BatchID string `json:"batch_id"`
	poot.BatchResult
}

// BatchValidate judges up to poot.MaxBatch proofs, each independently
// (POST /api/v1/nodes/poot/batch-validate; validator and admin tokens). Every proof names its
// node in NodeID.
func (s *PoOTService) BatchValidate(ctx context.Context, proofs []poot.Proof) (*BatchResult, error) {
	if proofs == nil {
		proofs = []poot.Proof{}
	}
	var out BatchResult
	err := s.c.do(ctx, request{method: http.MethodPost, path: "/api/v1/nodes/poot/batch-validate",
		body: poot.BatchRequest{Validations: proofs}, ok: []int{http.StatusOK}, out: &out})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Score returns the node's current PoOT score (GET /api/v1/nodes/{node_id}/poot/score).
func (s *PoOTService) Score(ctx context.Context, nodeID string) (*poot.Score, error) {
	if err := needID("node_id", nodeID); err != nil {
		return nil, err
	}
	var out poot.Score
	err := s.c.do(ctx, request{method: http.MethodGet, path: "/api/v1/nodes/" + escape(nodeID) + "/poot/score",
		ok: []int{http.StatusOK}, out: &out})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// HistoryOptions filter and page a node's validation history. Zero fields do not filter;
// Limit 0 is the server's default (50, at most 1000).
type HistoryOptions struct {
	Limit  int
	Cursor string
	// Since and Until bound the validation time: Since <= t < Until.
	Since time.Time
	Until time.Time
	// OutputHash selects validations of one output (64 lowercase hex).
	OutputHash string
}

func (o HistoryOptions) values() url.Values {
	v := url.Values{}
	if o.Limit > 0 {
		v.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Cursor != "" {
		v.Set("cursor", o.Cursor)
	}
	if !o.Since.IsZero() {
		v.Set("since", o.Since.UTC().Format(time.RFC3339))
	}
	if !o.Until.IsZero() {
		v.Set("until", o.Until.UTC().Format(time.RFC3339))
	}
	if o.OutputHash != "" {
		v.Set("output_hash", o.OutputHash)
	}
	return v
}

// History is one page of a node's validations, newest first.
type History struct {
	Validations []poot.Validation `json:"validations"`
	Pagination  struct {
		Limit int `json:"limit"`
		// NextCursor continues after this page; "" on the last page.
		NextCursor string `json:"next_cursor"`
	} `json:"pagination"`
}

// History returns one page of the node's validations (GET /api/v1/nodes/{node_id}/poot/history).
func (s *PoOTService) History(ctx context.Context, nodeID string, opts HistoryOptions) (*History, error) {
	if err := needID("node_id", nodeID); err != nil {
		return nil, err
	}
	var out History
	err := s.c.do(ctx, request{method: http.MethodGet, path: "/api/v1/nodes/" + escape(nodeID) + "/poot/history",
		query: opts.values(), ok: []int{http.StatusOK}, out: &out})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// AllHistory walks the node's validations newest first, following cursors; the first error is
// yielded with a zero validation and ends the walk.
func (s *PoOTService) AllHistory(ctx context.Context, nodeID string, opts HistoryOptions) iter.Seq2[poot.Validation, error] {
	return func(yield func(poot.Validation, error) bool) {
		for {
			page, err := s.History(ctx, nodeID, opts)
			if err != nil {
				yield(poot.Validation{}, err)
				return
			}
			for _, v := range page.Validations {
				if !yield(v, nil) {
					return
				}
			}
			next := page.Pagination.NextCursor
			if next == "" || len(page.Validations) == 0 || next == opts.Cursor {
				return
			}
			opts.Cursor = next
		}
	}
}

// IssueChallenge is Challenge returning a value, so a PoOTService serves as the challenge
// issuer of poottest.Node and of agents written against poottest.ChallengeIssuer.
func (s *PoOTService) IssueChallenge(ctx context.Context, nodeID string) (poot.Challenge, error) {
	c, err := s.Challenge(ctx, nodeID)
	if err != nil {
		return poot.Challenge{}, err
	}
	return *c, nil
}
