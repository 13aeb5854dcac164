// Package webhook serves Palisade's admission webhook over HTTPS: /validate
// (AdmissionReview for objects), /validate-exec (exec, attach and ephemeral
// containers), /imagepolicy (ImageReview for the ImagePolicyWebhook plugin), with
// /healthz, /readyz and Prometheus /metrics. Reviews are decided by
// internal/admission under the configuration in force, which the server reloads when
// its file changes (a bad file is rejected and the old configuration kept), as it
// reloads its serving certificate. Every decision is logged as one JSON line.
//
// With an images.verify policy, reviews verify the signatures of their images
// (internal/admission, signatures.go) through one signature.Cache that outlives
// reloads (verdicts are keyed by the policy's generation, so a new policy or key
// never reuses an old verdict); the key and trusted-root files the policy names are
// re-read at each reload. ImageOptions bound the verification; images.go exports
// its metrics.
package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/semaphore"

	"github.com/palisade-k8s/palisade/internal/admission"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/signature"
)

// Options configure a Server.
type Options struct {
	// Addr is the HTTPS listen address (":8443" by default).
	Addr string
	// CertFile and KeyFile hold the serving certificate and key, reloaded when they
	// change.
	CertFile, KeyFile string
	// ConfigPath is the .palisade.yaml to serve ("" for defaults, never reloaded).
	ConfigPath string
	// ParseConfig validates the configuration file's contents (config.ParseFile);
	// path only names them in errors.
	ParseConfig func(data []byte, path string) (*config.Config, error)
	// Cluster reads namespaces and pods; nil serves without cluster access (namespace
	// labels unknown, exec reviews fail).
	Cluster admission.Cluster
	// Synced, if set, gates readiness on the caches of Cluster.
	Synced func() bool
	// Deadline bounds each review, below the webhook's timeoutSeconds, so the API
	// server gets an answer (an error, to which it applies failurePolicy) rather
	// than a timeout (4s by default).
	Deadline time.Duration
	// ReloadInterval is how often the configuration and certificate files are
	// checked for changes (10s by default).
	ReloadInterval time.Duration
	// ShutdownDelay is how long the server stays up, unready, after shutdown begins,
	// so endpoints drop it before its listener closes (0 by default).
	ShutdownDelay time.Duration
	// ShutdownTimeout bounds the draining of in-flight reviews (30s by default).
	ShutdownTimeout time.Duration
	// MaxConnections caps open client connections (512 by default); past it, a new
	// connection waits for one to close.
	MaxConnections int
	// MaxReviews caps the reviews evaluated at once (8 by default) and
	// MaxQueuedReviews those waiting for a slot (512 by default). A review that finds
	// the queue full, or that waits half its Deadline, is answered at once with 503
	// (the API server applies failurePolicy). Waiting counts against the Deadline.
	// A negative MaxQueuedReviews means no queue.
	MaxReviews, MaxQueuedReviews int
	// Log receives the decision log and operational messages (JSON to stderr by
	// default).
	Log *slog.Logger
	// Limits bound what one review may cost (admission.DefaultLimits for the unset
	// ones).
	Limits admission.Limits
	// ReviewMemory is the memory the reviews in flight may hold together, each
	// counted at admission.Limits.Cost as its body arrives and until its evaluation
	// stops; a review waits for room until its deadline (96 MiB by default).
	ReviewMemory int64
	// Images say how the images.verify policy of the configuration is applied.
	Images ImageOptions
	// Policies are files or directories of ValidatingAdmissionPolicies, their
	// bindings and parameter resources (--policy), applied besides the
	// configuration's policies (policies.go).
	Policies []string
	// Authorizer answers the policies' CEL authorizer checks (NewSARAuthorizer);
	// nil: every check is an error.
	Authorizer authorizer.Authorizer
	// Audit configures the /audit endpoint, the API server's audit webhook
	// backend (audit.go); off unless Enabled.
	Audit AuditOptions
}

