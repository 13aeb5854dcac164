package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/checks/identity"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/report"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/safetext"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
	"github.com/palisade-k8s/palisade/internal/suppress"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// auditFlags are palisade audit's flags: scan's report, gate, configuration and
// baseline flags, the input flags of the state (-f, --cluster), and the log's.
type auditFlags struct {
	in              inputFlags
	o               scan.Options
	out             outputFlags
	configFile      string
	formatIn        string
	follow          bool
	window          time.Duration
	maxObjects      int
	maxIdentities   int
	maxEvent        byteSize
	includeDefaults bool
}

// auditStateKinds are the kinds read from -f or the cluster for the initial state
// and the RBAC model (the kinds that run pods come with them). Secrets are not
// read: the engine keeps nothing of them.
var auditStateKinds = append(slices.Clone(rbac.Kinds), "Pod", "Namespace")

func newAudit(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	a := &auditFlags{formatIn: "auto", window: audit.DefaultWindow, maxObjects: audit.DefaultMaxObjects,
		maxIdentities: audit.DefaultMaxIdentities, maxEvent: auditlog.DefaultMaxLine}
	c := &cobra.Command{
		Use:   "audit [LOG... | -]",
		Short: "Detect attacks and misuse in Kubernetes audit logs",
		Long: `Run the audit detections (PAL-9xx, see palisade rules) over Kubernetes audit logs:
audit.k8s.io/v1 Event JSON lines (the API server's log backend), rotated .gz files,
directories, standard input ("-"), Amazon EKS CloudWatch Logs exports and Google
Cloud Audit Logs of GKE (--format-in; auto decides per file).

The engine remembers the objects the log creates (pods with their host access,
service accounts, bindings) so that a finding names what an event acted on: an exec
into a pod created privileged earlier in the log is one finding, with the creation
in its chain of events. -f manifests or --cluster give the current state to start
from, and the RBAC model: each finding then lists the RBAC risk classes its actor
holds (palisade rbac risks), and its severity is raised one step when the actor could
escalate further (cluster-admin, bind, escalate, impersonate, read secrets, ...).

State is bounded: objects by --max-objects, identities by --max-identities, windows
by --window on the log's own clock. Memory does not grow with the number of events.

Reports work as for scan: same formats (each with the actor, the impersonator, the
source addresses and the chain of events with file:line), gate (--fail-on),
configuration (.palisade.yaml rules: enabled, severity, params; exemptions),
suppressions, baselines. --follow prints each finding as it is found (text, or JSON
lines with -o json) and keeps reading the file as it grows until interrupted.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage or
configuration error; 3 some input could not be read (the rest was judged); 4 internal
error.`,
		Example: `  palisade audit /var/log/kubernetes/audit/
  palisade audit audit.log -f deploy/ --fail-on critical
  palisade audit audit.log --cluster -o sarif --output-file audit.sarif
  kubectl logs -n kube-system kube-apiserver-cp1 | palisade audit -
  palisade audit --follow /var/log/kubernetes/audit/audit.log -o json
  palisade audit cloudwatch-export.json --format-in eks`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.run(cmd.Context(), cmd, args, stdin, stdout, stderr)
		},
	}
	f := c.Flags()
	a.out.register(c, &a.o, &a.configFile)
	for _, name := range []string{"pss-version", "pss-level", "framework", "verbose"} {
		_ = f.MarkHidden(name)
	}
	a.in.register(f, false)
	f.StringVar(&a.formatIn, "format-in", a.formatIn, "format of the logs: auto, events (audit.k8s.io/v1 Events), eks (CloudWatch Logs export), gke (Cloud Audit Logs)")
	f.BoolVar(&a.follow, "follow", false, "keep reading the log as it grows and print each finding as it is found (text lines, or JSON lines with -o json) until interrupted")
	f.DurationVar(&a.window, "window", a.window, "how long, on the log's clock, a detection remembers an identity's earlier events")
	f.IntVar(&a.maxObjects, "max-objects", a.maxObjects, "most objects remembered (the least recently used are forgotten)")
	f.IntVar(&a.maxIdentities, "max-identities", a.maxIdentities, "most identities each detection, and the RBAC context, keep state about")
	f.Var(&a.maxEvent, "max-event-size", "largest event (one line) read; a larger one is an input error")
	f.BoolVar(&a.includeDefaults, "include-defaults", false, "add the bootstrap ClusterRoles and ClusterRoleBindings of --kube-version to the RBAC model of -f")
	f.Lookup("filename").Usage = "manifests giving the current state and the RBAC model: file, directory, Helm chart, Kustomize overlay or - (repeatable)"
	f.Lookup("cluster").Usage = "read the current state and the RBAC model from the live cluster of the kubeconfig"
	_ = c.RegisterFlagCompletionFunc("format-in", fixedCompletion([]string{"auto", "events", "eks", "gke"}))
	c.AddCommand(newAuditRBAC(stdin, stdout, stderr), newAuditCoverage(stdout, stderr))
	return c
}

