package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixture is the absolute path of an attack-path rule's fixture.
func fixture(t *testing.T, rule, file string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "checks", "attackpaths", "testdata", rule, file))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type pathReport struct {
	Findings []struct {
		RuleID      string
		Severity    string
		Fingerprint string
		Object      struct{ Kind, Name string }
		Suppressed  *struct{ Kind string }
		AttackPath  *struct {
			Entry, Target, Pivot string
			Hops                 []struct{ Kind, Analyzer string }
			Fix                  *struct {
				Hop  int
				Path string
			}
			Others [][]struct{ Kind string }
		} `json:"attackPath"`
	}
}

func decodePaths(t *testing.T, out string) pathReport {
	t.Helper()
	var r pathReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	return r
}

// palisade paths runs the path rules (and only them) through scan: the exposed front
// end bound to cluster-admin is PAL-470 with its hops and fix; the gate fails.
func TestPaths(t *testing.T) {
	fail, pass := fixture(t, "PAL-470", "fail.yaml"), fixture(t, "PAL-470", "pass.yaml")
	r := run(t, nil, "paths", "-f", fail, "-o", "json")
	if r.code != ExitFindings {
		t.Fatalf("exit %d, want 1: %s", r.code, r.stderr)
	}
	rep := decodePaths(t, r.stdout)
	var got []string
	for _, f := range rep.Findings {
		if !strings.HasPrefix(f.RuleID, "PAL-47") || f.AttackPath == nil {
			t.Errorf("paths reported %s without a path", f.RuleID)
			continue
		}
		got = append(got, f.RuleID+" "+f.Object.Name+" "+f.AttackPath.Entry+" "+f.AttackPath.Target)
	}
	if !strings.Contains(strings.Join(got, "\n"), "PAL-470 web internet cluster-admin") {
		t.Errorf("findings = %v, want PAL-470 on web", got)
	}
	text := run(t, nil, "paths", "-f", fail, "--no-color")
	for _, want := range []string{"CRITICAL PAL-470", "path: 4 hops from internet to cluster-admin through workload:shop/Deployment/web", "fix (hop 2): set automountServiceAccountToken: false"} {
		if !strings.Contains(text.stdout, want) {
			t.Errorf("text lacks %q:\n%s", want, text.stdout)
		}
	}
	// The pass fixture has no path: exit 0.
	if r := run(t, nil, "paths", "-f", pass); r.code != 0 || !strings.Contains(r.stdout, "no findings") {
		t.Errorf("pass: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A depth bound below the path's length leaves it out.
	if r := run(t, nil, "paths", "-f", fail, "--max-depth", "3"); r.code != 0 {
		t.Errorf("--max-depth 3: exit %d\n%s", r.code, r.stdout)
	}
}

// --from and --to ask the query rule (PAL-476), whose severity follows entry and
// target; bad IDs are usage errors.
func TestPathsQuery(t *testing.T) {
	fail := fixture(t, "PAL-470", "fail.yaml")
	r := run(t, nil, "paths", "-f", fail, "--from", "namespace:shop", "--to", "cluster-admin", "-o", "json", "--fail-on", "critical")
	if r.code != 0 {
		t.Fatalf("exit %d (a high path under --fail-on critical): %s", r.code, r.stderr)
	}
	rep := decodePaths(t, r.stdout)
	if len(rep.Findings) != 1 || rep.Findings[0].RuleID != "PAL-476" || rep.Findings[0].Severity != "high" || rep.Findings[0].AttackPath.Entry != "namespace:shop" {
		t.Errorf("findings = %+v, want one high PAL-476 from namespace:shop", rep.Findings)
	}
	// --to alone: from the internet and any pod.
	r = run(t, nil, "paths", "-f", fail, "--to", "cluster-admin", "-o", "json")
	entries := map[string]string{}
	for _, f := range decodePaths(t, r.stdout).Findings {
		entries[f.AttackPath.Entry] = f.Severity
	}
	if entries["internet"] != "critical" || entries["pod"] != "high" {
		t.Errorf("--to cluster-admin: entries %v, want internet critical and pod high", entries)
	}
	for _, args := range [][]string{
		{"--from", "moon"}, {"--to", "workload:nope"}, {"--max-depth", "40"}, {"--from", "internet", "--include", "PAL-470"}, {"--include", "PAL-999"},
	} {
		r := run(t, nil, append([]string{"paths", "-f", fail}, args...)...)
		if r.code != ExitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", args, r.code, r.stderr)
		}
	}
}

// A path is suppressed on its workload with the usual annotation, and drawn as a
// graph (dot, mermaid) when asked.
func TestPathsSuppressionAndGraph(t *testing.T) {
	fail := fixture(t, "PAL-470", "fail.yaml")
	data, err := os.ReadFile(fail)
	if err != nil {
		t.Fatal(err)
	}
	annotated := strings.Replace(string(data), "kind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n",
		"kind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n  annotations:\n    palisade.dev/ignore: PAL-470,PAL-471,PAL-472,PAL-473,PAL-474,PAL-475\n    palisade.dev/ignore-reason: \"SHOP-7: token removed in the next release\"\n", 1)
	if annotated == string(data) {
		t.Fatal("fixture changed: the annotation was not added")
	}
	r := run(t, strings.NewReader(annotated), "paths", "-", "-o", "json")
	if r.code != 0 {
		t.Fatalf("suppressed: exit %d\n%s", r.code, r.stderr)
	}
	for _, f := range decodePaths(t, r.stdout).Findings {
		if f.Suppressed == nil {
			t.Errorf("%s on %s not suppressed", f.RuleID, f.Object.Name)
		}
	}
	dot := run(t, nil, "paths", "-f", fail, "-o", "dot")
	if dot.code != ExitFindings || !strings.HasPrefix(strings.TrimSpace(dot.stdout), "digraph") || !strings.Contains(dot.stdout, "Deployment shop/web") {
		t.Errorf("dot: exit %d\n%s%s", dot.code, dot.stdout, dot.stderr)
	}
	mm := run(t, nil, "paths", "-f", fail, "-o", "mermaid", "--fail-on", "none")
	if mm.code != 0 || !strings.HasPrefix(mm.stdout, "flowchart") {
		t.Errorf("mermaid: exit %d\n%s%s", mm.code, mm.stdout, mm.stderr)
	}
}

// paths diff: a path opened fails the gate, closed does not; a JSON report is an
// input as good as the manifests.
func TestPathsDiff(t *testing.T) {
	pass, fail := fixture(t, "PAL-470", "pass.yaml"), fixture(t, "PAL-470", "fail.yaml")
	r := run(t, nil, "paths", "diff", pass, fail)
	if r.code != ExitFindings || !strings.Contains(r.stdout, "Opened (") || !strings.Contains(r.stdout, "CRITICAL PAL-470  Deployment/shop/web  the internet -> Deployment shop/web") {
		t.Errorf("opened: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "paths", "diff", fail, pass, "-o", "json")
	if r.code != 0 {
		t.Errorf("closed: exit %d, want 0\n%s", r.code, r.stderr)
	}
	var d struct {
		Opened, Closed []struct{ RuleID string }
		Changed        []struct{}
		Unchanged      int
	}
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Opened) != 0 || len(d.Closed) == 0 || d.Closed[0].RuleID == "" {
		t.Errorf("closed: %+v", d)
	}
	// The old side as a JSON report of paths: the same paths, unchanged.
	dir := t.TempDir()
	before := filepath.Join(dir, "before.json")
	if r := run(t, nil, "paths", "-f", fail, "-o", "json", "--output-file", before); r.code != ExitFindings {
		t.Fatalf("report: exit %d %s", r.code, r.stderr)
	}
	r = run(t, nil, "paths", "diff", before, fail, "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatal(err)
	}
	if r.code != 0 || len(d.Opened) != 0 || len(d.Closed) != 0 || d.Unchanged == 0 {
		t.Errorf("report vs input: exit %d %+v\n%s", r.code, d, r.stderr)
	}
	// A JSON file that is neither a report nor a manifest is an error.
	junk := filepath.Join(dir, "junk.json")
	if err := os.WriteFile(junk, []byte(`{"hello": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, "paths", "diff", junk, fail); r.code != ExitUsage || !strings.Contains(r.stderr, "not a palisade JSON report") {
		t.Errorf("junk: exit %d %s", r.code, r.stderr)
	}
	if r := run(t, nil, "paths", "diff", pass, fail, "--fail-on", "none"); r.code != 0 {
		t.Errorf("--fail-on none: exit %d", r.code)
	}
}

// FuzzParsePathReport: any bytes as a report to diff never panic, and what is read
// diffs against itself with nothing opened or closed.
func FuzzParsePathReport(f *testing.F) {
	f.Add([]byte(`{"schema": "palisade.dev/report/v2", "findings": [{"ruleID": "PAL-470", "attackPath": {"entry": "internet", "target": "cluster-admin", "hops": [{"from": {"id": "internet"}, "to": {"id": "x"}, "kind": "exposed"}]}}]}`))
	f.Add([]byte(`{"apiVersion": "v1", "kind": "Pod"}`))
	f.Add([]byte(`{"schema": "palisade.dev/report/v2", "findings": [{"attackPath": {"hops": null}}]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, ok, err := parsePathReport("r.json", data)
		if err != nil || !ok {
			return
		}
		d := diffPaths(fs, fs)
		if len(d.Opened) != 0 || len(d.Closed) != 0 || len(d.Changed) != 0 {
			t.Errorf("a report diffed with itself: %+v", d)
		}
	})
}
