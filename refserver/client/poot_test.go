package client

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/poot/poottest"
	"github.com/hamigames/lucid-node-management/refserver/auth"
)

var _ poottest.ChallengeIssuer = (*PoOTService)(nil)

// keyedNode registers an active node with the ed25519 key derived from name.
func keyedNode(t *testing.T, e *testEnv, c *Client, name string) (*nodemgmt.Node, *poottest.Node) {
	t.Helper()
	ctx := context.Background()
	pn := poottest.NewNamedNode(t, name)
	req := nodeReq(name)
	req.PublicKey = pn.PublicKey()
	n, err := c.Nodes.Create(ctx, req)
	require.NoError(t, err)
	_, err = c.Nodes.Heartbeat(ctx, n.NodeID)
	require.NoError(t, err)
	res, err := c.Nodes.Start(ctx, n.NodeID)
	require.NoError(t, err)
	require.Equal(t, nodemgmt.StatusActive, res.Status)
	pn.ID = n.NodeID // the server chose the id
	pn.Clock = poot.ClockFunc(e.clock.Now)
	return n, pn
}

func TestPoOT(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	admin := e.client(t)
	ctx := context.Background()
	n, pn := keyedNode(t, e, admin, "poot-node-1")
	worker := e.client(t, WithToken(e.token(t, auth.RoleWorker, n.NodeID)))

	output := []byte("rendered frame 0001")
	ch, err := worker.PoOT.Challenge(ctx, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, n.NodeID, ch.NodeID)
	assert.NotEmpty(t, ch.Nonce)
	assert.True(t, ch.ExpiresAt.After(ch.IssuedAt))

	proof := pn.Answer(ch.Nonce, output)
	v, err := worker.PoOT.Validate(ctx, n.NodeID, proof)
	require.NoError(t, err)
	assert.Equal(t, n.NodeID, v.NodeID)
	assert.True(t, v.Signed)
	assert.True(t, v.Challenged)
	assert.True(t, v.Evidence)
	assert.True(t, v.ChecksPassed, "%+v", v.Errors)
	assert.Equal(t, poot.OutputHash(output), v.OutputHash)
	assert.Len(t, v.ValidationID, 36)
	if !v.IsValid {
		assert.True(t, v.HasReason(poot.ReasonScoreBelowThreshold), "%+v", v.Errors)
		assert.ErrorIs(t, v.Err(), &poot.Error{Code: poot.CodeValidationFailed})
	}

	// The same proof again: judged (200) and rejected for the consumed challenge.
	again, err := worker.PoOT.Validate(ctx, n.NodeID, proof)
	require.NoError(t, err)
	assert.False(t, again.IsValid)
	assert.NotEmpty(t, again.Errors)

	// A forged signature is rejected with its reason.
	ch2, err := worker.PoOT.Challenge(ctx, n.NodeID)
	require.NoError(t, err)
	forged := pn.Answer(ch2.Nonce, output)
	forged.OutputData = base64.StdEncoding.EncodeToString([]byte("other output"))
	bad, err := worker.PoOT.Validate(ctx, n.NodeID, forged)
	require.NoError(t, err)
	assert.False(t, bad.IsValid)
	assert.True(t, bad.HasReason(poot.ReasonSignatureInvalid), "%+v", bad.Errors)

	// The poottest node asks the client for its challenges.
	pn.Issuer = worker.PoOT
	v3, err := worker.PoOT.Validate(ctx, n.NodeID, pn.Prove([]byte("frame 0002")))
	require.NoError(t, err)
	assert.True(t, v3.Challenged)

	sc, err := worker.PoOT.Score(ctx, n.NodeID)
	require.NoError(t, err)
	assert.Equal(t, n.NodeID, sc.NodeID)
	assert.Contains(t, []string{poot.StatusValid, poot.StatusInvalid}, sc.ValidationStatus)

	h, err := worker.PoOT.History(ctx, n.NodeID, HistoryOptions{Limit: 100})
	require.NoError(t, err)
	require.Len(t, h.Validations, 4)
	assert.Equal(t, v3.ValidationID, h.Validations[0].ValidationID, "newest first")
	assert.Equal(t, 100, h.Pagination.Limit)

	ids := map[string]bool{}
	for hv, err := range worker.PoOT.AllHistory(ctx, n.NodeID, HistoryOptions{Limit: 1}) {
		require.NoError(t, err)
		ids[hv.ValidationID] = true
	}
	assert.Len(t, ids, 4)
	byHash, err := worker.PoOT.History(ctx, n.NodeID, HistoryOptions{OutputHash: poot.OutputHash([]byte("frame 0002")),
		Since: e.clock.Now().Add(-time.Hour), Until: e.clock.Now().Add(time.Hour)})
	require.NoError(t, err)
	require.Len(t, byHash.Validations, 1)

	t.Run("request errors", func(t *testing.T) {
		other := proof
		other.NodeID = "node_someone_else"
		_, err := worker.PoOT.Validate(ctx, n.NodeID, other)
		assert.True(t, IsValidation(err) || IsForbidden(err), "%v", err)
		_, err = worker.PoOT.Challenge(ctx, "node_someone_else")
		assert.True(t, IsForbidden(err), "%v", err)
		_, err = worker.PoOT.BatchValidate(ctx, []poot.Proof{proof})
		assert.True(t, IsForbidden(err), "batches are for validators: %v", err)
		_, err = admin.PoOT.History(ctx, n.NodeID, HistoryOptions{Cursor: "garbage"})
		assert.True(t, IsValidation(err), "%v", err)
		_, err = admin.PoOT.Score(ctx, "node_missing_here")
		assert.True(t, IsNotFound(err), "%v", err)
		_, err = admin.PoOT.History(ctx, "node_missing_here", HistoryOptions{})
		assert.ErrorIs(t, err, nodemgmt.ErrNodeNotFound)
	})
}

func TestPoOTBatch(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	admin := e.client(t)
	ctx := context.Background()
	validator := e.client(t, WithToken(e.token(t, auth.RoleValidator, "")))
	_, a := keyedNode(t, e, admin, "batch-a")
	_, b := keyedNode(t, e, admin, "batch-b")
	a.Issuer, b.Issuer = validator.PoOT, validator.PoOT

	res, err := validator.PoOT.BatchValidate(ctx, []poot.Proof{
		a.Prove([]byte("a-output")),
		b.Prove([]byte("b-output")),
		a.Answer("never-issued-nonce", []byte("a-output-2")),
	})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(res.BatchID, "batch_"), res.BatchID)
	require.Len(t, res.Results, 3)
	assert.Equal(t, 3, res.Summary.Total)
	assert.Equal(t, res.Summary.Total, res.Summary.Valid+res.Summary.Invalid+res.Summary.Errors)
	assert.Equal(t, a.ID, res.Results[0].NodeID)
	assert.Equal(t, b.ID, res.Results[1].NodeID)
	assert.False(t, res.Results[2].IsValid)
	assert.True(t, res.Results[2].HasReason(poot.ReasonChallengeUnknown), "%+v", res.Results[2].Errors)

	empty, err := validator.PoOT.BatchValidate(ctx, nil)
	if err == nil {
		assert.Equal(t, 0, empty.Summary.Total)
	} else {
		assert.True(t, IsValidation(err), "%v", err)
	}
}
