package refserver

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

// FuzzReportResources posts arbitrary bodies to POST …/resources/metrics with the node's worker
// token: the answer is 201 or a client error in the SPEC shape (never 5xx), and a sample is
// stored exactly when the answer is 201.
func FuzzReportResources(f *testing.F) {
	e := newResEnv(f)
	now := e.clock.Now()
	f.Add([]byte(sampleJSON(f, now, 10, nil)))
	f.Add([]byte(sampleJSON(f, now.Add(-time.Minute), 100, func(m map[string]any) { m["gpu"] = map[string]any{"usage_percent": 5} })))
	f.Add([]byte(sampleJSON(f, now, 10, func(m map[string]any) { m["memory"].(map[string]any)["used_bytes"] = -1 })))
	ts := now.Add(-time.Hour).Format(time.RFC3339)
	f.Add([]byte(`{"timestamp":"` + ts + `","cpu":{"load_average":[1,2,3]}}`))
	f.Add([]byte(`{"timestamp":"` + ts + `","cpu":{"usage_percent":1e309}}`))
	f.Add([]byte(`{"timestamp":"` + ts + `"} []`))
	f.Fuzz(func(t *testing.T, body []byte) {
		e := &resEnv{env: e.with(t), clock: e.clock, node: e.node, worker: e.worker}
		count := func() int64 {
			pts, err := e.srv.Monitor().Metrics(context.Background(), e.node, nodemgmt.MetricsQuery{Granularity: "1h",
				Start: now.Add(-89 * 24 * time.Hour), End: now.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			var n int64
			for _, p := range pts.Points {
				n += p.Samples
			}
			return n
		}
		before := count()
		r := e.report(e.worker, e.node, string(body))
		switch {
		case r.Code == http.StatusCreated:
			if got := count(); got != before+1 {
				t.Fatalf("201 but %d samples stored (was %d)", got, before)
			}
		case r.Code == 400 || r.Code == 409 || r.Code == 413 || r.Code == 415:
			r.errCode(t)
			if got := count(); got != before {
				t.Fatalf("refused with %d but the sample count moved from %d to %d", r.Code, before, got)
			}
		default:
			t.Fatalf("answered %d: %s", r.Code, r.Body)
		}
	})
}
