package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/palisade-k8s/palisade/internal/inventory"
)

func TestApplySemantics(t *testing.T) {
	for _, tc := range []struct {
		name   string
		layers [][]te
		want   []string
	}{{
		name:   "implied parents and name forms",
		layers: [][]te{{file("a/b/c", "1"), file("./d", "2"), file("/e", "3")}},
		want:   []string{"a/", "a/b/", "a/b/c=1", "d=2", "e=3"},
	}, {
		name:   "whiteout of a file",
		layers: [][]te{{file("a/b", "1"), file("a/c", "2")}, {whiteout("a/.wh.b")}},
		want:   []string{"a/", "a/c=2"},
	}, {
		name:   "whiteout of a directory",
		layers: [][]te{{file("a/b/c", "1"), file("x", "2")}, {whiteout(".wh.a")}},
		want:   []string{"x=2"},
	}, {
		name:   "whiteout then the same name in the same layer",
		layers: [][]te{{file("a/old", "1")}, {whiteout(".wh.a"), file("a/new", "2")}},
		want:   []string{"a/", "a/new=2"},
	}, {
		name:   "whiteout after the same layer's entry hides only lower layers",
		layers: [][]te{{file("a/old", "1")}, {file("a/new", "2"), whiteout(".wh.a")}},
		want:   []string{"a/", "a/new=2"},
	}, {
		name:   "opaque directory",
		layers: [][]te{{file("a/x", "1"), file("a/y/z", "2")}, {dir("a/"), whiteout("a/.wh..wh..opq"), file("a/n", "3")}},
		want:   []string{"a/", "a/n=3"},
	}, {
		name:   "opaque marker after the same layer's entries",
		layers: [][]te{{file("a/x", "1")}, {file("a/n", "3"), whiteout("a/.wh..wh..opq")}},
		want:   []string{"a/", "a/n=3"},
	}, {
		name:   "whiteout of a missing name",
		layers: [][]te{{file("a", "1")}, {whiteout("b/.wh.c"), whiteout(".wh.zz")}},
		want:   []string{"a=1"},
	}, {
		name:   "a file replaces a directory",
		layers: [][]te{{file("a/b", "1")}, {file("a", "2")}},
		want:   []string{"a=2"},
	}, {
		name:   "a directory replaces a file",
		layers: [][]te{{file("a", "1")}, {file("a/b", "2")}},
		want:   nil, // parent is not a directory: see TestHostileLayers
	}, {
		name:   "a directory over a directory keeps the children",
		layers: [][]te{{file("a/b", "1")}, {withMode(dir("a/"), 0o700)}},
		want:   []string{"a/", "a/b=1"},
	}, {
		name:   "hardlink shares content and survives its target",
		layers: [][]te{{file("a", "x"), hardlink("b", "a"), hardlink("c", "/b")}, {whiteout(".wh.a")}},
		want:   []string{"b=x", "c=x"},
	}, {
		name:   "symlinked parent lands inside the root",
		layers: [][]te{{dir("usr/lib/"), symlink("lib", "usr/lib"), symlink("abs", "/usr/lib")}, {file("lib/x.so", "1"), file("abs/y.so", "2")}},
		want:   []string{"abs->/usr/lib", "lib->usr/lib", "usr/", "usr/lib/", "usr/lib/x.so=1", "usr/lib/y.so=2"},
	}, {
		name:   "dangling symlinked parent: directories are made at its target",
		layers: [][]te{{symlink("d", "elsewhere")}, {file("d/f", "1")}},
		want:   []string{"d->elsewhere", "elsewhere/", "elsewhere/f=1"},
	}, {
		name:   "a directory replaces a symlink",
		layers: [][]te{{symlink("d", "elsewhere")}, {dir("d/")}},
		want:   []string{"d/"},
	}, {
		name:   "device nodes and fifos are recorded",
		layers: [][]te{{{name: "dev/null", typ: tar.TypeChar}, {name: "p", typ: tar.TypeFifo}}},
		want:   []string{"dev/", "dev/null!", "p!"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := readLayers(t, Options{}, tc.layers...)
			if tc.want == nil {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := view(t, f); !slices.Equal(got, tc.want) {
				t.Errorf("view:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestWalkVisibleAndVersions(t *testing.T) {
	f, err := readLayers(t, Options{},
		[]te{file("etc/secret", "v0"), file("etc/keep", "k0")},
		[]te{file("etc/secret", "v1")},
		[]te{whiteout("etc/.wh.secret")},
	)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vis []string
	_ = f.Walk(func(e *inventory.ImageEntry) error {
		if e.Path == "/etc/secret" {
			vis = append(vis, fmt.Sprintf("%s %s by %d", e.Path, map[bool]string{true: "visible", false: "gone"}[e.Visible], e.HiddenBy))
			r, err := f.OpenVersion(e)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(r)
			if want := "v" + string(rune('0'+e.Layer)); string(b) != want {
				t.Errorf("OpenVersion layer %d = %q, want %q", e.Layer, b, want)
			}
		}
		return nil
	})
	// Layer 1 replaced layer 0's version; layer 2's whiteout removed layer 1's.
	if want := []string{"/etc/secret gone by 1", "/etc/secret gone by 2"}; !slices.Equal(vis, want) {
		t.Errorf("Walk: %q, want %q", vis, want)
	}
	if _, err := f.Open("etc/secret"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("deleted file opens: %v", err)
	}
	vs := f.Versions("etc/secret")
	if len(vs) != 2 || vs[0].Layer != 0 || vs[1].Layer != 1 {
		t.Fatalf("Versions = %+v", vs)
	}
	if got := f.LayerOf("etc/keep"); got != 0 {
		t.Errorf("LayerOf(etc/keep) = %d", got)
	}
	if got := f.LayerOf("etc/secret"); got != -1 {
		t.Errorf("LayerOf(deleted) = %d", got)
	}
	if got := f.Versions("/etc/keep"); len(got) != 1 {
		t.Errorf("Versions(/etc/keep) = %v", got)
	}
}

func TestNotKept(t *testing.T) {
	keep := func(name string, _ fs.FileMode, _ int64, head []byte) bool {
		return name == "kept" || strings.HasPrefix(string(head), "\x7fELF")
	}
	f, err := readLayers(t, Options{Keep: keep}, []te{file("kept", "a"), file("skipped", "b"), withMode(file("bin/app", "\x7fELF..."), 0o4755)})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Open("skipped"); !errors.Is(err, inventory.ErrNotKept) {
		t.Errorf("open of a file not kept: %v, want ErrNotKept", err)
	}
	st, err := f.Stat("skipped")
	if err != nil || st.Size() != 1 {
		t.Errorf("Stat of a file not kept: %v %v", st, err)
	}
	if b, err := fs.ReadFile(f, "bin/app"); err != nil || string(b) != "\x7fELF..." {
		t.Errorf("kept by head: %q %v", b, err)
	}
	st, _ = f.Stat("bin/app")
	if st.Mode()&fs.ModeSetuid == 0 || st.Mode().Perm() != 0o755 {
		t.Errorf("mode %v", st.Mode())
	}
}

func TestFSConformance(t *testing.T) {
	big := strings.Repeat("z", memFileMax+10) // spilled to the temporary file
	f, err := readLayers(t, Options{},
		[]te{file("etc/os-release", "ID=test\n"), file("usr/bin/big", big), symlink("bin", "usr/bin"), dir("empty/")},
		[]te{file("usr/lib/x", "x"), hardlink("usr/lib/y", "usr/lib/x")},
	)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := fstest.TestFS(f, "etc/os-release", "usr/bin/big", "usr/lib/y"); err != nil {
		t.Fatal(err)
	}
	r, err := f.Open("bin/big")
	if err != nil {
		t.Fatal(err)
	}
	ra, ok := r.(io.ReaderAt)
	if !ok {
		t.Fatal("kept file is not an io.ReaderAt")
	}
	if _, ok := r.(io.Seeker); !ok {
		t.Fatal("kept file is not an io.Seeker")
	}
	b := make([]byte, 3)
	if _, err := ra.ReadAt(b, int64(len(big)-3)); err != nil || string(b) != "zzz" {
		t.Errorf("ReadAt: %q %v", b, err)
	}
}

func TestTempDirPrivateAndRemoved(t *testing.T) {
	tmp := t.TempDir()
	big := strings.Repeat("q", memFileMax*2)
	_, err := readLayers(t, Options{TempDir: tmp}, []te{file("../../../../tmp/evil", "")}, nil)
	if err == nil {
		t.Fatal("traversal accepted")
	}
	f, err := readLayers(t, Options{TempDir: tmp}, []te{file("a/big", big)})
	if err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(tmp)
	if len(ents) != 1 || !strings.HasPrefix(ents[0].Name(), "palisade-image-") {
		t.Fatalf("temporary directory: %v", ents)
	}
	st, _ := os.Stat(tmp + "/" + ents[0].Name())
	if st.Mode().Perm() != 0o700 {
		t.Errorf("temporary directory mode %v", st.Mode())
	}
	inner, _ := os.ReadDir(tmp + "/" + ents[0].Name())
	if len(inner) != 1 || inner[0].Name() != "content" {
		t.Errorf("spill files named after entries? %v", inner)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("Close left %v", ents)
	}
}
