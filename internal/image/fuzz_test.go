package image

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/inventory"
)

// FuzzApply applies fuzzed tar streams as two layers (the input split at a 0x00
// 0xff marker, if any) and checks that nothing panics, every error is a
// *LayerError, and the result is a consistent filesystem.
func FuzzApply(f *testing.F) {
	seeds := [][][]te{
		{{file("a/b", "1"), symlink("l", "a"), hardlink("h", "a/b")}, {whiteout("a/.wh.b"), file("l/c", "2")}},
		{{dir("d/"), file("d/x", "1")}, {whiteout("d/.wh..wh..opq"), file("d/y", "2")}},
		{{symlink("e", "../.."), file("../x", "1")}, {file("e/x", "1")}},
		{{{name: "dev/null", typ: tar.TypeChar}, symlink("s", "/s")}, {file("s/x", "")}},
	}
	for _, s := range seeds {
		var in []byte
		for i, l := range s {
			if i > 0 {
				in = append(in, 0x00, 0xff, 0x00, 0xff)
			}
			in = append(in, layerTar(f, l...)...)
		}
		f.Add(in)
	}
	f.Add(gz(f, layerTar(f, file("a", "1"), hardlink("b", "a"), whiteout(".wh.a"))))
	tmp := f.TempDir()
	f.Fuzz(func(t *testing.T, in []byte) {
		parts := bytes.SplitN(in, []byte{0x00, 0xff, 0x00, 0xff}, 2)
		img := rawImage(parts...)
		fsys, err := img.Read(context.Background(), Options{
			Keep:    func(name string, _ fs.FileMode, _ int64, _ []byte) bool { return len(name)%2 == 0 },
			TempDir: tmp,
			Limits:  Limits{MaxLayerBytes: 1 << 20, MaxImageBytes: 2 << 20, MaxEntries: 1000, MaxKeptFileBytes: 64 << 10, MaxKeptBytes: 1 << 20},
		})
		if err != nil {
			var le *LayerError
			if !errors.As(err, &le) {
				t.Fatalf("%v is not a *LayerError", err)
			}
			return
		}
		defer fsys.Close()
		checkConsistent(t, fsys)
	})
}

// checkConsistent walks the merged view and every entry: paths are clean and
// absolute, visible entries are reachable, kept content has its size.
func checkConsistent(t *testing.T, f *FS) {
	t.Helper()
	err := fs.WalkDir(f, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walk %s: %w", p, err)
		}
		if d.Type().IsRegular() {
			r, err := f.Open(p)
			if errors.Is(err, inventory.ErrNotKept) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("open %s: %w", p, err)
			}
			st, _ := r.Stat()
			n, err := io.Copy(io.Discard, r)
			if err != nil || n != st.Size() {
				return fmt.Errorf("read %s: %d of %d: %v", p, n, st.Size(), err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = f.Walk(func(e *inventory.ImageEntry) error {
		if !strings.HasPrefix(e.Path, "/") || strings.Contains(e.Path, "//") || strings.Contains(e.Path+"/", "/../") || strings.Contains(e.Path+"/", "/./") {
			t.Fatalf("unclean entry path %q", e.Path)
		}
		if e.Visible && e.Path != "/" {
			if _, err := f.Lstat(e.Path[1:]); err != nil {
				t.Fatalf("visible entry %q not in the view: %v", e.Path, err)
			}
		}
		if e.Kept {
			if _, err := f.OpenVersion(e); err != nil {
				t.Fatalf("kept entry %q: %v", e.Path, err)
			}
		}
		return nil
	})
}
