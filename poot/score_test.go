package poot_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/poot"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// foldAll folds outcomes in time order into a State, as successive validations would.
func foldAll(p poot.Policy, hist []poot.Outcome) poot.State {
	sorted := slices.Clone(hist)
	slices.SortStableFunc(sorted, func(a, b poot.Outcome) int { return a.At.Compare(b.At) })
	var s poot.State
	for _, o := range sorted {
		s = p.Fold(s, o)
	}
	return s
}

// withHistory returns f with its Prior built from hist.
func withHistory(p poot.Policy, f poot.Facts, hist ...poot.Outcome) poot.Facts {
	f.Prior = foldAll(p, hist)
	return f
}

// Hand-computed values of the documented formula.
func TestScoreFormulaByHand(t *testing.T) {
	t.Parallel()
	p := poot.DefaultPolicy()
	passed := func(at time.Time, tim float64) poot.Outcome {
		return poot.Outcome{At: at, Passed: true, Timeliness: tim}
	}
	tests := []struct {
		name      string
		f         poot.Facts
		wantScore float64
		wantConf  float64
	}{
		{
			// R = 1.5/2 = 0.75, raw = 100·(0.45+0.25+0.15) = 85, cap = 77.5;
			// conf = 1/6 · (0.5 + 0.5/7).
			name:      "first honest keyed proof",
			f:         poot.Facts{Now: t0, NodeCreatedAt: t0.Add(-24 * time.Hour), Keyed: true, Uptime: 1, Current: passed(t0, 1)},
			wantScore: 77.5, wantConf: 0.0952,
		},
		{
			// n = 11, R = 11.5/12, raw = 100·(0.575+0.25+0.15) = 97.5, probation over; conf = 11/16.
			name: "ten earlier passes, a week old",
			f: withHistory(p, poot.Facts{Now: t0, NodeCreatedAt: t0.Add(-7 * 24 * time.Hour), Keyed: true, Uptime: 1, Current: passed(t0, 1)},
				passed(t0, 1), passed(t0, 1), passed(t0, 1), passed(t0, 1), passed(t0, 1), passed(t0, 1), passed(t0, 1), passed(t0, 1), passed(t0, 1), passed(t0, 1)),
			wantScore: 97.5, wantConf: 0.6875,
		},
		{
			// R = 0.5/2 = 0.25, T = 0, raw = 100·(0.15+0.25) = 40.
			name:      "failed keyed proof, no history",
			f:         poot.Facts{Now: t0, NodeCreatedAt: t0, Keyed: true, Uptime: 1, Current: poot.Outcome{At: t0}},
			wantScore: 40, wantConf: 0.0833,
		},
		{
			// One pass a half-life ago: w = 0.5, n = 1.5, R = 2/2.5 = 0.8, T = 1, raw = 88, cap = 80.
			name:      "forgetting factor",
			f:         withHistory(p, poot.Facts{Now: t0, NodeCreatedAt: t0.Add(-30 * 24 * time.Hour), Keyed: true, Uptime: 1, Current: passed(t0, 1)}, passed(t0.Add(-7*24*time.Hour), 1)),
			wantScore: 80, wantConf: 0.2308,
		},
		{
			// Unkeyed, half uptime: raw = 85·(0.45+0.125+0.15) = 61.625.
			name:      "unkeyed challenged proof with half uptime",
			f:         poot.Facts{Now: t0, NodeCreatedAt: t0.Add(-7 * 24 * time.Hour), Uptime: 0.5, Current: passed(t0, 1)},
			wantScore: 61.63, wantConf: 0.1417,
		},
		{
			// Two failures four half-lives ago weigh 2/16: n = 1.125, R = 1.5/2.125,
			// raw = 100·(0.6·0.70588 + 0.25 + 0.15/1.125) = 80.69, cap 77.5 (one pass).
			name:      "old failures are mostly forgotten",
			f:         withHistory(p, poot.Facts{Now: t0, NodeCreatedAt: t0.Add(-7 * 24 * time.Hour), Keyed: true, Uptime: 1, Current: passed(t0, 1)}, poot.Outcome{At: t0.Add(-28 * 24 * time.Hour)}, poot.Outcome{At: t0.Add(-28 * 24 * time.Hour)}),
			wantScore: 77.5, wantConf: 0.1837,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := p.Score(tc.f)
			assert.Equal(t, tc.wantScore, r.Score)
			assert.Equal(t, tc.wantConf, r.Confidence)
		})
	}
}

