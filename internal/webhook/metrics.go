package webhook

import (
	"fmt"
	"sync"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/palisade-k8s/palisade/internal/admission"
	"github.com/palisade-k8s/palisade/internal/rules"
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
	// reviewMemory is the review memory held by the reviews in flight.
	reviewMemory prometheus.Gauge
	// Transport: connections, the review queue, errors below the handlers, the
	// serving certificate.
	connections      prometheus.Gauge
	connsLimited     prometheus.Counter
	queuedReviews    prometheus.Gauge
	queueWait        prometheus.Histogram
	transportErrors  *prometheus.CounterVec
	reloadRejections *prometheus.CounterVec
	certExpiry       prometheus.Gauge
	// ValidatingAdmissionPolicies: the policies in force, reviews they judged,
	// their findings by policy and action, errors, evaluation time.
	policies          *prometheus.GaugeVec
	policyEvaluations *prometheus.CounterVec
	policyActions     *prometheus.CounterVec
	policyErrors      *prometheus.CounterVec
	policyDuration    prometheus.Histogram
	policyLabels      *labelSet
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
			Help: "Reviews answered with an error (the API server then applies the webhook's failurePolicy), by endpoint and reason: decode (not what the API server sends), limit (past a review limit), overload (no review slot free, answered at once with 503; or no room in the review memory within the deadline), deadline, canceled (the client left), evaluate, encode.",
		}, []string{"endpoint", "reason"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_webhook_reloads_total",
			Help: "Reloads of the configuration and the serving certificate, by what and result (applied, rejected).",
		}, []string{"what", "result"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "palisade_webhook_in_flight_reviews",
			Help: "Reviews holding review memory: from reading their body until their evaluation stops, which may be after an error answered their deadline.",
		}),
		reviewMemory: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "palisade_webhook_review_memory_bytes",
			Help: "Review memory (webhook serve --review-memory) held by the reviews in flight, as estimated from their size.",
		}),
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "palisade_webhook_connections",
			Help: "Open client connections (at most --max-connections).",
		}),
		connsLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "palisade_webhook_connections_limited_total",
			Help: "Connections that arrived while --max-connections were open: each waited for room.",
		}),
		queuedReviews: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "palisade_webhook_queued_reviews",
			Help: "Reviews waiting for one of --max-reviews slots (at most --max-queued-reviews).",
		}),
		queueWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "palisade_webhook_queue_wait_seconds",
			Help:    "Time a review waited for a slot before it ran or was shed (part of its deadline).",
			Buckets: []float64{0.0001, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5},
		}),
		transportErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_webhook_transport_errors_total",
			Help: "Errors below the handlers, by kind: tls_handshake, http2, accept, panic, other (lines of the HTTP server's error log) and no_request (a connection closed after its TLS handshake without a complete request).",
		}, []string{"kind"}),
		reloadRejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_webhook_reload_rejections_total",
			Help: "Configuration or certificate files not reloaded (the previous ones stay in force), by what and reason: unreadable, empty, invalid, key_mismatch, expired, not_yet_valid.",
		}, []string{"what", "reason"}),
		certExpiry: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "palisade_webhook_certificate_expiry_timestamp_seconds",
			Help: "When the serving certificate in use expires (Unix time).",
		}),
		policies: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "palisade_webhook_policies",
			Help: "ValidatingAdmissionPolicies in force (the configuration's policies and --policy), by what: policies, bindings.",
		}, []string{"what"}),
		policyEvaluations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_webhook_policy_evaluations_total",
			Help: "Reviews judged by the ValidatingAdmissionPolicies, by endpoint and decision of the review (allowed, warned, denied, exempt, error).",
		}, []string{"endpoint", "decision"}),
		policyActions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_webhook_policy_findings_total",
			Help: "Failed checks of ValidatingAdmissionPolicies (PAL-800 to PAL-803), by policy (\"other\" past " + fmt.Sprint(maxPolicyLabels) + " policies), rule and the action taken (deny, warn, audit, ignore), dry runs included.",
		}, []string{"policy", "rule", "action"}),
		policyErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_webhook_policy_errors_total",
			Help: "Errors of ValidatingAdmissionPolicies, by kind: configuration (a policy that could not be applied to a request, PAL-803), evaluation (the review failed, and the API server applied the webhook's failurePolicy).",
		}, []string{"kind"}),
		policyDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "palisade_webhook_policy_evaluation_duration_seconds",
			Help:    "Time the ValidatingAdmissionPolicies took to judge one review.",
			Buckets: []float64{0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5},
		}),
		policyLabels: &labelSet{max: maxPolicyLabels, seen: map[string]bool{}},
	}
	m.registry.MustRegister(m.reviews, m.latency, m.ruleHits, m.errors, m.reloads, m.inFlight, m.reviewMemory,
		m.connections, m.connsLimited, m.queuedReviews, m.queueWait, m.transportErrors, m.reloadRejections, m.certExpiry,
		m.policies, m.policyEvaluations, m.policyActions, m.policyErrors, m.policyDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Label values come only from bounded sets, never from a request as such: a label
// value is a time series kept for the life of the process.

// kindLabel is a kind the evaluator knows (rules read it, it runs pods, or an
// endpoint reviews it), else "other".
func kindLabel(ev *admission.Evaluator, kind string) string {
	if ev.Known(kind) {
		return kind
	}
	return "other"
}

// operationLabel is an operation of the API server, else "other".
func operationLabel(op string) string {
	switch admissionv1.Operation(op) {
	case admissionv1.Create, admissionv1.Update, admissionv1.Delete, admissionv1.Connect:
		return op
	}
	return "other"
}

// ruleLabel is the ID of a registered rule or of a custom rule of the evaluator's
// configuration that runs at admission (a bounded set, fixed by the
// configuration), else "other".
func ruleLabel(ev *admission.Evaluator, id string) string {
	if _, ok := rules.Get(id); ok {
		return id
	}
	if ev != nil && ev.Action(id) != "" {
		return id
	}
	return "other"
}

// maxPolicyLabels bounds the policy names used as label values over the life of
// the process (reloads may bring new names): past it, "other".
const maxPolicyLabels = 200

// labelSet admits at most max distinct label values.
type labelSet struct {
	mu   sync.Mutex
	max  int
	seen map[string]bool
}

func (l *labelSet) value(v string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen[v] {
		return v
	}
	if len(l.seen) >= l.max {
		return "other"
	}
	l.seen[v] = true
	return v
}

// policyLabel is a policy of the generation in force (within maxPolicyLabels),
// else "other".
func (m *metrics) policyLabel(ev *admission.Evaluator, name string) string {
	if !ev.KnownPolicy(name) {
		return "other"
	}
	return m.policyLabels.value(name)
}

// setPolicies sets the gauge of the policies in force.
func (m *metrics) setPolicies(cp *compiledPolicies) {
	p, b := 0, 0
	if cp.set != nil {
		p, b = cp.set.Policies()
	}
	m.policies.WithLabelValues("policies").Set(float64(p))
	m.policies.WithLabelValues("bindings").Set(float64(b))
}
