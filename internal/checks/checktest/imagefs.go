package checktest

// An in-memory image filesystem (inventory.ImageFiles) for the image rules'
// fixtures and tests: layers of entries applied as a container runtime applies them
// (a later version of a path replaces the earlier one; a deletion, a whiteout,
// removes the path and everything under it), with the merged view as an io/fs.FS.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/software"
)

// ImageFile is one entry of a layer of a MemImage: the entry's metadata, its content
// when kept, and Deleted for a whiteout (the layer removes Path, and everything under
// it, from the earlier layers; a whiteout is not an entry).
type ImageFile struct {
	inventory.ImageEntry
	Content []byte
	Deleted bool
}

// MemImage is an inventory.ImageFiles held in memory (test support only).
type MemImage struct {
	entries [][]*inventory.ImageEntry // by layer, in order
	content map[*inventory.ImageEntry][]byte
	merged  map[string]*inventory.ImageEntry // unrooted path -> visible entry
	parents map[string]bool                  // unrooted paths that have had children
	layers  int
}

// NewMemImage applies layers (each a list of files, base layer first). Parent
// directories a layer does not list exist implicitly (mode 0755, owned by root) in
// the merged view.
func NewMemImage(layers [][]ImageFile) *MemImage {
	m := &MemImage{content: map[*inventory.ImageEntry][]byte{}, merged: map[string]*inventory.ImageEntry{}, parents: map[string]bool{".": true}, layers: len(layers)}
	for li, files := range layers {
		var list []*inventory.ImageEntry
		for _, f := range files {
			p := path.Clean("/" + f.Path)
			if f.Deleted {
				m.remove(p, li)
				continue
			}
			e := f.ImageEntry
			e.Path, e.Layer, e.Visible = p, li, true
			if e.Type == inventory.EntryRegular && f.Content != nil {
				e.Kept = true
				e.Size = int64(len(f.Content))
				m.content[&e] = f.Content
			}
			if e.Type == inventory.EntryDir {
				// A directory replaces only the directory entry, not its contents.
				if prev := m.merged[unroot(p)]; prev != nil {
					prev.Visible, prev.HiddenBy = false, li
				}
			} else {
				m.remove(p, li)
			}
			m.merged[unroot(p)] = &e
			for d := path.Dir(unroot(p)); d != "." && !m.parents[d]; d = path.Dir(d) {
				m.parents[d] = true
			}
			list = append(list, &e)
		}
		m.entries = append(m.entries, list)
	}
	return m
}

// remove hides the visible versions of p and everything under it, by layer.
func (m *MemImage) remove(p string, layer int) {
	u := unroot(p)
	if e := m.merged[u]; e != nil {
		e.Visible, e.HiddenBy = false, layer
		delete(m.merged, u)
	}
	if !m.parents[u] {
		return // nothing was ever under it
	}
	for name, e := range m.merged {
		if name == u || u == "." || strings.HasPrefix(name, u+"/") {
			e.Visible, e.HiddenBy = false, layer
			delete(m.merged, name)
		}
	}
}

func unroot(p string) string {
	u := strings.TrimPrefix(path.Clean("/"+p), "/")
	if u == "" {
		return "."
	}
	return u
}

// Walk implements inventory.ImageFiles.
func (m *MemImage) Walk(fn func(e *inventory.ImageEntry) error) error {
	for _, list := range m.entries {
		for _, e := range list {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// OpenVersion implements inventory.ImageFiles.
func (m *MemImage) OpenVersion(e *inventory.ImageEntry) (fs.File, error) {
	data, ok := m.content[e]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: e.Path, Err: inventory.ErrNotKept}
	}
	return &memFile{entry: e, r: bytes.NewReader(data)}, nil
}

// LayerOf implements software.Layers.
func (m *MemImage) LayerOf(name string) int {
	if e := m.merged[unroot(name)]; e != nil {
		return e.Layer
	}
	return -1
}

// Versions implements software.Layers.
func (m *MemImage) Versions(name string) []software.Version {
	p := path.Clean("/" + name)
	var out []software.Version
	for _, list := range m.entries {
		for _, e := range list {
			if e.Path == p && e.Kept {
				e := e
				out = append(out, software.Version{Layer: e.Layer, Open: func() (fs.File, error) { return m.OpenVersion(e) }})
			}
		}
	}
	return out
}

// Open implements fs.FS on the merged view: a regular file whose content was not
// kept fails with an error wrapping inventory.ErrNotKept.
func (m *MemImage) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	e, err := m.lookup(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	if e.Type == inventory.EntryDir {
		return &memDir{m: m, entry: e, name: name}, nil
	}
	return m.OpenVersion(e)
}

// Stat implements fs.StatFS (every entry, kept or not).
func (m *MemImage) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	e, err := m.lookup(name)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	return entryInfo{e}, nil
}

