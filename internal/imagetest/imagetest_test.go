package imagetest

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestParseDpkgTruth(t *testing.T) {
	in := "bash\t5.2.15-2+b13\tamd64\tbash\t5.2.15-2\tii \n" +
		"bsdutils\t1:2.38.1-5+deb12u3\tamd64\tutil-linux\t2.38.1-5+deb12u3\tii \n" +
		"oldpkg\t1.0\tall\toldpkg\t1.0\trc \n"
	got, err := ParseDpkgTruth(strings.NewReader(in), "x.tsv")
	if err != nil {
		t.Fatal(err)
	}
	want := []DebPackage{
		{"bash", "5.2.15-2+b13", "amd64", "bash", "5.2.15-2", "ii "},
		{"bsdutils", "1:2.38.1-5+deb12u3", "amd64", "util-linux", "2.38.1-5+deb12u3", "ii "},
		{"oldpkg", "1.0", "all", "oldpkg", "1.0", "rc "},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if !got[0].Installed() || got[2].Installed() {
		t.Errorf("Installed: %v %v, want true false", got[0].Installed(), got[2].Installed())
	}
	if _, err := ParseDpkgTruth(strings.NewReader("bash\t1\n"), "x.tsv"); err == nil || !strings.Contains(err.Error(), "x.tsv:1") {
		t.Errorf("a short line: err %v, want one naming x.tsv:1", err)
	}
}

func TestParseGoVersionM(t *testing.T) {
	out := "/tmp/goapp: go1.26.8\n" +
		"\tpath\texample.com/palisade/goapp\n" +
		"\tmod\texample.com/palisade/goapp\t(devel)\t\n" +
		"\tdep\tgithub.com/gorilla/mux\tv1.7.0\n" +
		"\t=>\tgithub.com/gorilla/mux\tv1.7.1\th1:Dw4j=\n" +
		"\tdep\tgolang.org/x/text\tv0.3.0\th1:g61t=\n" +
		"\tdep\texample.com/local\tv1.0.0\n" +
		"\t=>\t../local\t\n" +
		"\tbuild\t-compiler=gc\n" +
		"\tbuild\tGOARCH=arm64\n" +
		"\tbuild\tGOOS=linux\n"
	b, err := ParseGoVersionM([]byte(out), "x")
	if err != nil {
		t.Fatal(err)
	}
	if b.GoVersion != "go1.26.8" || b.GOOS != "linux" || b.GOARCH != "arm64" {
		t.Errorf("go %q %s/%s", b.GoVersion, b.GOOS, b.GOARCH)
	}
	if b.Main != (GoModule{Path: "example.com/palisade/goapp", Version: "(devel)"}) {
		t.Errorf("main %+v", b.Main)
	}
	want := []GoModule{
		{Path: "github.com/gorilla/mux", Version: "v1.7.1", Replaces: "github.com/gorilla/mux@v1.7.0"},
		{Path: "golang.org/x/text", Version: "v0.3.0"},
		{Path: "../local", Version: "", Replaces: "example.com/local@v1.0.0"},
	}
	if !slices.Equal(b.Deps, want) {
		t.Errorf("deps %+v, want %+v", b.Deps, want)
	}
	if _, err := ParseGoVersionM([]byte("x: go1.2\n\tbogus\tline\n"), "x"); err == nil {
		t.Error("an unknown line: no error")
	}
	for in, want := range map[string]string{"go1.26.8": "v1.26.8", "go1.22": "v1.22.0", "go1.21.3 X:boringcrypto": "v1.21.3"} {
		if got := StdlibVersion(in); got != want {
			t.Errorf("StdlibVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseNPMLs(t *testing.T) {
	data := `{"version":"1.0.0","name":"app","dependencies":{
		"express":{"version":"4.16.0","dependencies":{"debug":{"version":"2.6.9","dependencies":{"ms":{"version":"2.0.0"}}},"ms":{"version":"2.0.0"}}},
		"debug":{"version":"4.1.0","dependencies":{"ms":{"version":"2.1.3"}}},
		"@sindresorhus/is":{"version":"0.7.0"}}}`
	root, pkgs, err := ParseNPMLs([]byte(data), "ls.json")
	if err != nil {
		t.Fatal(err)
	}
	if root != (NPMPackage{"app", "1.0.0"}) {
		t.Errorf("root %v", root)
	}
	want := []NPMPackage{{"@sindresorhus/is", "0.7.0"}, {"debug", "2.6.9"}, {"debug", "4.1.0"}, {"express", "4.16.0"}, {"ms", "2.0.0"}, {"ms", "2.1.3"}}
	if !slices.Equal(pkgs, want) {
		t.Errorf("got %v, want %v", pkgs, want)
	}
	if _, _, err := ParseNPMLs([]byte(`{"name":"a","problems":["missing: x@1"]}`), "ls.json"); err == nil {
		t.Error("npm's problems: no error")
	}
	if _, _, err := ParseNPMLs([]byte(`{"name":"a","dependencies":{"x":{"missing":true}}}`), "ls.json"); err == nil {
		t.Error("a missing package: no error")
	}
}

// entries reads a gzip-compressed layer tar's headers by name.
func entries(t *testing.T, r io.Reader) ([]string, map[string]*tar.Header) {
	t.Helper()
	gz, err := gzip.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var names []string
	hs := map[string]*tar.Header{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		hs[h.Name] = h
	}
	return names, hs
}

// TestLayerTree: a directory's layer keeps owners, setuid and sticky bits, symlinks
// and hardlinks, and leaves out device nodes and FIFOs.
func TestLayerTree(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "usr/bin"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "tmp"), 0o755))
	must(os.Chmod(filepath.Join(dir, "tmp"), 0o777|fs.ModeSticky))
	must(os.WriteFile(filepath.Join(dir, "usr/bin/su"), []byte("su"), 0o755))
	must(os.Chmod(filepath.Join(dir, "usr/bin/su"), 0o755|fs.ModeSetuid))
	must(os.WriteFile(filepath.Join(dir, "usr/bin/perl"), []byte("perl"), 0o755))
	must(os.Link(filepath.Join(dir, "usr/bin/perl"), filepath.Join(dir, "usr/bin/perl5.36")))
	must(os.Symlink("usr/bin", filepath.Join(dir, "bin")))
	must(syscall.Mkfifo(filepath.Join(dir, "tmp/fifo"), 0o644))
	root := os.Geteuid() == 0
	if root {
		must(os.Lchown(filepath.Join(dir, "tmp"), 0, 42))
		must(os.Chown(filepath.Join(dir, "usr/bin/su"), 0, 0))
		must(os.Chmod(filepath.Join(dir, "usr/bin/su"), 0o755|fs.ModeSetuid)) // chown clears setuid
		must(os.WriteFile(filepath.Join(dir, "usr/bin/owned"), []byte("x"), 0o640))
		must(os.Chown(filepath.Join(dir, "usr/bin/owned"), 100, 101))
	}
	file := filepath.Join(t.TempDir(), "l.tar.gz")
	l, err := writeLayer(file, gzip.BestSpeed, func(w *layerWriter) error { return w.tree(dir, "", nil) })
	if err != nil {
		t.Fatal(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	names, hs := entries(t, rc)
	if slices.Contains(names, "tmp/fifo") || slices.Contains(names, "./") || slices.Contains(names, "") {
		t.Errorf("entries %v: want no FIFO and no root entry", names)
	}
	if h := hs["bin"]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "usr/bin" {
		t.Errorf("bin: %+v, want a symlink to usr/bin", h)
	}
	if h := hs["tmp/"]; h == nil || h.Typeflag != tar.TypeDir || h.Mode&0o7777 != 0o1777 {
		t.Errorf("tmp/: %+v, want a sticky 1777 directory", h)
	}
	if h := hs["usr/bin/su"]; h == nil || h.Mode&0o7777 != 0o4755 {
		t.Errorf("usr/bin/su: %+v, want mode 4755", h)
	}
	hp, hl := hs["usr/bin/perl"], hs["usr/bin/perl5.36"]
	if hp == nil || hl == nil || hp.Typeflag != tar.TypeReg || hl.Typeflag != tar.TypeLink || hl.Linkname != "usr/bin/perl" || hl.Size != 0 {
		t.Errorf("perl %+v, perl5.36 %+v: want a file and a hardlink to it", hp, hl)
	}
	if root {
		if h := hs["usr/bin/owned"]; h == nil || h.Uid != 100 || h.Gid != 101 || h.Mode&0o777 != 0o640 || h.Uname != "" {
			t.Errorf("usr/bin/owned: %+v, want 100:101 0640 without names", h)
		}
		if h := hs["tmp/"]; h.Gid != 42 {
			t.Errorf("tmp/ gid %d, want 42", h.Gid)
		}
	}
	if _, err := l.DiffID(); err != nil {
		t.Fatal(err)
	}
}

// TestImages builds the image set from the real artifacts (skipped without them,
// failed with PALISADE_REQUIRE_IMAGES=1) and checks every form with
// go-containerregistry alone: the layers, the config, the secret and its whiteouts,
// the root filesystem's owners and modes, the archives and the registry.
func TestImages(t *testing.T) {
	s := Images(t)
	if len(s.Truth.Deb) < 50 || len(s.Truth.Go.Deps) < 3 || len(s.Truth.NPM.Packages) < 40 || s.Truth.OSRelease["ID"] != "debian" {
		t.Fatalf("ground truth: %d deb packages, %d Go deps, %d npm packages, os-release %v", len(s.Truth.Deb), len(s.Truth.Go.Deps), len(s.Truth.NPM.Packages), s.Truth.OSRelease)
	}
	if s.Truth.GoARM64.GOARCH != "arm64" || s.Truth.Go.GOARCH != "amd64" {
		t.Errorf("binaries for %s and %s, want amd64 and arm64", s.Truth.Go.GOARCH, s.Truth.GoARM64.GOARCH)
	}
	layers, err := s.Image.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 4 {
		t.Fatalf("%d layers, want 4", len(layers))
	}
	cf, err := s.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "root" || cf.Architecture != "amd64" || len(cf.RootFS.DiffIDs) != 4 {
		t.Errorf("config: user %q arch %q %d diffIDs", cf.Config.User, cf.Architecture, len(cf.RootFS.DiffIDs))
	}

	// The root filesystem layer holds every entry of the directory but device nodes,
	// FIFOs and sockets, with its owner, group and mode.
	rc, err := layers[LayerDebian].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	names, hs := entries(t, rc)
	rc.Close()
	onDisk := 0
	setuid, hardlinks := 0, 0
	err = filepath.WalkDir(s.Truth.RootFS, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == s.Truth.RootFS {
			return err
		}
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		if fi.Mode()&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0 {
			return nil
		}
		onDisk++
		rel, _ := filepath.Rel(s.Truth.RootFS, path)
		rel = filepath.ToSlash(rel)
		if fi.IsDir() {
			rel += "/"
		}
		h := hs[rel]
		if h == nil {
			t.Errorf("%s: not in the layer", rel)
			return nil
		}
		st := fi.Sys().(*syscall.Stat_t)
		if h.Uid != int(st.Uid) || h.Gid != int(st.Gid) || fs.FileMode(h.Mode).Perm() != fi.Mode().Perm() {
			t.Errorf("%s: %d:%d %o in the layer, %d:%d %o on disk", rel, h.Uid, h.Gid, h.Mode, st.Uid, st.Gid, fi.Mode().Perm())
		}
		if fi.Mode()&fs.ModeSetuid != 0 {
			setuid++
			if h.Mode&0o4000 == 0 {
				t.Errorf("%s: setuid on disk, not in the layer", rel)
			}
		}
		if h.Typeflag == tar.TypeLink {
			hardlinks++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if onDisk != len(names) {
		t.Errorf("%d entries in the layer, %d on disk", len(names), onDisk)
	}
	if setuid == 0 || hardlinks == 0 {
		t.Errorf("%d setuid files and %d hardlinks in the root filesystem: want some of each", setuid, hardlinks)
	}

	// The secret layer adds the credential files, the next one whites them out.
	for i, want := range map[int][]string{
		LayerApp:    {"app/goapp", "app/package-lock.json", "app/node_modules/express/package.json"},
		LayerSecret: {"root/.ssh/id_ed25519", "root/.aws/credentials"},
		LayerDelete: {"root/.ssh/.wh.id_ed25519", "root/.wh..aws"},
	} {
		rc, err := layers[i].Compressed()
		if err != nil {
			t.Fatal(err)
		}
		names, _ := entries(t, rc)
		rc.Close()
		for _, w := range want {
			if !slices.Contains(names, w) {
				t.Errorf("layer %d: no %s in %v", i, w, names[:min(len(names), 10)])
			}
		}
	}
	for _, f := range SecretFiles {
		if f.Layer != LayerSecret || f.DeletedIn != LayerDelete || !strings.HasPrefix(f.Path, "/root/") {
			t.Errorf("SecretFiles: %+v", f)
		}
	}

	// The archives and the index.
	dimg, err := tarball.ImageFromPath(s.DockerArchive, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameImage(t, "docker archive", dimg, s.Image)
	ociNames := tarNames(t, s.OCIArchive)
	for _, w := range []string{"oci-layout", "index.json"} {
		if !slices.Contains(ociNames, w) {
			t.Errorf("OCI archive: no %s in %v", w, ociNames)
		}
	}
	im, err := s.Index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 2 {
		t.Errorf("index: %d manifests, want 2", len(im.Manifests))
	}
	acf, err := s.ARM64.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if acf.Architecture != "arm64" || acf.Config.User != ARM64User {
		t.Errorf("arm64 image: arch %q user %q", acf.Architecture, acf.Config.User)
	}
	amd, err := platformImage(s.Index, "amd64")
	if err != nil {
		t.Fatal(err)
	}
	sameImage(t, "index's linux/amd64", amd, s.Image)

	// The registry on loopback.
	r := s.Serve(t)
	ref, err := name.ParseReference(r.Image, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	rimg, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	sameImage(t, "registry", rimg, s.Image)
	iref, err := name.ParseReference(r.Index, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	ridx, err := remote.Index(iref)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := ridx.Digest()
	d2, _ := s.Index.Digest()
	if d1 != d2 {
		t.Errorf("registry index %s, want %s", d1, d2)
	}
}

// sameImage: same config and layers (a docker archive has another manifest).
func sameImage(t *testing.T, what string, got, want v1.Image) {
	t.Helper()
	g, err := got.ConfigName()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	w, _ := want.ConfigName()
	if g != w {
		t.Errorf("%s: config %s, want %s", what, g, w)
	}
	gl, err := got.Layers()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if len(gl) != 4 {
		t.Errorf("%s: %d layers, want 4", what, len(gl))
	}
}

func tarNames(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	var names []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
}
