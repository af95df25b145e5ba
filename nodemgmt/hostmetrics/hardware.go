package hostmetrics

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/shirou/gopsutil/v3/cpu"
	"github.com/shirou/gopsutil/v3/disk"
	"github.com/shirou/gopsutil/v3/mem"
	"github.com/shirou/gopsutil/v3/net"
)

// Hardware describes the local host as a node's hardware_info, for an agent that registers its
// machine: logical cores, the first processor's nominal frequency, the architecture, total
// memory, the size of the file system at diskPath (default "/") with its device type (NVMe by
// name, HDD when the kernel reports a rotational device, SSD otherwise), and every
// non-loopback interface that is up with its MAC address and link speed (0 when the kernel
// does not tell it, as for virtual interfaces). Values are clamped to what nodemgmt accepts
// (cores 1–128, frequency ≤ 10,000 MHz, at most 64 interfaces); a host too small for the
// registry's memory or storage minimums is reported as it is and refused by the server.
func Hardware(ctx context.Context, diskPath string) (nodemgmt.HardwareInfo, error) {
	var h nodemgmt.HardwareInfo
	if diskPath == "" {
		diskPath = "/"
	}
	cores, err := cpu.CountsWithContext(ctx, true)
	if err != nil {
		return h, fmt.Errorf("hostmetrics: cpu count: %w", err)
	}
	h.CPU.Cores = min(max(cores, 1), 128)
	if infos, err := cpu.InfoWithContext(ctx); err == nil && len(infos) > 0 {
		h.CPU.FrequencyMHz = int(math.Min(math.Max(infos[0].Mhz, 0), 10_000))
	}
	h.CPU.Architecture = runtime.GOARCH

	vm, err := mem.VirtualMemoryWithContext(ctx)
	if err != nil {
		return h, fmt.Errorf("hostmetrics: memory: %w", err)
	}
	h.Memory.TotalBytes = clampInt(vm.Total)

	abs, err := filepath.Abs(diskPath)
	if err != nil {
		return h, err
	}
	du, err := disk.UsageWithContext(ctx, abs)
	if err != nil {
		return h, fmt.Errorf("hostmetrics: disk usage of %s: %w", abs, err)
	}
	h.Storage.TotalBytes = clampInt(du.Total)
	h.Storage.Type = storageType(deviceOf(ctx, abs))

	ifs, err := net.InterfacesWithContext(ctx)
	if err != nil {
		return h, fmt.Errorf("hostmetrics: interfaces: %w", err)
	}
	var loopback []nodemgmt.NetworkInfo
	for _, i := range ifs {
		if len(i.Name) > 64 || !hasFlag(i.Flags, "up") {
			continue
		}
		n := nodemgmt.NetworkInfo{Interface: i.Name, SpeedMbps: linkSpeedMbps(i.Name)}
		if mac := strings.ToLower(i.HardwareAddr); len(mac) == 17 {
			n.MACAddress = mac
		}
		if hasFlag(i.Flags, "loopback") {
			loopback = append(loopback, n)
			continue
		}
		if len(h.Network) < 64 {
			h.Network = append(h.Network, n)
		}
	}
	if len(h.Network) == 0 && len(loopback) > 0 {
		// A node must declare an interface; a host with only loopback declares that.
		h.Network = loopback[:1]
	}
	return h, nil
}

func hasFlag(flags []string, f string) bool {
	for _, x := range flags {
		if x == f {
			return true
		}
	}
	return false
}

// storageType classifies a block device by its name and the kernel's rotational flag.
func storageType(dev string) string {
	switch {
	case strings.HasPrefix(dev, "nvme"):
		return "NVMe"
	case dev == "":
		return "SSD"
	}
	// Partitions (sda1) carry the flag on their parent device (sda).
	for _, name := range []string{dev, strings.TrimRight(dev, "0123456789")} {
		if b, err := os.ReadFile(filepath.Join("/sys/block", name, "queue/rotational")); err == nil {
			if strings.TrimSpace(string(b)) == "1" {
				return "HDD"
			}
			return "SSD"
		}
	}
	return "SSD"
}

// linkSpeedMbps reads the negotiated link speed from sysfs (Linux); 0 when unknown.
func linkSpeedMbps(iface string) int {
	b, err := os.ReadFile(filepath.Join("/sys/class/net", iface, "speed"))
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 0 || n > 1_000_000 {
		return 0
	}
	return n
}
