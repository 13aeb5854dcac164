package golang

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/palisade-k8s/palisade/internal/software"
)

// goVersionM is the ground truth: the modules `go version -m` lists for a binary,
// with the rules of the package doc applied (replacements, "(devel)", stdlib), as
// "path@version" strings.
func goVersionM(t *testing.T, bin string) []string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	out, err := exec.Command(goTool, "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m %s: %v", bin, err)
	}
	var mods []string
	lines := strings.Split(string(out), "\n")
	first := strings.Fields(lines[0])
	if v := StdlibVersion(first[len(first)-1]); v != "" {
		mods = append(mods, "stdlib@"+v)
	}
	for _, line := range lines[1:] {
		f := strings.Split(strings.TrimPrefix(line, "\t"), "\t")
		switch f[0] {
		case "mod":
			if f[2] == "(devel)" {
				f[2] = ""
			}
			mods = append(mods, f[1]+"@"+f[2])
		case "dep":
			mods = append(mods, f[1]+"@"+f[2])
		case "=>":
			// The replacement replaces the dependency listed just before.
			last := mods[len(mods)-1]
			if len(f) < 3 || f[2] == "" || f[2] == "(devel)" {
				mods[len(mods)-1] = last[:strings.LastIndexByte(last, '@')+1]
			} else {
				mods[len(mods)-1] = f[1] + "@" + f[2]
			}
		}
	}
	sort.Strings(mods)
	return mods
}

func names(pkgs []software.Package) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, p.Name+"@"+p.Version)
	}
	sort.Strings(out)
	return out
}

func catalogBinary(t *testing.T, bin string, fsys func(b []byte) fs.FS) []software.Package {
	t.Helper()
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	pkgs, probs := Catalog(context.Background(), fsys(b), software.Env{})
	if len(probs) != 0 {
		t.Fatalf("problems: %v", probs)
	}
	for _, p := range pkgs {
		if p.Location.Path != "/usr/local/bin/app" || p.Location.Layer != -1 {
			t.Errorf("%s: location %+v", p.Name, p.Location)
		}
	}
	return pkgs
}

func mapFS(b []byte) fs.FS {
	return fstest.MapFS{
		"usr/local/bin/app": {Data: b, Mode: 0o755},
		"usr/local/bin/sh":  {Data: []byte("#!/bin/sh\n" + strings.Repeat("x", 100)), Mode: 0o755},
		"etc/passwd":        {Data: b, Mode: 0o644}, // not executable, not in a bin dir
	}
}

