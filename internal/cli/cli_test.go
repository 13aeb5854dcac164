package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testdataDir is resolved before any test changes the working directory.
var testdataDir, _ = filepath.Abs("testdata")

// td returns the absolute path of a testdata file: tests run in a temporary working
// directory so that no .palisade.yaml around the repository is picked up.
func td(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(testdataDir, name)
}

type result struct {
	code           int
	stdout, stderr string
}

// run calls Main in an empty working directory. Paths in args starting with "@" are
// testdata files.
func run(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	full := make([]string, len(args))
	for i, a := range args {
		if strings.HasPrefix(a, "@") {
			a = td(t, a[1:])
		}
		full[i] = a
	}
	t.Chdir(t.TempDir())
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errb bytes.Buffer
	code := Main(full, stdin, &out, &errb)
	return result{code, out.String(), errb.String()}
}

// jsonReport is the part of the JSON report the tests read.
type jsonReport struct {
	Summary struct {
		Findings    int            `json:"findings"`
		Suppressed  int            `json:"suppressed"`
		InputErrors int            `json:"inputErrors"`
		BySeverity  map[string]int `json:"bySeverity"`
		FailOn      string         `json:"failOn"`
		Failed      bool           `json:"failed"`
	} `json:"summary"`
	Findings []struct {
		RuleID   string `json:"ruleID"`
		Location struct {
			File string `json:"file"`
			Line int    `json:"line"`
		} `json:"location"`
		Suppressed *struct {
			Kind   string `json:"kind"`
			Reason string `json:"reason"`
		} `json:"suppressed"`
	} `json:"findings"`
	InputErrors []struct {
		Location struct {
			File string `json:"file"`
			Line int    `json:"line"`
		} `json:"location"`
		Message string `json:"message"`
	} `json:"inputErrors"`
}

