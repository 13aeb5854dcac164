package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// layerSource opens one layer's blob as stored (gzip, zstd or plain tar).
type layerSource struct {
	open func(ctx context.Context) (io.ReadCloser, error)
	size int64 // stored size, 0 when unknown
}

var errUncompressedLimit = errors.New("uncompressed size over the limit (decompression bomb?)")

func (o Options) limits() Limits {
	l := o.Limits
	d := DefaultLimits
	if l.MaxLayerBytes <= 0 {
		l.MaxLayerBytes = d.MaxLayerBytes
	}
	if l.MaxImageBytes <= 0 {
		l.MaxImageBytes = d.MaxImageBytes
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxKeptFileBytes <= 0 {
		l.MaxKeptFileBytes = d.MaxKeptFileBytes
	}
	if l.MaxKeptBytes <= 0 {
		l.MaxKeptBytes = d.MaxKeptBytes
	}
	return l
}

func (img *Image) read(ctx context.Context, o Options) (*FS, error) {
	f := newFS(img.Layers)
	a := &applier{f: f, keep: o.Keep, lim: o.limits(), ref: img.Ref, whiteouts: img.rootfs == "", tempDir: o.TempDir}
	var err error
	if img.rootfs != "" {
		err = a.applyDir(ctx, img.rootfs)
	} else {
		p := &progress{fn: o.Progress, state: Progress{Image: img.Ref, Layers: len(img.layers)}}
		for _, l := range img.layers {
			p.state.Total += l.size
		}
		var imageBytes int64
		for i, l := range img.layers {
			p.state.Layer = i + 1
			if err = a.applyLayer(ctx, i, l, p, &imageBytes); err != nil {
				break
			}
		}
		if err == nil {
			p.state.Done = true
			p.report()
		}
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

type progress struct {
	fn      func(Progress)
	state   Progress
	pending int64
}

func (p *progress) report() {
	if p.fn != nil {
		p.fn(p.state)
	}
}

// countReader counts the stored bytes of a layer for Progress.
type countReader struct {
	r io.Reader
	p *progress
}

func (c *countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.state.Bytes += int64(n)
	c.p.pending += int64(n)
	if c.p.pending >= 1<<20 {
		c.p.pending = 0
		c.p.report()
	}
	return n, err
}

// limitReader fails once a layer or the image exceeds its uncompressed limit.
type limitReader struct {
	r        io.Reader
	n, max   int64
	imageMax int64
	total    *int64
}

func (l *limitReader) Read(b []byte) (int, error) {
	n, err := l.r.Read(b)
	l.n += int64(n)
	*l.total += int64(n)
	if l.n > l.max {
		return n, fmt.Errorf("layer: %w (%d bytes)", errUncompressedLimit, l.max)
	}
	if *l.total > l.imageMax {
		return n, fmt.Errorf("image: %w (%d bytes)", errUncompressedLimit, l.imageMax)
	}
	return n, err
}

// decompress sniffs the stored stream: gzip, zstd or a plain tar.
func decompress(br *bufio.Reader) (io.Reader, func(), error) {
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		return gz, func() { _ = gz.Close() }, nil
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(256<<20), zstd.WithDecoderMaxWindow(128<<20))
		if err != nil {
			return nil, nil, fmt.Errorf("zstd: %w", err)
		}
		return zr, zr.Close, nil
	case bytes.HasPrefix(magic, []byte("BZh")), bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X'}):
		return nil, nil, errors.New("unsupported layer compression (bzip2/xz)")
	}
	return br, func() {}, nil
}

func (a *applier) applyLayer(ctx context.Context, i int, l layerSource, p *progress, imageBytes *int64) error {
	rc, err := l.open(ctx)
	if err != nil {
		return a.layerErr(i, "", err)
	}
	defer rc.Close()
	cr := &countReader{r: rc, p: p}
	p.report()
	br := bufio.NewReaderSize(cr, 64<<10)
	ur, done, err := decompress(br)
	if err != nil {
		return a.layerErr(i, "", err)
	}
	defer done()
	lr := &limitReader{r: ur, max: a.lim.MaxLayerBytes, imageMax: a.lim.MaxImageBytes, total: imageBytes}
	tr := tar.NewReader(lr)
	var claimed int64
	for n := 0; ; n++ {
		if n&255 == 0 && ctx.Err() != nil {
			return a.layerErr(i, "", ctx.Err())
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return a.layerErr(i, "", fmt.Errorf("reading the layer's tar: %w", err))
		}
		// The tar reader makes a sparse file's holes itself: bound what entries
		// claim as well as what is read.
		if hdr.Size > 0 {
			claimed += hdr.Size
			a.claimed += hdr.Size
			if claimed > lr.max || a.claimed > lr.imageMax {
				return a.layerErr(i, hdr.Name, fmt.Errorf("entry sizes: %w", errUncompressedLimit))
			}
		}
		if err := a.apply(i, hdr, tr); err != nil {
			var le *LayerError
			if errors.As(err, &le) && errors.Is(le.Err, errUncompressedLimit) {
				le.Entry = hdr.Name
			}
			return err
		}
	}
	// Read what follows the tar's end (padding) so the blob's digest is
	// verified; bounded by the blob's size when known.
	rest := a.lim.MaxLayerBytes
	if l.size > 0 {
		rest = l.size + 1
	}
	if _, err := io.Copy(io.Discard, io.LimitReader(cr, rest)); err != nil {
		return a.layerErr(i, "", err)
	}
	return nil
}

// applyDir reads a root filesystem directory as one layer. os.Root keeps every open
// inside dir: symlinks are recorded, never followed.
func (a *applier) applyDir(ctx context.Context, dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return a.layerErr(0, "", err)
	}
	defer root.Close()
	rfs := root.FS()
	n := 0
	return fs.WalkDir(rfs, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			a.f.notices = append(a.f.notices, a.layerErr(0, name, err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if n++; n&255 == 0 && ctx.Err() != nil {
			return a.layerErr(0, "", ctx.Err())
		}
		info, err := d.Info()
		if err != nil {
			a.f.notices = append(a.f.notices, a.layerErr(0, name, err))
			return nil
		}
		hdr := &tar.Header{Name: name, Mode: tarMode(info.Mode())}
		hdr.Uid, hdr.Gid = owner(info)
		var r io.Reader
		switch m := info.Mode(); {
		case m.IsDir():
			hdr.Typeflag = tar.TypeDir
		case m.IsRegular():
			hdr.Typeflag, hdr.Size = tar.TypeReg, info.Size()
			rf := &lazyFile{root: root, name: name, size: info.Size()}
			defer rf.close()
			r = rf
		case m&fs.ModeSymlink != 0:
			hdr.Typeflag = tar.TypeSymlink
			if hdr.Linkname, err = root.Readlink(name); err != nil {
				a.f.notices = append(a.f.notices, a.layerErr(0, name, err))
				return nil
			}
		case m&fs.ModeNamedPipe != 0:
			hdr.Typeflag = tar.TypeFifo
		case m&fs.ModeCharDevice != 0:
			hdr.Typeflag = tar.TypeChar
		case m&fs.ModeDevice != 0:
			hdr.Typeflag = tar.TypeBlock
		default:
			hdr.Typeflag = tar.TypeFifo // sockets and the like: recorded only
		}
		if name == "." {
			hdr.Name = "./"
		}
		return a.apply(0, hdr, r)
	})
}

func tarMode(m fs.FileMode) int64 {
	v := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		v |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		v |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		v |= 0o1000
	}
	return v
}

// lazyFile opens a root filesystem's file only when its content is read, and reads
// no more than the size it had when listed.
type lazyFile struct {
	root *os.Root
	name string
	size int64
	f    *os.File
	r    io.Reader
}

func (l *lazyFile) Read(b []byte) (int, error) {
	if l.r == nil {
		f, err := l.root.Open(l.name)
		if err != nil {
			return 0, err
		}
		st, err := f.Stat()
		if err != nil || !st.Mode().IsRegular() {
			_ = f.Close()
			return 0, fmt.Errorf("%s changed while read", l.name)
		}
		l.f, l.r = f, io.LimitReader(f, l.size)
	}
	n, err := l.r.Read(b)
	if err == io.EOF && n == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	return n, err
}

func (l *lazyFile) close() {
	if l.f != nil {
		_ = l.f.Close()
	}
}
