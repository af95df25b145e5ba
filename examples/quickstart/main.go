// Command quickstart walks through the node lifecycle with the typed client: it creates a pool
// and a node, puts the node in the pool, heartbeats, starts it and lists the pool's nodes.
//
//	refserver token -role admin > token.txt
//	go run ./examples/quickstart -server http://localhost:8083 -token "$(cat token.txt)"
//
// The token can also come from LUCID_TOKEN. Names get a random suffix so the example can run
// repeatedly against the same server.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/refserver/client"
)

func main() {
	server := flag.String("server", "http://localhost:8083", "base URL of the node management server")
	token := flag.String("token", os.Getenv("LUCID_TOKEN"), "admin access token (default $LUCID_TOKEN)")
	flag.Parse()
	if *token == "" {
		fmt.Fprintln(os.Stderr, "quickstart: -token is required (mint one with `refserver token -role admin`)")
		os.Exit(2)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Minute)
	defer cancelTimeout()
	if err := run(ctx, os.Stdout, *server, *token, randomSuffix()); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func randomSuffix() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// run is the whole walkthrough; suffix makes the pool and node names unique.
func run(ctx context.Context, out io.Writer, server, token, suffix string) error {
	c, err := client.New(server, client.WithToken(token), client.WithRetry(client.DefaultRetryPolicy()))
	if err != nil {
		return err
	}
	rep, err := c.Ready(ctx)
	if err != nil {
		return fmt.Errorf("server not reachable: %w", err)
	}
	fmt.Fprintf(out, "server ready: %s\n", rep.Status)

	pool, err := c.Pools.Create(ctx, nodemgmt.CreatePoolRequest{
		Name:        "quickstart-" + suffix,
		Description: "created by examples/quickstart",
		MaxNodes:    10,
		Pricing:     &nodemgmt.Pricing{CostPerHour: "0.05", Currency: "USDT"},
	})
	if err != nil {
		return fmt.Errorf("create pool: %w", err)
	}
	fmt.Fprintf(out, "created pool %s (%s), max %d nodes\n", pool.PoolID, pool.Name, pool.MaxNodes)

	node, err := c.Nodes.Create(ctx, nodemgmt.CreateNodeRequest{
		Name:     "worker-" + suffix,
		NodeType: nodemgmt.NodeTypeWorker,
		HardwareInfo: nodemgmt.HardwareInfo{
			CPU:     nodemgmt.CPUInfo{Cores: 8, FrequencyMHz: 3400, Architecture: "x86_64"},
			Memory:  nodemgmt.MemoryInfo{TotalBytes: 32 * nodemgmt.GiB, Type: "DDR5"},
			Storage: nodemgmt.StorageInfo{TotalBytes: 1_000_000_000_000, Type: "NVMe", Interface: "PCIe 4.0"},
			Network: []nodemgmt.NetworkInfo{{Interface: "eth0", SpeedMbps: 10_000}},
		},
		Location: &nodemgmt.Location{Country: "DE", Region: "HE", City: "Frankfurt", Timezone: "Europe/Berlin"},
	})
	if err != nil {
		return fmt.Errorf("create node: %w", err)
	}
	fmt.Fprintf(out, "created node %s (%s), status %s, health %s\n", node.NodeID, node.Name, node.Status, node.Health)

	priority := 50 // 1–100; scheduling preference of the node within its pool
	pool, err = c.Pools.AddNode(ctx, pool.PoolID, nodemgmt.AddPoolNodeRequest{NodeID: node.NodeID, Priority: &priority})
	if err != nil {
		return fmt.Errorf("add node to pool: %w", err)
	}
	fmt.Fprintf(out, "added node to pool, pool now has %d node(s)\n", pool.NodeCount)

	// The heartbeat proves the node is up, so the start completes at once instead of waiting in
	// "starting" for the next heartbeat.
	ack, err := c.Nodes.Heartbeat(ctx, node.NodeID)
	if err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	fmt.Fprintf(out, "heartbeat: health %s, next one due within %ds\n", ack.Health, ack.IntervalSeconds)

	res, err := c.Nodes.Start(ctx, node.NodeID)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	fmt.Fprintf(out, "started node: status %s\n", res.Status)

	_, err = c.Nodes.Start(ctx, node.NodeID)
	switch {
	case err == nil:
		fmt.Fprintln(out, "starting again is harmless: the node is already active")
	case errors.Is(err, nodemgmt.ErrInvalidStatus):
		fmt.Fprintln(out, "second start refused:", client.CodeOf(err))
	default:
		return fmt.Errorf("second start: %w", err)
	}

	fmt.Fprintf(out, "nodes in pool %s:\n", pool.PoolID)
	for n, err := range c.Nodes.All(ctx, client.NodeListOptions{PoolID: pool.PoolID}) {
		if err != nil {
			return fmt.Errorf("list nodes: %w", err)
		}
		fmt.Fprintf(out, "  %s  %-20s %-8s %s\n", n.NodeID, n.Name, n.Status, n.Health)
	}
	return nil
}
