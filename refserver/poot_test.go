package refserver

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/poot/poottest"
	"github.com/hamigames/lucid-node-management/refserver/auth"
	"github.com/hamigames/lucid-node-management/storage/memory"
)

// pootEnv is a server on a fake clock (so heartbeat uptime and challenge latency are exact).
type pootEnv struct {
	*env
	clock *poottest.Clock
}

func newPootEnv(t testing.TB, mutate ...func(*Config, *Deps)) *pootEnv {
	t.Helper()
	clock := poottest.NewClock(time.Time{})
	e := newEnv(t, append([]func(*Config, *Deps){func(c *Config, d *Deps) {
		d.Now = clock.Now
		c.MaxBodyBytes = 4 << 20 // room for an oversized output to reach the validator
	}}, mutate...)...)
	return &pootEnv{env: e, clock: clock}
}

// with returns a copy of e reporting to t.
func (e *pootEnv) with(t testing.TB) *pootEnv { return &pootEnv{env: e.env.with(t), clock: e.clock} }

// keyedNode registers an active node with the public key of a poottest node named name.
func (e *pootEnv) keyedNode(name string, keyed bool) *poottest.Node {
	e.t.Helper()
	tn := poottest.NewNamedNode(e.t, name)
	tn.Clock = e.clock
	var body map[string]any
	require.NoError(e.t, json.Unmarshal([]byte(nodeBody(name, "")), &body))
	if keyed {
		body["public_key"] = tn.PublicKey()
	}
	b, _ := json.Marshal(body)
	var n nodemgmt.Node
	e.must(http.StatusCreated, "POST", "/api/v1/nodes", e.admin, string(b), &n)
	tn.ID = n.NodeID
	e.activate(n.NodeID)
	return tn
}

func (e *pootEnv) activate(id string) {
	e.t.Helper()
	e.must(http.StatusOK, "POST", "/api/v1/nodes/"+id+"/start", e.admin, "", nil)
	e.must(http.StatusOK, "POST", "/api/v1/nodes/"+id+"/heartbeat", e.admin, "", nil)
}

func (e *pootEnv) challenge(node, token string) poot.Challenge {
	e.t.Helper()
	var c poot.Challenge
	e.must(http.StatusOK, "POST", "/api/v1/nodes/"+node+"/poot/challenge", token, "", &c)
	return c
}

func proofJSON(p poot.Proof) string {
	b, _ := json.Marshal(p)
	return string(b)
}

// validate posts a proof for node and decodes the 200 answer.
func (e *pootEnv) validate(node, token string, body string) poot.Validation {
	e.t.Helper()
	var v poot.Validation
	e.must(http.StatusOK, "POST", "/api/v1/nodes/"+node+"/poot/validate", token, body, &v)
	return v
}

func reasonCodes(v poot.Validation) []string {
	out := []string{}
	for _, r := range v.Errors {
		out = append(out, r.Code)
	}
	return out
}

