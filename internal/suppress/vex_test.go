package suppress

import (
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/vex"
)

const vexDoc = `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/1","author":"shop","timestamp":"2025-01-01T00:00:00Z","version":1,
"statements":[
{"vulnerability":{"name":"CVE-2023-44487","aliases":["GO-2023-2102"]},"products":[{"@id":"pkg:oci/web@sha256:abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd","subcomponents":[{"@id":"pkg:golang/golang.org/x/net"}]}],
 "status":"not_affected","justification":"vulnerable_code_not_in_execute_path","impact_statement":"no HTTP/2 server"}
]}`

// A not_affected VEX statement suppresses the known-vulnerability finding it covers
// (by an alias of the finding), with its justification; other findings of the image
// stay; a config exemption still comes first and the VEX statement before the
// baseline.
func TestVEX(t *testing.T) {
	d, err := vex.Parse("shop.vex.json", strings.NewReader(vexDoc))
	if err != nil {
		t.Fatal(err)
	}
	o := object("Image", "", "web", nil, nil)
	vf := func(id string, aliases ...string) *finding.Finding {
		f := &finding.Finding{RuleID: "PAL-130", Object: o.Ref, Severity: finding.High,
			Location: finding.Location{Image: &finding.ImageLocation{Ref: "registry.example.com/web:1",
				Digest: "sha256:abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd", Path: "/app"}},
			Vulnerability: &finding.Vulnerability{ID: id, Aliases: aliases,
				Package: finding.VulnerablePackage{Ecosystem: "golang", Name: "golang.org/x/net", Version: "v0.17.0", PURL: "pkg:golang/golang.org/x/net@v0.17.0"}}}
		f.ComputeFingerprint()
		return f
	}
	s := &Suppressor{Now: now, VEX: vex.NewIndex([]*vex.Document{d})}

	f := vf("CVE-2024-1", "GO-2023-2102")
	s.Apply(o, f)
	if f.Suppressed == nil || f.Suppressed.Kind != "vex" || f.Suppressed.VEX == nil ||
		f.Suppressed.VEX.Justification != "vulnerable_code_not_in_execute_path" ||
		!strings.Contains(f.Suppressed.Reason, "no HTTP/2 server") || !strings.Contains(f.Suppressed.Reason, "shop.vex.json:3") {
		t.Errorf("Suppressed = %+v", f.Suppressed)
	}
	other := vf("CVE-2024-2")
	s.Apply(o, other)
	if other.Suppressed != nil {
		t.Errorf("another vulnerability is suppressed: %+v", other.Suppressed)
	}

	f = vf("CVE-2023-44487")
	s.Exemptions = []config.Exemption{{Rules: []string{"PAL-130"}, Reason: "lab"}}
	s.Apply(o, f)
	if f.Suppressed == nil || f.Suppressed.Kind != "config" {
		t.Errorf("config exemption does not come first: %+v", f.Suppressed)
	}
	s.Exemptions = nil
	f = vf("CVE-2023-44487")
	s.Baseline = &Baseline{byFP: map[string]BaselineEntry{f.Fingerprint: {Fingerprint: f.Fingerprint}}}
	s.Apply(o, f)
	if f.Suppressed == nil || f.Suppressed.Kind != "vex" {
		t.Errorf("the VEX statement does not come before the baseline: %+v", f.Suppressed)
	}
	if b := NewBaseline([]finding.Finding{*f}); len(b.Entries) != 0 {
		t.Errorf("a VEX-suppressed finding is recorded in a new baseline: %+v", b.Entries)
	}
}
