// Command policybench measures what custom CEL rules and ValidatingAdmissionPolicies
// cost a scan, side by side in one run on the same inputs:
//
//   - 20 custom rules (.palisade.yaml customRules) and 20 ValidatingAdmissionPolicies
//     with their bindings and parameter ConfigMaps, generated from a seed by
//     tools/internal/policygen (the kind a platform team writes: images from the
//     company registry, labels required, no LoadBalancer outside one namespace,
//     resource limits, probes; policies with variables, messageExpression, paramRef
//     by name and by selector, namespaceSelector, objectSelector, matchConditions,
//     audit annotations and every validation action);
//   - `palisade scan` as users run it (a child process, JSON report) on the corpus
//     of tools/bench (../shared/corpus) concatenated into one file at several scales
//     (-scales: 1/4 of its files, all of them, 4 copies), four ways: without them
//     (an empty configuration), with the custom rules, with the policies (--policy
//     DIR), and with both;
//   - wall time, CPU time and peak RSS of each (best of -runs), and their ratio to
//     the scan without them (the goal: at most 1.5x the time), plus the findings
//     each configuration adds, counted once at the scale nearest 1x, which must
//     include findings of the custom rules and of the policies (PAL-800..802)
//     before a time is reported.
//
// A configuration the binary cannot run (a feature not built in) is not measured:
// the table says so with the binary's error. The result is Markdown for
// docs/BENCHMARKS.md, written between <!-- policybench:begin ... --> and
// <!-- policybench:end --> in -doc when the document has those markers, else
// printed. `make bench` runs it.
package main

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/tools/internal/benchrun"
	"github.com/palisade-k8s/palisade/tools/internal/docsection"
	"github.com/palisade-k8s/palisade/tools/internal/policygen"
)

func main() {
	var o options
	flag.StringVar(&o.palisade, "palisade", "bin/palisade", "palisade binary")
	flag.StringVar(&o.corpus, "corpus", "../shared/corpus", "corpus directory")
	flag.StringVar(&o.doc, "doc", "", "document whose policybench section to rewrite (else print it)")
	flag.StringVar(&o.scales, "scales", "0.25,1,4", "input sizes as fractions or multiples of the corpus (comma-separated; below 1: every n-th file)")
	flag.StringVar(&o.modes, "modes", "none,rules,policies,both", "configurations to measure (comma-separated; none is the baseline)")
	flag.IntVar(&o.runs, "runs", 3, "runs per measurement (the best wall time is kept; a run over a minute is not repeated)")
	flag.IntVar(&o.rules, "rules", 20, "custom rules")
	flag.IntVar(&o.policies, "policies", 20, "ValidatingAdmissionPolicies (one binding each)")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the generated rules and policies")
	flag.StringVar(&o.work, "work", "", "directory for the generated files and inputs (default: a temporary one, removed)")
	flag.Parse()
	if err := run(o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "policybench:", err)
		os.Exit(1)
	}
}

type options struct {
	palisade, corpus, doc, scales, modes, work string
	runs, rules, policies                      int
	seed                                       uint64
}

func progress(format string, a ...any) { fmt.Fprintf(os.Stderr, "policybench: "+format+"\n", a...) }

// mode is one configuration of the scan.
type mode struct {
	name  string // none, rules, policies, both
	label string // as the table says it
	args  func(f policygen.Files) []string
	// wantRules and wantPolicies: the findings that prove the configuration ran.
	wantRules, wantPolicies bool
	// skip is why the configuration is not measured ("" if it is).
	skip string
}

func modes(list string, rules, policies int) ([]*mode, error) {
	all := map[string]*mode{
		"none": {name: "none", label: "built-in rules only", args: func(f policygen.Files) []string { return []string{"--config", f.Empty} }},
		"rules": {name: "rules", label: fmt.Sprintf("+ %d custom rules", rules), wantRules: true,
			args: func(f policygen.Files) []string { return []string{"--config", f.Rules} }},
		"policies": {name: "policies", label: fmt.Sprintf("+ %d VAPs (--policy)", policies), wantPolicies: true,
			args: func(f policygen.Files) []string { return []string{"--config", f.Empty, "--policy", f.PolicyDir} }},
		"both": {name: "both", label: fmt.Sprintf("+ %d custom rules + %d VAPs", rules, policies), wantRules: true, wantPolicies: true,
			args: func(f policygen.Files) []string { return []string{"--config", f.Rules, "--policy", f.PolicyDir} }},
	}
	var out []*mode
	seen := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		m, ok := all[s]
		if !ok {
			return nil, fmt.Errorf("-modes: unknown configuration %q (none, rules, policies, both)", s)
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, m)
		}
	}
	if len(out) == 0 || out[0].name != "none" {
		return nil, errors.New("-modes: the list starts with none (the baseline of the ratios)")
	}
	return out, nil
}