// usage prints a usage error and returns its exit code.
func usage(stderr io.Writer, err error) error {
	safetext.Fprintln(stderr, "palisade:", err)
	return exitError{ExitUsage}
}

func (a *auditFlags) check(args []string) error {
	switch {
	case a.o.Framework != "":
		return errors.New("audit: --framework is not supported (palisade rules --framework mitre-attack lists the detections by technique)")
	case a.window <= 0:
		return errors.New("--window must be above zero")
	case a.maxObjects < 1 || a.maxIdentities < 1:
		return errors.New("--max-objects and --max-identities must be at least 1")
	case slices.Contains(args, "-") && slices.Contains(a.in.files, "-"):
		return errors.New("standard input is either the log (-) or the manifests (-f -), not both")
	case a.follow && !slices.Contains(report.StreamFormats, a.out.format):
		return fmt.Errorf("--follow prints findings as they come: -o %s", strings.Join(report.StreamFormats, " or -o "))
	case a.follow && a.out.writeBaseline != "":
		return errors.New("--write-baseline records the findings of a finished run: not with --follow")
	case a.follow && a.out.outFile != "":
		return errors.New("--follow prints to standard output: not with --output-file")
	}
	switch a.formatIn {
	case "auto", "events", "eks", "gke":
	default:
		return fmt.Errorf("--format-in %q: want auto, events, eks or gke", a.formatIn)
	}
	return nil
}

func (a *auditFlags) run(ctx context.Context, cmd *cobra.Command, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if err := a.check(args); err != nil {
		return usage(stderr, err)
	}
	cfg, err := a.out.prepare(&a.o, a.configFile, stderr)
	if err != nil {
		return err
	}
	selected, err := a.rules(cfg)
	if err != nil {
		return usage(stderr, err)
	}
	failOn := a.o.FailOn
	if failOn == "" {
		failOn = cfg.FailOn
	}
	if failOn == "" {
		failOn = "high"
	}
	sev, gate, err := finding.ParseGate(failOn)
	if err != nil {
		return usage(stderr, fmt.Errorf("--fail-on: %w", err))
	}
	sup := &suppress.Suppressor{Exemptions: cfg.Exemptions, NoAnnotations: true}
	if a.o.BaselineFile != "" {
		if sup.Baseline, err = suppress.LoadBaseline(a.o.BaselineFile); err != nil {
			return usage(stderr, err)
		}
	}

	// The current state and the RBAC model, when -f or --cluster gives them.
	a.in.configFile = a.configFile
	st, err := a.state(ctx, stdin, cfg)
	if err != nil {
		return usage(stderr, err)
	}
	inErrs := st.errs

	var fs []finding.Finding
	onFinding := func(f finding.Finding) { fs = append(fs, f) }
	if a.follow {
		onFinding = func(f finding.Finding) {
			if err := report.WriteStream(stdout, f, a.out.format); err != nil {
				safetext.Fprintln(stderr, "palisade:", err)
			}
			// Only what the summary and the exit code need is kept.
			fs = append(fs, finding.Finding{RuleID: f.RuleID, Severity: f.Severity, Suppressed: f.Suppressed})
		}
	}
	e, err := audit.New(audit.Options{
		Rules:  selected,
		Params: func(id string) map[string]any { return cfg.Rules[id].Params },
		Limits: audit.Limits{Window: a.window, MaxObjects: a.maxObjects, MaxIdentities: a.maxIdentities},
		RBAC:   st.model, Risks: st.risks, Initial: st.objects,
		Suppress: func(f *finding.Finding) { sup.Apply(&inventory.Object{Ref: f.Object}, f) },
		Report:   onFinding,
	})
	if err != nil {
		return usage(stderr, err)
	}

	files, events, readErrs := a.read(ctx, args, stdin, e, stderr)
	inErrs = append(inErrs, readErrs...)
	e.Close()

	stats := e.Stats()
	rep := report.New(Version, fs, inErrs, files, 0, 0, sev, gate, selected)
	rep.SetAudit(report.AuditSummary{Events: events, Files: files, Objects: stats.Objects, ObjectsEvicted: stats.ObjectsEvicted, RBAC: st.model != nil})
	res := &scan.Result{Report: rep}
	if a.follow {
		safetext.Fprintln(stderr, "palisade:", report.AuditSummaryLine(rep))
	} else {
		if err := a.out.write(res, stdout, stderr); err != nil {
			return err
		}
		if a.out.format != "text" || a.out.outFile != "" {
			safetext.Fprintln(stderr, "palisade:", report.AuditSummaryLine(rep))
		}
	}
	if code := res.ExitCode(); code != 0 {
		return exitError{code}
	}
	return nil
}

