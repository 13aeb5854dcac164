// Package cli is Palisade's command line: it parses flags and calls the packages that
// do the work. Nothing here decides what a finding is.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/palisade-k8s/palisade/internal/celrule"
	"github.com/palisade-k8s/palisade/internal/compliance"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/report"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/safetext"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
	"github.com/palisade-k8s/palisade/internal/vex"
)

// Version is Palisade's version, in `palisade version` and every report. `make build`
// sets it with -ldflags "-X github.com/palisade-k8s/palisade/internal/cli.Version=...";
// otherwise (go install, go build, go run) it comes from the build information the Go
// toolchain records (see stampedVersion).
var Version = "dev"

func init() {
	info, _ := debug.ReadBuildInfo()
	Version = stampedVersion(Version, info)
}

// stampedVersion is the version of a binary: the one set at link time, else the main
// module's (v1.2.3 from go install, a pseudo-version from go build in a checkout),
// else the commit it was built from ("dev-0123456789ab", "-modified" when the
// working tree had changes), else "dev".
func stampedVersion(linked string, info *debug.BuildInfo) string {
	if linked != "" && linked != "dev" {
		return linked
	}
	if info == nil {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified {
		return "dev-" + rev + "-modified"
	}
	return "dev-" + rev
}

// Exit codes.
const (
	ExitOK          = 0
	ExitFindings    = 1
	ExitUsage       = 2
	ExitInputErrors = 3
	// ExitInternal says Palisade itself failed (a panic: a bug). A rule or stage
	// that panics on part of the input is reported as an internal error after the
	// report of everything else; a panic anywhere else ends the run with this code.
	ExitInternal = 4
)

// exitError carries an exit code out of a command.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// Main runs the CLI and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer lastResort(stderr, &code)
	// Ctrl-C and SIGTERM end the command's context: a read (live, or of files between
	// documents) stops at once with an error that says so; a second signal ends the
	// process as usual.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // from now on a signal ends the process at once
	}()
	root := NewRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var ee exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	default:
		safetext.Fprintln(stderr, "palisade:", err)
		return ExitUsage
	}
}

// NewRoot builds the command tree.
func NewRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "palisade",
		Short:         "Check and enforce Kubernetes security best practices",
		Long:          "Palisade checks Kubernetes manifests, Helm charts and Kustomize overlays against security best practices\n(Pod Security Standards, CIS Kubernetes Benchmark, NSA/CISA hardening guide) and gates CI on the result.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: displayName(os.Args[0])},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newScan(stdin, stdout, stderr), newCluster(stdout, stderr), newImage(stdout, stderr), newRules(stdout), newExplain(stdout), newVersion(stdout))
	root.AddCommand(newNetpol(stdin, stdout, stderr), newRBAC(stdin, stdout, stderr), newPaths(stdin, stdout, stderr), newWebhook(stdout, stderr))
	root.AddCommand(newDB(stdout, stderr), newAudit(stdin, stdout, stderr), newNode(stdout, stderr))
	return root
}

// displayName is the command as the user typed it, for usage and help: "kubectl
// palisade" when the binary is the kubectl plugin kubectl-palisade (kubectl runs
// `kubectl palisade ...` as kubectl-palisade, the krew manifest installs it so),
// else "palisade".
func displayName(arg0 string) string {
	base := strings.TrimSuffix(filepath.Base(arg0), ".exe")
	if name, ok := strings.CutPrefix(base, "kubectl-"); ok && name != "" {
		return "kubectl " + strings.ReplaceAll(name, "_", "-")
	}
	return "palisade"
}

// lastResort turns a panic that nothing else recovered into an internal error: the
// panic, its stack for the bug report, and ExitInternal instead of the Go runtime's
// exit code 2 (which is the code of a usage error). Defer it.
func lastResort(stderr io.Writer, code *int) {
	if v := recover(); v != nil {
		safetext.Fprintf(stderr, "palisade: internal error: %s\n%s\npalisade: this is a bug; please report it with the stack above\n", finding.Recovered(v), debug.Stack())
		*code = ExitInternal
	}
}

