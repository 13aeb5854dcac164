package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// writeTemp writes a file into a fresh temporary directory and returns its path.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A wrong --fail-on (flag or config) lists every accepted value, none included.
func TestFailOnErrorListsNone(t *testing.T) {
	const want = "want one of info, low, medium, high, critical, none"
	r := run(t, nil, "scan", "--fail-on", "bogus", "@clean.yaml")
	if r.code != ExitUsage || !strings.Contains(r.stderr, `--fail-on: unknown value "bogus" (`+want+")") {
		t.Errorf("flag: exit %d, stderr %q", r.code, r.stderr)
	}
	cfg := writeTemp(t, "palisade.yaml", "failOn: severe\n")
	r = run(t, nil, "scan", "--config", cfg, "@clean.yaml")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "line 1: failOn: unknown value \"severe\" ("+want+")") {
		t.Errorf("config: exit %d, stderr %q", r.code, r.stderr)
	}
	// "none" is accepted in either spelling, in the flag and the file.
	cfg = writeTemp(t, "palisade.yaml", "failOn: None\n")
	if r = run(t, nil, "scan", "--config", cfg, "@privileged.yaml"); r.code != ExitOK {
		t.Errorf("failOn None: exit %d, stderr %q", r.code, r.stderr)
	}
	if r = run(t, nil, "scan", "--fail-on", "NONE", "@privileged.yaml"); r.code != ExitOK {
		t.Errorf("--fail-on NONE: exit %d, stderr %q", r.code, r.stderr)
	}
}

// Without a kubeconfig or a pod to run in, the commands that read the live cluster
// say where they looked and what to do instead, not client-go's KUBERNETES_MASTER.
func TestNoClusterSaysWhatWasTried(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none")
	t.Setenv("KUBECONFIG", missing)
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
	tried := "no cluster to connect to: tried $KUBECONFIG (" + missing + ": not found), the in-cluster service account (not in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset)"
	for _, tc := range []struct {
		args []string
		hint string
	}{
		{[]string{"netpol", "isolation"}, "; read manifests with -f PATH, or name a kubeconfig with --kubeconfig"},
		{[]string{"netpol", "lint"}, "; read manifests with -f PATH"},
		{[]string{"rbac", "who-can", "get", "secrets"}, "; read manifests with -f PATH"},
		{[]string{"rbac", "risks"}, "; read manifests with -f PATH"},
		{[]string{"cluster"}, "; scan manifests with `palisade scan PATH`, or name a kubeconfig with --kubeconfig"},
	} {
		r := run(t, nil, tc.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tried+tc.hint) || strings.Contains(r.stderr, "KUBERNETES_MASTER") {
			t.Errorf("%v: exit %d, stderr:\n%s", tc.args, r.code, r.stderr)
		}
	}
	// A kubeconfig file without a cluster is named as such.
	empty := writeTemp(t, "kubeconfig", "apiVersion: v1\nkind: Config\n")
	r := run(t, nil, "rbac", "who-can", "get", "secrets", "--kubeconfig", empty)
	if !strings.Contains(r.stderr, "tried --kubeconfig ("+empty+": no current context or cluster in it)") {
		t.Errorf("empty kubeconfig: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

func TestStampedVersion(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		name, linked string
		info         *debug.BuildInfo
		want         string
	}{
		{"ldflags win", "v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v9.9.9"}}, "v1.2.3"},
		{"go install module@version", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "v1.4.0"},
		{"go build in a checkout", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20250102030405-0123456789ab+dirty"}, Settings: vcs(rev, "true")}, "v0.0.0-20250102030405-0123456789ab+dirty"},
		{"commit, clean", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "false")}, "dev-0123456789ab"},
		{"commit, modified", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "true")}, "dev-0123456789ab-modified"},
		{"nothing recorded", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"no build info", "dev", nil, "dev"},
	} {
		if got := stampedVersion(tc.linked, tc.info); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// unsafeText returns the first character of out that could act on a terminal or
// forge a line (controls other than newline, format characters such as bidirectional
// overrides, separators, invalid UTF-8), or -1.
func unsafeText(out string) rune {
	if !utf8.ValidString(out) {
		return utf8.RuneError
	}
	for _, r := range out {
		if r == '\n' {
			continue
		}
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return r
		}
	}
	return -1
}

