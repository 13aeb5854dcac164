package webhook

// The /audit endpoint: the API server's audit webhook backend
// (--audit-webhook-config-file) posts batches of events (an audit.k8s.io/v1
// EventList) and Palisade runs its audit detections on them as they arrive, the
// same detections as `palisade audit`, with findings in the decision log and the
// metrics.
//
// The endpoint never holds the API server up and never competes with the admission
// reviews: a batch is decoded, queued and answered 200 at once; one goroutine feeds
// the queued batches, in order, to the audit engine of the configuration in force
// (the engine keeps state across batches: remembered pods, windows). The queue is
// bounded in bytes; a batch that finds it full is dropped and counted (the API
// server's webhook backend would retry an error, adding load when the webhook is
// already behind: audit delivery is best effort, and a dropped batch is visible in
// palisade_webhook_audit_dropped_events_total). A batch larger than
// AuditOptions.MaxBatchBytes is refused with 413.
//
// A reloaded configuration (another *config.Config) gets a new engine: the old one
// is flushed (the findings it holds back are reported) and its state is not carried
// over, since the rules, parameters and limits it was built for may have changed;
// detections that need history (a secret read then a binding) start afresh.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/suppress"
)

// AuditOptions configure the /audit endpoint.
type AuditOptions struct {
	// Enabled serves /audit (webhook serve --audit).
	Enabled bool
	// MaxBatchBytes bounds one posted EventList (DefaultAuditBatchBytes when 0).
	MaxBatchBytes int64
	// QueueBytes bounds the batches waiting for the engine, by the size of their
	// bodies (DefaultAuditQueueBytes when 0); past it, batches are dropped.
	QueueBytes int64
	// Limits bound the engine's state (audit.Limits defaults when zero).
	Limits audit.Limits
	// ReadTimeout bounds the reading of one batch (10s by default).
	ReadTimeout time.Duration
}

// Defaults of AuditOptions. kube-apiserver sends at most
// --audit-webhook-batch-max-size events (400 by default) in one batch.
const (
	DefaultAuditBatchBytes = 32 << 20
	DefaultAuditQueueBytes = 128 << 20
)

// auditSource names events posted to the webhook in findings (their Index is their
// position in the batch).
const auditSource = "webhook"

// maxLoggedEvents bounds the events named in one finding's decision-log line.
const maxLoggedEvents = 20

// auditFeed is the endpoint's queue and the goroutine that feeds the engine.
type auditFeed struct {
	s    *Server
	opts AuditOptions

	mu     sync.Mutex
	queued int64
	closed bool
	queue  chan *auditBatch
	stop   chan struct{}
	done   chan struct{}

	// Owned by the feeding goroutine. onEvent, if set (tests), sees every event.
	onEvent func(*auditlog.Event)
	cfg     *config.Config
	engine  *audit.Engine
	sup     *suppress.Suppressor

	events, dropped prometheus.Counter
	findings        *prometheus.CounterVec
	inputErrors     *prometheus.CounterVec
	batchSeconds    prometheus.Histogram
	queuedBytes     prometheus.Gauge
}

// auditBatch is a decoded batch, or (sync set) a marker closed once every batch
// before it is processed.
type auditBatch struct {
	events []*auditlog.Event
	bytes  int64
	sync   chan struct{}
}

func (s *Server) newAuditFeed(o AuditOptions) *auditFeed {
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = DefaultAuditBatchBytes
	}
	if o.QueueBytes <= 0 {
		o.QueueBytes = DefaultAuditQueueBytes
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 10 * time.Second
	}
	f := &auditFeed{s: s, opts: o,
		// The channel only carries; QueueBytes is the bound. A batch is at least a
		// few bytes, so this many slots never fill before the bytes do in practice;
		// when they do, the batch is dropped just the same.
		queue: make(chan *auditBatch, 4096),
		stop:  make(chan struct{}), done: make(chan struct{}),
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "palisade_webhook_audit_events_total",
			Help: "Audit events posted to /audit and run through the audit detections.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "palisade_webhook_audit_dropped_events_total",
			Help: "Audit events posted to /audit and dropped because the queue (--audit-queue-size) was full: the detections did not see them.",
		}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_webhook_audit_findings_total",
			Help: "Findings of the audit detections on the events posted to /audit (not suppressed by an exemption), by rule and severity.",
		}, []string{"rule", "severity"}),
		inputErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_webhook_audit_input_errors_total",
			Help: "Input posted to /audit that could not be judged, by reason: decode (the body is not an EventList), event (one event of a batch did not decode), limit (a batch larger than --audit-max-batch-size), read (the body could not be read in time), panic (a detection failed on an event).",
		}, []string{"reason"}),
		batchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "palisade_webhook_audit_batch_seconds",
			Help:    "Time the audit detections took over one batch posted to /audit.",
			Buckets: []float64{0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5},
		}),
		queuedBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "palisade_webhook_audit_queued_bytes",
			Help: "Bytes of the batches posted to /audit waiting for the audit detections (at most --audit-queue-size).",
		}),
	}
	s.metrics.registry.MustRegister(f.events, f.dropped, f.findings, f.inputErrors, f.batchSeconds, f.queuedBytes)
	go f.run()
	return f
}

