package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/nodeprofile"
	"github.com/palisade-k8s/palisade/internal/report"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// runNode runs `palisade node check` through Main (the node command's dispatch)
// and, to hold the entry point collect's dispatch calls to the same behaviour,
// through runNodeCheck too.
func runNode(t *testing.T, args ...string) result {
	t.Helper()
	full := make([]string, len(args))
	for i, a := range args {
		if strings.HasPrefix(a, "@") {
			a = td(t, filepath.Join("nodes", a[1:]))
		}
		full[i] = a
	}
	t.Chdir(t.TempDir())
	var out, errb bytes.Buffer
	code := Main(append([]string{"node", "check"}, full...), strings.NewReader(""), &out, &errb)
	var out2, errb2 bytes.Buffer
	if code2 := runNodeCheck(full, &out2, &errb2); code2 != code || out2.String() != out.String() {
		t.Errorf("runNodeCheck %v: exit %d, Main: exit %d; outputs equal: %v", full, code2, code, out2.String() == out.String())
	}
	return result{code, out.String(), errb.String()}
}

func wantLines(t *testing.T, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(out, l) {
			t.Errorf("output lacks %q:\n%s", l, out)
		}
	}
}

// A kubeadm worker whose kubelet runs with flags only fails 4.2.1 on its legacy
// default, and the view says the value, the expectation and where it came from.
// It configures no client CA, so the CA file checks are unknown (exit 3); the
// control-plane checks do not apply to a worker.
func TestNodeCheckFlagsOnly(t *testing.T) {
	r := runNode(t, "@worker-flags.yaml")
	if r.code != ExitInputErrors {
		t.Errorf("exit %d, want 3\n%s%s", r.code, r.stdout, r.stderr)
	}
	wantLines(t, r.stdout,
		"Node worker-1  ",
		"  profile kubeadm (named by the facts): CIS Kubernetes Benchmark v1.12\n",
		"[FAIL] 4.2.1 kubelet: anonymous requests disabled (PAL-730)\n",
		"      effective value: true; expected: false\n",
		"      from: legacy default (a kubelet started without --config)\n",
		"worker-flags.yaml:13\n",
		"== Remediations worker-1 ==\n",
		"4.2.1 Set authentication.anonymous.enabled: false",
		"[N/A] 1.1.1 API server pod spec file: permissions 600 or stricter (PAL-760)\n      a control-plane check: the node runs no control plane",
		"[UNKNOWN] 4.1.7 Certificate authorities file: permissions 644 or stricter (PAL-756)\n",
		"[PASS] 4.3.1 kube-proxy: metrics bound to localhost (PAL-744)\n",
		"== Summary worker-1 ==\n12 checks PASS\n11 checks FAIL\n2 checks UNKNOWN\n21 checks N/A\n",
		"Result: incomplete, some checks could not decide for lack of evidence (exit 3).\n",
	)
}

