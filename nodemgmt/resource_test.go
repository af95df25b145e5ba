package nodemgmt

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var resT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func goodSample(ts time.Time) ResourceSample {
	temp := 55.5
	return ResourceSample{
		NodeID:    "node_sample01",
		Timestamp: ts,
		CPU:       CPUUsage{UsagePercent: 42.5, Cores: 8, FrequencyMHz: 3200, LoadAverage: LoadAverage{1.5, 1.2, 0.9}, TemperatureCelsius: &temp},
		Memory: MemoryUsage{TotalBytes: 16 * GiB, UsedBytes: 8 * GiB, FreeBytes: 4 * GiB, CachedBytes: 4 * GiB,
			SwapTotalBytes: 2 * GiB, SwapUsedBytes: GiB / 2},
		Disk: DiskUsage{TotalBytes: 500e9, UsedBytes: 200e9, FreeBytes: 300e9, ReadIOPS: 120, WriteIOPS: 80,
			ReadThroughputMBps: 12.5, WriteThroughputMBps: 8.25},
		Network: NetworkUsage{
			Interfaces:   []InterfaceUsage{{Name: "eth0", BytesIn: 1e9, BytesOut: 5e8, PacketsIn: 1e6, PacketsOut: 6e5, InMbps: 100, OutMbps: 40}},
			TotalBytesIn: 1e9, TotalBytesOut: 5e8, PacketsIn: 1e6, PacketsOut: 6e5, InMbps: 100, OutMbps: 40},
		GPU: &GPUUsage{UsagePercent: 10, MemoryUsedBytes: GiB, MemoryTotalBytes: 8 * GiB},
	}
}

func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var e *Error
	require.True(t, errors.As(err, &e), "want *Error, got %v", err)
	require.Equal(t, CodeValidation, e.Code)
	fe, ok := e.Details["fields"].([]FieldError)
	require.True(t, ok)
	var out []string
	for _, f := range fe {
		out = append(out, f.Field)
	}
	return out
}

func TestResourceSampleValidate(t *testing.T) {
	t.Parallel()
	now := resT0
	maxAge := 90 * 24 * time.Hour
	tests := []struct {
		name   string
		mutate func(s *ResourceSample)
		field  string // "" means valid
	}{
		{"valid", func(*ResourceSample) {}, ""},
		{"valid without gpu and temperature", func(s *ResourceSample) { s.GPU = nil; s.CPU.TemperatureCelsius = nil }, ""},
		{"valid small clock skew", func(s *ResourceSample) { s.Timestamp = now.Add(time.Minute) }, ""},
		{"missing timestamp", func(s *ResourceSample) { s.Timestamp = time.Time{} }, "timestamp"},
		{"future timestamp", func(s *ResourceSample) { s.Timestamp = now.Add(10 * time.Minute) }, "timestamp"},
		{"older than retention", func(s *ResourceSample) { s.Timestamp = now.Add(-maxAge - time.Second) }, "timestamp"},
		{"bad node id", func(s *ResourceSample) { s.NodeID = "evil" }, "node_id"},
		{"cpu over 100", func(s *ResourceSample) { s.CPU.UsagePercent = 100.1 }, "cpu.usage_percent"},
		{"cpu negative", func(s *ResourceSample) { s.CPU.UsagePercent = -1 }, "cpu.usage_percent"},
		{"cpu NaN", func(s *ResourceSample) { s.CPU.UsagePercent = math.NaN() }, "cpu.usage_percent"},
		{"cpu Inf", func(s *ResourceSample) { s.CPU.UsagePercent = math.Inf(1) }, "cpu.usage_percent"},
		{"negative cores", func(s *ResourceSample) { s.CPU.Cores = -2 }, "cpu.cores"},
		{"negative load", func(s *ResourceSample) { s.CPU.LoadAverage[2] = -0.5 }, "cpu.load_average[2]"},
		{"load NaN", func(s *ResourceSample) { s.CPU.LoadAverage[0] = math.NaN() }, "cpu.load_average[0]"},
		{"hot cpu", func(s *ResourceSample) { x := 500.0; s.CPU.TemperatureCelsius = &x }, "cpu.temperature_celsius"},
		{"negative memory", func(s *ResourceSample) { s.Memory.UsedBytes = -1 }, "memory.used_bytes"},
		{"used above total", func(s *ResourceSample) { s.Memory.UsedBytes = s.Memory.TotalBytes + 1 }, "memory.used_bytes"},
		{"swap used above total", func(s *ResourceSample) { s.Memory.SwapUsedBytes = 3 * GiB }, "memory.swap_used_bytes"},
		{"disk used above total", func(s *ResourceSample) { s.Disk.UsedBytes = 600e9 }, "disk.used_bytes"},
		{"negative iops", func(s *ResourceSample) { s.Disk.ReadIOPS = -3 }, "disk.read_iops"},
		{"throughput Inf", func(s *ResourceSample) { s.Disk.WriteThroughputMBps = math.Inf(1) }, "disk.write_throughput_mbps"},
		{"negative bytes in", func(s *ResourceSample) { s.Network.TotalBytesIn = -5 }, "network.total_bytes_in"},
		{"negative errors", func(s *ResourceSample) { s.Network.ErrorsOut = -1 }, "network.errors_out"},
		{"negative rate", func(s *ResourceSample) { s.Network.OutMbps = -1 }, "network.out_mbps"},
		{"interface without name", func(s *ResourceSample) { s.Network.Interfaces[0].Name = "" }, "network.interfaces[0].name"},
		{"interface name markup", func(s *ResourceSample) { s.Network.Interfaces[0].Name = "<b>" }, "network.interfaces[0].name"},
		{"interface negative packets", func(s *ResourceSample) { s.Network.Interfaces[0].PacketsIn = -1 }, "network.interfaces[0].packets_in"},
		{"too many interfaces", func(s *ResourceSample) {
			s.Network.Interfaces = make([]InterfaceUsage, MaxSampleInterfaces+1)
		}, "network.interfaces"},
		{"gpu over 100", func(s *ResourceSample) { s.GPU.UsagePercent = 101 }, "gpu.usage_percent"},
		{"gpu memory above total", func(s *ResourceSample) { s.GPU.MemoryUsedBytes = 9 * GiB }, "gpu.memory_used_bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := goodSample(now.Add(-time.Minute))
			tc.mutate(&s)
			err := s.Validate(now, maxAge)
			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, fieldsOf(t, err), tc.field)
		})
	}
}