// parseScales reads -scales: positive fractions (1/n of the files, n an integer)
// and whole multiples, sorted.
func parseScales(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v <= 0 || v > 20 {
			return nil, fmt.Errorf("-scales: bad scale %q (above 0, at most 20)", f)
		}
		if v < 1 && math.Abs(1/v-math.Round(1/v)) > 1e-6 || v > 1 && v != math.Trunc(v) {
			return nil, fmt.Errorf("-scales: %q is neither 1/n nor a whole multiple", f)
		}
		out = append(out, v)
	}
	sort.Float64s(out)
	return out, nil
}

func scaleName(s float64) string {
	if s < 1 {
		return fmt.Sprintf("1/%d", int(math.Round(1/s)))
	}
	return fmt.Sprintf("%dx", int(s))
}

func manifestFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

// input writes the corpus at scale s into one multi-document file: every n-th file
// for 1/n, n copies of every file for n.
func input(files []string, s float64, out string) (int64, error) {
	f, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	step, copies := 1, 1
	if s < 1 {
		step = int(math.Round(1 / s))
	} else {
		copies = int(s)
	}
	var n int64
	for range copies {
		for i := 0; i < len(files); i += step {
			data, err := os.ReadFile(files[i])
			if err != nil {
				return 0, err
			}
			w.WriteString("---\n")
			w.Write(data)
			n += int64(len(data)) + 4
			if len(data) > 0 && data[len(data)-1] != '\n' {
				w.WriteByte('\n')
				n++
			}
		}
	}
	return n, w.Flush()
}

//go:embed probe.yaml
var probeYAML []byte

// report is what policybench reads of a JSON report.
type report struct {
	Summary struct {
		Objects     int `json:"objects"`
		Findings    int `json:"findings"`
		InputErrors int `json:"inputErrors"`
	} `json:"summary"`
	Findings []struct {
		RuleID string `json:"ruleID"`
	} `json:"findings"`
}

// counts are the findings of one scan by origin.
type counts struct {
	objects, findings, custom, policy, inputErrors int
	// byPolicyRule counts PAL-800 (Deny), PAL-801 (Warn), PAL-802 (Audit) and
	// PAL-803 (a policy that cannot be applied).
	byPolicyRule map[string]int
}

// applied: findings of validations (PAL-800..802), not only of policies that
// cannot be applied.
func (c counts) applied() bool { return c.policy > c.byPolicyRule["PAL-803"] }

// scanReport runs one scan and reads its report.
func scanReport(bin, dir string, args []string) (counts, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return counts{}, err
	}
	if err := cmd.Start(); err != nil {
		return counts{}, err
	}
	var rep report
	decErr := json.NewDecoder(out).Decode(&rep)
	io.Copy(io.Discard, out)
	err = cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && (ee.ExitCode() == 1 || ee.ExitCode() == 3)) {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i > 0 {
			msg = msg[:i]
		}
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		return counts{}, fmt.Errorf("%v: %s", err, msg)
	}
	if decErr != nil {
		return counts{}, fmt.Errorf("report: %w", decErr)
	}
	c := counts{objects: rep.Summary.Objects, findings: rep.Summary.Findings, inputErrors: rep.Summary.InputErrors, byPolicyRule: map[string]int{}}
	for _, f := range rep.Findings {
		switch {
		case isPolicyRule(f.RuleID):
			c.policy++
			c.byPolicyRule[f.RuleID]++
		case !strings.HasPrefix(f.RuleID, "PAL-"):
			c.custom++
		}
	}
	return c, nil
}

// isPolicyRule: the rules of ValidatingAdmissionPolicy findings (PAL-800..803).
func isPolicyRule(id string) bool {
	return id == "PAL-800" || id == "PAL-801" || id == "PAL-802" || id == "PAL-803"
}

func scanArgs(in string, m *mode, f policygen.Files) []string {
	return append([]string{"scan", in, "-o", "json", "--fail-on", "none"}, m.args(f)...)
}