// ServeHTTP takes one batch.
func (f *auditFeed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST an audit.k8s.io/v1 EventList", http.StatusMethodNotAllowed)
		return
	}
	if r.ContentLength > f.opts.MaxBatchBytes {
		f.refuse(w, "limit", http.StatusRequestEntityTooLarge,
			fmt.Errorf("EventList of %d bytes, more than --audit-max-batch-size (%d)", r.ContentLength, f.opts.MaxBatchBytes))
		return
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(f.opts.ReadTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, f.opts.MaxBatchBytes))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			f.refuse(w, "limit", http.StatusRequestEntityTooLarge,
				fmt.Errorf("EventList larger than --audit-max-batch-size (%d bytes)", f.opts.MaxBatchBytes))
			return
		}
		f.refuse(w, "read", http.StatusBadRequest, fmt.Errorf("EventList not read: %v", err))
		return
	}
	evs, errs := auditlog.DecodeList(body, auditSource)
	if len(evs) == 0 && len(errs) == 1 {
		var ie *auditlog.InputError
		if errors.As(errs[0], &ie) && ie.Index == 0 {
			f.refuse(w, "decode", http.StatusBadRequest, errs[0])
			return
		}
	}
	if len(errs) > 0 {
		f.inputErrors.WithLabelValues("event").Add(float64(len(errs)))
		if ok, n := f.s.logLimit.allow("audit-event"); ok {
			f.s.log.Warn("audit events not decoded", "endpoint", "audit", "errors", len(errs), "first", short(errs[0].Error()), "suppressed", n)
		}
	}
	// The events keep what they need of the body: count its size.
	if len(evs) > 0 && !f.enqueue(&auditBatch{events: evs, bytes: int64(len(body))}) {
		f.dropped.Add(float64(len(evs)))
		if ok, n := f.s.logLimit.allow("audit-dropped"); ok {
			f.s.log.Warn("audit batch dropped: the queue is full", "endpoint", "audit", "events", len(evs), "queueBytes", f.opts.QueueBytes, "suppressed", n)
		}
	}
	w.WriteHeader(http.StatusOK)
}

func (f *auditFeed) refuse(w http.ResponseWriter, reason string, code int, err error) {
	f.inputErrors.WithLabelValues(reason).Inc()
	msg := short(err.Error())
	if ok, n := f.s.logLimit.allow("audit-" + reason); ok {
		f.s.log.Warn("audit batch refused", "endpoint", "audit", "reason", reason, "error", msg, "suppressed", n)
	}
	http.Error(w, "palisade: "+msg, code)
}

// enqueue queues a batch unless the queue is full (or the feed stopped).
func (f *auditFeed) enqueue(b *auditBatch) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || f.queued+b.bytes > f.opts.QueueBytes {
		return false
	}
	select {
	case f.queue <- b:
		f.queued += b.bytes
		f.queuedBytes.Set(float64(f.queued))
		return true
	default:
		return false
	}
}

