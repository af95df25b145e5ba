package nodemgmt

import (
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Status is a node's lifecycle status: what operators asked of it.
type Status string

// Lifecycle statuses.
const (
	StatusInactive    Status = "inactive"
	StatusStarting    Status = "starting"
	StatusActive      Status = "active"
	StatusStopping    Status = "stopping"
	StatusMaintenance Status = "maintenance"
	StatusError       Status = "error"
)

// Valid reports whether s is one of the lifecycle statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusInactive, StatusStarting, StatusActive, StatusStopping, StatusMaintenance, StatusError:
		return true
	}
	return false
}

// Health is a node's liveness as proven by heartbeats, separate from its lifecycle status.
type Health string

// Health states.
const (
	HealthHealthy Health = "healthy"
	HealthUnknown Health = "unknown"
	HealthDown    Health = "down"
)

// Valid reports whether h is one of the health states.
func (h Health) Valid() bool { return h == HealthHealthy || h == HealthUnknown || h == HealthDown }

// NodeType is the kind of work a node does.
type NodeType string

// Node types.
const (
	NodeTypeWorker    NodeType = "worker"
	NodeTypeValidator NodeType = "validator"
	NodeTypeStorage   NodeType = "storage"
	NodeTypeCompute   NodeType = "compute"
)

// Valid reports whether t is one of the node types.
func (t NodeType) Valid() bool {
	switch t {
	case NodeTypeWorker, NodeTypeValidator, NodeTypeStorage, NodeTypeCompute:
		return true
	}
	return false
}

