package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testdata/audit/audit.jsonl (the findings of PAL-901, exec):
//
//	1 bob creates pod default/debug, privileged
//	2 alice execs into default/web (unknown pod)            -> medium
//	3 alice execs into default/debug                        -> high, chain 1, 3
//	4 mallory, impersonating kube-system:admin, execs into default/web -> medium
//
// state.yaml: pod default/web with hostPID; alice bound to a ClusterRole of every
// permission.

// auditJSON is the part of the JSON report the audit tests read.
type auditJSON struct {
	Summary struct {
		Findings    int            `json:"findings"`
		Suppressed  int            `json:"suppressed"`
		InputErrors int            `json:"inputErrors"`
		BySeverity  map[string]int `json:"bySeverity"`
		Audit       struct {
			Events, Files, Objects, ObjectsEvicted int
			RBAC                                   bool
		} `json:"audit"`
	} `json:"summary"`
	Findings []struct {
		RuleID   string `json:"ruleID"`
		Severity string `json:"severity"`
		Message  string `json:"message"`
		Location struct {
			File string
			Line int
		}
		Suppressed *struct{ Kind, Reason string }
		Audit      struct {
			Actor        struct{ User string }
			Impersonator *struct{ User string }
			SourceIPs    []string
			Events       []struct {
				File string
				Line int
			}
			Risks  []string
			Raised bool
		} `json:"audit"`
	} `json:"findings"`
	InputErrors []struct {
		Location struct {
			File string
			Line int
		}
		Message string
	} `json:"inputErrors"`
}

func auditReport(t *testing.T, r result) auditJSON {
	t.Helper()
	var v auditJSON
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("json: %v\n%s\n%s", err, r.stdout, r.stderr)
	}
	return v
}

func severities(v auditJSON) string {
	var s []string
	for _, f := range v.Findings {
		s = append(s, f.Severity)
	}
	return strings.Join(s, ",")
}