func TestParseResourceSample(t *testing.T) {
	t.Parallel()
	good, err := json.Marshal(goodSample(resT0))
	require.NoError(t, err)
	s, err := ParseResourceSample(good, resT0, 0)
	require.NoError(t, err)
	assert.Equal(t, goodSample(resT0), s)

	for name, body := range map[string]string{
		"unknown field":  `{"timestamp":"2026-03-01T12:00:00Z","extra":1}`,
		"trailing data":  `{"timestamp":"2026-03-01T12:00:00Z"} {}`,
		"wrong type":     `{"timestamp":"2026-03-01T12:00:00Z","cpu":{"cores":"many"}}`,
		"not json":       `nope`,
		"huge load list": `{"timestamp":"2026-03-01T12:00:00Z","cpu":{"load_average":[1,2,3,4]}}`,
	} {
		_, err := ParseResourceSample([]byte(body), resT0, 0)
		var e *Error
		require.True(t, errors.As(err, &e), name)
		assert.Equal(t, "LUCID_ERR_4001", e.Code, name)
	}
	big := make([]byte, MaxSampleBytes+1)
	_, err = ParseResourceSample(big, resT0, 0)
	require.Error(t, err)

	_, err = ParseResourceSample([]byte(`{"timestamp":"2026-03-01T12:00:00Z","cpu":{"usage_percent":130}}`), resT0, 0)
	assert.Contains(t, fieldsOf(t, err), "cpu.usage_percent")
}

func TestResourceSampleJSONNames(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(goodSample(resT0))
	require.NoError(t, err)
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &raw))
	m := map[string]map[string]any{}
	for _, k := range []string{"cpu", "memory", "disk", "network", "gpu"} {
		var sub map[string]any
		require.NoError(t, json.Unmarshal(raw[k], &sub), k)
		m[k] = sub
	}
	for k, fields := range map[string][]string{
		"cpu":     {"usage_percent", "cores", "frequency_mhz", "load_average", "temperature_celsius"},
		"memory":  {"total_bytes", "used_bytes", "free_bytes", "cached_bytes", "swap_total_bytes", "swap_used_bytes"},
		"disk":    {"total_bytes", "used_bytes", "free_bytes", "read_iops", "write_iops", "read_throughput_mbps", "write_throughput_mbps"},
		"network": {"interfaces", "total_bytes_in", "total_bytes_out", "packets_in", "packets_out", "errors_in", "errors_out", "in_mbps", "out_mbps"},
		"gpu":     {"usage_percent", "memory_used_bytes", "memory_total_bytes"},
	} {
		for _, f := range fields {
			assert.Contains(t, m[k], f, k)
		}
	}
}

func TestMetricValue(t *testing.T) {
	t.Parallel()
	s := goodSample(resT0)
	assert.InDelta(t, 42.5, s.MetricValue(MetricCPU), 1e-9)
	assert.InDelta(t, 50, s.MetricValue(MetricMemory), 1e-9)
	assert.InDelta(t, 40, s.MetricValue(MetricDisk), 1e-9)
	assert.InDelta(t, 140, s.MetricValue(MetricNetwork), 1e-9)
	var zero ResourceSample
	assert.Zero(t, zero.MetricValue(MetricMemory))
}

// FuzzParseResourceSample feeds arbitrary bytes to the decoder of remote reports. Whatever it
// accepts must be valid, finite and survive a JSON round trip unchanged.
func FuzzParseResourceSample(f *testing.F) {
	good, _ := json.Marshal(goodSample(resT0))
	f.Add(good)
	f.Add([]byte(`{"timestamp":"2026-03-01T12:00:00Z"}`))
	f.Add([]byte(`{"timestamp":"2026-03-01T12:00:00Z","cpu":{"usage_percent":1e308}}`))
	f.Add([]byte(`{"timestamp":"2026-03-01T12:00:00Z","memory":{"used_bytes":-1}}`))
	f.Add([]byte(`{"timestamp":"2999-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseResourceSample(data, resT0, 90*24*time.Hour)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (e.Code != CodeValidation && e.Code != "LUCID_ERR_4001") {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if err := s.Validate(resT0, 90*24*time.Hour); err != nil {
			t.Fatalf("accepted sample does not validate: %v", err)
		}
		for _, mt := range MetricTypes {
			if v := s.MetricValue(mt); math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("metric %s not finite: %v", mt, v)
			}
		}
		again, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		s2, err := ParseResourceSample(again, resT0, 90*24*time.Hour)
		if err != nil {
			t.Fatalf("re-encoded sample refused: %v", err)
		}
		third, err := json.Marshal(s2)
		if err != nil || string(third) != string(again) {
			t.Fatalf("round trip changed the sample:\n%s\n%s", again, third)
		}
	})
}