func TestPootHonestKeyedNodeBecomesValid(t *testing.T) {
	t.Parallel()
	e := newPootEnv(t)
	n := e.keyedNode("honest-keyed", true)
	worker := e.token(auth.RoleWorker, n.ID)

	var sc poot.Score
	e.must(http.StatusOK, "GET", "/api/v1/nodes/"+n.ID+"/poot/score", worker, "", &sc)
	assert.Equal(t, poot.StatusPending, sc.ValidationStatus)

	var last float64
	for i := range 4 {
		c := e.challenge(n.ID, worker)
		assert.Equal(t, e.clock.Now().Add(2*time.Minute), c.ExpiresAt)
		v := e.validate(n.ID, worker, proofJSON(n.Answer(c.Nonce, []byte(fmt.Sprintf("output %d", i)))))
		require.True(t, v.IsValid, "proof %d: %v", i, v.Errors)
		assert.Empty(t, v.Errors)
		assert.True(t, v.Signed && v.Challenged && v.Evidence)
		assert.Greater(t, v.Score, last, "the score rises over the first proofs")
		last = v.Score

		var node nodemgmt.Node
		e.must(http.StatusOK, "GET", "/api/v1/nodes/"+n.ID, worker, "", &node)
		assert.Equal(t, v.Score, node.PootScore, "poot_score on the node follows the latest validation")
		e.must(http.StatusOK, "GET", "/api/v1/nodes/"+n.ID+"/poot/score", worker, "", &sc)
		assert.Equal(t, poot.StatusValid, sc.ValidationStatus)
		assert.Equal(t, v.Score, sc.Score)
		assert.Equal(t, v.OutputHash, sc.OutputHash)
		e.clock.Advance(time.Second)
		e.must(http.StatusOK, "POST", "/api/v1/nodes/"+n.ID+"/heartbeat", worker, "", nil)
	}

	// Audit entries of category poot name the node, the caller and the result.
	var audit AuditList
	e.must(http.StatusOK, "GET", "/api/v1/audit?category=poot&target="+n.ID, e.admin, "", &audit)
	require.Len(t, audit.Entries, 4)
	assert.Equal(t, "ok", audit.Entries[0].Result)
	assert.Equal(t, "worker:"+n.ID, audit.Entries[0].Actor)
	assert.Equal(t, "validate", audit.Entries[0].Action)

	m := e.do("GET", "/metrics", "", "")
	require.Equal(t, http.StatusOK, m.Code)
	assert.Contains(t, string(m.Body), `lucid_node_management_poot_validations_total{result="valid"} 4`)
	assert.Contains(t, string(m.Body), "lucid_node_management_poot_scores_bucket")
	assert.Contains(t, string(m.Body), "lucid_node_management_poot_validation_duration_seconds_bucket")
	assert.Contains(t, string(m.Body), "lucid_node_management_poot_anomalies_total 0")
}

