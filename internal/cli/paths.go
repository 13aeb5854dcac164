package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/palisade-k8s/palisade/internal/attackpath"
	"github.com/palisade-k8s/palisade/internal/checks/attackpaths"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/report"
	"github.com/palisade-k8s/palisade/internal/safetext"
	"github.com/palisade-k8s/palisade/internal/scan"
)

// graphFormats are the formats of `palisade paths` that draw the paths as a graph
// (attackpath.WriteGraph) rather than a report.
var graphFormats = attackpath.GraphFormats

// pathQuery are the query flags of paths and paths diff.
type pathQuery struct {
	from, to []string
	maxDepth int
	all      bool
}

func (q *pathQuery) register(f *pflag.FlagSet) {
	f.StringSliceVar(&q.from, "from", nil, "entry points (comma-separated or repeated): internet, pod, namespace:NS, workload:NS/KIND/NAME, identity:user:NAME, identity:group:NAME, identity:sa:NS:NAME (default with --to: internet,pod)")
	f.StringSliceVar(&q.to, "to", nil, "targets (comma-separated or repeated): cluster-admin, node, secrets, secrets:NS, workload:NS/KIND/NAME (default with --from: cluster-admin,node,secrets)")
	f.IntVar(&q.maxDepth, "max-depth", 0, fmt.Sprintf("the longest path reported, in hops, 1 to 32 (default: the configuration's maxDepth of %s, else %d)", attackpaths.InternetAdmin, attackpath.DefaultMaxDepth))
	f.BoolVar(&q.all, "all", false, "list in each finding the other simple paths through the same workload, up to --max-depth (otherwise they are counted)")
}

// rules returns the rules the query runs (the query rule with --from/--to, else the
// fixed ones, narrowed by --include) and the configuration that sets their
// parameters.
func (q *pathQuery) apply(cfg *config.Config, include []string) ([]string, *config.Config, error) {
	for _, s := range q.from {
		if _, err := attackpath.ParseEntry(s); err != nil {
			return nil, nil, fmt.Errorf("--from: %w", err)
		}
	}
	for _, s := range q.to {
		if _, err := attackpath.ParseTarget(s); err != nil {
			return nil, nil, fmt.Errorf("--to: %w", err)
		}
	}
	if q.maxDepth != 0 && (q.maxDepth < 1 || q.maxDepth > 32) {
		return nil, nil, fmt.Errorf("--max-depth %d: want a number of hops from 1 to 32", q.maxDepth)
	}
	ids := attackpaths.Fixed
	if len(q.from) > 0 || len(q.to) > 0 {
		if len(include) > 0 {
			return nil, nil, errors.New("--include picks among the fixed path rules: give either it or --from/--to")
		}
		from, to := q.from, q.to
		if len(from) == 0 {
			from = []string{attackpath.Internet, attackpath.AnyPod}
		}
		if len(to) == 0 {
			to = []string{attackpath.ClusterAdmin, attackpath.HostNode, "secrets"}
		}
		ids = []string{attackpaths.Query}
		cfg = cfg.WithParam(attackpaths.Query, attackpaths.ParamFrom, from).WithParam(attackpaths.Query, attackpaths.ParamTo, to)
	} else {
		var err error
		if ids, err = ruleIDsAmong(ids, include, "attack-path"); err != nil {
			return nil, nil, err
		}
	}
	if q.maxDepth != 0 {
		cfg = cfg.WithParam(attackpaths.InternetAdmin, attackpaths.ParamMaxDepth, strconv.Itoa(q.maxDepth))
	}
	if q.all {
		cfg = cfg.WithParam(attackpaths.InternetAdmin, attackpaths.ParamAllPaths, "true")
	}
	return ids, cfg, nil
}

