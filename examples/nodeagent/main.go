// Command nodeagent is the worker side of Lucid Node Management: it runs on a node's machine,
// registers the machine as a node (or reuses one), heartbeats at the interval the server asks
// for, and reports the host's resource samples (nodemgmt/hostmetrics) until it is stopped with
// SIGINT or SIGTERM.
//
//	# register this machine with an admin token, start it, report every 30 s:
//	go run ./examples/nodeagent -server http://localhost:8083 -token "$(refserver token -role admin)" -start
//
//	# reuse an existing node with the node's own worker token:
//	go run ./examples/nodeagent -node node_abc123 -token "$(refserver token -role worker -node node_abc123)"
//
// Settings (flag, environment): -server LUCID_SERVER (default http://localhost:8083), -token
// LUCID_TOKEN, -node LUCID_NODE_ID (reuse this node; empty registers one, which needs an admin
// token), -name LUCID_NODE_NAME (name of a registered node; default agent-<hostname>; an
// existing node of that name is reused), -start (start the node after registering and stop it
// on exit; admin token), -report-interval LUCID_REPORT_INTERVAL (default 30s), -disk-path
// (file system to report, default /).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/nodemgmt/hostmetrics"
	"github.com/hamigames/lucid-node-management/refserver/client"
)

func main() {
	opts, err := parseOptions(os.Args[1:], os.Getenv)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "nodeagent:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, opts, log)
	stop()
	if err != nil {
		log.Error("nodeagent stopped", "err", err)
		os.Exit(1)
	}
}

// options are the agent's settings.
type options struct {
	Server         string
	Token          string
	NodeID         string
	Name           string
	Start          bool
	ReportInterval time.Duration
	DiskPath       string
}

// parseOptions reads the flags in args over the environment (getenv).
func parseOptions(args []string, getenv func(string) string) (options, error) {
	o := options{Server: "http://localhost:8083", ReportInterval: 30 * time.Second, DiskPath: "/"}
	if v := getenv("LUCID_SERVER"); v != "" {
		o.Server = v
	}
	o.Token = getenv("LUCID_TOKEN")
	o.NodeID = getenv("LUCID_NODE_ID")
	o.Name = getenv("LUCID_NODE_NAME")
	if v := getenv("LUCID_REPORT_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return o, fmt.Errorf("LUCID_REPORT_INTERVAL: %w", err)
		}
		o.ReportInterval = d
	}
	fs := flag.NewFlagSet("nodeagent", flag.ContinueOnError)
	fs.StringVar(&o.Server, "server", o.Server, "base URL of the node management server ($LUCID_SERVER)")
	fs.StringVar(&o.Token, "token", o.Token, "access token: admin to register, or the node's worker token ($LUCID_TOKEN)")
	fs.StringVar(&o.NodeID, "node", o.NodeID, "reuse this node id instead of registering ($LUCID_NODE_ID)")
	fs.StringVar(&o.Name, "name", o.Name, "name of the registered node, default agent-<hostname> ($LUCID_NODE_NAME)")
	fs.BoolVar(&o.Start, "start", false, "start the node after registering and stop it on exit (admin token)")
	fs.DurationVar(&o.ReportInterval, "report-interval", o.ReportInterval, "how often a resource sample is reported ($LUCID_REPORT_INTERVAL)")
	fs.StringVar(&o.DiskPath, "disk-path", o.DiskPath, "file system whose usage is reported")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if o.Token == "" {
		return o, errors.New("a token is required (-token or LUCID_TOKEN)")
	}
	if o.ReportInterval < time.Second {
		return o, fmt.Errorf("-report-interval must be at least 1s, got %s", o.ReportInterval)
	}
	if o.NodeID != "" && !nodemgmt.ValidNodeID(o.NodeID) {
		return o, fmt.Errorf("-node %q is not a node id", o.NodeID)
	}
	if o.Name == "" {
		host, _ := os.Hostname()
		o.Name = defaultName(host)
	}
	return o, nil
}

var nameUnsafe = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// defaultName is agent-<hostname> reduced to the characters and length node names allow.
func defaultName(host string) string {
	n := "agent-" + strings.Trim(nameUnsafe.ReplaceAllString(host, "-"), "-")
	if len(n) > 64 {
		n = n[:64]
	}
	if n == "agent-" {
		n = "agent-node"
	}
	return n
}