func TestTimeliness(t *testing.T) {
	t.Parallel()
	p := poot.DefaultPolicy()
	for _, tc := range []struct {
		lat  time.Duration
		want float64
	}{
		{-time.Second, 1}, {0, 1}, {10 * time.Second, 1}, {65 * time.Second, 0.5}, {2 * time.Minute, 0}, {time.Hour, 0},
	} {
		assert.InDelta(t, tc.want, p.Timeliness(tc.lat), 1e-12, tc.lat)
	}
}

func TestAnomaly(t *testing.T) {
	t.Parallel()
	p := poot.DefaultPolicy()
	flat := []float64{80, 80, 80, 80, 80, 80, 80, 80, 80, 80}
	for _, tc := range []struct {
		name  string
		score float64
		hist  []float64
		want  bool
		z     float64
	}{
		{"short history", 0, flat[:9], false, 0},
		{"same", 80, flat, false, 0},
		{"within the floor", 81, flat, false, 2},
		{"far below", 78, flat, true, -4},
		{"spread history", 90, []float64{70, 90, 70, 90, 70, 90, 70, 90, 70, 90}, false, 1},
		{"far above spread", 121, []float64{70, 90, 70, 90, 70, 90, 70, 90, 70, 90}, true, 4.1},
	} {
		flag, z := p.Anomaly(tc.score, tc.hist)
		assert.Equal(t, tc.want, flag, tc.name)
		assert.InDelta(t, tc.z, z, 1e-9, tc.name)
	}
}

func TestMetricsScore(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		m    poot.OutputTimeMetrics
		want float64
	}{
		{"reference 1", poot.OutputTimeMetrics{5, 2500, 0.6, 50, 99, 0.8, 0.9}, 54.35},
		{"reference 2", poot.OutputTimeMetrics{1, 100, 0.25, 10, 50, 0.5, 0.5}, 21.55},
		{"all capped", poot.OutputTimeMetrics{1e9, 1e12, 50, 1e9, 1e9, 7, 7}, 100},
		{"zero", poot.OutputTimeMetrics{}, 0},
		{"negative and NaN count as zero", poot.OutputTimeMetrics{-5, math.NaN(), -1, math.Inf(-1), -10, -1, math.NaN()}, 0},
		{"session only", poot.OutputTimeMetrics{SessionHours: 10}, 25},
	} {
		assert.Equal(t, tc.want, poot.MetricsScore(tc.m), tc.name)
	}
}

// randomFacts builds plausible facts and the history behind their Prior from rng.
func randomFacts(rng *rand.Rand) (poot.Facts, []poot.Outcome) {
	f := poot.Facts{
		Now:           t0,
		NodeCreatedAt: t0.Add(-time.Duration(rng.Int64N(int64(30 * 24 * time.Hour)))),
		Keyed:         rng.IntN(2) == 0,
		Uptime:        rng.Float64(),
		Current:       poot.Outcome{At: t0, Passed: rng.IntN(4) != 0, Timeliness: rng.Float64()},
	}
	var hist []poot.Outcome
	for range rng.IntN(40) {
		o := poot.Outcome{At: t0.Add(-time.Duration(rng.Int64N(int64(40 * 24 * time.Hour)))), Passed: rng.IntN(3) != 0}
		if o.Passed {
			o.Timeliness = rng.Float64()
		}
		hist = append(hist, o)
	}
	if !f.Current.Passed {
		f.Current.Timeliness = 0
	}
	return withHistory(poot.DefaultPolicy(), f, hist...), hist
}

