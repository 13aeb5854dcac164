package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/report"
	"github.com/palisade-k8s/palisade/internal/software"
)

func imageReport() *report.Report {
	img := finding.ObjectRef{APIVersion: finding.ConfigFileAPIVersion, Kind: finding.ImageKind, Name: "reg.example/shop/web:1.4"}
	fs := []finding.Finding{{
		RuleID: "PAL-120", Severity: finding.High, Object: img, Message: "the image runs as root",
		Location: finding.Location{File: img.Name, Provenance: finding.FromImage},
	}}
	fs[0].ComputeFingerprint()
	r := report.New("test", fs, nil, 1, 2, 2, finding.High, true, nil)
	pkg := func(eco software.Ecosystem, name string) software.Package {
		return software.Package{Ecosystem: eco, Name: name, Version: "1.0", PURL: "pkg:" + string(eco) + "/" + name + "@1.0", Cataloger: "test",
			Location: software.Location{Path: "/var/lib/dpkg/status", Layer: 0, LayerDiffID: "sha256:" + strings.Repeat("a", 64)}}
	}
	r.SetImages([]report.Image{{
		Name: img.Name, Ref: img.Name, Digest: "sha256:" + strings.Repeat("b", 64), Platform: "linux/amd64", Source: "registry", Layers: 3,
		Distro:   &software.Distro{ID: "debian", VersionID: "12", VersionCodename: "bookworm"},
		Packages: []software.Package{pkg(software.Deb, "bash"), pkg(software.Deb, "libc6"), pkg(software.Golang, "stdlib")},
		Workloads: []finding.ObjectRef{
			{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"},
			{APIVersion: "batch/v1", Kind: "CronJob", Namespace: "shop", Name: "backup"},
		},
	}, {Name: "app.tar", Ref: "app.tar", Source: "docker-archive", Layers: 1}})
	return r
}

// The text report lists each image (digest, platform, distribution, packages per
// ecosystem, the workloads that run it), names the workloads under the image's
// findings, and counts images and packages in the summary.
func TestTextImages(t *testing.T) {
	var b bytes.Buffer
	if err := report.Write(&b, imageReport(), "text", report.Options{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"Image  reg.example/shop/web:1.4\n  sha256:" + strings.Repeat("b", 64) + "  linux/amd64  registry  debian 12 (bookworm)\n  3 packages: 2 deb, 1 golang\n  run by: Deployment/shop/web, CronJob/shop/backup\n",
		"Image  app.tar\n  docker-archive\n  0 packages: none\n",
		"PAL-120",
		"  run by: Deployment/shop/web, CronJob/shop/backup\n  HIGH",
		"Scanned 2 objects (2 workloads) and 2 images (3 packages) from 1 input",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
}

// Without objects, the summary counts only the images.
func TestTextImagesOnlySummary(t *testing.T) {
	r := report.New("test", nil, nil, 1, 0, 0, finding.High, true, nil)
	r.SetImages([]report.Image{{Name: "a", Ref: "a", Packages: make([]software.Package, 1234)}})
	var b bytes.Buffer
	if err := report.Write(&b, r, "text", report.Options{}); err != nil {
		t.Fatal(err)
	}
	if want := "Scanned 1 image (1,234 packages) from 1 input: no findings."; !strings.Contains(b.String(), want) {
		t.Errorf("want %q in:\n%s", want, b.String())
	}
}

// An image a scan with --images could not read is a coverage entry naming it.
func TestTextImageCoverage(t *testing.T) {
	r := report.New("test", nil, nil, 1, 1, 1, finding.High, true, nil)
	r.Coverage = []finding.CoverageGap{{Kind: finding.ImageKind, APIVersion: finding.ConfigFileAPIVersion, Image: "127.0.0.1:1/x:1", Reason: "connection refused"}}
	r.Summary.CoverageGaps = 1
	var b bytes.Buffer
	if err := report.Write(&b, r, "text", report.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Coverage: not checked (these images could not be read)\n  NOT CHECKED image 127.0.0.1:1/x:1: connection refused\n",
		"; 1 image not checked.",
		"Result: incomplete, some images could not be read (exit 3).",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("want %q in:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := report.Write(&b, r, "sarif", report.Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "127.0.0.1:1/x:1") {
		t.Errorf("SARIF does not name the image not read:\n%s", b.String())
	}
}

// The JSON report has an "images" array with every package, valid against the
// published schema; a report without images has neither the array nor the counts.
func TestJSONImages(t *testing.T) {
	sch := compileReportSchema(t)
	var b bytes.Buffer
	if err := report.Write(&b, imageReport(), "json", report.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := validateReport(sch, b.Bytes()); err != nil {
		t.Fatalf("JSON report with images does not match the schema: %#v\n%s", err, b.String())
	}
	var doc struct {
		Summary struct{ Images, Packages int }
		Images  []struct {
			Name      string
			Packages  []software.Package
			Workloads []finding.ObjectRef
		}
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary.Images != 2 || doc.Summary.Packages != 3 || len(doc.Images) != 2 || len(doc.Images[0].Packages) != 3 ||
		doc.Images[0].Packages[0].Location.LayerDiffID == "" || len(doc.Images[0].Workloads) != 2 || doc.Images[1].Packages == nil {
		t.Errorf("JSON images = %+v", doc)
	}
	b.Reset()
	if err := report.Write(&b, report.New("test", nil, nil, 1, 0, 0, finding.High, true, nil), "json", report.Options{}); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); strings.Contains(s, "images") || strings.Contains(s, "packages") {
		t.Errorf("report without images mentions them:\n%s", s)
	}
}

// The verdict of the images policy on each image is listed with the image (text:
// one line; JSON: images[].signature, valid against the schema); an image verify
// report, which reads no layer, does not count packages.
func TestImageSignature(t *testing.T) {
	r := report.New("test", nil, nil, 2, 0, 0, finding.High, true, nil)
	d := "sha256:" + strings.Repeat("c", 64)
	r.SetImages([]report.Image{
		{Name: "reg.example/shop/web:1.4", Ref: "reg.example/shop/web:1.4", Digest: d, Source: "registry",
			Signature: &report.ImageSignature{Verdict: report.VerdictVerified, Digest: d, Summary: "verified: signed by keys/cosign.pub"}},
		{Name: "reg.example/shop/db:1.0", Ref: "reg.example/shop/db:1.0", Digest: d, Source: "registry",
			Signature: &report.ImageSignature{Verdict: report.VerdictRejected, Digest: d, Summary: "requirement at line 3 (reg.example/shop/**): no-signature: no signature is attached to " + d}},
	})
	var b bytes.Buffer
	if err := report.Write(&b, r, "text", report.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Image  reg.example/shop/web:1.4\n  " + d + "  registry\n  signature: verified: signed by keys/cosign.pub\n",
		"Image  reg.example/shop/db:1.0\n  " + d + "  registry\n  signature: rejected: requirement at line 3",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := report.Write(&b, r, "json", report.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := validateReport(compileReportSchema(t), b.Bytes()); err != nil {
		t.Fatalf("does not match the schema: %#v\n%s", err, b.String())
	}
	if !strings.Contains(b.String(), `"signature": {`) || !strings.Contains(b.String(), `"verdict": "rejected"`) {
		t.Errorf("JSON report:\n%s", b.String())
	}
}