// ReadDir implements fs.ReadDirFS.
func (m *MemImage) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	e, err := m.lookup(name)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	if e.Type != inventory.EntryDir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	return m.children(name), nil
}

// lookup finds the visible entry of name, or an implicit directory above one.
func (m *MemImage) lookup(name string) (*inventory.ImageEntry, error) {
	if e := m.merged[name]; e != nil {
		return e, nil
	}
	if m.parents[name] {
		for n := range m.merged {
			if name == "." || strings.HasPrefix(n, name+"/") {
				return &inventory.ImageEntry{Path: path.Clean("/" + name), Type: inventory.EntryDir, Mode: 0o755, Layer: -1, Visible: true}, nil
			}
		}
	}
	return nil, fs.ErrNotExist
}

func (m *MemImage) children(name string) []fs.DirEntry {
	prefix := name + "/"
	if name == "." {
		prefix = ""
	}
	seen := map[string]bool{}
	var out []fs.DirEntry
	for n := range m.merged {
		rest, ok := strings.CutPrefix(n, prefix)
		if !ok || rest == "" || n == name {
			continue
		}
		child, _, _ := strings.Cut(rest, "/")
		if seen[child] {
			continue
		}
		seen[child] = true
		e, err := m.lookup(prefix + child)
		if err == nil {
			out = append(out, fs.FileInfoToDirEntry(entryInfo{e}))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// entryInfo is an entry as an fs.FileInfo.
type entryInfo struct{ e *inventory.ImageEntry }

func (i entryInfo) Name() string { return path.Base(i.e.Path) }
func (i entryInfo) Size() int64  { return i.e.Size }
func (i entryInfo) Mode() fs.FileMode {
	m := i.e.Mode
	switch i.e.Type {
	case inventory.EntryDir:
		m |= fs.ModeDir
	case inventory.EntrySymlink:
		m |= fs.ModeSymlink
	case inventory.EntryOther:
		m |= fs.ModeDevice
	}
	return m
}
func (i entryInfo) ModTime() time.Time { return time.Time{} }
func (i entryInfo) IsDir() bool        { return i.e.Type == inventory.EntryDir }
func (i entryInfo) Sys() any           { return i.e }

type memFile struct {
	entry *inventory.ImageEntry
	r     *bytes.Reader
}

func (f *memFile) Stat() (fs.FileInfo, error) { return entryInfo{f.entry}, nil }
func (f *memFile) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *memFile) Close() error               { return nil }

type memDir struct {
	m     *MemImage
	entry *inventory.ImageEntry
	name  string
	list  []fs.DirEntry
	read  bool
}

func (d *memDir) Stat() (fs.FileInfo, error) { return entryInfo{d.entry}, nil }
func (d *memDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}
func (d *memDir) Close() error { return nil }

func (d *memDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if !d.read {
		d.list, d.read = d.m.children(d.name), true
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

var _ inventory.ImageFiles = (*MemImage)(nil)

// String describes the image's layers for test messages.
func (m *MemImage) String() string {
	var b strings.Builder
	for li, list := range m.entries {
		fmt.Fprintf(&b, "layer %d:", li)
		for _, e := range list {
			fmt.Fprintf(&b, " %s", e.Path)
		}
		b.WriteString("\n")
	}
	return b.String()
}
