package report_test

// Node checks in every format: the node evidence of a finding, the checks that
// could not decide (coverage entries with a rule), and the compliance status
// unknown.

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/report"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

// nodeReport is a report of one node finding (a kubelet setting from a config file
// line, and a file's metadata) and one unknown check, with hostile text in both.
func nodeReport() *report.Report {
	f := finding.Finding{
		RuleID: "PAL-730", Title: "kubelet accepts anonymous requests", Severity: finding.Critical, Category: "node",
		Object:   finding.ObjectRef{APIVersion: "palisade.dev/v1", Kind: finding.NodeFactsKind, Name: "worker-1"},
		Path:     "components[0].config.content",
		Location: finding.Location{File: "nodes/worker-1.json", Line: 17},
		Message:  "kubelet authentication.anonymous.enabled is true",
		Node: &finding.NodeEvidence{
			Node: "worker-1", Profile: "kubeadm", Benchmark: "CIS Kubernetes Benchmark v1.12", Recommendation: "4.2.1",
			Component: "kubelet", Setting: "authentication.anonymous.enabled", Flag: "--anonymous-auth",
			Value: "true", Expected: "false",
			Origin: &finding.NodeOrigin{Kind: "config-file", File: "/var/lib/kubelet/config.yaml", Line: 5},
			File:   &finding.NodeFile{Path: "/etc/kubernetes/kubelet.conf", Role: "kubelet-kubeconfig", Mode: "0644", User: "root", Group: "root"},
		},
	}
	f.ComputeFingerprint()
	rep := report.New("test", []finding.Finding{f}, nil, 2, 0, 0, finding.High, true, nil)
	rep.Coverage = []finding.CoverageGap{{
		Kind: finding.NodeFactsKind, APIVersion: "palisade.dev/v1", Rule: "PAL-755", Name: "worker-2\x1b[31m",
		Reason: "kubelet kubeconfig not found", Tried: []string{"/etc/kubernetes/kubelet.conf", "/var/lib/kubelet/kubeconfig"},
	}}
	rep.Summary.CoverageGaps = 1
	return rep
}

func render(t *testing.T, rep *report.Report, format string) string {
	t.Helper()
	var b bytes.Buffer
	if err := report.Write(&b, rep, format, report.Options{}); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return b.String()
}

func TestNodeEvidenceText(t *testing.T) {
	out := render(t, nodeReport(), "text")
	for _, want := range []string{
		"Coverage: unknown (these checks could not decide for lack of evidence)\n",
		"  UNKNOWN PAL-755 on node worker-2\\x1b[31m: kubelet kubeconfig not found; tried: /etc/kubernetes/kubelet.conf, /var/lib/kubelet/kubeconfig\n",
		"recommendation 4.2.1 (CIS Kubernetes Benchmark v1.12, profile kubeadm)\n",
		"effective value: true; expected: false\n",
		"from: config file /var/lib/kubelet/config.yaml:5\n",
		"file: /etc/kubernetes/kubelet.conf mode 0644 owner root:root\n",
		"; 1 unknown check.\n",
		"Result: incomplete, some checks could not decide for lack of evidence (exit 3).\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") || strings.Contains(out, "not checked") {
		t.Errorf("raw control character, or an unknown check counted as a list not read:\n%q", out)
	}
}

// Every origin is said in words.
func TestOriginText(t *testing.T) {
	for _, c := range []struct {
		o    finding.NodeOrigin
		want string
	}{
		{finding.NodeOrigin{Kind: "default"}, "default"},
		{finding.NodeOrigin{Kind: "legacy-default"}, "legacy default (a kubelet started without --config)"},
		{finding.NodeOrigin{Kind: "config-file", File: "/c.yaml", Line: 3}, "config file /c.yaml:3"},
		{finding.NodeOrigin{Kind: "drop-in", File: "/d/10.conf", Line: 2}, "drop-in /d/10.conf:2"},
		{finding.NodeOrigin{Kind: "flag", Flag: "--anonymous-auth=true"}, "flag --anonymous-auth=true"},
		{finding.NodeOrigin{Kind: "configz"}, "the kubelet's /configz"},
	} {
		if got := report.OriginText(&c.o); got != c.want {
			t.Errorf("%+v: %q, want %q", c.o, got, c.want)
		}
	}
}

