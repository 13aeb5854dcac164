package report_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/report"
)

// exposureReport is a scan --images report in input order: manifest findings, then
// the findings of two images, the second more exposed than the first, and one more
// manifest finding.
func exposureReport() *report.Report {
	web := finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	batch := finding.ObjectRef{APIVersion: "batch/v1", Kind: "CronJob", Namespace: "shop", Name: "batch"}
	manifest := func(rule, file string) finding.Finding {
		return finding.Finding{RuleID: rule, Severity: finding.Medium, Object: web, Message: "m " + rule, Location: finding.Location{File: file, Line: 3}}
	}
	image := func(rule, name string, e *finding.Exposure) finding.Finding {
		img := finding.ObjectRef{APIVersion: finding.ConfigFileAPIVersion, Kind: finding.ImageKind, Name: name}
		return finding.Finding{RuleID: rule, Severity: finding.High, Object: img, Message: "v " + rule, Exposure: e,
			Location: finding.Location{File: name, Provenance: finding.FromImage,
				Image: &finding.ImageLocation{Ref: name, LayerIndex: 0, Path: "/var/lib/dpkg/status"}}}
	}
	low := &finding.Exposure{Score: 3, Workloads: []finding.WorkloadExposure{{
		Object: batch, Network: "namespace", NetworkWhy: []string{"NetworkPolicy shop/batch ingress rule 0 allows pods of namespace shop"},
		Host: []string{"hostPath /srv/data"}, Score: 3}}}
	high := &finding.Exposure{Score: 11, Workloads: []finding.WorkloadExposure{
		{Object: web, Network: "internet", NetworkWhy: []string{"LoadBalancer Service shop/web"},
			ServiceAccount: "shop/web", Identity: []string{"cluster-admin equivalent"}, Host: []string{"privileged container app"}, Score: 11},
		{Object: batch, Network: "none", NetworkWhy: []string{"NetworkPolicy shop/deny isolates its pods for ingress and allows nothing"},
			ServiceAccount: "shop/default", Score: 0},
	}}
	fs := []finding.Finding{
		manifest("PAL-001", "a.yaml"),
		image("PAL-120", "reg.example/batch:1", nil),
		image("PAL-130", "reg.example/batch:1", low),
		image("PAL-131", "reg.example/batch:1", low),
		image("PAL-130", "reg.example/web:1", high),
		manifest("PAL-002", "b.yaml"),
	}
	for i := range fs {
		fs[i].ComputeFingerprint()
	}
	return report.New("test", fs, nil, 1, 2, 2, finding.High, true, nil)
}

// Findings that carry an exposure come first, the most exposed first; the others
// keep their order; JSON has each finding's exposure.
func TestExposureOrder(t *testing.T) {
	r := exposureReport()
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.RuleID+" "+f.Location.File)
	}
	want := []string{"PAL-130 reg.example/web:1", "PAL-130 reg.example/batch:1", "PAL-131 reg.example/batch:1",
		"PAL-001 a.yaml", "PAL-120 reg.example/batch:1", "PAL-002 b.yaml"}
	if !slices.Equal(got, want) {
		t.Fatalf("order:\n got %q\nwant %q", got, want)
	}

	var b bytes.Buffer
	if err := report.Write(&b, r, "json", report.Options{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings []finding.Finding `json:"findings"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if e := doc.Findings[0].Exposure; e == nil || e.Score != 11 || len(e.Workloads) != 2 || e.Workloads[0].Identity[0] != "cluster-admin equivalent" {
		t.Errorf("JSON exposure of the first finding: %+v", e)
	}
	if doc.Findings[3].Exposure != nil {
		t.Errorf("JSON exposure on a manifest finding: %+v", doc.Findings[3].Exposure)
	}
	for _, key := range []string{`"exposure": {`, `"score": 11`, `"network": "internet"`, `"networkWhy": [`, `"serviceAccount": "shop/web"`, `"identity": [`, `"host": [`} {
		if !strings.Contains(b.String(), key) {
			t.Errorf("JSON report lacks %s", key)
		}
	}
}

// The text report shows an image's exposure under its heading, a line per workload.
func TestExposureText(t *testing.T) {
	var b bytes.Buffer
	if err := report.Write(&b, exposureReport(), "text", report.Options{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	want := "image  reg.example/web:1\n" +
		"  exposure 11 (the highest of 2 workloads):\n" +
		"    11  Deployment/shop/web: internet (LoadBalancer Service shop/web); token of ServiceAccount shop/web: cluster-admin equivalent; host: privileged container app\n" +
		"     0  CronJob/shop/batch: none (NetworkPolicy shop/deny isolates its pods for ingress and allows nothing); token of ServiceAccount shop/default (no dangerous permission)\n" +
		"  HIGH     PAL-130  layer 0 /var/lib/dpkg/status  v PAL-130\n\n" +
		"image  reg.example/batch:1\n" +
		"  exposure 3 (1 workload):\n" +
		"     3  CronJob/shop/batch: namespace (NetworkPolicy shop/batch ingress rule 0 allows pods of namespace shop); host: hostPath /srv/data\n" +
		"  HIGH     PAL-130  layer 0 /var/lib/dpkg/status  v PAL-130\n" +
		"  HIGH     PAL-131  layer 0 /var/lib/dpkg/status  v PAL-131\n\n" +
		"Deployment/shop/web  a.yaml\n"
	if !strings.Contains(out, want) {
		t.Errorf("text report lacks\n%s\ngot\n%s", want, out)
	}
	// The image's finding without an exposure is under a heading of its own, without
	// exposure lines.
	if !strings.Contains(out, "image  reg.example/batch:1\n  HIGH     PAL-120") {
		t.Errorf("text report:\n%s", out)
	}
}
