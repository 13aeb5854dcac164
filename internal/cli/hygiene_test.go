package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTemp writes a file into a fresh temporary directory and returns its path.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A wrong --fail-on (flag or config) lists every accepted value, none included.
func TestFailOnErrorListsNone(t *testing.T) {
	const want = "want one of info, low, medium, high, critical, none"
	r := run(t, nil, "scan", "--fail-on", "bogus", "@clean.yaml")
	if r.code != ExitUsage || !strings.Contains(r.stderr, `--fail-on: unknown value "bogus" (`+want+")") {
		t.Errorf("flag: exit %d, stderr %q", r.code, r.stderr)
	}
	cfg := writeTemp(t, "palisade.yaml", "failOn: severe\n")
	r = run(t, nil, "scan", "--config", cfg, "@clean.yaml")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "line 1: failOn: unknown value \"severe\" ("+want+")") {
		t.Errorf("config: exit %d, stderr %q", r.code, r.stderr)
	}
	// "none" is accepted in either spelling, in the flag and the file.
	cfg = writeTemp(t, "palisade.yaml", "failOn: None\n")
	if r = run(t, nil, "scan", "--config", cfg, "@privileged.yaml"); r.code != ExitOK {
		t.Errorf("failOn None: exit %d, stderr %q", r.code, r.stderr)
	}
	if r = run(t, nil, "scan", "--fail-on", "NONE", "@privileged.yaml"); r.code != ExitOK {
		t.Errorf("--fail-on NONE: exit %d, stderr %q", r.code, r.stderr)
	}
}