func TestAuditText(t *testing.T) {
	r := run(t, nil, "audit", "--include", "PAL-901", "@audit/audit.jsonl")
	if r.code != ExitFindings {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"HIGH     PAL-901  ", "audit.jsonl:3  exec into pod default/debug", "privileged",
		"actor: alice [system:authenticated]",
		"impersonated by: mallory [system:authenticated]",
		"from: 192.0.2.7",
		"audit.jsonl:1 2026-12-01T10:00:00Z bob create pods default/debug -> 201",
		"audit.jsonl:3 2026-12-01T10:02:00Z alice create pods/exec default/debug -> 101",
		"Read 4 events from 1 file: 1 high, 2 medium.",
		"Result: FAIL, findings at or above high.",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text report lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestAuditFailOn(t *testing.T) {
	for _, tc := range []struct {
		failOn string
		code   int
	}{{"critical", ExitOK}, {"none", ExitOK}, {"medium", ExitFindings}, {"high", ExitFindings}, {"bogus", ExitUsage}} {
		if r := run(t, nil, "audit", "--include", "PAL-901", "--fail-on", tc.failOn, "@audit/audit.jsonl"); r.code != tc.code {
			t.Errorf("--fail-on %s: exit %d, want %d (%s)", tc.failOn, r.code, tc.code, r.stderr)
		}
	}
}

func TestAuditFormats(t *testing.T) {
	r := run(t, nil, "audit", "--include", "PAL-901", "-o", "json", "@audit/audit.jsonl")
	v := auditReport(t, r)
	if r.code != ExitFindings || v.Summary.Audit.Events != 4 || v.Summary.Audit.Files != 1 || len(v.Findings) != 3 {
		t.Fatalf("exit %d, summary %+v", r.code, v.Summary)
	}
	hi := v.Findings[1]
	if hi.Severity != "high" || hi.Audit.Actor.User != "alice" || len(hi.Audit.Events) != 2 || hi.Audit.Events[0].Line != 1 || hi.Audit.Events[1].Line != 3 || hi.Location.Line != 3 {
		t.Errorf("high finding %+v", hi)
	}
	if imp := v.Findings[2].Audit; imp.Impersonator == nil || imp.Impersonator.User != "mallory" || imp.Actor.User != "system:serviceaccount:kube-system:admin" || imp.SourceIPs[0] != "192.0.2.7" {
		t.Errorf("impersonated finding %+v", imp)
	}
	if !strings.Contains(r.stderr, "Read 4 events from 1 file: 1 high, 2 medium.") {
		t.Errorf("no summary line on stderr: %q", r.stderr)
	}

	r = run(t, nil, "audit", "--include", "PAL-901", "-o", "sarif", "@audit/audit.jsonl")
	var sarif struct {
		Runs []struct {
			Results []struct {
				RuleID     string
				Properties struct {
					Audit *struct {
						Actor  struct{ User string }
						Events []struct{ Line int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &sarif); err != nil || len(sarif.Runs) != 1 || len(sarif.Runs[0].Results) != 3 {
		t.Fatalf("sarif: %v\n%s", err, r.stdout)
	}
	if a := sarif.Runs[0].Results[1].Properties.Audit; a == nil || a.Actor.User != "alice" || len(a.Events) != 2 {
		t.Errorf("sarif audit properties %+v", a)
	}

	r = run(t, nil, "audit", "--include", "PAL-901", "-o", "junit", "@audit/audit.jsonl")
	for _, want := range []string{"Actor: alice", "Impersonated by: mallory", "Event: ", "audit.jsonl:1 2026-12-01T10:00:00Z bob create pods default/debug"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("junit lacks %q", want)
		}
	}
	if r := run(t, nil, "audit", "-o", "yaml", "@audit/audit.jsonl"); r.code != ExitUsage {
		t.Errorf("-o yaml: exit %d", r.code)
	}
}

// A record that cannot be read and a log that does not exist are input errors
// (exit 3); the rest is judged.
func TestAuditInputErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.log")
	r := run(t, nil, "audit", "--include", "PAL-901", "-o", "json", "@audit/bad.jsonl", missing)
	v := auditReport(t, r)
	if r.code != ExitInputErrors {
		t.Fatalf("exit %d, want 3: %s", r.code, r.stderr)
	}
	if len(v.Findings) != 2 || v.Summary.Audit.Events != 2 || len(v.InputErrors) != 2 {
		t.Fatalf("findings %d, events %d, input errors %+v", len(v.Findings), v.Summary.Audit.Events, v.InputErrors)
	}
	var bad, gone bool
	for _, e := range v.InputErrors {
		bad = bad || strings.HasSuffix(e.Location.File, "bad.jsonl") && e.Location.Line == 2
		gone = gone || e.Location.File == missing && strings.Contains(e.Message, "no such file")
	}
	if !bad || !gone {
		t.Errorf("input errors %+v, want bad.jsonl:2 and the missing file", v.InputErrors)
	}
	if !strings.Contains(r.stderr, "input error:") || !strings.Contains(r.stderr, "bad.jsonl:2") {
		t.Errorf("stderr %q", r.stderr)
	}
	r = run(t, nil, "audit", "@audit/bad.jsonl")
	if r.code != ExitInputErrors || !strings.Contains(r.stdout, "INPUT ERROR") || !strings.Contains(r.stdout, "1 input error") {
		t.Errorf("text: exit %d\n%s", r.code, r.stdout)
	}
}

func TestAuditStdin(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "audit", "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, bytes.NewReader(data), "audit", "--include", "PAL-901", "-o", "json", "-")
	v := auditReport(t, r)
	if len(v.Findings) != 3 || v.Findings[1].Location.File != "<stdin>" || v.Findings[1].Location.Line != 3 {
		t.Errorf("stdin: %+v", v.Findings)
	}
	if r := run(t, bytes.NewReader(data), "audit", "-", "-f", "-"); r.code != ExitUsage || !strings.Contains(r.stderr, "standard input") {
		t.Errorf("- and -f -: exit %d %s", r.code, r.stderr)
	}
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), ".palisade.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAuditConfig(t *testing.T) {
	// Severity override.
	cfg := writeConfig(t, "rules:\n  PAL-901:\n    severity: critical\n")
	v := auditReport(t, run(t, nil, "audit", "--config", cfg, "--include", "PAL-901", "-o", "json", "@audit/audit.jsonl"))
	if severities(v) != "critical,critical,critical" {
		t.Errorf("severity override: %s", severities(v))
	}
	// Disabled.
	cfg = writeConfig(t, "rules:\n  PAL-901:\n    enabled: false\n")
	r := run(t, nil, "audit", "--config", cfg, "--include", "PAL-901", "-o", "json", "@audit/audit.jsonl")
	if v := auditReport(t, r); r.code != ExitOK || v.Summary.Findings != 0 {
		t.Errorf("disabled: exit %d, %d findings", r.code, v.Summary.Findings)
	}
	// Exemption of the pod default/debug: its finding is suppressed, the rest stays.
	cfg = writeConfig(t, "exemptions:\n  - rules: [PAL-901]\n    namespaces: [default]\n    names: [debug]\n    reason: the lab's debug pod\n")
	r = run(t, nil, "audit", "--config", cfg, "--include", "PAL-901", "-o", "json", "@audit/audit.jsonl")
	v = auditReport(t, r)
	if r.code != ExitOK || v.Summary.Suppressed != 1 || v.Findings[1].Suppressed == nil || v.Findings[1].Suppressed.Reason != "the lab's debug pod" {
		t.Errorf("exemption: exit %d, %+v", r.code, v.Summary)
	}
	// Exemption of an identity: the impersonator mallory's finding is suppressed.
	cfg = writeConfig(t, "exemptions:\n  - users: [mallory]\n    reason: the red team\n")
	v = auditReport(t, run(t, nil, "audit", "--config", cfg, "--include", "PAL-901", "-o", "json", "@audit/audit.jsonl"))
	if v.Summary.Suppressed != 1 || v.Findings[2].Suppressed == nil {
		t.Errorf("users exemption: %+v", v.Summary)
	}
	// Lowered: the raised finding moves with it.
	cfg = writeConfig(t, "rules:\n  PAL-901:\n    severity: low\n")
	v = auditReport(t, run(t, nil, "audit", "--config", cfg, "--include", "PAL-901", "-o", "json", "@audit/audit.jsonl"))
	if severities(v) != "low,medium,low" {
		t.Errorf("severity lowered: %s", severities(v))
	}
	// failOn from the configuration.
	cfg = writeConfig(t, "failOn: critical\n")
	if r := run(t, nil, "audit", "--config", cfg, "--include", "PAL-901", "@audit/audit.jsonl"); r.code != ExitOK {
		t.Errorf("config failOn critical: exit %d", r.code)
	}
	// A broken configuration is a usage error.
	cfg = writeConfig(t, "rules:\n  PAL-901:\n    severity: extreme\n")
	if r := run(t, nil, "audit", "--config", cfg, "@audit/audit.jsonl"); r.code != ExitUsage {
		t.Errorf("bad config: exit %d", r.code)
	}
}

func TestAuditIncludeExclude(t *testing.T) {
	r := run(t, nil, "audit", "--exclude", "PAL-901", "-o", "json", "@audit/audit.jsonl")
	for _, f := range auditReport(t, r).Findings {
		if f.RuleID == "PAL-901" {
			t.Errorf("--exclude PAL-901 reported %+v", f)
		}
	}
	if r := run(t, nil, "audit", "--include", "PAL-001", "@audit/audit.jsonl"); r.code != ExitUsage || !strings.Contains(r.stderr, "matches no audit rule") {
		t.Errorf("--include of a scan rule: exit %d %q", r.code, r.stderr)
	}
	if r := run(t, nil, "audit", "--include", "PAL-9*", "@audit/audit.jsonl"); r.code != ExitFindings {
		t.Errorf("--include PAL-9*: exit %d %s", r.code, r.stderr)
	}
}

func TestAuditBaseline(t *testing.T) {
	base := filepath.Join(t.TempDir(), "baseline.json")
	r := run(t, nil, "audit", "--include", "PAL-901", "--write-baseline", base, "@audit/audit.jsonl")
	if !strings.Contains(r.stderr, "wrote 3 findings to baseline") {
		t.Fatalf("write-baseline: %s", r.stderr)
	}
	r = run(t, nil, "audit", "--include", "PAL-901", "--baseline", base, "-o", "json", "@audit/audit.jsonl")
	if v := auditReport(t, r); r.code != ExitOK || v.Summary.Suppressed != 3 || v.Summary.Findings != 0 {
		t.Errorf("baseline: exit %d %+v", r.code, v.Summary)
	}
	// The same act by another identity is not in the baseline.
	data, err := os.ReadFile(td(t, "audit/audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	other := strings.ReplaceAll(string(data), `"username":"alice"`, `"username":"eve"`)
	r = run(t, strings.NewReader(other), "audit", "--include", "PAL-901", "--baseline", base, "-o", "json", "-")
	if v := auditReport(t, r); v.Summary.Findings != 2 || v.Summary.Suppressed != 1 {
		t.Errorf("another identity: %+v", v.Summary)
	}
}

// -f gives the current state (web has hostPID: its exec is high without its
// creation in the log) and the RBAC model (alice holds every permission: her
// findings are raised one step, with the classes in the evidence).
func TestAuditStateAndRBAC(t *testing.T) {
	r := run(t, nil, "audit", "--include", "PAL-901", "-f", "@audit/state.yaml", "-o", "json", "@audit/audit.jsonl")
	v := auditReport(t, r)
	if severities(v) != "critical,critical,high" || !v.Summary.Audit.RBAC {
		t.Fatalf("severities %s (rbac %v): %s", severities(v), v.Summary.Audit.RBAC, r.stderr)
	}
	a := v.Findings[0].Audit
	if !a.Raised || len(a.Risks) == 0 || a.Risks[0] != "PAL-330" || !strings.Contains(v.Findings[0].Message, "hostPID") {
		t.Errorf("alice's exec into web: %+v %s", a, v.Findings[0].Message)
	}
	if m := v.Findings[2]; m.Audit.Raised || len(m.Audit.Risks) != 0 {
		t.Errorf("kube-system:admin holds nothing in the model: %+v", m.Audit)
	}
	r = run(t, nil, "audit", "--include", "PAL-901", "-f", "@audit/state.yaml", "@audit/audit.jsonl")
	if !strings.Contains(r.stdout, "rbac: holds PAL-330") || !strings.Contains(r.stdout, "(severity raised: the actor can escalate)") {
		t.Errorf("text lacks the RBAC context:\n%s", r.stdout)
	}
	// Without -f, no RBAC context.
	v = auditReport(t, run(t, nil, "audit", "--include", "PAL-901", "-o", "json", "@audit/audit.jsonl"))
	if v.Summary.Audit.RBAC || v.Findings[0].Audit.Raised {
		t.Errorf("RBAC context without -f: %+v", v.Summary.Audit)
	}
	// A state that cannot be read is an input error; the logs are still judged.
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	r = run(t, nil, "audit", "--include", "PAL-901", "-f", missing, "-o", "json", "@audit/audit.jsonl")
	if v := auditReport(t, r); r.code != ExitInputErrors || len(v.Findings) != 3 {
		t.Errorf("missing -f: exit %d, %d findings: %s", r.code, len(v.Findings), r.stderr)
	}
}

func TestAuditLimits(t *testing.T) {
	// One object remembered: the state's pods push each other out, so the exec into
	// debug no longer knows it was privileged.
	r := run(t, nil, "audit", "--include", "PAL-901", "--max-objects", "1", "-f", "@audit/state.yaml", "-o", "json", "@audit/audit.jsonl")
	v := auditReport(t, r)
	if v.Summary.Audit.Objects != 1 || v.Summary.Audit.ObjectsEvicted == 0 {
		t.Errorf("--max-objects 1: %+v", v.Summary.Audit)
	}
	if m := v.Findings[0].Message; !strings.Contains(m, "exec into pod default/web") || strings.Contains(m, "hostPID") {
		t.Errorf("web is still known: %s", v.Findings[0].Message)
	}
	for _, args := range [][]string{{"--window", "0s"}, {"--max-objects", "0"}, {"--max-identities", "-1"}, {"--format-in", "syslog"}, {"--framework", "cis-1.12"}} {
		if r := run(t, nil, append(append([]string{"audit"}, args...), "@audit/audit.jsonl")...); r.code != ExitUsage {
			t.Errorf("%v: exit %d", args, r.code)
		}
	}
	if r := run(t, nil, "audit", "--window", "10m", "--max-identities", "10", "--format-in", "events", "--max-event-size", "1Mi", "@audit/audit.jsonl"); r.code != ExitFindings {
		t.Errorf("valid limits: exit %d %s", r.code, r.stderr)
	}
	big := filepath.Join(t.TempDir(), "big.jsonl")
	line := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"b","stage":"ResponseComplete","verb":"get","requestURI":"/x","user":{"username":"u"},"requestObject":{"pad":"` + strings.Repeat("x", 100<<10) + `"}}`
	if err := os.WriteFile(big, []byte(line+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, "audit", "--max-event-size", "80Ki", "-o", "json", big); r.code != ExitInputErrors {
		t.Errorf("an event longer than --max-event-size: exit %d", r.code)
	}
	if r := run(t, nil, "audit"); r.code != ExitUsage {
		t.Errorf("no LOG: exit %d", r.code)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// --follow prints each finding as it is found: the first is out before the log has
// its next event.
func TestAuditFollow(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "audit", "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	pr, pw := io.Pipe()
	var out, errb syncBuffer
	root := NewRoot(pr, &out, &errb)
	root.SetArgs([]string{"audit", "--follow", "-o", "json", "--include", "PAL-901", "-"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(context.Background()) }()
	if _, err := io.WriteString(pw, lines[0]+lines[1]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return strings.Count(out.String(), "\n") == 1 })
	var f struct {
		RuleID string
		Audit  struct{ Actor struct{ User string } }
	}
	if err := json.Unmarshal([]byte(out.String()), &f); err != nil || f.RuleID != "PAL-901" || f.Audit.Actor.User != "alice" {
		t.Fatalf("first JSON line %q: %v", out.String(), err)
	}
	if _, err := io.WriteString(pw, lines[2]+lines[3]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	err = <-done
	if ee, ok := err.(exitError); !ok || ee.code != ExitFindings {
		t.Errorf("exit %v", err)
	}
	if n := strings.Count(out.String(), "\n"); n != 3 {
		t.Errorf("%d JSON lines, want 3:\n%s", n, out.String())
	}
	if !strings.Contains(errb.String(), "Read 4 events from 1 file: 1 high, 2 medium.") {
		t.Errorf("summary: %q", errb.String())
	}
	// Text lines; formats that are documents are refused.
	data2 := bytes.NewReader(data)
	r := run(t, data2, "audit", "--follow", "--include", "PAL-901", "-")
	if !strings.Contains(r.stdout, "HIGH     PAL-901  <stdin>:3  Pod/default/debug: exec into pod default/debug") || !strings.Contains(r.stdout, "actor: alice") {
		t.Errorf("text follow:\n%s", r.stdout)
	}
	for _, args := range [][]string{{"-o", "sarif"}, {"--write-baseline", filepath.Join(t.TempDir(), "b.json")}, {"--output-file", filepath.Join(t.TempDir(), "o.txt")}} {
		if r := run(t, nil, append(append([]string{"audit", "--follow"}, args...), "@audit/audit.jsonl")...); r.code != ExitUsage {
			t.Errorf("--follow %v: exit %d", args, r.code)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("timed out")
}
