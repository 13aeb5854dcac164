package cli

// palisade node check: the node rules (CIS 1.1 and 4.x) on node facts files, with a
// view per node in the way kube-bench users read it: each recommendation of the
// node's benchmark as PASS, FAIL, UNKNOWN or N/A, then the remediations of the
// failures and the counts.

import (
	"context"
	"errors"
	"fmt"
	"github.com/palisade-k8s/palisade/internal/checks/nodes"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/palisade-k8s/palisade/internal/compliance"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/load"
	"github.com/palisade-k8s/palisade/internal/nodefacts"
	"github.com/palisade-k8s/palisade/internal/nodeprofile"
	"github.com/palisade-k8s/palisade/internal/report"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/safetext"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

// runNodeCheck runs `palisade node check` with args (what follows "check") and
// returns the exit code: scan's (0, 1 at or above --fail-on, 2 usage, 3 input
// errors or unknown checks, 4 internal).
func runNodeCheck(args []string, stdout, stderr io.Writer) int {
	c := newNodeCheck(stdout, stderr)
	c.SilenceUsage, c.SilenceErrors = true, true
	c.SetArgs(args)
	c.SetOut(stdout)
	c.SetErr(stderr)
	err := c.ExecuteContext(context.Background())
	var ee exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	}
	safetext.Fprintln(stderr, "palisade:", err)
	return ExitUsage
}

// nodeCheckFlags are node check's flags.
type nodeCheckFlags struct {
	out        outputFlags
	failOn     string
	configFile string
	profile    string
	in         inputFlags
}