// Property: the score is bounded, rounded, deterministic, independent of history order and
// monotone (non-decreasing) in each verified factor.
func TestScoreProperties(t *testing.T) {
	t.Parallel()
	p := poot.DefaultPolicy()
	rng := rand.New(rand.NewPCG(42, 1))
	for i := range 2000 {
		f, hist := randomFacts(rng)
		r := p.Score(f)
		require.GreaterOrEqual(t, r.Score, 0.0)
		require.LessOrEqual(t, r.Score, 100.0)
		require.Equal(t, r.Score, math.Round(r.Score*100)/100)
		require.GreaterOrEqual(t, r.Confidence, 0.0)
		require.LessOrEqual(t, r.Confidence, 1.0)
		require.Equal(t, r, p.Score(f), "determinism")

		shuffled := slices.Clone(hist)
		rng.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		require.Equal(t, r.Score, p.Score(withHistory(p, f, shuffled...)).Score, "history order")

		better := func(name string, g poot.Facts) {
			t.Helper()
			rg := p.Score(g)
			require.GreaterOrEqual(t, rg.Score, r.Score, "case %d: %s", i, name)
		}
		g := f
		g.Uptime = math.Min(1, f.Uptime+rng.Float64()*(1-f.Uptime))
		better("more uptime", g)

		if f.Current.Passed {
			g = f
			g.Current.Timeliness = math.Min(1, f.Current.Timeliness+rng.Float64())
			better("timelier current proof", g)
		}
		g = f
		g.Keyed = true
		better("keyed", g)

		if len(hist) > 0 {
			j := rng.IntN(len(hist))
			h := slices.Clone(hist)
			if !h[j].Passed {
				h[j].Passed = true
				better("a failure becomes a pass", withHistory(p, f, h...))
			} else {
				h[j].Timeliness = math.Min(1, h[j].Timeliness+rng.Float64())
				better("an earlier pass was timelier", withHistory(p, f, h...))
			}
		}
		g = withHistory(p, f, append(slices.Clone(hist), poot.Outcome{At: t0.Add(-time.Duration(rng.Int64N(int64(20 * 24 * time.Hour)))), Passed: true, Timeliness: 1})...)
		better("one more timely pass", g)
		require.GreaterOrEqual(t, p.Score(g).Confidence, r.Confidence, "more evidence, more confidence")

		g = f
		g.NodeCreatedAt = f.NodeCreatedAt.Add(-24 * time.Hour)
		require.Equal(t, r.Score, p.Score(g).Score, "age alone does not raise the score")
		require.GreaterOrEqual(t, p.Score(g).Confidence, r.Confidence, "age raises confidence")
	}
}

// Property: an honest node's score rises monotonically toward the top over its first proofs,
// whatever its (regular) cadence, and it is valid from its first proof when keyed.
func TestHonestNodeRises(t *testing.T) {
	t.Parallel()
	p := poot.DefaultPolicy()
	for _, every := range []time.Duration{time.Minute, 10 * time.Minute, time.Hour, 6 * time.Hour} {
		var st poot.State
		prev := 0.0
		now := t0
		for k := range 30 {
			r := p.Score(poot.Facts{Now: now, NodeCreatedAt: t0, Keyed: true, Uptime: 1, Current: poot.Outcome{At: now, Passed: true, Timeliness: 1}, Prior: st})
			require.GreaterOrEqual(t, r.Score, p.Threshold, "every %v proof %d", every, k)
			require.GreaterOrEqual(t, r.Score, prev, "every %v proof %d", every, k)
			prev, st = r.Score, r.State
			now = now.Add(every)
		}
		assert.Greater(t, prev, 95.0, "every %v", every)
	}
}

// scoreVector is one golden vector of Policy.Score under DefaultPolicy.
type scoreVector struct {
	Facts      poot.Facts `json:"facts"`
	Score      float64    `json:"score"`
	Confidence float64    `json:"confidence"`
}

func TestScoreGoldenVectors(t *testing.T) {
	t.Parallel()
	p := poot.DefaultPolicy()
	path := filepath.Join("testdata", "score_vectors.json")
	if *update {
		rng := rand.New(rand.NewPCG(2026, 11))
		var out []scoreVector
		for range 24 {
			f, _ := randomFacts(rng)
			r := p.Score(f)
			out = append(out, scoreVector{Facts: f, Score: r.Score, Confidence: r.Confidence})
		}
		b, err := json.MarshalIndent(out, "", " ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var vs []scoreVector
	require.NoError(t, json.Unmarshal(b, &vs))
	require.NotEmpty(t, vs)
	for i, v := range vs {
		r := p.Score(v.Facts)
		assert.Equal(t, v.Score, r.Score, "vector %d", i)
		assert.Equal(t, v.Confidence, r.Confidence, "vector %d", i)
	}
}
