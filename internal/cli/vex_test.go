package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
