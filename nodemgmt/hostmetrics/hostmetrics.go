// Package hostmetrics is a nodemgmt.MetricsSource for the machine the process runs on, backed
// by gopsutil v3.
//
// A background goroutine reads the host's counters every Interval and keeps the latest
// nodemgmt.ResourceSample; Sample returns that copy at once, so no caller ever waits for a
// measurement. Every rate is a difference of two counter readings divided by the real time
// between them (measured on the monotonic clock): cpu usage from cpu times, disk iops and MB/s
// from the io counters of the device that holds DiskPath, network Mbps (bytes·8/1e6 per second)
// from the interface counters. Frequency and temperatures change slowly and cost more to read,
// so they are refreshed every SlowInterval.
//
// Metrics the host does not offer are left at their zero value (temperatures: nil) and named
// by Unavailable; a container without sensors or without disk counters is not an error.
package hostmetrics

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/shirou/gopsutil/v3/cpu"
	"github.com/shirou/gopsutil/v3/disk"
	"github.com/shirou/gopsutil/v3/host"
	"github.com/shirou/gopsutil/v3/load"
	"github.com/shirou/gopsutil/v3/mem"
	"github.com/shirou/gopsutil/v3/net"
)

// Options configures a Source. Zero fields take the documented defaults.
type Options struct {
	// Interval is how often the background loop reads the counters (default 5 s). Rates in a
	// sample are averages over the last interval.
	Interval time.Duration
	// SlowInterval is how often cpu frequency and temperatures are re-read (default 30 s).
	SlowInterval time.Duration
	// DiskPath is the file system whose usage is reported (default "/"); its device's io
	// counters give the disk rates.
	DiskPath string
	// DiskDevice overrides the block device name used for io counters (for example "nvme0n1"),
	// when the automatic lookup from DiskPath's mount does not find it.
	DiskDevice string
	// Now is the clock (default time.Now). Rates use the difference of two of its readings, so
	// it must carry a monotonic reading (time.Now does).
	Now func() time.Time
	// Logger receives a message when a metric becomes unavailable; default slog.Default().
	Logger *slog.Logger
}

// Source samples the local host in the background. Create it with New, then Start it; it is
// safe for concurrent use.
type Source struct {
	opts  Options
	cores int

	mu          sync.RWMutex
	latest      *nodemgmt.ResourceSample
	unavailable []string

	// collector state, owned by the collecting goroutine (and by Start before it runs).
	prev      *snapshot
	slowAt    time.Time
	freqMHz   float64
	tempC     *float64
	reported  map[string]bool
	diskDev   string
	lifecycle sync.Mutex
	cancel    context.CancelFunc
	done      chan struct{}
}

// snapshot is one reading of the cumulative counters.
type snapshot struct {
	at       time.Time
	cpuBusy  float64
	cpuTotal float64
	cpuOK    bool
	disk     disk.IOCountersStat
	diskOK   bool
	nics     []net.IOCountersStat
	nicsOK   bool
}

// New returns a Source for the local host. It resolves the block device of DiskPath once; a
// path on a file system without a block device (overlay, tmpfs) only loses the disk rates.
func New(opts Options) (*Source, error) {
	if opts.Interval <= 0 {
		opts.Interval = 5 * time.Second
	}
	if opts.SlowInterval <= 0 {
		opts.SlowInterval = 30 * time.Second
	}
	if opts.DiskPath == "" {
		opts.DiskPath = "/"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	abs, err := filepath.Abs(opts.DiskPath)
	if err != nil {
		return nil, err
	}
	opts.DiskPath = abs
	s := &Source{opts: opts, reported: map[string]bool{}}
	ctx := context.Background()
	if n, err := cpu.CountsWithContext(ctx, true); err == nil {
		s.cores = n
	}
	s.diskDev = opts.DiskDevice
	if s.diskDev == "" {
		s.diskDev = deviceOf(ctx, abs)
	}
	return s, nil
}

// DiskDevice is the block device whose io counters give the disk rates ("" if none was found).
func (s *Source) DiskDevice() string { return s.diskDev }

// deviceOf finds the block device mounted at the longest mount point that contains path.
func deviceOf(ctx context.Context, path string) string {
	parts, err := disk.PartitionsWithContext(ctx, true)
	if err != nil {
		return ""
	}
	best, dev := -1, ""
	for _, p := range parts {
		mp := p.Mountpoint
		if mp != "/" && path != mp && !strings.HasPrefix(path, strings.TrimSuffix(mp, "/")+"/") {
			continue
		}
		if len(mp) > best && strings.HasPrefix(p.Device, "/dev/") {
			best, dev = len(mp), p.Device
		} else if len(mp) > best {
			best, dev = len(mp), ""
		}
	}
	if dev == "" {
		return ""
	}
	if real, err := filepath.EvalSymlinks(dev); err == nil {
		dev = real // /dev/mapper/x → /dev/dm-0, /dev/disk/by-uuid/… → /dev/sda1
	}
	return filepath.Base(dev)
}

// Start takes the baseline reading and starts the background loop, which runs until ctx ends
// or Close is called. Sample returns nodemgmt.ErrNoSample until the first interval has passed.
func (s *Source) Start(ctx context.Context) error {
	s.lifecycle.Lock()
	defer s.lifecycle.Unlock()
	if s.cancel != nil {
		return errors.New("hostmetrics: already started")
	}
	s.collect(ctx)
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go s.loop(ctx)
	return nil
}

func (s *Source) loop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.collect(ctx)
		}
	}
}

