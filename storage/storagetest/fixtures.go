package storagetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

// Base is the fixed instant the suite's data is built around. It carries nanoseconds and a
// non-UTC zone on purpose, to prove that backends normalise both.
var Base = time.Date(2026, 11, 1, 10, 0, 0, 123456789, time.FixedZone("UTC+2", 2*3600))

// Normalize is the form every backend stores a time in: UTC, truncated to microseconds.
func Normalize(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func at(d time.Duration) time.Time { return Base.Add(d) }

func ptrTime(t time.Time) *time.Time { return &t }

var ctx = context.Background()

// FullNode returns a node with every field set, nested structures included.
func FullNode(id, name, pool string, created time.Time) *nodemgmt.Node {
	return &nodemgmt.Node{
		NodeID:   id,
		Name:     name,
		Status:   nodemgmt.StatusMaintenance,
		NodeType: nodemgmt.NodeTypeCompute,
		PoolID:   pool,
		HardwareInfo: nodemgmt.HardwareInfo{
			CPU:     nodemgmt.CPUInfo{Cores: 16, FrequencyMHz: 3400, Architecture: "x86_64"},
			Memory:  nodemgmt.MemoryInfo{TotalBytes: 64 * nodemgmt.GiB, Type: "DDR5"},
			Storage: nodemgmt.StorageInfo{TotalBytes: 2_000_000_000_000, Type: "NVMe", Interface: "PCIe4"},
			GPU:     &nodemgmt.GPUInfo{Model: "A100", MemoryBytes: 40 * nodemgmt.GiB, ComputeCapability: "8.0"},
			Network: []nodemgmt.NetworkInfo{
				{Interface: "eth0", SpeedMbps: 10000, MACAddress: "aa:bb:cc:dd:ee:01"},
				{Interface: "eth1", SpeedMbps: 1000, MACAddress: "AA-BB-CC-DD-EE-02"},
			},
			Signature: "hwsig-0123456789abcdef",
		},
		Location: &nodemgmt.Location{Country: "DE", Region: "Bavaria", City: "Munich", Timezone: "Europe/Berlin",
			Coordinates: &nodemgmt.Coordinates{Latitude: 48.137154, Longitude: 11.576124}},
		Configuration: &nodemgmt.Configuration{MaxSessions: 42,
			ResourceLimits: &nodemgmt.ResourceLimits{CPUPercent: 87.5, MemoryBytes: 32 * nodemgmt.GiB, DiskBytes: 1_000_000_000_000, NetworkMbps: 950.25},
			AutoScaling:    true, MaintenanceWindow: &nodemgmt.MaintenanceWindow{StartHour: 3, DurationHours: 2}},
		PootScore:      87.65,
		LastHeartbeat:  ptrTime(created.Add(30 * time.Second)),
		UptimeSince:    ptrTime(created.Add(10 * time.Second)),
		UpSeconds:      20,
		Health:         nodemgmt.HealthHealthy,
		HealthDeadline: ptrTime(created.Add(120 * time.Second)),
		PublicKey:      "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
		Maintenance: &nodemgmt.MaintenanceInfo{By: "ops@example", Reason: "disk swap", Since: created.Add(time.Minute),
			Drain: true, PreviousStatus: nodemgmt.StatusActive},
		StatusReason: "disk swap",
		CreatedAt:    created,
		UpdatedAt:    created.Add(2 * time.Minute),
	}
}

// MinimalNode returns a node with only the required fields set and every optional one empty.
func MinimalNode(id, name, pool string, created time.Time) *nodemgmt.Node {
	return &nodemgmt.Node{
		NodeID: id, Name: name, Status: nodemgmt.StatusInactive, NodeType: nodemgmt.NodeTypeWorker, PoolID: pool,
		HardwareInfo: nodemgmt.HardwareInfo{
			CPU:     nodemgmt.CPUInfo{Cores: 2},
			Memory:  nodemgmt.MemoryInfo{TotalBytes: nodemgmt.GiB},
			Storage: nodemgmt.StorageInfo{TotalBytes: 10_000_000_000, Type: "SSD"},
			Network: []nodemgmt.NetworkInfo{{Interface: "eth0"}},
		},
		Health:    nodemgmt.HealthUnknown,
		CreatedAt: created, UpdatedAt: created,
	}
}

// FullPool returns a pool with every field set.
func FullPool(id, name string, maxNodes int, created time.Time) *nodemgmt.Pool {
	return &nodemgmt.Pool{
		PoolID: id, Name: name, Description: "GPU pool in eu-central", MaxNodes: maxNodes,
		ResourceLimits: &nodemgmt.ResourceLimits{CPUPercent: 90, MemoryBytes: 16 * nodemgmt.GiB, DiskBytes: 500_000_000_000, NetworkMbps: 1000},
		AutoScaling:    true,
		ScalingPolicy:  &nodemgmt.ScalingPolicy{ScaleUpThreshold: 80.5, ScaleDownThreshold: 20.25, MinNodes: 1, MaxNodes: maxNodes, CooldownMinutes: 15},
		Pricing:        &nodemgmt.Pricing{CostPerHour: "0.12345678", Currency: "USDT"},
		CreatedAt:      created, UpdatedAt: created.Add(time.Second),
	}
}

// SimplePool returns a pool with only the required fields.
func SimplePool(id, name string, maxNodes int, created time.Time) *nodemgmt.Pool {
	return &nodemgmt.Pool{PoolID: id, Name: name, MaxNodes: maxNodes, CreatedAt: created, UpdatedAt: created}
}

// ExpectedNode is what a backend must return for a node written as n: a deep copy with every
// time normalised.
func ExpectedNode(t testing.TB, n *nodemgmt.Node) *nodemgmt.Node {
	t.Helper()
	var c nodemgmt.Node
	deepCopy(t, n, &c)
	c.CreatedAt = Normalize(c.CreatedAt)
	c.UpdatedAt = Normalize(c.UpdatedAt)
	if c.UptimeSince != nil {
		c.UptimeSince = ptrTime(Normalize(*c.UptimeSince))
	}
	if c.LastHeartbeat != nil {
		c.LastHeartbeat = ptrTime(Normalize(*c.LastHeartbeat))
	}
	if c.HealthDeadline != nil {
		c.HealthDeadline = ptrTime(Normalize(*c.HealthDeadline))
	}
	if c.Maintenance != nil {
		c.Maintenance.Since = Normalize(c.Maintenance.Since)
	}
	return &c
}

// ExpectedPool is what a backend must return for a pool written as p with nodeCount members.
func ExpectedPool(t testing.TB, p *nodemgmt.Pool, nodeCount int) *nodemgmt.Pool {
	t.Helper()
	var c nodemgmt.Pool
	deepCopy(t, p, &c)
	c.NodeCount = nodeCount
	c.CreatedAt = Normalize(c.CreatedAt)
	c.UpdatedAt = Normalize(c.UpdatedAt)
	return &c
}

func deepCopy(t testing.TB, from, to any) {
	t.Helper()
	b, err := json.Marshal(from)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, to))
}

func nodeID(i int) string { return fmt.Sprintf("node_%04d", i) }

func mustCreateNode(t *testing.T, s nodemgmt.Store, n *nodemgmt.Node) {
	t.Helper()
	require.NoError(t, s.CreateNode(ctx, n), "create %s", n.NodeID)
}

func mustCreatePool(t *testing.T, s nodemgmt.Store, p *nodemgmt.Pool) {
	t.Helper()
	require.NoError(t, s.CreatePool(ctx, p), "create %s", p.PoolID)
}

func mustGetNode(t *testing.T, s nodemgmt.Store, id string) *nodemgmt.Node {
	t.Helper()
	n, err := s.GetNode(ctx, id)
	require.NoError(t, err)
	return n
}

func mustGetPool(t *testing.T, s nodemgmt.Store, id string) *nodemgmt.Pool {
	t.Helper()
	p, err := s.GetPool(ctx, id)
	require.NoError(t, err)
	return p
}

func ids(nodes []*nodemgmt.Node) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.NodeID
	}
	return out
}