// TestPootRejections runs every Must-show rejection through HTTP and checks its
// machine-readable reason.
func TestPootRejections(t *testing.T) {
	t.Parallel()
	e := newPootEnv(t)
	keyed := e.keyedNode("rejections-keyed", true)
	other := e.keyedNode("rejections-other", true)
	unkeyed := e.keyedNode("rejections-unkeyed", false)
	inactive := poottest.NewNamedNode(t, "rejections-inactive")
	inactive.Clock = e.clock
	var in nodemgmt.Node
	e.must(http.StatusCreated, "POST", "/api/v1/nodes", e.admin, nodeBody("rejections-inactive", ""), &in)
	inactive.ID = in.NodeID
	unknown := poottest.NewNamedNode(t, "rejections-unknown")
	unknown.Clock = e.clock
	forger := poottest.NewNamedNode(t, "rejections-forger")
	out := []byte("some output")
	now := e.clock.Now()

	tests := []struct {
		name   string
		node   string
		body   func() string
		reason string
	}{
		{"stale timestamp", keyed.ID, func() string {
			return proofJSON(keyed.ProveAt(e.challenge(keyed.ID, e.admin).Nonce, now.Add(-25*time.Hour).Format(time.RFC3339), out))
		}, poot.ReasonTimestampStale},
		{"future timestamp", keyed.ID, func() string {
			return proofJSON(keyed.ProveAt(e.challenge(keyed.ID, e.admin).Nonce, now.Add(10*time.Minute).Format(time.RFC3339), out))
		}, poot.ReasonTimestampFuture},
		{"oversized output", unkeyed.ID, func() string {
			p := unkeyed.Answer("client-nonce-oversized", bytes.Repeat([]byte{'x'}, poot.MaxOutputBytes+1))
			return proofJSON(p)
		}, poot.ReasonOutputTooLarge},
		{"non-base64 output", unkeyed.ID, func() string {
			p := unkeyed.Answer("client-nonce-notb64", out)
			p.OutputData = "not base64!"
			return proofJSON(p)
		}, poot.ReasonOutputNotBase64},
		{"forged signature", keyed.ID, func() string {
			c := e.challenge(keyed.ID, e.admin)
			p := keyed.Answer(c.Nonce, out)
			p.Signature = poot.SignProof(forger.Private, keyed.ID, c.Nonce, p.Timestamp, out)
			return proofJSON(p)
		}, poot.ReasonSignatureInvalid},
		{"missing signature", keyed.ID, func() string {
			p := keyed.Answer(e.challenge(keyed.ID, e.admin).Nonce, out)
			p.Signature = ""
			return proofJSON(p)
		}, poot.ReasonSignatureMissing},
		{"challenge issued to another node", keyed.ID, func() string {
			return proofJSON(keyed.Answer(e.challenge(other.ID, e.admin).Nonce, out))
		}, poot.ReasonChallengeOtherNode},
		{"keyed node without a challenge", keyed.ID, func() string {
			return proofJSON(keyed.Answer("client-chosen-nonce", out))
		}, poot.ReasonChallengeUnknown},
		{"unknown node", unknown.ID, func() string { return proofJSON(unknown.Answer("client-nonce-unknown", out)) }, poot.ReasonNodeUnknown},
		{"inactive node", inactive.ID, func() string { return proofJSON(inactive.Answer("client-nonce-inactive", out)) }, poot.ReasonNodeInactive},
		{"short nonce", unkeyed.ID, func() string { return proofJSON(unkeyed.Answer("short", out)) }, poot.ReasonNonceTooShort},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := e.with(t).validate(tc.node, e.admin, tc.body())
			assert.False(t, v.IsValid)
			assert.Contains(t, reasonCodes(v), tc.reason)
			for _, r := range v.Errors {
				assert.NotEmpty(t, r.Message)
			}
		})
	}

	t.Run("replay", func(t *testing.T) {
		fresh := e.with(t).keyedNode("rejections-replay", true) // a clean record, so its first proof is valid
		body := proofJSON(fresh.Answer(e.challenge(fresh.ID, e.admin).Nonce, out))
		first := e.with(t).validate(fresh.ID, e.admin, body)
		require.True(t, first.IsValid, "%v", first.Errors)
		again := e.with(t).validate(fresh.ID, e.admin, body)
		assert.False(t, again.IsValid)
		assert.Equal(t, []string{poot.ReasonNonceReplayed}, reasonCodes(again))
		// A client nonce of an unkeyed node is single use too.
		body = proofJSON(unkeyed.Answer("client-nonce-replay", out))
		require.NotContains(t, reasonCodes(e.with(t).validate(unkeyed.ID, e.admin, body)), poot.ReasonNonceReplayed, "first use")
		assert.Contains(t, reasonCodes(e.with(t).validate(unkeyed.ID, e.admin, body)), poot.ReasonNonceReplayed)
	})

	t.Run("expired challenge", func(t *testing.T) {
		c := e.challenge(keyed.ID, e.admin)
		e.clock.Advance(3 * time.Minute)
		defer e.clock.Set(now)
		v := e.with(t).validate(keyed.ID, e.admin, proofJSON(keyed.Answer(c.Nonce, out)))
		assert.Contains(t, reasonCodes(v), poot.ReasonChallengeExpired)
	})
}

