package dpkg

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/package-url/packageurl-go"

	"github.com/palisade-k8s/palisade/internal/software"
	"github.com/palisade-k8s/palisade/internal/software/softwaretest"
)

// TestHostStatus compares the machine's own dpkg database with dpkg-query: the same
// packages (every status but not-installed and config-files), versions, architectures
// and source packages.
func TestHostStatus(t *testing.T) {
	if _, err := os.Stat("/" + statusFile); err != nil {
		t.Skip("no dpkg database on this machine")
	}
	compareDpkgQuery(t, "/var/lib/dpkg", os.DirFS("/"))
}

// TestStatesStatus compares a status file of packages in every state with dpkg-query.
func TestStatesStatus(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "status"), []byte(states), 0o644); err != nil {
		t.Fatal(err)
	}
	if n := compareDpkgQuery(t, dir, fstest.MapFS{statusFile: {Data: []byte(states)}}); n != 4 {
		t.Errorf("%d packages, want 4", n)
	}
}

// states has packages in each dpkg state, with the fields dpkg-query requires.
const states = `Package: a
Status: install ok installed
Maintainer: m <m@example.org>
Architecture: amd64
Version: 1.0
Source: srca (0.9)
Description: x
 continued
 .

Package: b
Status: deinstall ok config-files
Maintainer: m <m@example.org>
Architecture: amd64
Version: 2.0
Description: d

Package: c
Status: purge ok not-installed
Maintainer: m <m@example.org>
Architecture: amd64
Description: d

Package: d
Status: install reinstreq half-installed
Maintainer: m <m@example.org>
Architecture: amd64
Version: 3.0
Description: d

package: e
status: install ok unpacked
maintainer: m <m@example.org>
architecture: all
version: 1:4.0-1
source: srce
description: d

Package: f
Status: install ok triggers-pending
Maintainer: m <m@example.org>
Architecture: i386
Multi-Arch: same
Version: 5.0
Description: d
Triggers-Pending: ldconfig
`

