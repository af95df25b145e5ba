package client_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/refserver"
	"github.com/hamigames/lucid-node-management/refserver/auth"
	"github.com/hamigames/lucid-node-management/refserver/client"
	"github.com/hamigames/lucid-node-management/storage"
)

// exampleServer starts a reference server over the memory store and returns its URL, an admin
// token and a stop function. Against a real deployment use its URL and a token minted with
// `refserver token -role admin`.
func exampleServer() (url, token string, stop func()) {
	st, err := storage.Open(context.Background(), "memory:", storage.Options{})
	if err != nil {
		panic(err)
	}
	cfg := refserver.DefaultConfig()
	cfg.JWTSecret = "example-secret-0123456789abcdef0123456789abcdef"
	srv, err := refserver.New(cfg, refserver.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		panic(err)
	}
	tok, err := srv.Authority().Issue(auth.RoleAdmin, "", time.Hour)
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv.Handler())
	return ts.URL, tok, func() { ts.Close(); _ = st.Close() }
}

func exampleNode(name string) nodemgmt.CreateNodeRequest {
	return nodemgmt.CreateNodeRequest{
		Name: name,
		HardwareInfo: nodemgmt.HardwareInfo{
			CPU:     nodemgmt.CPUInfo{Cores: 4, FrequencyMHz: 3000, Architecture: "arm64"},
			Memory:  nodemgmt.MemoryInfo{TotalBytes: 8 * nodemgmt.GiB, Type: "LPDDR5"},
			Storage: nodemgmt.StorageInfo{TotalBytes: 256_000_000_000, Type: "SSD", Interface: "NVMe"},
			Network: []nodemgmt.NetworkInfo{{Interface: "eth0", SpeedMbps: 1000}},
		},
	}
}

// Register a node, prove it is up with a heartbeat and start it.
func Example() {
	url, token, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	c, err := client.New(url, client.WithToken(token), client.WithRetry(client.DefaultRetryPolicy()))
	if err != nil {
		panic(err)
	}
	n, err := c.Nodes.Create(ctx, exampleNode("edge-01"))
	if err != nil {
		panic(err)
	}
	fmt.Println("created:", n.Name, n.Status)
	ack, err := c.Nodes.Heartbeat(ctx, n.NodeID)
	if err != nil {
		panic(err)
	}
	fmt.Println("health:", ack.Health)
	res, err := c.Nodes.Start(ctx, n.NodeID)
	if err != nil {
		panic(err)
	}
	fmt.Println("started:", res.Status)
	// Output:
	// created: edge-01 inactive
	// health: healthy
	// started: active
}

// Walk every node page by page; the iterator follows next_cursor.
func ExampleNodesService_All() {
	url, token, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, _ := client.New(url, client.WithToken(token))
	for i := range 5 {
		if _, err := c.Nodes.Create(ctx, exampleNode(fmt.Sprintf("batch-%d", i))); err != nil {
			panic(err)
		}
	}
	count := 0
	for _, err := range c.Nodes.All(ctx, client.NodeListOptions{ListOptions: client.ListOptions{Limit: 2}}) {
		if err != nil {
			panic(err)
		}
		count++
	}
	fmt.Println("nodes:", count)
	// Output: nodes: 5
}

// Errors carry the API's code; errors.Is matches the domain sentinels.
func ExampleAPIError() {
	url, token, stop := exampleServer()
	defer stop()
	c, _ := client.New(url, client.WithToken(token))

	_, err := c.Nodes.Get(context.Background(), "node_missing")
	fmt.Println(errors.Is(err, nodemgmt.ErrNodeNotFound), client.IsNotFound(err))
	if e, ok := client.AsAPIError(err); ok {
		fmt.Println(e.Status, e.Code, e.Message)
	}
	// Output:
	// true true
	// 404 LUCID_ERR_5001 node not found
}

// Pools group nodes; adding to a full pool is refused with LUCID_ERR_5004.
func ExamplePoolsService_AddNode() {
	url, token, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, _ := client.New(url, client.WithToken(token))

	p, _ := c.Pools.Create(ctx, nodemgmt.CreatePoolRequest{Name: "tiny", MaxNodes: 1})
	a, _ := c.Nodes.Create(ctx, exampleNode("tiny-a"))
	b, _ := c.Nodes.Create(ctx, exampleNode("tiny-b"))
	p, err := c.Pools.AddNode(ctx, p.PoolID, nodemgmt.AddPoolNodeRequest{NodeID: a.NodeID, Priority: new(50)})
	fmt.Println(p.NodeCount, err)
	_, err = c.Pools.AddNode(ctx, p.PoolID, nodemgmt.AddPoolNodeRequest{NodeID: b.NodeID})
	fmt.Println(client.CodeOf(err), errors.Is(err, nodemgmt.ErrResourceLimit))
	// Output:
	// 1 <nil>
	// LUCID_ERR_5004 true
}

// A node with an ed25519 key answers a server challenge with a signed proof; sending the same
// proof twice is refused with a machine-readable reason.
func ExamplePoOTService_Validate() {
	url, token, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, _ := client.New(url, client.WithToken(token))

	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)) // a real node keeps a random key
	req := exampleNode("prover-1")
	req.PublicKey = poot.EncodePublicKey(priv.Public().(ed25519.PublicKey))
	n, _ := c.Nodes.Create(ctx, req)
	_, _ = c.Nodes.Heartbeat(ctx, n.NodeID)
	_, _ = c.Nodes.Start(ctx, n.NodeID)

	ch, err := c.PoOT.Challenge(ctx, n.NodeID)
	if err != nil {
		panic(err)
	}
	output := []byte("frame 0001")
	ts := time.Now().UTC().Format(time.RFC3339)
	proof := poot.Proof{
		OutputData: base64.StdEncoding.EncodeToString(output),
		Timestamp:  ts,
		Nonce:      ch.Nonce,
		Signature:  poot.SignProof(priv, n.NodeID, ch.Nonce, ts, output),
	}
	v, err := c.PoOT.Validate(ctx, n.NodeID, proof)
	if err != nil {
		panic(err)
	}
	fmt.Println("signed:", v.Signed, "challenged:", v.Challenged, "checks passed:", v.ChecksPassed)

	again, _ := c.PoOT.Validate(ctx, n.NodeID, proof)
	fmt.Println("replay valid:", again.IsValid, "reason:", again.Errors[0].Code)
	// Output:
	// signed: true challenged: true checks passed: true
	// replay valid: false reason: nonce_replayed
}

// Operators submit payout batches; the batch id makes a resubmission harmless.
func ExamplePayoutsService_SubmitBatch() {
	url, token, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, _ := client.New(url, client.WithToken(token))
	n, _ := c.Nodes.Create(ctx, exampleNode("payee-1"))

	req := payout.BatchRequest{
		BatchID: "batch_2026_11_27",
		Payouts: []payout.PayoutRequest{{NodeID: n.NodeID, Amount: "12.5", Currency: payout.USDT,
			WalletAddress: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"}},
	}
	res, err := c.Payouts.SubmitBatch(ctx, req)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.BatchID, res.PayoutCount, res.Totals[payout.USDT], res.Idempotent)
	again, _ := c.Payouts.SubmitBatch(ctx, req)
	fmt.Println("resubmitted:", again.Idempotent)
	// Output:
	// batch_2026_11_27 1 12.5 false
	// resubmitted: true
}