func TestPootMalformedRequests(t *testing.T) {
	t.Parallel()
	e := newPootEnv(t)
	n := e.keyedNode("malformed", false)
	path := "/api/v1/nodes/" + n.ID + "/poot/validate"
	good := n.Answer("client-nonce-malformed", []byte("x"))
	other := good
	other.NodeID = "node_someone_else_1"
	for _, tc := range []struct {
		name, body, code string
	}{
		{"not json", "{", CodeMalformedBody},
		{"unknown field", `{"node_id":"` + n.ID + `","bogus":1}`, CodeMalformedBody},
		{"duplicate key", `{"nonce":"a","nonce":"b"}`, CodeMalformedBody},
		{"null", `{"nonce":null}`, CodeMalformedBody},
		{"trailing data", proofJSON(good) + "{}", CodeMalformedBody},
		{"node id differs from the path", proofJSON(other), CodeValidation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", path, e.admin, tc.body)
			assert.Equal(t, tc.code, r.errCode(t), "%s", r.Body)
		})
	}
	r := e.do("POST", path, e.admin, "")
	assert.Equal(t, http.StatusUnsupportedMediaType, r.Code)

	// The default body limit answers an oversized output with 413 before it is judged.
	small := newEnv(t)
	var sn nodemgmt.Node
	small.must(http.StatusCreated, "POST", "/api/v1/nodes", small.admin, nodeBody("oversized-default", ""), &sn)
	big := proofJSON(poot.Proof{NodeID: sn.NodeID, OutputData: base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{'x'}, poot.MaxOutputBytes+1)),
		Timestamp: time.Now().UTC().Format(time.RFC3339), Nonce: "client-nonce-413"})
	r = small.do("POST", "/api/v1/nodes/"+sn.NodeID+"/poot/validate", small.admin, big)
	assert.Equal(t, CodeBodyTooLarge, r.errCode(t))
}

// TestPootReplayAfterRestart: a nonce consumed before a restart is refused after it, on the
// same SQLite file.
func TestPootReplayAfterRestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "poot.db")
	clock := poottest.NewClock(time.Time{})
	start := func() (*pootEnv, func()) {
		store := openSQLite(t, path)
		e := newPootEnv(t, func(c *Config, d *Deps) { d.Store = store; d.Now = clock.Now })
		e.clock = clock
		return e, func() { require.NoError(t, store.Close()) }
	}
	e, stop := start()
	n := e.keyedNode("restart", true)
	body := proofJSON(n.Answer(e.challenge(n.ID, e.admin).Nonce, []byte("before restart")))
	v := e.validate(n.ID, e.admin, body)
	require.True(t, v.IsValid, "%v", v.Errors)
	unkeyedBody := func(id string) string {
		return proofJSON(poot.Proof{NodeID: id, OutputData: base64.StdEncoding.EncodeToString([]byte("x")),
			Timestamp: clock.Now().Format(time.RFC3339), Nonce: "client-nonce-restart"})
	}
	u := e.keyedNode("restart-unkeyed", false)
	first := e.validate(u.ID, e.admin, unkeyedBody(u.ID))
	require.True(t, first.Evidence, "%v", first.Errors)
	require.NotContains(t, reasonCodes(first), poot.ReasonNonceReplayed)
	stop()

	e, stop = start()
	defer stop()
	clock.Advance(time.Minute)
	e.must(http.StatusOK, "POST", "/api/v1/nodes/"+n.ID+"/heartbeat", e.admin, "", nil)
	again := e.validate(n.ID, e.admin, body)
	assert.False(t, again.IsValid)
	assert.Equal(t, []string{poot.ReasonNonceReplayed}, reasonCodes(again))
	assert.Contains(t, reasonCodes(e.validate(u.ID, e.admin, unkeyedBody(u.ID))), poot.ReasonNonceReplayed)

	var sc poot.Score
	e.must(http.StatusOK, "GET", "/api/v1/nodes/"+n.ID+"/poot/score", e.admin, "", &sc)
	assert.Equal(t, v.Score, sc.Score, "the replay did not change the score")
}

