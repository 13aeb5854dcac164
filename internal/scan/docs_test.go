package scan

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/palisade-k8s/palisade/internal/compliance"
	"github.com/palisade-k8s/palisade/internal/report"
)

var updateDocs = flag.Bool("update-docs", false, "regenerate docs/rules.md and docs/frameworks/*.md")

// TestRulesDocIsCurrent fails when docs/rules.md differs from what the registry
// generates; run `make docs` (or this test with -update-docs) to refresh it.
func TestRulesDocIsCurrent(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteCatalog(&buf, AllRules(), "markdown"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", "rules.md")
	if *updateDocs {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v (run `make docs`)", path, err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Fatalf("%s is stale: run `make docs`", path)
	}
}

// TestFrameworkDocsAreCurrent fails when a docs/frameworks/<id>.md differs from what
// the framework tables and the registry tags generate; run `make docs` (or this test
// with -update-docs) to refresh them.
func TestFrameworkDocsAreCurrent(t *testing.T) {
	want := map[string]bool{}
	for _, f := range compliance.All() {
		name := f.ID + ".md"
		want[name] = true
		var buf bytes.Buffer
		if err := report.WriteFramework(&buf, f, AllRules(), "markdown"); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("..", "..", "docs", "frameworks", name)
		if *updateDocs {
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read %s: %v (run `make docs`)", path, err)
		}
		if !bytes.Equal(got, buf.Bytes()) {
			t.Errorf("%s is stale: run `make docs`", path)
		}
	}
	entries, err := os.ReadDir(filepath.Join("..", "..", "docs", "frameworks"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !want[e.Name()] {
			t.Errorf("docs/frameworks/%s belongs to no framework", e.Name())
		}
	}
}