func parseReport(t *testing.T, s string) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, s)
	}
	return r
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		// stdout and stderr must contain these.
		stdout, stderr string
	}{
		{"clean manifest at fail-on info", []string{"scan", "--fail-on", "info", "@clean.yaml"}, 0, "no findings", ""},
		{"privileged pod", []string{"scan", "@privileged.yaml"}, 1, "PAL-001", ""},
		{"privileged pod, fail-on via equals", []string{"scan", "--fail-on=critical", "@privileged.yaml"}, 1, "PAL-001", ""},
		{"high finding at default fail-on high", []string{"scan", "@high-only.yaml"}, 1, "PAL-018", ""},
		{"high finding, fail-on critical", []string{"scan", "--fail-on", "critical", "@high-only.yaml"}, 0, "PAL-018", ""},
		{"fail-on none", []string{"scan", "--fail-on", "none", "@privileged.yaml", "@high-only.yaml"}, 0, "PAL-001", ""},
		{"bad fail-on value", []string{"scan", "--fail-on", "bogus", "@clean.yaml"}, 2, "", "bogus"},
		{"unknown output format", []string{"scan", "-o", "yaml", "@clean.yaml"}, 2, "", `unknown output format "yaml"`},
		{"config with unknown key names the line", []string{"scan", "--config", "@config-unknown-key.yaml", "@clean.yaml"}, 2, "", "line 6"},
		{"missing config file", []string{"scan", "--config", "@no-such-config.yaml", "@clean.yaml"}, 2, "", "no-such-config.yaml"},
		{"bad baseline file", []string{"scan", "--baseline", "@malformed.yaml", "@clean.yaml"}, 2, "", "baseline"},
		{"no path", []string{"scan"}, 2, "", "at least one PATH"},
		{"unknown flag", []string{"scan", "--frobnicate", "@clean.yaml"}, 2, "", "frobnicate"},
		{"unknown command", []string{"scna"}, 2, "", "scna"},
		{"bad pss version", []string{"scan", "--pss-version", "banana", "@clean.yaml"}, 2, "", "banana"},
		{"bad pss level", []string{"scan", "--pss-level", "privileged", "@clean.yaml"}, 2, "", "--pss-level"},
		{"nonexistent input", []string{"scan", "@does-not-exist.yaml"}, 3, "does-not-exist.yaml", ""},
		{"version", []string{"version"}, 0, "palisade " + Version, ""},
		{"explain", []string{"explain", "PAL-001"}, 0, "Privileged container", ""},
		{"explain unknown rule", []string{"explain", "PAL-999"}, 2, "", `unknown rule "PAL-999"`},
		{"explain without ID", []string{"explain"}, 2, "", "arg"},
		{"rules table", []string{"rules", "--format", "table"}, 0, "PAL-001  critical", ""},
		{"rules markdown", []string{"rules", "--format", "markdown"}, 0, "| [PAL-001](#pal-001) |", ""},
		{"rules bad format", []string{"rules", "--format", "xml"}, 2, "", "xml"},
		{"framework: failing control", []string{"scan", "--framework", "pss-baseline", "@privileged.yaml"}, 1, "FAIL  Privileged containers: none", ""},
		{"framework: clean input passes", []string{"scan", "--framework", "pss-restricted", "@clean.yaml"}, 0, "Result: pass (fail-on info).", ""},
		{"framework: default gate is any failing control", []string{"scan", "--framework", "pss-baseline", "@high-only.yaml"}, 1, "Result: FAIL, 1 control fails.", ""},
		{"framework: high finding below fail-on critical", []string{"scan", "--framework", "pss-baseline", "--fail-on", "critical", "@high-only.yaml"}, 0,
			"Result: pass (fail-on critical): 1 control fails, none with a finding at or above it.", ""},
		{"framework: fail-on none", []string{"scan", "--framework", "nsa-cisa", "--fail-on", "none", "@privileged.yaml"}, 0, "pod-security.enforcement    FAIL", ""},
		{"framework: input errors win", []string{"scan", "--framework", "cis-1.12", "@does-not-exist.yaml", "@privileged.yaml"}, 3, "exit 3", ""},
		{"framework: unknown", []string{"scan", "--framework", "cis-1.8", "@clean.yaml"}, 2, "", `unknown framework "cis-1.8" (want one of cis-1.12, nsa-cisa, pss-baseline, pss-restricted, mitre-attack)`},
		{"framework: sarif refused", []string{"scan", "--framework", "cis-1.12", "-o", "sarif", "@clean.yaml"}, 2, "", "SARIF describes findings, not controls"},
		{"rules framework", []string{"rules", "--framework", "pss-restricted"}, 0, "restrictedVolumes", ""},
		{"rules framework markdown", []string{"rules", "--framework", "cis-1.12", "--format", "markdown"}, 0, "| 5.2.2 | Minimal admission of privileged containers | [PAL-001](../rules.md#pal-001) |", ""},
		{"rules framework mitre-attack", []string{"rules", "--framework", "mitre-attack", "--format", "markdown"}, 0, "| T1609 | Container Administration Command | [PAL-901](../rules.md#pal-901)", ""},
		{"rules framework unknown", []string{"rules", "--framework", "soc2"}, 2, "", `unknown framework "soc2"`},
		{"completion bash", []string{"completion", "bash"}, 0, "bash completion", ""},
		{"completion zsh", []string{"completion", "zsh"}, 0, "compdef", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, nil, tc.args...)
			if r.code != tc.code {
				t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, tc.stdout) {
				t.Errorf("stdout does not contain %q:\n%s", tc.stdout, r.stdout)
			}
			if !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("stderr does not contain %q:\n%s", tc.stderr, r.stderr)
			}
		})
	}
}