// Close stops the background loop and waits for it.
func (s *Source) Close() error {
	s.lifecycle.Lock()
	defer s.lifecycle.Unlock()
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	<-s.done
	return nil
}

// Sample returns the latest sample (NodeID empty: the caller knows which node it is). It never
// blocks on the host.
func (s *Source) Sample(context.Context) (nodemgmt.ResourceSample, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.latest == nil {
		return nodemgmt.ResourceSample{}, nodemgmt.ErrNoSample
	}
	out := *s.latest
	out.Network.Interfaces = slices.Clone(out.Network.Interfaces)
	if t := out.CPU.TemperatureCelsius; t != nil {
		v := *t
		out.CPU.TemperatureCelsius = &v
	}
	return out, nil
}

// Unavailable names the metrics the last reading could not obtain (for example "temperature",
// "disk_io"), so operators can tell "zero" from "unknown".
func (s *Source) Unavailable() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.unavailable)
}

// collect reads every counter once and, when a previous reading exists, publishes a sample
// with the rates between the two.
func (s *Source) collect(ctx context.Context) {
	var missing []string
	miss := func(name string, err error) {
		missing = append(missing, name)
		if !s.reported[name] {
			s.reported[name] = true
			s.opts.Logger.InfoContext(ctx, "host metric unavailable", "metric", name, "err", err)
		}
	}
	cur := &snapshot{at: s.opts.Now()}
	var out nodemgmt.ResourceSample
	out.Timestamp = cur.at.UTC()

	if ts, err := cpu.TimesWithContext(ctx, false); err == nil && len(ts) > 0 {
		cur.cpuTotal, cur.cpuBusy = busyTimes(ts[0])
		cur.cpuOK = true
	} else {
		miss("cpu_usage", err)
	}
	out.CPU.Cores = s.cores
	if l, err := load.AvgWithContext(ctx); err == nil {
		out.CPU.LoadAverage = nodemgmt.LoadAverage{l.Load1, l.Load5, l.Load15}
	} else {
		miss("load_average", err)
	}
	if s.slowAt.IsZero() || cur.at.Sub(s.slowAt) >= s.opts.SlowInterval {
		s.slowAt = cur.at
		s.refreshSlow(ctx)
	}
	out.CPU.FrequencyMHz = s.freqMHz
	if s.freqMHz == 0 {
		missing = append(missing, "cpu_frequency")
	}
	if s.tempC != nil {
		v := *s.tempC
		out.CPU.TemperatureCelsius = &v
	} else {
		missing = append(missing, "temperature")
	}

	if vm, err := mem.VirtualMemoryWithContext(ctx); err == nil {
		out.Memory = nodemgmt.MemoryUsage{TotalBytes: clampInt(vm.Total), UsedBytes: clampInt(vm.Used),
			FreeBytes: clampInt(vm.Free), CachedBytes: clampInt(vm.Cached),
			SwapTotalBytes: clampInt(vm.SwapTotal)}
		if vm.SwapTotal >= vm.SwapFree {
			out.Memory.SwapUsedBytes = clampInt(vm.SwapTotal - vm.SwapFree)
		}
	} else {
		miss("memory", err)
	}

	if u, err := disk.UsageWithContext(ctx, s.opts.DiskPath); err == nil {
		out.Disk.TotalBytes, out.Disk.UsedBytes, out.Disk.FreeBytes = clampInt(u.Total), clampInt(u.Used), clampInt(u.Free)
		if out.Disk.UsedBytes > out.Disk.TotalBytes {
			out.Disk.UsedBytes = out.Disk.TotalBytes
		}
	} else {
		miss("disk_usage", err)
	}
	if s.diskDev != "" {
		if m, err := disk.IOCountersWithContext(ctx, s.diskDev); err == nil {
			cur.disk, cur.diskOK = m[s.diskDev]
		}
	}
	if !cur.diskOK {
		miss("disk_io", errors.New("no io counters for the device of "+s.opts.DiskPath))
	}

	if nics, err := net.IOCountersWithContext(ctx, true); err == nil {
		cur.nics, cur.nicsOK = nics, true
	} else {
		miss("network", err)
	}

	prev := s.prev
	s.prev = cur
	if prev == nil {
		s.mu.Lock()
		s.unavailable = missing
		s.mu.Unlock()
		return // the baseline: no rates yet
	}
	secs := cur.at.Sub(prev.at).Seconds()
	if secs <= 0 {
		return
	}
	if cur.cpuOK && prev.cpuOK {
		if dt := cur.cpuTotal - prev.cpuTotal; dt > 0 {
			out.CPU.UsagePercent = clamp((cur.cpuBusy-prev.cpuBusy)/dt*100, 0, 100)
		}
	}
	if cur.diskOK && prev.diskOK {
		out.Disk.ReadIOPS = rate(prev.disk.ReadCount, cur.disk.ReadCount, secs)
		out.Disk.WriteIOPS = rate(prev.disk.WriteCount, cur.disk.WriteCount, secs)
		out.Disk.ReadThroughputMBps = rate(prev.disk.ReadBytes, cur.disk.ReadBytes, secs) / 1e6
		out.Disk.WriteThroughputMBps = rate(prev.disk.WriteBytes, cur.disk.WriteBytes, secs) / 1e6
	}
	if cur.nicsOK {
		out.Network = networkUsage(prev.nics, cur.nics, secs)
	}
	s.mu.Lock()
	s.latest = &out
	s.unavailable = missing
	s.mu.Unlock()
}

