package images_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/palisade-k8s/palisade/internal/checks/checktest"
	"github.com/palisade-k8s/palisade/internal/checks/images"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/osv/osvtest"
	"github.com/palisade-k8s/palisade/internal/software"
	"github.com/palisade-k8s/palisade/internal/vuln"
)

// vulnImage is an image of two layers with a Debian package and a Go binary, and the
// vulnerabilities the matcher would have found in them.
func vulnImage() *inventory.ImageInfo {
	info := &inventory.ImageInfo{Ref: "registry.example.com/shop/web:1.0", Digest: "sha256:" + strings.Repeat("cd", 32), Source: "registry",
		Layers: []inventory.ImageLayer{{DiffID: "sha256:" + strings.Repeat("01", 32)}, {DiffID: "sha256:" + strings.Repeat("02", 32)}}}
	info.Software.Packages = []software.Package{
		{Ecosystem: software.Deb, Name: "libssl3", Version: "3.0.11-1~deb12u1", SourceName: "openssl", Location: software.Location{Path: "/var/lib/dpkg/status", Layer: 0}},
		{Ecosystem: software.Golang, Name: "golang.org/x/net", Version: "v0.15.0", Location: software.Location{Path: "/app/server", Layer: 1}},
	}
	deb, gomod := &info.Software.Packages[0], &info.Software.Packages[1]
	debPkg := finding.VulnerablePackage{Ecosystem: "deb", Name: "libssl3", Version: "3.0.11-1~deb12u1", SourceName: "openssl"}
	goPkg := finding.VulnerablePackage{Ecosystem: "golang", Name: "golang.org/x/net", Version: "v0.15.0"}
	info.Vulnerabilities = &vuln.Result{Vulnerabilities: []vuln.Vulnerability{
		{Package: deb, Evidence: finding.Vulnerability{ID: "CVE-2023-5678", Aliases: []string{"DSA-5532-1"}, Summary: "openssl: excessive time\n spent in DH checks",
			Package: debPkg, Ecosystem: "Debian:12", LookupName: "openssl", LookupVersion: "3.0.11-1~deb12u1",
			Range: "introduced 0, fixed 3.0.13-1~deb12u1", Fixed: []string{"3.0.13-1~deb12u1"},
			Severity: &finding.VulnerabilitySeverity{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", Score: 5.3, Scored: true, Rating: "medium"},
			Records:  []string{"Debian/CVE-2023-5678", "Debian/DSA-5532-1"}}},
		{Package: deb, Evidence: finding.Vulnerability{ID: "CVE-2024-0727", Package: debPkg, Ecosystem: "Debian:12", LookupName: "openssl", LookupVersion: "3.0.11-1~deb12u1",
			Range: "introduced 0", Severity: &finding.VulnerabilitySeverity{Type: "database_specific", Vector: "unimportant", Rating: "none"},
			Records: []string{"Debian/CVE-2024-0727"}}, Unfixed: true},
		{Package: gomod, Evidence: finding.Vulnerability{ID: "CVE-2023-39325", Aliases: []string{"GHSA-4374-p667-p6c8", "GO-2023-2102"}, Summary: "HTTP/2 rapid reset can cause excessive work in net/http",
			Package: goPkg, Ecosystem: "Go", LookupName: "golang.org/x/net", LookupVersion: "v0.15.0",
			Range: "introduced 0, fixed 0.17.0", Fixed: []string{"0.17.0"}, Records: []string{"Go/GO-2023-2102"}}},
		{Package: gomod, Evidence: finding.Vulnerability{ID: "GHSA-xxxx-crit", Package: goPkg, Ecosystem: "Go", LookupName: "golang.org/x/net", LookupVersion: "v0.15.0",
			Range: "introduced 0.1.0", Severity: &finding.VulnerabilitySeverity{Type: "CVSS_V4", Vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", Score: 9.3, Scored: true, Rating: "critical"},
			Records: []string{"GHSA/GHSA-xxxx-crit"}}, Unfixed: true},
	}}
	return info
}

func vulnFindings(t *testing.T, cfg *config.Config, info *inventory.ImageInfo) []finding.Finding {
	t.Helper()
	res, err := checktest.ScanImages(cfg, []string{images.VulnRuleID}, checktest.ImageObject(info))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Report.Internal {
		t.Errorf("internal error: %v", e)
	}
	var out []finding.Finding
	for _, f := range res.Report.Findings {
		if f.RuleID == images.VulnRuleID {
			out = append(out, f)
		}
	}
	return out
}

// TestVulnFindings: one finding per matched vulnerability, at the package's file and
// layer, with the evidence, and the severity of the advisory (none -> info; unrated
// -> the unratedSeverity default, medium).
func TestVulnFindings(t *testing.T) {
	fs := vulnFindings(t, nil, vulnImage())
	want := map[string]struct {
		sev   finding.Severity
		path  string
		layer int
		msg   []string
	}{
		"CVE-2023-5678": {finding.Medium, "/var/lib/dpkg/status", 0, []string{
			"CVE-2023-5678 (DSA-5532-1) in deb libssl3 3.0.11-1~deb12u1 (source package openssl): openssl: excessive time spent in DH checks; affected introduced 0, fixed 3.0.13-1~deb12u1 (Debian:12 openssl 3.0.11-1~deb12u1); fixed in 3.0.13-1~deb12u1; severity medium from CVSS_V3 5.3 (CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L)"}},
		"CVE-2024-0727": {finding.Info, "/var/lib/dpkg/status", 0, []string{"; no fix;", `severity none from database_specific "unimportant"`}},
		"CVE-2023-39325": {finding.Medium, "/app/server", 1, []string{
			"CVE-2023-39325 (GHSA-4374-p667-p6c8, GO-2023-2102) in golang golang.org/x/net v0.15.0: HTTP/2 rapid reset", "affected introduced 0, fixed 0.17.0 (Go);",
			"fixed in 0.17.0; severity not rated by the advisories (unratedSeverity)"}},
		"GHSA-xxxx-crit": {finding.Critical, "/app/server", 1, []string{"no fix", "severity critical from CVSS_V4 9.3"}},
	}
	if len(fs) != len(want) {
		t.Fatalf("%d findings, want %d", len(fs), len(want))
	}
	prints := map[string]bool{}
	for _, f := range fs {
		if f.Vulnerability == nil {
			t.Fatalf("finding without evidence: %s", f.Message)
		}
		w, ok := want[f.Vulnerability.ID]
		if !ok {
			t.Errorf("unexpected finding %s", f.Message)
			continue
		}
		if f.Severity != w.sev {
			t.Errorf("%s: severity %s, want %s", f.Vulnerability.ID, f.Severity, w.sev)
		}
		img := f.Location.Image
		if img == nil || img.Path != w.path || img.LayerIndex != w.layer || f.Path != w.path || img.Layer != "sha256:"+strings.Repeat(fmt.Sprintf("%02d", w.layer+1), 32) {
			t.Errorf("%s: location %+v (path %q), want %s in layer %d", f.Vulnerability.ID, img, f.Path, w.path, w.layer)
		}
		for _, m := range w.msg {
			if !strings.Contains(f.Message, m) {
				t.Errorf("%s: message %q lacks %q", f.Vulnerability.ID, f.Message, m)
			}
		}
		if f.Exposure != nil {
			t.Errorf("%s: exposure without workloads", f.Vulnerability.ID)
		}
		if prints[f.Fingerprint] {
			t.Errorf("%s: fingerprint %s shared with another vulnerability of the same file", f.Vulnerability.ID, f.Fingerprint)
		}
		prints[f.Fingerprint] = true
	}
}

// TestVulnParams: ignoreUnfixed drops the vulnerabilities without a fix;
// unratedSeverity rates the unrated.
func TestVulnParams(t *testing.T) {
	cfg := checktest.ParamsConfig(map[string]map[string]any{images.VulnRuleID: {images.ParamIgnoreUnfixed: "true", images.ParamUnratedSeverity: "high"}})
	fs := vulnFindings(t, cfg, vulnImage())
	var got []string
	for _, f := range fs {
		got = append(got, f.Vulnerability.ID+" "+f.Severity.String())
	}
	sort.Strings(got)
	if want := "CVE-2023-39325 high, CVE-2023-5678 medium"; strings.Join(got, ", ") != want {
		t.Errorf("findings %q, want %q", strings.Join(got, ", "), want)
	}
}

// TestVulnNoResult: an image not matched (no database) or matched clean has no
// finding.
func TestVulnNoResult(t *testing.T) {
	info := vulnImage()
	info.Vulnerabilities = nil
	if fs := vulnFindings(t, nil, info); len(fs) != 0 {
		t.Errorf("no database: %d findings", len(fs))
	}
	info.Vulnerabilities = &vuln.Result{}
	if fs := vulnFindings(t, nil, info); len(fs) != 0 {
		t.Errorf("no vulnerability: %d findings", len(fs))
	}
}

func TestVulnSeverity(t *testing.T) {
	for _, c := range []struct {
		s    *finding.VulnerabilitySeverity
		want finding.Severity
	}{
		{nil, finding.Low},
		{&finding.VulnerabilitySeverity{Rating: "none"}, finding.Info},
		{&finding.VulnerabilitySeverity{Rating: "low"}, finding.Low},
		{&finding.VulnerabilitySeverity{Rating: "medium"}, finding.Medium},
		{&finding.VulnerabilitySeverity{Rating: "high"}, finding.High},
		{&finding.VulnerabilitySeverity{Rating: "critical"}, finding.Critical},
		{&finding.VulnerabilitySeverity{Rating: "bogus"}, finding.Low},
	} {
		if got := images.VulnSeverity(c.s, finding.Low); got != c.want {
			t.Errorf("VulnSeverity(%+v) = %s, want %s", c.s, got, c.want)
		}
	}
}

// BenchmarkVulnRule: PAL-130 over an image with 1,000 vulnerabilities.
func BenchmarkVulnRule(b *testing.B) {
	base := vulnImage()
	info := *base
	res := &vuln.Result{}
	for i := 0; i < 1000; i++ {
		v := base.Vulnerabilities.Vulnerabilities[i%4]
		v.Evidence.ID = fmt.Sprintf("CVE-2024-%05d", i)
		res.Vulnerabilities = append(res.Vulnerabilities, v)
	}
	info.Vulnerabilities = res
	obj := checktest.ImageObject(&info)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := checktest.ScanImages(nil, []string{images.VulnRuleID}, obj)
		if err != nil || len(r.Report.Findings) != 1000 {
			b.Fatalf("%v, %d findings", err, len(r.Report.Findings))
		}
	}
}

// The advisories of the PAL-130 fixtures are records of the official OSV schema, and
// the in-memory database finds them as the store does: by ecosystem (any release of a
// distribution) and normalized name, withdrawn ones left out.
func TestVulnFixturesOSV(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", images.VulnRuleID, "*.image.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	var all checktest.Advisories
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var fx struct {
			Advisories []map[string]any `yaml:"advisories"`
		}
		if err := yaml.Unmarshal(data, &fx); err != nil {
			t.Fatal(err)
		}
		for i, a := range fx.Advisories {
			b, err := json.Marshal(a)
			if err != nil {
				t.Fatal(err)
			}
			osvtest.Validate(t, fmt.Sprintf("%s: advisories[%d]", file, i), b)
		}
		adv, err := checktest.ParseAdvisories(file, fx.Advisories)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, adv...)
	}
	ids := func(eco software.Ecosystem, name string) string {
		rs, err := all.Lookup(eco, name)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct {
		eco        software.Ecosystem
		name, want string
	}{
		{software.Deb, "openssl", "DSA-5532-1 DSA-5532-1 DLA-3942-1 OSV-2026-1"},
		{software.PyPI, "Left_Pad", "PYSEC-2026-1"},
		{software.NPM, "left-pad", "GHSA-pal1-test-0001"},
		{software.NPM, "Left-Pad", ""},
		{software.Golang, "golang.org/x/net", "GO-2023-2102 GO-2023-2102"},
	} {
		if got := ids(c.eco, c.name); got != c.want {
			t.Errorf("Lookup(%s, %s) = %q, want %q", c.eco, c.name, got, c.want)
		}
	}
}
