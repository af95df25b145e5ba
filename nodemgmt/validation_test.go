package nodemgmt

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ValidCreateRequest returns a request that passes every rule; tests mutate one field at a time.
func validCreateRequest() CreateNodeRequest {
	return CreateNodeRequest{
		Name:     "worker-01",
		NodeType: NodeTypeWorker,
		HardwareInfo: HardwareInfo{
			CPU:     CPUInfo{Cores: 8, FrequencyMHz: 3200, Architecture: "x86_64"},
			Memory:  MemoryInfo{TotalBytes: 16 * GiB, Type: "DDR4"},
			Storage: StorageInfo{TotalBytes: 500_000_000_000, Type: "NVMe", Interface: "PCIe"},
			Network: []NetworkInfo{{Interface: "eth0", SpeedMbps: 1000, MACAddress: "00:1A:2b:3c:4d:5e"}},
		},
		Location: &Location{Country: "DE", City: "Berlin", Timezone: "Europe/Berlin",
			Coordinates: &Coordinates{Latitude: 52.52, Longitude: 13.40}},
	}
}

func TestCreateNodeRequestValidation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		field string
		mut   func(r *CreateNodeRequest)
	}{
		{"short name", "name", func(r *CreateNodeRequest) { r.Name = "ab" }},
		{"long name", "name", func(r *CreateNodeRequest) { r.Name = strings.Repeat("a", 101) }},
		{"script tag in name", "name", func(r *CreateNodeRequest) { r.Name = "<script>alert(1)</script>" }},
		{"sql in name", "name", func(r *CreateNodeRequest) { r.Name = "x'; DROP TABLE nodes;--" }},
		{"unknown type", "node_type", func(r *CreateNodeRequest) { r.NodeType = "miner" }},
		{"reserved pool", "pool_id", func(r *CreateNodeRequest) { r.PoolID = "pool_system_1" }},
		{"bad pool id", "pool_id", func(r *CreateNodeRequest) { r.PoolID = "poolx" }},
		{"zero cores", "hardware_info.cpu.cores", func(r *CreateNodeRequest) { r.HardwareInfo.CPU.Cores = 0 }},
		{"too many cores", "hardware_info.cpu.cores", func(r *CreateNodeRequest) { r.HardwareInfo.CPU.Cores = 129 }},
		{"small memory", "hardware_info.memory.total_bytes", func(r *CreateNodeRequest) { r.HardwareInfo.Memory.TotalBytes = GiB - 1 }},
		{"huge memory", "hardware_info.memory.total_bytes", func(r *CreateNodeRequest) { r.HardwareInfo.Memory.TotalBytes = TiB + 1 }},
		{"small storage", "hardware_info.storage.total_bytes", func(r *CreateNodeRequest) { r.HardwareInfo.Storage.TotalBytes = 9_999_999_999 }},
		{"storage type", "hardware_info.storage.type", func(r *CreateNodeRequest) { r.HardwareInfo.Storage.Type = "tape" }},
		{"no network", "hardware_info.network", func(r *CreateNodeRequest) { r.HardwareInfo.Network = nil }},
		{"bad mac", "hardware_info.network[0].mac_address", func(r *CreateNodeRequest) { r.HardwareInfo.Network[0].MACAddress = "zz" }},
		{"latitude", "location.coordinates.latitude", func(r *CreateNodeRequest) { r.Location.Coordinates.Latitude = 91 }},
		{"timezone", "location.timezone", func(r *CreateNodeRequest) { r.Location.Timezone = "Mars/Olympus" }},
		{"maintenance hour", "configuration.maintenance_window.start_hour", func(r *CreateNodeRequest) {
			r.Configuration = &Configuration{MaintenanceWindow: &MaintenanceWindow{StartHour: 24, DurationHours: 1}}
		}},
		{"cpu limit", "configuration.resource_limits.cpu_percent", func(r *CreateNodeRequest) {
			r.Configuration = &Configuration{ResourceLimits: &ResourceLimits{CPUPercent: 101}}
		}},
		{"public key size", "public_key", func(r *CreateNodeRequest) { r.PublicKey = base64.StdEncoding.EncodeToString(make([]byte, 31)) }},
		{"public key text", "public_key", func(r *CreateNodeRequest) { r.PublicKey = "not base64!" }},
	}
	ok := validCreateRequest()
	require.NoError(t, ok.Validate())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := validCreateRequest()
			tc.mut(&r)
			err := r.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrValidation)
			var de *Error
			require.ErrorAs(t, err, &de)
			fields := de.Details["fields"].([]FieldError)
			var names []string
			for _, f := range fields {
				names = append(names, f.Field)
			}
			assert.Contains(t, names, tc.field)
		})
	}
}

func TestIDRules(t *testing.T) {
	t.Parallel()
	assert.True(t, ValidNodeID("node_abc123"))
	assert.False(t, ValidNodeID("node_ab"), "shorter than 8")
	assert.False(t, ValidNodeID("node_"+strings.Repeat("a", 60)), "longer than 64")
	assert.False(t, ValidNodeID("node_a b c"))
	assert.False(t, ValidNodeID("pool_abcdef"))
	assert.True(t, ReservedNodeID("node_system_1"))
	assert.True(t, ReservedNodeID("node_test_1"))
	assert.False(t, ReservedNodeID("node_tester"))
	assert.True(t, ReservedPoolID("pool_admin_x"))
	for i := 0; i < 100; i++ {
		id := newID("node_")
		assert.True(t, ValidNodeID(id))
		assert.False(t, ReservedNodeID(id))
	}
}

func TestDecimalJSON(t *testing.T) {
	t.Parallel()
	for _, in := range []string{`1.5`, `"1.5"`, `0`, `"12345.12345678"`} {
		var d Decimal
		require.NoError(t, d.UnmarshalJSON([]byte(in)), in)
	}
	for _, in := range []string{`-1`, `1e3`, `"NaN"`, `1.123456789`, `"01"`, `""`, `null`, `true`} {
		var d Decimal
		assert.Error(t, d.UnmarshalJSON([]byte(in)), in)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	c := Cursor{CreatedAt: mustTime("2026-01-02T03:04:05.123456Z"), ID: "node_abc"}
	got, err := DecodeCursor(EncodeCursor(c))
	require.NoError(t, err)
	assert.True(t, c.CreatedAt.Equal(got.CreatedAt))
	assert.Equal(t, c.ID, got.ID)
	for _, bad := range []string{"", "!!", "bm8tcGlwZQ", EncodeCursor(Cursor{})[:3]} {
		_, err := DecodeCursor(bad)
		assert.Error(t, err, bad)
	}
}
