package poottest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hamigames/lucid-node-management/poot"
)

// StoreConformance runs the contract of poot.Store against a backend: atomic single-use
// challenges that are never burned by another node, atomic nonce consumption, and validation
// listing with filters, order and cursor paging. open must return an empty store.
func StoreConformance(t *testing.T, open func(t *testing.T) poot.Store) {
	t.Run("challenge single use", func(t *testing.T) {
		s, ctx := open(t), context.Background()
		c := poot.Challenge{NodeID: "node_store_a", Nonce: poot.NewChallengeNonce(), IssuedAt: Epoch, ExpiresAt: Epoch.Add(2 * time.Minute)}
		mustNil(t, s.SaveChallenge(ctx, c))
		_, err := s.ConsumeChallenge(ctx, "node_store_b", c.Nonce)
		mustIs(t, err, poot.ErrChallengeOtherNode)
		got, err := s.ConsumeChallenge(ctx, c.NodeID, c.Nonce)
		mustNil(t, err)
		if got.NodeID != c.NodeID || got.Nonce != c.Nonce || !got.IssuedAt.Equal(c.IssuedAt) || !got.ExpiresAt.Equal(c.ExpiresAt) {
			t.Fatalf("consumed %+v, saved %+v", got, c)
		}
		_, err = s.ConsumeChallenge(ctx, c.NodeID, c.Nonce)
		mustIs(t, err, poot.ErrChallengeNotFound)
		_, err = s.ConsumeChallenge(ctx, c.NodeID, "never-issued-nonce")
		mustIs(t, err, poot.ErrChallengeNotFound)

		expired := poot.Challenge{NodeID: "node_store_a", Nonce: poot.NewChallengeNonce(), IssuedAt: Epoch.Add(-time.Hour), ExpiresAt: Epoch.Add(-time.Minute)}
		mustNil(t, s.SaveChallenge(ctx, expired))
		got, err = s.ConsumeChallenge(ctx, expired.NodeID, expired.Nonce)
		mustNil(t, err)
		if !got.ExpiresAt.Equal(expired.ExpiresAt) {
			t.Fatalf("an expired challenge is returned as stored so the caller can judge it, got %+v", got)
		}
	})

	t.Run("challenge consumed once under concurrency", func(t *testing.T) {
		s, ctx := open(t), context.Background()
		c := poot.Challenge{NodeID: "node_store_a", Nonce: poot.NewChallengeNonce(), IssuedAt: Epoch, ExpiresAt: Epoch.Add(time.Minute)}
		mustNil(t, s.SaveChallenge(ctx, c))
		wins := race(t, 8, func() error { _, err := s.ConsumeChallenge(ctx, c.NodeID, c.Nonce); return err }, poot.ErrChallengeNotFound)
		if wins != 1 {
			t.Fatalf("%d consumers won the same challenge", wins)
		}
	})

	t.Run("nonce consumed once", func(t *testing.T) {
		s, ctx := open(t), context.Background()
		exp := Epoch.Add(24 * time.Hour)
		mustNil(t, s.ConsumeNonce(ctx, "node_store_a", "nonce-0001", exp))
		mustIs(t, s.ConsumeNonce(ctx, "node_store_a", "nonce-0001", exp), poot.ErrNonceReplayed)
		mustNil(t, s.ConsumeNonce(ctx, "node_store_b", "nonce-0001", exp))
		mustNil(t, s.ConsumeNonce(ctx, "node_store_a", "nonce-0002", exp))
		wins := race(t, 8, func() error { return s.ConsumeNonce(ctx, "node_store_c", "nonce-0003", exp) }, poot.ErrNonceReplayed)
		if wins != 1 {
			t.Fatalf("%d consumers won the same nonce", wins)
		}
	})

	t.Run("validations round trip, filter, order and page", func(t *testing.T) {
		s, ctx := open(t), context.Background()
		var all []poot.Validation
		for i := range 25 {
			node := "node_store_a"
			if i%5 == 4 {
				node = "node_store_b"
			}
			v := sampleValidation(i, node)
			mustNil(t, s.SaveValidation(ctx, v))
			all = append(all, v)
		}
		// Round trip of every field.
		page, err := s.ListValidations(ctx, poot.ValidationFilter{OutputHash: all[7].OutputHash})
		mustNil(t, err)
		if len(page.Validations) != 1 || !sameValidation(page.Validations[0], all[7]) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", page.Validations, all[7])
		}

		check := func(name string, f poot.ValidationFilter, keep func(poot.Validation) bool) {
			t.Helper()
			var want []string
			for _, v := range sortedNewestFirst(all) {
				if keep(v) {
					want = append(want, v.ValidationID)
				}
			}
			var got []string
			seen := 0
			for {
				page, err := s.ListValidations(ctx, f)
				mustNil(t, err)
				if f.Limit > 0 && len(page.Validations) > f.Limit {
					t.Fatalf("%s: page of %d over limit %d", name, len(page.Validations), f.Limit)
				}
				for _, v := range page.Validations {
					got = append(got, v.ValidationID)
				}
				if page.NextCursor == "" {
					break
				}
				if seen++; seen > 100 {
					t.Fatalf("%s: paging does not end", name)
				}
				f.Cursor = page.NextCursor
			}
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("%s:\n got %v\nwant %v", name, got, want)
			}
		}
		check("by node", poot.ValidationFilter{NodeID: "node_store_a"}, func(v poot.Validation) bool { return v.NodeID == "node_store_a" })
		check("by node, paged by 3", poot.ValidationFilter{NodeID: "node_store_a", Limit: 3}, func(v poot.Validation) bool { return v.NodeID == "node_store_a" })
		since, until := Epoch.Add(5*time.Minute), Epoch.Add(15*time.Minute)
		check("time range [since, until)", poot.ValidationFilter{Since: since, Until: until, Limit: 4}, func(v poot.Validation) bool {
			return !v.Timestamp.Before(since) && v.Timestamp.Before(until)
		})
		check("evidence only", poot.ValidationFilter{NodeID: "node_store_a", EvidenceOnly: true, Limit: 2}, func(v poot.Validation) bool {
			return v.NodeID == "node_store_a" && v.Evidence
		})
		check("by output hash", poot.ValidationFilter{OutputHash: all[3].OutputHash}, func(v poot.Validation) bool { return v.OutputHash == all[3].OutputHash })
		check("everything", poot.ValidationFilter{Limit: 7}, func(poot.Validation) bool { return true })
	})
}