// TestPootHTTPMatchesLibrary: the same proof bytes give the same is_valid, score, confidence,
// reasons and output hash through the HTTP API as through a library Validator over the same
// kind of store with the same facts.
func TestPootHTTPMatchesLibrary(t *testing.T) {
	t.Parallel()
	e := newPootEnv(t)
	keyed := e.keyedNode("equivalence-keyed", true)
	unkeyed := e.keyedNode("equivalence-unkeyed", false)

	libStore := memory.New()
	dir := poottest.NewDirectory()
	for _, n := range []*poottest.Node{keyed, unkeyed} {
		var node nodemgmt.Node
		e.must(http.StatusOK, "GET", "/api/v1/nodes/"+n.ID, e.admin, "", &node)
		dir.Put(poot.NodeInfo{NodeID: n.ID, Active: true, PublicKey: node.PublicKey, CreatedAt: node.CreatedAt, Uptime: node.Uptime(e.clock.Now())})
	}
	lib := poot.NewValidator(dir, libStore, poot.WithClock(e.clock))

	compare := func(t *testing.T, node string, body string) poot.Validation {
		t.Helper()
		viaHTTP := e.with(t).validate(node, e.admin, body)
		p, err := poot.DecodeProof([]byte(body))
		require.NoError(t, err)
		viaLib, err := lib.ValidateAs(context.Background(), node, p)
		require.NoError(t, err)
		assert.Equal(t, viaLib.IsValid, viaHTTP.IsValid)
		assert.Equal(t, viaLib.Score, viaHTTP.Score)
		assert.Equal(t, viaLib.Confidence, viaHTTP.Confidence)
		assert.Equal(t, reasonCodes(viaLib), reasonCodes(viaHTTP))
		assert.Equal(t, viaLib.Errors, viaHTTP.Errors)
		assert.Equal(t, viaLib.OutputHash, viaHTTP.OutputHash)
		assert.Equal(t, viaLib.Evidence, viaHTTP.Evidence)
		assert.Equal(t, viaLib.State.Seq, viaHTTP.State.Seq)
		return viaHTTP
	}
	for i := range 3 {
		// The server issues the challenge; the library's store is given the same one, so the
		// very same signed proof answers both.
		c := e.challenge(keyed.ID, e.admin)
		require.NoError(t, libStore.SaveChallenge(context.Background(), c))
		v := compare(t, keyed.ID, proofJSON(keyed.Answer(c.Nonce, []byte(fmt.Sprintf("keyed output %d", i)))))
		assert.True(t, v.IsValid, "%v", v.Errors)
		compare(t, unkeyed.ID, proofJSON(unkeyed.Answer(fmt.Sprintf("client-nonce-eq-%d", i), []byte("unkeyed output"))))
	}
	// Rejections match too: a stale proof and a replay.
	compare(t, unkeyed.ID, proofJSON(unkeyed.ProveAt("client-nonce-stale", e.clock.Now().Add(-48*time.Hour).Format(time.RFC3339), []byte("x"))))
	compare(t, unkeyed.ID, proofJSON(unkeyed.Answer("client-nonce-eq-0", []byte("unkeyed output"))))
}

