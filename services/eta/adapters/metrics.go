package adapters

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bloody-sweet/platform/services/eta/domain"
)

// Metrics exports the outcome of every prediction of a delivered order per
// model version and step: the absolute error (world seconds) and whether
// the delivery fell inside the P10-P90 interval. The accuracy-drift alert
// and a model canary's analysis compare them between versions.
type Metrics struct {
	absError *prometheus.HistogramVec
	interval *prometheus.CounterVec
}

// NewMetrics registers the metrics on reg, with a zero series of each step
// for the model version loaded (a dashboard shows the version from start).
func NewMetrics(reg prometheus.Registerer, version string) *Metrics {
	m := &Metrics{
		absError: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "eta_abs_error_seconds", Help: "Absolute error of the median ETA of delivered orders, world seconds, by model version and step.",
			Buckets: []float64{30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 2700, 3600},
		}, []string{"model_version", "step"}),
		interval: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eta_interval_total", Help: "Predictions of delivered orders by model version, step and whether the delivery fell inside P10-P90 (hit).",
		}, []string{"model_version", "step", "hit"}),
	}
	reg.MustRegister(m.absError, m.interval)
	for _, step := range domain.Steps {
		m.absError.WithLabelValues(version, step)
		m.interval.WithLabelValues(version, step, "true")
		m.interval.WithLabelValues(version, step, "false")
	}
	return m
}

// Outcome implements app.Metrics.
func (m *Metrics) Outcome(o domain.Outcome) {
	m.absError.WithLabelValues(o.ModelVersion, o.Step).Observe(o.AbsError.Seconds())
	m.interval.WithLabelValues(o.ModelVersion, o.Step, strconv.FormatBool(o.Hit)).Inc()
}
