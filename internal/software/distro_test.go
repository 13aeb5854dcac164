package software

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
)

func TestReadDistro(t *testing.T) {
	for _, tc := range []struct {
		name string
		fsys fstest.MapFS
		want *Distro
	}{
		{"none", fstest.MapFS{}, nil},
		{"debian", fstest.MapFS{"etc/os-release": {Data: []byte(`PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
`)}}, &Distro{ID: "debian", VersionID: "12", VersionCodename: "bookworm", PrettyName: "Debian GNU/Linux 12 (bookworm)"}},
		{"lib fallback, quotes and escapes", fstest.MapFS{"usr/lib/os-release": {Data: []byte(`# comment
ID='rhel'
ID_LIKE="fedora  centos"

VERSION_ID=9.3   # trailing comment
PRETTY_NAME="Red Hat \"Enterprise\" \$Linux\\ 9"'!'
not an assignment
`)}}, &Distro{ID: "rhel", IDLike: []string{"fedora", "centos"}, VersionID: "9.3", PrettyName: `Red Hat "Enterprise" $Linux\ 9!`}},
		{"etc wins", fstest.MapFS{"etc/os-release": {Data: []byte("ID=alpine\nVERSION_ID=3.19.1\n")}, "usr/lib/os-release": {Data: []byte("ID=debian\n")}},
			&Distro{ID: "alpine", VersionID: "3.19.1"}},
		{"default ID", fstest.MapFS{"etc/os-release": {Data: []byte("NAME=Linux\n")}}, &Distro{ID: "linux"}},
		{"os-release wins", fstest.MapFS{"etc/os-release": {Data: []byte("ID=debian\nVERSION_ID=12\n")}, "etc/debian_version": {Data: []byte("12.5\n")}},
			&Distro{ID: "debian", VersionID: "12"}},
		{"centos 6", fstest.MapFS{"etc/centos-release": {Data: []byte("CentOS release 6.10 (Final)\n")}, "etc/redhat-release": {Data: []byte("CentOS release 6.10 (Final)\n")}},
			&Distro{ID: "centos", IDLike: []string{"rhel", "fedora"}, VersionID: "6", PrettyName: "CentOS release 6.10 (Final)"}},
		{"rhel 6", fstest.MapFS{"etc/redhat-release": {Data: []byte("Red Hat Enterprise Linux Server release 6.10 (Santiago)\n")}},
			&Distro{ID: "rhel", IDLike: []string{"fedora"}, VersionID: "6.10", PrettyName: "Red Hat Enterprise Linux Server release 6.10 (Santiago)"}},
		{"debian 6", fstest.MapFS{"etc/debian_version": {Data: []byte("6.0.10\n")}}, &Distro{ID: "debian", VersionID: "6", PrettyName: "Debian GNU/Linux 6.0.10"}},
		{"debian sid", fstest.MapFS{"etc/debian_version": {Data: []byte("bookworm/sid\n")}}, &Distro{ID: "debian", PrettyName: "Debian GNU/Linux bookworm/sid"}},
		{"alpine 3.2", fstest.MapFS{"etc/alpine-release": {Data: []byte("3.2.3\n")}}, &Distro{ID: "alpine", VersionID: "3.2.3", PrettyName: "Alpine Linux v3.2.3"}},
		{"unknown redhat-release", fstest.MapFS{"etc/redhat-release": {Data: []byte("Something else\n")}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadDistro(tc.fsys)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestReadDistroTooLarge(t *testing.T) {
	fsys := fstest.MapFS{"usr/lib/os-release": {Data: []byte(strings.Repeat("#", maxOSRelease+1))}}
	_, err := ReadDistro(fsys)
	if err == nil || !strings.Contains(err.Error(), "/usr/lib/os-release") {
		t.Fatalf("err = %v, want an error naming /usr/lib/os-release", err)
	}
	inv := Catalog(context.Background(), fsys, nil)
	if len(inv.Problems) != 1 || inv.Problems[0].Path != "/usr/lib/os-release" || inv.Problems[0].Err != "larger than 65536 bytes" {
		t.Errorf("problems %+v", inv.Problems)
	}
}

// TestReadDistroHost compares with the machine's own os-release as a shell reads it.
func TestReadDistroHost(t *testing.T) {
	d, err := ReadDistro(os.DirFS("/"))
	if err != nil {
		t.Fatal(err)
	}
	if d == nil {
		t.Skip("no os-release on this machine")
	}
	data, _ := os.ReadFile("/etc/os-release")
	if !strings.Contains(string(data), "ID="+d.ID) && !strings.Contains(string(data), `ID="`+d.ID+`"`) {
		t.Errorf("ID %q not in /etc/os-release", d.ID)
	}
}

func FuzzParseOSRelease(f *testing.F) {
	f.Add([]byte("ID=debian\nVERSION_ID=\"12\"\n"))
	f.Add([]byte("PRETTY_NAME='a'\"b\\\"\"c\\\n# x\nID_LIKE=\"a b\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := parseOSRelease(strings.NewReader(string(data)))
		if err == nil && d.ID == "" {
			t.Fatal("empty ID")
		}
	})
}

func BenchmarkReadDistro(b *testing.B) {
	fsys := fstest.MapFS{"etc/os-release": {Data: []byte("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n")}}
	for b.Loop() {
		if _, err := ReadDistro(fsys); err != nil {
			b.Fatal(err)
		}
	}
}

func TestKeepNoAlloc(t *testing.T) {
	Register(Cataloger{Name: "test-keep", Keep: func(name string, _ fs.FileMode, _ int64, _ []byte) bool { return name == "x/kept" }})
	if !Keep("x/kept", 0, 1, nil) || Keep("x/other", 0, 1, nil) || !Keep("etc/os-release", 0, 1, nil) || !Keep("etc/redhat-release", 0, 1, nil) {
		t.Fatal("Keep does not follow the catalogers")
	}
	Register(Cataloger{Name: "test-keep-2", Keep: func(name string, _ fs.FileMode, _ int64, _ []byte) bool { return name == "y/kept" }})
	if !Keep("y/kept", 0, 1, nil) {
		t.Fatal("Keep misses a cataloger registered after the first call")
	}
	if n := testing.AllocsPerRun(100, func() { Keep("usr/bin/ls", 0, 1, nil) }); n != 0 {
		t.Errorf("Keep allocates %v times per call", n)
	}
}

func BenchmarkKeep(b *testing.B) {
	for b.Loop() {
		Keep("usr/share/doc/libc6/copyright", 0o644, 1000, nil)
	}
}

func TestOSPURL(t *testing.T) {
	deb := &Distro{ID: "debian", VersionID: "12"}
	for _, tc := range []struct{ got, want string }{
		{OSPURL(Deb, deb, "libc6", "2.36-9+deb12u4", "amd64", "upstream", "glibc"), "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc"},
		{OSPURL(Deb, nil, "tzdata", "2024a-0+deb12u1", "all"), "pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all"},
		{OSPURL(RPM, &Distro{ID: "rhel", VersionID: "9.3"}, "bash", "5.1.8-6.el9", "x86_64", "epoch", "1"), "pkg:rpm/rhel/bash@5.1.8-6.el9?arch=x86_64&distro=rhel-9.3&epoch=1"},
		{OSPURL(APK, &Distro{ID: "alpine", VersionID: "3.19.1"}, "musl", "1.2.4_git20230717-r4", "x86_64"), "pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %s, want %s", tc.got, tc.want)
		}
	}
}

// fakeLayers is a Layers of one file's versions.
type fakeLayers map[int]string

func (l fakeLayers) LayerOf(string) int { return 9 }
func (l fakeLayers) Versions(string) []Version {
	var vs []Version
	for i := 0; i < 10; i++ {
		if s, ok := l[i]; ok {
			vs = append(vs, Version{Layer: i, Open: func() (fs.File, error) {
				if s == "!" {
					return nil, errors.New("gone")
				}
				return fstest.MapFS{"f": {Data: []byte(s)}}.Open("f")
			}})
		}
	}
	return vs
}

func TestAttribute(t *testing.T) {
	parse := func(r io.Reader) (map[string]string, error) {
		data, err := io.ReadAll(r)
		m := map[string]string{}
		for _, f := range strings.Fields(string(data)) {
			k, v, _ := strings.Cut(f, "=")
			m[k] = v
		}
		return m, err
	}
	final := map[string]string{"a": "1", "b": "2", "c": "1", "d": "1"}
	layers := fakeLayers{0: "a=1 b=1 d=1", 1: "!", 2: "a=1 b=1 d=1", 4: "a=1 b=2 c=1", 5: "a=1 b=2 c=1 d=1"}
	got := Attribute(context.Background(), layers, "f", final, parse)
	want := map[string]int{"a": 2, "b": 4, "c": 4, "d": 5}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got := Attribute(context.Background(), nil, "f", final, parse); got["a"] != -1 {
		t.Errorf("no layers: %v", got)
	}
	if got := Attribute(context.Background(), fakeLayers{}, "f", final, parse); got["a"] != 9 {
		t.Errorf("no versions: %v", got)
	}
}

// TestOpenFileFIFO checks that a named pipe in a root filesystem directory is an
// error, not a read that blocks forever.
func TestOpenFileFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(dir+"/etc", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(dir+"/etc/os-release", 0o644); err != nil {
		t.Skip(err)
	}
	_, err := ReadDistro(os.DirFS(dir))
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("err = %v", err)
	}
	if _, err := OpenFile(fstest.MapFS{"d/f": {}}, "d"); err == nil {
		t.Error("a directory opens")
	}
}

// TestAttributePackages checks the attribution of a file listing packages (npm,
// .NET, PHP) by PURL, and that a version over the size bound stops the walk back.
func TestAttributePackages(t *testing.T) {
	parse := func(b []byte) ([]Package, error) {
		var ps []Package
		for _, f := range strings.Fields(string(b)) {
			ps = append(ps, Package{PURL: f})
		}
		return ps, nil
	}
	pkgs := func() []Package {
		return []Package{{PURL: "a@1", Location: Location{Layer: -1}}, {PURL: "b@2", Location: Location{Layer: -1}}, {PURL: "a@1", Location: Location{Layer: -1}}}
	}
	layers := fakeLayers{0: "a@1", 2: "a@1 b@1", 4: "a@1 b@2", 5: "a@1 b@2 c@3"}
	got := pkgs()
	AttributePackages(context.Background(), layers, "f", got, 100, parse)
	if got[0].Location.Layer != 0 || got[1].Location.Layer != 4 || got[2].Location.Layer != 0 {
		t.Errorf("layers %+v", got)
	}
	got = pkgs()
	AttributePackages(context.Background(), fakeLayers{0: "a@1 " + strings.Repeat("x", 200), 5: "a@1 b@2"}, "f", got, 100, parse)
	if got[0].Location.Layer != 5 {
		t.Errorf("a version over the bound: %+v", got)
	}
	got = pkgs()
	AttributePackages(context.Background(), nil, "f", got, 100, parse)
	if got[0].Location.Layer != -1 {
		t.Errorf("no layers: %+v", got)
	}
	// A version that cannot be opened stops the walk back.
	if got := Attribute(context.Background(), nilOpen{}, "f", map[string]string{"a": "1"}, nil); got["a"] != 3 {
		t.Errorf("nil Open: %v", got)
	}
}

// nilOpen is a Layers whose older version has no Open.
type nilOpen struct{}

func (nilOpen) LayerOf(string) int { return 3 }
func (nilOpen) Versions(string) []Version {
	return []Version{{Layer: 1}, {Layer: 3, Open: func() (fs.File, error) { return nil, errors.New("final") }}}
}