// probe runs each configuration on a small manifest that breaks custom rules and
// policies alike; a configuration that fails, or reports none of the findings it
// exists for, is not measured.
func probe(bin, work string, ms []*mode, f policygen.Files) error {
	in := filepath.Join(work, "probe.yaml")
	if err := os.WriteFile(in, probeYAML, 0o644); err != nil {
		return err
	}
	for _, m := range ms {
		c, err := scanReport(bin, work, scanArgs(in, m, f))
		switch {
		case err != nil:
			m.skip = "the scan fails: " + err.Error()
		case m.wantRules && c.custom == 0:
			m.skip = "the scan reports no finding of a custom rule (customRules not applied)"
		case m.wantPolicies && !c.applied():
			m.skip = fmt.Sprintf("the scan reports no PAL-800..802 finding (policies not applied; PAL-803: %d)", c.byPolicyRule["PAL-803"])
		}
		if m.skip != "" {
			if m.name == "none" {
				return fmt.Errorf("the baseline scan: %s", m.skip)
			}
			progress("%s: not measured: %s", m.label, m.skip)
		}
	}
	return nil
}

// cell is one measured scan.
type cell struct {
	m      benchrun.Measurement
	counts *counts // at the counted scale only
}

type row struct {
	scale   float64
	bytes   int64
	objects int
	cells   map[string]cell
}

func run(o options, stdout io.Writer) error {
	load := loadAverage()
	scales, err := parseScales(o.scales)
	if err != nil {
		return err
	}
	ms, err := modes(o.modes, o.rules, o.policies)
	if err != nil {
		return err
	}
	bin, err := filepath.Abs(o.palisade)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("palisade binary: %w (make build)", err)
	}
	files, err := manifestFiles(o.corpus)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%s: no manifests", o.corpus)
	}
	work := o.work
	if work == "" {
		if work, err = os.MkdirTemp("", "policybench-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	if work, err = filepath.Abs(work); err != nil {
		return err
	}
	gen, err := policygen.Write(filepath.Join(work, "generated"), policygen.Options{Seed: o.seed, Rules: o.rules, Policies: o.policies})
	if err != nil {
		return err
	}
	if err := probe(bin, work, ms, gen); err != nil {
		return err
	}
	// The scale whose findings are counted: the one nearest the corpus itself.
	counted := scales[0]
	for _, s := range scales {
		if math.Abs(math.Log(s)) < math.Abs(math.Log(counted)) {
			counted = s
		}
	}
	var rows []row
	for _, s := range scales {
		in := filepath.Join(work, "corpus-"+strings.ReplaceAll(scaleName(s), "/", "-")+".yaml")
		n, err := input(files, s, in)
		if err != nil {
			return err
		}
		r := row{scale: s, bytes: n, cells: map[string]cell{}}
		for _, m := range ms {
			if m.skip != "" {
				continue
			}
			var c cell
			if s == counted {
				got, err := scanReport(bin, work, scanArgs(in, m, gen))
				if err != nil {
					return fmt.Errorf("%s, %s: %w", scaleName(s), m.label, err)
				}
				if m.wantRules && got.custom == 0 || m.wantPolicies && !got.applied() {
					return fmt.Errorf("%s, %s: no finding of the custom rules or policies on the corpus (%+v)", scaleName(s), m.label, got)
				}
				c.counts = &got
				r.objects = got.objects
			}
			progress("corpus %s (%s): %s", scaleName(s), size(n), m.label)
			c.m, err = benchrun.Best(o.runs, benchrun.Command{Argv: append([]string{bin}, scanArgs(in, m, gen)...), Dir: work, StopAfter: time.Minute})
			if err != nil {
				return err
			}
			r.cells[m.name] = c
		}
		if r.objects == 0 && s != counted {
			// Objects scale with the input; count them without timing.
			got, err := scanReport(bin, work, scanArgs(in, ms[0], gen))
			if err != nil {
				return err
			}
			r.objects = got.objects
		}
		rows = append(rows, r)
		os.Remove(in)
	}
	load += " at the start and " + loadAverage() + " at the end"
	body := tables(o, version(bin), load, gen, ms, rows, counted)
	return docsection.Emit(stdout, o.doc, "policybench", "the custom rules and policies tables", body, progress)
}

func version(bin string) string {
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
}

