package report_test

// These tests hold the JSON report to its published schema, docs/report.schema.json:
// the golden reports, a real scan, and mutations the schema must reject.

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/report"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

const reportSchemaFile = "../../docs/report.schema.json"

func compileReportSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path, err := filepath.Abs(reportSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s is not JSON: %v", reportSchemaFile, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(path, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(path)
	if err != nil {
		t.Fatalf("compile %s: %v", reportSchemaFile, err)
	}
	return sch
}

func validateReport(sch *jsonschema.Schema, data []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// The schema names the same version as the code.
func TestReportSchemaConst(t *testing.T) {
	data, err := os.ReadFile(reportSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Schema     string `json:"$schema"`
		Properties struct {
			Schema struct {
				Const string `json:"const"`
			} `json:"schema"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	if s.Schema != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %q, want draft 2020-12", s.Schema)
	}
	if s.Properties.Schema.Const != report.SchemaVersion {
		t.Errorf("schema const %q, code says %q", s.Properties.Schema.Const, report.SchemaVersion)
	}
}

// The golden JSON reports (every severity, all three suppression kinds, a rendered
// location, input errors, an empty report, and a git history's commits) are valid.
func TestReportSchemaGolden(t *testing.T) {
	sch := compileReportSchema(t)
	for _, name := range []string{"findings.json", "empty.json", "history.json", "image.json", "vulnerability.json", "audit.json", "attackpath.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := validateReport(sch, data); err != nil {
			t.Errorf("testdata/%s: %v", name, err)
		}
	}
}

// A report built by hand with every optional field set, columns included, is valid.
func TestReportSchemaEveryField(t *testing.T) {
	f := finding.Finding{
		RuleID: "PAL-001", Title: "Privileged container", Severity: finding.Critical, Category: "security-context",
		Object:    finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"},
		Container: "app", Path: "spec.template.spec.containers[0].securityContext.privileged",
		Location: finding.Location{File: "chart/templates/deployment.yaml", Line: 30, Column: 11, Document: 2, Renderer: "helm chart web", Rendered: true},
		Message:  `container "app" sets privileged: true`, Remediation: "Remove it.",
		Frameworks: []string{"pss:baseline", "cis:5.2.2", "nsa:Pod security", "4c:container"},
		Suppressed: &finding.Suppression{Kind: "config", Reason: "lab", Expires: "2030-12-31"},
	}
	f.ComputeFingerprint()
	errs := []finding.InputError{{Location: finding.Location{File: "bad.yaml", Line: 4, Column: 7, Document: 1}, Message: "yaml: bad"}}
	rep := report.New("1.0.0", []finding.Finding{f}, errs, 2, 1, 1, finding.Critical, true, nil)
	rep.Coverage = []finding.CoverageGap{
		{Kind: "Secret", APIVersion: "v1", Namespace: "shop", Reason: "forbidden: secrets is forbidden"},
		{Kind: "ClusterRole", APIVersion: "rbac.authorization.k8s.io/v1", Reason: "forbidden"},
	}
	rep.Summary.CoverageGaps = 2
	rep.Summary.ConfigFiles, rep.Summary.ProtectedSecrets = 3, 2
	rep.Summary.ProtectedBy = map[string]int{"SOPS": 1, "SealedSecret": 1}
	rep.Notices = []finding.Notice{{Location: finding.Location{File: "b.yaml", Line: 3, Document: 1},
		Message: "Deployment/shop/web is defined twice: here and at a.yaml:1; a cluster keeps one of them (the last applied), but both are checked"}}
	rep.SetInternal([]finding.InternalError{
		{Rule: "PAL-001", Object: &f.Object, Location: &f.Location, Message: "panic: boom (at checks.privileged, privileged.go:10)"},
		{Rule: "PAL-002", Message: "rule PAL-002 also failed on 3 more objects"},
		{Location: &finding.Location{File: "chart"}, Message: "reading the input: panic: x"},
	})
	var b bytes.Buffer
	if err := report.Write(&b, rep, "json", report.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"coverage"`, `"coverageGaps"`, `"notices"`, `"internalErrors"`, `"column"`, `"rendered"`, `"renderer"`, `"expires"`, `"frameworks"`, `"container"`, `"namespace"`, `"configFiles"`, `"protectedSecrets"`, `"protectedBy"`} {
		if !bytes.Contains(b.Bytes(), []byte(key)) {
			t.Errorf("hand-built report lacks %s", key)
		}
	}
	if err := validateReport(compileReportSchema(t), b.Bytes()); err != nil {
		t.Error(err)
	}
}

// The example in docs/json-report.md is a valid report.
func TestReportSchemaDocExample(t *testing.T) {
	md, err := os.ReadFile("../../docs/json-report.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(md), "```json\n")
	example, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatal("docs/json-report.md has no json example")
	}
	if err := validateReport(compileReportSchema(t), []byte(example)); err != nil {
		t.Errorf("docs/json-report.md example: %v", err)
	}
}

func scanJSON(t *testing.T, paths ...string) (*scan.Result, []byte) {
	t.Helper()
	res, err := scan.Run(scan.Options{Source: &source.Files{Paths: paths}, FailOn: "none", Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := report.Write(&b, res.Report, "json", report.Options{}); err != nil {
		t.Fatal(err)
	}
	return res, b.Bytes()
}

// A real scan of the insecure examples (Helm chart, Kustomize overlay, an annotation
// suppression) is valid, as is a scan with an input error.
func TestReportSchemaScan(t *testing.T) {
	sch := compileReportSchema(t)
	res, out := scanJSON(t, "../../examples/insecure")
	if len(res.Report.Findings) == 0 || res.Report.Summary.Suppressed == 0 {
		t.Fatalf("examples/insecure: %d findings, %d suppressed; the test needs both", len(res.Report.Findings), res.Report.Summary.Suppressed)
	}
	rendered, paths := false, false
	for _, f := range res.Report.Findings {
		rendered = rendered || f.Location.Rendered
		paths = paths || (f.AttackPath != nil && len(f.AttackPath.Hops) > 0)
	}
	if !rendered {
		t.Error("examples/insecure: no rendered finding")
	}
	if !paths {
		t.Error("examples/insecure: no attack-path finding (PAL-47x)")
	}
	if err := validateReport(sch, out); err != nil {
		t.Errorf("examples/insecure: %v", err)
	}

	res, out = scanJSON(t, "../../examples/insecure/storefront.yaml", "testdata/scan/broken.yaml", "testdata/no-such-file.yaml")
	if len(res.Report.Errors) == 0 {
		t.Fatal("no input error from a broken and a missing file")
	}
	if err := validateReport(sch, out); err != nil {
		t.Errorf("scan with input errors: %v", err)
	}
}

// The validator can fail: the schema rejects reports broken in ways the format forbids.
func TestReportSchemaRejects(t *testing.T) {
	sch := compileReportSchema(t)
	good, err := os.ReadFile(filepath.Join("testdata", "findings.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := validateReport(sch, good); err != nil {
		t.Fatal(err)
	}
	f0 := func(m map[string]any) map[string]any { return m["findings"].([]any)[0].(map[string]any) }
	for _, c := range []struct {
		name, want string // want: text the schema error must contain
		mutate     func(m map[string]any)
	}{
		{"unknown severity", "/findings/0/severity", func(m map[string]any) { f0(m)["severity"] = "fatal" }},
		{"missing fingerprint", "missing property 'fingerprint'", func(m map[string]any) { delete(f0(m), "fingerprint") }},
		{"missing inputErrors", "missing property 'inputErrors'", func(m map[string]any) { delete(m, "inputErrors") }},
		{"missing location document", "missing property 'document'", func(m map[string]any) { delete(f0(m)["location"].(map[string]any), "document") }},
		{"other schema version", "/schema", func(m map[string]any) { m["schema"] = "palisade.dev/report/v1" }},
		{"unknown suppression kind", "/suppressed/kind", func(m map[string]any) {
			f0(m)["suppressed"] = map[string]any{"kind": "ignored", "reason": "r"}
		}},
		{"bad expiry", "/suppressed/expires", func(m map[string]any) {
			f0(m)["suppressed"] = map[string]any{"kind": "config", "reason": "r", "expires": "next year"}
		}},
		{"line 0", "/location/line", func(m map[string]any) { f0(m)["location"].(map[string]any)["line"] = 0 }},
		{"unknown finding field", "'score' not allowed", func(m map[string]any) { f0(m)["score"] = 9.5 }},
		{"severity missing from summary", "missing property 'info'", func(m map[string]any) {
			delete(m["summary"].(map[string]any)["bySeverity"].(map[string]any), "info")
		}},
		{"bad failOn", "/summary/failOn", func(m map[string]any) { m["summary"].(map[string]any)["failOn"] = "severe" }},
		{"null findings", "/findings", func(m map[string]any) { m["findings"] = nil }},
		{"image layer below -1", "/location/image/layerIndex", func(m map[string]any) {
			f0(m)["location"].(map[string]any)["image"] = map[string]any{"ref": "web:1", "layerIndex": -2}
		}},
		{"image without ref", "missing property 'ref'", func(m map[string]any) {
			f0(m)["location"].(map[string]any)["image"] = map[string]any{"layerIndex": 0}
		}},
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
		err = validateReport(sch, bad)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: want a schema error mentioning %q, got %v", c.name, c.want, err)
		}
	}
}

// The schema holds the evidence of vulnerability findings and the exposure closed:
// the golden report passes, and broken evidence is rejected.
func TestReportSchemaVulnerability(t *testing.T) {
	sch := compileReportSchema(t)
	good, err := os.ReadFile(filepath.Join("testdata", "vulnerability.json"))
	if err != nil {
		t.Fatal(err)
	}
	f0 := func(m map[string]any) map[string]any { return m["findings"].([]any)[0].(map[string]any) }
	for _, c := range []struct {
		name, want string
		mutate     func(m map[string]any)
	}{
		{"unknown evidence field", "'epss' not allowed", func(m map[string]any) { f0(m)["vulnerability"].(map[string]any)["epss"] = 0.5 }},
		{"evidence without id", "missing property 'id'", func(m map[string]any) { delete(f0(m)["vulnerability"].(map[string]any), "id") }},
		{"unknown rating", "/cvss/rating", func(m map[string]any) {
			f0(m)["vulnerability"].(map[string]any)["cvss"] = map[string]any{"type": "CVSS_V3", "vector": "x", "rating": "severe"}
		}},
		{"score above 10", "/cvss/score", func(m map[string]any) {
			f0(m)["vulnerability"].(map[string]any)["cvss"] = map[string]any{"type": "CVSS_V3", "vector": "x", "score": 11, "rating": "critical"}
		}},
		{"unknown reach", "/network", func(m map[string]any) {
			f0(m)["exposure"].(map[string]any)["workloads"].([]any)[0].(map[string]any)["network"] = "everywhere"
		}},
	} {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		if f0(m)["vulnerability"] == nil || f0(m)["exposure"] == nil {
			t.Fatal("testdata/vulnerability.json: the first finding has no evidence or exposure")
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