// ImageOptions say how the webhook verifies image signatures (the images.verify
// policy of the configuration, rules PAL-115 and PAL-116).
type ImageOptions struct {
	// Registry says how the registries are reached (credentials, plain-HTTP hosts,
	// bounds), unless Store is set.
	Registry signature.RegistryOptions
	// Store, if set, replaces the registries (tests).
	Store signature.Store
	// Deadline bounds the verification of one review's images (3s by default, and
	// below Deadline): an image not verified in time is unchecked (PAL-116), and its
	// verification goes on for the next review.
	Deadline time.Duration
	// Cache bounds the cache of verdicts, kept across configuration reloads.
	Cache signature.CacheOptions
	// Compile builds the checker of a configuration read from path (nil when it has
	// no signature policy): signature.New with the paths of the policy relative to
	// the configuration's directory, by default.
	Compile func(cfg *config.Config, path string) (signature.Checker, error)
}

// compilePolicy is the default ImageOptions.Compile: nil without a policy that
// judges images.
func compilePolicy(cfg *config.Config, path string) (signature.Checker, error) {
	p := cfg.Images.Policy
	if len(p.Verify) == 0 && p.Default != signature.DefaultDeny {
		return nil, nil
	}
	dir := "."
	if path != "" {
		dir = filepath.Dir(path)
	}
	v, err := signature.New(p, signature.Options{Dir: dir, File: path})
	if err != nil {
		return nil, err
	}
	if !v.Applies() {
		return nil, nil
	}
	return v, nil
}

// DefaultReviewMemory is the default Options.ReviewMemory: with the runtime and
// the informer caches, it keeps a replica within the chart's 256 MiB.
const DefaultReviewMemory = 96 << 20

// Server is the webhook. Create it with New, run it with Run.
type Server struct {
	opts      Options
	evaluator atomic.Pointer[admission.Evaluator]
	certs     *certReloader
	metrics   *metrics
	log       *slog.Logger
	stopping  atomic.Bool
	// budget holds the review memory of the reviews in flight.
	budget *semaphore.Weighted
	// reloadMu serialises reloads; lastCfg is the configuration file's contents in
	// force.
	reloadMu sync.Mutex
	lastCfg  []byte
	listener net.Listener
	ready    chan struct{}
	// gate bounds the reviews in progress; logLimit thins out repetitive warnings
	// (transport errors, overload).
	gate     *reviewGate
	logLimit *logLimiter
	// imageCache holds signature verdicts across reloads (keyed by the policy's
	// generation); imageStore reads the registries, made when a policy first needs
	// it; lastPolicy is the configuration whose policy is in force, checked at each
	// reload for changed key or trusted-root files.
	imageCache *signature.Cache
	imageStore signature.Store
	lastPolicy *config.Config
	generation string
	// policyDigest is the digest of the ValidatingAdmissionPolicy files in force
	// ("" without any).
	policyDigest string
	// audit serves /audit (nil when off).
	audit *auditFeed
}

// logEvery is the least time between two warnings of one kind about transport
// errors or overload; metrics count every one.
const logEvery = 10 * time.Second

// New loads the configuration and the certificate; either failing is an error.
func New(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = ":8443"
	}
	if opts.Deadline <= 0 {
		opts.Deadline = 4 * time.Second
	}
	if opts.ReloadInterval <= 0 {
		opts.ReloadInterval = 10 * time.Second
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 30 * time.Second
	}
	if opts.MaxConnections <= 0 {
		opts.MaxConnections = 512
	}
	if opts.MaxReviews <= 0 {
		opts.MaxReviews = 8
	}
	if opts.MaxQueuedReviews < 0 {
		opts.MaxQueuedReviews = 0
	} else if opts.MaxQueuedReviews == 0 {
		opts.MaxQueuedReviews = 512
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if opts.ReviewMemory <= 0 {
		opts.ReviewMemory = DefaultReviewMemory
	}
	if opts.Images.Deadline <= 0 {
		opts.Images.Deadline = 3 * time.Second
	}
	opts.Images.Deadline = min(opts.Images.Deadline, opts.Deadline)
	if opts.Images.Compile == nil {
		opts.Images.Compile = compilePolicy
	}
	s := &Server{opts: opts, metrics: newMetrics(), log: opts.Log, ready: make(chan struct{}),
		budget: semaphore.NewWeighted(opts.ReviewMemory),
		gate:   newReviewGate(opts.MaxReviews, opts.MaxQueuedReviews), logLimit: newLogLimiter(logEvery)}
	s.gate.onQueue = func(n int64) { s.metrics.queuedReviews.Set(float64(n)) }
	s.imageCache = s.newImageCache(opts.Images.Cache)
	if err := s.loadConfig(); err != nil {
		return nil, err
	}
	if l := s.evaluator.Load().Limits(); l.CostOf(l.MaxReviewBytes) > opts.ReviewMemory {
		return nil, fmt.Errorf("the review memory (%d bytes) cannot hold one review of the largest size (%d bytes, which may take %d)",
			opts.ReviewMemory, l.MaxReviewBytes, l.CostOf(l.MaxReviewBytes))
	}
	if opts.CertFile != "" || opts.KeyFile != "" {
		c, err := newCertReloader(opts.CertFile, opts.KeyFile)
		if err != nil {
			return nil, err
		}
		s.certs = c
		s.metrics.certExpiry.Set(float64(c.NotAfter().Unix()))
	}
	if opts.Audit.Enabled {
		s.audit = s.newAuditFeed(opts.Audit)
	}
	return s, nil
}