func TestPootAccess(t *testing.T) {
	t.Parallel()
	e := newPootEnv(t)
	n := e.keyedNode("access-own", true)
	o := e.keyedNode("access-other", true)
	worker := e.token(auth.RoleWorker, n.ID)
	validator := e.token(auth.RoleValidator, "")
	readOnly, err := e.srv.Authority().IssueToken(auth.TokenRequest{Role: auth.RoleValidator, Scopes: []auth.Scope{auth.ScopePoOTRead}})
	require.NoError(t, err)
	batch := `{"validations":[]}`
	for _, tc := range []struct {
		name, method, path, token, body string
		want                            int
	}{
		{"no token score", "GET", "/api/v1/nodes/" + n.ID + "/poot/score", "", "", http.StatusUnauthorized},
		{"no token validate", "POST", "/api/v1/nodes/" + n.ID + "/poot/validate", "", "{}", http.StatusUnauthorized},
		{"no token batch", "POST", "/api/v1/nodes/poot/batch-validate", "", batch, http.StatusUnauthorized},
		{"no token challenge", "POST", "/api/v1/nodes/" + n.ID + "/poot/challenge", "", "", http.StatusUnauthorized},
		{"no token history", "GET", "/api/v1/nodes/" + n.ID + "/poot/history", "", "", http.StatusUnauthorized},
		{"worker other node score", "GET", "/api/v1/nodes/" + o.ID + "/poot/score", worker, "", http.StatusForbidden},
		{"worker other node validate", "POST", "/api/v1/nodes/" + o.ID + "/poot/validate", worker, "{}", http.StatusForbidden},
		{"worker other node challenge", "POST", "/api/v1/nodes/" + o.ID + "/poot/challenge", worker, "", http.StatusForbidden},
		{"worker other node history", "GET", "/api/v1/nodes/" + o.ID + "/poot/history", worker, "", http.StatusForbidden},
		{"worker batch", "POST", "/api/v1/nodes/poot/batch-validate", worker, batch, http.StatusForbidden},
		{"read-only validate", "POST", "/api/v1/nodes/" + n.ID + "/poot/validate", readOnly, "{}", http.StatusForbidden},
		{"read-only challenge", "POST", "/api/v1/nodes/" + n.ID + "/poot/challenge", readOnly, "", http.StatusForbidden},
		{"read-only batch", "POST", "/api/v1/nodes/poot/batch-validate", readOnly, batch, http.StatusForbidden},
		{"read-only score", "GET", "/api/v1/nodes/" + n.ID + "/poot/score", readOnly, "", http.StatusOK},
		{"worker own score", "GET", "/api/v1/nodes/" + n.ID + "/poot/score", worker, "", http.StatusOK},
		{"worker own history", "GET", "/api/v1/nodes/" + n.ID + "/poot/history", worker, "", http.StatusOK},
		{"validator batch", "POST", "/api/v1/nodes/poot/batch-validate", validator, batch, http.StatusOK},
		{"validator challenge", "POST", "/api/v1/nodes/" + o.ID + "/poot/challenge", validator, "", http.StatusOK},
		{"unknown node score", "GET", "/api/v1/nodes/node_nobody_here/poot/score", e.admin, "", http.StatusNotFound},
		{"unknown node challenge", "POST", "/api/v1/nodes/node_nobody_here/poot/challenge", e.admin, "", http.StatusNotFound},
		{"unknown node history", "GET", "/api/v1/nodes/node_nobody_here/poot/history", e.admin, "", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.with(t).do(tc.method, tc.path, tc.token, tc.body)
			require.Equal(t, tc.want, r.Code, "%s", r.Body)
			if tc.want >= 400 {
				r.errCode(t)
			}
		})
	}
}

func TestPootRateLimitTier(t *testing.T) {
	t.Parallel()
	e := newPootEnv(t, func(c *Config, _ *Deps) {
		c.RateLimits = RateLimits{Unauthenticated: 100, Node: 1000, Admin: 10000, PoOT: 3, Payout: 50}
	})
	n := e.keyedNode("ratelimited", true)
	for i := range 4 {
		r := e.do("GET", "/api/v1/nodes/"+n.ID+"/poot/score", e.admin, "")
		if i < 3 {
			require.Equal(t, http.StatusOK, r.Code)
			continue
		}
		assert.Equal(t, CodeRateLimited, r.errCode(t))
	}
	r := e.do("GET", "/api/v1/nodes/"+n.ID, e.admin, "")
	assert.Equal(t, http.StatusOK, r.Code, "other routes keep the caller's own budget")
}

