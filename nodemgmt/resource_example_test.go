package nodemgmt

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// A node reports a sample whose cpu usage crosses the critical threshold; the Monitor stores
// it, raises an alert and tells the OnAlert hook (where the server logs it and sets gauges).
func ExampleMonitor_Report() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	nodes := newResFakeNodes() // any Store; the storage packages provide real ones
	nodes.nodes["node_example1"] = &Node{NodeID: "node_example1", Status: StatusActive,
		HardwareInfo: HardwareInfo{Network: []NetworkInfo{{Interface: "eth0", SpeedMbps: 1000}}}}
	m := NewMonitor(nodes, newResFakeStore(), MonitorConfig{
		Now:    func() time.Time { return now },
		Logger: slog.New(slog.DiscardHandler),
		OnAlert: func(e AlertEvent) {
			fmt.Println("raised:", e.Raised, e.Alert.Resource, e.Alert.Level, e.Alert.Value)
		},
	})
	sample := ResourceSample{Timestamp: now, CPU: CPUUsage{UsagePercent: 97, Cores: 4},
		Memory: MemoryUsage{TotalBytes: 8 << 30, UsedBytes: 2 << 30}}
	res, err := m.Report(context.Background(), "node_example1", sample)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("active alerts:", len(res.ActiveAlerts))
	// Output:
	// raised: true cpu critical 97
	// active alerts: 1
}

// A remote report is decoded strictly and validated field by field.
func ExampleParseResourceSample() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"timestamp":"2026-03-01T11:59:00Z","cpu":{"usage_percent":130},"memory":{"used_bytes":-1}}`)
	_, err := ParseResourceSample(body, now, 90*24*time.Hour)
	fmt.Println(err.(*Error).Code)
	for _, f := range err.(*Error).Details["fields"].([]FieldError) {
		fmt.Println(f.Field, "-", f.Reason)
	}
	// Output:
	// LUCID_ERR_4000
	// cpu.usage_percent - must be 0–100
	// memory.used_bytes - must not be negative
}
