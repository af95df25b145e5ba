package refserver

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hamigames/lucid-node-management/payout"
)

// payoutMetrics are the payout series. Money is counted in integer minor units (a counter of
// micro-USDT or 1e-8 LUCID), never as a float amount.
type payoutMetrics struct {
	total    *prometheus.CounterVec
	amount   *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newPayoutMetrics(reg *prometheus.Registry, store payout.Store) (*payoutMetrics, error) {
	m := &payoutMetrics{
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricPrefix + "payouts_total",
			Help: "Payouts entering each public status (pending when accepted, then processing, completed, failed or cancelled), by currency.",
		}, []string{"status", "currency"}),
		amount: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricPrefix + "payout_amount_total",
			Help: "Amount paid by completed payouts, in integer minor units of the currency (USDT: 1e-6, LUCID: 1e-8).",
		}, []string{"currency"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    metricPrefix + "payout_processing_duration_seconds",
			Help:    "Time from a payout becoming due (created or scheduled) to its final status.",
			Buckets: []float64{1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600},
		}, []string{"status", "currency"}),
	}
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: metricPrefix + "payouts_pending",
		Help: "Payouts not yet final (pending or processing), read from the store at scrape time.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n := 0
		for _, st := range []payout.Status{payout.StatusPending, payout.StatusProcessing} {
			pg, err := store.ListPayouts(ctx, payout.PayoutFilter{Status: st, Limit: 1})
			if err != nil {
				return -1
			}
			n += pg.Total
		}
		return float64(n)
	})
	for _, c := range []prometheus.Collector{m.total, m.amount, m.duration, pending} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// accepted counts a newly stored batch's payouts as pending.
func (m *payoutMetrics) accepted(req payout.BatchRequest) {
	for _, p := range req.Payouts {
		c := p.Currency
		if c == "" {
			c = payout.USDT
		}
		m.total.WithLabelValues(string(payout.StatusPending), string(c)).Inc()
	}
}

// event counts a persisted transition whose public status changed.
func (m *payoutMetrics) event(e payout.Event, now time.Time) {
	from, to := e.From.Status(), e.To.Status()
	if from == to {
		return
	}
	cur := string(e.Payout.Currency())
	m.total.WithLabelValues(string(to), cur).Inc()
	if !to.Terminal() {
		return
	}
	if to == payout.StatusCompleted {
		m.amount.WithLabelValues(cur).Add(float64(e.Payout.Amount.Minor()))
	}
	due := e.Payout.CreatedAt
	if e.Payout.ScheduledAt != nil && e.Payout.ScheduledAt.After(due) {
		due = *e.Payout.ScheduledAt
	}
	if d := now.Sub(due); d >= 0 {
		m.duration.WithLabelValues(string(to), cur).Observe(d.Seconds())
	}
}
