// Command secretsbench compares Palisade's secret detection with gitleaks, side by
// side in one run: recall and precision on the labelled secrets set
// (internal/secrets/secretset), precision on the shared corpus judged by a committed
// label file, the time of a directory scan of both, and the time (and recall) of a
// scan of a generated git history. It installs gitleaks from the Go module proxy into
// a cache directory (the only network access) and prints Markdown tables for
// docs/BENCHMARKS.md, or rewrites the section between
// <!-- secretsbench:begin ... --> and <!-- secretsbench:end --> in -doc when the
// document has those markers. `make bench` runs it.
//
// No secret value is printed: gitleaks runs with --redact, and the tables hold
// counts, file names and line numbers only.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/internal/secrets/secretset"
	"github.com/palisade-k8s/palisade/tools/internal/benchrun"
	"github.com/palisade-k8s/palisade/tools/internal/docsection"
)

func main() {
	o := options{}
	flag.StringVar(&o.palisade, "palisade", "bin/palisade", "palisade binary")
	flag.StringVar(&o.corpus, "corpus", "../shared/corpus", "corpus directory (skipped if absent)")
	flag.StringVar(&o.judged, "judged", "tools/secretsbench/testdata/corpus-judged.txt", "the corpus findings judged by hand (path:line real|demo|false)")
	flag.StringVar(&o.cache, "cache", defaultCache(), "directory gitleaks is installed into")
	flag.StringVar(&o.gitleaksVersion, "gitleaks-version", "v8.30.1", "gitleaks version to install (github.com/zricethezav/gitleaks/v8)")
	flag.StringVar(&o.gitleaks, "gitleaks", "", "gitleaks binary to use instead of installing one")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the labelled set and of the history")
	flag.IntVar(&o.commits, "commits", 10000, "commits of the generated history (0 skips the history)")
	flag.IntVar(&o.runs, "runs", 3, "runs per timing (the best wall time is kept)")
	flag.StringVar(&o.doc, "doc", "", "document whose secretsbench section to rewrite (else print the tables)")
	flag.StringVar(&o.work, "work", "", "directory for the generated set, history and reports (default: a temporary one, removed)")
	flag.BoolVar(&o.unjudged, "unjudged", false, "list the corpus findings the label file does not judge (path:line and rules, no values), to extend it")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "secretsbench:", err)
		os.Exit(1)
	}
}

type options struct {
	palisade, corpus, judged, cache, gitleaksVersion, gitleaks, doc, work string
	seed                                                                  uint64
	commits, runs                                                         int
	unjudged                                                              bool
}

func defaultCache() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "palisade", "gitleaks")
	}
	return filepath.Join(os.TempDir(), "palisade-gitleaks")
}

func progress(format string, a ...any) { fmt.Fprintf(os.Stderr, "secretsbench: "+format+"\n", a...) }

