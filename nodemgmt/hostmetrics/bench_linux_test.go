//go:build linux

package hostmetrics

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system cpu time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCoreShare reports the cpu time per collection and what share of one core that costs
// when collecting once per second.
func reportCoreShare(b *testing.B, cpu time.Duration) {
	per := cpu / time.Duration(b.N)
	b.ReportMetric(float64(per.Microseconds()), "cpu-µs/collect")
	b.ReportMetric(per.Seconds()/1*100, "%core@1s")
}

// BenchmarkCollectorAt1s measures the process cpu time (getrusage) of one background
// collection, with the clock advancing one second per collection so that the slow metrics
// (frequency, temperatures) are refreshed as often as they would be at a 1 s interval.
// The goal is under 1 % of one core.
func BenchmarkCollectorAt1s(b *testing.B) {
	now := time.Now()
	s, err := New(quietOptions(Options{Interval: time.Second, Now: func() time.Time { return now }}))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	s.collect(ctx)
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime(b)
	for range b.N {
		now = now.Add(time.Second)
		s.collect(ctx)
	}
	reportCoreShare(b, cpuTime(b)-start)
}

// BenchmarkBaselineReadProcFiles is the floor: only reading the kernel files a collection
// needs (cpu times, load, memory, disk and network counters), without parsing.
func BenchmarkBaselineReadProcFiles(b *testing.B) {
	files := []string{"/proc/stat", "/proc/loadavg", "/proc/meminfo", "/proc/diskstats", "/proc/net/dev"}
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime(b)
	for range b.N {
		for _, f := range files {
			if _, err := os.ReadFile(f); err != nil {
				b.Skip(err)
			}
		}
	}
	reportCoreShare(b, cpuTime(b)-start)
}

// BenchmarkSample is the cost of a caller's Sample: a copy of the stored reading.
func BenchmarkSample(b *testing.B) {
	now := time.Now()
	s, err := New(quietOptions(Options{Now: func() time.Time { return now }}))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	s.collect(ctx)
	now = now.Add(time.Second)
	s.collect(ctx)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := s.Sample(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
