package all_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestEveryFamilyImported: every package under internal/checks that registers rules
// is imported by package all, so a new family cannot be left out of the scanner.
func TestEveryFamilyImported(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "all.go", nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	imported := map[string]bool{}
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		imported[filepath.Base(p)] = true
	}
	dirs, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	families := 0
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "all" {
			continue
		}
		files, _ := filepath.Glob(filepath.Join("..", d.Name(), "*.go"))
		registers := false
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			registers = registers || strings.Contains(string(src), "rules.Register(") || strings.Contains(string(src), "audit.Register(")
		}
		if !registers {
			continue
		}
		families++
		if !imported[d.Name()] {
			t.Errorf("internal/checks/%s registers rules but package all does not import it", d.Name())
		}
	}
	if families != len(f.Imports) {
		t.Errorf("package all imports %d packages, %d families register rules", len(f.Imports), families)
	}
}
