package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// --vex on scan, image and cluster: a malformed document is a usage error (exit 2)
// naming the file and the line, before anything is read.
func TestVEXFlag(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.vex.json")
	good := filepath.Join(dir, "good.vex.json")
	os.WriteFile(bad, []byte("{\"@context\":\"https://openvex.dev/ns/v0.2.0\",\"timestamp\":\"2025-01-01T00:00:00Z\",\n\"statements\":[\n{\"vulnerability\":{\"name\":\"CVE-1\"},\"products\":[{\"@id\":\"pkg:npm/a\"}],\"status\":\"not_affected\"}]}"), 0o644)
	os.WriteFile(good, []byte(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2025-01-01T00:00:00Z","version":1,"statements":[]}`), 0o644)
	pod := filepath.Join(dir, "pod.yaml")
	os.WriteFile(pod, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: x\n"), 0o644)
	rootfs := t.TempDir()
	for _, args := range [][]string{
		{"scan", pod},
		{"image", "--rootfs", rootfs},
		{"cluster", "--kubeconfig", filepath.Join(dir, "none")},
	} {
		r := run(t, nil, append(args, "--vex", good, "--vex", bad)...)
		if r.code != 2 || !strings.Contains(r.stderr, bad+":3: statement 1: not_affected needs a justification or an impact_statement") {
			t.Errorf("%s: exit %d, stderr %q; want 2 and the file and line", args[0], r.code, r.stderr)
		}
	}
	if r := run(t, nil, "scan", pod, "--vex", good, "--fail-on", "none"); r.code != 0 {
		t.Errorf("scan with a valid VEX document: exit %d, stderr %q", r.code, r.stderr)
	}
}

// -o cyclonedx writes the known-vulnerability findings of each image, suppressed
// ones included, and only that image's.
func TestImageVulnerabilities(t *testing.T) {
	web := finding.ObjectRef{APIVersion: "palisade.dev/v1", Kind: "Image", Name: "web"}
	db := finding.ObjectRef{APIVersion: "palisade.dev/v1", Kind: "Image", Name: "db"}
	at := func(digest string) finding.Location {
		return finding.Location{Image: &finding.ImageLocation{Digest: digest}}
	}
	v := &finding.Vulnerability{ID: "CVE-1"}
	fs := []finding.Finding{
		{RuleID: "PAL-130", Object: web, Location: at("sha256:a"), Vulnerability: v},
		{RuleID: "PAL-130", Object: web, Location: at("sha256:a"), Vulnerability: v, Suppressed: &finding.Suppression{Kind: "vex"}},
		{RuleID: "PAL-101", Object: web, Location: at("sha256:a")},
		{RuleID: "PAL-130", Object: db, Location: at("sha256:a"), Vulnerability: v},
		{RuleID: "PAL-130", Object: web, Location: at("sha256:b"), Vulnerability: v},
	}
	got := imageVulnerabilities(fs, web, "sha256:a")
	if len(got) != 2 || got[1].Suppressed == nil {
		t.Errorf("imageVulnerabilities = %+v, want the first two findings", got)
	}
}
