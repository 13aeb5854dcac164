package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/tools/internal/docsection"
)

func TestMain(m *testing.M) {
	asChild()
	os.Exit(m.Run())
}

// TestQuick runs the smoke test into a document with the markers: both clusters
// measured in every mode, the section rewritten, the rest of the document kept.
func TestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	dir := t.TempDir()
	doc := filepath.Join(dir, "BENCHMARKS.md")
	begin, end := docsection.Markers("pathbench")
	if err := os.WriteFile(doc, []byte("# B\n"+begin+"\nold\n"+end+"\nafter\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(options{doc: doc, work: filepath.Join(dir, "work"), runs: 1, seed: 1, quick: true}, os.Stdout); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if strings.Contains(s, "\nold\n") || !strings.HasSuffix(s, end+"\nafter\n") {
		t.Errorf("section not replaced:\n%s", s)
	}
	if n := strings.Count(s, "\n| 2"); n != 1 || strings.Count(s, "\n| 4") != 1 {
		t.Errorf("want a row per cluster:\n%s", s)
	}
	if !strings.Contains(s, "within the goal") {
		t.Errorf("no verdict:\n%s", s)
	}
	// The generated clusters are reused.
	files, _ := filepath.Glob(filepath.Join(dir, "work", "*.yaml"))
	if len(files) != 2 {
		t.Errorf("generated %v", files)
	}
}

func TestLastReport(t *testing.T) {
	r, err := lastReport("noise\n{\"objects\":3,\"paths\":2}\n")
	if err != nil || r.Objects != 3 || r.Paths != 2 {
		t.Errorf("%+v %v", r, err)
	}
	if _, err := lastReport("panic: boom\n"); err == nil {
		t.Error("no error for a child without a report")
	}
}