// run is the agent: it samples the host, makes sure the node exists, then heartbeats and
// reports until ctx ends. It returns nil after a clean stop.
func run(ctx context.Context, o options, log *slog.Logger) error {
	c, err := client.New(o.Server, client.WithToken(o.Token), client.WithRetry(client.DefaultRetryPolicy()))
	if err != nil {
		return err
	}
	// Sample a few times per report so every report carries fresh per-second rates.
	src, err := hostmetrics.New(hostmetrics.Options{Interval: min(5*time.Second, o.ReportInterval/2), DiskPath: o.DiskPath, Logger: log})
	if err != nil {
		return err
	}
	if err := src.Start(ctx); err != nil {
		return err
	}
	defer func() { _ = src.Close() }()

	node, err := ensureNode(ctx, c, o, log)
	if err != nil {
		return err
	}
	a := &agent{c: c, node: node.NodeID, src: src, log: log.With("node_id", node.NodeID), every: o.ReportInterval}
	if o.Start {
		res, err := c.Nodes.Start(ctx, node.NodeID)
		if err != nil {
			return fmt.Errorf("start node: %w", err)
		}
		a.log.Info("node started", "status", res.Status)
	}

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.heartbeats(ctx) }()
	go func() { defer wg.Done(); a.reports(ctx) }()
	wg.Wait()

	if o.Start {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := c.Nodes.Stop(sctx, node.NodeID); err != nil {
			a.log.Warn("could not stop the node on exit", "err", err)
		} else {
			a.log.Info("node stopped")
		}
	}
	a.log.Info("agent stopped")
	return nil
}

// ensureNode returns the node to report for: o.NodeID when given, else the node named o.Name
// (registered with the host's hardware when it does not exist yet).
func ensureNode(ctx context.Context, c *client.Client, o options, log *slog.Logger) (*nodemgmt.Node, error) {
	if o.NodeID != "" {
		n, err := c.Nodes.Get(ctx, o.NodeID)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", o.NodeID, err)
		}
		log.Info("reusing node", "node_id", n.NodeID, "name", n.Name, "status", n.Status)
		return n, nil
	}
	hw, err := hostmetrics.Hardware(ctx, o.DiskPath)
	if err != nil {
		return nil, err
	}
	n, err := c.Nodes.Create(ctx, nodemgmt.CreateNodeRequest{Name: o.Name, NodeType: nodemgmt.NodeTypeWorker, HardwareInfo: hw})
	if err == nil {
		log.Info("registered node", "node_id", n.NodeID, "name", n.Name, "cores", hw.CPU.Cores,
			"memory_bytes", hw.Memory.TotalBytes, "interfaces", len(hw.Network))
		return n, nil
	}
	if !errors.Is(err, nodemgmt.ErrNodeExists) {
		return nil, fmt.Errorf("register node: %w", err)
	}
	// Registered by an earlier run: find it by name among the pool-less nodes.
	for n, lerr := range c.Nodes.All(ctx, client.NodeListOptions{}) {
		if lerr != nil {
			return nil, fmt.Errorf("find node %q: %w", o.Name, lerr)
		}
		if n.Name == o.Name {
			log.Info("reusing node", "node_id", n.NodeID, "name", n.Name, "status", n.Status)
			return n, nil
		}
	}
	return nil, fmt.Errorf("register node: %w", err)
}

// agent runs the two loops of one node.
type agent struct {
	c     *client.Client
	node  string
	src   nodemgmt.MetricsSource
	log   *slog.Logger
	every time.Duration
}

// heartbeats sends a heartbeat now and then at the interval each answer asks for; after a
// failure it retries sooner (5 s, or the last interval if shorter).
func (a *agent) heartbeats(ctx context.Context) {
	wait := 5 * time.Second
	for {
		ack, err := a.c.Nodes.Heartbeat(ctx, a.node)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			a.log.Warn("heartbeat failed", "err", err)
			wait = min(wait, 5*time.Second)
		default:
			wait = time.Duration(max(ack.IntervalSeconds, 1)) * time.Second
			a.log.Debug("heartbeat", "health", ack.Health, "next_in", wait.String())
		}
		if !sleep(ctx, wait) {
			return
		}
	}
}

// reports sends the latest host sample every a.every, skipping a sample already sent. Alerts
// are logged when they become active, not on every report.
func (a *agent) reports(ctx context.Context) {
	var last time.Time
	seen := map[string]bool{}
	for {
		if !sleep(ctx, a.every) {
			return
		}
		s, err := a.src.Sample(ctx)
		if errors.Is(err, nodemgmt.ErrNoSample) || (err == nil && !s.Timestamp.After(last)) {
			continue
		}
		if err != nil {
			a.log.Warn("sample failed", "err", err)
			continue
		}
		if len(s.Network.Interfaces) > nodemgmt.MaxSampleInterfaces {
			s.Network.Interfaces = s.Network.Interfaces[:nodemgmt.MaxSampleInterfaces]
		}
		res, err := a.c.Resources.ReportSample(ctx, a.node, s)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			a.log.Warn("resource report refused", "err", err)
		default:
			last = s.Timestamp
			active := make(map[string]bool, len(res.ActiveAlerts))
			for _, al := range res.ActiveAlerts {
				active[al.ID] = true
				if !seen[al.ID] {
					a.log.Warn("resource alert raised", "resource", al.Resource, "level", al.Level, "value", al.Value, "threshold", al.Threshold)
				}
			}
			seen = active
		}
	}
}

// sleep waits d; it reports false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
