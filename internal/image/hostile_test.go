package image

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/palisade-k8s/palisade/internal/inventory"
)

// TestHostileLayers: every entry that would escape the root or that cannot be
// applied safely is a *LayerError naming the image, the layer digest and the entry.
func TestHostileLayers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		layers [][]te
		entry  string
		layer  int
		err    error
	}{
		{"dot-dot traversal", [][]te{{file("../../etc/x", "1")}}, "../../etc/x", 0, errEscape},
		{"traversal inside a name", [][]te{{file("a/../../x", "1")}}, "a/../../x", 0, errEscape},
		{"absolute traversal", [][]te{{file("/../etc/x", "1")}}, "/../etc/x", 0, errEscape},
		{"symlinked parent escapes", [][]te{{symlink("evil", "../../..")}, {file("evil/etc/x", "1")}}, "evil/etc/x", 1, errEscape},
		{"absolute symlinked parent escapes", [][]te{{symlink("evil", "/../../etc")}, {file("evil/x", "1")}}, "evil/x", 1, errEscape},
		{"chained symlinks escape", [][]te{{symlink("a", "b/.."), symlink("b", "c/../.."), dir("c/")}, {file("a/x", "1")}}, "a/x", 1, errEscape},
		{"symlink loop in a parent", [][]te{{symlink("a", "b"), symlink("b", "a")}, {file("a/x", "1")}}, "a/x", 1, errLoop},
		{"hardlink to a missing target", [][]te{{hardlink("h", "nothere")}}, "h", 0, errHardlink},
		{"hardlink outside the root", [][]te{{hardlink("h", "../../etc/passwd")}}, "h", 0, errEscape},
		{"hardlink to a directory", [][]te{{dir("d/"), hardlink("h", "d")}}, "h", 0, errHardDir},
		{"hardlink to a later entry", [][]te{{hardlink("h", "f"), file("f", "1")}}, "h", 0, errHardlink},
		{"parent is a file", [][]te{{file("a", "1"), file("a/b", "2")}}, "a/b", 0, errNotDir},
		{"whiteout of dot-dot", [][]te{{dir("a/")}, {whiteout("a/.wh..."), whiteout("a/.wh..")}}, "a/.wh...", 1, errWhiteout},
		{"root replaced by a file", [][]te{{file(".", "")}}, ".", 0, errRootType},
		{"name too long", [][]te{{file(strings.Repeat("a/", 2100)+"x", "")}}, strings.Repeat("a/", 2100) + "x", 0, errTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := readLayers(t, Options{}, tc.layers...)
			if err == nil {
				f.Close()
				t.Fatal("hostile layer accepted")
			}
			var le *LayerError
			if !errors.As(err, &le) {
				t.Fatalf("%v is not a *LayerError", err)
			}
			if le.Image != "test-image" || le.Layer != layerDigest(tc.layer) || le.Entry != tc.entry || !errors.Is(err, tc.err) {
				t.Errorf("got %q (image %q layer %q entry %q), want layer %s entry %q: %v", err, le.Image, le.Layer, le.Entry, layerDigest(tc.layer), tc.entry, tc.err)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	bomb := gz(t, layerTar(t, zeros("zeros", 8<<20)))
	if len(bomb) > 64<<10 {
		t.Fatalf("bomb is %d bytes", len(bomb))
	}
	_, err := rawImage(bomb).Read(context.Background(), Options{Limits: Limits{MaxLayerBytes: 1 << 20}})
	if !errors.Is(err, errUncompressedLimit) {
		t.Fatalf("gzip bomb: %v", err)
	}
	var le *LayerError
	if !errors.As(err, &le) || le.Layer != layerDigest(0) {
		t.Errorf("gzip bomb error %v", err)
	}
	two := gz(t, layerTar(t, zeros("z", 600<<10)))
	if _, err := rawImage(two, two).Read(context.Background(), Options{Limits: Limits{MaxImageBytes: 1 << 20}}); !errors.Is(err, errUncompressedLimit) {
		t.Errorf("image limit: %v", err)
	}
	if f, err := rawImage(two, two).Read(context.Background(), Options{Limits: Limits{MaxImageBytes: 2 << 20}}); err != nil {
		t.Errorf("under the image limit: %v", err)
	} else {
		f.Close()
	}
	many := []te{file("a", ""), file("b", ""), file("c", "")}
	if _, err := readLayers(t, Options{Limits: Limits{MaxEntries: 2}}, many); err == nil || !strings.Contains(err.Error(), "more than 2 entries") {
		t.Errorf("entries limit: %v", err)
	}
	f, err := readLayers(t, Options{Limits: Limits{MaxKeptFileBytes: 4, MaxKeptBytes: 6}}, []te{file("big", "12345"), file("a", "1234"), file("b", "1234"), file("c", "12")})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for name, kept := range map[string]bool{"big": false, "a": true, "b": false, "c": true} {
		_, err := f.Open(name)
		if kept != (err == nil) || (!kept && !errors.Is(err, inventory.ErrNotKept)) {
			t.Errorf("%s: kept %v, open: %v", name, kept, err)
		}
	}
	var notices []string
	for _, n := range f.Notices() {
		notices = append(notices, n.Entry+": "+n.Err.Error())
	}
	if len(notices) != 2 || !strings.HasPrefix(notices[0], "big: ") || !strings.HasPrefix(notices[1], "b: ") {
		t.Errorf("notices %q", notices)
	}
}

func TestDeviceNotice(t *testing.T) {
	f, err := readLayers(t, Options{}, []te{{name: "dev/sda", typ: tar.TypeBlock}})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if len(f.Notices()) != 1 || f.Notices()[0].Entry != "dev/sda" || !errors.Is(f.Notices()[0], errDevice) {
		t.Errorf("notices %v", f.Notices())
	}
	if _, err := f.Open("dev/sda"); err == nil {
		t.Error("a device opens")
	}
}

// TestReadTimeSymlinks: symlinks resolve inside the image root like in a container
// (".." stops at the root), never on the host.
func TestReadTimeSymlinks(t *testing.T) {
	f, err := readLayers(t, Options{}, []te{
		file("etc/passwd", "image-passwd"),
		symlink("usr/evil", "../../../../../../etc/passwd"),
		symlink("usr/abs", "/etc/passwd"),
		symlink("usr/host", "/etc/shadow"),
		symlink("loop1", "loop2"), symlink("loop2", "loop1"),
		symlink("self", "self"),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range []string{"usr/evil", "usr/abs"} {
		if b, err := fs.ReadFile(f, p); err != nil || string(b) != "image-passwd" {
			t.Errorf("%s: %q %v", p, b, err)
		}
	}
	for _, p := range []string{"usr/host", "loop1", "self", "loop1/x"} {
		if _, err := f.Open(p); err == nil {
			t.Errorf("%s opens", p)
		}
	}
	if _, err := f.Open("../etc/passwd"); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("invalid path: %v", err)
	}
}

func TestRootFS(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "etc"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "etc/os-release"), []byte("ID=x\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, ".wh.literal"), []byte("w"), 0o644))
	must(os.Symlink("/etc/hostname", filepath.Join(dir, "hostlink")))                    // absolute: the rootfs's, absent
	must(os.Symlink("../../../../../../etc/hostname", filepath.Join(dir, "etc/escape"))) // clamped at the root
	must(os.Symlink("os-release", filepath.Join(dir, "etc/rel")))
	img, err := OpenRootFS(dir)
	must(err)
	if img.Source != "rootfs" || img.Ref != dir || len(img.Layers) != 1 {
		t.Errorf("info %+v", img.ImageInfo)
	}
	f, err := img.Read(context.Background(), Options{Keep: keepAll, TempDir: t.TempDir()})
	must(err)
	defer f.Close()
	got := view(t, f)
	want := []string{".wh.literal=w", "etc/", "etc/escape->../../../../../../etc/hostname", "etc/os-release=ID=x\n", "etc/rel->os-release", "hostlink->/etc/hostname"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("view %q\nwant %q", got, want)
	}
	for _, p := range []string{"hostlink", "etc/escape"} {
		if _, err := f.Open(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: %v (must not reach the host)", p, err)
		}
	}
	if b, err := fs.ReadFile(f, "etc/rel"); err != nil || string(b) != "ID=x\n" {
		t.Errorf("etc/rel %q %v", b, err)
	}
	if _, err := OpenRootFS(filepath.Join(dir, "etc/os-release")); err == nil {
		t.Error("a file as a rootfs")
	}
}

func TestCompressions(t *testing.T) {
	raw := layerTar(t, file("etc/z", "zstd"))
	var zbuf bytes.Buffer
	zw, err := zstd.NewWriter(&zbuf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := rawImage(gz(t, layerTar(t, file("etc/g", "gzip"))), zbuf.Bytes(), layerTar(t, file("etc/p", "plain"))).Read(context.Background(), Options{Keep: keepAll, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(view(t, f), " "); got != "etc/ etc/g=gzip etc/p=plain etc/z=zstd" {
		t.Errorf("view %s", got)
	}
	if _, err := rawImage([]byte("BZh91AY&SY")).Read(context.Background(), Options{}); err == nil || !strings.Contains(err.Error(), "unsupported layer compression") {
		t.Errorf("bzip2: %v", err)
	}
	if _, err := rawImage([]byte{0x1f, 0x8b, 0, 0}).Read(context.Background(), Options{}); err == nil {
		t.Error("truncated gzip accepted")
	}
}
