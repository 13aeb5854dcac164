package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeChart(t *testing.T, templates, values string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string]string{
		"Chart.yaml":       "apiVersion: v2\nname: c\nversion: 0.1.0\n",
		"values.yaml":      values,
		"templates/x.yaml": templates,
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestRenderLimitFlags: --render-max-bytes and --render-timeout reach the renderer;
// a chart over a limit is an input error (exit 3) naming the flag.
func TestRenderLimitFlags(t *testing.T) {
	chart := writeChart(t, `{{ repeat 5000 "a" }}`, "")
	r := run(t, nil, "scan", chart, "--render-max-bytes", "4Ki")
	if r.code != 3 || !strings.Contains(r.stdout+r.stderr, "over the limit of 4Ki (--render-max-bytes)") {
		t.Errorf("exit %d, output %s%s; want 3 and the limit", r.code, r.stdout, r.stderr)
	}
	slow := writeChart(t, `{{ range 2000000000 }}{{ end }}`, "")
	r = run(t, nil, "scan", slow, "--render-timeout", "100ms")
	if r.code != 3 || !strings.Contains(r.stdout+r.stderr, "render took longer than 100ms (--render-timeout)") {
		t.Errorf("exit %d, output %s%s; want 3 and the time limit", r.code, r.stdout, r.stderr)
	}
	for _, args := range [][]string{
		{"--render-max-bytes", "lots"}, {"--render-max-bytes", "0"}, {"--render-max-bytes", "-1Mi"},
		{"--render-timeout", "0s"}, {"--render-timeout", "soon"},
	} {
		if r := run(t, nil, append([]string{"scan", chart}, args...)...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)", args, r.code)
		}
	}
	if r := run(t, nil, "netpol", "reach", "-f", chart, "--render-max-bytes", "4Ki", "--from", "a/b/c", "--to", "a/b/d"); !strings.Contains(r.stdout+r.stderr, "--render-max-bytes") {
		t.Errorf("netpol: %s%s; want the limit", r.stdout, r.stderr)
	}
}

// TestRenderErrorsMaskedInEveryFormat: a render error that prints values holds no
// credential in any report format.
func TestRenderErrorsMaskedInEveryFormat(t *testing.T) {
	token := "ghp_" + strings.Repeat("kT7", 12)
	chart := writeChart(t, `{{ fail (printf "bad: %v %s" .Values.db .Values.token) }}`, "db: {password: hunter2}\ntoken: "+token+"\n")
	for _, format := range []string{"text", "json", "sarif", "junit"} {
		r := run(t, nil, "scan", chart, "-o", format)
		if r.code != 3 {
			t.Errorf("%s: exit %d, want 3", format, r.code)
		}
		for _, s := range []string{"hunter2", token[4:]} {
			if strings.Contains(r.stdout+r.stderr, s) {
				t.Errorf("%s report shows %q", format, s)
			}
		}
	}
}

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
