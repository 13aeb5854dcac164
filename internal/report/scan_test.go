package report_test

// These tests run real scans (the report package cannot import scan in its own tests:
// scan imports report) and check the SARIF and JUnit that come out.

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-k8s/palisade/internal/report"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

func scanSARIF(t *testing.T, paths ...string) (*scan.Result, []byte) {
	t.Helper()
	res, err := scan.Run(scan.Options{Source: &source.Files{Paths: paths}, Version: "test", Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := report.Write(&b, res.Report, "sarif", report.Options{}); err != nil {
		t.Fatal(err)
	}
	return res, b.Bytes()
}

// A scan of a Helm chart, a plain manifest with an annotation suppression and a broken
// file gives valid SARIF: rendered results point at the template without a region,
// the suppression is in source, and the input error is an execution notification.
func TestScanSARIF(t *testing.T) {
	dir := filepath.Join("testdata", "scan")
	res, out := scanSARIF(t, filepath.Join(dir, "chart"), filepath.Join(dir, "pod.yaml"), filepath.Join(dir, "broken.yaml"))
	report.ValidateSARIF(t, report.CompileSARIFSchema(t), out)

	var log struct {
		Runs []struct {
			Invocations []struct {
				ExecutionSuccessful        bool `json:"executionSuccessful"`
				ToolExecutionNotifications []struct {
					Locations []struct {
						PhysicalLocation struct {
							ArtifactLocation struct{ URI string } `json:"artifactLocation"`
						} `json:"physicalLocation"`
					} `json:"locations"`
				} `json:"toolExecutionNotifications"`
			} `json:"invocations"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }     `json:"artifactLocation"`
						Region           *struct{ StartLine int } `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
				Suppressions []struct{ Kind, Justification string } `json:"suppressions"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Results) != len(res.Report.Findings) || len(run.Results) == 0 {
		t.Fatalf("%d results for %d findings", len(run.Results), len(res.Report.Findings))
	}
	var rendered, plain, inSource int
	for _, r := range run.Results {
		pl := r.Locations[0].PhysicalLocation
		switch pl.ArtifactLocation.URI {
		case "testdata/scan/chart/templates/deployment.yaml":
			rendered++
			if pl.Region != nil {
				t.Errorf("%s: rendered result has region %+v", r.RuleID, pl.Region)
			}
		case "testdata/scan/pod.yaml":
			plain++
			if pl.Region == nil || pl.Region.StartLine < 1 {
				t.Errorf("%s: plain-manifest result has no line", r.RuleID)
			}
		default:
			t.Errorf("%s: unexpected uri %q", r.RuleID, pl.ArtifactLocation.URI)
		}
		if len(r.Suppressions) == 1 && r.Suppressions[0].Kind == "inSource" && r.Suppressions[0].Justification == "lab only" {
			inSource++
		}
	}
	if rendered == 0 || plain == 0 || inSource != 1 {
		t.Errorf("rendered %d, plain %d, in-source suppressions %d", rendered, plain, inSource)
	}
	inv := run.Invocations[0]
	if inv.ExecutionSuccessful || len(inv.ToolExecutionNotifications) != 1 ||
		inv.ToolExecutionNotifications[0].Locations[0].PhysicalLocation.ArtifactLocation.URI != "testdata/scan/broken.yaml" {
		t.Errorf("invocation: %+v", inv)
	}

	var junit bytes.Buffer
	if err := report.Write(&junit, res.Report, "junit", report.Options{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
	}
	if err := xml.Unmarshal(junit.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	s := res.Report.Summary
	if doc.Tests != len(res.Report.Findings)+1 || doc.Failures != s.Findings || doc.Skipped != s.Suppressed || doc.Errors != 1 {
		t.Errorf("junit counts %+v for summary %+v", doc, s)
	}
}

// corpusDir finds the shared real-world corpus beside the repository, if present.
func corpusDir() string {
	for _, d := range []string{filepath.Join("..", "..", "..", "shared", "corpus"), "/work/shared/corpus"} {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d
		}
	}
	return ""
}

// Real-world manifests give schema-valid SARIF.
func TestCorpusSARIF(t *testing.T) {
	dir := corpusDir()
	if dir == "" {
		t.Skip("no shared corpus")
	}
	var paths []string
	for _, sub := range []string{"microservices-demo", "ingress-nginx", "kubernetes-examples"} {
		if _, err := os.Stat(filepath.Join(dir, sub)); err == nil {
			paths = append(paths, filepath.Join(dir, sub))
		}
	}
	if len(paths) == 0 {
		t.Skip("corpus subset missing")
	}
	res, out := scanSARIF(t, paths...)
	if len(res.Report.Findings) == 0 {
		t.Fatal("the corpus subset produced no findings")
	}
	report.ValidateSARIF(t, report.CompileSARIFSchema(t), out)
	if !strings.Contains(string(out), `"startLine"`) {
		t.Error("no result carries a line")
	}
}