func TestPootBatchValidate(t *testing.T) {
	t.Parallel()
	e := newPootEnv(t)
	a := e.keyedNode("batch-a", true)
	b := e.keyedNode("batch-b", true)
	validator := e.token(auth.RoleValidator, "")
	var proofs []poot.Proof
	for i := range 6 {
		n := a
		if i%2 == 1 {
			n = b
		}
		proofs = append(proofs, n.Answer(e.challenge(n.ID, validator).Nonce, []byte(fmt.Sprintf("batch output %d", i))))
	}
	forged := proofs[0]
	forged.Signature = proofs[1].Signature
	proofs = append(proofs, forged, proofs[2]) // a forgery and a replay within the batch
	body, _ := json.Marshal(map[string]any{"validations": proofs})
	var res PootBatchResponse
	e.must(http.StatusOK, "POST", "/api/v1/nodes/poot/batch-validate", validator, string(body), &res)
	require.Len(t, res.Results, 8)
	assert.Equal(t, poot.BatchSummary{Total: 8, Valid: 6, Invalid: 2}, res.Summary)
	assert.Regexp(t, `^batch_[0-9a-f]{24}$`, res.BatchID)
	for i, v := range res.Results[:6] {
		if i == 2 {
			continue // races its duplicate at index 7 for the nonce; checked below
		}
		assert.True(t, v.IsValid, "proof %d: %v", i, v.Errors)
	}
	assert.Contains(t, reasonCodes(res.Results[6]), poot.ReasonSignatureInvalid)
	// The duplicate either lost the race for the nonce or was judged second; exactly one of the
	// two was accepted, and the other was refused as a replay.
	require.NotEqual(t, res.Results[2].IsValid, res.Results[7].IsValid)
	refused := res.Results[7]
	if !res.Results[2].IsValid {
		refused = res.Results[2]
	}
	assert.Contains(t, reasonCodes(refused), poot.ReasonNonceReplayed)
	assert.True(t, res.Results[2].HasReason(poot.ReasonNonceReplayed) || res.Results[7].HasReason(poot.ReasonNonceReplayed))

	var sc poot.Score
	e.must(http.StatusOK, "GET", "/api/v1/nodes/"+a.ID+"/poot/score", validator, "", &sc)
	var node nodemgmt.Node
	e.must(http.StatusOK, "GET", "/api/v1/nodes/"+a.ID, validator, "", &node)
	assert.Equal(t, sc.Score, node.PootScore, "poot_score is the score of the node's latest evidence validation")
	assert.Positive(t, node.PootScore)

	var audit AuditList
	e.must(http.StatusOK, "GET", "/api/v1/audit?category=poot&target="+res.BatchID, e.admin, "", &audit)
	require.Len(t, audit.Entries, 1)
	assert.Equal(t, "batch_validate", audit.Entries[0].Action)
	assert.Equal(t, float64(8), audit.Entries[0].Details["total"])
	e.must(http.StatusOK, "GET", "/api/v1/audit?category=poot&limit=1000", e.admin, "", &audit)
	assert.Len(t, audit.Entries, 9, "one entry per proof and one for the batch")

	// More than 1000 proofs is refused before anything is judged.
	many := make([]poot.Proof, 1001)
	for i := range many {
		many[i] = poot.Proof{NodeID: a.ID, Nonce: "n"}
	}
	body, _ = json.Marshal(map[string]any{"validations": many})
	r := e.do("POST", "/api/v1/nodes/poot/batch-validate", validator, string(body))
	assert.Equal(t, CodeValidation, r.errCode(t))
	r = e.do("POST", "/api/v1/nodes/poot/batch-validate", validator, `{"validations":[{"nonce":1}]}`)
	assert.Equal(t, CodeMalformedBody, r.errCode(t))
}

