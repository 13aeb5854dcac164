// Case tables: manifests scanned through the whole pipeline (load, engine with every
// rule, PSS gating), with the exact findings expected from the rules under test.

package checktest

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

// Case is one manifest scanned through the whole pipeline and the exact findings
// expected from the rules under test.
type Case struct {
	Name string
	// Version is the Pod Security Standards version ("" is latest).
	Version string
	// Rules are the rules under test: their findings must equal Want exactly. Findings
	// of other rules are ignored.
	Rules []string
	YAML  string
	// Want lists "RULE container path"; the container is "-" for pod-level findings.
	Want []string
	// Lines maps a finding's path to a text that occurs on exactly one line of YAML:
	// every finding at that path must be reported on that line.
	Lines map[string]string
}

// FindingKey is "RULE container path", the container "-" for pod-level findings.
func FindingKey(f *finding.Finding) string {
	c := f.Container
	if c == "" {
		c = "-"
	}
	return f.RuleID + " " + c + " " + f.Path
}

// LineOf returns the 1-based line of yaml that contains text; the text must occur on
// exactly one line.
func LineOf(t *testing.T, yaml, text string) int {
	t.Helper()
	line := 0
	for i, l := range strings.Split(yaml, "\n") {
		if strings.Contains(l, text) {
			if line != 0 {
				t.Fatalf("line marker %q occurs on lines %d and %d", text, line, i+1)
			}
			line = i + 1
		}
	}
	if line == 0 {
		t.Fatalf("line marker %q not found in the manifest", text)
	}
	return line
}

// ScanYAML scans a manifest holding at least one workload and returns its findings;
// an input error fails the test.
func ScanYAML(t *testing.T, yaml, version string) []finding.Finding {
	t.Helper()
	res, err := scan.Run(scan.Options{
		Source:     &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(yaml)},
		PSSVersion: version, FailOn: "none",
	})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	for _, e := range res.Report.Errors {
		t.Errorf("input error: %s: %s", e.Location, e.Message)
	}
	if res.Report.Summary.Workloads == 0 {
		t.Fatalf("the manifest has no workload")
	}
	return res.Report.Findings
}

// RunCases runs each case as a subtest.
func RunCases(t *testing.T, cases []Case) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			if len(tc.Rules) == 0 {
				t.Fatal("case names no rule under test")
			}
			fs := ScanYAML(t, tc.YAML, tc.Version)
			for i := range fs {
				// The engine's fallback means no rule could point at the field: every
				// case here must be pinpointed, whatever rule it concerns.
				if f := &fs[i]; IsFallback(f) {
					t.Errorf("fallback finding: %s: %s", f.RuleID, f.Message)
				}
			}
			got := MatchFindings(t, fs, tc.Rules, FindingKey, tc.Want)
			CheckLines(t, tc.YAML, got, tc.Lines)
		})
	}
}

// MatchFindings compares the findings of the rules under test, keyed by key, with
// want: each wanted key must be found once, and nothing else may be. It returns the
// findings of the rules under test by key.
func MatchFindings(t *testing.T, fs []finding.Finding, ruleIDs []string, key func(*finding.Finding) string, want []string) map[string]*finding.Finding {
	t.Helper()
	under := map[string]bool{}
	for _, r := range ruleIDs {
		under[r] = true
	}
	got := map[string]*finding.Finding{}
	var gotKeys []string
	for i := range fs {
		f := &fs[i]
		if !under[f.RuleID] {
			continue
		}
		k := key(f)
		if got[k] != nil {
			t.Errorf("duplicate finding %s", k)
		}
		got[k] = f
		gotKeys = append(gotKeys, k)
	}
	wantSet := map[string]bool{}
	for _, w := range want {
		wantSet[w] = true
		if got[w] == nil {
			t.Errorf("missing finding %s", w)
		}
	}
	sort.Strings(gotKeys)
	for _, k := range gotKeys {
		if !wantSet[k] {
			t.Errorf("unexpected finding %s: %s", k, got[k].Message)
		}
	}
	return got
}

// CheckLines asserts that the findings at each path are reported on the one line of
// the manifest that contains the given text.
func CheckLines(t *testing.T, yaml string, got map[string]*finding.Finding, lines map[string]string) {
	t.Helper()
	for path, text := range lines {
		want := LineOf(t, yaml, text)
		n := 0
		for _, f := range got {
			if f.Path == path {
				n++
				if f.Location.Line != want {
					t.Errorf("%s %s reported on line %d, want %d (%q)", f.RuleID, f.Path, f.Location.Line, want, text)
				}
			}
		}
		if n == 0 {
			t.Errorf("no finding at %s to check the line of", path)
		}
	}
}

// ParamsConfig is a configuration that sets rule parameters (rule ID -> name -> value).
func ParamsConfig(params map[string]map[string]any) *config.Config {
	cfg := &config.Config{Rules: map[string]config.RuleConfig{}}
	for id, ps := range params {
		cfg.Rules[id] = config.RuleConfig{Params: ps}
	}
	return cfg
}

// CheckInputErrors fails on every input error except one containing wantErr, which
// must occur when wantErr is set.
func CheckInputErrors(t *testing.T, errs []finding.InputError, wantErr string) {
	t.Helper()
	seen := false
	for _, e := range errs {
		if wantErr != "" && strings.Contains(e.Message, wantErr) {
			seen = true
			continue
		}
		t.Errorf("input error: %s: %s", e.Location, e.Message)
	}
	if wantErr != "" && !seen {
		t.Errorf("no input error containing %q", wantErr)
	}
}

// IsFallback reports whether f is the engine's fallback for a failed Pod Security
// Standards check that no rule pinpointed.
func IsFallback(f *finding.Finding) bool {
	return strings.HasPrefix(f.Message, "Pod Security Standards")
}

// CorpusDir is ../shared/corpus beside the repository root (three levels above this
// package directory); the test is skipped without it.
func CorpusDir(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Skip("cannot locate the test source")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	dir := filepath.Join(root, "..", "shared", "corpus")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Skipf("corpus not found at %s", dir)
	}
	return dir
}