func newPaths(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var (
		in         inputFlags
		o          scan.Options
		out        outputFlags
		q          pathQuery
		configFile string
	)
	c := &cobra.Command{
		Use:   "paths [PATH...]",
		Short: "Attack paths: from the internet or any pod to cluster-admin, the nodes or the Secrets, each hop proven, with the fix that cuts it",
		Long: `Chain what every analyzer proves into attack paths: what the internet reaches (Services,
Ingresses, host ports, admitted by the NetworkPolicies), what a compromised pod reaches
next (the NetworkPolicy matrix), which token its pods mount and what that token can do
(RBAC: binding -> role -> rule), and which pods can take their node over. Each path is a
finding on its pivot (the path's last workload) with every hop's evidence and the one
change that cuts it (the cheapest: a field, a binding subject, a NetworkPolicy, a
Service).

By default the rules PAL-470..PAL-475 run: the internet and any pod (of another
namespace) to cluster-admin, a node and the Secrets. --from and --to ask a query of
your own instead (PAL-476), whose severity follows the target and the entry.
Reads manifests (paths or -f, as scan) or the live cluster (--cluster, or no path).

Output: the report formats of scan, and dot (Graphviz) or mermaid (a flowchart) for
the graph of the paths found. Reports work as for scan: gate (--fail-on),
configuration, suppressions (a path is suppressed on its workload), baseline and exit
codes. Node IDs and the edges' evidence: docs/paths.md.`,
		Example: `  palisade paths -f examples/insecure
  palisade paths -f examples/insecure --from internet --to cluster-admin -o json
  palisade paths -f deploy/ --from namespace:ci --to secrets:payments --max-depth 6
  palisade paths --context prod --from identity:user:alice --to node
  palisade paths -f examples/insecure -o dot | dot -Tsvg > paths.svg
  palisade paths -f examples/insecure -o mermaid --output-file paths.mmd
  palisade paths -f examples/hardened -o json --output-file before.json
  palisade paths diff examples/hardened examples/insecure --fail-on high`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := out.prepare(&o, configFile, stderr)
			if err != nil {
				return err
			}
			ids, cfg, err := q.apply(cfg, o.Include)
			if err != nil {
				return finish(stderr, err, false, 0)
			}
			o.Include, o.Config, o.Version = ids, cfg, Version
			if o.Source, err = in.source(args, stdin, "read manifests with -f PATH, or name a kubeconfig with --kubeconfig"); err != nil {
				return finish(stderr, err, false, 0)
			}
			o.BoundMemory = !in.live(args)
			if isGraphFormat(out.format) {
				return runPathGraph(cmd.Context(), o, &out, stdout, stderr)
			}
			return out.run(cmd.Context(), o, stdout, stderr)
		},
	}
	in.liveByDefault = true
	in.register(c.Flags(), false)
	out.register(c, &o, &configFile)
	out.pathHops = true
	q.register(c.Flags())
	formats := append(report.Formats(), graphFormats...)
	c.Flags().Lookup("output").Usage = "output format: " + strings.Join(formats, ", ")
	_ = c.RegisterFlagCompletionFunc("output", fixedCompletion(formats))
	c.AddCommand(newPathsDiff(stdin, stdout, stderr))
	return c
}

func isGraphFormat(f string) bool {
	for _, g := range graphFormats {
		if f == g {
			return true
		}
	}
	return false
}

// runPathGraph scans and draws the unsuppressed paths as a graph; input errors and
// the gate give the exit code as for a report.
func runPathGraph(ctx context.Context, o scan.Options, out *outputFlags, stdout, stderr io.Writer) error {
	res, err := scan.RunContext(ctx, o)
	if err != nil {
		safetext.Fprintln(stderr, "palisade:", err)
		return exitError{ExitUsage}
	}
	var fs []finding.Finding
	for _, f := range res.Report.Findings {
		if f.Suppressed == nil && f.AttackPath != nil {
			fs = append(fs, f)
		}
	}
	if err := writeTo(stdout, out.outFile, func(w io.Writer) error { return writePathGraph(w, fs, out.format) }); err != nil {
		safetext.Fprintln(stderr, "palisade:", err)
		return exitError{ExitUsage}
	}
	for _, e := range res.Report.Errors {
		safetext.Fprintln(stderr, "palisade: input error:", e.Error())
	}
	writeCoverage(res.Report, stderr)
	if code := res.ExitCode(); code != 0 {
		return exitError{code}
	}
	return nil
}

// pathDiffFormats are the formats of paths diff.
var pathDiffFormats = []string{"text", "json"}

