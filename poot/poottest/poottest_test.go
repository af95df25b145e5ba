package poottest_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/poot/poottest"
)

var update = flag.Bool("update", false, "rewrite testdata/nodes.json")

// nodeVector pins the deterministic identity and one signed proof of a named test node.
type nodeVector struct {
	Name      string     `json:"name"`
	NodeID    string     `json:"node_id"`
	PublicKey string     `json:"public_key"`
	Proof     poot.Proof `json:"proof"`
}

func TestGoldenNodes(t *testing.T) {
	t.Parallel()
	var got []nodeVector
	for _, name := range []string{"alice", "bob", "TestSomething/sub case #1"} {
		n := poottest.NewNamedNode(t, name)
		got = append(got, nodeVector{Name: name, NodeID: n.ID, PublicKey: n.PublicKey(),
			Proof: n.ProveAt("golden-nonce-0001", "2026-01-02T03:04:05Z", []byte("golden output"))})
	}
	path := filepath.Join("testdata", "nodes.json")
	if *update {
		b, err := json.MarshalIndent(got, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var want []nodeVector
	require.NoError(t, json.Unmarshal(b, &want))
	assert.Equal(t, want, got)
	for _, v := range want {
		pub, err := poot.ParsePublicKey(v.PublicKey)
		require.NoError(t, err)
		assert.True(t, poot.VerifyProofSignature(pub, v.Proof), v.Name)
	}
}

func TestNodeIdentity(t *testing.T) {
	t.Parallel()
	a, b := poottest.NewNode(t), poottest.NewNode(t)
	assert.Equal(t, a.ID, b.ID)
	assert.Equal(t, a.PublicKey(), b.PublicKey())
	c := poottest.NewNamedNode(t, "other")
	assert.NotEqual(t, a.ID, c.ID)
	assert.NotEqual(t, a.PublicKey(), c.PublicKey())
	long := poottest.NodeIDFor("a very long name with spaces / slashes and more than forty characters in it")
	assert.Regexp(t, `^node_[a-zA-Z0-9_-]+$`, long)
	assert.LessOrEqual(t, len(long), 64)
}

type issuer struct{ clock poot.Clock }

func (i issuer) IssueChallenge(_ context.Context, nodeID string) (poot.Challenge, error) {
	return poot.Challenge{NodeID: nodeID, Nonce: "issued-nonce-42", IssuedAt: i.clock.Now(), ExpiresAt: i.clock.Now().Add(time.Minute)}, nil
}

func TestProve(t *testing.T) {
	t.Parallel()
	clock := poottest.NewClock(time.Time{})
	n := poottest.NewNode(t)
	n.Clock = clock
	p := n.Prove([]byte("out"))
	assert.Equal(t, poottest.Epoch.Format(time.RFC3339Nano), p.Timestamp)
	assert.NotEqual(t, p.Nonce, n.Prove([]byte("out")).Nonce, "fresh nonces")
	assert.True(t, poot.VerifyProofSignature(n.Public, p))

	n.Issuer = issuer{clock}
	q := n.Prove([]byte("out"))
	assert.Equal(t, "issued-nonce-42", q.Nonce)
	assert.True(t, poot.VerifyProofSignature(n.Public, q))
}

func TestClockAndDirectory(t *testing.T) {
	t.Parallel()
	c := poottest.NewClock(time.Time{})
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { c.Advance(time.Second) })
	}
	wg.Wait()
	assert.Equal(t, poottest.Epoch.Add(10*time.Second), c.Now())
	c.Set(poottest.Epoch)
	assert.Equal(t, poottest.Epoch, c.Now())

	n := poottest.NewNode(t)
	n.Clock = c
	d := poottest.NewDirectory(n.Info())
	info, err := d.LookupNode(context.Background(), n.ID)
	require.NoError(t, err)
	assert.True(t, info.Active)
	assert.Equal(t, n.PublicKey(), info.PublicKey)
	_, err = d.LookupNode(context.Background(), "node_missing")
	assert.ErrorIs(t, err, poot.ErrNodeNotFound)
}
