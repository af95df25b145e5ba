// Command pootproof shows a node proving output time with a signed PoOT proof: it registers a
// node with an ed25519 public key, asks the server for a challenge, signs the canonical message
// (node id, challenge nonce, timestamp, sha-256 of the output) and submits the proof. Sending
// the same proof again shows that a challenge is consumed once.
//
//	go run ./examples/pootproof -server http://localhost:8083 -token "$(refserver token -role admin)"
//
// A real node keeps its private key and runs with a worker token bound to its node id; this
// example uses one admin token for the registration and the proofs to stay self-contained.
package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/refserver/client"
)

func main() {
	server := flag.String("server", "http://localhost:8083", "base URL of the node management server")
	token := flag.String("token", os.Getenv("LUCID_TOKEN"), "admin access token (default $LUCID_TOKEN)")
	flag.Parse()
	if *token == "" {
		fmt.Fprintln(os.Stderr, "pootproof: -token is required (mint one with `refserver token -role admin`)")
		os.Exit(2)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pootproof:", err)
		os.Exit(1)
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Minute)
	defer cancelTimeout()
	if err := run(ctx, os.Stdout, *server, *token, hex.EncodeToString(b[:]), priv, time.Now); err != nil {
		fmt.Fprintln(os.Stderr, "pootproof:", err)
		os.Exit(1)
	}
}

// run registers a keyed node and submits one signed proof and its replay. now stamps the proof
// (the node's clock).
func run(ctx context.Context, out io.Writer, server, token, suffix string, priv ed25519.PrivateKey, now func() time.Time) error {
	c, err := client.New(server, client.WithToken(token), client.WithRetry(client.DefaultRetryPolicy()))
	if err != nil {
		return err
	}
	pub := priv.Public().(ed25519.PublicKey)
	node, err := c.Nodes.Create(ctx, nodemgmt.CreateNodeRequest{
		Name:     "prover-" + suffix,
		NodeType: nodemgmt.NodeTypeCompute,
		HardwareInfo: nodemgmt.HardwareInfo{
			CPU:     nodemgmt.CPUInfo{Cores: 16, FrequencyMHz: 3000, Architecture: "x86_64"},
			Memory:  nodemgmt.MemoryInfo{TotalBytes: 64 * nodemgmt.GiB, Type: "DDR5"},
			Storage: nodemgmt.StorageInfo{TotalBytes: 2_000_000_000_000, Type: "NVMe", Interface: "PCIe 4.0"},
			Network: []nodemgmt.NetworkInfo{{Interface: "eth0", SpeedMbps: 10_000}},
		},
		PublicKey: poot.EncodePublicKey(pub),
	})
	if err != nil {
		return fmt.Errorf("register node: %w", err)
	}
	fmt.Fprintf(out, "registered %s with public key %s\n", node.NodeID, node.PublicKey)

	// Only an active node may prove; the heartbeat lets the start complete at once.
	if _, err := c.Nodes.Heartbeat(ctx, node.NodeID); err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	if _, err := c.Nodes.Start(ctx, node.NodeID); err != nil {
		return fmt.Errorf("start: %w", err)
	}

	ch, err := c.PoOT.Challenge(ctx, node.NodeID)
	if err != nil {
		return fmt.Errorf("challenge: %w", err)
	}
	fmt.Fprintf(out, "challenge %s, expires %s\n", ch.Nonce, ch.ExpiresAt.Format(time.RFC3339))

	output := []byte("inference batch 42: 1024 tokens generated")
	ts := now().UTC().Format(time.RFC3339Nano)
	proof := poot.Proof{
		NodeID:     node.NodeID,
		OutputData: encode(output),
		Timestamp:  ts,
		Nonce:      ch.Nonce,
		Signature:  poot.SignProof(priv, node.NodeID, ch.Nonce, ts, output),
	}
	fmt.Fprintf(out, "signed %q\n", poot.CanonicalMessage(node.NodeID, ch.Nonce, ts, poot.OutputHash(output)))

	v, err := c.PoOT.Validate(ctx, node.NodeID, proof)
	if err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	fmt.Fprintf(out, "proof judged: valid=%t signed=%t challenged=%t score=%.2f confidence=%.2f output_hash=%s\n",
		v.IsValid, v.Signed, v.Challenged, v.Score, v.Confidence, v.OutputHash)
	printReasons(out, v)

	replay, err := c.PoOT.Validate(ctx, node.NodeID, proof)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	fmt.Fprintf(out, "replayed proof: valid=%t\n", replay.IsValid)
	printReasons(out, replay)

	sc, err := c.PoOT.Score(ctx, node.NodeID)
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	fmt.Fprintf(out, "current score %.2f (%s, confidence %.2f)\n", sc.Score, sc.ValidationStatus, sc.Confidence)
	return nil
}

func printReasons(out io.Writer, v *poot.Validation) {
	for _, r := range v.Errors {
		fmt.Fprintf(out, "  reason %s: %s\n", r.Code, r.Message)
	}
}