func newPathsDiff(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var (
		in         inputFlags
		q          pathQuery
		format     string
		failOn     string
		configFile string
		include    []string
	)
	c := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Attack paths opened, closed and changed between two versions",
		Long: `Compare the attack paths of two versions: each of OLD and NEW is a JSON report (of
palisade paths or scan -o json) or an input to analyse (a file, directory, chart or
overlay, as for -f, with the same query flags as paths). Paths are matched by
fingerprint (the rule, the pivot workload, the entry and the target): a path is
opened, closed, or changed when it still leads from the same entry to the same target
through the same workload by another route. Suppressed findings count in neither.

Exit codes: 0 no path at or above --fail-on opened; 1 one did (a code-review gate);
2 usage error; 3 some input could not be read.`,
		Example: `  palisade paths diff examples/hardened examples/insecure
  palisade paths diff examples/insecure examples/hardened --fail-on none -o json
  palisade paths diff before.json examples/insecure --from namespace:shop-insecure --to secrets`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(in.files) > 0 || in.cluster {
				return finish(stderr, errors.New("diff takes OLD and NEW as arguments, not -f or --cluster"), false, 0)
			}
			gate, err := parseGate(failOn)
			if err != nil {
				return finish(stderr, err, false, 0)
			}
			if format != "text" && format != "json" {
				return finish(stderr, fmt.Errorf("unknown output format %q (want text or json)", format), false, 0)
			}
			var o scan.Options
			var oo outputFlags
			cfg, err := oo.prepare(&o, configFile, stderr)
			if err != nil {
				return err
			}
			ids, cfg, err := q.apply(cfg, include)
			if err != nil {
				return finish(stderr, err, false, 0)
			}
			sides := [2][]finding.Finding{}
			bad := false
			for i, arg := range args {
				fs, b, err := pathFindings(cmd.Context(), arg, &in, ids, cfg, stdin, stderr)
				if err != nil {
					return finish(stderr, fmt.Errorf("%s: %w", []string{"OLD", "NEW"}[i], err), false, 0)
				}
				sides[i], bad = fs, bad || b
			}
			d := diffPaths(sides[0], sides[1])
			if err := writePathDiff(stdout, d, format); err != nil {
				return finish(stderr, err, false, 0)
			}
			code := 0
			if gate != nil {
				for _, f := range d.Opened {
					if f.Severity >= *gate {
						code = ExitFindings
					}
				}
			}
			return finish(stderr, nil, bad, code)
		},
	}
	in.liveByDefault = true
	in.register(c.Flags(), false)
	for _, f := range []string{"filename", "cluster", "kubeconfig", "context", "request-timeout"} {
		_ = c.Flags().MarkHidden(f)
	}
	q.register(c.Flags())
	c.Flags().StringVar(&configFile, "config", "", "configuration file (default: .palisade.yaml in the working directory or a parent)")
	c.Flags().StringSliceVar(&include, "include", nil, "compare only the paths of these rules (IDs or globs)")
	c.Flags().StringVarP(&format, "output", "o", "text", "output format: "+strings.Join(pathDiffFormats, ", "))
	c.Flags().StringVar(&failOn, "fail-on", "high", "exit 1 when a path at or above this severity opened: info, low, medium, high, critical, or none")
	_ = c.RegisterFlagCompletionFunc("output", fixedCompletion(pathDiffFormats))
	_ = c.RegisterFlagCompletionFunc("fail-on", fixedCompletion([]string{"info", "low", "medium", "high", "critical", "none"}))
	return c
}

// parseGate reads --fail-on (nil for none).
func parseGate(s string) (*finding.Severity, error) {
	if strings.EqualFold(s, "none") {
		return nil, nil
	}
	sev, err := finding.ParseSeverity(s)
	if err != nil {
		return nil, fmt.Errorf("--fail-on: %w", err)
	}
	return &sev, nil
}

// maxReportSize bounds a JSON report read by paths diff.
const maxReportSize = 256 << 20

