package nodemgmt

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"
)

// BenchmarkParseResourceSample is the cost of decoding and validating one remote report,
// next to the bare json.Unmarshal of the same bytes as the baseline.
func BenchmarkParseResourceSample(b *testing.B) {
	body, err := json.Marshal(goodSample(resT0))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("baseline-json.Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			var s ResourceSample
			if err := json.Unmarshal(body, &s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ParseResourceSample", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := ParseResourceSample(body, resT0, 90*24*time.Hour); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMonitorReport is the domain cost of one report (validate, store, evaluate
// thresholds) over the in-memory fakes, so it excludes any database.
func BenchmarkMonitorReport(b *testing.B) {
	nodes := newResFakeNodes()
	nodes.nodes[resNodeFree] = &Node{NodeID: resNodeFree, Status: StatusActive,
		HardwareInfo: HardwareInfo{Network: []NetworkInfo{{Interface: "eth0", SpeedMbps: 1000}}}}
	now := resT0
	m := NewMonitor(nodes, newResFakeStore(), MonitorConfig{Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)})
	s := goodSample(resT0)
	s.NodeID = ""
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		now = resT0.Add(time.Duration(i) * time.Millisecond)
		s.Timestamp = now
		if _, err := m.Report(ctx, resNodeFree, s); err != nil {
			b.Fatal(err)
		}
	}
}
