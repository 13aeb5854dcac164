package scan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/source"
)

// TestVEXDocuments: --vex documents are read before the scan; a malformed or missing
// one is a usage error naming the file (and the line).
func TestVEXDocuments(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.vex.json")
	bad := filepath.Join(dir, "bad.vex.json")
	os.WriteFile(good, []byte(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2025-01-01T00:00:00Z","version":1,
"statements":[{"vulnerability":{"name":"CVE-2024-1"},"products":[{"@id":"pkg:npm/a"}],"status":"fixed"}]}`), 0o644)
	os.WriteFile(bad, []byte("{\"@context\":\"https://openvex.dev/ns\",\"timestamp\":\"2025-01-01T00:00:00Z\",\n\"statements\":[{\"status\":\"fixed\"}]}"), 0o644)
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: x\n"
	run := func(files ...string) error {
		_, err := Run(Options{Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(pod)}, FailOn: "none", VEX: files})
		return err
	}
	if err := run(good); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ file, want string }{
		{bad, bad + ":2: statement 1: vulnerability has no name"},
		{filepath.Join(dir, "missing.json"), "missing.json"},
	} {
		err := run(good, tc.file)
		if _, ok := err.(config.Error); !ok || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "--vex: ") {
			t.Errorf("err = %v, want a config.Error with %q", err, tc.want)
		}
	}
}
