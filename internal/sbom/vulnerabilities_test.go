package sbom

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/software"
)

// vulnFinding is a PAL-130 finding of id in the package p of the rich subject.
func vulnFinding(p software.Package, id string, aliases []string, sev *finding.VulnerabilitySeverity, fixed ...string) finding.Finding {
	return finding.Finding{
		RuleID:   "PAL-130",
		Severity: finding.High,
		Location: finding.Location{Image: &finding.ImageLocation{Ref: "registry.example.com/shop/web:1.4.2", Digest: dig,
			Path: p.Location.Path, LayerIndex: p.Location.Layer, Layer: p.Location.LayerDiffID}},
		Vulnerability: &finding.Vulnerability{
			ID: id, Aliases: aliases, Summary: "summary of " + id,
			Package:   finding.VulnerablePackage{Ecosystem: string(p.Ecosystem), Name: p.Name, Version: p.Version, PURL: p.PURL},
			Ecosystem: "x", LookupName: p.Name, LookupVersion: p.Version,
			Range: "introduced 0, fixed " + strings.Join(fixed, ", "), Fixed: fixed, Severity: sev,
			Records: []string{"osv/" + id},
		},
	}
}

// vulnSubject is the rich subject with findings: CVSS v3.1 and v4.0 ratings, an
// ecosystem's word, no rating, one vulnerability in two packages, a package that
// is not a component, and VEX suppressions (not_affected with a justification,
// fixed) whose analysis differs from the unsuppressed finding of the same ID.
func vulnSubject() Subject {
	s := richSubject()
	pk := func(name string) software.Package {
		for _, p := range s.Software.Packages {
			if p.Name == name {
				return p
			}
		}
		panic(name)
	}
	v31 := &finding.VulnerabilitySeverity{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8, Scored: true, Rating: "critical"}
	v4 := &finding.VulnerabilitySeverity{Type: "CVSS_V4", Vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", Score: 9.3, Scored: true, Rating: "critical"}
	word := &finding.VulnerabilitySeverity{Type: "Ubuntu", Vector: "medium", Rating: "medium"}
	log4shell := vulnFinding(pk("org.apache.logging.log4j:log4j-core"), "CVE-2021-44228", []string{"GHSA-jfh8-c2jp-5v3q"}, v31, "2.15.0")
	net := vulnFinding(pk("stdlib"), "CVE-2023-44487", []string{"GO-2023-2102"}, nil, "1.21.3")
	netVEX := net
	netVEX.Suppressed = &finding.Suppression{Kind: "vex", Reason: "not_affected", VEX: &finding.VEXStatement{
		Document: "shop.vex.json", Line: 7, Vulnerability: "CVE-2023-44487", Status: "not_affected",
		Justification: "vulnerable_code_not_in_execute_path", ImpactStatement: "no HTTP/2 server", Timestamp: "2025-01-01T00:00:00Z"}}
	netVEX.Vulnerability = &finding.Vulnerability{}
	*netVEX.Vulnerability = *net.Vulnerability
	netVEX.Vulnerability.Package = finding.VulnerablePackage{Ecosystem: "golang", Name: "github.com/sirupsen/logrus", Version: "v1.9.3", PURL: "pkg:golang/github.com/sirupsen/logrus@v1.9.3"}
	netVEX.Location.Image.Path = "/usr/local/bin/app"
	zlib := vulnFinding(pk("zlib1g"), "CVE-2022-37434", []string{"DLA-3103-1"}, word)
	zlibFixed := vulnFinding(pk("libc6"), "CVE-2024-2961", nil, v4, "2.36-9+deb12u7")
	zlibFixed.Suppressed = &finding.Suppression{Kind: "vex", Reason: "fixed", VEX: &finding.VEXStatement{
		Document: "shop.vex.json", Line: 12, Vulnerability: "CVE-2024-2961", Status: "fixed", Timestamp: "2025-01-02T00:00:00Z"}}
	lodash1 := vulnFinding(pk("lodash"), "GHSA-p6mc-m468-83gw", []string{"CVE-2020-8203"}, nil, "4.17.19")
	lodash2 := lodash1
	lodash2.Location.Image = &finding.ImageLocation{Path: "/app/node_modules/x/node_modules/lodash/package.json", LayerIndex: 1}
	ghost := vulnFinding(software.Package{Ecosystem: software.NPM, Name: "ghost", Version: "1.0.0", PURL: "pkg:npm/ghost@1.0.0"}, "GHSA-xxxx-yyyy-zzzz", nil, nil)
	other := finding.Finding{RuleID: "PAL-101"}
	s.Vulnerabilities = []finding.Finding{log4shell, net, netVEX, zlib, zlibFixed, lodash1, lodash2, ghost, other}
	return s
}

// TestCycloneDXVulnerabilities: the findings are the vulnerabilities section, valid
// against the CycloneDX 1.6 schema and read by the CycloneDX library, with ratings,
// sources, aliases, the affected components and the VEX analysis.
func TestCycloneDXVulnerabilities(t *testing.T) {
	fixedTime(t)
	s := vulnSubject()
	doc := write(t, writeCDX, s)
	validate(t, compileSchema(t, "http://cyclonedx.org/schema/bom-1.6.schema.json"), doc)
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(doc), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatal(err)
	}
	if bom.Vulnerabilities == nil {
		t.Fatalf("no vulnerabilities:\n%s", doc)
	}
	refs := map[string]string{} // bom-ref -> name
	for _, c := range *bom.Components {
		refs[c.BOMRef] = c.Name
	}
	refs[bom.Metadata.Component.BOMRef] = "IMAGE"
	var got []string
	for _, v := range *bom.Vulnerabilities {
		line := v.ID
		if v.Source != nil {
			line += " source=" + v.Source.Name
		}
		if v.References != nil {
			for _, r := range *v.References {
				line += " alias=" + r.ID
			}
		}
		if v.Ratings != nil {
			for _, r := range *v.Ratings {
				line += fmt.Sprintf(" rating=%s/%s", r.Method, r.Severity)
				if r.Source == nil || r.Source.Name != "osv" {
					t.Errorf("%s: rating source %+v, want the records' database", v.ID, r.Source)
				}
				if r.Method == cdx.ScoringMethodOther && r.Justification != "medium" {
					t.Errorf("%s: the ecosystem's word %q is not the rating's justification", v.ID, r.Justification)
				}
				if r.Score != nil {
					line += fmt.Sprintf("/%.1f", *r.Score)
				}
				if r.Vector != "" {
					line += "/" + r.Vector[:8]
				}
			}
		}
		for _, a := range *v.Affects {
			name, ok := refs[a.Ref]
			if !ok {
				t.Errorf("%s affects %q, not a component", v.ID, a.Ref)
			}
			line += " affects=" + name
			if a.Range != nil {
				line += "@" + (*a.Range)[0].Version + ":" + string((*a.Range)[0].Status)
			}
		}
		if a := v.Analysis; a != nil {
			line += fmt.Sprintf(" analysis=%s/%s/%q", a.State, a.Justification, a.Detail)
		}
		got = append(got, line)
	}
	want := []string{
		`CVE-2021-44228 source=NVD alias=GHSA-jfh8-c2jp-5v3q rating=CVSSv31/critical/9.8/CVSS:3.1 affects=org.apache.logging.log4j:log4j-core@2.14.1:affected`,
		`CVE-2022-37434 source=NVD alias=DLA-3103-1 rating=other/medium affects=zlib1g@1:1.2.13.dfsg-1+b1:affected`,
		`CVE-2023-44487 source=NVD alias=GO-2023-2102 affects=stdlib@go1.22.1:affected`,
		`CVE-2023-44487 source=NVD alias=GO-2023-2102 affects=github.com/sirupsen/logrus@v1.9.3:unaffected analysis=not_affected/code_not_reachable/"no HTTP/2 server"`,
		`CVE-2024-2961 source=NVD rating=CVSSv4/critical/9.3/CVSS:4.0 affects=libc6@2.36-9+deb12u4:unaffected analysis=resolved//""`,
		`GHSA-p6mc-m468-83gw source=GitHub alias=CVE-2020-8203 affects=lodash@4.17.21:affected affects=lodash@4.17.21:affected`,
		`GHSA-xxxx-yyyy-zzzz source=GitHub affects=IMAGE@1.0.0:affected`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("vulnerabilities:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Without findings the section is absent.
	s.Vulnerabilities = nil
	if bytes.Contains(write(t, writeCDX, s), []byte(`"vulnerabilities"`)) {
		t.Error("a subject without findings has a vulnerabilities section")
	}
}

// Every OpenVEX status and justification maps to a CycloneDX state and justification
// the schema accepts.
func TestVEXToCycloneDX(t *testing.T) {
	for _, j := range []string{"component_not_present", "vulnerable_code_not_present", "vulnerable_code_not_in_execute_path",
		"vulnerable_code_cannot_be_controlled_by_adversary", "inline_mitigations_already_exist"} {
		if vexJustifications[j] == "" {
			t.Errorf("justification %s has no CycloneDX counterpart", j)
		}
	}
	for status, want := range map[string]cdx.ImpactAnalysisState{"not_affected": cdx.IASNotAffected, "fixed": cdx.IASResolved,
		"affected": cdx.IASExploitable, "under_investigation": cdx.IASInTriage} {
		if got := cdxAnalysis(&finding.VEXStatement{Status: status}).State; got != want {
			t.Errorf("%s: state %s, want %s", status, got, want)
		}
	}
}

func BenchmarkCycloneDXVulnerabilities(b *testing.B) {
	fixedTime(b)
	s := vulnSubject()
	base := s.Vulnerabilities
	for i := 0; len(s.Vulnerabilities) < 5000; i++ {
		f := base[i%len(base)]
		if f.Vulnerability != nil {
			v := *f.Vulnerability
			v.ID = fmt.Sprintf("CVE-2024-%d", i)
			f.Vulnerability = &v
		}
		s.Vulnerabilities = append(s.Vulnerabilities, f)
	}
	for b.Loop() {
		var buf bytes.Buffer
		if err := WriteCycloneDX(&buf, s, testTool); err != nil {
			b.Fatal(err)
		}
	}
}