// pathFindings are the unsuppressed attack-path findings of one side of a diff: a
// JSON report's, or those of a scan of the input with the path rules. bad says
// the input had errors.
func pathFindings(ctx context.Context, arg string, in *inputFlags, ids []string, cfg *config.Config, stdin io.Reader, stderr io.Writer) ([]finding.Finding, bool, error) {
	if fs, ok, err := readPathReport(arg); ok || err != nil {
		return fs, false, err
	}
	src, err := in.source([]string{arg}, stdin, "")
	if err != nil {
		return nil, false, err
	}
	res, err := scan.RunContext(ctx, scan.Options{Source: src, Config: cfg, Include: ids, Version: Version, FailOn: "none"})
	if err != nil {
		return nil, false, err
	}
	for _, e := range res.Report.Errors {
		safetext.Fprintln(stderr, "palisade: input error:", e.Error())
	}
	var out []finding.Finding
	for _, f := range res.Report.Findings {
		if f.Suppressed == nil && f.AttackPath != nil {
			out = append(out, f)
		}
	}
	return out, res.ExitCode() == ExitInputErrors || res.ExitCode() == ExitInternal, nil
}

// readPathReport reads a JSON report's attack-path findings; ok is false when the
// file is not one (a manifest, a directory).
func readPathReport(name string) ([]finding.Finding, bool, error) {
	st, err := os.Stat(name)
	if err != nil || st.IsDir() || !strings.EqualFold(strings.TrimPrefix(extOf(name), "."), "json") {
		return nil, false, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, false, nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxReportSize+1))
	if err != nil {
		return nil, true, err
	}
	if len(data) > maxReportSize {
		return nil, true, fmt.Errorf("%s: a report larger than %d MiB", name, maxReportSize>>20)
	}
	return parsePathReport(name, data)
}

// parsePathReport reads the attack-path findings of a JSON report; ok is false when
// the data is a manifest rather than a report.
func parsePathReport(name string, data []byte) ([]finding.Finding, bool, error) {
	var r struct {
		Schema   string            `json:"schema"`
		Findings []finding.Finding `json:"findings"`
	}
	if err := json.Unmarshal(data, &r); err != nil || !strings.HasPrefix(r.Schema, "palisade.dev/report/") {
		// A JSON file that is not a report is a manifest (kubectl reads JSON too).
		if bytes.Contains(data, []byte(`"apiVersion"`)) {
			return nil, false, nil
		}
		if err == nil {
			err = errors.New("not a palisade JSON report (no schema palisade.dev/report/...)")
		}
		return nil, true, fmt.Errorf("%s: %w", name, err)
	}
	var out []finding.Finding
	for _, f := range r.Findings {
		if f.Suppressed == nil && f.AttackPath != nil {
			out = append(out, f)
		}
	}
	return out, true, nil
}

func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 && !strings.ContainsAny(name[i:], `/\`) {
		return name[i:]
	}
	return ""
}

// writePathDiff writes a diff: text (one section per change, each path with its
// route, severity and object) or JSON.
func writePathDiff(w io.Writer, d pathDiff, format string) error {
	if format == "json" {
		enc := json.NewEncoder(safetext.JSONWriter(w))
		enc.SetIndent("", "  ")
		return enc.Encode(d)
	}
	section := func(title string, fs []finding.Finding, route func(f finding.Finding) string) {
		if len(fs) == 0 {
			return
		}
		safetext.Fprintf(w, "%s (%d):\n", title, len(fs))
		for _, f := range fs {
			safetext.Fprintf(w, "  %-8s %-8s %s  %s\n", strings.ToUpper(f.Severity.String()), f.RuleID, f.Object.String(), route(f))
		}
	}
	line := func(f finding.Finding) string { return report.PathLine(f.AttackPath.Hops) }
	section("Opened", d.Opened, line)
	section("Closed", d.Closed, line)
	if len(d.Changed) > 0 {
		safetext.Fprintf(w, "Changed route (%d):\n", len(d.Changed))
		for _, c := range d.Changed {
			safetext.Fprintf(w, "  %-8s %-8s %s\n", strings.ToUpper(c.New.Severity.String()), c.New.RuleID, c.New.Object.String())
			safetext.Fprintf(w, "           was %s\n", report.PathLine(c.Old.AttackPath.Hops))
			safetext.Fprintf(w, "           now %s\n", report.PathLine(c.New.AttackPath.Hops))
		}
	}
	safetext.Fprintf(w, "%d opened, %d closed, %d changed, %d unchanged.\n", len(d.Opened), len(d.Closed), len(d.Changed), d.Unchanged)
	return nil
}
