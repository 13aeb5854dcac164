package load

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/inventory"
)

// TestDockerfiles: a walk reads Dockerfiles by name (and a Dockerfile named is read)
// into palisade.dev/v1 Dockerfile objects whose lines resolve to instructions; one
// that does not parse is an input error at its line.
func TestDockerfiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	good := "# comment\nFROM alpine:3.19 AS base\nRUN apk add --no-cache curl\n\nFROM base\nUSER app\n"
	write("Dockerfile", good)
	write("svc/api.Dockerfile", good)
	write("svc/Dockerfile.prod", good)
	write("svc/Containerfile", good)
	write("svc/notes.txt", "FROM nothing at all")
	write("svc/Dockerfile.dockerignore", "*.md\n")
	write("bad/Dockerfile", "FROM a\nRUN true\nFROM b c d\n")
	decode := func(apiVersion, kind string) bool { return true }
	res := Load([]string{dir}, Options{Decode: decode})
	if len(res.Errors) != 1 || !strings.HasSuffix(res.Errors[0].Location.File, filepath.Join("bad", "Dockerfile")) || res.Errors[0].Location.Line != 3 {
		t.Fatalf("errors: %+v", res.Errors)
	}
	var names []string
	for _, o := range res.Inventory.Objects {
		if o.Ref.APIVersion != inventory.ConfigFileAPIVersion || o.Ref.Kind != inventory.DockerfileKind || !o.Ref.IsPseudo() {
			t.Errorf("%v: not a Dockerfile object", o.Ref)
			continue
		}
		rel, _ := filepath.Rel(dir, o.Ref.Name)
		names = append(names, filepath.ToSlash(rel))
		for path, want := range map[string]int{"stages[0]": 2, "stages[0].instructions[0]": 3, "stages[1]": 5, "stages[1].instructions[0]": 6} {
			if got, ok := o.Lines.Line(path); !ok || got != want {
				t.Errorf("%s %s: line %d, want %d", o.Ref.Name, path, got, want)
			}
		}
		st := o.Body["stages"].([]any)
		if len(st) != 2 || st[1].(map[string]any)["from"] != "base" {
			t.Errorf("%s: stages %v", o.Ref.Name, st)
		}
	}
	sort.Strings(names)
	if want := []string{"Dockerfile", "svc/Containerfile", "svc/Dockerfile.prod", "svc/api.Dockerfile"}; strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("read %v, want %v", names, want)
	}
	// Named, a Dockerfile is read too.
	res = Load([]string{filepath.Join(dir, "svc", "Dockerfile.prod")}, Options{Decode: decode})
	if len(res.Errors) != 0 || len(res.Inventory.Objects) != 1 || res.Inventory.Objects[0].Ref.Kind != inventory.DockerfileKind {
		t.Errorf("named: %+v %+v", res.Errors, res.Inventory.Objects)
	}
}
