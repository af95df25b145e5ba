package nodemgmt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strconv"
	"time"
)

// ResourceSample is one observation of a node's resources (SPEC §2, Resource monitoring).
//
// Counters (bytes, packets, errors) are cumulative totals as the host reports them. Rates
// (iops, MB/s, Mbps) are per second, computed by the metrics source from the difference of two
// counter readings divided by the real time elapsed between them:
//
//	Mbps = Δbytes · 8 / 1e6 / Δseconds
//	MB/s = Δbytes / 1e6 / Δseconds
//	iops = Δoperations / Δseconds
//
// (The original design divided megabits by the sampling period's length in a way that reported
// megabits per period as "Mbps", inflating bandwidth by the length of the period.)
type ResourceSample struct {
	NodeID    string       `json:"node_id"`
	Timestamp time.Time    `json:"timestamp"`
	CPU       CPUUsage     `json:"cpu"`
	Memory    MemoryUsage  `json:"memory"`
	Disk      DiskUsage    `json:"disk"`
	Network   NetworkUsage `json:"network"`
	GPU       *GPUUsage    `json:"gpu,omitempty"`
}

// CPUUsage is the processor part of a sample.
type CPUUsage struct {
	// UsagePercent is the busy share of all cores since the previous reading, 0–100.
	UsagePercent float64     `json:"usage_percent"`
	Cores        int         `json:"cores"`
	FrequencyMHz float64     `json:"frequency_mhz"`
	LoadAverage  LoadAverage `json:"load_average"`
	// TemperatureCelsius is nil where the host exposes no sensor (containers, most VMs).
	TemperatureCelsius *float64 `json:"temperature_celsius"`
}

// LoadAverage is the 1, 5 and 15 minute load averages. Its JSON form is an array of exactly
// three numbers (the standard decoder would silently drop extra elements).
type LoadAverage [3]float64

// UnmarshalJSON accepts null or an array of exactly three numbers.
func (l *LoadAverage) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	var xs []float64
	if err := json.Unmarshal(b, &xs); err != nil {
		return err
	}
	if len(xs) != 3 {
		return errors.New("load_average must have exactly 3 elements")
	}
	copy(l[:], xs)
	return nil
}

// MemoryUsage is the memory part of a sample, in bytes.
type MemoryUsage struct {
	TotalBytes     int64 `json:"total_bytes"`
	UsedBytes      int64 `json:"used_bytes"`
	FreeBytes      int64 `json:"free_bytes"`
	CachedBytes    int64 `json:"cached_bytes"`
	SwapTotalBytes int64 `json:"swap_total_bytes"`
	SwapUsedBytes  int64 `json:"swap_used_bytes"`
}

// DiskUsage is the storage part of a sample: capacity of the monitored file system and
// per-second activity of the device that holds it.
type DiskUsage struct {
	TotalBytes          int64   `json:"total_bytes"`
	UsedBytes           int64   `json:"used_bytes"`
	FreeBytes           int64   `json:"free_bytes"`
	ReadIOPS            float64 `json:"read_iops"`
	WriteIOPS           float64 `json:"write_iops"`
	ReadThroughputMBps  float64 `json:"read_throughput_mbps"`
	WriteThroughputMBps float64 `json:"write_throughput_mbps"`
}

// NetworkUsage is the network part of a sample: totals over all interfaces (loopback
// excluded from the totals, but listed in Interfaces) and per-second rates.
type NetworkUsage struct {
	Interfaces    []InterfaceUsage `json:"interfaces"`
	TotalBytesIn  int64            `json:"total_bytes_in"`
	TotalBytesOut int64            `json:"total_bytes_out"`
	PacketsIn     int64            `json:"packets_in"`
	PacketsOut    int64            `json:"packets_out"`
	ErrorsIn      int64            `json:"errors_in"`
	ErrorsOut     int64            `json:"errors_out"`
	// InMbps and OutMbps are megabits (1e6 bits) per second since the previous reading.
	InMbps  float64 `json:"in_mbps"`
	OutMbps float64 `json:"out_mbps"`
}

// InterfaceUsage is one network interface's counters and rates.
type InterfaceUsage struct {
	Name       string  `json:"name"`
	BytesIn    int64   `json:"bytes_in"`
	BytesOut   int64   `json:"bytes_out"`
	PacketsIn  int64   `json:"packets_in"`
	PacketsOut int64   `json:"packets_out"`
	ErrorsIn   int64   `json:"errors_in"`
	ErrorsOut  int64   `json:"errors_out"`
	InMbps     float64 `json:"in_mbps"`
	OutMbps    float64 `json:"out_mbps"`
}

// GPUUsage is the optional accelerator part of a sample.
type GPUUsage struct {
	UsagePercent       float64  `json:"usage_percent"`
	MemoryUsedBytes    int64    `json:"memory_used_bytes"`
	MemoryTotalBytes   int64    `json:"memory_total_bytes"`
	TemperatureCelsius *float64 `json:"temperature_celsius,omitempty"`
}

