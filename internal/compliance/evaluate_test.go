package compliance_test

import (
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/compliance"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

func testRule(id string, fw rules.Frameworks) *rules.Rule {
	fw.Layer = "container"
	return &rules.Rule{Meta: rules.Meta{ID: id, Title: id, Severity: finding.Medium, Category: "test",
		Rationale: "r", Remediation: "m", Frameworks: fw}}
}

func testFinding(rule string, sev finding.Severity, name string, suppressed bool) finding.Finding {
	f := finding.Finding{RuleID: rule, Severity: sev, Object: finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "ns", Name: name}}
	if suppressed {
		f.Suppressed = &finding.Suppression{Kind: "annotation", Reason: "accepted"}
	}
	return f
}

func control(t *testing.T, r *compliance.Result, id string) compliance.ControlResult {
	t.Helper()
	for _, c := range r.Controls {
		if c.Control.ID == id {
			return c
		}
	}
	t.Fatalf("no control %s in %s", id, r.Framework.ID)
	return compliance.ControlResult{}
}

// TestEvaluateStatuses covers every verdict: a failing control (and its worst
// severity), a passing one, one whose only finding is suppressed, one with nothing in
// scope, one whose rules are disabled or idle (an empty allow-list must not pass), one
// with no rule, control plane and manual controls, and findings of rules outside the
// framework.
func TestEvaluateStatuses(t *testing.T) {
	rs := map[string]*rules.Rule{
		"T-PRIV":     testRule("T-PRIV", rules.Frameworks{CIS: []string{"5.2.2"}}),
		"T-ADMIN":    testRule("T-ADMIN", rules.Frameworks{CIS: []string{"5.1.1"}}),
		"T-SECRETS":  testRule("T-SECRETS", rules.Frameworks{CIS: []string{"5.1.2"}}),
		"T-WILD":     testRule("T-WILD", rules.Frameworks{CIS: []string{"5.1.3"}}),
		"T-PID":      testRule("T-PID", rules.Frameworks{CIS: []string{"5.2.3"}}),
		"T-ESCALATE": testRule("T-ESCALATE", rules.Frameworks{CIS: []string{"5.2.2", "5.2.6"}}),
		"T-UNTAGGED": testRule("T-UNTAGGED", rules.Frameworks{}),
		"T-ALLOW":    testRule("T-ALLOW", rules.Frameworks{CIS: []string{"5.5.1"}}),
		"T-FILES":    testRule("T-FILES", rules.Frameworks{CIS: []string{"1.1.1"}}),
	}
	var all, enabled []*rules.Rule
	for _, id := range []string{"T-ADMIN", "T-ALLOW", "T-ESCALATE", "T-FILES", "T-PID", "T-PRIV", "T-SECRETS", "T-UNTAGGED", "T-WILD"} {
		all = append(all, rs[id])
		if id != "T-WILD" {
			enabled = append(enabled, rs[id])
		}
	}
	in := compliance.Input{
		Enabled: enabled, All: all,
		Findings: []finding.Finding{
			testFinding("T-PRIV", finding.High, "a", false),
			testFinding("T-ESCALATE", finding.Low, "b", false),
			testFinding("T-PID", finding.Critical, "c", true),
			testFinding("T-UNTAGGED", finding.Medium, "d", false),
			testFinding("T-UNTAGGED", finding.Medium, "e", true),
		},
		Evaluated: map[string]int{"T-PRIV": 3, "T-ADMIN": 2, "T-SECRETS": 0, "T-PID": 3, "T-ESCALATE": 3, "T-UNTAGGED": 3, "T-ALLOW": 3, "T-FILES": 1},
		Idle:      []string{"T-ALLOW"},
		Gate:      true, FailOn: finding.High,
		// The node file rule could not find the API server manifest on the node.
		Unknown: []finding.CoverageGap{{Kind: "NodeFacts", Rule: "T-FILES", Name: "cp-1", Tried: []string{"/etc/kubernetes/manifests/kube-apiserver.yaml"}, Reason: "not found"}},
	}
	res := compliance.Evaluate(framework(t, "cis-1.12"), in)
	for _, c := range []struct {
		id     string
		status compliance.Status
		reason compliance.Reason
		rules  string
	}{
		{"5.2.2", compliance.Fail, "", "T-ESCALATE,T-PRIV"},
		{"5.2.6", compliance.Fail, "", "T-ESCALATE"},
		{"5.1.1", compliance.Pass, "", "T-ADMIN"},
		{"5.2.3", compliance.Pass, "", "T-PID"},
		{"5.1.2", compliance.NotApplicable, compliance.NoObjects, "T-SECRETS"},
		{"5.1.3", compliance.NotApplicable, compliance.Disabled, ""},
		{"5.5.1", compliance.NotApplicable, compliance.Disabled, ""},
		{"5.4.1", compliance.NotApplicable, compliance.NoRule, ""},
		{"1.1.1", compliance.Unknown, "", "T-FILES"},
		{"1.1.2", compliance.NotApplicable, compliance.NoRule, ""},
		{"1.2.1", compliance.NotApplicable, compliance.NoRule, ""},
		{"1.2.20", compliance.NotApplicable, compliance.Manual, ""},
	} {
		got := control(t, res, c.id)
		if got.Status != c.status || got.Reason != c.reason || strings.Join(got.Rules, ",") != c.rules {
			t.Errorf("%s: %s %q rules %v, want %s %q rules %s", c.id, got.Status, got.Reason, got.Rules, c.status, c.reason, c.rules)
		}
	}
	if c := control(t, res, "5.2.2"); c.Failing != 2 || c.Worst != finding.High || len(c.Findings) != 2 {
		t.Errorf("5.2.2: %d failing, worst %s, %d findings; want 2, high, 2", c.Failing, c.Worst, len(c.Findings))
	}
	if c := control(t, res, "5.2.3"); c.Suppressed != 1 || c.Failing != 0 || len(c.Findings) != 1 {
		t.Errorf("5.2.3: %d suppressed, %d failing; want the suppressed finding listed and not failing", c.Suppressed, c.Failing)
	}
	if c := control(t, res, "5.1.3"); strings.Join(c.Disabled, ",") != "T-WILD" {
		t.Errorf("5.1.3 disabled = %v", c.Disabled)
	}
	if res.Fail != 2 || res.Pass != 2 || res.Unknown != 1 || res.Pass+res.Fail+res.NotApplicable+res.Unknown != len(res.Controls) || len(res.Controls) != 131 {
		t.Errorf("counts pass %d fail %d unknown %d n/a %d of %d", res.Pass, res.Fail, res.Unknown, res.NotApplicable, len(res.Controls))
	}
	if res.Outside != 1 {
		t.Errorf("outside = %d, want the one unsuppressed untagged finding", res.Outside)
	}
	if !res.Failed || res.FailOn != "high" {
		t.Errorf("gate high: failed %v (%s), want true: 5.2.2 has a high finding", res.Failed, res.FailOn)
	}

	in.FailOn = finding.Critical
	if res := compliance.Evaluate(framework(t, "cis-1.12"), in); res.Failed || res.Fail != 2 {
		t.Errorf("gate critical: failed %v with %d failing controls; the only critical finding is suppressed", res.Failed, res.Fail)
	}
	in.Gate = false
	if res := compliance.Evaluate(framework(t, "cis-1.12"), in); res.Failed || res.FailOn != "none" {
		t.Errorf("no gate: failed %v, failOn %s", res.Failed, res.FailOn)
	}
}

