package image

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/software"
)

// FS is an image's filesystem (inventory.ImageFiles): the merged view a container
// sees as an fs.FS (also fs.ReadDirFS, fs.StatFS and fs.ReadLinkFS), every entry of
// every layer (Walk), and the kept versions of files (software.Layers). Kept files
// open as fs.File that are also io.ReaderAt and io.Seeker. Close removes its
// temporary directory. An FS is safe for concurrent reads.
type FS struct {
	t         *tree
	layers    []inventory.ImageLayer
	kept      map[string][]int32 // absolute path -> kept entries, in order
	notices   []*LayerError
	dir       string   // private temporary directory, "" until something spills
	spill     *os.File // kept content larger than memFileMax
	spillSize int64
}

var (
	_ inventory.ImageFiles = (*FS)(nil)
	_ fs.ReadDirFS         = (*FS)(nil)
	_ fs.StatFS            = (*FS)(nil)
	_ fs.ReadLinkFS        = (*FS)(nil)
)

func newFS(layers []inventory.ImageLayer) *FS {
	return &FS{t: newTree(), layers: layers, kept: map[string][]int32{}}
}

// Close removes the kept content.
func (f *FS) Close() error {
	var err error
	if f.spill != nil {
		err = f.spill.Close()
		f.spill = nil
	}
	if f.dir != "" {
		if rerr := os.RemoveAll(f.dir); err == nil {
			err = rerr
		}
		f.dir = ""
	}
	return err
}

// Notices are the entries that were recorded but not applied or not kept (device
// nodes, unknown types, files over the kept-content limits), as *LayerError.
func (f *FS) Notices() []*LayerError { return f.notices }

func (f *FS) layerName(i int) string {
	if i >= 0 && i < len(f.layers) {
		if f.layers[i].Digest != "" {
			return f.layers[i].Digest
		}
		return fmt.Sprintf("#%d", i)
	}
	return fmt.Sprintf("#%d", i)
}

// comps splits an io/fs name (unrooted) into components.
func comps(name string) ([]string, bool) {
	if name == "." {
		return nil, true
	}
	if !fs.ValidPath(name) {
		return nil, false
	}
	return strings.Split(name, "/"), true
}

func (f *FS) lookup(op, name string, follow bool) (*node, error) {
	c, ok := comps(name)
	if !ok {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	n, err := f.t.find(f.t.root, c, follow, false, 0, true)
	if err != nil {
		if errors.Is(err, errNotDir) {
			err = fs.ErrNotExist
		}
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return n, nil
}

// Open opens name in the merged view, following symlinks inside the image root.
// A regular file whose content was not kept fails with an error wrapping
// inventory.ErrNotKept.
func (f *FS) Open(name string) (fs.File, error) {
	n, err := f.lookup("open", name, true)
	if err != nil {
		return nil, err
	}
	info := f.info(n, path.Base(name))
	switch f.t.typeOf(n) {
	case inventory.EntryDir:
		return &dirFile{f: f, n: n, info: info}, nil
	case inventory.EntryRegular:
		e := f.t.eff(n)
		if !e.Kept {
			return nil, &fs.PathError{Op: "open", Path: name, Err: inventory.ErrNotKept}
		}
		return f.openContent(e, info), nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("not a regular file or directory")}
}

func (f *FS) openContent(e *entry, info fileInfo) *keptFile {
	var ra io.ReaderAt
	if e.content.disk {
		if f.spill != nil {
			ra = f.spill
		} else {
			ra = bytes.NewReader(nil) // closed FS
		}
	} else {
		ra = bytes.NewReader(e.content.mem)
	}
	off := e.content.off
	if !e.content.disk {
		off = 0
	}
	return &keptFile{SectionReader: io.NewSectionReader(ra, off, e.content.size), info: info}
}

// Stat follows symlinks.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	n, err := f.lookup("stat", name, true)
	if err != nil {
		return nil, err
	}
	return f.info(n, path.Base(name)), nil
}

// Lstat does not follow a final symlink.
func (f *FS) Lstat(name string) (fs.FileInfo, error) {
	n, err := f.lookup("lstat", name, false)
	if err != nil {
		return nil, err
	}
	return f.info(n, path.Base(name)), nil
}

// ReadLink returns a symlink's target as written.
func (f *FS) ReadLink(name string) (string, error) {
	n, err := f.lookup("readlink", name, false)
	if err != nil {
		return "", err
	}
	if f.t.typeOf(n) != inventory.EntrySymlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	return f.t.eff(n).Link, nil
}

// ReadDir lists a directory, sorted by name.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := f.lookup("readdir", name, true)
	if err != nil {
		return nil, err
	}
	if !f.t.isDir(n) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	return f.dirEntries(n), nil
}