// refreshSlow re-reads frequency and temperature.
func (s *Source) refreshSlow(ctx context.Context) {
	s.freqMHz = 0
	if infos, err := cpu.InfoWithContext(ctx); err == nil {
		var sum float64
		var n int
		for _, i := range infos {
			if i.Mhz > 0 {
				sum += i.Mhz
				n++
			}
		}
		if n > 0 {
			s.freqMHz = math.Round(sum / float64(n))
		}
	}
	s.tempC = nil
	// SensorsTemperatures reports partial failures as warnings next to the readings it got;
	// a host without sensors returns none, which is "unavailable", not an error.
	temps, _ := host.SensorsTemperaturesWithContext(ctx)
	s.tempC = cpuTemperature(temps)
}

// cpuTemperature picks the hottest cpu sensor, or the hottest sensor of any kind when none is
// labelled as the cpu's; nil when there is no plausible reading.
func cpuTemperature(temps []host.TemperatureStat) *float64 {
	var best, any *float64
	for _, t := range temps {
		v := t.Temperature
		if v <= 0 || v > 150 {
			continue
		}
		k := strings.ToLower(t.SensorKey)
		if strings.Contains(k, "core") || strings.Contains(k, "cpu") || strings.Contains(k, "package") ||
			strings.Contains(k, "k10temp") || strings.Contains(k, "tctl") || strings.Contains(k, "x86_pkg") {
			if best == nil || v > *best {
				best = &v
			}
		}
		if any == nil || v > *any {
			any = &v
		}
	}
	if best != nil {
		return best
	}
	return any
}

// busyTimes returns total and busy cpu seconds (idle and iowait are not busy; guest time is
// already part of user time on Linux).
func busyTimes(t cpu.TimesStat) (total, busy float64) {
	total = t.User + t.System + t.Idle + t.Nice + t.Iowait + t.Irq + t.Softirq + t.Steal
	return total, total - t.Idle - t.Iowait
}

// networkUsage builds the network part of a sample: counters as read, rates from the deltas
// to prev. Loopback is listed per interface but left out of the totals; at most
// nodemgmt.MaxSampleInterfaces interfaces are listed.
func networkUsage(prev, cur []net.IOCountersStat, secs float64) nodemgmt.NetworkUsage {
	before := make(map[string]net.IOCountersStat, len(prev))
	for _, p := range prev {
		before[p.Name] = p
	}
	var out nodemgmt.NetworkUsage
	for _, c := range cur {
		i := nodemgmt.InterfaceUsage{Name: c.Name, BytesIn: clampInt(c.BytesRecv), BytesOut: clampInt(c.BytesSent),
			PacketsIn: clampInt(c.PacketsRecv), PacketsOut: clampInt(c.PacketsSent),
			ErrorsIn: clampInt(c.Errin), ErrorsOut: clampInt(c.Errout)}
		if p, ok := before[c.Name]; ok {
			i.InMbps = rate(p.BytesRecv, c.BytesRecv, secs) * 8 / 1e6
			i.OutMbps = rate(p.BytesSent, c.BytesSent, secs) * 8 / 1e6
		}
		// The list is bounded like a reported sample's; the totals still cover every interface.
		if len(out.Interfaces) < nodemgmt.MaxSampleInterfaces {
			out.Interfaces = append(out.Interfaces, i)
		}
		if c.Name == "lo" || c.Name == "lo0" {
			continue
		}
		out.TotalBytesIn += i.BytesIn
		out.TotalBytesOut += i.BytesOut
		out.PacketsIn += i.PacketsIn
		out.PacketsOut += i.PacketsOut
		out.ErrorsIn += i.ErrorsIn
		out.ErrorsOut += i.ErrorsOut
		out.InMbps += i.InMbps
		out.OutMbps += i.OutMbps
	}
	return out
}

// rate is the per-second increase of a counter; a counter that went backwards (reset, wrap)
// gives 0 rather than a huge or negative value.
func rate(prev, cur uint64, secs float64) float64 {
	if cur < prev || secs <= 0 {
		return 0
	}
	return float64(cur-prev) / secs
}

func clampInt(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

var _ nodemgmt.MetricsSource = (*Source)(nil)