// sync waits until every batch queued before it is processed (tests, shutdown).
func (f *auditFeed) sync(ctx context.Context) error {
	b := &auditBatch{sync: make(chan struct{})}
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if closed {
		return errors.New("audit feed stopped")
	}
	// Not under mu: a full channel must never hold up enqueue, which the handlers
	// call.
	select {
	case f.queue <- b:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-b.sync:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stops taking batches, lets the goroutine process those queued (until ctx
// ends) and flush the engine.
func (f *auditFeed) close(ctx context.Context) {
	f.mu.Lock()
	if !f.closed {
		f.closed = true
		close(f.stop)
	}
	f.mu.Unlock()
	select {
	case <-f.done:
	case <-ctx.Done():
	}
}

func (f *auditFeed) run() {
	defer close(f.done)
	for {
		select {
		case b := <-f.queue:
			f.process(b)
		case <-f.stop:
			for {
				select {
				case b := <-f.queue:
					f.process(b)
				default:
					if f.engine != nil {
						f.flush(f.engine)
					}
					return
				}
			}
		}
	}
}

func (f *auditFeed) process(b *auditBatch) {
	if b.sync != nil {
		close(b.sync)
		return
	}
	defer func() {
		f.mu.Lock()
		f.queued -= b.bytes
		f.queuedBytes.Set(float64(f.queued))
		f.mu.Unlock()
	}()
	start := time.Now()
	f.ensureEngine()
	for _, ev := range b.events {
		if f.onEvent != nil {
			f.onEvent(ev)
		}
		f.processEvent(ev)
	}
	f.events.Add(float64(len(b.events)))
	f.batchSeconds.Observe(time.Since(start).Seconds())
}

// processEvent runs the detections on one event; a detection that panics loses
// this event, not the endpoint.
func (f *auditFeed) processEvent(ev *auditlog.Event) {
	if f.engine == nil {
		return
	}
	defer func() {
		if v := recover(); v != nil {
			f.inputErrors.WithLabelValues("panic").Inc()
			f.s.log.Error("audit detection failed on an event", "endpoint", "audit", "auditID", short(ev.AuditID), "error", short(finding.Recovered(v)))
		}
	}()
	f.engine.Process(ev)
}

// ensureEngine makes the engine of the configuration in force when it changed.
func (f *auditFeed) ensureEngine() {
	ev := f.s.evaluator.Load()
	if ev == nil {
		return
	}
	cfg := ev.Config()
	if f.engine != nil && cfg == f.cfg {
		return
	}
	if f.engine != nil {
		f.flush(f.engine)
		f.engine = nil
	}
	f.cfg = cfg
	e, sup, err := newAuditEngine(cfg, f.opts.Limits, f.report)
	if err != nil {
		f.s.log.Error("audit detections not compiled; events are counted but not judged until the configuration changes", "endpoint", "audit", "error", err.Error())
		return
	}
	f.engine, f.sup = e, sup
}

// flush reports what an engine holds back; a panic there is contained too.
func (f *auditFeed) flush(e *audit.Engine) {
	defer func() {
		if v := recover(); v != nil {
			f.inputErrors.WithLabelValues("panic").Inc()
			f.s.log.Error("audit detection failed while flushing", "endpoint", "audit", "error", short(finding.Recovered(v)))
		}
	}()
	e.Close()
}

// newAuditEngine compiles the audit engine of a configuration: its selected
// audit rules, their parameters, and its exemptions.
func newAuditEngine(cfg *config.Config, limits audit.Limits, report func(finding.Finding)) (*audit.Engine, *suppress.Suppressor, error) {
	if cfg == nil {
		cfg = &config.Config{}
	}
	enabled, err := config.EnabledRules(cfg, nil, nil)
	if err != nil {
		return nil, nil, err
	}
	var rs []*rules.Rule
	for _, r := range enabled {
		if r.RunsIn(rules.Audit) {
			rs = append(rs, r)
		}
	}
	params := func(id string) map[string]any {
		rc, ok := cfg.Rules[id]
		if !ok || len(rc.Params) == 0 {
			return nil
		}
		r, _ := rules.Get(id)
		out := map[string]any{}
		if r != nil {
			for _, p := range r.Params {
				out[p.Name] = p.Default
			}
		}
		for k, v := range rc.Params {
			out[k] = v
		}
		return out
	}
	e, err := audit.New(audit.Options{Rules: rs, Params: params, Limits: limits, Report: report})
	if err != nil {
		return nil, nil, err
	}
	return e, &suppress.Suppressor{Exemptions: cfg.Exemptions, NoAnnotations: true}, nil
}

// report counts a finding and writes its decision-log line: one line per finding,
// naming the identity, the rule, the object and the events behind it, never a body.
func (f *auditFeed) report(fd finding.Finding) {
	if f.sup != nil {
		f.sup.Apply(&inventory.Object{Ref: fd.Object}, &fd)
	}
	attrs := []slog.Attr{
		slog.String("endpoint", "audit"), slog.String("rule", fd.RuleID), slog.String("severity", fd.Severity.String()),
		slog.String("object", short(fd.Object.String())), slog.String("message", short(fd.Message)),
	}
	if fd.Suppressed != nil {
		attrs = append(attrs, slog.String("suppressed", fd.Suppressed.Kind), slog.String("reason", short(fd.Suppressed.Reason)))
	} else {
		f.findings.WithLabelValues(ruleLabel(nil, fd.RuleID), fd.Severity.String()).Inc()
	}
	if a := fd.Audit; a != nil {
		attrs = append(attrs, slog.String("user", short(a.Actor.User)))
		if len(a.Actor.Groups) > 0 {
			attrs = append(attrs, slog.Any("groups", shortList(a.Actor.Groups)))
		}
		if a.Impersonator != nil {
			attrs = append(attrs, slog.String("impersonator", short(a.Impersonator.User)))
		}
		if len(a.SourceIPs) > 0 {
			attrs = append(attrs, slog.Any("sourceIPs", shortList(a.SourceIPs)))
		}
		if a.UserAgent != "" {
			attrs = append(attrs, slog.String("userAgent", short(a.UserAgent)))
		}
		ids := make([]string, 0, min(len(a.Events), maxLoggedEvents))
		for _, e := range a.Events {
			if len(ids) == maxLoggedEvents {
				break
			}
			ids = append(ids, short(e.AuditID))
		}
		attrs = append(attrs, slog.Any("auditIDs", ids))
		if len(a.Techniques) > 0 {
			attrs = append(attrs, slog.Any("techniques", a.Techniques))
		}
		if len(a.Risks) > 0 {
			attrs = append(attrs, slog.Any("risks", a.Risks), slog.Bool("raised", a.Raised))
		}
		if a.Count > 0 {
			attrs = append(attrs, slog.Int("count", a.Count))
		}
	}
	f.s.log.LogAttrs(context.Background(), slog.LevelInfo, "audit finding", attrs...)
}

// shortList bounds a list from an event in the log.
func shortList(l []string) []string {
	const n = 20
	out := make([]string, 0, min(len(l), n))
	for _, s := range l {
		if len(out) == n {
			break
		}
		out = append(out, short(strings.ToValidUTF8(s, "")))
	}
	return out
}
