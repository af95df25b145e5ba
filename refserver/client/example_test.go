package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
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
