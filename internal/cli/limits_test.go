package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The size limits are flags of scan and of the analysis commands; a document past
// --max-document-size is an input error (exit 3) and the rest is still scanned.
func TestLimitFlags(t *testing.T) {
	in := readFile(t, "clean.yaml") + "\n---\n" + `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"x":"` + strings.Repeat("a", 4096) + `"}}` + "\n"
	r := run(t, strings.NewReader(in), "scan", "-o", "json", "--max-document-size", "2Ki", "-")
	if r.code != 3 {
		t.Fatalf("exit = %d, want 3\n%s", r.code, r.stderr)
	}
	rep := parseReport(t, r.stdout)
	if len(rep.InputErrors) != 1 || !strings.Contains(rep.InputErrors[0].Message, "larger than 2Ki (--max-document-size)") {
		t.Errorf("input errors = %+v", rep.InputErrors)
	}
	if r := run(t, strings.NewReader(in), "scan", "--fail-on", "none", "-"); r.code != 0 {
		t.Errorf("default limits: exit = %d\n%s", r.code, r.stdout)
	}
	if r := run(t, strings.NewReader(in), "scan", "--max-input-size", "1Ki", "-"); r.code != 3 || !strings.Contains(r.stdout, "--max-input-size") {
		t.Errorf("--max-input-size 1Ki: exit = %d\n%s", r.code, r.stdout)
	}
	for _, bad := range []string{"0", "-1", "lots"} {
		if r := run(t, nil, "scan", "--max-document-size", bad, "@clean.yaml"); r.code != 2 {
			t.Errorf("--max-document-size %s: exit = %d, want 2 (usage)", bad, r.code)
		}
	}
	r = run(t, nil, "rbac", "who-can", "get", "secrets", "-f", "@rbac.yaml", "--max-document-size", "1")
	if r.code != 3 || !strings.Contains(r.stdout+r.stderr, "--max-document-size") {
		t.Errorf("rbac with a 1-byte document cap: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run(t, nil, "scan", "--help"); !strings.Contains(r.stdout, "--max-document-size size") || !strings.Contains(r.stdout, "(default 64Mi)") {
		t.Errorf("scan --help does not show the limit with its default:\n%s", r.stdout)
	}
}

// A symbolic link out of the scanned directory is said on stderr, not an error.
func TestNoticeOnStderr(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink(td(t, "clean.yaml"), filepath.Join(dir, "link.yaml")); err != nil {
		t.Skip("no symbolic links:", err)
	}
	r := run(t, nil, "scan", "--fail-on", "none", dir)
	if r.code != 0 || !strings.Contains(r.stderr, "palisade: notice: "+filepath.Join(dir, "link.yaml")+": symbolic link to") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