// rules are the selected audit detections: the configuration's and --include's
// choice among them.
func (a *auditFlags) rules(cfg *config.Config) ([]*rules.Rule, error) {
	ids := rules.IDsFor(rules.Audit)
	if len(ids) == 0 {
		return nil, errors.New("audit: no detection is registered")
	}
	include, err := ruleIDsAmong(ids, a.o.Include, "audit")
	if err != nil {
		return nil, err
	}
	if len(a.o.Include) == 0 {
		include = nil
	}
	enabled, err := config.EnabledRules(cfg, include, a.o.Exclude)
	if err != nil {
		return nil, err
	}
	var out []*rules.Rule
	for _, r := range enabled {
		if r.RunsIn(rules.Audit) {
			out = append(out, r)
		}
	}
	return out, nil
}

// auditState is what -f or --cluster gives: the objects to start from, the RBAC
// model and its risks, and the input errors of the read.
type auditState struct {
	objects []*inventory.Object
	model   *rbac.Model
	risks   *rbac.RiskAnalysis
	errs    []finding.InputError
}

func (a *auditFlags) state(ctx context.Context, stdin io.Reader, cfg *config.Config) (auditState, error) {
	var st auditState
	if len(a.in.files) == 0 && !a.in.cluster {
		return st, nil
	}
	src, err := a.in.source(nil, stdin, "give the state with -f PATH, or name a kubeconfig with --kubeconfig")
	if err != nil {
		return st, err
	}
	finder := workload.NewFinder(cfg.PodTemplatePaths)
	res, err := src.Read(ctx, source.Needs{Kinds: auditStateKinds, Finder: finder})
	if err != nil {
		return st, err
	}
	st.objects, st.errs = res.Inventory.Objects, res.AllErrors()
	m, _, err := rbac.Build(st.objects, rbac.Options{IncludeDefaults: a.includeDefaults, KubeVersion: a.in.helm.KubeVersion, Finder: finder})
	if err != nil {
		return st, err
	}
	st.model, st.risks = m, m.AnalyzeRisks(identity.RiskClasses())
	return st, nil
}

// read runs the engine over the logs; a log that cannot be opened or a record that
// cannot be read is an input error, and the rest is read.
func (a *auditFlags) read(ctx context.Context, args []string, stdin io.Reader, e *audit.Engine, stderr io.Writer) (files, events int, errs []finding.InputError) {
	inputErr := func(file string, line int, err error) {
		ie := finding.InputError{Location: finding.Location{File: file, Line: line, Provenance: finding.FromAudit}, Message: err.Error()}
		errs = append(errs, ie)
		if a.follow {
			safetext.Fprintln(stderr, "palisade: input error:", ie.Error())
		}
	}
	var paths []string
	for _, p := range args {
		if p != "-" {
			if _, err := os.Stat(p); err != nil {
				inputErr(p, 0, errors.Unwrap(err))
				continue
			}
		}
		paths = append(paths, p)
	}
	if len(paths) == 0 {
		return len(args), 0, errs
	}
	format := auditlog.Format(a.formatIn)
	if a.formatIn == "auto" {
		format = auditlog.FormatAuto
	}
	r, err := auditlog.Open(ctx, paths, auditlog.Options{Format: format, Follow: a.follow, MaxLine: int(a.maxEvent), Stdin: stdin})
	if err != nil {
		inputErr(strings.Join(paths, ", "), 0, err)
		return len(args), 0, errs
	}
	defer r.Close()
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var ie *auditlog.InputError
		if errors.As(err, &ie) {
			inputErr(ie.File, ie.Line, ie.Err)
			continue
		}
		if err != nil {
			if ctx.Err() == nil || !a.follow {
				inputErr(strings.Join(paths, ", "), 0, err)
			}
			break
		}
		e.Process(ev)
	}
	return len(args) - len(paths) + len(r.Files()), r.Events, errs
}
