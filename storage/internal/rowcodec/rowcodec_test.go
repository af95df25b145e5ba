package rowcodec

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/seal"
)

func testSealer(t *testing.T) *seal.Sealer {
	t.Helper()
	s, err := seal.New(bytes.Repeat([]byte{7}, seal.KeySize))
	require.NoError(t, err)
	return s
}

func TestNodeRoundTrip(t *testing.T) {
	t.Parallel()
	s := testSealer(t)
	since := time.Date(2026, 1, 2, 3, 4, 5, 6789, time.FixedZone("x", 3600))
	for name, n := range map[string]nodemgmt.Node{
		"bare": {NodeID: "node_a", HardwareInfo: nodemgmt.HardwareInfo{Signature: "sig"}},
		"full": {NodeID: "node_b", PublicKey: "pk", Location: &nodemgmt.Location{Country: "DE"},
			Configuration: &nodemgmt.Configuration{}, Maintenance: &nodemgmt.MaintenanceInfo{By: "op", Since: since}},
	} {
		c, err := EncodeNode(s, &n)
		require.NoError(t, err, name)
		assert.Equal(t, n.Location == nil, c.Location == nil, name)
		assert.Equal(t, n.PublicKey == "", c.PublicKey == nil, name)
		got := nodemgmt.Node{NodeID: n.NodeID}
		require.NoError(t, DecodeNode(s, &got, c), name)
		want := n
		if want.Maintenance != nil {
			m := *want.Maintenance
			m.Since = since.UTC().Truncate(time.Microsecond)
			want.Maintenance = &m
		}
		assert.Equal(t, want, got, name)
	}
}

func TestNodeColumnsBoundToRow(t *testing.T) {
	t.Parallel()
	s := testSealer(t)
	c, err := EncodeNode(s, &nodemgmt.Node{NodeID: "node_a", PublicKey: "pk"})
	require.NoError(t, err)
	other := nodemgmt.Node{NodeID: "node_b"}
	assert.ErrorContains(t, DecodeNode(s, &other, c), "hardware_info")
	// The public key sealed for one row does not open as another row's either.
	c2, err := EncodeNode(s, &nodemgmt.Node{NodeID: "node_b"})
	require.NoError(t, err)
	c2.PublicKey = c.PublicKey
	assert.ErrorContains(t, DecodeNode(s, &other, c2), "public_key")
}

func TestJSONNull(t *testing.T) {
	t.Parallel()
	b, err := JSON(map[string]int{"a": 1}, true)
	require.NoError(t, err)
	assert.Nil(t, b)
	b, err = JSON(map[string]int{"a": 1}, false)
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":1}`, string(b))
}

func TestSampleAndThresholds(t *testing.T) {
	t.Parallel()
	in := &nodemgmt.ResourceSample{NodeID: "node_a", Timestamp: time.Date(2026, 3, 4, 5, 6, 7, 891, time.FixedZone("x", -7200))}
	e, err := EncodeSample(in)
	require.NoError(t, err)
	assert.Equal(t, 891, in.Timestamp.Nanosecond(), "the caller's sample is not changed")
	assert.Equal(t, in.Timestamp.UTC().Truncate(time.Microsecond), e.Sample.Timestamp)
	for i, m := range nodemgmt.MetricTypes {
		assert.Equal(t, e.Sample.MetricValue(m), e.Values[i])
	}
	got, err := DecodeSample(e.Doc)
	require.NoError(t, err)
	assert.Equal(t, &e.Sample, got)

	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	doc, err := EncodeThresholds(&nodemgmt.Thresholds{NodeID: "node_a", UpdatedAt: at, UpdatedBy: "op"})
	require.NoError(t, err)
	th, err := DecodeThresholds(doc)
	require.NoError(t, err)
	assert.True(t, th.UpdatedAt.IsZero(), "updated_at has its own column")
	assert.Empty(t, th.UpdatedBy)
}

func TestPoolColumns(t *testing.T) {
	t.Parallel()
	for name, p := range map[string]nodemgmt.Pool{
		"none set": {PoolID: "pool_a"},
		"some set": {PoolID: "pool_b", ResourceLimits: &nodemgmt.ResourceLimits{}, ScalingPolicy: &nodemgmt.ScalingPolicy{}},
	} {
		c, err := EncodePool(&p)
		require.NoError(t, err, name)
		assert.Equal(t, p.ResourceLimits == nil, c.Limits == nil, name)
		got := nodemgmt.Pool{PoolID: p.PoolID}
		require.NoError(t, DecodePool(&got, c), name)
		assert.Equal(t, p, got, name)
	}
	err := DecodePool(&nodemgmt.Pool{PoolID: "pool_c"}, PoolColumns{Pricing: []byte("[")})
	assert.ErrorContains(t, err, "pool pool_c")
}

func TestDecodeAuditDetails(t *testing.T) {
	t.Parallel()
	var e nodemgmt.AuditEntry
	require.NoError(t, DecodeAuditDetails(&e, nil))
	assert.Nil(t, e.Details, "NULL details stay absent")
	require.NoError(t, DecodeAuditDetails(&e, []byte(`{"k":"v"}`)))
	assert.Equal(t, "v", e.Details["k"])
	assert.Error(t, DecodeAuditDetails(&e, []byte("{")))
}
