package all_test

import (
	"context"
	"os"
	"os/exec"
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
	// The host's package database and release, not its whole root: the language
	// catalogers walk every directory of the filesystem they are given.
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