func TestPootHistory(t *testing.T) {
	t.Parallel()
	e := newPootEnv(t)
	n := e.keyedNode("history", false)
	var ids []string
	for i := range 7 {
		v := e.validate(n.ID, e.admin, proofJSON(n.Answer(fmt.Sprintf("client-nonce-hist-%d", i), []byte("out"))))
		ids = append([]string{v.ValidationID}, ids...)
		e.clock.Advance(time.Minute)
	}
	var got []string
	cursor := ""
	for range 10 {
		var h PootHistory
		e.must(http.StatusOK, "GET", "/api/v1/nodes/"+n.ID+"/poot/history?limit=3&cursor="+cursor, e.admin, "", &h)
		assert.Equal(t, 3, h.Pagination.Limit)
		for _, v := range h.Validations {
			got = append(got, v.ValidationID)
		}
		if cursor = h.Pagination.NextCursor; cursor == "" {
			break
		}
	}
	assert.Equal(t, ids, got, "newest first, each once")

	since := poottest.Epoch.Add(2 * time.Minute).Format(time.RFC3339)
	until := poottest.Epoch.Add(4 * time.Minute).Format(time.RFC3339)
	var h PootHistory
	e.must(http.StatusOK, "GET", "/api/v1/nodes/"+n.ID+"/poot/history?since="+since+"&until="+until, e.admin, "", &h)
	require.Len(t, h.Validations, 2)
	assert.Equal(t, ids[3], h.Validations[0].ValidationID)
	assert.Equal(t, ids[4], h.Validations[1].ValidationID)

	for _, q := range []string{"limit=0", "limit=1001", "cursor=garbage!", "since=yesterday", "bogus=1",
		"since=" + until + "&until=" + since, "output_hash=ABC"} {
		r := e.do("GET", "/api/v1/nodes/"+n.ID+"/poot/history?"+q, e.admin, "")
		assert.Equal(t, CodeValidation, r.errCode(t), q)
	}
}

// TestPootScoreWriteFailureIsLogged: when the node's poot_score cannot be written the
// validation still answers, and the failure is logged and counted.
func TestPootScoreWriteFailureIsLogged(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	e := newPootEnv(t, func(_ *Config, d *Deps) { d.Logger = slog.New(slog.NewJSONHandler(&syncWriter{w: &logs}, nil)) })
	n := e.keyedNode("scorefail", false)
	v := e.validate(n.ID, e.admin, proofJSON(n.Answer("client-nonce-scorefail-1", []byte("x"))))
	require.True(t, v.Evidence)
	// A node deleted between its validation and the score write: the registry refuses the write.
	e.srv.poot.scores.apply(context.Background(), poot.Validation{NodeID: "node_deleted_meanwhile", Evidence: true, Score: 50, State: poot.State{Seq: 1}})
	assert.Contains(t, logs.String(), "poot_score write failed")
	m := e.do("GET", "/metrics", "", "")
	assert.Contains(t, string(m.Body), `lucid_node_management_poot_score_writes_total{result="error"} 1`)
}

// syncWriter serialises writes of concurrent handlers to one buffer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

// TestPootLazyPurge: a validation more than ten minutes after the last purge drops expired
// nonces, so a client nonce is refused within its 24-hour window and accepted again after it.
func TestPootLazyPurge(t *testing.T) {
	t.Parallel()
	e := newPootEnv(t)
	n := e.keyedNode("purge", false)
	proof := func(nonce string) string {
		return proofJSON(n.Answer(nonce, []byte("purge output")))
	}
	require.NotContains(t, reasonCodes(e.validate(n.ID, e.admin, proof("client-nonce-purge-1"))), poot.ReasonNonceReplayed)
	e.clock.Advance(23 * time.Hour)
	e.admin = e.token(auth.RoleAdmin, "") // tokens live an hour
	e.must(http.StatusOK, "POST", "/api/v1/nodes/"+n.ID+"/heartbeat", e.admin, "", nil)
	assert.Contains(t, reasonCodes(e.validate(n.ID, e.admin, proof("client-nonce-purge-1"))), poot.ReasonNonceReplayed,
		"within 24 hours the nonce stays used, purge or not")
	e.clock.Advance(2 * time.Hour)
	e.admin = e.token(auth.RoleAdmin, "")
	e.must(http.StatusOK, "POST", "/api/v1/nodes/"+n.ID+"/heartbeat", e.admin, "", nil)
	// This validation runs the purge (the last one was over ten minutes ago) after judging.
	e.validate(n.ID, e.admin, proof("client-nonce-purge-2"))
	assert.NotContains(t, reasonCodes(e.validate(n.ID, e.admin, proof("client-nonce-purge-1"))), poot.ReasonNonceReplayed,
		"after its 24 hours and a purge, the record is gone")
}