// sampleValidation builds a validation with every field set; several share a timestamp so the
// (Timestamp, State.Seq, ValidationID) order is exercised.
func sampleValidation(i int, node string) poot.Validation {
	ts := Epoch.Add(time.Duration(i/2) * time.Minute)
	ms := float64(i) + 0.25
	v := poot.Validation{
		ValidationID: fmt.Sprintf("00000000-0000-4000-8000-%012d", 1000-i), NodeID: node, IsValid: i%3 != 0,
		Score: 70 + float64(i)/4, Confidence: 0.5 + float64(i)/100, OutputHash: fmt.Sprintf("%064x", i),
		Timestamp: ts, ValidationTimeMS: 0.125 * float64(i), Errors: []poot.Reason{},
		Anomaly: i == 9, AnomalyZ: float64(i) / 8, ProofTimestamp: ts.Add(-time.Second), Nonce: fmt.Sprintf("nonce-%04d", i),
		Signed: true, Challenged: i%2 == 0, Evidence: i%4 != 3, ChecksPassed: i%3 != 0, Timeliness: 0.75, LatencyMS: 1500.5,
		State: poot.State{At: ts, Evidence: 1.5 + float64(i), Success: 1 + float64(i), Timely: 0.5 + float64(i), Passed: i, Seq: int64(i + 1)},
	}
	if i%3 == 0 {
		v.Errors = []poot.Reason{{Code: poot.ReasonScoreBelowThreshold, Message: "score below threshold"}}
	}
	if i%2 == 1 {
		v.MetricsScore = &ms
	}
	return v
}

func sortedNewestFirst(vs []poot.Validation) []poot.Validation {
	out := append([]poot.Validation(nil), vs...)
	less := func(a, b poot.Validation) bool {
		if !a.Timestamp.Equal(b.Timestamp) {
			return a.Timestamp.After(b.Timestamp)
		}
		if a.State.Seq != b.State.Seq {
			return a.State.Seq > b.State.Seq
		}
		return a.ValidationID > b.ValidationID
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && less(out[j], out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// sameValidation compares through JSON with times normalized to UTC, as an API client would.
func sameValidation(a, b poot.Validation) bool {
	norm := func(v poot.Validation) string {
		v.Timestamp, v.ProofTimestamp, v.State.At = v.Timestamp.UTC(), v.ProofTimestamp.UTC(), v.State.At.UTC()
		if v.Errors == nil {
			v.Errors = []poot.Reason{}
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	return norm(a) == norm(b)
}

// race runs f n times concurrently and returns how many calls succeeded; every failure must
// match lose.
func race(t *testing.T, n int, f func() error, lose error) int {
	t.Helper()
	var wins atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			err := f()
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, lose):
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("unexpected error: %v", err)
	}
	return int(wins.Load())
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func mustIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}
