package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/kubernetes"

	"github.com/palisade-k8s/palisade/internal/admission"
	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/live"
	"github.com/palisade-k8s/palisade/internal/safetext"
	"github.com/palisade-k8s/palisade/internal/signature"
	"github.com/palisade-k8s/palisade/internal/webhook"
)

func newWebhook(stdout, stderr io.Writer) *cobra.Command {
	c := &cobra.Command{
		Use:   "webhook",
		Short: "Enforce the rules at admission: serve the validating webhook, or make development certificates",
	}
	c.AddCommand(newWebhookServe(stderr), newWebhookCerts(stdout))
	return c
}

func newWebhookServe(stderr io.Writer) *cobra.Command {
	var (
		opts                    webhook.Options
		kubeconfig, kubeContext string
		noCluster               bool
		logLevel                string
		memoryLimit             bytesFlag
	)
	opts.Limits = admission.DefaultLimits
	maxReviewBytes, reviewMemory := bytesFlag(opts.Limits.MaxReviewBytes), bytesFlag(webhook.DefaultReviewMemory)
	auditBatch, auditQueue := bytesFlag(webhook.DefaultAuditBatchBytes), bytesFlag(webhook.DefaultAuditQueueBytes)
	c := &cobra.Command{
		Use:   "serve --tls-cert-file FILE --tls-key-file FILE [--config FILE]",
		Short: "Serve the admission webhook over HTTPS",
		Long: `Serve Palisade's validating admission webhook over HTTPS:

  /validate       AdmissionReview (admission.k8s.io/v1) for objects: the scan's rules,
                  with each finding's action (deny, warn, audit) from the configuration
  /validate-exec  CONNECT pods/exec and pods/attach, and pods/ephemeralcontainers:
                  denied into privileged, hostPID or hostIPC pods
  /imagepolicy    ImageReview (imagepolicy.k8s.io/v1alpha1) for the ImagePolicyWebhook
                  admission plugin: the image rules
  /audit          with --audit: EventList (audit.k8s.io/v1) from the API server's audit
                  webhook backend (--audit-webhook-config-file): the audit detections,
                  findings in the log and the metrics (docs/audit-webhook.md)
  /healthz, /readyz, /metrics (Prometheus)

The configuration is the scan's .palisade.yaml with its webhook: section; it and the
serving certificate are re-read every --reload-interval and replaced when they change
(a configuration that does not validate, an empty file, a certificate that does not
match its key or is not valid now are rejected, logged and counted, and the old one
kept). Every
decision is logged to standard error as one JSON line. On SIGTERM the server turns
unready, waits --shutdown-delay, and finishes the reviews in flight. Unless $GOGC is
set, the garbage collector runs at GOGC=400; give the container's memory limit as
--memory-limit so that it collects harder near it.

What one review may cost is bounded: its body (--max-review-bytes), its JSON values
(--max-review-values), the containers of a pod template and the images of an
ImageReview (--max-containers); a review past them is answered with an error, to
which the API server applies the webhook's failurePolicy. At most --max-findings
findings are kept per review, and a denial lists at most --max-listed of them (the
rest are summarised, and still decide). The reviews in flight hold at most
--review-memory together, each counted from its size; a review waits for room
until its deadline. The deadline (--review-deadline) stops the evaluation too.

Under overload the server stays within bounds: at most --max-connections connections
(each gets 5s for its TLS handshake and 5s for its request headers, and is closed
after 90s idle; past the limit, new connections wait), at most --max-reviews reviews
evaluated at once and
--max-queued-reviews waiting. A review that finds no room, or waits half of
--review-deadline, is answered at once with 503, so the API server applies the
webhook's failurePolicy without waiting for timeoutSeconds; the deadline counts from
the request's arrival.

With an images.verify policy in the configuration, the images of pods, of pod
controllers (Deployments, CronJobs, ...) and of image reviews are verified before
the rules run: tags are resolved to digests through the registry, and each digest's
signatures and attestations are checked against the policy (PAL-115). Verdicts are
cached by digest and policy generation (--image-cache-size; a refusal for 30s only,
a tag's digest for --image-tag-ttl), and concurrent reviews of one digest wait for
one verification. The images of one review get --image-deadline; an image not
verified in time, or whose registry fails, is PAL-116, denied unless
webhook.actions.rules sets PAL-116 to audit (admit and audit) or warn; its
verification goes on, so a retry finds the verdict. The policy's key and trusted
root files are re-read at each reload too.

ValidatingAdmissionPolicies (admissionregistration.k8s.io/v1), with their bindings
and parameter resources, from the configuration's policies: and from --policy
(files or directories of YAML or JSON) are applied to every review, with the API
server's own code: a denial is answered with the API server's message, Warn
actions are admission warnings, Audit actions and the policies' auditAnnotations
are audit annotations ("<webhook name>/validation_failure",
"<webhook name>/<policy>_<key>"). Their failures are findings PAL-800 (Deny),
PAL-801 (Warn), PAL-802 (Audit) and PAL-803 (a policy that cannot be applied), whose
actions webhook.actions and the exemptions retune. The policy files are re-read
at each reload, and a generation that does not compile is rejected (the previous
one stays). The policies' CEL authorizer checks are SubjectAccessReviews to the API
server, cached for 10s; with --no-cluster they, and the policies' namespace reads,
are errors. The webhook configuration must send the operations and resources the
policies match (DELETE, CONNECT, subresources included).

Namespaces and pods are read through informer caches, with the usual kubeconfig
rules (--kubeconfig, $KUBECONFIG, ~/.kube/config, then in-cluster).`,
		Example: `  palisade webhook serve --tls-cert-file /certs/tls.crt --tls-key-file /certs/tls.key --config /config/.palisade.yaml
  palisade webhook serve --tls-cert-file /certs/tls.crt --tls-key-file /certs/tls.key --policy /policies --policy require-team-label.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.CertFile == "" || opts.KeyFile == "" {
				fmt.Fprintln(stderr, "palisade: webhook serve is HTTPS only: --tls-cert-file and --tls-key-file are required")
				return exitError{ExitUsage}
			}
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				safetext.Fprintln(stderr, "palisade: --log-level:", err)
				return exitError{ExitUsage}
			}
			opts.Log = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
			if memoryLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
				// The runtime's soft limit, below the container's, leaves room for
				// what the Go heap does not count (stacks, buffers of the OS).
				debug.SetMemoryLimit(int64(memoryLimit) / 10 * 9)
			}
			opts.Limits.MaxReviewBytes, opts.ReviewMemory = int(maxReviewBytes), int64(reviewMemory)
			opts.Audit.MaxBatchBytes, opts.Audit.QueueBytes = int64(auditBatch), int64(auditQueue)
			if os.Getenv("GOGC") == "" {
				// Reviews allocate much and keep little: collecting at 5x the live
				// heap instead of 2x saves about a sixth of the CPU per review, for a
				// heap that stays in the tens of megabytes ($GOGC overrides it).
				debug.SetGCPercent(400)
			}
			if opts.MaxConnections < 1 || opts.MaxReviews < 1 || opts.MaxQueuedReviews < 0 {
				fmt.Fprintln(stderr, "palisade: --max-connections and --max-reviews must be at least 1, --max-queued-reviews at least 0")
				return exitError{ExitUsage}
			}
			if opts.Images.Deadline <= 0 || opts.Images.Cache.Size < 1 || opts.Images.Cache.TagTTL <= 0 || opts.Images.Cache.TagTTL > signature.MaxTagTTL {
				fmt.Fprintln(stderr, "palisade: --image-deadline must be positive, --image-cache-size at least 1, --image-tag-ttl positive and at most 5m")
				return exitError{ExitUsage}
			}
			if opts.MaxQueuedReviews == 0 {
				opts.MaxQueuedReviews = -1 // none (0 is the default in webhook.Options)
			}
			opts.ParseConfig = config.ParseFile
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			if !noCluster {
				rc, err := live.RESTConfig(kubeconfig, kubeContext)
				if err != nil {
					safetext.Fprintln(stderr, "palisade:", err, "(--no-cluster serves without namespace labels and exec reviews)")
					return exitError{ExitUsage}
				}
				rc.UserAgent = "palisade-webhook/" + Version
				client, err := kubernetes.NewForConfig(rc)
				if err != nil {
					safetext.Fprintln(stderr, "palisade:", err)
					return exitError{ExitUsage}
				}
				cl := webhook.NewCluster(client)
				cl.Start(ctx)
				opts.Cluster, opts.Synced = cl, cl.Synced
				if opts.Authorizer, err = webhook.NewSARAuthorizer(client, webhook.DefaultAuthorizerTTL); err != nil {
					safetext.Fprintln(stderr, "palisade:", err)
					return exitError{ExitUsage}
				}
			}
			s, err := webhook.New(opts)
			if err != nil {
				safetext.Fprintln(stderr, "palisade:", err)
				return exitError{ExitUsage}
			}
			if err := s.Run(ctx); err != nil {
				safetext.Fprintln(stderr, "palisade:", err)
				return exitError{ExitUsage}
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&opts.Addr, "listen", ":8443", "HTTPS listen address")
	f.StringVar(&opts.CertFile, "tls-cert-file", "", "serving certificate (PEM), reloaded when it changes")
	f.StringVar(&opts.KeyFile, "tls-key-file", "", "serving key (PEM), reloaded when it changes")
	f.StringVar(&opts.ConfigPath, "config", "", "configuration file (.palisade.yaml), reloaded when it changes (default: built-in defaults)")
	f.StringArrayVar(&opts.Policies, "policy", nil, "file or directory of ValidatingAdmissionPolicies, bindings and parameter resources to apply (repeatable; re-read at each reload)")
	f.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG, then ~/.kube/config, then in-cluster)")
	f.StringVar(&kubeContext, "context", "", "kubeconfig context")
	f.BoolVar(&noCluster, "no-cluster", false, "serve without cluster access: namespace labels are unknown and exec reviews fail")
	f.DurationVar(&opts.Deadline, "review-deadline", 4*time.Second, "answer with an error (the API server applies failurePolicy) when a review takes longer; keep it below the webhook's timeoutSeconds")
	f.DurationVar(&opts.ReloadInterval, "reload-interval", 10*time.Second, "how often the configuration and certificate files are checked for changes")
	f.DurationVar(&opts.ShutdownDelay, "shutdown-delay", 5*time.Second, "how long to stay up, unready, after SIGTERM, so the Service stops routing here")
	f.DurationVar(&opts.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long to let in-flight reviews finish")
	f.IntVar(&opts.MaxConnections, "max-connections", 512, "open client connections at most; past it, new ones wait for one to close")
	f.IntVar(&opts.MaxReviews, "max-reviews", 8, "reviews evaluated at once")
	f.IntVar(&opts.MaxQueuedReviews, "max-queued-reviews", 512, "reviews waiting for one of --max-reviews (0: none); past it, or after half of --review-deadline, a review is answered at once with 503 and the API server applies failurePolicy")
	f.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn, error")
	f.Var(&memoryLimit, "memory-limit", "the container's memory limit (a quantity: 256Mi); the Go runtime's soft memory limit is set to 90% of it unless $GOMEMLIMIT is set")
	f.Var(&reviewMemory, "review-memory", "memory the reviews in flight may hold together, each counted from its size; a review waits for room until its deadline")
	f.Var(&maxReviewBytes, "max-review-bytes", "largest review body read")
	f.IntVar(&opts.Limits.MaxValues, "max-review-values", opts.Limits.MaxValues, "most JSON values (objects, lists, strings, numbers...) in one review")
	f.IntVar(&opts.Limits.MaxContainers, "max-containers", opts.Limits.MaxContainers, "most containers in a pod template (init, regular and ephemeral) and images in an ImageReview")
	f.IntVar(&opts.Limits.MaxFindings, "max-findings", opts.Limits.MaxFindings, "most findings kept per review; more are counted by rule and still decide")
	f.DurationVar(&opts.Images.Deadline, "image-deadline", 3*time.Second, "time the signature verification of one review's images may take (at most --review-deadline); an image not verified in time is PAL-116")
	f.IntVar(&opts.Images.Cache.Size, "image-cache-size", 4096, "signature verdicts kept (by digest and policy generation), and tag resolutions")
	f.DurationVar(&opts.Images.Cache.TagTTL, "image-tag-ttl", 30*time.Second, "how long a tag's resolution to a digest is believed (at most 5m)")
	f.StringArrayVar(&opts.Images.Registry.Insecure, "insecure-registry", nil, "registry HOST[:PORT] whose signatures are read over plain HTTP (repeatable)")
	f.IntVar(&opts.Limits.MaxListed, "max-listed", opts.Limits.MaxListed, "most findings listed in a denial message, and warnings returned; the rest are summarised")
	f.BoolVar(&opts.Audit.Enabled, "audit", false, "serve /audit, the API server's audit webhook backend: run the audit detections on the events it posts")
	f.Var(&auditBatch, "audit-max-batch-size", "largest EventList read from /audit (larger ones are refused with 413)")
	f.Var(&auditQueue, "audit-queue-size", "bytes of /audit batches waiting for the detections; past it, batches are dropped (answered 200, counted in palisade_webhook_audit_dropped_events_total)")
	f.DurationVar(&opts.Audit.Limits.Window, "audit-window", audit.DefaultWindow, "how long the /audit detections keep state about an identity or object (on the events' clock)")
	f.IntVar(&opts.Audit.Limits.MaxObjects, "audit-max-objects", audit.DefaultMaxObjects, "most objects the /audit detections remember")
	return c
}

// bytesFlag is a size in bytes, given as a Kubernetes quantity (256Mi, 7340032).
type bytesFlag int64

func (b *bytesFlag) String() string {
	if *b == 0 {
		return ""
	}
	return resource.NewQuantity(int64(*b), resource.BinarySI).String()
}

func (b *bytesFlag) Set(s string) error {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return err
	}
	v, ok := q.AsInt64()
	if !ok || v <= 0 {
		return fmt.Errorf("%s: not a size in bytes", s)
	}
	*b = bytesFlag(v)
	return nil
}

func (b *bytesFlag) Type() string { return "quantity" }

func newWebhookCerts(stdout io.Writer) *cobra.Command {
	var (
		dir      string
		dnsNames []string
		ips      []string
		validity time.Duration
		force    bool
	)
	c := &cobra.Command{
		Use:   "certs --out-dir DIR --dns-name NAME...",
		Short: "Generate a CA and a serving certificate for development and tests",
		Long: `Generate a certificate authority and a serving certificate it signs, for development
and tests: ` + strings.Join([]string{webhook.CertFiles.CA, webhook.CertFiles.CAKey, webhook.CertFiles.Cert, webhook.CertFiles.Key}, ", ") + ` in --out-dir.
Files already in --out-dir are not overwritten without --force.
The CA certificate is the caBundle of the webhook configuration. In a cluster, prefer
cert-manager (the Helm chart supports it), which renews the certificate: the server
reloads it without a restart.`,
		Example: `  palisade webhook certs --out-dir certs --dns-name palisade.palisade.svc --dns-name palisade.palisade.svc.cluster.local
  palisade webhook certs --out-dir certs-local --ip 127.0.0.1`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if dir == "" {
				return fmt.Errorf("--out-dir is required")
			}
			var parsed []net.IP
			for _, s := range ips {
				ip := net.ParseIP(s)
				if ip == nil {
					return fmt.Errorf("--ip %q is not an IP address", s)
				}
				parsed = append(parsed, ip)
			}
			err := webhook.GenerateCerts(dir, webhook.CertOptions{DNSNames: dnsNames, IPs: parsed, Validity: validity, Force: force})
			var exists *webhook.ExistingFilesError
			if errors.As(err, &exists) {
				return fmt.Errorf("%w (--force replaces them; a replaced CA key invalidates every caBundle made from it)", err)
			}
			if err != nil {
				return err
			}
			safetext.Fprintf(stdout, "wrote %s, %s, %s and %s to %s\n", webhook.CertFiles.CA, webhook.CertFiles.CAKey, webhook.CertFiles.Cert, webhook.CertFiles.Key, dir)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&dir, "out-dir", "", "directory to write the files into")
	f.StringArrayVar(&dnsNames, "dns-name", nil, "DNS name of the serving certificate (repeatable)")
	f.StringArrayVar(&ips, "ip", nil, "IP address of the serving certificate (repeatable)")
	f.DurationVar(&validity, "validity", 365*24*time.Hour, "how long the certificates are valid")
	f.BoolVar(&force, "force", false, "overwrite files already in --out-dir (refused without it)")
	return c
}