// loadConfig reads the configuration file if it changed and swaps in an evaluator
// built from it. The file is read once; the evaluator is built from what was read.
func (s *Server) loadConfig() error {
	path := s.opts.ConfigPath
	if path == "" {
		if s.evaluator.Load() != nil {
			return s.recheckPolicy()
		}
		if len(s.opts.Policies) == 0 {
			ev, err := admission.NewWithOptions(nil, admission.Options{Limits: s.opts.Limits, Authorizer: s.opts.Authorizer})
			if err != nil {
				return err
			}
			s.evaluator.Store(ev)
			return nil
		}
		cfg := &config.Config{}
		ev, gen, pol, err := s.newEvaluator(cfg, nil)
		if err != nil {
			return err
		}
		s.evaluator.Store(ev)
		s.lastPolicy, s.generation, s.policyDigest = cfg, gen, pol
		return nil
	}
	data, err := readFile(path)
	if err != nil {
		return reject("unreadable", fmt.Errorf("config: %w", err))
	}
	if s.lastCfg != nil && bytes.Equal(data, s.lastCfg) {
		return s.recheckPolicy()
	}
	// A file being written in place reads differently twice: leave it for the
	// next check rather than apply the part written so far.
	time.Sleep(settleDelay)
	again, err := readFile(path)
	if err != nil {
		return reject("unreadable", fmt.Errorf("config: %w", err))
	}
	if !bytes.Equal(data, again) {
		return errChanging
	}
	if len(bytes.TrimSpace(data)) == 0 {
		// The moment between truncating a file and writing it anew; never the
		// built-in defaults in disguise (without --config they apply).
		return reject("empty", fmt.Errorf("config: %s is empty", path))
	}
	cfg, err := s.opts.ParseConfig(data, path)
	if err != nil {
		return reject("invalid", err)
	}
	ev, gen, pol, err := s.newEvaluator(cfg, nil)
	if err != nil {
		return asRejection(err)
	}
	s.evaluator.Store(ev)
	s.lastCfg, s.lastPolicy, s.generation, s.policyDigest = data, cfg, gen, pol
	return nil
}

// asRejection is err as a rejected configuration ("invalid" unless it says).
func asRejection(err error) error {
	var r *rejection
	if errors.As(err, &r) {
		return err
	}
	return reject("invalid", err)
}

// recheckPolicy rebuilds the evaluator in force when the files its policies read
// changed though the configuration did not: the signature policy's keys and
// trusted root, and the ValidatingAdmissionPolicy files. A policy whose files no
// longer load keeps the one in force (rejected, as a bad configuration is).
func (s *Server) recheckPolicy() error {
	if s.lastPolicy == nil {
		return nil
	}
	changed := false
	if s.generation != "" {
		chk, err := s.opts.Images.Compile(s.lastPolicy, s.opts.ConfigPath)
		if err != nil {
			return reject("invalid", err)
		}
		changed = chk == nil || chk.Generation() != s.generation
	}
	var pf *policyFiles
	if paths := policyPaths(s.lastPolicy, s.opts.ConfigPath, s.opts.Policies); len(paths) > 0 || s.policyDigest != "" {
		var err error
		if pf, err = s.readPolicies(paths); err != nil {
			return err
		}
		changed = changed || pf.digest != s.policyDigest
	}
	if !changed {
		return nil
	}
	ev, gen, pol, err := s.newEvaluator(s.lastPolicy, pf)
	if err != nil {
		return asRejection(err)
	}
	s.evaluator.Store(ev)
	s.generation, s.policyDigest = gen, pol
	return nil
}

