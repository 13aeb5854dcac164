package rpm

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
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

var update = flag.Bool("update", false, "rebuild testdata's rpm databases with rpm, rpmbuild and db5.3_load")

// queryFormat is what the tests compare, as rpm -q prints it.
const queryFormat = `%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{LICENSE}\n`

// line is a package as queryFormat prints it, the source rpm read back from the
// Package URL's upstream qualifier.
func line(t *testing.T, p software.Package) string {
	u, err := packageurl.FromString(p.PURL)
	if err != nil {
		t.Fatalf("%s: %v", p.PURL, err)
	}
	q := u.Qualifiers.Map()
	evr := u.Version
	if q["epoch"] != "" {
		evr = q["epoch"] + ":" + evr
	}
	if u.Name != p.Name || evr != p.Version || q["arch"] != p.Arch {
		t.Errorf("purl %s does not match %+v", p.PURL, p)
	}
	src, _, _ := parseSourceRPM(q["upstream"])
	if src != p.SourceName {
		t.Errorf("%s: source %q, upstream %q", p.Name, p.SourceName, q["upstream"])
	}
	return strings.Join([]string{p.Name, p.Version, p.Arch, q["upstream"], strings.Join(p.Licenses, " ")}, "\t")
}

func lines(t *testing.T, pkgs []software.Package) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, line(t, p))
	}
	sort.Strings(out)
	return out
}

// rpmQA runs rpm -qa on a database directory, without the gpg-pubkey records.
func rpmQA(t *testing.T, dbpath string, backend string) []string {
	out, err := exec.Command("rpm", "--define", "_db_backend "+backend, "--dbpath", dbpath, "-qa", "--qf", queryFormat).Output()
	if err != nil {
		t.Fatalf("rpm -qa: %v", err)
	}
	var l []string
	for s := range strings.Lines(string(out)) {
		if !strings.HasPrefix(s, "gpg-pubkey\t") {
			l = append(l, strings.TrimSuffix(s, "\n"))
		}
	}
	sort.Strings(l)
	return l
}

// spec is an rpm spec file of a package with n subpackages whose descriptions of
// 5,000 bytes put each header across SQLite overflow pages, and enough rows for
// interior b-tree pages.
func spec(name, epoch string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Name: %s\nVersion: 1.2.3\nRelease: 4.fc40\n", name)
	if epoch != "" {
		fmt.Fprintf(&b, "Epoch: %s\n", epoch)
	}
	b.WriteString("Summary: s\nLicense: MIT AND (Apache-2.0 OR BSD-3-Clause)\nBuildArch: x86_64\n%description\nd\n%files\n")
	for i := range n {
		fmt.Fprintf(&b, "%%package -n %s-sub%d\nSummary: s\nVersion: 0.%d\nLicense: GPL-2.0-or-later\nBuildArch: noarch\n%%description -n %s-sub%d\n%s\n%%files -n %s-sub%d\n",
			name, i, i, name, i, strings.Repeat("palisade ", 5000/9), name, i)
	}
	return b.String()
}

