//go:build unix

package load

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// Item 3: a walk reads regular files only. A link to a device would never end and a
// named pipe would block the scan: both are input errors naming them, found without
// reading; the rest of the tree is scanned.
func TestWalkReadsOnlyRegularFiles(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "pod.yaml"), privilegedPod)
	for name, target := range map[string]string{"zero.yaml": "/dev/zero", "random.yml": "/dev/urandom", "null.json": "/dev/null"} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A link to a pipe, and a chart archive that is one (Helm would read it).
	if err := os.Symlink(filepath.Join(dir, "pipe.yaml"), filepath.Join(dir, "to-pipe.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "chart.tgz"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := mustLoad(t, []string{dir}, Options{})
	want := map[string]string{
		"zero.yaml": "a character device", "random.yml": "a character device", "null.json": "a character device",
		"pipe.yaml": "a named pipe", "to-pipe.yaml": "a named pipe", "chart.tgz": "a named pipe",
	}
	for _, e := range res.Errors {
		name := filepath.Base(e.Location.File)
		if w, ok := want[name]; !ok || !strings.Contains(e.Message, w) || !strings.Contains(e.Message, "not a regular file") {
			t.Errorf("error %v, want for %s: %q", e, name, w)
		}
		delete(want, name)
	}
	for name := range want {
		t.Errorf("no input error for %s", name)
	}
	if len(res.Inventory.Objects) != 1 || res.Inventory.Objects[0].Ref.Name != "priv" {
		t.Errorf("objects = %v, want the pod", summarize(res.Inventory.Objects))
	}
}

// Item 3: a link that leads out of the tree scanned is read, and said in one notice;
// a link to a directory (never followed by the walk) is said too. Links inside the
// tree are silent.
func TestWalkNoticesLinksOutOfTheTree(t *testing.T) {
	outside := t.TempDir()
	write(t, filepath.Join(outside, "elsewhere.yaml"), privilegedPod)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "real.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: real}\n")
	links := map[string]string{
		"out.yaml":    filepath.Join(outside, "elsewhere.yaml"),
		"in.yaml":     "real.yaml",
		"outdir":      outside,
		"sub/up.yaml": "../real.yaml",
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	res := mustLoad(t, []string{dir}, Options{})
	noErrors(t, res)
	if len(res.Inventory.Objects) != 4 {
		t.Errorf("objects = %v, want real three times and the pod", summarize(res.Inventory.Objects))
	}
	var linkNotices []finding.Notice // the same object read twice also gets one
	for _, n := range res.Notices {
		if !strings.Contains(n.Message, "is defined twice") {
			linkNotices = append(linkNotices, n)
		}
	}
	if len(linkNotices) != 2 {
		t.Fatalf("notices = %v, want two", linkNotices)
	}
	for _, n := range linkNotices {
		switch filepath.Base(n.Location.File) {
		case "out.yaml":
			if !strings.Contains(n.Message, "outside "+strconv.Quote(dir)) || !strings.Contains(n.Message, "elsewhere.yaml") {
				t.Errorf("notice %v", n)
			}
		case "outdir":
			if !strings.Contains(n.Message, "directory: not followed") {
				t.Errorf("notice %v", n)
			}
		default:
			t.Errorf("unexpected notice %v", n)
		}
	}
}

// Item 3: a path the user names may be a pipe (process substitution) or a device; it
// is read, bounded by the limits: /dev/zero ends at the input cap with errors instead
// of reading until memory runs out.
func TestNamedNonRegularFilesAreBounded(t *testing.T) {
	res := mustLoad(t, []string{"/dev/zero"}, Options{Limits: Limits{MaxDocumentBytes: 1 << 20, MaxInputBytes: 8 << 20}})
	if len(res.Errors) != 2 || !strings.Contains(res.Errors[0].Message, "--max-document-size") ||
		!strings.Contains(res.Errors[1].Message, "--max-input-size") || res.Errors[1].Location.File != "/dev/zero" {
		t.Errorf("errors = %v, want the document and input caps on /dev/zero", res.Errors)
	}

	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.WriteString(privilegedPod)
		f.Close()
	}()
	res = mustLoad(t, []string{fifo}, Options{})
	noErrors(t, res)
	if len(res.Inventory.Objects) != 1 {
		t.Errorf("objects from the named pipe = %v", summarize(res.Inventory.Objects))
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A directory named through a link is walked (WalkDir alone would not follow it).
func TestNamedLinkToDirectoryIsWalked(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "real", "pod.yaml"), privilegedPod)
	if err := os.Symlink("real", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	res := mustLoad(t, []string{filepath.Join(dir, "link")}, Options{})
	noErrors(t, res)
	if len(res.Inventory.Objects) != 1 || res.Inventory.Objects[0].Origin.File != filepath.Join(dir, "link", "pod.yaml") || len(res.Notices) != 0 {
		t.Errorf("objects %v, notices %v; want the pod read through the link", summarize(res.Inventory.Objects), res.Notices)
	}
}