// --fail-on gates as scan's does, on facts where every check decides.
func TestNodeCheckGate(t *testing.T) {
	facts, err := filepath.Abs(filepath.Join("..", "..", "examples", "nodes", "kubeadm-flags-only.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r := runNode(t, facts); r.code != ExitFindings || strings.Contains(r.stdout, "[UNKNOWN]") {
		t.Errorf("exit %d, want 1 and no unknown check\n%s", r.code, r.stdout)
	}
	if r := runNode(t, facts, "--fail-on", "none"); r.code != ExitOK {
		t.Errorf("--fail-on none: exit %d, want 0", r.code)
	}
	if r := runNode(t, facts, "--fail-on", "critical"); r.code != ExitFindings {
		t.Errorf("--fail-on critical: exit %d, want 1 (PAL-730 is critical)", r.code)
	}
}

// A hardened node passes: the rule ran on its facts and reported nothing.
func TestNodeCheckHardened(t *testing.T) {
	r := runNode(t, "@hardened.yaml")
	if r.code != ExitOK {
		t.Errorf("exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
	}
	wantLines(t, r.stdout, "[PASS] 4.2.1 kubelet: anonymous requests disabled (PAL-730)\n",
		"25 checks PASS\n0 checks FAIL\n0 checks UNKNOWN\n21 checks N/A\n", "Result: pass (fail-on high).\n")
	if strings.Contains(r.stdout, "Remediations") {
		t.Errorf("remediations without a failure:\n%s", r.stdout)
	}
}

// Missing evidence is unknown, with the paths tried, never a pass or a failure:
// exit 3.
func TestNodeCheckMissingIsUnknown(t *testing.T) {
	r := runNode(t, "@missing.json")
	if r.code != ExitInputErrors {
		t.Errorf("exit %d, want 3\n%s%s", r.code, r.stdout, r.stderr)
	}
	wantLines(t, r.stdout,
		"[UNKNOWN] 4.2.1 kubelet: anonymous requests disabled (PAL-730)\n      no kubelet found on the node\n",
		"      tried: /proc/*/cmdline, /etc/systemd/system/kubelet.service, /lib/systemd/system/kubelet.service",
		"0 checks PASS\n0 checks FAIL\n25 checks UNKNOWN\n21 checks N/A\n",
		"Result: incomplete, some checks could not decide for lack of evidence (exit 3).\n")
	if strings.Contains(r.stdout, "[PASS]") || strings.Contains(r.stdout, "[FAIL]") {
		t.Errorf("missing evidence judged:\n%s", r.stdout)
	}
}

// A directory: a view per node, then the totals; --profile names the profile.
func TestNodeCheckDirectory(t *testing.T) {
	r := runNode(t, "@", "--profile", "kubeadm")
	if r.code != ExitInputErrors {
		t.Errorf("exit %d, want 3 (an unknown check)\n%s%s", r.code, r.stdout, r.stderr)
	}
	wantLines(t, r.stdout, "Node worker-1", "Node worker-2", "Node worker-3", "profile kubeadm (--profile)",
		"== Summary total ==\n37 checks PASS\n11 checks FAIL\n27 checks UNKNOWN\n63 checks N/A\n",
		"Checked 3 nodes from 3 inputs: 37 pass, 11 fail, 27 unknown, 63 not applicable.\n")
	if r := runNode(t, "@", "--profile", "no-such-distribution"); r.code != ExitUsage || !strings.Contains(r.stderr, "unknown profile") {
		t.Errorf("unknown --profile: exit %d, %s", r.code, r.stderr)
	}
	if r := runNode(t); r.code != ExitUsage {
		t.Errorf("no facts: exit %d, want 2", r.code)
	}
}

// -o json is the scan report: the node evidence on the finding, the unknown check
// in the coverage section with its rule, node and paths tried.
func TestNodeCheckJSON(t *testing.T) {
	r := runNode(t, "@worker-flags.yaml", "@missing.json", "-o", "json")
	if r.code != ExitInputErrors {
		t.Errorf("exit %d, want 3\n%s", r.code, r.stderr)
	}
	var rep struct {
		Findings []finding.Finding     `json:"findings"`
		Coverage []finding.CoverageGap `json:"coverage"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(rep.Findings) == 0 || rep.Findings[0].RuleID != "PAL-730" || rep.Findings[0].Node == nil {
		t.Fatalf("findings %+v, want PAL-730 first, with node evidence", rep.Findings)
	}
	for _, f := range rep.Findings {
		if f.Node == nil || f.Node.Node != "worker-1" {
			t.Errorf("%s: node evidence %+v, want worker-1's", f.RuleID, f.Node)
		}
	}
	n := rep.Findings[0].Node
	if n.Node != "worker-1" || n.Value != "true" || n.Expected != "false" || n.Recommendation != "4.2.1" ||
		n.Benchmark != "CIS Kubernetes Benchmark v1.12" || n.Profile != "kubeadm" || n.Origin == nil || n.Origin.Kind != "legacy-default" {
		t.Errorf("node evidence %+v (origin %+v)", n, n.Origin)
	}
	if !strings.Contains(r.stderr, "palisade: unknown: PAL-730 on node worker-3: no kubelet found on the node; tried: ") {
		t.Errorf("stderr does not say the unknown check:\n%s", r.stderr)
	}
	found := false
	for _, g := range rep.Coverage {
		if g.Rule == "PAL-730" && g.Name == "worker-3" && len(g.Tried) >= 3 {
			found = true
		}
		if g.Rule == "" || g.Name == "" {
			t.Errorf("coverage entry %+v names no rule or node", g)
		}
	}
	if !found {
		t.Errorf("coverage %+v, want PAL-730 unknown on worker-3 with the paths tried", rep.Coverage)
	}
	// The other formats carry the unknown check too.
	for format, want := range map[string]string{
		"sarif": `"associatedRule": {`,
		"junit": `<skipped message="unknown: PAL-730 on node worker-3: no kubelet found on the node; tried: /proc/*/cmdline`,
	} {
		r := runNode(t, "@missing.json", "-o", format)
		if !strings.Contains(r.stdout, want) {
			t.Errorf("-o %s lacks %s:\n%s", format, want, r.stdout)
		}
	}
}

// Facts that do not decode are an input error, and the node is not checked: no
// check passes on them.
func TestNodeCheckBadFacts(t *testing.T) {
	dir := t.TempDir()
	bad := "apiVersion: palisade.dev/v1\nkind: NodeFacts\nmetadata:\n  name: \"evil\\e[31m\"\nschemaVersion: 99\nsource: host\ncomponents: []\nfiles: []\n"
	if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runNode(t, filepath.Join(dir, "bad.yaml"))
	if r.code != ExitInputErrors {
		t.Errorf("exit %d, want 3\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "[PASS]") || !strings.Contains(r.stdout, "not checked") {
		t.Errorf("undecodable facts judged:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "\x1b") {
		t.Errorf("a control character of the facts reached the terminal: %q", r.stdout)
	}
	// A file with no facts at all says so.
	if err := os.WriteFile(filepath.Join(dir, "cm.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runNode(t, filepath.Join(dir, "cm.yaml")); r.code != ExitInputErrors || !strings.Contains(r.stderr, "no NodeFacts document") {
		t.Errorf("no facts: exit %d, %s", r.code, r.stderr)
	}
}

// judgeNode decides each rule on a node from the scan's findings, unknown checks,
// internal errors and the profile: a suppressed finding does not fail, a variant
// without the recommendation makes it N/A, another node's finding is not this
// node's.
func TestJudgeNode(t *testing.T) {
	ref := finding.ObjectRef{APIVersion: "palisade.dev/v1", Kind: inventory.NodeFactsKind, Name: "n1"}
	other := ref
	other.Name = "n2"
	obj := &inventory.Object{Ref: ref, Origin: finding.Location{File: "n1.json"}}
	mk := func(id, cis string) *rules.Rule {
		return &rules.Rule{Meta: rules.Meta{ID: id, Title: id, Frameworks: rules.Frameworks{CIS: []string{cis}}}}
	}
	enabled := []*rules.Rule{mk("PAL-1", "4.2.10"), mk("PAL-2", "4.2.2"), mk("PAL-3", "4.2.3"), mk("PAL-4", "4.2.4"), mk("PAL-5", "4.2.5"), mk("PAL-6", "4.2.6"), mk("PAL-7", "4.2.7")}
	rep := &report.Report{
		Findings: []finding.Finding{
			{RuleID: "PAL-1", Object: ref, Location: finding.Location{File: "n1.json"}},
			{RuleID: "PAL-2", Object: ref, Location: finding.Location{File: "n1.json"}, Suppressed: &finding.Suppression{Kind: "config", Reason: "lab"}},
			{RuleID: "PAL-3", Object: other, Location: finding.Location{File: "n2.json"}},
			{RuleID: "PAL-6", Object: ref, Location: finding.Location{File: "n1.json"}},
		},
		Coverage: []finding.CoverageGap{
			{Kind: inventory.NodeFactsKind, Name: "n1", Rule: "PAL-4", Reason: "not found"},
			{Kind: inventory.NodeFactsKind, Name: "n2", Rule: "PAL-3", Reason: "not found"},
		},
		Internal: []finding.InternalError{{Rule: "PAL-7", Object: &ref, Message: "panic"}},
	}
	prof := &nodeprofile.Profile{Name: "v", Benchmark: "B", Recommendations: map[string]string{"PAL-5": "-", "PAL-6": "-", "PAL-2": "3.2.2"}}
	got := map[string]string{}
	var order []string
	for _, nc := range judgeNode(rep, enabled, &nodeView{obj: obj, name: "n1", profile: prof}) {
		got[nc.rule.ID] = nc.status
		order = append(order, nc.number)
	}
	want := map[string]string{
		"PAL-1": nodeFail, "PAL-2": nodePass, "PAL-3": nodePass, "PAL-4": nodeUnknown,
		"PAL-5": nodeNA, "PAL-6": nodeNA, "PAL-7": nodeUnknown,
	}
	for id, st := range want {
		if got[id] != st {
			t.Errorf("%s: %s, want %s", id, got[id], st)
		}
	}
	if strings.Join(order, " ") != "3.2.2 4.2.3 4.2.4 4.2.5 4.2.6 4.2.7 4.2.10" {
		t.Errorf("order %v, want by the variant's number, numerically", order)
	}
}