func run(o options) error {
	pal, err := filepath.Abs(o.palisade)
	if err != nil {
		return err
	}
	if _, err := os.Stat(pal); err != nil {
		return fmt.Errorf("palisade binary: %w (make build)", err)
	}
	gl := o.gitleaks
	if gl == "" {
		if gl, err = installGitleaks(o.cache, o.gitleaksVersion); err != nil {
			return err
		}
	}
	work := o.work
	if work == "" {
		if work, err = os.MkdirTemp("", "secretsbench-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	} else if work, err = filepath.Abs(work); err != nil {
		return err
	}
	tools := []tool{palisadeTool{pal}, gitleaksTool{gl}}
	var out strings.Builder
	fmt.Fprintf(&out, "Measured by `make bench` (`tools/secretsbench`) on %s/%s, %d CPUs, %s, gitleaks %s with its default rules. Timings: best of %d runs.\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), o.gitleaksVersion, o.runs)

	// (a) The labelled set.
	set := filepath.Join(work, "set")
	_ = os.RemoveAll(set)
	labels, err := secretset.Write(set, o.seed)
	if err != nil {
		return err
	}
	progress("labelled set: %d credentials and %d look-alikes in %s", count(labels, true), count(labels, false), set)
	results := make([]*secretset.Result, len(tools))
	times := map[string][]measurement{}
	for i, t := range tools {
		fs, m, err := scanDir(t, o.runs, set, filepath.Join(work, t.name()+"-set.json"))
		if err != nil {
			return err
		}
		results[i] = labels.Match(only(fs, t.values()), false)
		times["labelled set"] = append(times["labelled set"], m)
	}
	fmt.Fprintf(&out, "**Labelled secrets set** (`internal/secrets/secretset`, seed %d): generated credentials of the right format and checksum, and look-alikes (placeholders, documentation examples, test keys, a GitHub token with a wrong checksum, hashes, digests, UUIDs), in every location. A credential counts as found when a finding of the tool is on its line (for a file held in a ConfigMap, Palisade names the key of the file); precision counts findings on credentials against findings on look-alikes or on no label.\n\n", o.seed)
	out.WriteString(sideBySide("location", tools, results, func(l secretset.Label) string { return l.Location }))
	out.WriteString("\n")
	out.WriteString(sideBySide("format", tools, results, func(l secretset.Label) string { return l.Format }))
	out.WriteString("\n")

	// (b) The corpus, judged by hand.
	corpusOK := false
	if _, err := os.Stat(o.corpus); err == nil {
		corpusOK = true
		ms, err := corpusTable(&out, o, tools, work)
		if err != nil {
			return err
		}
		times["corpus"] = ms
	} else {
		progress("corpus %s not found: skipped", o.corpus)
	}

	// (c) Directory scan times.
	out.WriteString("**Directory scan time** (wall, CPU, peak RSS; a run over a minute is measured once):\n\n| input | " + strings.Join(names(tools), " | ") + " |\n|---|" + strings.Repeat("---|", len(tools)) + "\n")
	inputs := []string{"labelled set"}
	if corpusOK {
		inputs = append(inputs, "corpus")
	}
	for _, in := range inputs {
		row := "| " + in + " |"
		for _, m := range times[in] {
			row += " " + m.String() + " |"
		}
		out.WriteString(row + "\n")
	}
	out.WriteString("\n")

	// (d) A generated git history.
	if o.commits > 0 {
		if err := historyTable(&out, o, tools, work); err != nil {
			return err
		}
	}
	return emit(o.doc, out.String())
}

func count(ls secretset.Labels, positive bool) int {
	n := 0
	for _, l := range ls {
		if l.Positive() == positive {
			n++
		}
	}
	return n
}

func names(tools []tool) []string {
	var n []string
	for _, t := range tools {
		n = append(n, t.name())
	}
	return n
}

// sideBySide is one recall and precision table with a column pair per tool.
func sideBySide(title string, tools []tool, results []*secretset.Result, key func(secretset.Label) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| %s | credentials | look-alikes |", title)
	sep := "|---|---:|---:|"
	for _, t := range tools {
		fmt.Fprintf(&b, " %s found | %s recall | %s false | %s precision |", t.name(), t.name(), t.name(), t.name())
		sep += "---:|---:|---:|---:|"
	}
	b.WriteString("\n" + sep + "\n")
	rows := make([][]secretset.Row, len(results))
	var keys []string
	for i, r := range results {
		rows[i] = r.Rows(key)
		for _, w := range rows[i] {
			if w.Key != "total" && !slices.Contains(keys, w.Key) {
				keys = append(keys, w.Key)
			}
		}
	}
	sort.Strings(keys)
	for _, k := range append(keys, "total") {
		var first secretset.Row
		for i := range rows {
			if w := find(rows[i], k); w.Positives+w.LookAlikes > 0 {
				first = w
			}
		}
		name := k
		if k == "total" {
			name = "**total**"
		}
		fmt.Fprintf(&b, "| %s | %d | %d |", name, first.Positives, first.LookAlikes)
		for i := range rows {
			w := find(rows[i], k)
			fmt.Fprintf(&b, " %d | %s | %d | %s |", w.Found, pct(w.Recall()), w.False, pct(w.Precision()))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func find(rows []secretset.Row, key string) secretset.Row {
	for _, r := range rows {
		if r.Key == key {
			return r
		}
	}
	return secretset.Row{Key: key}
}

func pct(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) }

// corpusTable classifies every finding of either tool on the corpus by the judged
// file: real (a credential shape a workload would use), demo (a demonstration
// password the manifests run with), false (not a credential).
// variant is one row of the corpus table: a tool's findings, or some of them.
type variant struct {
	name string
	fs   []secretset.Finding
}

func corpusTable(out *strings.Builder, o options, tools []tool, work string) ([]measurement, error) {
	judged, err := readJudged(o.judged)
	if err != nil {
		return nil, err
	}
	var ms []measurement
	fmt.Fprintf(out, "**Corpus** (`../shared/corpus`): every line either tool reports, judged by reading it in context (`%s`: real credential shape, demo password the manifests run with, or not a credential). Precision is real / judged, and (real + demo) / judged.\n\n", filepath.ToSlash(o.judged))
	out.WriteString("| tool | findings | lines | real | demo | false | unjudged | precision | precision with demo |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	unjudged := map[string]bool{}
	for _, t := range tools {
		fs, m, err := scanDir(t, o.runs, o.corpus, filepath.Join(work, t.name()+"-corpus.json"))
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
		variants := []variant{{t.name(), only(fs, t.values())}}
		if t.name() == "palisade" {
			variants = append(variants, variant{"palisade with PAL-522/524 (Secrets with plaintext values)", only(fs, nil)})
		}
		for _, v := range variants {
			lines := map[string][]string{}
			for _, f := range v.fs {
				k := fmt.Sprintf("%s:%d", f.File, f.Line)
				lines[k] = append(lines[k], f.Rule)
			}
			n := map[string]int{}
			for k, rules := range lines {
				verdict, ok := judged[k]
				if !ok {
					verdict = "unjudged"
					sort.Strings(rules)
					unjudged[fmt.Sprintf("%s %s: %s", k, t.name(), strings.Join(rules, ","))] = true
				}
				n[verdict]++
			}
			j := n["real"] + n["demo"] + n["false"]
			fmt.Fprintf(out, "| %s | %d | %d | %d | %d | %d | %d | %s | %s |\n", v.name, len(v.fs), len(lines),
				n["real"], n["demo"], n["false"], n["unjudged"], ratio(n["real"], j), ratio(n["real"]+n["demo"], j))
		}
	}
	out.WriteString("\n")
	if len(unjudged) > 0 {
		progress("%d corpus lines are not judged in %s (-unjudged lists them)", len(unjudged), o.judged)
		if o.unjudged {
			for _, u := range slices.Sorted(maps.Keys(unjudged)) {
				fmt.Fprintln(os.Stderr, "  "+u)
			}
		}
	}
	return ms, nil
}

func ratio(a, b int) string {
	if b == 0 {
		return "-"
	}
	return pct(float64(a) / float64(b))
}

var judgedRE = regexp.MustCompile(`^(\S+:\d+)\s+(real|demo|false)\b`)

// readJudged reads path:line verdict lines; # starts a comment.
func readJudged(file string) (map[string]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		g := judgedRE.FindStringSubmatch(line)
		if g == nil {
			return nil, fmt.Errorf("%s:%d: want path:line real|demo|false", file, n)
		}
		m[g[1]] = g[2]
	}
	return m, sc.Err()
}

func historyTable(out *strings.Builder, o options, tools []tool, work string) error {
	dir := filepath.Join(work, "history")
	_ = os.RemoveAll(dir)
	progress("generating a history of %d commits in %s", o.commits, dir)
	start := time.Now()
	labels, err := secretset.WriteHistory(dir, o.commits, o.seed)
	if err != nil {
		return err
	}
	progress("history generated in %s: %d credentials and %d look-alikes added and removed", time.Since(start).Round(time.Millisecond), count(labels, true), count(labels, false))
	fmt.Fprintf(out, "**Git history** (`secretset.WriteHistory`, %d commits of generated manifest edits on one branch; %d credentials and %d look-alikes added to a ConfigMap or `.env` and removed a few commits later):\n\n", o.commits, count(labels, true), count(labels, false))
	out.WriteString("| tool | wall | CPU | peak RSS | found | recall | false | precision |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, t := range tools {
		cmd, ok, err := t.historyCmd(filepath.Join(work, t.name()+"-history.json"))
		if err != nil {
			return err
		}
		if !ok {
			line := fmt.Sprintf("%s: no git history scan in this build (palisade scan --git-history): skipped", t.name())
			progress("%s", line)
			fmt.Fprintf(out, "| %s | skipped: no `--git-history` in this build | | | | | | |\n", t.name())
			continue
		}
		progress("timing %s on the history", t.name())
		m, err := measure(o.runs, dir, cmd)
		if err != nil {
			return err
		}
		fs, err := t.parse(filepath.Join(work, t.name()+"-history.json"), dir)
		if err != nil {
			return err
		}
		w := labels.Match(only(fs, t.values()), false).Rows(func(secretset.Label) string { return "all" })
		tot := w[len(w)-1]
		fmt.Fprintf(out, "| %s | %s | %s | %s | %d/%d | %s | %d | %s |\n", t.name(), benchrun.Duration(m.Wall), benchrun.Duration(m.CPU), fmtMB(m.RSSKB),
			tot.Found, tot.Positives, pct(tot.Recall()), tot.False, pct(tot.Precision()))
	}
	out.WriteString("\n")
	return nil
}

// emit prints the tables, or puts them between the markers of doc.
func emit(doc, body string) error {
	return docsection.Emit(os.Stdout, doc, "secretsbench", "the secrets comparison", body, progress)
}

// installGitleaks installs gitleaks with go install into cache/VERSION once.
func installGitleaks(cache, version string) (string, error) {
	return benchrun.GoInstall(cache, "gitleaks", "github.com/zricethezav/gitleaks/v8", version, progress)
}

// tool is a scanner under comparison.
type tool interface {
	name() string
	// dirCmd scans the working directory, writing its JSON report to report.
	dirCmd(report string) []string
	// historyCmd scans the git history of the working directory; ok is false when
	// the tool cannot.
	historyCmd(report string) (cmd []string, ok bool, err error)
	// parse reads a report; paths are made relative to dir.
	parse(report, dir string) ([]secretset.Finding, error)
	// values are the rules that report values (nil: all).
	values() *regexp.Regexp
}

// scanDir scans dir runs times (see measure) and reads the report of the last run.
func scanDir(t tool, runs int, dir, report string) ([]secretset.Finding, measurement, error) {
	progress("%s on %s", t.name(), dir)
	m, err := measure(runs, dir, t.dirCmd(report))
	if err != nil {
		return nil, m, err
	}
	fs, err := t.parse(report, dir)
	return fs, m, err
}

func relPath(dir, file string) string {
	if filepath.IsAbs(file) {
		if r, err := filepath.Rel(dir, file); err == nil {
			file = r
		}
	}
	return strings.TrimPrefix(filepath.ToSlash(file), "./")
}

type palisadeTool struct{ bin string }

// credentialRules are Palisade's rules that say a value is a credential; the rules
// about how Secret objects are used judge objects, not values, except secretRules
// (a Secret with plaintext values), which the corpus table shows as a variant.
var (
	credentialRules = regexp.MustCompile(`^PAL-5(0[1-9]|1[0-9]|2[78])$`)
	secretRules     = regexp.MustCompile(`^PAL-52[24]$`)
)

// only keeps the findings of rules matching re (all of them when re is nil).
func only(fs []secretset.Finding, re *regexp.Regexp) []secretset.Finding {
	if re == nil {
		return fs
	}
	var out []secretset.Finding
	for _, f := range fs {
		if re.MatchString(f.Rule) {
			out = append(out, f)
		}
	}
	return out
}

func (p palisadeTool) name() string           { return "palisade" }
func (p palisadeTool) values() *regexp.Regexp { return credentialRules }
func (p palisadeTool) dirCmd(report string) []string {
	return []string{p.bin, "scan", ".", "-o", "json", "--fail-on", "none", "--output-file", report}
}

func (p palisadeTool) historyCmd(report string) ([]string, bool, error) {
	help, err := exec.Command(p.bin, "scan", "--help").CombinedOutput()
	if err != nil {
		return nil, false, fmt.Errorf("palisade scan --help: %w", err)
	}
	if !bytes.Contains(help, []byte("--git-history")) {
		return nil, false, nil
	}
	return append(p.dirCmd(report), "--git-history"), true, nil
}

func (p palisadeTool) parse(report, dir string) ([]secretset.Finding, error) {
	data, err := os.ReadFile(report)
	if err != nil {
		return nil, err
	}
	var r struct {
		Findings []struct {
			RuleID   string `json:"ruleID"`
			Location struct {
				File   string          `json:"file"`
				Line   int             `json:"line"`
				Commit json.RawMessage `json:"commit"`
			} `json:"location"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", report, err)
	}
	var fs []secretset.Finding
	for _, f := range r.Findings {
		if !credentialRules.MatchString(f.RuleID) && !secretRules.MatchString(f.RuleID) {
			continue
		}
		fs = append(fs, secretset.Finding{File: relPath(dir, f.Location.File), Line: f.Location.Line, Rule: f.RuleID, Commit: commitHash(f.Location.Commit)})
	}
	return fs, nil
}

// commitHash reads the commit of a history finding, a hash or an object with one.
func commitHash(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o map[string]any
	if json.Unmarshal(raw, &o) == nil {
		for _, k := range []string{"hash", "commit", "id", "sha"} {
			if s, ok := o[k].(string); ok {
				return s
			}
		}
	}
	return ""
}

type gitleaksTool struct{ bin string }

func (g gitleaksTool) name() string           { return "gitleaks" }
func (g gitleaksTool) values() *regexp.Regexp { return nil }
func (g gitleaksTool) args(mode, report string) []string {
	return []string{g.bin, mode, ".", "--report-format", "json", "--report-path", report, "--no-banner", "--redact", "--exit-code", "0", "--log-level", "error"}
}
func (g gitleaksTool) dirCmd(report string) []string { return g.args("dir", report) }
func (g gitleaksTool) historyCmd(report string) ([]string, bool, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, false, nil // gitleaks git runs git log
	}
	return g.args("git", report), true, nil
}

func (g gitleaksTool) parse(report, dir string) ([]secretset.Finding, error) {
	data, err := os.ReadFile(report)
	if err != nil {
		return nil, err
	}
	var r []struct {
		RuleID    string
		File      string
		StartLine int
		Commit    string
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", report, err)
	}
	var fs []secretset.Finding
	for _, f := range r {
		fs = append(fs, secretset.Finding{File: relPath(dir, f.File), Line: f.StartLine, Rule: f.RuleID, Commit: f.Commit})
	}
	return fs, nil
}

type measurement struct{ benchrun.Measurement }

func (m measurement) String() string {
	return fmt.Sprintf("%s wall, %s CPU, %s", benchrun.Duration(m.Wall), benchrun.Duration(m.CPU), fmtMB(m.RSSKB))
}

func fmtMB(kb int64) string { return fmt.Sprintf("%d MB", benchrun.MiB(kb)) }

// measure runs the command in dir runs times and keeps the best wall time; a run over
// a minute is not repeated.
func measure(runs int, dir string, argv []string) (measurement, error) {
	m, err := benchrun.Best(runs, benchrun.Command{Argv: argv, Dir: dir, StopAfter: time.Minute})
	return measurement{m}, err
}
