package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/inventory"
)

// te is one tar entry of a test layer: "name" regular with body, "name/" a
// directory, typ overrides.
type te struct {
	name string
	body string
	typ  byte
	link string
	mode int64
	size int64 // for bodiless big entries (zeros)
}

func file(name, body string) te        { return te{name: name, body: body, typ: tar.TypeReg} }
func dir(name string) te               { return te{name: name, typ: tar.TypeDir} }
func symlink(name, target string) te   { return te{name: name, typ: tar.TypeSymlink, link: target} }
func hardlink(name, target string) te  { return te{name: name, typ: tar.TypeLink, link: target} }
func whiteout(name string) te          { return te{name: name, typ: tar.TypeReg} }
func withMode(e te, mode int64) te     { e.mode = mode; return e }
func zeros(name string, size int64) te { return te{name: name, typ: tar.TypeReg, size: size} }

// layerTar builds an uncompressed layer.
func layerTar(t testing.TB, entries ...te) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: e.mode}
		if h.Mode == 0 {
			h.Mode = 0o644
			if e.typ == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		var body io.Reader
		if e.typ == tar.TypeReg {
			h.Size = int64(len(e.body))
			body = strings.NewReader(e.body)
			if e.size > 0 {
				h.Size = e.size
				body = io.LimitReader(zeroReader{}, e.size)
			}
		}
		if e.typ == tar.TypeChar || e.typ == tar.TypeBlock {
			h.Devmajor, h.Devminor = 1, 3
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if body != nil {
			if _, err := io.Copy(tw, body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func layerDigest(i int) string { return fmt.Sprintf("sha256:%064x", i+1) }

// rawImage is an image whose layers are the given blobs (tar, gzip or zstd).
func rawImage(blobs ...[]byte) *Image {
	img := &Image{}
	img.Ref, img.Source = "test-image", "oci-layout"
	for i, b := range blobs {
		img.Layers = append(img.Layers, inventory.ImageLayer{Digest: layerDigest(i), DiffID: layerDigest(100 + i)})
		img.layers = append(img.layers, layerSource{size: int64(len(b)), open: func(context.Context) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(b)), nil
		}})
	}
	return img
}

func keepAll(string, fs.FileMode, int64, []byte) bool { return true }

// readLayers applies layers of entries, keeping every file.
func readLayers(t testing.TB, o Options, layers ...[]te) (*FS, error) {
	t.Helper()
	var blobs [][]byte
	for _, l := range layers {
		blobs = append(blobs, layerTar(t, l...))
	}
	if o.Keep == nil {
		o.Keep = keepAll
	}
	if o.TempDir == "" {
		o.TempDir = t.TempDir()
	}
	return rawImage(blobs...).Read(context.Background(), o)
}

// view renders the merged view: "path=content" for kept files, "path/" for
// directories, "path->target" for symlinks, "path!" for other entries.
func view(t testing.TB, f *FS) []string {
	t.Helper()
	var out []string
	err := fs.WalkDir(f, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		switch {
		case d.IsDir():
			out = append(out, p+"/")
		case d.Type()&fs.ModeSymlink != 0:
			l, err := f.ReadLink(p)
			if err != nil {
				return err
			}
			out = append(out, p+"->"+l)
		case d.Type().IsRegular():
			b, err := fs.ReadFile(f, p)
			if err != nil {
				return err
			}
			out = append(out, p+"="+string(b))
		default:
			out = append(out, p+"!")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// walkLines renders Walk: "layer path type visible kept".
func walkLines(t testing.TB, f *FS) []string {
	t.Helper()
	var out []string
	if err := f.Walk(func(e *inventory.ImageEntry) error {
		out = append(out, fmt.Sprintf("%d %s t%d v=%v k=%v m=%v s=%d l=%s", e.Layer, e.Path, e.Type, e.Visible, e.Kept, e.Mode, e.Size, e.Link))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