// readPolicies reads the policy files; when they changed since the generation in
// force, twice, settleDelay apart, so that files being written are left for the
// next check.
func (s *Server) readPolicies(paths []string) (*policyFiles, error) {
	if len(paths) == 0 {
		return &policyFiles{}, nil
	}
	l := s.opts.Limits
	pf, err := readPolicies(paths, l)
	if err != nil {
		return nil, rejectPolicies("unreadable", err)
	}
	if pf.digest == s.policyDigest || s.policyDigest == "" && s.evaluator.Load() == nil {
		return pf, nil
	}
	time.Sleep(settleDelay)
	again, err := readPolicies(paths, l)
	if err != nil {
		return nil, rejectPolicies("unreadable", err)
	}
	if again.digest != pf.digest {
		return nil, errChanging
	}
	return pf, nil
}

// newEvaluator builds the evaluator of cfg, with its signature policy and its
// ValidatingAdmissionPolicies compiled (from pf when read already), and returns
// the signature policy's generation ("" without one) and the digest of the policy
// files ("" without any).
func (s *Server) newEvaluator(cfg *config.Config, pf *policyFiles) (*admission.Evaluator, string, string, error) {
	path := s.opts.ConfigPath
	chk, err := s.opts.Images.Compile(cfg, path)
	if err != nil {
		// The policy's errors name the file and line.
		return nil, "", "", err
	}
	o := admission.Options{Limits: s.opts.Limits, Authorizer: s.opts.Authorizer}
	gen := ""
	if chk != nil {
		if s.imageStore == nil {
			s.imageStore = s.opts.Images.Store
			if s.imageStore == nil {
				s.imageStore = signature.NewRegistryStore(s.opts.Images.Registry)
			}
		}
		gen = chk.Generation()
		o.Signatures = &admission.Signatures{Checker: chk, Store: s.imageStore, Cache: s.imageCache, Deadline: s.opts.Images.Deadline}
	}
	if pf == nil {
		if paths := policyPaths(cfg, path, s.opts.Policies); len(paths) > 0 {
			if pf, err = s.readPolicies(paths); err != nil {
				return nil, "", "", err
			}
		}
	}
	cp, err := compilePolicies(pf)
	if err != nil {
		return nil, "", "", rejectPolicies("invalid", err)
	}
	o.Policies, o.PolicyNames = cp.set, cp.names
	ev, err := admission.NewWithOptions(cfg, o)
	if err != nil {
		return nil, "", "", fmt.Errorf("%s: %w", path, err)
	}
	s.metrics.setPolicies(cp)
	return ev, gen, cp.digest, nil
}

// Evaluator is the evaluator in force.
func (s *Server) Evaluator() *admission.Evaluator { return s.evaluator.Load() }

