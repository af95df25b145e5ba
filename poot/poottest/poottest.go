// Package poottest helps tests that embed PoOT: deterministic ed25519 key pairs, a node that
// builds and signs proofs exactly like a real node, a map-backed node directory and a fake
// clock. Another Lucid service can write
//
//	node := poottest.NewNode(t)
//	proof := node.Answer(challenge.Nonce, output)
//
// and feed the proof to a poot.Validator or to the HTTP API.
package poottest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hamigames/lucid-node-management/poot"
)

// Epoch is the fixed start time of NewClock(time.Time{}) and of the golden vectors.
var Epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// KeyPair derives a deterministic ed25519 key pair from a name: the seed is
// sha-256("lucid-poottest-key:" + name). Never use such keys outside tests.
func KeyPair(name string) (ed25519.PublicKey, ed25519.PrivateKey) {
	seed := sha256.Sum256([]byte("lucid-poottest-key:" + name))
	priv := ed25519.NewKeyFromSeed(seed[:])
	return priv.Public().(ed25519.PublicKey), priv
}

// NodeIDFor returns a valid, deterministic node id for a name (for example a test name).
func NodeIDFor(name string) string {
	sum := sha256.Sum256([]byte(name))
	clean := make([]byte, 0, len(name))
	for i := 0; i < len(name) && len(clean) < 40; i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			clean = append(clean, c)
		} else {
			clean = append(clean, '_')
		}
	}
	return "node_" + string(clean) + "_" + hex.EncodeToString(sum[:4])
}

// ChallengeIssuer issues challenges; *poot.Validator implements it, and so can an API client.
type ChallengeIssuer interface {
	IssueChallenge(ctx context.Context, nodeID string) (poot.Challenge, error)
}

// Node is a test node with a deterministic key pair. It signs proofs exactly like a real node:
// over poot.CanonicalMessage with the timestamp string it sends.
type Node struct {
	// ID is the node id.
	ID string
	// Public and Private are the node's key pair.
	Public  ed25519.PublicKey
	Private ed25519.PrivateKey
	// Clock gives the node's timestamps (default: the system clock).
	Clock poot.Clock
	// Issuer, when set, makes Prove ask for a challenge and answer it.
	Issuer ChallengeIssuer

	tb testing.TB
}

// NewNode returns a node named after the running test, with a key pair derived from that name.
func NewNode(tb testing.TB) *Node {
	tb.Helper()
	return NewNamedNode(tb, tb.Name())
}

// NewNamedNode returns the node for a name: the same name always gives the same id and keys.
// tb may be nil outside tests (failures then panic).
func NewNamedNode(tb testing.TB, name string) *Node {
	pub, priv := KeyPair(name)
	return &Node{ID: NodeIDFor(name), Public: pub, Private: priv, Clock: poot.ClockFunc(time.Now), tb: tb}
}

// PublicKey returns the node's public key in its registration form (standard base64).
func (n *Node) PublicKey() string { return poot.EncodePublicKey(n.Public) }

// Info returns directory facts for this node: active, keyed, created an hour before its clock's
// now, full uptime.
func (n *Node) Info() poot.NodeInfo {
	return poot.NodeInfo{NodeID: n.ID, Active: true, PublicKey: n.PublicKey(), CreatedAt: n.Clock.Now().Add(-time.Hour), Uptime: 1}
}

// Prove builds a signed proof of output stamped with the node's clock. With an Issuer it first
// obtains a challenge and answers it; without one it uses a fresh random nonce (accepted only
// for nodes registered without a public key, or rejected as challenge_unknown otherwise).
func (n *Node) Prove(output []byte) poot.Proof {
	if n.Issuer != nil {
		c, err := n.Issuer.IssueChallenge(context.Background(), n.ID)
		if err != nil {
			if n.tb == nil {
				panic(fmt.Sprintf("poottest: issuing a challenge for %s: %v", n.ID, err))
			}
			n.tb.Fatalf("poottest: issuing a challenge for %s: %v", n.ID, err)
		}
		return n.Answer(c.Nonce, output)
	}
	var b [18]byte
	_, _ = rand.Read(b[:])
	return n.Answer(base64.RawURLEncoding.EncodeToString(b[:]), output)
}

// Answer builds a signed proof of output for the given nonce, stamped with the node's clock.
func (n *Node) Answer(nonce string, output []byte) poot.Proof {
	return n.ProveAt(nonce, n.Clock.Now().UTC().Format(time.RFC3339Nano), output)
}

// ProveAt builds a signed proof with an explicit nonce and timestamp string (sent as is).
func (n *Node) ProveAt(nonce, timestamp string, output []byte) poot.Proof {
	return poot.Proof{
		NodeID:     n.ID,
		OutputData: base64.StdEncoding.EncodeToString(output),
		Timestamp:  timestamp,
		Nonce:      nonce,
		Signature:  poot.SignProof(n.Private, n.ID, nonce, timestamp, output),
	}
}

// Clock is a fake clock safe for concurrent use; it only moves when told.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a fake clock at start (Epoch when start is zero).
func NewClock(start time.Time) *Clock {
	if start.IsZero() {
		start = Epoch
	}
	return &Clock{now: start}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// Directory is a map-backed poot.NodeDirectory for tests, safe for concurrent use.
type Directory struct {
	mu    sync.RWMutex
	nodes map[string]poot.NodeInfo
}

// NewDirectory returns a directory holding the given nodes.
func NewDirectory(nodes ...poot.NodeInfo) *Directory {
	d := &Directory{nodes: map[string]poot.NodeInfo{}}
	for _, n := range nodes {
		d.Put(n)
	}
	return d
}

// Put adds or replaces a node.
func (d *Directory) Put(n poot.NodeInfo) {
	d.mu.Lock()
	d.nodes[n.NodeID] = n
	d.mu.Unlock()
}

// LookupNode implements poot.NodeDirectory.
func (d *Directory) LookupNode(_ context.Context, nodeID string) (poot.NodeInfo, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	n, ok := d.nodes[nodeID]
	if !ok {
		return poot.NodeInfo{}, fmt.Errorf("%w: %s", poot.ErrNodeNotFound, nodeID)
	}
	return n, nil
}
