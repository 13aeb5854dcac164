package report_test

// These tests run real scans with --framework and check the compliance views: golden
// text, JSON and JUnit, the exit code, the published JSON schema, and the framework
// listings of `palisade rules --framework`.

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/palisade-k8s/palisade/internal/compliance"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/report"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

const complianceSchemaFile = "../../docs/compliance.schema.json"

// updating reports whether -update (declared by the package's own tests) is set.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func scanFramework(t *testing.T, framework, failOn string, paths ...string) *scan.Result {
	t.Helper()
	return scanWith(t, scan.Options{Source: &source.Files{Paths: paths}, Framework: framework, FailOn: failOn})
}

func scanWith(t *testing.T, o scan.Options) *scan.Result {
	t.Helper()
	framework := o.Framework
	o.Version = "test"
	res, err := scan.Run(o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Compliance == nil || res.Compliance.Framework.ID != framework {
		t.Fatalf("scan with --framework %s has no compliance result", framework)
	}
	return res
}

func renderCompliance(t *testing.T, res *scan.Result, format string, opts report.Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := report.WriteCompliance(&b, res.Report, res.Compliance, format, opts); err != nil {
		t.Fatalf("WriteCompliance %s: %v", format, err)
	}
	return b.Bytes()
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if updating() {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (rerun with -update if intended):\n%s", golden, firstLineDiff(string(want), string(got)))
	}
}

func firstLineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "want: " + w + "\n got: " + g
		}
	}
	return "(no line differs)"
}

// TestComplianceScan: testdata/compliance has a hardened and a legacy workload, a
// binding to cluster-admin and no Roles, so the CIS view has passing controls, failing
// ones (with their objects), and controls not applicable for every reason a table or
// this input gives; the run fails, and does not with the gate off.
func TestComplianceScan(t *testing.T) {
	res := scanFramework(t, "cis-1.12", "", "testdata/compliance")
	c := res.Compliance
	want := map[string]struct {
		status compliance.Status
		reason compliance.Reason
	}{
		"5.2.2":  {compliance.Fail, ""}, // privileged container
		"5.1.1":  {compliance.Fail, ""}, // ClusterRoleBinding to cluster-admin
		"5.2.10": {compliance.Pass, ""}, // no HostProcess container
		"5.2.5":  {compliance.Pass, ""}, // hostNetwork, accepted by annotation
		"5.1.3":  {compliance.NotApplicable, compliance.NoObjects},
		"5.5.1":  {compliance.NotApplicable, compliance.Disabled}, // PAL-105 without an allow-list
		"1.2.20": {compliance.NotApplicable, compliance.Manual},
		"4.2.1":  {compliance.NotApplicable, compliance.NoObjects}, // no node facts in the input
		"1.2.1":  {compliance.NotApplicable, compliance.NoObjects}, // no kube-apiserver pod in the input
	}
	for _, cr := range c.Controls {
		if w, ok := want[cr.Control.ID]; ok && (cr.Status != w.status || cr.Reason != w.reason) {
			t.Errorf("%s = %s %q, want %s %q", cr.Control.ID, cr.Status, cr.Reason, w.status, w.reason)
		}
		if cr.Control.ID == "5.2.5" && cr.Suppressed != 1 {
			t.Errorf("5.2.5 has %d suppressed findings, want the annotated hostNetwork", cr.Suppressed)
		}
	}
	if c.Pass == 0 || c.Fail == 0 || c.NotApplicable == 0 || !c.Failed || c.FailOn != "info" {
		t.Errorf("pass %d fail %d n/a %d failed %v (fail-on %s)", c.Pass, c.Fail, c.NotApplicable, c.Failed, c.FailOn)
	}
	if code := res.ExitCode(); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	text := string(renderCompliance(t, res, "text", report.Options{}))
	for _, want := range []string{
		"CIS Kubernetes Benchmark v1.12 (cis-1.12): 8 objects (2 workloads) from 1 input\n",
		"\n5.1 RBAC and Service Accounts\n  5.1.1   FAIL  cluster-admin bound only where required  (1 object, worst high)\n" +
			"              ClusterRoleBinding/ops-admin  PAL-307  testdata/compliance/shop.yaml:87\n",
		"  5.1.3   N/A   Minimal wildcards in Roles and ClusterRoles  [no objects]\n",
		"  5.2.5   PASS  Minimal admission of pods sharing the host network namespace  (1 suppressed)\n",
		"  [no objects]  ",
		"Result: FAIL, 4 controls fail.\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text view lacks %q:\n%s", want, text)
		}
	}

	if res := scanFramework(t, "cis-1.12", "none", "testdata/compliance"); res.ExitCode() != 0 || res.Compliance.Fail != c.Fail {
		t.Errorf("fail-on none: exit %d, %d failing controls", res.ExitCode(), res.Compliance.Fail)
	}
	// The only critical finding is PAL-001 on 5.2.2: the gate at critical still fails.
	if res := scanFramework(t, "cis-1.12", "critical", "testdata/compliance"); res.ExitCode() != 1 {
		t.Errorf("fail-on critical: exit %d, want 1", res.ExitCode())
	}
}

