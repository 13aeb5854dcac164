package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/report"
)

// A finding suppressed by a VEX statement is valid in the JSON report, with the
// statement; the text report shows its reason.
func TestReportSchemaVEXSuppression(t *testing.T) {
	f := finding.Finding{
		RuleID: "PAL-130", Title: "Known vulnerability", Severity: finding.High, Category: "image",
		Object:   finding.ObjectRef{APIVersion: "palisade.dev/v1", Kind: "Image", Name: "web"},
		Location: finding.Location{File: "registry.example.com/web:1", Image: &finding.ImageLocation{Ref: "registry.example.com/web:1", LayerIndex: 1, Path: "/app"}},
		Message:  "CVE-2023-44487 in golang.org/x/net v0.17.0", Remediation: "Upgrade.",
		Suppressed: &finding.Suppression{Kind: "vex", Reason: "not_affected (vulnerable_code_not_in_execute_path): no HTTP/2 server [VEX shop.vex.json:3]",
			VEX: &finding.VEXStatement{Document: "shop.vex.json", Line: 3, DocumentID: "https://example.com/vex/1", Vulnerability: "CVE-2023-44487",
				Status: "not_affected", Justification: "vulnerable_code_not_in_execute_path", ImpactStatement: "no HTTP/2 server", Timestamp: "2025-01-01T00:00:00Z"}},
	}
	f.ComputeFingerprint()
	rep := report.New("1.0.0", []finding.Finding{f}, nil, 1, 1, 0, finding.High, true, nil)
	var b bytes.Buffer
	if err := report.Write(&b, rep, "json", report.Options{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b.Bytes(), []byte(`"justification": "vulnerable_code_not_in_execute_path"`)) {
		t.Errorf("the JSON report lacks the VEX statement:\n%s", b.Bytes())
	}
	sch := compileReportSchema(t)
	if err := validateReport(sch, b.Bytes()); err != nil {
		t.Error(err)
	}
	bad := bytes.Replace(b.Bytes(), []byte(`"status": "not_affected"`), []byte(`"status": "affected"`), 1)
	if validateReport(sch, bad) == nil {
		t.Error("the schema accepts a VEX suppression with status affected")
	}
	b.Reset()
	if err := report.Write(&b, rep, "text", report.Options{ShowSuppressed: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "suppressed (vex): not_affected (vulnerable_code_not_in_execute_path): no HTTP/2 server [VEX shop.vex.json:3]") {
		t.Errorf("text report:\n%s", b.String())
	}
}
