package docsection

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEmit(t *testing.T) {
	doc := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	begin, end := Markers("x")
	if err := os.WriteFile(doc, []byte("# B\n"+begin+"\nold\n"+end+"\nafter\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logged []string
	logf := func(format string, a ...any) { logged = append(logged, format) }
	var out strings.Builder
	if err := Emit(&out, doc, "x", "the tables", "new\n", logf); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(doc)
	if want := "# B\n" + begin + "\nnew\n" + end + "\nafter\n"; string(b) != want || out.Len() != 0 {
		t.Errorf("got %q, printed %q", b, out.String())
	}
	// Without the markers the body is printed.
	if err := Emit(&out, doc, "y", "the tables", "new\n", logf); err != nil || out.String() != "new\n" {
		t.Errorf("%v, printed %q", err, out.String())
	}
	if err := Replace(doc, "<!-- a -->", "<!-- b -->", ""); !errors.Is(err, ErrNoMarkers) || !strings.HasSuffix(err.Error(), `markers "<!-- a -->" and "<!-- b -->" not found`) {
		t.Errorf("missing markers: %v", err)
	}
	if len(logged) != 2 {
		t.Errorf("logged %q", logged)
	}
}