// Reload checks the configuration and certificate files now, as the server does
// every ReloadInterval: a changed file that validates replaces the one in force; one
// that does not is rejected (logged and counted) and the old one kept.
func (s *Server) Reload() {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if s.opts.ConfigPath != "" {
		before := s.evaluator.Load()
		if err := s.loadConfig(); errors.Is(err, errChanging) {
			s.log.Info("configuration file changed while read; checked again at the next reload", "path", s.opts.ConfigPath)
		} else if err != nil {
			reason, what := rejectionReason(err), rejectionWhat(err)
			s.metrics.reloads.WithLabelValues(what, "rejected").Inc()
			s.metrics.reloadRejections.WithLabelValues(what, reason).Inc()
			s.log.Error("configuration rejected; the previous one stays in force", "path", s.opts.ConfigPath, "what", what, "reason", reason, "error", err.Error())
		} else if s.evaluator.Load() != before {
			s.metrics.reloads.WithLabelValues("config", "applied").Inc()
			s.log.Info("configuration reloaded", "path", s.opts.ConfigPath, "rules", len(s.evaluator.Load().Rules()), "policies", s.evaluator.Load().PolicyCount())
		}
	} else if len(s.opts.Policies) > 0 {
		before := s.evaluator.Load()
		if err := s.loadConfig(); errors.Is(err, errChanging) {
			s.log.Info("policy files changed while read; checked again at the next reload")
		} else if err != nil {
			reason := rejectionReason(err)
			s.metrics.reloads.WithLabelValues("policies", "rejected").Inc()
			s.metrics.reloadRejections.WithLabelValues("policies", reason).Inc()
			s.log.Error("policies rejected; the previous ones stay in force", "reason", reason, "error", err.Error())
		} else if s.evaluator.Load() != before {
			s.metrics.reloads.WithLabelValues("policies", "applied").Inc()
			s.log.Info("policies reloaded", "policies", s.evaluator.Load().PolicyCount())
		}
	}
	if s.certs != nil {
		changed, err := s.certs.Check()
		switch {
		case errors.Is(err, errChanging):
			s.log.Info("serving certificate files changed while read; checked again at the next reload", "file", s.opts.CertFile)
		case err != nil:
			reason := rejectionReason(err)
			s.metrics.reloads.WithLabelValues("certificate", "rejected").Inc()
			s.metrics.reloadRejections.WithLabelValues("certificate", reason).Inc()
			s.log.Error("serving certificate not reloaded; the previous one stays in use", "reason", reason, "error", err.Error())
		case changed:
			s.metrics.reloads.WithLabelValues("certificate", "applied").Inc()
			s.metrics.certExpiry.Set(float64(s.certs.NotAfter().Unix()))
			s.log.Info("serving certificate reloaded", "file", s.opts.CertFile, "notAfter", s.certs.NotAfter().UTC().Format(time.RFC3339))
		}
		if exp := s.certs.NotAfter(); time.Now().After(exp) {
			s.log.Error("the serving certificate in use has expired: the API server refuses it until a valid one is reloaded",
				"file", s.opts.CertFile, "notAfter", exp.UTC().Format(time.RFC3339))
		}
	}
}