func (f *FS) dirEntries(n *node) []fs.DirEntry {
	out := make([]fs.DirEntry, 0, len(n.children))
	for _, c := range n.children {
		out = append(out, fs.FileInfoToDirEntry(f.info(c, c.name)))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// LayerOf is the layer of the final version of name (symlinks followed), or -1.
func (f *FS) LayerOf(name string) int {
	n, err := f.lookup("stat", unroot(name), true)
	if err != nil {
		return -1
	}
	if n.entry < 0 {
		return int(n.layer)
	}
	return f.t.entries[n.entry].Layer
}

// Versions lists the kept versions of name, oldest first. name is resolved in the
// merged view when it exists there, else taken literally (a deleted file's
// versions).
func (f *FS) Versions(name string) []software.Version {
	p := "/" + strings.TrimPrefix(path.Clean("/"+name), "/")
	if n, err := f.lookup("stat", unroot(name), true); err == nil {
		p = n.path
	}
	idx := f.kept[p]
	out := make([]software.Version, 0, len(idx))
	for _, i := range idx {
		e := &f.t.entries[i]
		out = append(out, software.Version{Layer: e.Layer, Open: func() (fs.File, error) { return f.openVersion(e), nil }})
	}
	return out
}

func (f *FS) openVersion(e *entry) fs.File {
	src := e
	if e.Type == inventory.EntryHardlink && e.linkTo >= 0 {
		src = &f.t.entries[e.linkTo]
	}
	return f.openContent(src, fileInfo{name: path.Base(e.Path), size: src.Size, mode: src.Mode, sys: &e.ImageEntry})
}

// unroot makes a software.Layers name ("/etc/x" or "etc/x") an io/fs name.
func unroot(name string) string {
	name = strings.TrimPrefix(path.Clean("/"+name), "/")
	if name == "" {
		return "."
	}
	return name
}

// Walk calls fn for every entry of every layer in order.
func (f *FS) Walk(fn func(e *inventory.ImageEntry) error) error {
	for i := range f.t.entries {
		if err := fn(&f.t.entries[i].ImageEntry); err != nil {
			return err
		}
	}
	return nil
}

// OpenVersion opens the content of one layer's entry (from Walk), when kept.
func (f *FS) OpenVersion(e *inventory.ImageEntry) (fs.File, error) {
	var found *entry
	for _, i := range f.kept[e.Path] {
		c := &f.t.entries[i]
		if &c.ImageEntry == e {
			found = c
			break
		}
		if c.Layer == e.Layer {
			found = c
		}
	}
	if found == nil {
		return nil, &fs.PathError{Op: "open", Path: e.Path, Err: inventory.ErrNotKept}
	}
	return f.openVersion(found), nil
}

func (f *FS) info(n *node, name string) fileInfo {
	if name == "/" {
		name = "."
	}
	e := f.t.eff(n)
	if e == nil {
		return fileInfo{name: name, mode: fs.ModeDir | 0o755, sys: &inventory.ImageEntry{Path: n.path, Layer: int(n.layer), Type: inventory.EntryDir, Mode: 0o755, Visible: true}}
	}
	fi := fileInfo{name: name, size: e.Size, mode: e.Mode, sys: &e.ImageEntry}
	switch e.Type {
	case inventory.EntryDir:
		fi.mode |= fs.ModeDir
		fi.size = 0
	case inventory.EntrySymlink:
		fi.mode |= fs.ModeSymlink
		fi.size = int64(len(e.Link))
	case inventory.EntryOther:
		fi.mode |= fs.ModeIrregular
	}
	return fi
}

// fileInfo is an entry's fs.FileInfo; Sys is its *inventory.ImageEntry.
type fileInfo struct {
	name string
	size int64
	mode fs.FileMode
	sys  *inventory.ImageEntry
}

func (i fileInfo) Name() string       { return i.name }
func (i fileInfo) Size() int64        { return i.size }
func (i fileInfo) Mode() fs.FileMode  { return i.mode }
func (i fileInfo) ModTime() time.Time { return time.Time{} }
func (i fileInfo) IsDir() bool        { return i.mode.IsDir() }
func (i fileInfo) Sys() any           { return i.sys }

// keptFile is an open kept file: Read, ReadAt, Seek.
type keptFile struct {
	*io.SectionReader
	info fileInfo
}

func (k *keptFile) Stat() (fs.FileInfo, error) { return k.info, nil }
func (k *keptFile) Close() error               { return nil }

type dirFile struct {
	f    *FS
	n    *node
	info fileInfo
	list []fs.DirEntry
	read bool
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: errors.New("is a directory")}
}

func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if !d.read {
		d.list, d.read = d.f.dirEntries(d.n), true
	}
	if n <= 0 {
		out := d.list
		d.list = nil
		return out, nil
	}
	if len(d.list) == 0 {
		return nil, io.EOF
	}
	k := min(n, len(d.list))
	out := d.list[:k]
	d.list = d.list[k:]
	return out, nil
}