func TestRulesJSON(t *testing.T) {
	r := run(t, nil, "rules", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rules []struct {
		ID       string `json:"id"`
		Title    string `json:"title"`
		Severity string `json:"severity"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rules); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if len(rules) < 20 || rules[0].ID != "PAL-001" || rules[0].Severity != "critical" || rules[0].Title == "" {
		t.Errorf("catalogue = %+v", rules)
	}
	seen := map[string]bool{}
	for _, rl := range rules {
		if seen[rl.ID] {
			t.Errorf("rule %s listed twice", rl.ID)
		}
		seen[rl.ID] = true
	}
}

func TestInputErrorsExitThreeAndReportTheRest(t *testing.T) {
	r := run(t, nil, "scan", "-o", "json", "@malformed.yaml", "@privileged.yaml")
	if r.code != 3 {
		t.Fatalf("exit code = %d, want 3 (input errors win over findings)\n%s", r.code, r.stderr)
	}
	rep := parseReport(t, r.stdout)
	if len(rep.InputErrors) != 1 || rep.Summary.InputErrors != 1 {
		t.Fatalf("input errors = %+v", rep.InputErrors)
	}
	e := rep.InputErrors[0]
	// The unclosed flow mapping opens on line 5.
	if e.Location.File != td(t, "malformed.yaml") || e.Location.Line != 5 || !strings.Contains(e.Message, "invalid YAML") {
		t.Errorf("input error = %+v, want malformed.yaml line 5", e)
	}
	var found bool
	for _, f := range rep.Findings {
		if f.RuleID == "PAL-001" && f.Location.File == td(t, "privileged.yaml") && f.Location.Line == 17 {
			found = true
		}
	}
	if !found {
		t.Errorf("PAL-001 on privileged.yaml:17 missing from %+v", rep.Findings)
	}
	if !rep.Summary.Failed {
		t.Errorf("gate should still have failed on the findings")
	}
	if !strings.Contains(r.stderr, "input error") || !strings.Contains(r.stderr, "malformed.yaml") {
		t.Errorf("stderr does not list the input error with a machine format on stdout:\n%s", r.stderr)
	}
}

func TestTextReportShowsInputErrors(t *testing.T) {
	r := run(t, nil, "scan", "--no-color", "@malformed.yaml", "@clean.yaml")
	if r.code != 3 {
		t.Fatalf("exit code = %d, want 3", r.code)
	}
	if !strings.Contains(r.stdout, "INPUT ERROR") || !strings.Contains(r.stdout, "malformed.yaml:5") {
		t.Errorf("text report does not show the input error:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("colour in a non-terminal report")
	}
}

func TestBaselineRoundTrip(t *testing.T) {
	baseline := filepath.Join(t.TempDir(), "baseline.json")
	first := run(t, nil, "scan", "-o", "json", "--write-baseline", baseline, "@privileged.yaml", "@high-only.yaml")
	if first.code != 1 {
		t.Fatalf("first scan exit = %d, want 1\n%s", first.code, first.stderr)
	}
	rep1 := parseReport(t, first.stdout)
	n := len(rep1.Findings)
	if n < 2 || rep1.Summary.Suppressed != 0 {
		t.Fatalf("first scan: %d findings, %d suppressed", n, rep1.Summary.Suppressed)
	}
	if !strings.Contains(first.stderr, "wrote") {
		t.Errorf("no baseline message on stderr: %s", first.stderr)
	}
	second := run(t, nil, "scan", "-o", "json", "--fail-on", "info", "--baseline", baseline, "@privileged.yaml", "@high-only.yaml")
	if second.code != 0 {
		t.Fatalf("scan with baseline exit = %d, want 0\n%s\n%s", second.code, second.stdout, second.stderr)
	}
	rep2 := parseReport(t, second.stdout)
	if rep2.Summary.Suppressed != n || rep2.Summary.Findings != 0 || rep2.Summary.Failed {
		t.Errorf("summary with baseline = %+v, want %d suppressed, 0 findings", rep2.Summary, n)
	}
	if len(rep2.Findings) != n {
		t.Errorf("suppressed findings dropped from the report: %d, want %d", len(rep2.Findings), n)
	}
	for _, f := range rep2.Findings {
		if f.Suppressed == nil || f.Suppressed.Kind != "baseline" {
			t.Errorf("%s not suppressed by the baseline: %+v", f.RuleID, f.Suppressed)
		}
	}
	// The same finding on another object is not covered by the old baseline.
	fourth := run(t, strings.NewReader(strings.Replace(readFile(t, "privileged.yaml"), "name: priv", "name: priv2", 1)),
		"scan", "-o", "json", "--baseline", baseline, "-")
	if fourth.code != 1 {
		t.Errorf("renamed object exit = %d, want 1 (not in baseline)", fourth.code)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(td(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestConfigExemption(t *testing.T) {
	r := run(t, nil, "scan", "-o", "json", "--config", "@config-exempt.yaml", "@privileged.yaml")
	if r.code != 0 {
		t.Fatalf("exit = %d, want 0\n%s", r.code, r.stderr)
	}
	rep := parseReport(t, r.stdout)
	if rep.Summary.Suppressed != 1 || rep.Summary.Findings != 0 {
		t.Errorf("summary = %+v, want 1 suppressed", rep.Summary)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Suppressed == nil || rep.Findings[0].Suppressed.Kind != "config" ||
		rep.Findings[0].Suppressed.Reason != "Test fixture that must run privileged." {
		t.Errorf("findings = %+v", rep.Findings)
	}
}

func TestConfigDiscoveredInWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".palisade.yaml"), []byte(readFile(t, "config-exempt.yaml")), 0o644); err != nil {
		t.Fatal(err)
	}
	priv := td(t, "privileged.yaml")
	t.Chdir(dir)
	var out, errb bytes.Buffer
	if code := Main([]string{"scan", priv}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Errorf("exit = %d, want 0 with the discovered exemption\n%s%s", code, out.String(), errb.String())
	}
}

func TestStdin(t *testing.T) {
	r := run(t, strings.NewReader(readFile(t, "privileged.yaml")), "scan", "-o", "json", "-")
	if r.code != 1 {
		t.Fatalf("exit = %d, want 1\n%s", r.code, r.stderr)
	}
	rep := parseReport(t, r.stdout)
	if len(rep.Findings) != 1 || rep.Findings[0].RuleID != "PAL-001" ||
		rep.Findings[0].Location.File != "<stdin>" || rep.Findings[0].Location.Line != 17 {
		t.Errorf("findings = %+v, want PAL-001 at <stdin>:17", rep.Findings)
	}
	r = run(t, strings.NewReader(readFile(t, "clean.yaml")), "scan", "--fail-on", "info", "-")
	if r.code != 0 {
		t.Errorf("clean stdin exit = %d, want 0\n%s", r.code, r.stdout)
	}
}

func TestOutputFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.json")
	r := run(t, nil, "scan", "-o", "json", "--output-file", out, "@privileged.yaml")
	if r.code != 1 {
		t.Fatalf("exit = %d, want 1", r.code)
	}
	if r.stdout != "" {
		t.Errorf("report also written to stdout: %q", r.stdout)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if rep := parseReport(t, string(data)); len(rep.Findings) != 1 {
		t.Errorf("report file findings = %+v", rep.Findings)
	}
}

// The JSON compliance view on the command line: every control, its status and the
// failing findings, and the gate's verdict in the summary.
func TestFrameworkJSON(t *testing.T) {
	r := run(t, nil, "scan", "--framework", "pss-baseline", "-o", "json", "@privileged.yaml")
	if r.code != 1 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	var view struct {
		Schema  string
		Summary struct {
			Controls, Fail int
			Failed         bool
		}
		Controls []struct {
			ID, Status string
			Findings   []struct{ RuleID string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &view); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	if view.Schema != "palisade.dev/compliance/v1" || view.Summary.Controls != len(view.Controls) || view.Summary.Fail != 1 || !view.Summary.Failed {
		t.Errorf("summary = %+v (schema %s)", view.Summary, view.Schema)
	}
	for _, c := range view.Controls {
		if (c.ID == "privileged") != (c.Status == "fail") {
			t.Errorf("%s: %s", c.ID, c.Status)
		}
		if c.ID == "privileged" && (len(c.Findings) != 1 || c.Findings[0].RuleID != "PAL-001") {
			t.Errorf("privileged findings = %+v", c.Findings)
		}
	}
}

// --verbose lists every failing object; a JUnit view goes to a file like any report.
func TestFrameworkVerboseAndJUnitFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cis.xml")
	r := run(t, nil, "scan", "--framework", "cis-1.12", "-o", "junit", "--output-file", out, "@privileged.yaml")
	if r.code != 1 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q", r.code, r.stdout)
	}
	data, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(data), `<testcase name="5.2.2 Minimal admission of privileged containers" classname="cis-1.12">`) {
		t.Errorf("junit file: %v\n%s", err, data)
	}
	r = run(t, nil, "scan", "--framework", "cis-1.12", "-v", "@privileged.yaml")
	if r.code != 1 || !strings.Contains(r.stdout, "Pod/shop/priv  PAL-001") {
		t.Errorf("verbose view: exit %d\n%s", r.code, r.stdout)
	}
}

// The same object in two inputs is a warning on standard error and a notice in the
// JSON report, naming both places; it is not an input error and does not change the
// exit code.
func TestDuplicateObjectWarning(t *testing.T) {
	clean := td(t, "clean.yaml")
	for _, format := range []string{"text", "json"} {
		r := run(t, nil, "scan", clean, clean, "-o", format, "--fail-on", "info")
		if r.code != 0 {
			t.Errorf("%s: exit %d, want 0 (a duplicate is not an error)\n%s%s", format, r.code, r.stdout, r.stderr)
		}
		want := "palisade: notice: " + clean + ":"
		if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "is defined twice: here and at "+clean+":") {
			t.Errorf("%s: stderr lacks the warning naming both definitions:\n%s", format, r.stderr)
		}
		if format != "json" {
			continue
		}
		var rep struct {
			Notices []struct {
				Location struct {
					File string `json:"file"`
					Line int    `json:"line"`
				} `json:"location"`
				Message string `json:"message"`
			} `json:"notices"`
			InputErrors []any `json:"inputErrors"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.Notices) == 0 || rep.Notices[0].Location.File != clean || rep.Notices[0].Location.Line == 0 ||
			!strings.Contains(rep.Notices[0].Message, "defined twice") || len(rep.InputErrors) != 0 {
			t.Errorf("json notices = %+v, input errors %v", rep.Notices, rep.InputErrors)
		}
	}
	if r := run(t, nil, "scan", clean, "-o", "json"); strings.Contains(r.stdout, `"notices"`) || strings.Contains(r.stderr, "warning") {
		t.Errorf("a single definition gave a notice:\n%s%s", r.stdout, r.stderr)
	}
}