// A control whose rules could not decide for lack of evidence is unknown, never a
// pass: a rule that reported only unknown checks (whether or not it counted the
// object as in scope), a passing rule beside an unknown one; a finding still fails
// the control, and an unknown check of a rule that is not the control's changes
// nothing.
func TestEvaluateUnknown(t *testing.T) {
	kubelet := testRule("T-KUBELET", rules.Frameworks{CIS: []string{"4.2.1"}})
	authz := testRule("T-AUTHZ", rules.Frameworks{CIS: []string{"4.2.2"}})
	files := testRule("T-FILES", rules.Frameworks{CIS: []string{"4.1.1"}})
	owner := testRule("T-OWNER", rules.Frameworks{CIS: []string{"4.1.1"}})
	ca := testRule("T-CA", rules.Frameworks{CIS: []string{"4.1.7"}})
	proxy := testRule("T-PROXY", rules.Frameworks{CIS: []string{"4.3.1"}})
	off := testRule("T-OFF", rules.Frameworks{CIS: []string{"4.2.3"}})
	all := []*rules.Rule{kubelet, authz, files, owner, ca, proxy, off}
	gap := func(rule, node string) finding.CoverageGap {
		return finding.CoverageGap{Kind: "NodeFacts", Rule: rule, Name: node, Tried: []string{"/somewhere"}, Reason: "not found"}
	}
	nodeFinding := func(rule, node string, suppressed bool) finding.Finding {
		f := finding.Finding{RuleID: rule, Severity: finding.High, Object: finding.ObjectRef{APIVersion: "palisade.dev/v1", Kind: "NodeFacts", Name: node}}
		if suppressed {
			f.Suppressed = &finding.Suppression{Kind: "config", Reason: "accepted"}
		}
		return f
	}
	in := compliance.Input{
		Enabled: all[:len(all)-1], All: all, Gate: true, FailOn: finding.High,
		// T-KUBELET counted its node and only reported unknown; T-AUTHZ (Scoped)
		// counted nothing and reported unknown; T-FILES passed where T-OWNER could
		// not tell; T-CA found a failing node and could not read another; T-PROXY's
		// only finding is suppressed and its other node is unknown; T-OFF is
		// disabled, so its unknown check belongs to no control.
		Evaluated: map[string]int{"T-KUBELET": 1, "T-AUTHZ": 0, "T-FILES": 2, "T-OWNER": 1, "T-CA": 2, "T-PROXY": 2},
		Findings:  []finding.Finding{nodeFinding("T-CA", "w-1", false), nodeFinding("T-PROXY", "w-1", true)},
		Unknown: []finding.CoverageGap{gap("T-KUBELET", "w-1"), gap("T-AUTHZ", "w-1"), gap("T-OWNER", "w-2"),
			gap("T-CA", "w-2"), gap("T-PROXY", "w-2"), gap("T-OFF", "w-1")},
	}
	res := compliance.Evaluate(framework(t, "cis-1.12"), in)
	for _, c := range []struct {
		id      string
		status  compliance.Status
		reason  compliance.Reason
		unknown int
	}{
		{"4.2.1", compliance.Unknown, "", 1},
		{"4.2.2", compliance.Unknown, "", 1},
		{"4.1.1", compliance.Unknown, "", 1},
		{"4.1.7", compliance.Fail, "", 1},
		{"4.3.1", compliance.Unknown, "", 1},
		{"4.2.3", compliance.NotApplicable, compliance.Disabled, 0},
		{"4.2.4", compliance.NotApplicable, compliance.NoRule, 0},
	} {
		got := control(t, res, c.id)
		if got.Status != c.status || got.Reason != c.reason || len(got.Unknown) != c.unknown {
			t.Errorf("%s: %s %q with %d unknown, want %s %q with %d", c.id, got.Status, got.Reason, len(got.Unknown), c.status, c.reason, c.unknown)
		}
		if got.Status == compliance.Unknown && (got.Unknown[0].Name == "" || len(got.Unknown[0].Tried) == 0) {
			t.Errorf("%s: unknown check %+v does not say where it looked", c.id, got.Unknown[0])
		}
	}
	if res.Unknown != 4 || res.Fail != 1 || res.Pass != 0 {
		t.Errorf("counts: unknown %d fail %d pass %d, want 4, 1, 0", res.Unknown, res.Fail, res.Pass)
	}
	if !res.Failed {
		t.Error("the gate ignores the failing control beside the unknown ones")
	}
}

