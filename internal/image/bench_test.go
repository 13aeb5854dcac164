package image

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strings"
	"testing"
)

// BenchmarkRead reads a generated image of 4 gzip layers of 5,000 files each
// (about 40 MB uncompressed), keeping 2% of the files; MB/s is uncompressed tar
// throughput.
func BenchmarkRead(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	var blobs [][]byte
	var total int64
	for l := 0; l < 4; l++ {
		var entries []te
		for i := 0; i < 5000; i++ {
			name := fmt.Sprintf("usr/share/pkg%d/dir%d/file%d", i%50, i%7, i)
			if i%50 == 0 {
				name += ".keep"
			}
			body := make([]byte, rng.IntN(4096))
			for j := range body {
				body[j] = byte('a' + rng.IntN(4))
			}
			entries = append(entries, file(name, string(body)))
		}
		if l > 0 {
			entries = append(entries, whiteout(fmt.Sprintf("usr/share/pkg%d/.wh.dir1", l)))
		}
		raw := layerTar(b, entries...)
		total += int64(len(raw))
		blobs = append(blobs, gz(b, raw))
	}
	img := rawImage(blobs...)
	keep := func(name string, _ fs.FileMode, _ int64, _ []byte) bool { return strings.HasSuffix(name, ".keep") }
	tmp := b.TempDir()
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		f, err := img.Read(context.Background(), Options{Keep: keep, TempDir: tmp})
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
