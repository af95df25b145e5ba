package rowcodec

import (
	"encoding/json"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/internal/clone"
)

// Sample is a resource sample in column form: the whole sample as JSON for the latest-sample
// row, and its metric values for the raw and hourly rows that aggregates read.
type Sample struct {
	// Sample is the caller's sample with its timestamp in the stored form, so the JSON document
	// and the timestamp columns agree.
	Sample nodemgmt.ResourceSample
	// Doc is the JSON of Sample.
	Doc []byte
	// Values holds one value per nodemgmt.MetricTypes entry, in that order: the tables' four
	// metric columns.
	Values [4]float64
}

// EncodeSample normalises a copy of in and encodes it; in is not changed.
func EncodeSample(in *nodemgmt.ResourceSample) (Sample, error) {
	var e Sample
	e.Sample = *in
	e.Sample.Timestamp = clone.Norm(e.Sample.Timestamp)
	doc, err := json.Marshal(&e.Sample)
	if err != nil {
		return Sample{}, err
	}
	e.Doc = doc
	for i, t := range nodemgmt.MetricTypes {
		e.Values[i] = e.Sample.MetricValue(t)
	}
	return e, nil
}

// DecodeSample reads a latest-sample document; the timestamp comes back in UTC like every
// other stored time.
func DecodeSample(doc []byte) (*nodemgmt.ResourceSample, error) {
	var out nodemgmt.ResourceSample
	if err := json.Unmarshal(doc, &out); err != nil {
		return nil, err
	}
	out.Timestamp = out.Timestamp.UTC()
	return &out, nil
}

// EncodeThresholds is the JSON thresholds column of t. UpdatedAt and UpdatedBy are left out:
// they have columns of their own, and one source of truth keeps them from disagreeing.
func EncodeThresholds(t *nodemgmt.Thresholds) ([]byte, error) {
	c := *t
	c.UpdatedAt, c.UpdatedBy = time.Time{}, ""
	return json.Marshal(&c)
}

// DecodeThresholds reads the JSON thresholds column; the caller fills NodeID, UpdatedAt and
// UpdatedBy from their columns.
func DecodeThresholds(doc []byte) (nodemgmt.Thresholds, error) {
	var t nodemgmt.Thresholds
	err := json.Unmarshal(doc, &t)
	return t, err
}