// compareDpkgQuery checks Catalog on fsys against dpkg-query on admindir and returns
// the number of packages.
func compareDpkgQuery(t *testing.T, admindir string, fsys fs.FS) int {
	t.Helper()
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skip("no dpkg-query")
	}
	out, err := exec.Command("dpkg-query", "--admindir="+admindir, "-W",
		"-f", `${db:Status-Status}\t${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\n`).Output()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for line := range strings.Lines(string(out)) {
		state, rest, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "\t")
		if state != "not-installed" && state != "config-files" {
			want = append(want, rest)
		}
	}
	pkgs, probs := Catalog(context.Background(), fsys, software.Env{Distro: &software.Distro{ID: "debian", VersionID: "12"}})
	if len(probs) > 0 {
		t.Errorf("problems: %v", probs)
	}
	var got []string
	for _, p := range pkgs {
		if p.Location.Path != "/"+statusFile {
			continue
		}
		sv := p.SourceVersion
		if sv == "" {
			sv = p.Version
		}
		got = append(got, strings.Join([]string{p.Name, p.Version, p.Arch, p.SourceName, sv}, "\t"))
		u, err := packageurl.FromString(p.PURL)
		if p.Location.Layer != -1 || err != nil || u.Name != p.Name || u.Version != p.Version || u.Namespace != "debian" || u.Qualifiers.Map()["arch"] != p.Arch {
			t.Errorf("%s: layer %d, purl %s (%v)", p.Name, p.Location.Layer, p.PURL, err)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if len(want) == 0 {
		t.Fatal("dpkg-query lists no package")
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %d packages, dpkg-query %d\n%s", len(got), len(want), diff(got, want))
	}
	return len(got)
}

func diff(got, want []string) string {
	var b strings.Builder
	g := map[string]bool{}
	for _, s := range got {
		g[s] = true
	}
	w := map[string]bool{}
	for _, s := range want {
		w[s] = true
		if !g[s] {
			b.WriteString("missing " + s + "\n")
		}
	}
	for _, s := range got {
		if !w[s] {
			b.WriteString("extra   " + s + "\n")
		}
	}
	return b.String()
}

const status = `Package: libc6
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
Conffiles:
 /etc/ld.so.conf.d/x86_64-linux-gnu.conf d4e7a7b88a71b5ffd9e2644e71a0cfab

Package: gone
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: libc6
Status: install ok installed
Architecture: i386
Source: glibc
Version: 2.36-9+deb12u4

package: bsdutils
status: install ok unpacked
architecture: amd64
source: util-linux (2.38.1-5)
version: 1:2.38.1-5+b1
`

func TestCatalogStatus(t *testing.T) {
	fsys := fstest.MapFS{statusFile: {Data: []byte(status)}}
	pkgs, probs := Catalog(context.Background(), fsys, software.Env{Distro: &software.Distro{ID: "debian", VersionID: "12"}})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	want := []software.Package{
		{Ecosystem: software.Deb, Name: "bsdutils", Version: "1:2.38.1-5+b1", Arch: "amd64", SourceName: "util-linux", SourceVersion: "2.38.1-5",
			PURL: "pkg:deb/debian/bsdutils@1:2.38.1-5%2Bb1?arch=amd64&distro=debian-12&upstream=util-linux%402.38.1-5"},
		{Ecosystem: software.Deb, Name: "libc6", Version: "2.36-9+deb12u4", Arch: "amd64", SourceName: "glibc",
			PURL: "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc"},
		{Ecosystem: software.Deb, Name: "libc6", Version: "2.36-9+deb12u4", Arch: "i386", SourceName: "glibc",
			PURL: "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=i386&distro=debian-12&upstream=glibc"},
	}
	for i := range want {
		want[i].Cataloger = "dpkg"
		want[i].Location = software.Location{Path: "/var/lib/dpkg/status", Layer: -1}
	}
	sort.SliceStable(pkgs, func(i, j int) bool { return pkgs[i].Name+pkgs[i].Arch < pkgs[j].Name+pkgs[j].Arch })
	if !reflect.DeepEqual(pkgs, want) {
		t.Errorf("got\n%+v\nwant\n%+v", pkgs, want)
	}
}

// TestCatalogDistroless reads the status.d layout of distroless images: one file per
// package, no Status, md5sums beside.
func TestCatalogDistroless(t *testing.T) {
	fsys := fstest.MapFS{
		statusDir + "/base-files":         {Data: []byte("Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n")},
		statusDir + "/base-files.md5sums": {Data: []byte("d41d8cd98f00b204e9800998ecf8427e  etc/debian_version\n")},
		statusDir + "/libssl3":            {Data: []byte("Package: libssl3\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\nSource: openssl\n")},
		statusDir + "/tzdata":             {Data: []byte("Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n")},
		"etc/os-release":                  {Data: []byte("ID=debian\nVERSION_ID=\"12\"\n")},
	}
	if !Keep(statusDir+"/libssl3", 0, 0, nil) || Keep(statusDir+"/libssl3.md5sums", 0, 0, nil) || Keep("var/lib/dpkg/info/x.list", 0, 0, nil) {
		t.Error("Keep")
	}
	d, _ := software.ReadDistro(fsys)
	pkgs, probs := Catalog(context.Background(), fsys, software.Env{Distro: d})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	var got []string
	for _, p := range pkgs {
		got = append(got, p.Location.Path+" "+p.PURL)
	}
	want := []string{
		"/var/lib/dpkg/status.d/base-files pkg:deb/debian/base-files@12.4%2Bdeb12u5?arch=amd64&distro=debian-12",
		"/var/lib/dpkg/status.d/libssl3 pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl",
		"/var/lib/dpkg/status.d/tzdata pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCatalogMalformed(t *testing.T) {
	data := "Package: a\nVersion: 1\nArchitecture: amd64\n\nthis is not a field\nPackage: b\nVersion: 2\n\nVersion: 3\n\nPackage: c\nStatus: install ok\nVersion: 4\n"
	pkgs, probs := Catalog(context.Background(), fstest.MapFS{statusFile: {Data: []byte(data)}}, software.Env{})
	var names []string
	for _, p := range pkgs {
		names = append(names, p.Name)
	}
	if strings.Join(names, ",") != "a,b,c" {
		t.Errorf("packages %v", names)
	}
	var errs []string
	for _, p := range probs {
		errs = append(errs, p.Path+": "+p.Err)
	}
	want := []string{
		"/var/lib/dpkg/status: line 5: not a field",
		"/var/lib/dpkg/status: line 9: stanza without Package",
		`/var/lib/dpkg/status: line 12: Status "install ok" is not three words`,
	}
	if !reflect.DeepEqual(errs, want) {
		t.Errorf("problems\n%s\nwant\n%s", strings.Join(errs, "\n"), strings.Join(want, "\n"))
	}
	_, probs = Catalog(context.Background(), fstest.MapFS{statusFile: {Data: []byte("Package: a\nDescription: " + strings.Repeat("x", maxLine) + "\n")}}, software.Env{})
	if len(probs) != 1 || !strings.Contains(probs[0].Err, "line 2: longer than") {
		t.Errorf("long line: %v", probs)
	}
}

func TestLayerAttribution(t *testing.T) {
	st := func(pkgs ...string) []byte {
		var b bytes.Buffer
		for _, p := range pkgs {
			name, ver, _ := strings.Cut(p, "=")
			b.WriteString("Package: " + name + "\nStatus: install ok installed\nArchitecture: amd64\nVersion: " + ver + "\n\n")
		}
		return b.Bytes()
	}
	l := softwaretest.Layers{statusFile: {
		st("base=1", "curl=1"),         // 0
		nil,                            // 1: the status file untouched
		st("base=1", "curl=2"),         // 2: curl upgraded
		st("base=1", "curl=2", "jq=1"), // 3: jq installed
		st("base=1", "curl=2", "jq=1"), // 4: rewritten, same packages
	}}
	fsys := fstest.MapFS{statusFile: {Data: l[statusFile][4]}}
	pkgs, probs := Catalog(context.Background(), fsys, software.Env{Layers: l})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	got := map[string]int{}
	for _, p := range pkgs {
		got[p.Name] = p.Location.Layer
	}
	if want := map[string]int{"base": 0, "curl": 2, "jq": 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("layers %v, want %v", got, want)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(status))
	f.Add([]byte("Package: a\n Version: 1\n\n\n:\n \tx\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		_, _ = parse(context.Background(), bytes.NewReader(data), func(e entry) {
			n++
			if e.name == "" || e.version == "" {
				t.Fatalf("entry without name or version: %+v", e)
			}
		})
	})
}

func BenchmarkCatalog(b *testing.B) {
	data, err := os.ReadFile("/" + statusFile)
	if err != nil {
		data = []byte(strings.Repeat(status+"\n", 500))
	}
	fsys := fstest.MapFS{statusFile: {Data: data}}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if pkgs, _ := Catalog(context.Background(), fsys, software.Env{}); len(pkgs) == 0 {
			b.Fatal("no package")
		}
	}
}