// MetricsSource produces resource samples. Sample returns the latest observation; it must
// never block for long (sources that need time to measure do so in the background and serve
// their latest reading). A source that has nothing yet returns ErrNoSample.
type MetricsSource interface {
	Sample(ctx context.Context) (ResourceSample, error)
}

// ErrNoSample is returned by a MetricsSource that has not produced its first sample yet.
var ErrNoSample = errors.New("no resource sample available yet")

// Limits of a sample that the validation enforces.
const (
	// MaxSampleClockSkew is how far in the future a sample's timestamp may be (clock drift
	// between a node and the server).
	MaxSampleClockSkew = 2 * time.Minute
	// MaxSampleInterfaces bounds the interface list of one sample.
	MaxSampleInterfaces = 64
	// MaxSampleBytes bounds the JSON encoding of one reported sample.
	MaxSampleBytes = 64 << 10
)

// ParseResourceSample decodes one reported sample strictly (unknown fields, trailing data and
// bodies over MaxSampleBytes are refused with LUCID_ERR_4001) and validates it with Validate.
func ParseResourceSample(data []byte, now time.Time, maxAge time.Duration) (ResourceSample, error) {
	var s ResourceSample
	if len(data) > MaxSampleBytes {
		return s, &Error{Code: CodeMalformed, Message: "sample too large",
			Details: map[string]any{"max_bytes": MaxSampleBytes}}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return ResourceSample{}, &Error{Code: CodeMalformed, Message: "malformed sample: " + err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return ResourceSample{}, &Error{Code: CodeMalformed, Message: "malformed sample: trailing data"}
	}
	if err := s.Validate(now, maxAge); err != nil {
		return ResourceSample{}, err
	}
	return s, nil
}

// Validate checks a sample reported by a node before it is stored: every number finite,
// counters and rates not negative, percentages 0–100, used not above total, at most
// MaxSampleInterfaces interfaces, and a timestamp neither more than MaxSampleClockSkew after
// now nor older than maxAge (the raw retention window; 0 disables the age check). It returns a
// LUCID_ERR_4000 error listing every offending field.
func (s *ResourceSample) Validate(now time.Time, maxAge time.Duration) error {
	var v validationError
	if s.NodeID != "" && !ValidNodeID(s.NodeID) {
		v.add("node_id", "must match ^node_[a-zA-Z0-9_-]+$ with 8–64 characters")
	}
	switch {
	case s.Timestamp.IsZero():
		v.add("timestamp", "is required")
	case s.Timestamp.After(now.Add(MaxSampleClockSkew)):
		v.add("timestamp", "is in the future (more than %s ahead of the server)", MaxSampleClockSkew)
	case maxAge > 0 && s.Timestamp.Before(now.Add(-maxAge)):
		v.add("timestamp", "is older than the retention window (%s)", maxAge)
	}

	c := &s.CPU
	checkPercent(&v, "cpu.usage_percent", c.UsagePercent)
	if c.Cores < 0 || c.Cores > 4096 {
		v.add("cpu.cores", "must be 0–4096")
	}
	checkRange(&v, "cpu.frequency_mhz", c.FrequencyMHz, 0, 100_000)
	for i, l := range c.LoadAverage {
		checkRange(&v, "cpu.load_average["+strconv.Itoa(i)+"]", l, 0, 1e6)
	}
	if c.TemperatureCelsius != nil {
		checkRange(&v, "cpu.temperature_celsius", *c.TemperatureCelsius, -100, 200)
	}

	m := &s.Memory
	checkCounter(&v, "memory.total_bytes", m.TotalBytes)
	checkCounter(&v, "memory.used_bytes", m.UsedBytes)
	checkCounter(&v, "memory.free_bytes", m.FreeBytes)
	checkCounter(&v, "memory.cached_bytes", m.CachedBytes)
	checkCounter(&v, "memory.swap_total_bytes", m.SwapTotalBytes)
	checkCounter(&v, "memory.swap_used_bytes", m.SwapUsedBytes)
	checkNotAbove(&v, "memory.used_bytes", m.UsedBytes, "memory.total_bytes", m.TotalBytes)
	checkNotAbove(&v, "memory.free_bytes", m.FreeBytes, "memory.total_bytes", m.TotalBytes)
	checkNotAbove(&v, "memory.cached_bytes", m.CachedBytes, "memory.total_bytes", m.TotalBytes)
	checkNotAbove(&v, "memory.swap_used_bytes", m.SwapUsedBytes, "memory.swap_total_bytes", m.SwapTotalBytes)

	d := &s.Disk
	checkCounter(&v, "disk.total_bytes", d.TotalBytes)
	checkCounter(&v, "disk.used_bytes", d.UsedBytes)
	checkCounter(&v, "disk.free_bytes", d.FreeBytes)
	checkNotAbove(&v, "disk.used_bytes", d.UsedBytes, "disk.total_bytes", d.TotalBytes)
	checkNotAbove(&v, "disk.free_bytes", d.FreeBytes, "disk.total_bytes", d.TotalBytes)
	checkRange(&v, "disk.read_iops", d.ReadIOPS, 0, 1e9)
	checkRange(&v, "disk.write_iops", d.WriteIOPS, 0, 1e9)
	checkRange(&v, "disk.read_throughput_mbps", d.ReadThroughputMBps, 0, 1e7)
	checkRange(&v, "disk.write_throughput_mbps", d.WriteThroughputMBps, 0, 1e7)

	n := &s.Network
	checkCounter(&v, "network.total_bytes_in", n.TotalBytesIn)
	checkCounter(&v, "network.total_bytes_out", n.TotalBytesOut)
	checkCounter(&v, "network.packets_in", n.PacketsIn)
	checkCounter(&v, "network.packets_out", n.PacketsOut)
	checkCounter(&v, "network.errors_in", n.ErrorsIn)
	checkCounter(&v, "network.errors_out", n.ErrorsOut)
	checkRange(&v, "network.in_mbps", n.InMbps, 0, 1e7)
	checkRange(&v, "network.out_mbps", n.OutMbps, 0, 1e7)
	if len(n.Interfaces) > MaxSampleInterfaces {
		v.add("network.interfaces", "at most %d interfaces", MaxSampleInterfaces)
	} else {
		for i, f := range n.Interfaces {
			p := "network.interfaces[" + strconv.Itoa(i) + "]."
			if f.Name == "" {
				v.add(p+"name", "is required")
			}
			checkText(&v, p+"name", f.Name, 64)
			checkCounter(&v, p+"bytes_in", f.BytesIn)
			checkCounter(&v, p+"bytes_out", f.BytesOut)
			checkCounter(&v, p+"packets_in", f.PacketsIn)
			checkCounter(&v, p+"packets_out", f.PacketsOut)
			checkCounter(&v, p+"errors_in", f.ErrorsIn)
			checkCounter(&v, p+"errors_out", f.ErrorsOut)
			checkRange(&v, p+"in_mbps", f.InMbps, 0, 1e7)
			checkRange(&v, p+"out_mbps", f.OutMbps, 0, 1e7)
		}
	}

	if g := s.GPU; g != nil {
		checkPercent(&v, "gpu.usage_percent", g.UsagePercent)
		checkCounter(&v, "gpu.memory_used_bytes", g.MemoryUsedBytes)
		checkCounter(&v, "gpu.memory_total_bytes", g.MemoryTotalBytes)
		checkNotAbove(&v, "gpu.memory_used_bytes", g.MemoryUsedBytes, "gpu.memory_total_bytes", g.MemoryTotalBytes)
		if g.TemperatureCelsius != nil {
			checkRange(&v, "gpu.temperature_celsius", *g.TemperatureCelsius, -100, 200)
		}
	}
	return v.err()
}

func checkPercent(v *validationError, field string, x float64) { checkRange(v, field, x, 0, 100) }

func checkRange(v *validationError, field string, x, lo, hi float64) {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		v.add(field, "must be a finite number")
	case x < lo || x > hi:
		v.add(field, "must be %g–%g", lo, hi)
	}
}