func newVersion(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(stdout, "palisade %s\n", Version)
			return nil
		},
	}
}

func newRules(stdout io.Writer) *cobra.Command {
	var format, framework, configFile string
	c := &cobra.Command{
		Use:   "rules",
		Short: "List the rule catalogue, or a framework's controls and the rules behind each",
		Long: `List the rule catalogue, or a framework's controls and the rules behind each. The
custom rules of the configuration (customRules of .palisade.yaml, or --config) are
listed with the built-in ones.`,
		Args: cobra.NoArgs,
		Example: `  palisade rules
  palisade rules --framework cis-1.12
  palisade rules --framework pss-restricted --format json`,
		RunE: func(*cobra.Command, []string) error {
			catalog, err := configCatalog(configFile)
			if err != nil {
				return err
			}
			if framework != "" {
				f, err := compliance.Get(framework)
				if err != nil {
					return fmt.Errorf("--framework: %w", err)
				}
				return report.WriteFramework(stdout, f, catalog.All(), format)
			}
			return report.WriteCatalog(stdout, catalog.All(), format)
		},
	}
	c.Flags().StringVar(&format, "format", "table", "output format: "+strings.Join(report.CatalogFormats, ", "))
	c.Flags().StringVar(&framework, "framework", "", "list the controls of a framework ("+strings.Join(compliance.Names(), ", ")+") with the rules behind each")
	c.Flags().StringVar(&configFile, "config", "", "configuration file, for its custom rules (default: .palisade.yaml in the working directory or a parent)")
	_ = c.RegisterFlagCompletionFunc("format", fixedCompletion(report.CatalogFormats))
	_ = c.RegisterFlagCompletionFunc("framework", fixedCompletion(compliance.Names()))
	return c
}

func newExplain(stdout io.Writer) *cobra.Command {
	var configFile string
	c := &cobra.Command{
		Use:   "explain RULE-ID",
		Short: "Explain a rule: why it matters, how to fix it, what it maps to",
		Long: `Explain a rule: why it matters, how to fix it, what it maps to. A custom rule of the
configuration (customRules of .palisade.yaml, or --config) is explained like a
built-in one.`,
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			var ids []string
			catalog, err := configCatalog(configFile)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			for _, r := range catalog.All() {
				ids = append(ids, r.ID+"\t"+r.Title)
			}
			return ids, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error {
			wd, _ := os.Getwd()
			cfg, err := config.Resolve(configFile, wd)
			if err != nil {
				return err
			}
			r, ok := cfg.Catalog().Get(args[0])
			if !ok {
				return fmt.Errorf("unknown rule %q (see `palisade rules`)", args[0])
			}
			report.WriteExplain(stdout, r, false)
			if s, ok := cfg.CustomRule(r.ID); ok {
				writeCustomRule(stdout, cfg.Path, s)
			}
			return nil
		},
	}
	c.Flags().StringVar(&configFile, "config", "", "configuration file, for its custom rules (default: .palisade.yaml in the working directory or a parent)")
	return c
}

// writeCustomRule prints where a custom rule is defined and its CEL, after its
// explanation.
func writeCustomRule(w io.Writer, path string, s celrule.Spec) {
	var match []string
	if len(s.Match.Kinds) > 0 {
		match = append(match, "kinds "+strings.Join(s.Match.Kinds, ", "))
	}
	if s.Match.Workloads {
		match = append(match, "every pod template (podSpec, podMetadata)")
	}
	safetext.Fprintf(w, "\nDefined: %s:%d (customRules)\nMatch: %s\nExpression: %s\n", path, s.Line, strings.Join(match, "; "), strings.TrimSpace(s.Expression))
	if m := strings.TrimSpace(s.MessageExpression); m != "" {
		safetext.Fprintf(w, "Message expression: %s\n", m)
	}
	if m := strings.TrimSpace(s.Message); m != "" {
		safetext.Fprintf(w, "Message: %s\n", m)
	}
}

