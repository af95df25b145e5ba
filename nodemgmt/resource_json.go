package nodemgmt

import (
	"errors"
	"math"
	"strconv"
	"time"
)

// MarshalJSON encodes a point exactly as encoding/json would encode its fields, without
// reflection: a 7-day query at 5 minutes answers 2,016 points, and the reflective encoder spent
// more time on them than the database spent computing them.
func (p MetricPoint) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 112)
	b = append(b, `{"timestamp":"`...)
	if y := p.Start.Year(); y < 0 || y >= 10000 {
		return nil, errors.New("MetricPoint.MarshalJSON: year outside of range [0,9999]")
	}
	b = p.Start.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","samples":`...)
	b = strconv.AppendInt(b, p.Samples, 10)
	var err error
	for _, f := range []struct {
		key string
		v   float64
	}{{`,"avg":`, p.Avg}, {`,"min":`, p.Min}, {`,"max":`, p.Max}} {
		b = append(b, f.key...)
		if b, err = appendJSONFloat(b, f.v); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendJSONFloat formats f as encoding/json does for a float64.
func appendJSONFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, errors.New("json: unsupported value: " + strconv.FormatFloat(f, 'g', -1, 64))
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}