// Node is one registered worker machine.
type Node struct {
	NodeID        string         `json:"node_id"`
	Name          string         `json:"name"`
	Status        Status         `json:"status"`
	NodeType      NodeType       `json:"node_type"`
	PoolID        string         `json:"pool_id,omitempty"`
	HardwareInfo  HardwareInfo   `json:"hardware_info"`
	Location      *Location      `json:"location,omitempty"`
	Configuration *Configuration `json:"configuration,omitempty"`
	// PootScore is the node's current PoOT score (0–100, two decimals).
	PootScore     float64    `json:"poot_score"`
	LastHeartbeat *time.Time `json:"last_heartbeat"`
	// UptimeSince is the node's first heartbeat; UpSeconds is the time since then that the node
	// was covered by heartbeats arriving within the TTL. Together they give Uptime, a fact the
	// server measured itself (PoOT scoring uses it; nodes cannot claim it).
	UptimeSince *time.Time `json:"uptime_since,omitempty"`
	UpSeconds   int64      `json:"up_seconds"`
	Health      Health     `json:"health"`
	// HealthDeadline is when the node turns unknown unless it heartbeats again.
	HealthDeadline *time.Time `json:"health_deadline,omitempty"`
	// PublicKey is the node's ed25519 key (standard base64 of 32 bytes) for signed PoOT proofs.
	PublicKey   string           `json:"public_key,omitempty"`
	Maintenance *MaintenanceInfo `json:"maintenance,omitempty"`
	// StatusReason says why the node is in its status, when the system or an operator set it.
	StatusReason string    `json:"status_reason,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Uptime is the fraction (0–1) of the time since the node's first heartbeat that it was
// heartbeating within its TTL, as of now. A node that never heartbeated has uptime 0.
func (n *Node) Uptime(now time.Time) float64 {
	if n.UptimeSince == nil {
		return 0
	}
	span := now.Sub(*n.UptimeSince).Seconds()
	if span <= 0 {
		return 1
	}
	return min(1, max(0, float64(n.UpSeconds)/span))
}

// MaintenanceInfo records who put a node into maintenance or drain, why and when.
type MaintenanceInfo struct {
	By     string    `json:"by"`
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
	// Drain means the node finishes its current work but takes no new sessions.
	Drain bool `json:"drain"`
	// PreviousStatus is the status restored when maintenance ends.
	PreviousStatus Status `json:"previous_status,omitempty"`
}

// HardwareInfo describes a node's machine.
type HardwareInfo struct {
	CPU     CPUInfo       `json:"cpu"`
	Memory  MemoryInfo    `json:"memory"`
	Storage StorageInfo   `json:"storage"`
	GPU     *GPUInfo      `json:"gpu,omitempty"`
	Network []NetworkInfo `json:"network"`
	// Signature is an optional hardware attestation; stored encrypted at rest.
	Signature string `json:"signature,omitempty"`
}

// CPUInfo describes the processor.
type CPUInfo struct {
	Cores        int    `json:"cores"`
	FrequencyMHz int    `json:"frequency_mhz"`
	Architecture string `json:"architecture"`
}

// MemoryInfo describes main memory.
type MemoryInfo struct {
	TotalBytes int64  `json:"total_bytes"`
	Type       string `json:"type"`
}

// StorageInfo describes the node's storage.
type StorageInfo struct {
	TotalBytes int64  `json:"total_bytes"`
	Type       string `json:"type"`
	Interface  string `json:"interface"`
}

// GPUInfo describes an optional accelerator.
type GPUInfo struct {
	Model             string `json:"model"`
	MemoryBytes       int64  `json:"memory_bytes"`
	ComputeCapability string `json:"compute_capability"`
}

// NetworkInfo describes one network interface.
type NetworkInfo struct {
	Interface  string `json:"interface"`
	SpeedMbps  int    `json:"speed_mbps"`
	MACAddress string `json:"mac_address"`
}

// Location is where a node runs.
type Location struct {
	Country     string       `json:"country"`
	Region      string       `json:"region"`
	City        string       `json:"city"`
	Timezone    string       `json:"timezone"`
	Coordinates *Coordinates `json:"coordinates,omitempty"`
}

// Coordinates are a WGS84 position.
type Coordinates struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// Configuration is how a node is run.
type Configuration struct {
	MaxSessions       int                `json:"max_sessions"`
	ResourceLimits    *ResourceLimits    `json:"resource_limits,omitempty"`
	AutoScaling       bool               `json:"auto_scaling"`
	MaintenanceWindow *MaintenanceWindow `json:"maintenance_window,omitempty"`
}

// ResourceLimits caps what a node (or each node of a pool) may use.
type ResourceLimits struct {
	CPUPercent  float64 `json:"cpu_percent"`
	MemoryBytes int64   `json:"memory_bytes"`
	DiskBytes   int64   `json:"disk_bytes"`
	NetworkMbps float64 `json:"network_mbps"`
}

// MaintenanceWindow is a daily window in which the node may be taken down.
type MaintenanceWindow struct {
	StartHour     int `json:"start_hour"`
	DurationHours int `json:"duration_hours"`
}

// Field limits from the specification.
const (
	GiB             = int64(1) << 30
	TiB             = int64(1) << 40
	minMemoryBytes  = GiB
	maxMemoryBytes  = TiB
	minStorageBytes = int64(10_000_000_000)      // 10 GB
	maxStorageBytes = int64(100_000_000_000_000) // 100 TB
)

var (
	nodeIDPattern = regexp.MustCompile(`^node_[a-zA-Z0-9_-]+$`)
	poolIDPattern = regexp.MustCompile(`^pool_[a-zA-Z0-9_-]+$`)
	namePattern   = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	macPattern    = regexp.MustCompile(`^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$`)
)

// reservedNodePrefixes and reservedPoolPrefixes may never be used by clients.
var (
	reservedNodePrefixes = []string{"node_system_", "node_admin_", "node_test_"}
	reservedPoolPrefixes = []string{"pool_system_", "pool_admin_", "pool_test_"}
)

// ValidNodeID reports whether id has the node id form (pattern and 8–64 characters).
func ValidNodeID(id string) bool {
	return len(id) >= 8 && len(id) <= 64 && nodeIDPattern.MatchString(id)
}

// ValidPoolID reports whether id has the pool id form (pattern and 8–64 characters).
func ValidPoolID(id string) bool {
	return len(id) >= 8 && len(id) <= 64 && poolIDPattern.MatchString(id)
}

// ReservedNodeID reports whether id uses a prefix reserved for the system.
func ReservedNodeID(id string) bool { return hasAnyPrefix(id, reservedNodePrefixes) }

// ReservedPoolID reports whether id uses a prefix reserved for the system.
func ReservedPoolID(id string) bool { return hasAnyPrefix(id, reservedPoolPrefixes) }

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func validateName(v *validationError, field, name string) {
	switch {
	case len(name) < 3 || len(name) > 100:
		v.add(field, "must be 3–100 characters")
	case !namePattern.MatchString(name):
		v.add(field, "may contain only letters, digits, '_' and '-'")
	}
}

func validateHardware(v *validationError, h *HardwareInfo) {
	if h.CPU.Cores < 1 || h.CPU.Cores > 128 {
		v.add("hardware_info.cpu.cores", "must be 1–128")
	}
	if h.CPU.FrequencyMHz < 0 || h.CPU.FrequencyMHz > 10_000 {
		v.add("hardware_info.cpu.frequency_mhz", "must be 0–10000")
	}
	checkText(v, "hardware_info.cpu.architecture", h.CPU.Architecture, 32)
	if h.Memory.TotalBytes < minMemoryBytes || h.Memory.TotalBytes > maxMemoryBytes {
		v.add("hardware_info.memory.total_bytes", "must be 1 GiB–1 TiB")
	}
	checkText(v, "hardware_info.memory.type", h.Memory.Type, 32)
	if h.Storage.TotalBytes < minStorageBytes || h.Storage.TotalBytes > maxStorageBytes {
		v.add("hardware_info.storage.total_bytes", "must be 10 GB–100 TB")
	}
	switch h.Storage.Type {
	case "SSD", "HDD", "NVMe":
	default:
		v.add("hardware_info.storage.type", "must be SSD, HDD or NVMe")
	}
	checkText(v, "hardware_info.storage.interface", h.Storage.Interface, 32)
	if g := h.GPU; g != nil {
		checkText(v, "hardware_info.gpu.model", g.Model, 100)
		if g.MemoryBytes < 0 || g.MemoryBytes > maxMemoryBytes {
			v.add("hardware_info.gpu.memory_bytes", "must be 0–1 TiB")
		}
		checkText(v, "hardware_info.gpu.compute_capability", g.ComputeCapability, 16)
	}
	if len(h.Network) == 0 {
		v.add("hardware_info.network", "at least one interface is required")
	}
	if len(h.Network) > 64 {
		v.add("hardware_info.network", "at most 64 interfaces")
	}
	for i, n := range h.Network {
		if n.Interface == "" {
			v.add(indexed("hardware_info.network", i, "interface"), "is required")
		}
		checkText(v, indexed("hardware_info.network", i, "interface"), n.Interface, 64)
		if n.SpeedMbps < 0 || n.SpeedMbps > 1_000_000 {
			v.add(indexed("hardware_info.network", i, "speed_mbps"), "must be 0–1000000")
		}
		if n.MACAddress != "" && !macPattern.MatchString(n.MACAddress) {
			v.add(indexed("hardware_info.network", i, "mac_address"), "must be six hex octets")
		}
	}
	checkText(v, "hardware_info.signature", h.Signature, 1024)
}

func validateLocation(v *validationError, l *Location) {
	if l == nil {
		return
	}
	checkText(v, "location.country", l.Country, 64)
	checkText(v, "location.region", l.Region, 64)
	checkText(v, "location.city", l.City, 64)
	checkText(v, "location.timezone", l.Timezone, 64)
	if l.Timezone != "" {
		if _, err := time.LoadLocation(l.Timezone); err != nil {
			v.add("location.timezone", "unknown time zone")
		}
	}
	if c := l.Coordinates; c != nil {
		if c.Latitude < -90 || c.Latitude > 90 {
			v.add("location.coordinates.latitude", "must be -90–90")
		}
		if c.Longitude < -180 || c.Longitude > 180 {
			v.add("location.coordinates.longitude", "must be -180–180")
		}
	}
}

func validateConfiguration(v *validationError, c *Configuration) {
	if c == nil {
		return
	}
	if c.MaxSessions < 0 || c.MaxSessions > 10_000 {
		v.add("configuration.max_sessions", "must be 0–10000")
	}
	validateLimits(v, "configuration.resource_limits", c.ResourceLimits)
	if w := c.MaintenanceWindow; w != nil {
		if w.StartHour < 0 || w.StartHour > 23 {
			v.add("configuration.maintenance_window.start_hour", "must be 0–23")
		}
		if w.DurationHours < 1 || w.DurationHours > 24 {
			v.add("configuration.maintenance_window.duration_hours", "must be 1–24")
		}
	}
}

func validateLimits(v *validationError, field string, r *ResourceLimits) {
	if r == nil {
		return
	}
	if r.CPUPercent < 0 || r.CPUPercent > 100 {
		v.add(field+".cpu_percent", "must be 0–100")
	}
	if r.MemoryBytes < 0 || r.MemoryBytes > maxMemoryBytes {
		v.add(field+".memory_bytes", "must be 0–1 TiB")
	}
	if r.DiskBytes < 0 || r.DiskBytes > maxStorageBytes {
		v.add(field+".disk_bytes", "must be 0–100 TB")
	}
	if r.NetworkMbps < 0 || r.NetworkMbps > 1_000_000 {
		v.add(field+".network_mbps", "must be 0–1000000")
	}
}

func validatePublicKey(v *validationError, key string) {
	if key == "" {
		return
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(key)
	if err != nil || len(raw) != 32 {
		v.add("public_key", "must be the standard base64 of a 32-byte ed25519 key")
	}
}

// checkText refuses free text that is too long or carries control characters or markup.
func checkText(v *validationError, field, s string, max int) {
	if len(s) > max {
		v.add(field, "must be at most %d bytes", max)
		return
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '<' || r == '>' {
			v.add(field, "contains a forbidden character")
			return
		}
	}
}

func indexed(prefix string, i int, field string) string {
	return prefix + "[" + strconv.Itoa(i) + "]." + field
}
