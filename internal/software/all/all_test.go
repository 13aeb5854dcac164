package all_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/palisade-k8s/palisade/internal/software"
	_ "github.com/palisade-k8s/palisade/internal/software/all"
)

// TestKeep checks that the image reader keeps every file the OS catalogers and
// ReadDistro read, and not the rest.
func TestKeep(t *testing.T) {
	for name, want := range map[string]bool{
		"etc/os-release":                      true,
		"usr/lib/os-release":                  true,
		"var/lib/dpkg/status":                 true,
		"var/lib/dpkg/status.d/libc6":         true,
		"var/lib/dpkg/status.d/libc6.md5sums": false,
		"lib/apk/db/installed":                true,
		"var/lib/rpm/rpmdb.sqlite":            true,
		"var/lib/rpm/Packages":                true,
		"usr/lib/sysimage/rpm/Packages.db":    true,
		"var/lib/dpkg/info/libc6.list":        false,
		"usr/share/doc/libc6/copyright":       true,
		"usr/share/doc/libc6/changelog.gz":    false,
	} {
		if got := software.Keep(name, 0o644, 100, nil); got != want {
			t.Errorf("Keep(%s) = %v, want %v", name, got, want)
		}
	}
}

// TestCatalogHost runs every cataloger on the machine's own root: its distribution
// and as many deb packages as dpkg-query lists installed.
func TestCatalogHost(t *testing.T) {
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skip("no dpkg-query")
	}
	out, err := exec.Command("dpkg-query", "--admindir=/var/lib/dpkg", "-W", "-f", `${db:Status-Status}\n`).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for l := range strings.Lines(string(out)) {
		if l != "not-installed\n" && l != "config-files\n" {
			want++
		}
	}
	// The host's package database and release, not its whole root: Catalog walks
	// every directory of the filesystem it is given.
	fsys := fstest.MapFS{}
	for _, name := range []string{"etc/os-release", "var/lib/dpkg/status"} {
		b, err := os.ReadFile("/" + name)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: b, Mode: 0o644}
	}
	inv := software.Catalog(context.Background(), fsys, nil)
	if inv.Distro == nil || inv.Distro.ID == "" {
		t.Errorf("distro %+v", inv.Distro)
	}
	got := 0
	for _, p := range inv.Packages {
		if p.Ecosystem == software.Deb && p.Location.Path == "/var/lib/dpkg/status" {
			got++
			if !strings.Contains(p.PURL, "distro="+inv.Distro.Release()) || p.Cataloger != "dpkg" {
				t.Errorf("%+v", p)
			}
		}
	}
	if got != want {
		t.Errorf("%d deb packages, dpkg-query lists %d", got, want)
	}
}

// TestCatalogAlpine runs every cataloger on an Alpine-like tree.
func TestCatalogAlpine(t *testing.T) {
	fsys := fstest.MapFS{
		"etc/os-release":       {Data: []byte("ID=alpine\nVERSION_ID=3.19.1\n")},
		"lib/apk/db/installed": {Data: []byte("P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n")},
	}
	inv := software.Catalog(context.Background(), fsys, nil)
	if len(inv.Problems) > 0 || len(inv.Packages) != 1 || inv.Packages[0].PURL != "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1" {
		t.Errorf("%+v", inv)
	}
}

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

// countFS counts the listings of its root: a walk of the whole filesystem starts
// with one (fs.WalkDir lists a directory with ReadDir when the filesystem has it).
type countFS struct {
	fs.FS
	roots int
}

func (c *countFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name == "." {
		c.roots++
	}
	return fs.ReadDir(c.FS, name)
}

// TestCatalogWalksOnce checks that Catalog walks the filesystem once for every
// cataloger (Env.Files), and that the catalogers still find their packages.
func TestCatalogWalksOnce(t *testing.T) {
	files := fstest.MapFS{
		"etc/os-release": {Data: []byte("ID=debian\nVERSION_ID=12\n")},
		"usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA": {Data: []byte("Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n")},
		"app/node_modules/left-pad/package.json":                      {Data: []byte(`{"name":"left-pad","version":"1.3.0"}`)},
		"var/lib/gems/3.1.0/specifications/rake-13.0.6.gemspec":       {Data: []byte("# stub: rake 13.0.6 ruby lib\n")},
		"app/vendor/composer/installed.json":                          {Data: []byte(`{"packages":[{"name":"monolog/monolog","version":"2.9.1"}]}`)},
		"app/app.deps.json":                                           {Data: []byte(`{"targets":{".NETCoreApp,Version=v8.0":{}},"libraries":{"Newtonsoft.Json/13.0.1":{"type":"package"}}}`)},
	}
	fsys := &countFS{FS: files}
	inv := software.Catalog(context.Background(), fsys, nil)
	if fsys.roots != 1 {
		t.Errorf("the root was listed %d times, want 1 (one walk for every cataloger)", fsys.roots)
	}
	got := map[software.Ecosystem]int{}
	for _, p := range inv.Packages {
		got[p.Ecosystem]++
	}
	for _, e := range []software.Ecosystem{software.PyPI, software.NPM, software.Gem, software.Composer, software.NuGet} {
		if got[e] == 0 {
			t.Errorf("no %s package: %+v (problems %+v)", e, inv.Packages, inv.Problems)
		}
	}
}

// TestCatalogCanceled checks that Catalog stops when its context is done.
func TestCatalogCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	inv := software.Catalog(ctx, fstest.MapFS{"app/node_modules/a/package.json": {Data: []byte(`{"name":"a","version":"1.0.0"}`)}}, nil)
	if len(inv.Packages) != 0 || len(inv.Problems) == 0 {
		t.Errorf("canceled: %+v", inv)
	}
}

// BenchmarkCatalog runs every cataloger on a generated directory tree of 20,000
// files (os.DirFS, as --rootfs reads), a few of them package metadata.
func BenchmarkCatalog(b *testing.B) {
	dir := b.TempDir()
	for i := range 100 {
		d := filepath.Join(dir, "usr", "share", fmt.Sprintf("d%03d", i), "sub")
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
		for j := range 200 {
			mode := os.FileMode(0o644)
			if j%50 == 0 {
				mode = 0o755 // a script: executable, not a binary
			}
			if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("f%03d.txt", j)), []byte("#!/bin/sh\nexit 0\n"+strings.Repeat("x", 100)), mode); err != nil {
				b.Fatal(err)
			}
		}
	}
	for name, data := range map[string]string{
		"etc/os-release": "ID=debian\nVERSION_ID=12\n",
		"usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n",
		"app/node_modules/left-pad/package.json":                      `{"name":"left-pad","version":"1.3.0"}`,
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	fsys := os.DirFS(dir)
	b.ResetTimer()
	for b.Loop() {
		inv := software.Catalog(context.Background(), fsys, nil)
		if len(inv.Packages) != 2 {
			b.Fatalf("%d packages: %+v", len(inv.Packages), inv)
		}
	}
}