// Text a manifest controls (names, images, subjects, file names) is escaped in every
// text output: the report, the compliance view, the rbac and netpol views, and the
// messages on standard error.
func TestHostileTextIsEscaped(t *testing.T) {
	dir := t.TempDir()
	// A file whose name holds an escape sequence, and that is not YAML: an input error
	// naming it, on standard output (text) and standard error (other formats).
	if err := os.WriteFile(filepath.Join(dir, "bad\x1b[2J.yaml"), []byte("a: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hostile := "@hostile.yaml"
	for _, tc := range []struct {
		args []string
		// want are escaped forms the output must show.
		want []string
	}{
		{[]string{"scan", "--no-color", hostile, dir}, []string{`Pod/shop\u202e/web\x1b[2J\x1b]0;pwned\a`, `image "nginx:\x1b[8mbad tag\nResult: pass (fail-on high)."`, `bad\x1b[2J.yaml`}},
		{[]string{"scan", "-o", "json", hostile, dir}, []string{`bad\u001b[2J.yaml`}},
		{[]string{"scan", "--framework", "cis-1.12", hostile, dir}, []string{`Pod/shop\u202e/web\x1b[2J\x1b]0;pwned\a  PAL-001`}},
		{[]string{"scan", "--framework", "cis-1.12", "-o", "json", hostile, dir}, nil},
		{[]string{"rbac", "who-can", "get", "secrets", "-A", "-f", hostile}, []string{`user:alice\x1b]0;x\a`, `RoleBinding shop\u202e/rb\x1b[5m -> ClusterRole reader\x1b[1m`}},
		{[]string{"rbac", "who-can", "get", "secrets", "-n", "shop\u202e", "-o", "dot", "-f", hostile}, []string{`shop\u202e`}},
		{[]string{"rbac", "can", "user:alice\x1b]0;x\a", "-f", hostile}, []string{`user:alice\x1b]0;x\a (user "alice\x1b]0;x\a"`}},
		{[]string{"rbac", "can", "user:mallory\x1b[2J", "get", "secrets", "-n", "shop\u202e", "-f", hostile}, []string{`user:mallory\x1b[2J is not in the input`}},
		{[]string{"netpol", "isolation", "-f", hostile}, []string{`shop\u202e/Pod/web\x1b[2J\x1b]0;pwned\a`, `isolated by deny\x1b[3m`}},
		{[]string{"netpol", "matrix", "-f", hostile}, []string{`shop\u202e/Pod/web\x1b[2J`}},
		{[]string{"netpol", "matrix", "-o", "csv", "-f", hostile}, []string{`shop\u202e/Pod/web\x1b[2J`}},
		{[]string{"netpol", "matrix", "-o", "mermaid", "-f", hostile}, []string{`namespace shop\u202e`}},
		{[]string{"netpol", "matrix", "-o", "dot", "-f", hostile}, []string{`shop\u202e`}},
		{[]string{"netpol", "reach", "--from", "shop\u202e/pod/web\x1b[2J\x1b]0;pwned\a", "--to", "10.0.0.1", "-f", hostile}, []string{`shop\u202e/Pod/web\x1b[2J`}},
		{[]string{"netpol", "reach", "--from", "shop/pod/nope\x1b[2J", "--to", "10.0.0.1", "-f", hostile}, []string{`no workload shop/pod/nope\x1b[2J`}},
	} {
		r := run(t, nil, tc.args...)
		if r.code == ExitUsage && !strings.Contains(r.stderr, "no workload") {
			t.Errorf("%q: exit %d: %s", tc.args, r.code, r.stderr)
		}
		for name, out := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
			if c := unsafeText(out); c != -1 {
				t.Errorf("%q: %s holds %U:\n%s", tc.args, name, c, out)
			}
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "Result: pass (fail-on high).") {
					t.Errorf("%q: %s has a forged line", tc.args, name)
				}
			}
		}
		for _, w := range tc.want {
			if !strings.Contains(r.stdout+r.stderr, w) {
				t.Errorf("%q: output lacks %s:\n%s%s", tc.args, w, r.stdout, r.stderr)
			}
		}
	}
}

// A parameter of the wrong type or a malformed pattern in the configuration is a
// usage error naming the file and line, not a rule silently turned off.
func TestConfigValuesAreTypeChecked(t *testing.T) {
	for _, tc := range []struct{ config, want string }{
		{"rules:\n  PAL-022:\n    params:\n      paths: \"/etc, /root\"\n", `line 4: rule PAL-022 parameter paths: want a list, not the string "/etc, /root"`},
		{"rules:\n  PAL-022:\n    params:\n      paths: [1, 2]\n", `line 4: rule PAL-022 parameter paths: item 1: want a string, not the number 1`},
		{"rules:\n  PAL-515:\n    params:\n      minEntropy: high\n", `line 4: rule PAL-515 parameter minEntropy: "high" is not a number`},
		{"rules:\n  PAL-515:\n    params:\n      allowValues: [\"demo-(\"]\n", `line 4: rule PAL-515 parameter allowValues: item 1: "demo-(" is not a regular expression`},
		{"rules:\n  PAL-428:\n    params:\n      allowedPorts: [53/UPD]\n", `line 4: rule PAL-428 parameter allowedPorts: item 1: "53/UPD": port "53/UPD": unknown protocol`},
		{"exemptions:\n  - reason: legacy\n    names: [\"web-[0-9\"]\n", `line 3: exemption names: "web-[0-9": malformed pattern`},
		{"podTemplatePaths:\n  - {group: example.com, kind: \"*\", path: spec.template}\n", `line 2: podTemplatePaths: kind "*" is not a kind name`},
	} {
		cfg := writeTemp(t, "palisade.yaml", tc.config)
		for _, args := range [][]string{{"scan", "--config", cfg, "@privileged.yaml"}, {"netpol", "isolation", "--config", cfg, "-f", "@privileged.yaml"}} {
			r := run(t, nil, args...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, cfg+": "+tc.want) {
				t.Errorf("%s %q: exit %d, stderr %q, want %s", args[0], tc.config, r.code, r.stderr, tc.want)
			}
		}
	}
	// The same values written right are accepted; numbers may be written as numbers.
	cfg := writeTemp(t, "palisade.yaml", "rules:\n  PAL-022:\n    params:\n      paths: [/etc, /root]\n  PAL-712:\n    params:\n      minMaxAge: 60\n")
	if r := run(t, nil, "scan", "--config", cfg, "@privileged.yaml"); r.code != ExitFindings {
		t.Errorf("valid config: exit %d, stderr %q", r.code, r.stderr)
	}
}

