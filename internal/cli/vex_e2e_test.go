package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/sbom"
	"github.com/palisade-k8s/palisade/internal/software"
)

const vexImageDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// TestVEXEndToEnd: advisories imported with palisade db import, an image read from an
// SBOM, and a VEX document: the statement on the image with the package as its
// subcomponent (not_affected) and the one on the package's purl (fixed) suppress
// their findings with their justification, a third vulnerability stays; -o cyclonedx
// writes all three with the VEX analysis. It needs palisade db and --db (the vulndb
// and vulncli branches) and skips without them.
func TestVEXEndToEnd(t *testing.T) {
	dir := t.TempDir()
	adv := filepath.Join(dir, "advisories")
	os.MkdirAll(adv, 0o755)
	modified := time.Now().UTC().Format(time.RFC3339)
	for i := 1; i <= 3; i++ {
		rec := fmt.Sprintf(`{"schema_version":"1.6.0","id":"GHSA-vex%d-0000-0000","aliases":["CVE-2099-000%d"],"modified":%q,"summary":"test %d",
"affected":[{"package":{"ecosystem":"npm","name":"left-pad"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.3.1"}]}]}]}`, i, i, modified, i)
		os.WriteFile(filepath.Join(adv, fmt.Sprintf("GHSA-vex%d.json", i)), []byte(rec), 0o644)
	}
	db := filepath.Join(dir, "vuln.db")
	if r := run(t, nil, "db", "import", adv, "--db", db); r.code != ExitOK {
		if strings.Contains(r.stderr, "unknown command") || strings.Contains(r.stderr, "unknown flag") {
			t.Skip("palisade db is not on this branch")
		}
		t.Fatalf("db import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	file := filepath.Join(dir, "app.cdx.json")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	subj := sbom.Subject{Name: "registry.example.com/shop/app:1", Digest: vexImageDigest, Software: software.Inventory{Packages: []software.Package{{
		Ecosystem: software.NPM, Name: "left-pad", Version: "1.3.0", PURL: "pkg:npm/left-pad@1.3.0", Cataloger: "npm",
		Location: software.Location{Path: "/app/node_modules/left-pad/package.json", Layer: -1}}}}}
	if err := sbom.WriteCycloneDX(f, subj, sbom.Tool{Name: "test", Version: "1"}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	vexFile := filepath.Join(dir, "app.vex.json")
	os.WriteFile(vexFile, []byte(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/app-1","author":"shop","timestamp":"2025-01-01T00:00:00Z","version":1,
"statements":[
{"vulnerability":{"name":"CVE-2099-0001"},"products":[{"@id":"pkg:oci/app@`+vexImageDigest+`","subcomponents":[{"@id":"pkg:npm/left-pad"}]}],
 "status":"not_affected","justification":"vulnerable_code_not_in_execute_path","impact_statement":"leftPad is never called"},
{"vulnerability":{"name":"GHSA-vex2-0000-0000"},"products":[{"@id":"pkg:npm/left-pad@1.3.0"}],"status":"fixed"},
{"vulnerability":{"name":"CVE-2099-0003"},"products":[{"@id":"pkg:npm/left-pad"}],"status":"affected","action_statement":"upgrade"}
]}`), 0o644)

	r := run(t, nil, "image", "--sbom", file, "--db", db, "--vex", vexFile, "-o", "json", "--fail-on", "none")
	var rep struct{ Findings []finding.Finding }
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != ExitOK {
		t.Fatalf("exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	got := map[string]string{}
	for _, f := range rep.Findings {
		if f.Vulnerability == nil {
			continue
		}
		s := "open"
		if f.Suppressed != nil {
			s = f.Suppressed.Kind + " " + f.Suppressed.Reason
		}
		got[f.Vulnerability.ID] = s
	}
	want := map[string]string{
		"CVE-2099-0001": "vex not_affected (vulnerable_code_not_in_execute_path): leftPad is never called [VEX " + vexFile + ":3]",
		"CVE-2099-0002": "vex fixed [VEX " + vexFile + ":5]",
		"CVE-2099-0003": "open",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings %v\nwant %v", got, want)
	}

	r = run(t, nil, "image", "--sbom", file, "--db", db, "--vex", vexFile, "-o", "cyclonedx", "--fail-on", "none")
	var bom cdx.BOM
	if err := json.Unmarshal([]byte(r.stdout), &bom); err != nil || bom.Vulnerabilities == nil {
		t.Fatalf("exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	states := map[string]string{}
	for _, v := range *bom.Vulnerabilities {
		s := "-"
		if v.Analysis != nil {
			s = string(v.Analysis.State) + "/" + string(v.Analysis.Justification)
		}
		states[v.ID] = s
	}
	wantStates := map[string]string{"CVE-2099-0001": "not_affected/code_not_reachable", "CVE-2099-0002": "resolved/", "CVE-2099-0003": "-"}
	if fmt.Sprint(states) != fmt.Sprint(wantStates) {
		t.Errorf("CycloneDX analysis %v\nwant %v", states, wantStates)
	}
}