// In the restricted view a baseline failure that the official restricted check
// implies fails the restricted control too; a check missing at the scan's PSS version
// is not applicable; the baseline view leaves restricted rules out.
func TestEvaluatePSS(t *testing.T) {
	hostPath := testRule("T-HOSTPATH", rules.Frameworks{PSS: "baseline", PSSCheck: "hostPathVolumes"})
	volumes := testRule("T-VOLUMES", rules.Frameworks{PSS: "restricted", PSSCheck: "restrictedVolumes"})
	probes := testRule("T-PROBES", rules.Frameworks{PSS: "baseline", PSSCheck: "hostProbesAndHostLifecycle"})
	rs := []*rules.Rule{hostPath, probes, volumes}
	in := compliance.Input{
		Enabled: rs, All: rs,
		Findings:  []finding.Finding{testFinding("T-HOSTPATH", finding.Medium, "a", false)},
		Evaluated: map[string]int{"T-HOSTPATH": 1, "T-VOLUMES": 1, "T-PROBES": 1},
		PSSHas:    func(c string) bool { return c != "hostProbesAndHostLifecycle" },
		Gate:      true,
	}
	res := compliance.Evaluate(framework(t, "pss-restricted"), in)
	for id, want := range map[string]compliance.Status{"hostPathVolumes": compliance.Fail, "restrictedVolumes": compliance.Fail, "hostProbesAndHostLifecycle": compliance.NotApplicable, "privileged": compliance.NotApplicable} {
		if got := control(t, res, id); got.Status != want {
			t.Errorf("restricted %s = %s (%s), want %s", id, got.Status, got.Reason, want)
		}
	}
	if c := control(t, res, "restrictedVolumes"); strings.Join(c.Rules, ",") != "T-VOLUMES,T-HOSTPATH" || c.Failing != 1 {
		t.Errorf("restrictedVolumes rules %v, %d failing", c.Rules, c.Failing)
	}
	if c := control(t, res, "hostProbesAndHostLifecycle"); c.Reason != compliance.PSSVersion {
		t.Errorf("hostProbesAndHostLifecycle reason %q, want %q", c.Reason, compliance.PSSVersion)
	}
	base := compliance.Evaluate(framework(t, "pss-baseline"), in)
	if _, ok := framework(t, "pss-baseline").Control("restrictedVolumes"); ok || base.Fail != 1 || base.Outside != 0 {
		t.Errorf("baseline view: %d failing controls, %d outside", base.Fail, base.Outside)
	}
}