// The JSON report with node evidence and an unknown check is valid against the
// published schema, and carries both.
func TestNodeEvidenceJSON(t *testing.T) {
	out := render(t, nodeReport(), "json")
	if err := validateReport(compileReportSchema(t), []byte(out)); err != nil {
		t.Error(err)
	}
	var doc struct {
		Findings []finding.Finding     `json:"findings"`
		Coverage []finding.CoverageGap `json:"coverage"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if n := doc.Findings[0].Node; n == nil || n.Origin.Line != 5 || n.File.Mode != "0644" {
		t.Errorf("node evidence %+v", n)
	}
	if g := doc.Coverage[0]; g.Rule != "PAL-755" || len(g.Tried) != 2 {
		t.Errorf("coverage %+v", g)
	}
	// The schema refuses an origin it does not know.
	bad := strings.Replace(out, `"kind": "config-file"`, `"kind": "guess"`, 1)
	if bad == out || validateReport(compileReportSchema(t), []byte(bad)) == nil {
		t.Error("the schema accepts an unknown origin kind")
	}
}

func TestNodeEvidenceSARIFJUnitHTML(t *testing.T) {
	rep := nodeReport()
	sarif := render(t, rep, "sarif")
	for _, want := range []string{`"associatedRule": {`, `"id": "PAL-755"`, `"status": "unknown"`, `"recommendation": "4.2.1"`, `"level": "warning"`} {
		if !strings.Contains(sarif, want) {
			t.Errorf("SARIF lacks %s", want)
		}
	}
	junit := render(t, rep, "junit")
	for _, want := range []string{`<testsuite name="unknown"`, `<skipped message="unknown: PAL-755 on node worker-2`, `tried: /etc/kubernetes/kubelet.conf`} {
		if !strings.Contains(junit, want) {
			t.Errorf("JUnit lacks %s:\n%s", want, junit)
		}
	}
	// The compliance view of the page: a control whose rule could not decide, and
	// failed nowhere, is unknown.
	only := report.New("test", nil, nil, 1, 0, 0, finding.High, true, nil)
	only.Coverage = []finding.CoverageGap{{Kind: finding.NodeFactsKind, Rule: "PAL-730", Name: "worker-3", Reason: "no kubelet found on the node"}}
	if page := render(t, only, "html"); !strings.Contains(page, `"status":"unknown","reason":"PAL-730 on node worker-3: no kubelet found on the node"`) {
		t.Error("the HTML compliance view lacks the unknown control")
	}
	html := render(t, rep, "html")
	for _, want := range []string{"UNKNOWN PAL-755 on node worker-2", "Effective value", "config file /var/lib/kubelet/config.yaml:5", "some checks could not decide for lack of evidence"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %s", want)
		}
	}
	if strings.Contains(html, "\x1b") {
		t.Error("HTML has a raw control character")
	}
}

// A control whose only rule could not decide is UNKNOWN in every compliance view,
// with what was missing, and counted; its JSON is valid.
func TestComplianceUnknown(t *testing.T) {
	// PAL-730 alone: the other node rules judge these facts too, with their own
	// verdicts.
	only730 := func(paths ...string) *scan.Result {
		return scanWith(t, scan.Options{Source: &source.Files{Paths: paths}, Framework: "cis-1.12", Include: []string{"PAL-730"}})
	}
	res := only730("testdata/nodes")
	c := res.Compliance
	if c.Unknown != 0 || c.Fail != 1 {
		t.Errorf("both nodes: %d unknown, %d fail; want the failure to win (0, 1)", c.Unknown, c.Fail)
	}
	res = only730("testdata/nodes/missing.json")
	if res.Compliance.Unknown != 1 {
		t.Fatalf("missing evidence: %d unknown controls, want 1", res.Compliance.Unknown)
	}
	text := string(renderCompliance(t, res, "text", report.Options{}))
	for _, want := range []string{
		"4.2.1   UNKNOWN  kubelet: anonymous requests disabled  (1 unknown check)\n",
		"PAL-730 on node worker-3: no kubelet found on the node; tried: /proc/*/cmdline",
		"Controls: 0 pass, 0 fail, 1 unknown, ",
		"Result: incomplete, 1 control is unknown for lack of evidence (exit 3).\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("compliance text lacks %q:\n%s", want, text)
		}
	}
	js := renderCompliance(t, res, "json", report.Options{})
	var doc struct {
		Summary struct {
			Unknown int `json:"unknown"`
		} `json:"summary"`
		Controls []struct {
			ID      string                `json:"id"`
			Status  string                `json:"status"`
			Unknown []finding.CoverageGap `json:"unknown"`
		} `json:"controls"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary.Unknown != 1 {
		t.Errorf("JSON summary unknown %d, want 1", doc.Summary.Unknown)
	}
	for _, ctl := range doc.Controls {
		if ctl.ID == "4.2.1" && (ctl.Status != "unknown" || len(ctl.Unknown) != 1 || len(ctl.Unknown[0].Tried) != 3) {
			t.Errorf("4.2.1: %+v", ctl)
		}
	}
	if err := validateReport(compileComplianceSchema(t), js); err != nil {
		t.Error(err)
	}
	junit := string(renderCompliance(t, res, "junit", report.Options{}))
	if !strings.Contains(junit, `<skipped message="unknown: PAL-730 on node worker-3: no kubelet found`) {
		t.Errorf("compliance JUnit lacks the unknown control:\n%s", junit)
	}
}
