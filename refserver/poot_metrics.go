package refserver

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hamigames/lucid-node-management/poot"
)

// pootMetrics are the poot_ series, fed by the validator's Observer.
type pootMetrics struct {
	validations *prometheus.CounterVec
	duration    prometheus.Histogram
	scores      prometheus.Histogram
	anomalies   prometheus.Counter
	reasons     *prometheus.CounterVec
	batchSize   prometheus.Histogram
	batchTime   prometheus.Histogram
	challenges  prometheus.Counter
	scoreWrites *prometheus.CounterVec
}

func newPootMetrics(reg prometheus.Registerer) (*pootMetrics, error) {
	m := &pootMetrics{
		validations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricPrefix + "poot_validations_total",
			Help: "PoOT proofs judged, by result: valid, invalid, or error (could not be judged).",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    metricPrefix + "poot_validation_duration_seconds",
			Help:    "Time to judge one PoOT proof (checks, signature, store).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .5, 2},
		}),
		scores: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    metricPrefix + "poot_scores",
			Help:    "Standard scores of evidence validations (proofs that count for the node).",
			Buckets: []float64{10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 95, 100},
		}),
		anomalies: prometheus.NewCounter(prometheus.CounterOpts{
			Name: metricPrefix + "poot_anomalies_total",
			Help: "Validations whose score is more than 3 standard deviations from the node's history.",
		}),
		reasons: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricPrefix + "poot_rejections_total",
			Help: "Rejection reasons of PoOT proofs, by machine-readable reason code.",
		}, []string{"reason"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    metricPrefix + "poot_batch_size",
			Help:    "Proofs per batch validation request.",
			Buckets: []float64{1, 10, 50, 100, 250, 500, 750, 1000},
		}),
		batchTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    metricPrefix + "poot_batch_duration_seconds",
			Help:    "Time to judge one batch of PoOT proofs.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .15, .25, .5, 1, 2, 5},
		}),
		challenges: prometheus.NewCounter(prometheus.CounterOpts{
			Name: metricPrefix + "poot_challenges_total",
			Help: "PoOT challenges issued.",
		}),
		scoreWrites: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricPrefix + "poot_score_writes_total",
			Help: "Writes of a node's poot_score after an evidence validation, by result (ok or error).",
		}, []string{"result"}),
	}
	for _, c := range []prometheus.Collector{m.validations, m.duration, m.scores, m.anomalies, m.reasons,
		m.batchSize, m.batchTime, m.challenges, m.scoreWrites} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	// Pre-create the result series so dashboards see zeros instead of gaps.
	for _, r := range []string{"valid", "invalid", "error"} {
		m.validations.WithLabelValues(r)
	}
	for _, r := range []string{"ok", "error"} {
		m.scoreWrites.WithLabelValues(r)
	}
	return m, nil
}

// observer returns the validator Observer that feeds these series.
func (m *pootMetrics) observer() poot.Observer {
	return poot.Observer{
		OnValidation: func(v poot.Validation) {
			result := "invalid"
			if v.IsValid {
				result = "valid"
			}
			m.validations.WithLabelValues(result).Inc()
			m.duration.Observe(v.ValidationTimeMS / 1000)
			if v.Evidence {
				m.scores.Observe(v.Score)
			}
			if v.Anomaly {
				m.anomalies.Inc()
			}
			for _, r := range v.Errors {
				m.reasons.WithLabelValues(r.Code).Inc()
			}
		},
		OnError: func(string, error) { m.validations.WithLabelValues("error").Inc() },
		OnBatch: func(s poot.BatchSummary, elapsed time.Duration) {
			m.batchSize.Observe(float64(s.Total))
			m.batchTime.Observe(elapsed.Seconds())
		},
		OnChallenge: func(poot.Challenge) { m.challenges.Inc() },
	}
}