// configCatalog is the rules of the configuration (the file, or the one found from
// the working directory upward): the registry and the custom rules.
func configCatalog(configFile string) (*rules.Catalog, error) {
	wd, _ := os.Getwd()
	cfg, err := config.Resolve(configFile, wd)
	if err != nil {
		return nil, err
	}
	return cfg.Catalog(), nil
}

func fixedCompletion(vals []string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return vals, cobra.ShellCompDirectiveNoFileComp
	}
}

func newScan(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var (
		o          scan.Options
		in         inputFlags
		out        outputFlags
		im         imageFlags
		configFile string
		gitHistory string
		pf         policyFlags
	)
	c := &cobra.Command{
		Use:   "scan [PATH... | -]",
		Short: "Scan manifests, Helm charts and Kustomize overlays",
		Long: `Scan files and directories (recursively; .yaml, .yml, .json), Helm charts (a directory
with Chart.yaml, or a .tgz), Kustomize overlays (a directory with kustomization.yaml), or
standard input ("-"), named as arguments or with -f (repeatable, as with kubectl).
--cluster scans the live cluster instead, as palisade cluster does.

With --git-history, the history of the git repository that holds the paths is read too
(no git binary needed): credentials that a commit of the range added under the paths
and that the working tree no longer holds are reported with the commit, its date, the
file and the line. RANGE is REV (every commit reachable from it) or A..B (reachable
from B, not from A), given as --git-history=RANGE; the default is HEAD.

With --images, the image of every container (init and ephemeral containers too) of the
scanned workloads is also read and checked inside, as palisade image does: each
reference resolved, each digest analysed once (and cached, --image-cache), at most
--image-parallel at a time; findings on an image name the workloads that run it. An
image that cannot be pulled or read is a coverage entry naming it and why (exit 3).

With --framework, the report is a compliance view instead: every control of the
framework (` + strings.Join(compliance.Names(), ", ") + `) as pass, fail (with the failing
objects) or not applicable (with the reason).

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it (with
--framework: a failing control with a finding at or above --fail-on, which then
defaults to info); 2 usage or configuration error; 3 some input could not be read
(the report still covers the rest); 4 internal error: Palisade failed on part of the
input, a bug to report (the report still covers the rest).`,
		Example: `  palisade scan examples/insecure
  palisade scan -f examples/insecure -f examples/hardened
  palisade scan examples/hardened/chart --values examples/hardened/chart/values.yaml --set replicaCount=3
  helm template payments ./chart | palisade scan - -o sarif --output-file palisade.sarif
  palisade scan examples/insecure --framework cis-1.12
  palisade scan deploy/ --git-history
  palisade scan deploy/ --git-history=v1.2.0..HEAD
  palisade scan deploy/ --images`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(in.paths(args)) == 0 && !in.cluster {
				return errors.New("scan needs at least one PATH (or - for standard input)")
			}
			deprecatedValuesShorthand(&in, args, stderr)
			cfg, err := out.prepare(&o, configFile, stderr)
			if err != nil {
				return err
			}
			cfg = im.vuln.configure(cfg)
			if cmd.Flags().Changed("git-history") && in.cluster {
				fmt.Fprintln(stderr, "palisade: --git-history reads the history of files: give paths, not --cluster")
				return exitError{ExitUsage}
			}
			src, err := in.source(args, stdin, "scan manifests with `palisade scan PATH`, or name a kubeconfig with --kubeconfig")
			if err != nil {
				safetext.Fprintln(stderr, "palisade:", err)
				return exitError{ExitUsage}
			}
			o.Source, o.Config, o.Version, o.BoundMemory = src, cfg, Version, !in.cluster && !im.images
			pf.apply(&o)
			if o.Source, err = im.withImages(src, cfg, stderr); err != nil {
				safetext.Fprintln(stderr, "palisade:", err)
				return exitError{ExitUsage}
			}
			if cmd.Flags().Changed("git-history") {
				h := &source.GitHistory{Paths: in.paths(args), Range: gitHistory, Namespace: in.defaultNamespace, Limits: in.limits}
				if isTerminal(stderr) {
					h.Progress = stderr
				}
				o.History = h
			}
			return out.run(cmd.Context(), o, stdout, stderr)
		},
	}
	f := c.Flags()
	out.register(c, &o, &configFile)
	registerVEX(f, &o)
	pf.register(f, true)
	in.register(f, false)
	im.register(f, true)
	f.StringVar(&gitHistory, "git-history", "", "also read the git history of the paths' repository for credentials added and since removed; `RANGE` is REV or A..B, given as --git-history=RANGE (default HEAD)")
	f.Lookup("git-history").NoOptDefVal = "HEAD"
	// scan's -n was, and stays, the namespace of objects that name none.
	f.StringVarP(&in.defaultNamespace, "namespace", "n", "", "namespace for objects that name none (default \"default\")")
	return c
}

