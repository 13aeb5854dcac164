package npm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/palisade-k8s/palisade/internal/software"
	"github.com/palisade-k8s/palisade/internal/software/softwaretest"
)

// fixturePackages is the npm tree of the ground-truth test: old pinned releases
// with nested node_modules and a scoped package.
var fixturePackages = []string{"express@4.16.0", "@types/node@18.0.0", "lodash@4.17.4"}

// npmFixture installs fixturePackages from the npm registry once, into
// ~/.cache/palisade/npm-fixture/<hash of the list>, and returns the directory.
func npmFixture(t testing.TB) string {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm is not installed")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(strings.Join(fixturePackages, "\n")))
	dir := filepath.Join(home, ".cache", "palisade", "npm-fixture", hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err == nil {
		return dir
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "install-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	if err := os.WriteFile(filepath.Join(tmp, "package.json"), []byte(`{"name":"fixture","version":"1.0.0","private":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(npm, append([]string{"install", "--no-audit", "--no-fund", "--save-exact", "--ignore-scripts"}, fixturePackages...)...)
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, dir); err != nil && !os.IsExist(err) {
		if _, statErr := os.Stat(filepath.Join(dir, "node_modules")); statErr != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// npmLs is the ground truth: the name@version set of `npm ls --all --json`
// (with more arguments, e.g. -g).
func npmLs(t *testing.T, dir string, args ...string) []string {
	t.Helper()
	cmd := exec.Command("npm", append([]string{"ls", "--all", "--json"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("npm ls: %v", err)
	}
	type node struct {
		Version      string           `json:"version"`
		Dependencies map[string]*node `json:"dependencies"`
	}
	var root node
	if err := json.Unmarshal(out, &root); err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	var visit func(deps map[string]*node)
	visit = func(deps map[string]*node) {
		for name, n := range deps {
			if n.Version != "" {
				set[name+"@"+n.Version] = true
			}
			visit(n.Dependencies)
		}
	}
	visit(root.Dependencies)
	return slices.Sorted(maps.Keys(set))
}

func TestInstalledTreeMatchesNpmLs(t *testing.T) {
	dir := npmFixture(t)
	want := npmLs(t, dir)
	pkgs, probs := Catalog(context.Background(), os.DirFS(dir), software.Env{})
	if len(probs) != 0 {
		t.Errorf("problems: %v", probs)
	}
	set := map[string]bool{}
	for _, p := range pkgs {
		set[p.Name+"@"+p.Version] = true
		if !strings.HasSuffix(p.Location.Path, "/package.json") || !strings.Contains(p.Location.Path, "node_modules/") {
			t.Errorf("%s from %s: the installed tree must win over the lockfile", p.Name, p.Location.Path)
		}
	}
	got := slices.Sorted(maps.Keys(set))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("cataloged %d:\n%s\nnpm ls %d:\n%s", len(got), strings.Join(got, "\n"), len(want), strings.Join(want, "\n"))
	}
	if len(want) < 40 {
		t.Errorf("the fixture is too small: %v", want)
	}
	// The fixture's lockfile alone (no node_modules) lists the same tree.
	lock, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	pkgs, probs = Catalog(context.Background(), fstest.MapFS{"app/package-lock.json": {Data: lock}}, software.Env{})
	set = map[string]bool{}
	for _, p := range pkgs {
		set[p.Name+"@"+p.Version] = true
	}
	if got := slices.Sorted(maps.Keys(set)); strings.Join(got, "\n") != strings.Join(want, "\n") || len(probs) != 0 {
		t.Errorf("lockfile alone: %v %v", got, probs)
	}
}

// TestGlobalTreeMatchesNpmLs compares the machine's global npm tree (npm
// itself and its bundled dependencies) with `npm ls -g --all --json`.
func TestGlobalTreeMatchesNpmLs(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not installed")
	}
	out, err := exec.Command("npm", "root", "-g").Output()
	if err != nil {
		t.Fatal(err)
	}
	root := strings.TrimSpace(string(out))
	if _, err := os.Stat(root); err != nil {
		t.Skipf("no global tree: %v", err)
	}
	want := npmLs(t, t.TempDir(), "-g")
	pkgs, _ := Catalog(context.Background(), os.DirFS(filepath.Dir(root)), software.Env{})
	set := map[string]bool{}
	for _, p := range pkgs {
		if strings.HasPrefix(p.Location.Path, "/"+filepath.Base(root)+"/") {
			set[p.Name+"@"+p.Version] = true
		}
	}
	if got := slices.Sorted(maps.Keys(set)); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("cataloged %d:\n%s\nnpm ls -g %d:\n%s", len(got), strings.Join(got, "\n"), len(want), strings.Join(want, "\n"))
	}
}

func TestPackageJSON(t *testing.T) {
	fsys := fstest.MapFS{
		"app/node_modules/a/package.json":                  {Data: []byte(`{"name":"a","version":"1.0.0","license":"MIT"}`)},
		"app/node_modules/@s/b/package.json":               {Data: []byte(`{"name":"@s/b","version":"2.0.0-beta.1","license":{"type":"ISC"}}`)},
		"app/node_modules/a/node_modules/c/package.json":   {Data: []byte(`{"name":"c","version":"0.1.0","licenses":[{"type":"MIT"},"Apache-2.0"]}`)},
		"app/node_modules/a/lib/package.json":              {Data: []byte(`{"type":"module"}`)},
		"app/node_modules/a/dist/esm/package.json":         {Data: []byte(`{"name":"not-a-package","version":"9"}`)},
		"app/node_modules/.bin/package.json":               {Data: []byte(`{"name":"dot","version":"1"}`)},
		"app/node_modules/broken/package.json":             {Data: []byte(`{"name":`)},
		"app/node_modules/noversion/package.json":          {Data: []byte(`{"name":"noversion"}`)},
		"app/package.json":                                 {Data: []byte(`{"name":"app","version":"1.0.0"}`)},
		"app/package-lock.json":                            {Data: []byte(`{"lockfileVersion":3,"packages":{"node_modules/zzz":{"version":"1.0.0"}}}`)},
		"usr/local/lib/node_modules/npm/package.json":      {Data: []byte(`{"name":"npm","version":"10.2.4"}`)},
		"usr/local/lib/node_modules/npm/node_modules/x.js": {Data: []byte(`x`)},
	}
	pkgs, probs := Catalog(context.Background(), fsys, software.Env{})
	got := softwaretest.Lines(pkgs, softwaretest.PURLLicensesPath)
	sort.Strings(got)
	want := []string{
		"pkg:npm/%40s/b@2.0.0-beta.1 ISC /app/node_modules/@s/b/package.json",
		"pkg:npm/a@1.0.0 MIT /app/node_modules/a/package.json",
		"pkg:npm/c@0.1.0 MIT,Apache-2.0 /app/node_modules/a/node_modules/c/package.json",
		"pkg:npm/npm@10.2.4  /usr/local/lib/node_modules/npm/package.json",
	}
	softwaretest.EqualLines(t, got, want)
	softwaretest.OneProblem(t, probs, "/app/node_modules/broken/package.json")
}

func TestLockfileVersions(t *testing.T) {
	v1 := `{"lockfileVersion":1,"dependencies":{
		"a":{"version":"1.0.0","dependencies":{"b":{"version":"2.0.0"}}},
		"b":{"version":"1.0.0"},
		"d":{"version":"3.0.0","dev":true,"dependencies":{"e":{"version":"1.0.0","dev":true}}},
		"g":{"version":"git+https://example.com/g.git#abc"},
		"@s/h":{"version":"1.2.3"}}}`
	v2 := `{"lockfileVersion":2,"packages":{
		"":{"name":"app","version":"1.0.0"},
		"node_modules/a":{"version":"1.0.0","license":"MIT"},
		"node_modules/a/node_modules/b":{"version":"2.0.0"},
		"node_modules/b":{"version":"1.0.0"},
		"node_modules/d":{"version":"3.0.0","dev":true},
		"node_modules/alias":{"name":"real","version":"4.0.0"},
		"node_modules/ws":{"resolved":"packages/ws","link":true},
		"packages/ws":{"name":"ws","version":"0.0.1"},
		"node_modules/@s/h":{"version":"1.2.3"},
		"node_modules/x/node_modules/b":{"version":"2.0.0"}},
		"dependencies":{"ignored":{"version":"1.0.0"}}}`
	want1 := "pkg:npm/%40s/h@1.2.3 pkg:npm/a@1.0.0 pkg:npm/b@1.0.0 pkg:npm/b@2.0.0"
	want2 := "pkg:npm/%40s/h@1.2.3 pkg:npm/a@1.0.0 pkg:npm/b@1.0.0 pkg:npm/b@2.0.0 pkg:npm/real@4.0.0"
	for name, c := range map[string]struct{ in, want string }{"v1": {v1, want1}, "v2": {v2, want2}, "v3": {strings.Replace(v2, `"dependencies":{"ignored":{"version":"1.0.0"}}`, `"x":1`, 1), want2}} {
		pkgs, probs := Catalog(context.Background(), fstest.MapFS{"srv/npm-shrinkwrap.json": {Data: []byte(c.in)}}, software.Env{})
		var got []string
		for _, p := range pkgs {
			got = append(got, p.PURL)
			if p.Location.Path != "/srv/npm-shrinkwrap.json" {
				t.Errorf("%s: location %s", name, p.Location.Path)
			}
		}
		if strings.Join(got, " ") != c.want || len(probs) != 0 {
			t.Errorf("%s: got %v %v, want %s", name, got, probs, c.want)
		}
	}
	deep := strings.Repeat(`{"dependencies":{"a":{"version":"1.0.0",`, 80) + `"x":1` + strings.Repeat(`}}}`, 80)
	if _, err := ParseLockfile([]byte(`{"lockfileVersion":1,` + deep[1:])); err == nil {
		t.Errorf("a lockfile nested 80 levels deep is accepted")
	}
}

func TestKeep(t *testing.T) {
	for name, want := range map[string]bool{
		"app/node_modules/a/package.json":        true,
		"app/node_modules/@s/a/package.json":     true,
		"app/node_modules/a/lib/package.json":    false,
		"app/package.json":                       false,
		"app/package-lock.json":                  true,
		"app/node_modules/a/package-lock.json":   false,
		"app/node_modules/.package-lock.json":    false,
		"app/node_modules/a/npm-shrinkwrap.json": false,
	} {
		if got := Keep(name, 0o644, 100, nil); got != want {
			t.Errorf("Keep(%s) = %v", name, got)
		}
	}
	if Keep("app/package-lock.json", 0o644, MaxLockfileSize+1, nil) {
		t.Errorf("an oversized lockfile is kept")
	}
}

func FuzzParseLockfile(f *testing.F) {
	f.Add([]byte(`{"lockfileVersion":3,"packages":{"node_modules/a":{"version":"1.0.0"}}}`))
	f.Add([]byte(`{"lockfileVersion":1,"dependencies":{"a":{"version":"1.0.0","dependencies":{"b":{"version":"2"}}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseLockfile(b)
	})
}

func FuzzParsePackageJSON(f *testing.F) {
	f.Add([]byte(`{"name":"@s/a","version":"1.0.0","license":{"type":"MIT"}}`))
	f.Add([]byte(`{"name":"a","version":"1","licenses":["MIT",{"type":"ISC"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParsePackageJSON(b)
	})
}

func BenchmarkParseLockfile(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"lockfileVersion":3,"packages":{"":{"name":"app"}`)
	for i := 0; i < 2000; i++ {
		sb.WriteString(`,"node_modules/p` + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + `/node_modules/q` + string(rune('a'+i%26)) + `":{"version":"1.2.3","license":"MIT"}`)
	}
	sb.WriteString(`}}`)
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := ParseLockfile(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCatalog(b *testing.B) {
	fsys := fstest.MapFS{}
	for i := 0; i < 500; i++ {
		name := "p" + strings.Repeat("x", i/26) + string(rune('a'+i%26))
		fsys["app/node_modules/"+name+"/package.json"] = &fstest.MapFile{Data: []byte(`{"name":"` + name + `","version":"1.0.0","license":"MIT","description":"` + strings.Repeat("d", 500) + `"}`)}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if pkgs, _ := Catalog(context.Background(), fsys, software.Env{}); len(pkgs) != 500 {
			b.Fatal(len(pkgs))
		}
	}
}

func lock(names ...string) []byte {
	var entries []string
	for _, n := range names {
		name, version, _ := strings.Cut(n, "@")
		entries = append(entries, `"node_modules/`+name+`":{"version":"`+version+`"}`)
	}
	return []byte(`{"lockfileVersion":3,"packages":{` + strings.Join(entries, ",") + `}}`)
}

// TestLayerAttribution: a lockfile's package is attributed to the oldest layer
// from which every later version of the lockfile lists it.
func TestLayerAttribution(t *testing.T) {
	final := lock("a@1", "b@2", "c@1", "d@1", "e@1")
	v := softwaretest.Layers{"app/package-lock.json": {
		lock("a@1", "b@1"),
		lock("b@1", "e@1"),
		lock("a@1", "b@2", "c@1", "e@1"),
		nil,
		final,
	}}
	pkgs, probs := Catalog(context.Background(), fstest.MapFS{"app/package-lock.json": {Data: final}}, software.Env{Layers: v})
	got := softwaretest.Lines(pkgs, func(p software.Package) string {
		return p.Name + "@" + p.Version + ":" + string(rune('0'+p.Location.Layer))
	})
	if w := "a@1:2 b@2:2 c@1:2 d@1:4 e@1:1"; strings.Join(got, " ") != w || len(probs) != 0 {
		t.Errorf("got %v %v, want %s", got, probs, w)
	}
}
