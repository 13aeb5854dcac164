package all_test

import (
	"context"
	"os"
	"os/exec"
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
	inv := software.Catalog(context.Background(), os.DirFS("/"), nil)
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