// A rule tagged with an NSA/CISA section as a whole assesses the section's general
// control; a section nobody tags stays an overview.
func TestEvaluateNSASections(t *testing.T) {
	r := testRule("T-LB", rules.Frameworks{NSA: []string{"network separation and hardening"}})
	in := compliance.Input{Enabled: []*rules.Rule{r}, All: []*rules.Rule{r}, Evaluated: map[string]int{"T-LB": 1}, Gate: true}
	res := compliance.Evaluate(framework(t, "nsa-cisa"), in)
	if c := control(t, res, "network"); c.Status != compliance.Pass {
		t.Errorf("network = %s (%s), want pass", c.Status, c.Reason)
	}
	if c := control(t, res, "pod-security"); c.Reason != compliance.Overview {
		t.Errorf("pod-security = %s (%s), want an overview", c.Status, c.Reason)
	}
}

// The engine's fallback finding for a failed PSS check that no rule pinpoints carries
// the ID of the first enabled rule tagged with the check (every built-in rule
// pinpoints its fields, so a scan cannot produce one here): it fails that check's
// control, and the CIS control of the rule, like any other finding.
func TestFallbackCountsTowardItsControl(t *testing.T) {
	all := rules.All()
	fallback := finding.Finding{RuleID: "PAL-001", Severity: finding.Critical, Path: "spec",
		Object:  finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "a", Name: "p"},
		Message: `Pod Security Standards baseline check "privileged" fails: privileged (container "c" must not set securityContext.privileged=true)`}
	evaluated := map[string]int{}
	for _, r := range all {
		evaluated[r.ID] = 1
	}
	in := compliance.Input{Enabled: all, All: all, Findings: []finding.Finding{fallback}, Evaluated: evaluated, Gate: true}
	for fw, id := range map[string]string{"pss-baseline": "privileged", "pss-restricted": "privileged", "cis-1.12": "5.2.2"} {
		res := compliance.Evaluate(framework(t, fw), in)
		if c := control(t, res, id); c.Status != compliance.Fail || c.Failing != 1 || res.Fail != 1 {
			t.Errorf("%s %s = %s with %d failing (%d failing controls), want the fallback to fail it alone", fw, id, c.Status, c.Failing, res.Fail)
		}
	}
}