// size formats a byte count: "50.5 MB", "12 kB".
func size(n int64) string {
	if n < 1e6 {
		return fmt.Sprintf("%.0f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(a)/float64(b), 'f', 2, 64) + "x"
}

func verdict(with, without time.Duration) string {
	if float64(with) > 1.5*float64(without) {
		return "missed"
	}
	return "met"
}

func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

// tables is the Markdown of the section.
func tables(o options, ver, load string, gen policygen.Files, ms []*mode, rows []row, counted float64) string {
	var b strings.Builder
	ft := gen.Features
	fmt.Fprintf(&b, "Measured by `make bench` (tools/policybench) on %s/%s, %d CPUs, %s, with %s, %s; load average %s (1 minute; above the CPU count, other processes shared the CPUs: compare CPU times). Best of %d runs.\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), ver, time.Now().UTC().Format("2006-01-02"), load, o.runs)
	fmt.Fprintf(&b, "Generated with seed %d: %d custom rules; %d ValidatingAdmissionPolicies with %d bindings and %d parameter ConfigMaps "+
		"(%d with variables, %d with messageExpression, %d with paramRef, %d with a namespaceSelector, %d with an objectSelector, "+
		"%d with matchConditions, %d with audit annotations, %d bound with Warn/Audit, the others Deny). "+
		"Input: the corpus concatenated into one file (1/n: every n-th file). `palisade scan FILE -o json --fail-on none`, "+
		"with `--config` (an empty one, or the custom rules) and `--policy DIR`.\n\n",
		o.seed, gen.RuleCount, ft.Policies, ft.Bindings, ft.Params, ft.Variables, ft.MessageExpressions, ft.ParamRefs,
		ft.NamespaceSelectors, ft.ObjectSelectors, ft.MatchConditions, ft.AuditAnnotations, ft.WarnOrAudit)
	b.WriteString("| input | size | objects | configuration | wall | CPU | peak RSS | objects/s | wall vs built-in only | CPU vs built-in only |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		base := r.cells["none"].m
		for _, m := range ms {
			c, ok := r.cells[m.name]
			if !ok {
				continue
			}
			fmt.Fprintf(&b, "| corpus %s | %s | %d | %s | %s | %s | %d MiB | %.0f | %s | %s |\n",
				scaleName(r.scale), size(r.bytes), r.objects, m.label, benchrun.Duration(c.m.Wall), benchrun.Duration(c.m.CPU),
				benchrun.MiB(c.m.RSSKB), float64(r.objects)/c.m.Wall.Seconds(), ratio(c.m.Wall, base.Wall), ratio(c.m.CPU, base.CPU))
		}
	}
	for _, m := range ms {
		if m.skip != "" {
			fmt.Fprintf(&b, "\n**%s: not measured**: %s.\n", m.label, m.skip)
		}
	}
	// Findings added, at the counted scale.
	for _, r := range rows {
		if r.scale != counted {
			continue
		}
		fmt.Fprintf(&b, "\nFindings on the corpus %s (%d objects):\n\n| configuration | findings | of custom rules | PAL-800 (Deny) | PAL-801 (Warn) | PAL-802 (Audit) | PAL-803 (policy cannot be applied) | input errors |\n|---|---|---|---|---|---|---|---|\n", scaleName(r.scale), r.objects)
		for _, m := range ms {
			if c, ok := r.cells[m.name]; ok && c.counts != nil {
				p := c.counts.byPolicyRule
				fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %d | %d |\n", m.label, c.counts.findings, c.counts.custom,
					p["PAL-800"], p["PAL-801"], p["PAL-802"], p["PAL-803"], c.counts.inputErrors)
			}
		}
	}
	// The goal, and growth.
	var measured []*mode
	for _, m := range ms[1:] {
		if m.skip == "" {
			measured = append(measured, m)
		}
	}
	if len(measured) > 0 {
		b.WriteString("\n")
		for _, r := range rows {
			base := r.cells["none"].m
			var parts []string
			for _, m := range measured {
				c := r.cells[m.name].m
				parts = append(parts, fmt.Sprintf("%s %s (CPU %s)", strings.TrimPrefix(m.label, "+ "), ratio(c.Wall, base.Wall), ratio(c.CPU, base.CPU)))
			}
			fmt.Fprintf(&b, "Corpus %s, wall time against the scan without them: %s", scaleName(r.scale), strings.Join(parts, "; "))
			if both, ok := r.cells["both"]; ok {
				fmt.Fprintf(&b, "; the goal, both at most 1.5x: %s in wall time, %s in CPU time", verdict(both.m.Wall, base.Wall), verdict(both.m.CPU, base.CPU))
			}
			b.WriteString(".\n")
		}
		if len(rows) > 1 {
			first, end := rows[0], rows[len(rows)-1]
			last := measured[len(measured)-1]
			fmt.Fprintf(&b, "\nFrom corpus %s to %s (%.0fx the input), the scan without them takes %s the time, with %s %s.\n",
				scaleName(first.scale), scaleName(end.scale), end.scale/first.scale,
				ratio(end.cells["none"].m.Wall, first.cells["none"].m.Wall), strings.TrimPrefix(last.label, "+ "), ratio(end.cells[last.name].m.Wall, first.cells[last.name].m.Wall))
		}
	}
	return b.String()
}