// writeCoverage says on stderr what a report's coverage gaps left unchecked.
func writeCoverage(r *report.Report, stderr io.Writer) {
	for _, g := range r.Coverage {
		if line, ok := report.UnknownText(g); ok {
			safetext.Fprintf(stderr, "palisade: unknown: %s\n", line)
			continue
		}
		if g.Kind == finding.ImageKind && g.Image != "" {
			safetext.Fprintf(stderr, "palisade: not checked: image %s: %s\n", g.Image, g.Reason)
			continue
		}
		safetext.Fprintf(stderr, "palisade: not checked: %s %s: %s\n", g.Kind, g.Namespace, g.Reason)
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// outputFlags are the flags scan and cluster share: report format and destination,
// gate, configuration, baseline, rule selection and framework.
type outputFlags struct {
	format         string
	outFile        string
	writeBaseline  string
	noColor        bool
	showSuppressed bool
	verbose        bool
	// pathHops lists the hops of attack paths in the text report (palisade paths;
	// elsewhere -v does).
	pathHops bool
}

func (out *outputFlags) register(c *cobra.Command, o *scan.Options, configFile *string) {
	f := c.Flags()
	f.StringVarP(&out.format, "output", "o", "text", "report format: "+strings.Join(report.Formats(), ", "))
	f.StringVar(&out.outFile, "output-file", "", "write the report to this file instead of standard output")
	f.StringVar(&o.FailOn, "fail-on", "", "lowest severity that fails the run: info, low, medium, high, critical, or none (default high)")
	f.StringVar(configFile, "config", "", "configuration file (default: .palisade.yaml in the working directory or a parent)")
	f.StringVar(&o.PSSVersion, "pss-version", "", "Kubernetes version of the Pod Security Standards to apply, e.g. 1.30 (default latest)")
	f.StringVar(&o.PSSLevel, "pss-level", "", "Pod Security Standards level to hold workloads to: restricted or baseline (default: the config's podSecurityLevel, else restricted)")
	f.StringVar(&o.BaselineFile, "baseline", "", "hide findings recorded in this baseline file")
	f.StringVar(&out.writeBaseline, "write-baseline", "", "record the current findings in this baseline file")
	f.StringSliceVar(&o.Include, "include", nil, "run only these rules (IDs or globs such as PAL-02*, comma-separated or repeated)")
	f.StringSliceVar(&o.Exclude, "exclude", nil, "do not run these rules (IDs or globs)")
	f.BoolVar(&out.noColor, "no-color", false, "never colour the text report")
	f.BoolVar(&out.showSuppressed, "show-suppressed", false, "list suppressed findings in the text report")
	f.StringVar(&o.Framework, "framework", "", "report control by control against a framework: "+strings.Join(compliance.Names(), ", "))
	f.BoolVarP(&out.verbose, "verbose", "v", false, "with --framework, list every failing object of a control; list every hop of an attack path, with its evidence (text report)")
	_ = c.RegisterFlagCompletionFunc("output", fixedCompletion(report.Formats()))
	_ = c.RegisterFlagCompletionFunc("framework", fixedCompletion(compliance.Names()))
	_ = c.RegisterFlagCompletionFunc("fail-on", fixedCompletion([]string{"info", "low", "medium", "high", "critical", "none"}))
}

// registerVEX adds --vex (scan, image, cluster).
func registerVEX(f *pflag.FlagSet, o *scan.Options) {
	f.StringArrayVar(&o.VEX, "vex", nil, "OpenVEX document whose not_affected and fixed statements suppress the known vulnerabilities they cover, with their justification (repeatable; the latest statement wins)")
}

// prepare checks the flags against each other and loads the configuration.
func (out *outputFlags) prepare(o *scan.Options, configFile string, stderr io.Writer) (*config.Config, error) {
	if o.Framework != "" {
		if err := report.CheckComplianceFormat(out.format); err != nil {
			return nil, err
		}
	}
	// The documents are read again by the scan; checking them here fails a typo
	// before a cluster is reached or an image pulled.
	if _, err := vex.Load(o.VEX); err != nil {
		safetext.Fprintln(stderr, "palisade: --vex:", err)
		return nil, exitError{ExitUsage}
	}
	wd, _ := os.Getwd()
	cfg, err := config.Resolve(configFile, wd)
	if err != nil {
		safetext.Fprintln(stderr, "palisade:", err)
		return nil, exitError{ExitUsage}
	}
	return cfg, nil
}

// write records the baseline if asked and renders the report.
// run scans with o, writes the report and turns its outcome into the exit code.
func (out *outputFlags) run(ctx context.Context, o scan.Options, stdout, stderr io.Writer) error {
	res, err := scan.RunContext(ctx, o)
	if err != nil {
		safetext.Fprintln(stderr, "palisade:", err)
		return exitError{ExitUsage}
	}
	if res.Input.SecretsRedacted {
		fmt.Fprintln(stderr, "palisade: Secrets read without their values (use --include-secret-values for the secret rules)")
	}
	if err := out.write(res, stdout, stderr); err != nil {
		return err
	}
	if code := res.ExitCode(); code != 0 {
		return exitError{code}
	}
	return nil
}

func (out *outputFlags) write(res *scan.Result, stdout, stderr io.Writer) error {
	format, outFile, writeBaseline := out.format, out.outFile, out.writeBaseline
	noColor, showSuppressed, verbose := out.noColor, out.showSuppressed, out.verbose
	if writeBaseline != "" {
		n, err := scan.WriteBaseline(res, writeBaseline)
		if err != nil {
			safetext.Fprintln(stderr, "palisade:", err)
			return exitError{ExitUsage}
		}
		safetext.Fprintf(stderr, "palisade: wrote %d findings to baseline %s\n", n, writeBaseline)
	}
	w := stdout
	color := !noColor && isTerminal(stdout) && os.Getenv("NO_COLOR") == ""
	if outFile != "" {
		f, err := os.Create(outFile)
		if err != nil {
			safetext.Fprintln(stderr, "palisade:", err)
			return exitError{ExitUsage}
		}
		defer f.Close()
		w, color = f, false
	}
	ropts := report.Options{Color: color, ShowSuppressed: showSuppressed, Verbose: verbose, PathHops: out.pathHops || verbose}
	var err error
	if res.Compliance != nil {
		err = report.WriteCompliance(w, res.Report, res.Compliance, format, ropts)
	} else {
		err = report.Write(w, res.Report, format, ropts)
	}
	if err != nil {
		safetext.Fprintln(stderr, "palisade:", err)
		return exitError{ExitUsage}
	}
	if outFile != "" || format != "text" {
		for _, e := range res.Report.Errors {
			safetext.Fprintln(stderr, "palisade: input error:", e.Error())
		}
	}
	if outFile != "" || format != "text" {
		writeCoverage(res.Report, stderr)
	}
	for _, n := range res.Report.Notices {
		safetext.Fprintf(stderr, "palisade: notice: %s\n", n)
	}
	return nil
}
