package imagetest

import (
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Large is a large image for benchmarks: the test image's layers, then a layer of
// large incompressible files and a layer of many small files. Its packages are the
// test image's (the Truth of the Set it was built from).
type Large struct {
	Layout, DockerArchive string
	// Bytes is the sum of the layers' compressed sizes, Uncompressed that of their
	// tar streams.
	Bytes, Uncompressed int64
	Layers              int
}

// LargeOptions size the two extra layers.
type LargeOptions struct {
	// BigFiles files of BigFileBytes each (pseudo-random: incompressible).
	BigFiles     int
	BigFileBytes int64
	// SmallFiles text files of 1-4 KiB in directories of 100.
	SmallFiles int
}

// DefaultLarge makes an image of about 600 MB compressed (700 MB uncompressed).
var DefaultLarge = LargeOptions{BigFiles: 6, BigFileBytes: 80 << 20, SmallFiles: 20000}

// BuildLarge writes the large image of s into the cache, or finds it there.
func BuildLarge(s *Set, o LargeOptions, cache string) (*Large, error) {
	if cache == "" {
		cache = CacheDir()
	}
	d, err := s.Image.Digest()
	if err != nil {
		return nil, err
	}
	key, err := hashFiles(nil, builderVersion, "large 1", d.String(), fmt.Sprint(o.BigFiles, o.BigFileBytes, o.SmallFiles))
	if err != nil {
		return nil, err
	}
	dest := filepath.Join(cache, "large-"+key)
	if !done(dest) {
		if err := os.MkdirAll(cache, 0o755); err != nil {
			return nil, err
		}
		tmp, err := tempDir(cache, ".large-")
		if err != nil {
			return nil, err
		}
		logf("building a large image (%d files of %d MB, %d small files) into %s", o.BigFiles, o.BigFileBytes>>20, o.SmallFiles, dest)
		if err := buildLarge(s, o, tmp); err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
		if err := publish(tmp, dest); err != nil {
			return nil, err
		}
		prune(cache, "large-", dest)
	}
	l := &Large{Layout: filepath.Join(dest, "oci-layout"), DockerArchive: filepath.Join(dest, "image.docker.tar")}
	img, err := layoutImage(l.Layout)
	if err != nil {
		return nil, err
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	for _, ld := range m.Layers {
		l.Bytes += ld.Size
	}
	l.Layers = len(m.Layers)
	size, err := os.ReadFile(filepath.Join(dest, "uncompressed"))
	if err != nil {
		return nil, err
	}
	_, err = fmt.Sscan(string(size), &l.Uncompressed)
	return l, err
}

func buildLarge(s *Set, o LargeOptions, dir string) error {
	layers, err := s.Image.Layers()
	if err != nil {
		return err
	}
	var uncompressed int64
	for _, l := range layers {
		n, err := uncompressedSize(l)
		if err != nil {
			return err
		}
		uncompressed += n
	}
	tmp := filepath.Join(dir, "layers")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	rng := rand.New(rand.NewChaCha8([32]byte{'p', 'a', 'l', 'i', 's', 'a', 'd', 'e'}))
	big, err := writeLayer(filepath.Join(tmp, "big.tar.gz"), gzip.BestSpeed, func(w *layerWriter) error {
		if err := w.files(file{name: "data/", mode: 0o755}, file{name: "data/big/", mode: 0o755}); err != nil {
			return err
		}
		buf := make([]byte, o.BigFileBytes)
		for i := range o.BigFiles {
			for j := 0; j+8 <= len(buf); j += 8 {
				v := rng.Uint64()
				for k := range 8 {
					buf[j+k] = byte(v >> (8 * k))
				}
			}
			if err := w.files(file{name: fmt.Sprintf("data/big/blob-%02d.bin", i), mode: 0o644, data: buf}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	small, err := writeLayer(filepath.Join(tmp, "small.tar.gz"), gzip.DefaultCompression, func(w *layerWriter) error {
		if err := w.files(file{name: "data/", mode: 0o755}, file{name: "data/small/", mode: 0o755}); err != nil {
			return err
		}
		words := []string{"image", "layer", "package", "manifest", "digest", "config", "whiteout", "palisade", "syft", "debian"}
		for i := range o.SmallFiles {
			if i%100 == 0 {
				if err := w.files(file{name: fmt.Sprintf("data/small/d%04d/", i/100), mode: 0o755}); err != nil {
					return err
				}
			}
			var b strings.Builder
			for n := 1024 + rng.IntN(3072); b.Len() < n; {
				b.WriteString(words[rng.IntN(len(words))])
				b.WriteByte(" \n"[rng.IntN(2)])
			}
			if err := w.files(file{name: fmt.Sprintf("data/small/d%04d/f%06d.txt", i/100, i), mode: 0o644, data: []byte(b.String())}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, l := range []v1.Layer{big, small} {
		n, err := uncompressedSize(l)
		if err != nil {
			return err
		}
		uncompressed += n
	}
	cf, err := s.Image.ConfigFile()
	if err != nil {
		return err
	}
	history := append(cf.History[:len(cf.History):len(cf.History)],
		v1.History{CreatedBy: "COPY big /data/big/ # buildkit"},
		v1.History{CreatedBy: "COPY small /data/small/ # buildkit"})
	img, err := image("amd64", cf.Config, append(layers, big, small), history)
	if err != nil {
		return err
	}
	p, err := layout.Write(filepath.Join(dir, "oci-layout"), empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "large"})); err != nil {
		return err
	}
	tag, err := name.NewTag("palisade.test/imagetest/large:1")
	if err != nil {
		return err
	}
	if err := tarball.WriteToFile(filepath.Join(dir, "image.docker.tar"), tag, img); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "uncompressed"), fmt.Appendf(nil, "%d\n", uncompressed), 0o644); err != nil {
		return err
	}
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	return markDone(dir)
}

// uncompressedSize reads a layer's tar stream to count its bytes.
func uncompressedSize(l v1.Layer) (int64, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	return io.Copy(io.Discard, rc)
}