func checkCounter(v *validationError, field string, x int64) {
	if x < 0 {
		v.add(field, "must not be negative")
	}
}

func checkNotAbove(v *validationError, field string, x int64, totalField string, total int64) {
	if x >= 0 && total >= 0 && x > total {
		v.add(field, "must not exceed %s", totalField)
	}
}

// MetricType names a queryable resource metric.
type MetricType string

// Metric types of GET …/resources/metrics. The value of each sample under a metric type is
// given by ResourceSample.MetricValue.
const (
	MetricCPU     MetricType = "cpu"
	MetricMemory  MetricType = "memory"
	MetricDisk    MetricType = "disk"
	MetricNetwork MetricType = "network"
)

// MetricTypes lists every metric type, in a fixed order.
var MetricTypes = []MetricType{MetricCPU, MetricMemory, MetricDisk, MetricNetwork}

// Valid reports whether t is a known metric type.
func (t MetricType) Valid() bool {
	switch t {
	case MetricCPU, MetricMemory, MetricDisk, MetricNetwork:
		return true
	}
	return false
}

// MetricValue is the scalar every backend stores and aggregates for a metric type, so that
// all backends agree: cpu → usage percent; memory → used/total in percent; disk → used/total
// in percent; network → in+out Mbps. A zero total yields 0.
func (s *ResourceSample) MetricValue(t MetricType) float64 {
	switch t {
	case MetricCPU:
		return s.CPU.UsagePercent
	case MetricMemory:
		return ratioPercent(s.Memory.UsedBytes, s.Memory.TotalBytes)
	case MetricDisk:
		return ratioPercent(s.Disk.UsedBytes, s.Disk.TotalBytes)
	case MetricNetwork:
		return s.Network.InMbps + s.Network.OutMbps
	}
	return 0
}

func ratioPercent(used, total int64) float64 {
	if total <= 0 {
		return 0
	}
	return float64(used) / float64(total) * 100
}