// buildSQLite makes an rpm database in dir with rpm itself: packages built by
// rpmbuild and installed with --justdb.
func buildSQLite(t *testing.T, dir string) {
	needTool(t, "rpm", "rpm")
	needTool(t, "rpmbuild", "rpm")
	top := t.TempDir()
	var rpms []string
	for _, s := range []struct{ name, epoch string }{{"palisade-test", "2"}, {"plain", ""}} {
		f := filepath.Join(top, s.name+".spec")
		if err := os.WriteFile(f, []byte(spec(s.name, s.epoch, 12)), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("rpmbuild", "--quiet", "--define", "_topdir "+top, "--define", "_build_id_links none", "-bb", f).CombinedOutput(); err != nil {
			t.Fatalf("rpmbuild: %v\n%s", err, out)
		}
	}
	rpms, _ = filepath.Glob(filepath.Join(top, "RPMS", "*", "*.rpm"))
	if out, err := exec.Command("rpm", "--define", "_db_backend sqlite", "--dbpath", dir, "--initdb").CombinedOutput(); err != nil {
		t.Fatalf("rpm --initdb: %v\n%s", err, out)
	}
	args := append([]string{"--define", "_db_backend sqlite", "--dbpath", dir, "-i", "--justdb", "--nodeps", "--noscripts", "--ignorearch", "--ignoreos", "--nosignature", "--nodigest"}, rpms...)
	if out, err := exec.Command("rpm", args...).CombinedOutput(); err != nil {
		t.Fatalf("rpm -i: %v\n%s", err, out)
	}
}

// blobsOf reads the header blobs of a database.
func blobsOf(t *testing.T, data []byte) map[int64][]byte {
	m := map[int64][]byte{}
	if err := sqliteBlobs(data, func(id int64, b []byte, err error) {
		if err != nil {
			t.Fatal(err)
		}
		m[id] = b
	}); err != nil {
		t.Fatal(err)
	}
	return m
}

// buildBDB writes blobs as a Berkeley DB hash database with db5.3_load, as rpm up to
// 4.16 kept them (the key is the package number in the host's byte order).
func buildBDB(t *testing.T, dir string, blobs map[int64][]byte) {
	needTool(t, "db5.3_load", "db5.3-util")
	var b strings.Builder
	hex := func(p []byte) {
		for _, c := range p {
			fmt.Fprintf(&b, `\%02x`, c)
		}
		b.WriteByte('\n')
	}
	for id, blob := range blobs {
		hex(binary.LittleEndian.AppendUint32(nil, uint32(id)))
		hex(blob)
	}
	cmd := exec.Command("db5.3_load", "-T", "-t", "hash", filepath.Join(dir, "Packages"))
	cmd.Stdin = strings.NewReader(b.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("db5.3_load: %v\n%s", err, out)
	}
}

// buildNDB writes blobs as an ndb database, laid out as rpm's
// lib/backend/ndb/rpmpkg.c does (this rpm is built without ndb: no ground truth).
func buildNDB(blobs map[int64][]byte) []byte {
	le := binary.LittleEndian
	ids := make([]int64, 0, len(blobs))
	for id := range blobs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	const slotPages = 1
	data := make([]byte, slotPages*ndbPage)
	le.PutUint32(data, ndbMagic)
	le.PutUint32(data[12:], slotPages)
	le.PutUint32(data[16:], uint32(len(ids)+1))
	for off := ndbHeader; off < len(data); off += 16 {
		le.PutUint32(data[off:], ndbSlotMagic)
	}
	for i, id := range ids {
		blob := blobs[id]
		blkoff := len(data) / ndbBlock
		n := (ndbBlobHead + len(blob) + ndbBlobTail + ndbBlock - 1) / ndbBlock
		rec := make([]byte, n*ndbBlock)
		le.PutUint32(rec, ndbBlobMagic)
		le.PutUint32(rec[4:], uint32(id))
		le.PutUint32(rec[12:], uint32(len(blob)))
		copy(rec[ndbBlobHead:], blob)
		data = append(data, rec...)
		s := data[ndbHeader+16*i:]
		le.PutUint32(s[4:], uint32(id))
		le.PutUint32(s[8:], uint32(blkoff))
		le.PutUint32(s[12:], uint32(n))
	}
	return data
}

// TestGroundTruth builds rpm databases with rpm itself and compares the catalog
// with rpm -qa: SQLite (rpm's default backend), Berkeley DB (written by db5.3_load,
// read back by rpm's bdb_ro backend). With -update it rewrites testdata.
func TestGroundTruth(t *testing.T) {
	dir := t.TempDir()
	buildSQLite(t, dir)
	want := rpmQA(t, dir, "sqlite")
	if len(want) != 26 {
		t.Fatalf("rpm -qa lists %d packages, want 26", len(want))
	}
	sq, err := os.ReadFile(filepath.Join(dir, "rpmdb.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	check := func(file string, data []byte) {
		t.Helper()
		fsys := fstest.MapFS{"var/lib/rpm/" + file: {Data: data}}
		pkgs, probs := Catalog(context.Background(), fsys, software.Env{})
		if len(probs) > 0 {
			t.Errorf("%s: %v", file, probs)
		}
		if got := lines(t, pkgs); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got\n%s\nrpm -qa\n%s", file, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	check("rpmdb.sqlite", sq)
	blobs := blobsOf(t, sq)
	bdir := t.TempDir()
	buildBDB(t, bdir, blobs)
	if got := rpmQA(t, bdir, "bdb_ro"); !reflect.DeepEqual(got, want) {
		t.Fatalf("rpm reads the Berkeley DB database as\n%s", strings.Join(got, "\n"))
	}
	bdb, err := os.ReadFile(filepath.Join(bdir, "Packages"))
	if err != nil {
		t.Fatal(err)
	}
	check("Packages", bdb)
	ndb := buildNDB(blobs)
	check("Packages.db", ndb)
	if *update {
		for name, data := range map[string][]byte{"rpmdb.sqlite": sq, "Packages": bdb, "Packages.db": ndb, "rpm-qa.txt": []byte(strings.Join(want, "\n") + "\n")} {
			if err := os.WriteFile(filepath.Join("testdata", name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestFixtures reads testdata's databases (made by TestGroundTruth -update) against
// what rpm -qa printed then, for machines without rpm.
func TestFixtures(t *testing.T) {
	qa, err := os.ReadFile("testdata/rpm-qa.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSuffix(string(qa), "\n"), "\n")
	for _, file := range []string{"rpmdb.sqlite", "Packages", "Packages.db"} {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		for _, dir := range []string{"var/lib/rpm", "usr/lib/sysimage/rpm"} {
			fsys := fstest.MapFS{dir + "/" + file: {Data: data}, "etc/os-release": {Data: []byte("ID=fedora\nVERSION_ID=40\n")}}
			d, _ := software.ReadDistro(fsys)
			pkgs, probs := Catalog(context.Background(), fsys, software.Env{Distro: d})
			if len(probs) > 0 {
				t.Errorf("%s: %v", file, probs)
			}
			if got := lines(t, pkgs); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: got\n%s\nwant\n%s", file, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for _, p := range pkgs {
				if !strings.HasPrefix(p.PURL, "pkg:rpm/fedora/") || !strings.Contains(p.PURL, "distro=fedora-40") || p.Location.Path != "/"+dir+"/"+file {
					t.Errorf("%+v", p)
				}
			}
		}
	}
}

func TestPackage(t *testing.T) {
	h := &header{name: "bash", version: "5.1.8", release: "6.el9", epoch: -1, arch: "x86_64", license: "GPLv3+", sourceRPM: "bash-5.1.8-6.el9.src.rpm"}
	got := pkg(h, &software.Distro{ID: "rhel", VersionID: "9.3"}, "/var/lib/rpm/rpmdb.sqlite", 0)
	want := software.Package{Ecosystem: software.RPM, Name: "bash", Version: "5.1.8-6.el9", Arch: "x86_64", SourceName: "bash", Licenses: []string{"GPLv3+"},
		PURL: "pkg:rpm/rhel/bash@5.1.8-6.el9?arch=x86_64&distro=rhel-9.3&upstream=bash-5.1.8-6.el9.src.rpm", Cataloger: "rpm",
		Location: software.Location{Path: "/var/lib/rpm/rpmdb.sqlite", Layer: 0}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
	h = &header{name: "openssl-libs", version: "3.0.7", release: "27.el9", epoch: 1, arch: "x86_64", sourceRPM: "openssl-3.0.7-27.el9.src.rpm"}
	got = pkg(h, nil, "/x", -1)
	if got.Version != "1:3.0.7-27.el9" || got.SourceName != "openssl" || got.SourceVersion != "" ||
		got.PURL != "pkg:rpm/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-27.el9.src.rpm" {
		t.Errorf("%+v", got)
	}
	for _, s := range []string{"", "x.src.rpm", "a-1.src.rpm", "-1-2.src.rpm", "a-1-2.rpm"} {
		if _, _, ok := parseSourceRPM(s); ok {
			t.Errorf("parseSourceRPM(%q) ok", s)
		}
	}
}

func TestMalformed(t *testing.T) {
	sq, err := os.ReadFile("testdata/rpmdb.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"var/lib/rpm/rpmdb.sqlite": sq[:len(sq)/2],
		"var/lib/rpm/Packages":     []byte(strings.Repeat("x", 4096)),
		"var/lib/rpm/Packages.db":  []byte("RpmP\x00\x00\x00\x00"),
	} {
		_, probs := Catalog(context.Background(), fstest.MapFS{name: {Data: data}}, software.Env{})
		if len(probs) == 0 || probs[0].Path != "/"+name {
			t.Errorf("%s: problems %v", name, probs)
		}
	}
	// A bad record is a problem; the others are still read.
	blobs := blobsOf(t, sq)
	blobs[999] = []byte{0, 0, 0, 1, 0, 0, 0, 99}
	pkgs, probs := Catalog(context.Background(), fstest.MapFS{"var/lib/rpm/Packages.db": {Data: buildNDB(blobs)}}, software.Env{})
	if len(pkgs) != 26 || len(probs) != 1 || !strings.Contains(probs[0].Err, "package record 999") {
		t.Errorf("%d packages, problems %v", len(pkgs), probs)
	}
}

func TestLayerAttribution(t *testing.T) {
	sq, err := os.ReadFile("testdata/rpmdb.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	all := blobsOf(t, sq)
	some := map[int64][]byte{}
	for id, b := range all {
		if h, _ := parseHeader(b); h != nil && h.name == "plain" {
			some[id] = b
		}
	}
	final := buildNDB(all)
	l := softwaretest.Layers{"var/lib/rpm/Packages.db": {buildNDB(some), final}}
	pkgs, probs := Catalog(context.Background(), fstest.MapFS{"var/lib/rpm/Packages.db": {Data: final}}, software.Env{Layers: l})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	for _, p := range pkgs {
		if want := map[bool]int{true: 0, false: 1}[p.Name == "plain"]; p.Location.Layer != want {
			t.Errorf("%s: layer %d, want %d", p.Name, p.Location.Layer, want)
		}
	}
}

func FuzzHeader(f *testing.F) {
	if sq, err := os.ReadFile("testdata/rpmdb.sqlite"); err == nil {
		for _, b := range blobsOf(&testing.T{}, sq) {
			f.Add(b)
			break
		}
	}
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 3, 232, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if h, err := parseHeader(data); err == nil && (h.name == "" || h.version == "") {
			t.Fatal("header without name")
		}
	})
}

// fuzzDB feeds a database reader.
func fuzzDB(f *testing.F, file string, blobs func([]byte, func(int64, []byte, error)) error) {
	if data, err := os.ReadFile(filepath.Join("testdata", file)); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = blobs(data, func(int64, []byte, error) {})
	})
}

func FuzzSQLite(f *testing.F) { fuzzDB(f, "rpmdb.sqlite", sqliteBlobs) }
func FuzzBDB(f *testing.F)    { fuzzDB(f, "Packages", bdbBlobs) }
func FuzzNDB(f *testing.F)    { fuzzDB(f, "Packages.db", ndbBlobs) }

func BenchmarkCatalog(b *testing.B) {
	for _, file := range []string{"rpmdb.sqlite", "Packages", "Packages.db"} {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			b.Fatal(err)
		}
		fsys := fstest.MapFS{"var/lib/rpm/" + file: {Data: data}}
		b.Run(file, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if pkgs, _ := Catalog(context.Background(), fsys, software.Env{}); len(pkgs) == 0 {
					b.Fatal("no package")
				}
			}
		})
	}
}

// TestSysimageLink reads a database once when var/lib/rpm links to
// usr/lib/sysimage/rpm (Fedora, recent SUSE).
func TestSysimageLink(t *testing.T) {
	sq, err := os.ReadFile("testdata/rpmdb.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"usr/lib/sysimage/rpm/rpmdb.sqlite": {Data: sq},
		"var/lib/rpm":                       {Mode: fs.ModeSymlink, Data: []byte("../../usr/lib/sysimage/rpm")},
	}
	if data, err := fs.ReadFile(fsys, "var/lib/rpm/rpmdb.sqlite"); err != nil || len(data) != len(sq) {
		t.Fatalf("the link does not resolve: %v", err)
	}
	pkgs, probs := Catalog(context.Background(), fsys, software.Env{})
	if len(pkgs) != 26 || len(probs) > 0 {
		t.Errorf("%d packages, problems %v", len(pkgs), probs)
	}
	for _, p := range pkgs {
		if p.Location.Path != "/usr/lib/sysimage/rpm/rpmdb.sqlite" {
			t.Errorf("%s read from %s", p.Name, p.Location.Path)
		}
	}
}

// needTool skips the test when a reference tool is missing, or fails it when
// PALISADE_REQUIRE_TOOLS=1 (make test, after hack/test-tools.sh installed them).
func needTool(t *testing.T, tool, debianPackage string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		if os.Getenv("PALISADE_REQUIRE_TOOLS") == "1" {
			t.Fatalf("no %s (hack/test-tools.sh installs Debian's %s)", tool, debianPackage)
		}
		t.Skipf("no %s (apt-get install %s, or hack/test-tools.sh)", tool, debianPackage)
	}
}
