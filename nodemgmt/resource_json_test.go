package nodemgmt

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMetricPointJSON checks the hand-written encoding against encoding/json's own on the same
// fields, over floats in both of its formats.
func TestMetricPointJSON(t *testing.T) {
	t.Parallel()
	type plain MetricPoint // no MarshalJSON: encoding/json's reflective form
	floats := []float64{0, 1, -1, 0.1, 43.123456789, 99.99999999999999, 1e-7, 1.5e-9, 1e-6, 1e20, 1e21, 1.234e300,
		-2.5e-10, 5e-324, math.MaxFloat64, 100}
	times := []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)),
	}
	for i, f := range floats {
		p := MetricPoint{Start: times[i%len(times)], Samples: int64(i * 7), Avg: f, Min: -f / 3, Max: f / 2}
		got, err := json.Marshal(p)
		require.NoError(t, err)
		want, err := json.Marshal(plain(p))
		require.NoError(t, err)
		assert.JSONEq(t, string(want), string(got))
		assert.Equal(t, string(want), string(got), "byte-identical for %g", f)

		var back MetricPoint
		require.NoError(t, json.Unmarshal(got, &back))
		assert.True(t, back.Start.Equal(p.Start))
	}
	_, err := json.Marshal(MetricPoint{Avg: math.NaN()})
	assert.Error(t, err)
	_, err = json.Marshal(MetricPoint{Max: math.Inf(1)})
	assert.Error(t, err)
}
