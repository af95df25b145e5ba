package nodemgmt

import (
	"math"
	"time"
)

// Resource names a monitored resource that has thresholds and alerts.
type Resource string

// Monitored resources.
const (
	ResourceCPU     Resource = "cpu"
	ResourceMemory  Resource = "memory"
	ResourceDisk    Resource = "disk"
	ResourceNetwork Resource = "network"
	ResourceGPU     Resource = "gpu"
)

// Resources lists every monitored resource in a fixed order.
var Resources = []Resource{ResourceCPU, ResourceMemory, ResourceDisk, ResourceNetwork, ResourceGPU}

// AlertLevel is the severity of an alert.
type AlertLevel string

// Alert levels; the zero value means "no alert".
const (
	LevelWarning  AlertLevel = "warning"
	LevelCritical AlertLevel = "critical"
)

// Threshold is the pair of limits of one resource, in percent (see Thresholds).
type Threshold struct {
	Warning  float64 `json:"warning"`
	Critical float64 `json:"critical"`
}

// Thresholds are a node's alert limits per resource. Every value is a percentage 0–100:
//   - cpu: cpu.usage_percent
//   - memory: memory.used_bytes / memory.total_bytes
//   - disk: disk.used_bytes / disk.total_bytes
//   - network: max(in_mbps, out_mbps) / the sum of the node's hardware interface speeds
//     (links are full duplex, so each direction has the full capacity); not evaluated when the
//     node declares no speed
//   - gpu: gpu.usage_percent; not evaluated for samples without a gpu
//
// Defaults (DefaultThresholds): cpu 80/95, memory 85/95, disk 85/95, network 80/95, gpu 90/98.
type Thresholds struct {
	NodeID    string    `json:"node_id"`
	CPU       Threshold `json:"cpu"`
	Memory    Threshold `json:"memory"`
	Disk      Threshold `json:"disk"`
	Network   Threshold `json:"network"`
	GPU       Threshold `json:"gpu"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// DefaultThresholds returns the thresholds of a node that never set its own.
func DefaultThresholds(nodeID string) Thresholds {
	return Thresholds{
		NodeID:  nodeID,
		CPU:     Threshold{Warning: 80, Critical: 95},
		Memory:  Threshold{Warning: 85, Critical: 95},
		Disk:    Threshold{Warning: 85, Critical: 95},
		Network: Threshold{Warning: 80, Critical: 95},
		GPU:     Threshold{Warning: 90, Critical: 98},
	}
}

// For returns the threshold of one resource.
func (t *Thresholds) For(r Resource) Threshold {
	switch r {
	case ResourceCPU:
		return t.CPU
	case ResourceMemory:
		return t.Memory
	case ResourceDisk:
		return t.Disk
	case ResourceNetwork:
		return t.Network
	case ResourceGPU:
		return t.GPU
	}
	return Threshold{}
}

func (t *Thresholds) set(r Resource, th Threshold) {
	switch r {
	case ResourceCPU:
		t.CPU = th
	case ResourceMemory:
		t.Memory = th
	case ResourceDisk:
		t.Disk = th
	case ResourceNetwork:
		t.Network = th
	case ResourceGPU:
		t.GPU = th
	}
}

// Validate checks that every threshold is a finite percentage with warning < critical.
func (t *Thresholds) Validate() error {
	var v validationError
	for _, r := range Resources {
		validateThreshold(&v, string(r), t.For(r))
	}
	return v.err()
}

func validateThreshold(v *validationError, field string, th Threshold) {
	n := len(v.fields)
	checkPercent(v, field+".warning", th.Warning)
	checkPercent(v, field+".critical", th.Critical)
	if len(v.fields) == n && th.Warning >= th.Critical {
		v.add(field+".warning", "must be below critical")
	}
}

// ThresholdsUpdate is the body of PUT …/resources/thresholds. Resources left out keep their
// current thresholds (the defaults if the node never set any).
type ThresholdsUpdate struct {
	CPU     *Threshold `json:"cpu,omitempty"`
	Memory  *Threshold `json:"memory,omitempty"`
	Disk    *Threshold `json:"disk,omitempty"`
	Network *Threshold `json:"network,omitempty"`
	GPU     *Threshold `json:"gpu,omitempty"`
}

func (u *ThresholdsUpdate) apply(t *Thresholds) {
	for r, p := range map[Resource]*Threshold{ResourceCPU: u.CPU, ResourceMemory: u.Memory,
		ResourceDisk: u.Disk, ResourceNetwork: u.Network, ResourceGPU: u.GPU} {
		if p != nil {
			t.set(r, *p)
		}
	}
}

// Alert is raised when a resource crosses a threshold and cleared when it recovers. At most one
// alert per node and resource is active (ClearedAt nil): going from warning to critical clears
// the warning and raises a critical alert, and going back from critical to warning does the
// reverse.
type Alert struct {
	ID       string     `json:"id"`
	NodeID   string     `json:"node_id"`
	Resource Resource   `json:"resource"`
	Level    AlertLevel `json:"level"`
	// Value is the measured percentage that raised the alert; Threshold is the limit it crossed.
	Value     float64    `json:"value"`
	Threshold float64    `json:"threshold"`
	RaisedAt  time.Time  `json:"raised_at"`
	ClearedAt *time.Time `json:"cleared_at"`
}

// Active reports whether the alert has not been cleared.
func (a *Alert) Active() bool { return a.ClearedAt == nil }

// AlertEvent is what the Monitor reports to its OnAlert hook: an alert that was raised, or one
// that was cleared (recovery, or replaced by an alert of the other level).
type AlertEvent struct {
	Alert Alert
	// Raised is true for a newly raised alert, false for a cleared one.
	Raised bool
}

// DefaultHysteresis is how many percentage points below a threshold a value must fall before an
// alert at that threshold clears or downgrades, so that a value hovering at the limit does not
// raise and clear an alert on every sample.
const DefaultHysteresis = 2.0

// nextLevel is the alert level of a resource after observing value, given its current level
// ("" for none). Alerts are raised at value ≥ threshold and kept until the value falls below
// threshold − hysteresis.
func nextLevel(current AlertLevel, value float64, th Threshold, hysteresis float64) AlertLevel {
	switch {
	case value >= th.Critical:
		return LevelCritical
	case current == LevelCritical && value >= th.Critical-hysteresis:
		return LevelCritical
	case value >= th.Warning:
		return LevelWarning
	case current != "" && value >= th.Warning-hysteresis:
		return LevelWarning
	}
	return ""
}

// thresholdValue is the percentage a sample shows for a resource, and whether it can be
// evaluated at all (network needs the node's link capacity, gpu a gpu reading).
func thresholdValue(s *ResourceSample, r Resource, capacityMbps float64) (float64, bool) {
	var v float64
	switch r {
	case ResourceCPU:
		v = s.CPU.UsagePercent
	case ResourceMemory:
		if s.Memory.TotalBytes <= 0 {
			return 0, false
		}
		v = ratioPercent(s.Memory.UsedBytes, s.Memory.TotalBytes)
	case ResourceDisk:
		if s.Disk.TotalBytes <= 0 {
			return 0, false
		}
		v = ratioPercent(s.Disk.UsedBytes, s.Disk.TotalBytes)
	case ResourceNetwork:
		if capacityMbps <= 0 {
			return 0, false
		}
		v = math.Max(s.Network.InMbps, s.Network.OutMbps) / capacityMbps * 100
	case ResourceGPU:
		if s.GPU == nil {
			return 0, false
		}
		v = s.GPU.UsagePercent
	default:
		return 0, false
	}
	return v, !math.IsNaN(v) && !math.IsInf(v, 0)
}