// panicRuleID is a rule that panics on the pod of privileged.yaml: a stand-in for a
// bug. It is opt-in, so only the tests that include it run it; its ID has the length
// of the real ones, which keeps the catalogue's columns.
const panicRuleID = "PAL-990"

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{ID: panicRuleID, Title: "Panics on a pod", Severity: finding.Low, Category: "test",
			Rationale: "A stand-in for a bug in a rule.", Remediation: "None.", Frameworks: rules.Frameworks{Layer: "cluster"}},
		OptIn: true,
		Kinds: []string{"Pod"},
		Object: func(p *rules.Pass, o *inventory.Object) {
			if o.Ref.Name == "priv" {
				var l []int
				_ = l[len(o.Ref.Name)] // index out of range
			}
		},
	})
}

// A rule that panics is an internal error with its own exit code, 4 (not 2, the
// code of a usage error), reported after everything else that was checked, in every
// format.
func TestRulePanicExitsInternal(t *testing.T) {
	include := "PAL-001," + panicRuleID
	r := run(t, nil, "scan", "--include", include, "@privileged.yaml")
	if r.code != ExitInternal {
		t.Errorf("text: exit %d, want %d\n%s%s", r.code, ExitInternal, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"INTERNAL ERROR " + td(t, "privileged.yaml") + ":1: rule PAL-990 on Pod/shop/priv failed: panic: runtime error: index out of range [4] with length 0 (at ",
		"PAL-001", "1 internal error.",
		"Result: incomplete, Palisade failed on part of the input (exit 4); please report the internal errors above.",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text report lacks %q:\n%s", want, r.stdout)
		}
	}
	r = run(t, nil, "scan", "--include", include, "-o", "json", "@privileged.yaml")
	var rep struct {
		Summary struct {
			InternalErrors int `json:"internalErrors"`
		} `json:"summary"`
		Findings []struct {
			RuleID string `json:"ruleID"`
		} `json:"findings"`
		InternalErrors []struct {
			Rule   string `json:"rule"`
			Object struct{ Kind, Namespace, Name string }
		} `json:"internalErrors"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	if r.code != ExitInternal || rep.Summary.InternalErrors != 1 || len(rep.InternalErrors) != 1 || rep.InternalErrors[0].Rule != panicRuleID ||
		rep.InternalErrors[0].Object.Name != "priv" || len(rep.Findings) != 1 || rep.Findings[0].RuleID != "PAL-001" {
		t.Errorf("json: exit %d, %+v", r.code, rep)
	}
	r = run(t, nil, "scan", "--include", include, "-o", "sarif", "@privileged.yaml")
	if r.code != ExitInternal || !strings.Contains(r.stdout, `"executionSuccessful": false`) || !strings.Contains(r.stdout, "internal error: rule PAL-990 on Pod/shop/priv failed") {
		t.Errorf("sarif: exit %d\n%s", r.code, r.stdout)
	}
	r = run(t, nil, "scan", "--include", include, "-o", "junit", "@privileged.yaml")
	if r.code != ExitInternal || !strings.Contains(r.stdout, `<testsuite name="internal" tests="1" failures="0" errors="1"`) {
		t.Errorf("junit: exit %d\n%s", r.code, r.stdout)
	}
	r = run(t, nil, "scan", "--include", include, "--framework", "pss-baseline", "@privileged.yaml")
	if r.code != ExitInternal || !strings.Contains(r.stdout, "INTERNAL ERROR") || !strings.Contains(r.stdout, "(exit 4)") {
		t.Errorf("framework: exit %d\n%s", r.code, r.stdout)
	}
	// Input errors and findings do not hide it: exit 4 wins.
	if r = run(t, nil, "scan", "--include", include, "@privileged.yaml", "@malformed.yaml"); r.code != ExitInternal {
		t.Errorf("with input errors: exit %d", r.code)
	}
}

// A panic nothing else recovered still ends the run with ExitInternal and a message,
// not the runtime's exit code 2.
func TestLastResort(t *testing.T) {
	var b strings.Builder
	code := func() (code int) {
		defer lastResort(&b, &code)
		panic("boom\x1b[2J")
	}()
	if code != ExitInternal || !strings.HasPrefix(b.String(), `palisade: internal error: panic: boom\x1b[2J (at `) || !strings.Contains(b.String(), "goroutine ") ||
		!strings.Contains(b.String(), "this is a bug") {
		t.Errorf("code %d, stderr:\n%s", code, b.String())
	}
}
