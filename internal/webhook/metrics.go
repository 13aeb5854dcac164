package webhook

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus metrics, on a registry of its own.
type metrics struct {
	registry *prometheus.Registry
	reviews  *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	ruleHits *prometheus.CounterVec
	errors   *prometheus.CounterVec
	reloads  *prometheus.CounterVec
	inFlight prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		reviews: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_webhook_reviews_total",
			Help: "Reviews answered, by endpoint, object kind, operation, decision (allowed, warned, denied, exempt) and whether the request was a dry run (not enforced).",
		}, []string{"endpoint", "kind", "operation", "decision", "dry_run"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "palisade_webhook_review_duration_seconds",
			Help:    "Time from reading a review to writing its answer, by endpoint.",
			Buckets: []float64{0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5},
		}, []string{"endpoint"}),
		ruleHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_webhook_rule_hits_total",
			Help: "Findings at admission, by rule and the action taken (deny, warn, audit, ignore), dry runs included.",
		}, []string{"rule", "action"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_webhook_errors_total",
			Help: "Reviews answered with an error (the API server then applies the webhook's failurePolicy), by endpoint and reason: decode, evaluate, deadline.",
		}, []string{"endpoint", "reason"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_webhook_reloads_total",
			Help: "Reloads of the configuration and the serving certificate, by what and result (applied, rejected).",
		}, []string{"what", "result"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "palisade_webhook_in_flight_reviews",
			Help: "Reviews being evaluated.",
		}),
	}
	m.registry.MustRegister(m.reviews, m.latency, m.ruleHits, m.errors, m.reloads, m.inFlight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