// The golden views use the Pod Security Standards, whose controls and rules do not
// move when rules are added elsewhere in the catalogue, at Kubernetes 1.30: a check
// added later is not applicable.
func TestComplianceGolden(t *testing.T) {
	restricted := scanWith(t, scan.Options{Source: &source.Files{Paths: []string{"testdata/compliance"}}, Framework: "pss-restricted", PSSVersion: "1.30"})
	if res := restricted.Compliance; res.Pass == 0 || res.Fail == 0 || res.NotApplicable == 0 || restricted.ExitCode() != 1 {
		t.Errorf("pss-restricted at 1.30: %d pass, %d fail, %d not applicable, exit %d; the golden needs each", res.Pass, res.Fail, res.NotApplicable, restricted.ExitCode())
	}
	checkGolden(t, "compliance-pss-restricted.txt", renderCompliance(t, restricted, "text", report.Options{}))
	checkGolden(t, "compliance-pss-restricted.json", renderCompliance(t, restricted, "json", report.Options{}))
	out := renderCompliance(t, restricted, "junit", report.Options{})
	checkGolden(t, "compliance-pss-restricted.xml", out)
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 19 || doc.Failures != restricted.Compliance.Fail || len(doc.Suites) != 2 {
		t.Errorf("junit: %d tests, %d failures, %d suites; want a case per control in a suite per level", doc.Tests, doc.Failures, len(doc.Suites))
	}
}

// Without --verbose a failing control lists three objects and says how many more;
// with it, all of them.
func TestComplianceVerbose(t *testing.T) {
	res := scanFramework(t, "pss-restricted", "", "../../examples/insecure")
	short := string(renderCompliance(t, res, "text", report.Options{}))
	long := string(renderCompliance(t, res, "text", report.Options{Verbose: true}))
	if !strings.Contains(short, "... and 5 more (--verbose lists them all)") {
		t.Errorf("short view does not elide objects:\n%s", short)
	}
	if strings.Contains(long, "more (--verbose") || !strings.Contains(long, "Deployment/shop-insecure/storefront  PAL-002") {
		t.Errorf("verbose view elides objects:\n%s", long)
	}
	if strings.Count(long, "\n") <= strings.Count(short, "\n") {
		t.Error("verbose view is not longer")
	}
	colored := string(renderCompliance(t, res, "text", report.Options{Color: true}))
	if !strings.Contains(colored, "\x1b[1;31mFAIL") || strings.Contains(short, "\x1b[") {
		t.Error("colour only with Options.Color")
	}
}

func TestComplianceRejectsSARIF(t *testing.T) {
	res := scanFramework(t, "pss-baseline", "", "testdata/compliance")
	var b bytes.Buffer
	err := report.WriteCompliance(&b, res.Report, res.Compliance, "sarif", report.Options{})
	if err == nil || !strings.Contains(err.Error(), "SARIF") || b.Len() != 0 {
		t.Errorf("sarif: err %v, %d bytes written", err, b.Len())
	}
	if err := report.CheckComplianceFormat("yaml"); err == nil || !strings.Contains(err.Error(), "text, json, junit") {
		t.Errorf("unknown format: %v", err)
	}
}

func compileComplianceSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	var main string
	for _, file := range []string{reportSchemaFile, complianceSchemaFile} {
		path, err := filepath.Abs(file)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s is not JSON: %v", file, err)
		}
		if err := c.AddResource(path, doc); err != nil {
			t.Fatal(err)
		}
		main = path
	}
	sch, err := c.Compile(main)
	if err != nil {
		t.Fatalf("compile %s: %v", complianceSchemaFile, err)
	}
	return sch
}

// The compliance JSON of every framework, on the examples and on the golden input,
// is valid; the schema names the code's version; and it rejects broken views.
func TestComplianceSchema(t *testing.T) {
	sch := compileComplianceSchema(t)
	data, err := os.ReadFile(complianceSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Properties struct {
			Schema struct {
				Const string `json:"const"`
			} `json:"schema"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(data, &s); err != nil || s.Properties.Schema.Const != report.ComplianceSchemaVersion {
		t.Errorf("schema const %q, code says %q (%v)", s.Properties.Schema.Const, report.ComplianceSchemaVersion, err)
	}
	for _, fw := range compliance.Names() {
		if f, _ := compliance.Get(fw); f.Detections {
			// A map of detections to techniques: a scan refuses to judge it.
			if _, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{"testdata/compliance"}}, Framework: fw}); err == nil {
				t.Errorf("a scan judged %s, a framework of audit detections", fw)
			}
			continue
		}
		for _, input := range []string{"../../examples/insecure", "testdata/compliance"} {
			res := scanFramework(t, fw, "", input)
			if err := validateReport(sch, renderCompliance(t, res, "json", report.Options{})); err != nil {
				t.Errorf("%s on %s: %v", fw, input, err)
			}
		}
	}
	res := scanFramework(t, "cis-1.12", "", "testdata/compliance.yaml-missing", "testdata/scan/broken.yaml", "testdata/compliance")
	good := renderCompliance(t, res, "json", report.Options{})
	if len(res.Report.Errors) == 0 {
		t.Fatal("no input errors")
	}
	if err := validateReport(sch, good); err != nil {
		t.Fatalf("view with input errors: %v", err)
	}
	withInternal := *res.Report
	withInternal.SetInternal([]finding.InternalError{{Rule: "PAL-001", Object: &res.Report.Findings[0].Object, Location: &res.Report.Findings[0].Location, Message: "panic: x"}})
	internal := renderCompliance(t, &scan.Result{Report: &withInternal, Compliance: res.Compliance}, "json", report.Options{})
	if err := validateReport(sch, internal); err != nil || !bytes.Contains(internal, []byte(`"internalErrors": 1`)) {
		t.Fatalf("view with internal errors: %v\n%s", err, internal)
	}
	control := func(m map[string]any, status string) map[string]any {
		for _, c := range m["controls"].([]any) {
			if c := c.(map[string]any); c["status"] == status {
				return c
			}
		}
		t.Fatalf("no %s control", status)
		return nil
	}
	for _, c := range []struct {
		name, want string
		mutate     func(m map[string]any)
	}{
		{"unknown status", "/status", func(m map[string]any) { control(m, "pass")["status"] = "warn" }},
		{"not applicable without a reason", "reason", func(m map[string]any) { delete(control(m, "not-applicable"), "reason") }},
		{"failing control without worst severity", "worstSeverity", func(m map[string]any) { delete(control(m, "fail"), "worstSeverity") }},
		{"passing control with failing findings", "/failing", func(m map[string]any) { control(m, "pass")["failing"] = 2 }},
		{"unknown framework", "/framework/id", func(m map[string]any) { m["framework"].(map[string]any)["id"] = "cis-1.8" }},
		{"finding without fingerprint", "fingerprint", func(m map[string]any) {
			delete(control(m, "fail")["findings"].([]any)[0].(map[string]any), "fingerprint")
		}},
		{"summary without failed", "failed", func(m map[string]any) { delete(m["summary"].(map[string]any), "failed") }},
	} {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		c.mutate(m)
		bad, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := validateReport(sch, bad); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: want a schema error mentioning %q, got %v", c.name, c.want, err)
		}
	}
}

// `palisade rules --framework` lists every control in order with its rules, and the
// reason for controls without.
func TestWriteFramework(t *testing.T) {
	for _, fw := range compliance.All() {
		var table, md, js bytes.Buffer
		for format, b := range map[string]*bytes.Buffer{"table": &table, "markdown": &md, "json": &js} {
			if err := report.WriteFramework(b, fw, scan.AllRules(), format); err != nil {
				t.Fatalf("%s %s: %v", fw.ID, format, err)
			}
		}
		var doc struct {
			Framework struct{ ID string }
			Controls  []struct {
				ID            string
				Rules         []string
				NotAssessable string
			}
		}
		if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
			t.Fatalf("%s json: %v", fw.ID, err)
		}
		if doc.Framework.ID != fw.ID || len(doc.Controls) != len(fw.Controls) {
			t.Errorf("%s json: framework %q, %d controls, want %d", fw.ID, doc.Framework.ID, len(doc.Controls), len(fw.Controls))
		}
		for i, c := range doc.Controls {
			if c.ID != fw.Controls[i].ID || c.Rules == nil {
				t.Errorf("%s json control %d = %+v, want %s with a rules array", fw.ID, i, c, fw.Controls[i].ID)
			}
		}
		if lines := strings.Count(table.String(), "\n"); lines != len(fw.Controls)+2 {
			t.Errorf("%s table: %d lines, want a title, a header and a line per control", fw.ID, lines)
		}
	}
	var b bytes.Buffer
	cis, _ := compliance.Get("cis-1.12")
	if err := report.WriteFramework(&b, cis, scan.AllRules(), "table"); err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(b.String(), "\n") {
		if id, rest, ok := strings.Cut(line, " "); ok {
			rows[id] = strings.Join(strings.Fields(rest), " ")
		}
	}
	for id, want := range map[string]string{
		"5.2.2":  "Minimal admission of privileged containers PAL-001",
		"4.2.1":  "kubelet: anonymous requests disabled PAL-730",
		"1.2.1":  "API server: anonymous requests disabled PAL-701",
		"1.2.20": "API server: request timeout set appropriately not assessed: needs a manual review; manifests cannot decide it",
	} {
		if !strings.HasPrefix(rows[id], want) {
			t.Errorf("cis-1.12 table row %s = %q, want %q", id, rows[id], want)
		}
	}
	if err := report.WriteFramework(&b, cis, scan.AllRules(), "yaml"); err == nil {
		t.Error("unknown format accepted")
	}
}

// Control-plane controls are judged only where a control-plane component is in the
// input: a kubeadm static pod directory fails or passes them, an application does not
// make them pass.
func TestComplianceControlPlane(t *testing.T) {
	status := func(path, id string) compliance.Status {
		t.Helper()
		for _, cr := range scanFramework(t, "cis-1.12", "none", path).Compliance.Controls {
			if cr.Control.ID == id {
				return cr.Status
			}
		}
		t.Fatalf("no control %s", id)
		return ""
	}
	for _, c := range []struct {
		path, id string
		want     compliance.Status
	}{
		{"../checks/controlplane/testdata/controlplane/insecure", "1.2.1", compliance.Fail},
		{"../checks/controlplane/testdata/controlplane/insecure", "2.1", compliance.Fail},
		{"../checks/controlplane/testdata/controlplane/hardened", "1.2.1", compliance.Pass},
		{"../checks/controlplane/testdata/controlplane/hardened", "1.3.7", compliance.Pass},
		{"testdata/compliance", "1.2.1", compliance.NotApplicable},
		{"testdata/compliance", "2.1", compliance.NotApplicable},
	} {
		if got := status(c.path, c.id); got != c.want {
			t.Errorf("%s: %s = %s, want %s", c.path, c.id, got, c.want)
		}
	}
}
