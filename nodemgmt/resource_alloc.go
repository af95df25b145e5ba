package nodemgmt

import (
	"math"
)

// AllocationRequest is the body of POST …/resources/allocate. It uses the field names of
// resource_limits; the HTTP layer decodes it with unknown fields refused. The request replaces
// the node's previous reservation; a zero field reserves nothing of that resource.
type AllocationRequest struct {
	CPUPercent  float64 `json:"cpu_percent"`
	MemoryBytes int64   `json:"memory_bytes"`
	DiskBytes   int64   `json:"disk_bytes"`
	NetworkMbps float64 `json:"network_mbps"`
}

// Validate checks the form of the request (finite, not negative). Whether it fits the node is
// decided by Monitor.Allocate.
func (r *AllocationRequest) Validate() error {
	var v validationError
	checkRange(&v, "cpu_percent", r.CPUPercent, 0, math.MaxFloat64)
	checkCounter(&v, "memory_bytes", r.MemoryBytes)
	checkCounter(&v, "disk_bytes", r.DiskBytes)
	checkRange(&v, "network_mbps", r.NetworkMbps, 0, math.MaxFloat64)
	return v.err()
}

// AllocationViolation is one resource of a request that does not fit, in the details of a
// LUCID_ERR_5009 or LUCID_ERR_5004 error.
type AllocationViolation struct {
	Resource  string  `json:"resource"`
	Requested float64 `json:"requested"`
	// Available is the hardware capacity (5009) or the configured cap (5004).
	Available float64 `json:"available"`
	// Scope is "hardware", "node" (the node's configuration.resource_limits) or "pool" (the
	// pool's per-node resource_limits).
	Scope string `json:"scope"`
}

// networkCapacityMbps is the sum of the node's interface speeds.
func networkCapacityMbps(n *Node) float64 {
	var sum float64
	for _, i := range n.HardwareInfo.Network {
		sum += float64(i.SpeedMbps)
	}
	return sum
}

// hardwareViolations lists what of r exceeds the node's hardware: cpu over 100 % of the
// machine, memory over hardware_info.memory.total_bytes, disk over
// hardware_info.storage.total_bytes, network over the sum of the interface speeds.
func hardwareViolations(n *Node, r *AllocationRequest) []AllocationViolation {
	var out []AllocationViolation
	add := func(res string, req, avail float64) {
		if req > avail {
			out = append(out, AllocationViolation{Resource: res, Requested: req, Available: avail, Scope: "hardware"})
		}
	}
	add("cpu_percent", r.CPUPercent, 100)
	add("memory_bytes", float64(r.MemoryBytes), float64(n.HardwareInfo.Memory.TotalBytes))
	add("disk_bytes", float64(r.DiskBytes), float64(n.HardwareInfo.Storage.TotalBytes))
	add("network_mbps", r.NetworkMbps, networkCapacityMbps(n))
	return out
}

// limitViolations lists what of r exceeds the caps in lim. A zero cap means "not capped", as a
// zero field of resource_limits is what an operator who set only some limits sends.
func limitViolations(lim *ResourceLimits, r *AllocationRequest, scope string) []AllocationViolation {
	if lim == nil {
		return nil
	}
	var out []AllocationViolation
	add := func(res string, req, limit float64) {
		if limit > 0 && req > limit {
			out = append(out, AllocationViolation{Resource: res, Requested: req, Available: limit, Scope: scope})
		}
	}
	add("cpu_percent", r.CPUPercent, lim.CPUPercent)
	add("memory_bytes", float64(r.MemoryBytes), float64(lim.MemoryBytes))
	add("disk_bytes", float64(r.DiskBytes), float64(lim.DiskBytes))
	add("network_mbps", r.NetworkMbps, lim.NetworkMbps)
	return out
}