// Handler serves every endpoint (without TLS: Run adds it).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/validate", s.admit("validate", s.reviewHandler("validate", func(ctx context.Context, ev *admission.Evaluator, req *admissionv1.AdmissionRequest) *admission.Decision {
		return ev.Review(ctx, req, s.opts.Cluster)
	})))
	mux.Handle("/validate-exec", s.admit("validate-exec", s.reviewHandler("validate-exec", func(ctx context.Context, ev *admission.Evaluator, req *admissionv1.AdmissionRequest) *admission.Decision {
		return ev.ReviewExec(ctx, req, s.opts.Cluster)
	})))
	mux.Handle("/imagepolicy", s.admit("imagepolicy", s.imagePolicy()))
	if s.audit != nil {
		// Not behind admit: audit batches never take a review slot.
		mux.Handle("/audit", s.audit)
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := s.notReady(); err != "" {
			http.Error(w, err, http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	})
	mux.Handle("/metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	return mux
}

func (s *Server) notReady() string {
	switch {
	case s.stopping.Load():
		return "shutting down"
	case s.evaluator.Load() == nil:
		return "no configuration"
	case s.opts.Synced != nil && !s.opts.Synced():
		return "caches not synced"
	}
	return ""
}

type reviewFunc func(ctx context.Context, ev *admission.Evaluator, req *admissionv1.AdmissionRequest) *admission.Decision

func (s *Server) reviewHandler(endpoint string, review reviewFunc) http.Handler {
	return s.handle(endpoint, "AdmissionReview", func(body []byte, l admission.Limits) (*job, error) {
		rev, err := l.DecodeReview(body)
		if err != nil {
			return nil, err
		}
		return &job{
			name: fmt.Sprintf("review %.100s of %.100s", rev.Request.UID, rev.Request.Kind.Kind),
			decide: func(ctx context.Context, ev *admission.Evaluator) *admission.Decision {
				return review(ctx, ev, rev.Request)
			},
			answer: func(d *admission.Decision) ([]byte, error) { return admission.EncodeResponse(d.Response()) },
		}, nil
	})
}

// imagePolicy answers an ImageReview of the ImagePolicyWebhook admission plugin.
func (s *Server) imagePolicy() http.Handler {
	return s.handle("imagepolicy", "ImageReview", func(body []byte, l admission.Limits) (*job, error) {
		rev, err := l.DecodeImageReview(body)
		if err != nil {
			return nil, err
		}
		return &job{
			name: fmt.Sprintf("image review of %d images", len(rev.Spec.Containers)),
			decide: func(ctx context.Context, ev *admission.Evaluator) *admission.Decision {
				return ev.ReviewImages(ctx, &rev.Spec)
			},
			answer: func(d *admission.Decision) ([]byte, error) {
				rev.Status = d.ImageReviewStatus()
				rev.APIVersion, rev.Kind = "imagepolicy.k8s.io/v1alpha1", "ImageReview"
				return json.Marshal(rev)
			},
		}, nil
	})
}

// job is a decoded review: its name for errors, its evaluation, and its answer.
type job struct {
	name   string
	decide func(ctx context.Context, ev *admission.Evaluator) *admission.Decision
	answer func(d *admission.Decision) ([]byte, error)
}

// run decides the review. A panic outside the rules (which the engine already
// contains) is an internal error of this review, answered as an error so that
// failurePolicy decides, never an allow; it does not take the replica down.
func (j *job) run(ctx context.Context, ev *admission.Evaluator) (d *admission.Decision) {
	defer func() {
		if v := recover(); v != nil {
			d = &admission.Decision{Err: fmt.Errorf("internal error in %s: %s", j.name, finding.Recovered(v))}
		}
	}()
	return j.decide(ctx, ev)
}

// handle serves one review endpoint within the review's bounds. The review's
// deadline runs from its arrival, and bounds the reading of its body too. Its
// memory (admission.Limits.Cost) is reserved from the review memory as its body
// arrives and once its values are counted, waiting for room until the deadline,
// and is returned when its evaluation stops, which the deadline makes it do: the
// in-flight gauge and the review memory count a review whose answer was an error
// until its work ends.
func (s *Server) handle(endpoint, want string, decode func(body []byte, l admission.Limits) (*job, error)) http.Handler {
	latency := s.metrics.latency.WithLabelValues(endpoint)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		if r.Method != http.MethodPost {
			http.Error(w, "POST an "+want, http.StatusMethodNotAllowed)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.Deadline)
		defer cancel()
		deadline, _ := ctx.Deadline()
		// Not every ResponseWriter can (a test's recorder); the server's ReadTimeout
		// bounds the read then.
		_ = http.NewResponseController(w).SetReadDeadline(deadline)
		ev := s.evaluator.Load()
		l := ev.Limits()
		if r.ContentLength > int64(l.MaxReviewBytes) {
			s.fail(w, endpoint, "limit", http.StatusRequestEntityTooLarge,
				&admission.LimitError{What: want + " bytes", Got: int(r.ContentLength), Max: l.MaxReviewBytes, Flag: "max-review-bytes"})
			return
		}
		res := &reservation{s: s, ctx: ctx}
		s.metrics.inFlight.Inc()
		stop := func() {
			res.release()
			s.metrics.inFlight.Dec()
		}
		handed := false // to the evaluation, which stops then
		defer func() {
			if !handed {
				stop()
			}
		}()
		failRead := func(err error) {
			var le *admission.LimitError
			switch {
			case errors.As(err, &le):
				s.fail(w, endpoint, "limit", http.StatusRequestEntityTooLarge, err)
			case errors.Is(err, errNoRoom):
				s.fail(w, endpoint, "overload", http.StatusServiceUnavailable,
					fmt.Errorf("no room for the review within %v: the reviews in flight hold the review memory", s.opts.Deadline))
			case ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded):
				s.fail(w, endpoint, "deadline", http.StatusServiceUnavailable, fmt.Errorf("%s not read within %v", want, s.opts.Deadline))
			default:
				s.fail(w, endpoint, "decode", http.StatusBadRequest, err)
			}
		}
		body, err := res.read(r.Body, l, int(r.ContentLength), l.MaxReviewBytes)
		if err == nil {
			// The counted values need more, or less.
			err = res.fit(l.Cost(len(body), admission.CountValues(body)))
		}
		if err != nil {
			failRead(err)
			return
		}
		j, err := decode(body, l)
		body = nil
		if err != nil {
			failRead(err)
			return
		}
		done := make(chan *admission.Decision, 1)
		handed = true
		go func() {
			defer stop()
			done <- j.run(ctx, ev)
		}()
		var d *admission.Decision
		select {
		case d = <-done:
		case <-ctx.Done():
		}
		if d == nil || (d.Err != nil && ctx.Err() != nil) {
			reason := "deadline"
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				reason = "canceled"
			}
			s.fail(w, endpoint, reason, http.StatusServiceUnavailable,
				fmt.Errorf("%s not decided within %v", j.name, s.opts.Deadline))
			return
		}
		if d.Err != nil && d.Policies != nil {
			// The policies' evaluation failed.
			s.metrics.policyErrors.WithLabelValues("evaluation").Inc()
			s.metrics.policyEvaluations.WithLabelValues(endpoint, "error").Inc()
			s.metrics.policyDuration.Observe(d.Policies.Elapsed.Seconds())
		}
		if d.Err != nil {
			s.log.Error("review failed", "endpoint", endpoint, "uid", short(d.UID), "kind", short(d.Kind), "operation", short(d.Operation),
				"object", short(d.Object.String()), "user", short(d.User), "error", short(d.Err.Error()))
			var le *admission.LimitError
			switch {
			case errors.As(d.Err, &le):
				s.fail(w, endpoint, "limit", http.StatusRequestEntityTooLarge, d.Err)
			case errors.Is(d.Err, admission.ErrInvalid):
				s.fail(w, endpoint, "decode", http.StatusBadRequest, d.Err)
			default:
				s.fail(w, endpoint, "evaluate", http.StatusInternalServerError, d.Err)
			}
			return
		}
		out, err := j.answer(d)
		if err != nil {
			s.fail(w, endpoint, "encode", http.StatusInternalServerError, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(out)
		elapsed := time.Since(start)
		latency.Observe(elapsed.Seconds())
		s.record(endpoint, ev, d, elapsed)
	})
}

