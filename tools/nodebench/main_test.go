package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/nodefacts"
	"github.com/palisade-k8s/palisade/tools/internal/docsection"
)

func TestMain(m *testing.M) {
	asChild()
	os.Exit(m.Run())
}

// The generated facts are valid documents (strictly decoded), workers and
// control-plane nodes alike.
func TestFactsDecode(t *testing.T) {
	dir, _, err := generate(t.TempDir(), 11)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := factsFiles(dir)
	if len(files) != 11 {
		t.Fatalf("%d files, want 11", len(files))
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nodefacts.Decode(f); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		f.Close()
	}
}

// TestQuick runs the smoke test into a document with the markers: each size
// measured in both modes, the section rewritten, the rest of the document kept.
func TestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	dir := t.TempDir()
	doc := filepath.Join(dir, "BENCHMARKS.md")
	begin, end := docsection.Markers("nodebench")
	if err := os.WriteFile(doc, []byte("# B\n"+begin+"\nold\n"+end+"\nafter\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(options{doc: doc, work: filepath.Join(dir, "work"), runs: 1, quick: true}, os.Stdout); err != nil {
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
	for _, row := range []string{"\n| 1 |", "\n| 10 |", "\n| 100 |"} {
		if !strings.Contains(s, row) {
			t.Errorf("no row %q:\n%s", row, s)
		}
	}
}
