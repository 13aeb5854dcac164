package all_test

import (
	"context"
	"os"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/palisade-k8s/palisade/internal/software"
	_ "github.com/palisade-k8s/palisade/internal/software/all"
)

// TestLanguageCatalogers runs every registered cataloger over one filesystem
// holding a package of each language ecosystem: each is found once, by its
// cataloger, and Keep keeps each evidence file.
func TestLanguageCatalogers(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"usr/local/bin/app":                                           {Data: bin, Mode: 0o755},
		"app/node_modules/left-pad/package.json":                      {Data: []byte(`{"name":"left-pad","version":"1.3.0"}`)},
		"usr/lib/python3/site-packages/six-1.16.0.dist-info/METADATA": {Data: []byte("Name: six\nVersion: 1.16.0\n")},
		"var/lib/gems/3.1.0/specifications/rake-13.0.6.gemspec":       {Data: []byte("# stub: rake 13.0.6 ruby lib\n")},
		"app/web.deps.json":                                           {Data: []byte(`{"libraries":{"Newtonsoft.Json/13.0.1":{"type":"package"}}}`)},
	}
	pkgs := software.Catalog(context.Background(), fsys, nil).Packages
	byCataloger := map[string][]string{}
	for _, p := range pkgs {
		byCataloger[p.Cataloger] = append(byCataloger[p.Cataloger], p.PURL)
	}
	for cataloger, want := range map[string]string{
		"npm":          "pkg:npm/left-pad@1.3.0",
		"python":       "pkg:pypi/six@1.16.0",
		"ruby-gemspec": "pkg:gem/rake@13.0.6",
		"dotnet-deps":  "pkg:nuget/Newtonsoft.Json@13.0.1",
	} {
		if got := strings.Join(byCataloger[cataloger], " "); got != want {
			t.Errorf("%s: %q, want %q", cataloger, got, want)
		}
	}
	if got := byCataloger["go-binary"]; len(got) == 0 || !strings.HasPrefix(got[len(got)-1], "pkg:golang/") {
		t.Errorf("go-binary: %v", got)
	}
	var names []string
	for _, c := range software.All() {
		names = append(names, c.Name)
	}
	sort.Strings(names)
	for _, want := range []string{"dotnet-deps", "go-binary", "java-archive", "npm", "php-composer", "python", "ruby-gemspec", "rust-auditable"} {
		if i := sort.SearchStrings(names, want); i == len(names) || names[i] != want {
			t.Errorf("cataloger %s is not registered: %v", want, names)
		}
	}
	for name, f := range fsys {
		head := f.Data
		if len(head) > 512 {
			head = head[:512]
		}
		if !software.Keep(name, f.Mode|0o644, int64(len(f.Data)), head) {
			t.Errorf("%s is not kept", name)
		}
	}
}