// record counts a decision and writes its decision-log line. Metric labels take
// only values of bounded sets: kinds the evaluator knows and the API server's
// operations, anything else is "other".
func (s *Server) record(endpoint string, ev *admission.Evaluator, d *admission.Decision, elapsed time.Duration) {
	s.metrics.reviews.WithLabelValues(endpoint, kindLabel(ev, d.Kind), operationLabel(d.Operation), d.Outcome(), strconv.FormatBool(d.DryRun)).Inc()
	for _, v := range d.Verdicts {
		s.metrics.ruleHits.WithLabelValues(ruleLabel(ev, v.Finding.RuleID), string(v.Action)).Add(float64(max(v.Count, 1)))
	}
	if d.Policies != nil {
		s.recordPolicies(endpoint, ev, d)
	}
	attrs := []slog.Attr{
		slog.String("endpoint", endpoint), slog.String("uid", short(d.UID)), slog.String("kind", short(d.Kind)),
		slog.String("operation", short(d.Operation)), slog.String("object", short(d.Object.String())), slog.String("user", short(d.User)),
		slog.String("decision", d.Outcome()), slog.Bool("dryRun", d.DryRun), slog.Bool("enforced", d.Enforced()),
		slog.Any("rules", d.RuleActions()), slog.Int("findings", d.Findings()), slog.Float64("ms", float64(elapsed.Microseconds())/1000),
	}
	if d.SubResource != "" {
		attrs = append(attrs, slog.String("subresource", short(d.SubResource)))
	}
	if d.Exempt != "" {
		attrs = append(attrs, slog.String("exempt", d.Exempt))
	}
	if d.Policies != nil {
		attrs = append(attrs, slog.Int("policiesMatched", d.Policies.Matched), slog.Any("policies", policyLog(d)))
	}
	if len(d.Images) > 0 {
		// The signature verdict of each image, with the reason of a refusal.
		images := make([]map[string]string, 0, len(d.Images))
		for _, iv := range d.Images {
			m := map[string]string{"image": short(iv.Image), "verdict": iv.Verdict}
			if iv.Digest != "" {
				m["digest"] = short(iv.Digest)
			}
			if iv.Reason != "" {
				m["reason"] = string(iv.Reason)
			}
			images = append(images, m)
		}
		attrs = append(attrs, slog.Any("images", images))
	}
	s.log.LogAttrs(context.Background(), slog.LevelInfo, "review", attrs...)
}

// recordPolicies counts what the policies did with a review.
func (s *Server) recordPolicies(endpoint string, ev *admission.Evaluator, d *admission.Decision) {
	s.metrics.policyEvaluations.WithLabelValues(endpoint, d.Outcome()).Inc()
	s.metrics.policyDuration.Observe(d.Policies.Elapsed.Seconds())
	for _, v := range d.Verdicts {
		p := v.Finding.Policy
		if p == nil {
			continue
		}
		s.metrics.policyActions.WithLabelValues(s.metrics.policyLabel(ev, p.Policy), ruleLabel(ev, v.Finding.RuleID), string(v.Action)).Inc()
		if v.Finding.RuleID == admission.PolicyErrorRule {
			s.metrics.policyErrors.WithLabelValues("configuration").Inc()
		}
	}
}