// TestTestBinaryMatchesGoVersionM compares the cataloger's modules of the running
// test binary (which has build information and real dependencies) with `go version
// -m` on the same file.
func TestTestBinaryMatchesGoVersionM(t *testing.T) {
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	want := goVersionM(t, bin)
	got := names(catalogBinary(t, bin, mapFS))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("cataloged:\n%s\ngo version -m:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestBuiltProgram builds testdata/app (a local-directory replacement, -trimpath)
// and compares with `go version -m`, reading the file without io.ReaderAt too.
func TestBuiltProgram(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	bin := filepath.Join(t.TempDir(), "app")
	cmd := exec.Command(goTool, "build", "-trimpath", "-o", bin, ".")
	cmd.Dir = filepath.Join("testdata", "app")
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly -buildvcs=false", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	want := goVersionM(t, bin)
	for name, fsys := range map[string]func([]byte) fs.FS{"ReaderAt": mapFS, "stream": func(b []byte) fs.FS { return streamFS{mapFS(b)} }} {
		got := catalogBinary(t, bin, fsys)
		if g := names(got); strings.Join(g, "\n") != strings.Join(want, "\n") || !contains(g, "github.com/package-url/packageurl-go@v0.1.7") {
			t.Errorf("%s: cataloged %v, go version -m %v", name, g, want)
		}
		for _, p := range got {
			if p.Name == "example.com/app" && (p.Version != "" || p.PURL != "pkg:golang/example.com/app") {
				t.Errorf("main module: %+v", p)
			}
			if p.Name == "example.com/dep" && p.Version != "" {
				t.Errorf("local replacement: %+v", p)
			}
			if p.Name == "stdlib" && !strings.HasPrefix(p.PURL, "pkg:golang/stdlib@v1.") {
				t.Errorf("stdlib: %+v", p)
			}
			if p.Name == "github.com/package-url/packageurl-go" && p.PURL != "pkg:golang/github.com/package-url/packageurl-go@v0.1.7" {
				t.Errorf("real dependency: %+v", p)
			}
			if p.Ecosystem != software.Golang || p.Arch == "" {
				t.Errorf("%+v", p)
			}
		}
	}
}

// streamFS hides io.ReaderAt and io.Seeker of its files.
type streamFS struct{ fs.FS }

type streamFile struct{ f fs.File }

func (s streamFile) Stat() (fs.FileInfo, error) { return s.f.Stat() }
func (s streamFile) Read(b []byte) (int, error) { return s.f.Read(b) }
func (s streamFile) Close() error               { return s.f.Close() }

func (s streamFS) Open(name string) (fs.File, error) {
	f, err := s.FS.Open(name)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return f, nil
	}
	return streamFile{f}, nil
}

func TestPackagesReplacements(t *testing.T) {
	bi, err := debug.ParseBuildInfo("go\tgo1.21rc2 X:boringcrypto\n" +
		"path\texample.com/cmd/app\n" +
		"mod\texample.com\tv1.0.0\th1:aaaa\n" +
		"dep\tgithub.com/a/b\tv1.2.3\th1:bbbb\n" +
		"=>\tgithub.com/fork/b\tv1.2.4-fix\th1:cccc\n" +
		"dep\tgolang.org/x/net\tv0.0.0-20220906165146-f3363e06e74c\th1:dddd\n" +
		"dep\tgithub.com/c/d\tv0.1.0\th1:eeee\n" +
		"=>\t../d\t(devel)\t\n" +
		"build\tGOARCH=arm64\n")
	if err != nil {
		t.Fatal(err)
	}
	bi.GoVersion = "go1.21rc2 X:boringcrypto"
	got := Packages(bi)
	var purls []string
	for _, p := range got {
		purls = append(purls, p.PURL)
		if p.Arch != "arm64" {
			t.Errorf("%s arch %q", p.Name, p.Arch)
		}
	}
	want := []string{
		"pkg:golang/example.com@v1.0.0",
		"pkg:golang/github.com/fork/b@v1.2.4-fix",
		"pkg:golang/golang.org/x/net@v0.0.0-20220906165146-f3363e06e74c",
		"pkg:golang/github.com/c/d",
		"pkg:golang/stdlib@v1.21.0-rc.2",
	}
	if strings.Join(purls, " ") != strings.Join(want, " ") {
		t.Errorf("got  %v\nwant %v", purls, want)
	}
}

func TestStdlibVersion(t *testing.T) {
	for in, want := range map[string]string{
		"go1.21.3":               "v1.21.3",
		"go1.21":                 "v1.21.0",
		"go1.20":                 "v1.20.0",
		"go1":                    "v1.0.0",
		"go1.19beta1":            "v1.19.0-beta.1",
		"go1.22.1 X:loopvar":     "v1.22.1",
		"go1.20.4-bigcorp":       "v1.20.4",
		"devel go1.23-abcdef Tu": "",
		"":                       "",
		"gox":                    "",
	} {
		if got := StdlibVersion(in); got != want {
			t.Errorf("StdlibVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestKeep(t *testing.T) {
	elf := []byte("\x7fELF\x02\x01\x01")
	for _, c := range []struct {
		name string
		mode fs.FileMode
		size int64
		head []byte
		want bool
	}{
		{"usr/bin/kubectl", 0o755, 1 << 20, elf, true},
		{"app/server", 0o700, 1 << 20, elf, true},
		{"usr/local/bin/noexec", 0o644, 1 << 20, elf, true},
		{"usr/lib/libc.so", 0o644, 1 << 20, elf, false},
		{"usr/bin/script", 0o755, 1 << 20, []byte("#!/bin/sh"), false},
		{"app/win.exe", 0o644, 1 << 20, []byte("MZ\x90"), true},
		{"app/mac", 0o755, 1 << 20, []byte("\xcf\xfa\xed\xfe"), true},
		{"usr/bin/huge", 0o755, MaxBinarySize + 1, elf, false},
		{"usr/bin/link", fs.ModeSymlink | 0o777, 10, elf, false},
	} {
		if got := Keep(c.name, c.mode, c.size, c.head); got != c.want {
			t.Errorf("Keep(%s) = %v", c.name, got)
		}
	}
}

// TestMalformed: a truncated Go binary is a problem naming it, other files go on.
func TestMalformed(t *testing.T) {
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"bin/good":    {Data: b, Mode: 0o755},
		"bin/garbage": {Data: append([]byte("\x7fELF"), bytes.Repeat([]byte{0xff}, 200)...), Mode: 0o755},
	}
	// Cut the build information blob in the middle.
	if i := bytes.Index(b, []byte("\xff Go buildinf:")); i > 0 {
		cut := append([]byte(nil), b...)
		copy(cut[i+32:], bytes.Repeat([]byte{0xff}, 64))
		fsys["bin/cut"] = &fstest.MapFile{Data: cut, Mode: 0o755}
	}
	pkgs, probs := Catalog(context.Background(), fsys, software.Env{})
	var good int
	for _, p := range pkgs {
		if p.Location.Path == "/bin/good" {
			good++
		}
	}
	if good == 0 {
		t.Errorf("the good binary was not read: %v", probs)
	}
	for _, p := range probs {
		if p.Path != "/bin/cut" {
			t.Errorf("unexpected problem %+v", p)
		}
	}
}

type layers struct{}

func (layers) LayerOf(name string) int {
	if name == "usr/local/bin/app" {
		return 2
	}
	return -1
}
func (layers) Versions(string) []software.Version { return nil }

func TestLayer(t *testing.T) {
	bin, _ := os.Executable()
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	pkgs, _ := Catalog(context.Background(), mapFS(b), software.Env{Layers: layers{}})
	if len(pkgs) == 0 || pkgs[0].Location.Layer != 2 {
		t.Errorf("layer: %+v", pkgs)
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte("\x7fELF\x02\x01\x01\x00"))
	f.Add([]byte("MZ\x90\x00"))
	f.Add([]byte("\xcf\xfa\xed\xfe\x07\x00\x00\x01"))
	if bin, err := os.Executable(); err == nil {
		if b, err := os.ReadFile(bin); err == nil && len(b) > 4096 {
			f.Add(b[:4096])
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		bi, err := Read(bytes.NewReader(b))
		if err == nil && bi != nil {
			_ = Packages(bi)
		}
	})
}

func BenchmarkCatalog(b *testing.B) {
	bin, _ := os.Executable()
	data, err := os.ReadFile(bin)
	if err != nil {
		b.Fatal(err)
	}
	fsys := mapFS(data)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if pkgs, _ := Catalog(context.Background(), fsys, software.Env{}); len(pkgs) == 0 {
			b.Fatal("no packages")
		}
	}
}

// countFS counts the files opened.
type countFS struct {
	fs.FS
	opens *int
}

func (c countFS) Open(name string) (fs.File, error) {
	f, err := c.FS.Open(name)
	if err == nil {
		if st, _ := f.Stat(); st != nil && !st.IsDir() {
			*c.opens++
		}
	}
	return f, err
}

// TestOnlyCandidatesOpened: files that cannot be binaries by name and mode are
// never opened, and an ELF file without Go's sections is not searched.
func TestOnlyCandidatesOpened(t *testing.T) {
	fsys := fstest.MapFS{}
	for i := 0; i < 50; i++ {
		fsys["usr/share/doc/f"+string(rune('a'+i%26))+strings.Repeat("x", i/26)] = &fstest.MapFile{Data: []byte("\x7fELF..."), Mode: 0o644}
	}
	n := 0
	if pkgs, _ := Catalog(context.Background(), countFS{fsys, &n}, software.Env{}); len(pkgs) != 0 || n != 0 {
		t.Errorf("%d packages, %d files opened", len(pkgs), n)
	}
	for _, name := range []string{"/bin/ls", "/usr/bin/env", "/bin/true"} {
		b, err := os.ReadFile(name)
		if err != nil || !bytes.HasPrefix(b, []byte("\x7fELF")) || bytes.Contains(b, []byte("\xff Go buildinf:")) {
			continue
		}
		if mayBeGo(bytes.NewReader(b)) {
			t.Errorf("%s may be Go", name)
		}
		self, _ := os.Executable()
		sb, err := os.ReadFile(self)
		if err != nil || !mayBeGo(bytes.NewReader(sb)) {
			t.Errorf("the test binary is not Go: %v", err)
		}
		return
	}
	t.Log("no non-Go ELF executable on this machine")
}