// newNodeCheck is the `check` subcommand of `palisade node`.
func newNodeCheck(stdout, stderr io.Writer) *cobra.Command {
	var fl nodeCheckFlags
	c := &cobra.Command{
		Use:   "check FACTS...",
		Short: "Judge node facts files: the CIS worker-node and file checks, node by node",
		Long: `Judge the facts files that palisade node collect wrote (files, or directories of
them) with the node rules only (CIS 1.1 and 4.1 to 4.3): the kubelet's effective
configuration, built the way the kubelet builds it, and the owner and mode of the files
the benchmark names. Nothing is read on this machine but the facts files.

The default view lists, node by node, each recommendation of the node's benchmark (the
distribution profile of the facts, or --profile, chooses the benchmark variant and its
numbering) as:
  [PASS]     the check judged the node and found nothing wrong;
  [FAIL]     with the effective value, what the recommendation expects, and where the
             value came from (the config file and line, a drop-in, a flag, the
             default, the legacy default of a kubelet without --config, /configz);
  [UNKNOWN]  the evidence the check needs was not in the facts (a file not found, a
             kubelet not running), with the paths tried: never a pass or a failure;
  [N/A]      the benchmark variant has no such recommendation, or it is about a
             control-plane node and the node runs no control plane.
then the remediation of each failure and the counts. -o json, sarif, junit, html and
the other report formats write the usual report, the node evidence on each finding
and the unknown checks in its coverage section.

Exit codes, as scan's: 0 nothing at or above --fail-on; 1 findings at or above it;
2 usage or configuration error; 3 a facts file could not be read, or a check is
unknown; 4 internal error.`,
		Example: `  palisade node check examples/nodes/kubeadm-flags-only.json
  palisade node check examples/nodes/ --fail-on critical
  palisade node check examples/nodes/eks.json -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return fl.run(cmd.Context(), args, stdout, stderr)
		},
	}
	f := c.Flags()
	f.StringVarP(&fl.out.format, "output", "o", "text", "report format: the node view (text), or "+strings.Join(report.Formats(), ", "))
	f.StringVar(&fl.out.outFile, "output-file", "", "write the report to this file instead of standard output")
	f.StringVar(&fl.failOn, "fail-on", "", "lowest severity that fails the run: info, low, medium, high, critical, or none (default high)")
	f.StringVar(&fl.configFile, "config", "", "configuration file (default: .palisade.yaml in the working directory or a parent)")
	f.StringVar(&fl.profile, "profile", "", "distribution profile to judge every node by, instead of the facts' own: "+strings.Join(nodeprofile.Names(), ", "))
	f.BoolVar(&fl.out.noColor, "no-color", false, "never colour the text view")
	f.BoolVar(&fl.out.showSuppressed, "show-suppressed", false, "list suppressed findings (text report formats)")
	registerLimits(f, &fl.in.limits)
	_ = c.RegisterFlagCompletionFunc("output", fixedCompletion(report.Formats()))
	_ = c.RegisterFlagCompletionFunc("profile", fixedCompletion(nodeprofile.Names()))
	_ = c.RegisterFlagCompletionFunc("fail-on", fixedCompletion([]string{"info", "low", "medium", "high", "critical", "none"}))
	return c
}

func (fl *nodeCheckFlags) run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if len(args) == 0 {
		return errors.New("node check needs at least one facts file or directory (palisade node collect writes them)")
	}
	var prof *nodeprofile.Profile
	if fl.profile != "" {
		p, ok := nodeprofile.Get(fl.profile)
		if !ok {
			return fmt.Errorf("--profile: unknown profile %q (want one of %s)", fl.profile, strings.Join(nodeprofile.Names(), ", "))
		}
		prof = p
	}
	if fl.out.format != "text" {
		if _, err := reportFormat(fl.out.format); err != nil {
			return err
		}
	}
	o := scan.Options{FailOn: fl.failOn, Version: Version}
	cfg, err := fl.out.prepare(&o, fl.configFile, stderr)
	if err != nil {
		return err
	}
	nodeRules := nodeRuleIDs(cfg.Catalog().All())
	if len(nodeRules) == 0 {
		return errors.New("no node rule is registered")
	}
	o.Config, o.Include = cfg, nodeRules
	enabled, err := config.EnabledRules(cfg, nodeRules, nil)
	if err != nil {
		return err
	}
	var src source.Source = &source.Files{
		Paths: args, Limits: fl.in.limits,
		Render: load.RenderLimits{Timeout: load.DefaultRenderTimeout, MaxBytes: load.DefaultRenderMaxBytes},
	}
	ns := &nodeSource{Source: src}
	if prof != nil {
		ns.profile = prof.Name
	}
	o.Source = ns
	res, err := scan.RunContext(ctx, o)
	if err != nil {
		safetext.Fprintln(stderr, "palisade:", err)
		return exitError{ExitUsage}
	}
	nodes := ns.nodes(res)
	if len(nodes) == 0 && len(res.Report.Errors) == 0 && len(res.Report.Internal) == 0 {
		safetext.Fprintf(stderr, "palisade: no NodeFacts document in %s (palisade node collect writes them)\n", strings.Join(args, ", "))
		return exitError{ExitInputErrors}
	}
	fillNodeEvidence(res.Report, nodes)
	if fl.out.format == "text" {
		if err := fl.writeView(res, enabled, nodes, stdout, stderr); err != nil {
			return err
		}
	} else if err := fl.out.write(res, stdout, stderr); err != nil {
		return err
	}
	if code := res.ExitCode(); code != 0 {
		return exitError{code}
	}
	return nil
}

// reportFormat checks that a report format exists.
func reportFormat(name string) (string, error) {
	if slices.Contains(report.Formats(), name) {
		return name, nil
	}
	return "", fmt.Errorf("unknown output format %q (want one of %s)", name, strings.Join(report.Formats(), ", "))
}

// writeView writes the node view to stdout or --output-file.
func (fl *nodeCheckFlags) writeView(res *scan.Result, enabled []*rules.Rule, nodes []*nodeView, stdout, stderr io.Writer) error {
	w := stdout
	color := !fl.out.noColor && isTerminal(stdout) && os.Getenv("NO_COLOR") == ""
	if fl.out.outFile != "" {
		f, err := os.Create(fl.out.outFile)
		if err != nil {
			safetext.Fprintln(stderr, "palisade:", err)
			return exitError{ExitUsage}
		}
		defer f.Close()
		w, color = f, false
	}
	if err := writeNodeView(w, res, enabled, nodes, color); err != nil {
		safetext.Fprintln(stderr, "palisade:", err)
		return exitError{ExitUsage}
	}
	return nil
}

// nodeRuleIDs are the rules that judge node facts.
func nodeRuleIDs(all []*rules.Rule) []string {
	var ids []string
	for _, r := range all {
		if slices.Contains(r.Kinds, inventory.NodeFactsKind) {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// nodeSource reads its source and keeps what the view needs of each node's facts
// as the objects stream by (the scan drops bodies after evaluating them). With
// profile set (--profile), it names that profile in every node's facts before the
// rules see them, so that they judge each node by it.
type nodeSource struct {
	source.Source
	profile string

	mu    sync.Mutex
	facts map[*inventory.Object]*nodeView
}

func (s *nodeSource) Read(ctx context.Context, n source.Needs) (*source.Result, error) {
	s.facts = map[*inventory.Object]*nodeView{}
	visit := n.Visit
	n.Visit = func(o *inventory.Object) {
		s.see(o)
		if visit != nil {
			visit(o)
		}
	}
	res, err := s.Source.Read(ctx, n)
	if res != nil && res.Inventory != nil {
		for _, o := range res.Inventory.Objects {
			s.see(o)
		}
	}
	return res, err
}

// see records a node's facts, once, naming the profile of --profile in them first.
func (s *nodeSource) see(o *inventory.Object) {
	if o.Ref.Kind != inventory.NodeFactsKind {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.facts[o]; ok || o.Body == nil {
		return
	}
	if s.profile != "" {
		o.Body["profile"] = s.profile
		o.Body["profileReason"] = "--profile"
	}
	nv := &nodeView{obj: o, name: o.Ref.Name}
	f, err := nodefacts.FromBody(o.Body)
	if err != nil {
		nv.err = err
	} else {
		nv.facts = f
		nv.profile, nv.why = nodeprofile.Choose(f)
		if f.ProfileReason != "" && nv.profile != nil && nv.profile.Name == f.Profile {
			nv.why = f.ProfileReason
		}
	}
	s.facts[o] = nv
}

// nodeView is one node's facts object and what the view says about it.
type nodeView struct {
	obj  *inventory.Object
	name string
	// facts are the node's facts, profile the profile it is judged by, and why.
	facts   *nodefacts.Facts
	profile *nodeprofile.Profile
	why     string
	// err is why the facts could not be judged (they do not decode).
	err error
}

// nodes are the scan's node facts objects, in input order.
func (s *nodeSource) nodes(res *scan.Result) []*nodeView {
	if res.Input == nil || res.Input.Inventory == nil {
		return nil
	}
	var out []*nodeView
	for _, o := range res.Input.Inventory.Objects {
		if o.Ref.Kind != inventory.NodeFactsKind {
			continue
		}
		nv := s.facts[o]
		if nv == nil {
			nv = &nodeView{obj: o, name: o.Ref.Name, err: errors.New("not decoded")}
		}
		out = append(out, nv)
	}
	return out
}

// fillNodeEvidence completes the node evidence of findings with the node's profile:
// the benchmark, and the variant's number of the recommendation.
func fillNodeEvidence(r *report.Report, nodes []*nodeView) {
	byRef := map[finding.ObjectRef]*nodeView{}
	for _, n := range nodes {
		byRef[n.obj.Ref] = n
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		nv := byRef[f.Object]
		if f.Node == nil || nv == nil || nv.profile == nil {
			continue
		}
		ev := f.Node
		if ev.Profile == "" {
			ev.Profile = nv.profile.Name
		}
		if ev.Benchmark == "" {
			ev.Benchmark = nv.profile.Benchmark
		}
		if num, ok := nv.profile.Recommendation(f.RuleID, ev.Recommendation); ok && num != "" {
			ev.Recommendation = num
		}
	}
}

// The statuses of a recommendation on one node.
const (
	nodePass    = "PASS"
	nodeFail    = "FAIL"
	nodeUnknown = "UNKNOWN"
	nodeNA      = "N/A"
)

// nodeCheck is one recommendation's verdict on one node.
type nodeCheck struct {
	rule     *rules.Meta
	number   string // the variant's number ("4.2.1")
	cis      string // the CIS Kubernetes Benchmark number
	status   string
	findings []*finding.Finding
	unknown  []finding.CoverageGap
	// internal says the rule failed on the node (a bug): the check is unknown.
	internal []finding.InternalError
	// controlPlaneOnly: N/A because the check is about a control-plane node and
	// this node runs no control plane.
	controlPlaneOnly bool
}

// judgeNode decides every node rule on one node from what the scan reported:
// a rule that failed (an unsuppressed finding on the node's facts) is FAIL; one
// that could not decide (an unknown check on them, or an internal error) is
// UNKNOWN; one the profile's benchmark has not is N/A; one that ran on the facts
// and reported nothing is PASS. Facts that do not decode are judged by no rule.
func judgeNode(r *report.Report, enabled []*rules.Rule, nv *nodeView) []*nodeCheck {
	var out []*nodeCheck
	for _, rule := range enabled {
		m := &rule.Meta
		cis := ""
		if len(m.Frameworks.CIS) > 0 {
			cis = m.Frameworks.CIS[0]
		}
		nc := &nodeCheck{rule: m, cis: cis, number: cis, status: nodePass}
		if nv.profile != nil {
			num, ok := nv.profile.Recommendation(m.ID, cis)
			nc.number = num
			if !ok {
				nc.number, nc.status = cis, nodeNA
			}
		}
		if nv.facts != nil && !nodes.Applies(m.ID, nv.facts) {
			// A control-plane file check on a worker node.
			nc.status, nc.controlPlaneOnly = nodeNA, true
		}
		for i := range r.Findings {
			f := &r.Findings[i]
			if f.RuleID == m.ID && f.Object == nv.obj.Ref && f.Location.File == nv.obj.Origin.File {
				nc.findings = append(nc.findings, f)
			}
		}
		for _, g := range r.Coverage {
			if g.Rule == m.ID && g.Name == nv.obj.Ref.Name && g.Kind == nv.obj.Ref.Kind && g.Namespace == nv.obj.Ref.Namespace {
				nc.unknown = append(nc.unknown, g)
			}
		}
		for _, ie := range r.Internal {
			if ie.Rule == m.ID && (ie.Object == nil || *ie.Object == nv.obj.Ref) {
				nc.internal = append(nc.internal, ie)
			}
		}
		if nc.status != nodeNA {
			switch {
			case slices.ContainsFunc(nc.findings, func(f *finding.Finding) bool { return f.Suppressed == nil }):
				nc.status = nodeFail
			case len(nc.unknown) > 0 || len(nc.internal) > 0:
				nc.status = nodeUnknown
			}
		}
		out = append(out, nc)
	}
	slices.SortStableFunc(out, func(a, b *nodeCheck) int { return compareNumbers(a.number, b.number) })
	return out
}

// compareNumbers orders recommendation numbers part by part ("4.2.9" before
// "4.2.10"); numbers that are not numeric compare as text.
func compareNumbers(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		na, ea := strconv.Atoi(pa[i])
		nb, eb := strconv.Atoi(pb[i])
		switch {
		case ea == nil && eb == nil && na != nb:
			return na - nb
		case (ea != nil || eb != nil) && pa[i] != pb[i]:
			return strings.Compare(pa[i], pb[i])
		}
	}
	return len(pa) - len(pb)
}

// controlTitles are the CIS Kubernetes Benchmark's recommendations by number, to
// name each check as the benchmark does.
func controlTitles() map[string]string {
	out := map[string]string{}
	fw, err := compliance.Get("cis-1.12")
	if err != nil {
		return out
	}
	for _, c := range fw.Controls {
		out[c.ID] = c.Title
	}
	return out
}

// writeNodeView writes each node's checks, the remediations of its failures and
// its counts, then the totals and the verdict.
func writeNodeView(out io.Writer, res *scan.Result, enabled []*rules.Rule, nodes []*nodeView, color bool) error {
	w := &errWriter{w: out}
	r := res.Report
	paint := func(code, text string) safetext.Raw {
		if !color {
			return safetext.Raw(safetext.Escape(text))
		}
		return safetext.Raw(code + safetext.Escape(text) + "\x1b[0m")
	}
	statusColor := map[string]string{nodePass: "\x1b[32m", nodeFail: "\x1b[1;31m", nodeUnknown: "\x1b[33m", nodeNA: "\x1b[2m"}
	for _, ie := range r.Internal {
		where := ""
		if ie.Location != nil {
			where = ie.Location.String() + ": "
		}
		msg := ie.Message
		if ie.Rule != "" {
			msg = "rule " + ie.Rule + " failed: " + msg
		}
		safetext.Fprintf(w, "%s %s%s\n", paint("\x1b[1;35m", "INTERNAL ERROR"), where, msg)
	}
	for _, e := range r.Errors {
		safetext.Fprintf(w, "%s %s: %s\n", paint("\x1b[1;31m", "INPUT ERROR"), e.Location, e.Message)
	}
	if len(r.Internal)+len(r.Errors) > 0 {
		fmt.Fprintln(w)
	}
	titles := controlTitles()
	total := map[string]int{}
	for _, nv := range nodes {
		safetext.Fprintf(w, "%s  %s\n", paint("\x1b[1m", "Node "+nv.name), nv.obj.Origin.File)
		if nv.err != nil {
			safetext.Fprintf(w, "  not checked: the facts do not decode: %s\n\n", nv.err)
			continue
		}
		if p := nv.profile; p != nil {
			safetext.Fprintf(w, "  profile %s (%s): %s\n", p.Name, nv.why, strings.TrimSpace(p.Benchmark+" "+p.BenchmarkVersion))
		}
		checks := judgeNode(r, enabled, nv)
		counts := map[string]int{}
		for _, nc := range checks {
			counts[nc.status]++
			total[nc.status]++
			title := titles[nc.cis]
			if title == "" {
				title = nc.rule.Title
			}
			safetext.Fprintf(w, "%s %s %s (%s)\n", paint(statusColor[nc.status], "["+nc.status+"]"), nc.number, title, nc.rule.ID)
			const indent = "      "
			switch nc.status {
			case nodeFail:
				for _, f := range nc.findings {
					writeNodeFinding(w, f, indent)
				}
			case nodeUnknown:
				for _, g := range nc.unknown {
					safetext.Fprintf(w, "%s%s\n", indent, g.Reason)
					if len(g.Tried) > 0 {
						safetext.Fprintf(w, "%stried: %s\n", indent, strings.Join(g.Tried, ", "))
					}
				}
				for _, ie := range nc.internal {
					safetext.Fprintf(w, "%sinternal error: %s\n", indent, ie.Message)
				}
			case nodeNA:
				if nc.controlPlaneOnly {
					safetext.Fprintf(w, "%sa control-plane check: the node runs no control plane (no control-plane manifest, no control-plane label)\n", indent)
				} else if nv.profile != nil {
					safetext.Fprintf(w, "%s%s has no such recommendation (CIS Kubernetes %s)\n", indent, nv.profile.Benchmark, nc.cis)
				}
			case nodePass:
				for _, f := range nc.findings {
					// Only suppressed findings: the check failed and was accepted.
					writeNodeFinding(w, f, indent)
				}
			}
		}
		var remedies []*nodeCheck
		for _, nc := range checks {
			if nc.status == nodeFail {
				remedies = append(remedies, nc)
			}
		}
		if len(remedies) > 0 {
			safetext.Fprintf(w, "\n== Remediations %s ==\n", nv.name)
			for _, nc := range remedies {
				safetext.Fprintf(w, "%s %s\n", nc.number, nc.rule.Remediation)
			}
		}
		safetext.Fprintf(w, "\n== Summary %s ==\n", nv.name)
		for _, st := range []string{nodePass, nodeFail, nodeUnknown, nodeNA} {
			safetext.Fprintf(w, "%d checks %s\n", counts[st], st)
		}
		fmt.Fprintln(w)
	}
	if len(nodes) > 1 {
		safetext.Fprintln(w, "== Summary total ==")
		for _, st := range []string{nodePass, nodeFail, nodeUnknown, nodeNA} {
			safetext.Fprintf(w, "%d checks %s\n", total[st], st)
		}
		fmt.Fprintln(w)
	}
	safetext.Fprintf(w, "Checked %s from %s: %d pass, %d fail, %d unknown, %d not applicable",
		pluralNoun(len(nodes), "node"), pluralNoun(r.Summary.Inputs, "input"), total[nodePass], total[nodeFail], total[nodeUnknown], total[nodeNA])
	if r.Summary.Suppressed > 0 {
		safetext.Fprintf(w, "; %d suppressed", r.Summary.Suppressed)
	}
	if n := r.Summary.InputErrors; n > 0 {
		safetext.Fprintf(w, "; %s", pluralNoun(n, "input error"))
	}
	fmt.Fprintln(w, ".")
	switch {
	case len(r.Internal) > 0:
		fmt.Fprintln(w, "Result: incomplete, Palisade failed on part of the input (exit 4); please report the internal errors above.")
	case r.Summary.InputErrors > 0:
		fmt.Fprintln(w, "Result: some input could not be read (exit 3).")
	case len(r.Coverage) > 0:
		fmt.Fprintln(w, "Result: incomplete, some checks could not decide for lack of evidence (exit 3).")
	case r.Summary.Failed:
		safetext.Fprintf(w, "Result: FAIL, findings at or above %s.\n", r.Summary.FailOn)
	default:
		safetext.Fprintf(w, "Result: pass (fail-on %s).\n", r.Summary.FailOn)
	}
	return w.err
}

// writeNodeFinding writes a finding of the view: its message, its evidence, where
// in the facts file, and its suppression.
func writeNodeFinding(w io.Writer, f *finding.Finding, indent string) {
	safetext.Fprintf(w, "%s%s\n", indent, f.Message)
	if ev := f.Node; ev != nil {
		if ev.Value != "" || ev.Expected != "" {
			v := ev.Value
			if v == "" {
				v = "(unset)"
			}
			safetext.Fprintf(w, "%seffective value: %s; expected: %s\n", indent, v, ev.Expected)
		}
		if s := report.OriginText(ev.Origin); s != "" {
			safetext.Fprintf(w, "%sfrom: %s\n", indent, s)
		}
		if ev.File != nil {
			safetext.Fprintf(w, "%sfile: %s\n", indent, report.FileText(ev.File))
		}
	}
	safetext.Fprintf(w, "%sat: %s\n", indent, f.Location)
	if s := f.Suppressed; s != nil {
		safetext.Fprintf(w, "%ssuppressed (%s): %s\n", indent, s.Kind, s.Reason)
	}
}

func pluralNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, nil
}