// policyLog is the decision log's account of the policies' findings: each failed
// check with its policy, binding, validation, the binding's actions, the action
// taken and the message (as the API server words it in its own audit log).
func policyLog(d *admission.Decision) []map[string]any {
	out := []map[string]any{}
	for _, v := range d.Verdicts {
		p := v.Finding.Policy
		if p == nil {
			continue
		}
		m := map[string]any{"rule": v.Finding.RuleID, "policy": short(p.Policy), "binding": short(p.Binding),
			"validation": p.Validation, "actions": p.Actions, "action": string(v.Action), "message": short(v.Finding.Message)}
		if p.Param != "" {
			m["param"] = short(p.Param)
		}
		if v.Note != "" {
			m["note"] = short(v.Note)
		}
		out = append(out, m)
		if len(out) == maxLoggedPolicies {
			break
		}
	}
	return out
}

// maxLoggedPolicies bounds the policy findings of one decision-log line.
const maxLoggedPolicies = 50

// short bounds a value from a request in the log or an error.
func short(s string) string {
	const n = 1024
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// fail answers a review with an error, whose text (which may quote the request) is
// bounded.
func (s *Server) fail(w http.ResponseWriter, endpoint, reason string, code int, err error) {
	s.metrics.errors.WithLabelValues(endpoint, reason).Inc()
	msg := short(err.Error())
	if reason != "evaluate" {
		s.log.Warn("review not answered", "endpoint", endpoint, "reason", reason, "error", msg)
	}
	http.Error(w, "palisade: "+msg, code)
}

// Ready is closed once Run listens.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr is the address Run listens on, once Ready.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Run serves HTTPS until ctx ends, then shuts down gracefully: /readyz fails at once,
// the listener stays open ShutdownDelay longer (so endpoints drop this replica), and
// the reviews in flight finish (up to ShutdownTimeout) before Run returns.
//
// What a client can hold is bounded: MaxConnections connections, each for at most
// headerTimeout in the TLS handshake and as long again for its request headers,
// maxHeaderBytes of headers, the HTTP/2 limits of http2Config, and idleTimeout
// between requests; reviews are bounded by MaxReviews, MaxQueuedReviews and the
// Deadline (see admit).
func (s *Server) Run(ctx context.Context) error {
	if s.certs == nil {
		return errors.New("webhook: HTTPS only: a serving certificate and key are required")
	}
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return err
	}
	lim := newConnLimiter(ln, s.opts.MaxConnections)
	lim.onOpen, lim.onClose = s.metrics.connections.Inc, s.metrics.connections.Dec
	lim.onLimited = s.metrics.connsLimited.Inc
	s.listener = lim
	srv := &http.Server{
		Handler:           countRequests(s.Handler()),
		ReadHeaderTimeout: headerTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		HTTP2:             http2Config(),
		TLSConfig: &tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: s.certs.GetCertificate,
			NextProtos:     []string{"h2", "http/1.1"},
		},
		ConnContext: connContext,
		ConnState:   s.connState,
		ErrorLog:    log.New(errorLog{s}, "", 0),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(lim, "", "") }()
	close(s.ready)
	s.log.Info("serving", "addr", ln.Addr().String(), "config", s.opts.ConfigPath, "rules", len(s.evaluator.Load().Rules()))
	tick := time.NewTicker(s.opts.ReloadInterval)
	defer tick.Stop()
	for {
		select {
		case err := <-errc:
			return err
		case <-tick.C:
			s.Reload()
		case <-ctx.Done():
			s.stopping.Store(true)
			s.log.Info("shutting down", "delay", s.opts.ShutdownDelay.String())
			time.Sleep(s.opts.ShutdownDelay)
			sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
			defer cancel()
			if err := srv.Shutdown(sctx); err != nil {
				return fmt.Errorf("webhook: shutdown: %w", err)
			}
			if s.audit != nil {
				// The batches queued are judged, and the findings held back reported.
				s.audit.close(sctx)
			}
			s.log.Info("stopped")
			return nil
		}
	}
}
