package source

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/secrets"
	"github.com/palisade-k8s/palisade/internal/software"
)

// The image cache (Images.Cache, --image-cache) is content-addressed: an analysed
// image is stored under its manifest digest and platform, in a directory of
// Palisade's version (another version's catalogers may find other packages):
//
//	DIR/VERSION/sha256-HEX/PLATFORM/info.json     the ImageInfo, without Files and Workloads
//	DIR/VERSION/sha256-HEX/PLATFORM/entries.jsonl every entry of every layer (ImageFiles.Walk)
//	DIR/VERSION/sha256-HEX/PLATFORM/blobs/N       the content of entry N, for the files that
//	                                              may hold a credential (secrets.FileCandidate)
//
// A cached image's Files replays the entries, so the image rules judge it as they
// judged the image when it was read; only the content of the secret candidates is
// kept (other files open with inventory.ErrNotKept). An entry is written to a
// temporary directory and renamed into place, so readers never see half of one.

const cacheFormat = 1

// maxCacheInfoBytes bounds an info.json; maxCacheLine an entry line.
const (
	maxCacheInfoBytes = 256 << 20
	maxCacheLine      = 1 << 20
)

var digestRE = regexp.MustCompile(`^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$`)

type imageCache struct{ dir, version string }

type cacheInfo struct {
	Format  int                  `json:"format"`
	Version string               `json:"version"`
	Image   *inventory.ImageInfo `json:"image"`
}

// cacheEntry is an ImageEntry with whether its content is in the cache.
type cacheEntry struct {
	inventory.ImageEntry
	Blob bool `json:"blob,omitempty"`
}

// path is the directory of an image, "" when the digest cannot key the cache.
func (c imageCache) path(digest, platform string) string {
	if c.dir == "" || !digestRE.MatchString(digest) {
		return ""
	}
	if platform == "" {
		platform = "_"
	}
	return filepath.Join(c.dir, safeName(c.version), strings.Replace(digest, ":", "-", 1), safeName(platform))
}

// safeName keeps letters, digits, '.', '-' and '_' of s; the rest become '_'.
func safeName(s string) string {
	if s == "" {
		return "_"
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		case c == '.' && i > 0:
		default:
			b[i] = '_'
		}
	}
	return string(b)
}

// get returns the cached image of a digest, with Files replaying its entries.
func (c imageCache) get(digest, platform string) (*inventory.ImageInfo, bool) {
	dir := c.path(digest, platform)
	if dir == "" {
		return nil, false
	}
	f, err := os.Open(filepath.Join(dir, "info.json"))
	if err != nil {
		return nil, false
	}
	defer f.Close()
	var ci cacheInfo
	if err := json.NewDecoder(io.LimitReader(f, maxCacheInfoBytes)).Decode(&ci); err != nil || ci.Format != cacheFormat || ci.Version != c.version || ci.Image == nil {
		return nil, false
	}
	files, err := openCachedFiles(dir)
	if err != nil {
		return nil, false
	}
	ci.Image.Files = files
	return ci.Image, true
}

// put stores an analysed image whose Files is open.
func (c imageCache) put(info *inventory.ImageInfo) error {
	dir := c.path(info.Digest, info.Platform)
	if dir == "" {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "info.json")); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := writeCacheEntry(tmp, info, c.version); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil && !errors.Is(err, fs.ErrExist) {
		if _, statErr := os.Stat(filepath.Join(dir, "info.json")); statErr == nil {
			return nil // another run stored it first
		}
		return err
	}
	return nil
}

func writeCacheEntry(dir string, info *inventory.ImageInfo, version string) error {
	stored := *info
	stored.Files, stored.Workloads = nil, nil
	if info.Files != nil {
		if err := os.Mkdir(filepath.Join(dir, "blobs"), 0o700); err != nil {
			return err
		}
		ef, err := os.Create(filepath.Join(dir, "entries.jsonl"))
		if err != nil {
			return err
		}
		w := bufio.NewWriter(ef)
		enc := json.NewEncoder(w)
		n := 0
		err = info.Files.Walk(func(e *inventory.ImageEntry) error {
			ce := cacheEntry{ImageEntry: *e}
			if e.Kept && e.Type == inventory.EntryRegular && secrets.FileCandidate(strings.TrimPrefix(e.Path, "/"), e.Size) {
				ok, err := copyBlob(filepath.Join(dir, "blobs", strconv.Itoa(n)), info.Files, e)
				if err != nil {
					return err
				}
				ce.Blob = ok
			}
			n++
			return enc.Encode(&ce)
		})
		if err == nil {
			err = w.Flush()
		}
		if cerr := ef.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	b, err := json.Marshal(cacheInfo{Format: cacheFormat, Version: version, Image: &stored})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "info.json"), b, 0o600)
}

// copyBlob copies the content of a kept entry (at most 1 MiB, the bound of a secret
// candidate); false when it cannot be opened.
func copyBlob(file string, files inventory.ImageFiles, e *inventory.ImageEntry) (bool, error) {
	src, err := files.OpenVersion(e)
	if err != nil {
		return false, nil
	}
	defer src.Close()
	b, err := io.ReadAll(io.LimitReader(src, 1<<20+1))
	if err != nil || len(b) > 1<<20 {
		return false, nil
	}
	return true, os.WriteFile(file, b, 0o600)
}

// cachedFiles replays a cached image's entries (inventory.ImageFiles).
type cachedFiles struct {
	dir     string
	entries []cacheEntry
	// visible maps a path to the entry a container sees; children a directory to
	// the names of its visible children, sorted.
	visible  map[string]int
	children map[string][]string
}

func openCachedFiles(dir string) (*cachedFiles, error) {
	f, err := os.Open(filepath.Join(dir, "entries.jsonl"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c := &cachedFiles{dir: dir, visible: map[string]int{}, children: map[string][]string{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), maxCacheLine)
	kids := map[string]map[string]bool{}
	for sc.Scan() {
		var e cacheEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, err
		}
		if !strings.HasPrefix(e.Path, "/") || path.Clean(e.Path) != e.Path {
			return nil, fmt.Errorf("cached entry %q: not an absolute clean path", e.Path)
		}
		c.entries = append(c.entries, e)
		if e.Visible {
			c.visible[e.Path] = len(c.entries) - 1
			for p := e.Path; p != "/"; p = path.Dir(p) {
				parent := path.Dir(p)
				if kids[parent] == nil {
					kids[parent] = map[string]bool{}
				}
				kids[parent][path.Base(p)] = true
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for d, names := range kids {
		list := make([]string, 0, len(names))
		for n := range names {
			list = append(list, n)
		}
		sort.Strings(list)
		c.children[d] = list
	}
	return c, nil
}

// Walk implements inventory.ImageFiles.
func (c *cachedFiles) Walk(fn func(e *inventory.ImageEntry) error) error {
	for i := range c.entries {
		e := c.entries[i].ImageEntry
		e.Kept = c.entries[i].Blob
		if err := fn(&e); err != nil {
			return err
		}
	}
	return nil
}

// OpenVersion implements inventory.ImageFiles.
func (c *cachedFiles) OpenVersion(e *inventory.ImageEntry) (fs.File, error) {
	for i := range c.entries {
		ce := &c.entries[i]
		if ce.Layer == e.Layer && ce.Path == e.Path {
			return c.openEntry(i, e.Path)
		}
	}
	return nil, &fs.PathError{Op: "open", Path: e.Path, Err: fs.ErrNotExist}
}

// LayerOf implements software.Layers.
func (c *cachedFiles) LayerOf(name string) int {
	if i, ok := c.resolve(name); ok && i >= 0 {
		return c.entries[i].Layer
	}
	return -1
}

// Versions implements software.Layers: the versions whose content the cache holds.
func (c *cachedFiles) Versions(name string) []software.Version {
	p := "/" + strings.TrimPrefix(path.Clean("/"+name), "/")
	var out []software.Version
	for i := range c.entries {
		if e := &c.entries[i]; e.Path == p && e.Blob {
			i := i
			out = append(out, software.Version{Layer: e.Layer, Open: func() (fs.File, error) { return c.openEntry(i, p) }})
		}
	}
	return out
}

// maxHops bounds the symbolic links followed in one lookup.
const maxHops = 255

// resolve finds the visible entry of an unrooted name, following symbolic links
// inside the root; -1 (and true) for a directory that only its children imply.
func (c *cachedFiles) resolve(name string) (int, bool) {
	if !fs.ValidPath(name) {
		return 0, false
	}
	hops := 0
	// rest holds the components still to walk; cur the resolved prefix.
	rest := strings.Split(name, "/")
	if name == "." {
		rest = nil
	}
	cur := "/"
	idx := -1
	for len(rest) > 0 {
		part := rest[0]
		rest = rest[1:]
		next := path.Join(cur, part)
		i, ok := c.visible[next]
		if !ok {
			if _, dir := c.children[next]; dir {
				cur, idx = next, -1
				continue
			}
			return 0, false
		}
		e := &c.entries[i]
		if e.Type == inventory.EntrySymlink {
			if hops++; hops > maxHops {
				return 0, false
			}
			target := e.Link
			if !path.IsAbs(target) {
				target = path.Join(cur, target)
			}
			// path.Clean of an absolute path never climbs above the root.
			t := strings.TrimPrefix(path.Clean("/"+target), "/")
			var parts []string
			if t != "" {
				parts = strings.Split(t, "/")
			}
			rest = append(parts, rest...)
			cur, idx = "/", -1
			continue
		}
		cur, idx = next, i
	}
	return idx, true
}

// Open implements fs.FS.
func (c *cachedFiles) Open(name string) (fs.File, error) {
	i, ok := c.resolve(name)
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if i < 0 || c.entries[i].Type == inventory.EntryDir {
		p := "/"
		if i >= 0 {
			p = c.entries[i].Path
		} else if name != "." {
			p = "/" + name
		}
		return &cachedDir{c: c, path: p, info: c.info(i, p)}, nil
	}
	e := &c.entries[i]
	if e.Type == inventory.EntryHardlink {
		target := strings.TrimPrefix(path.Clean("/"+e.Link), "/")
		if j, ok := c.resolve(target); ok && j >= 0 && c.entries[j].Type == inventory.EntryRegular {
			return c.openEntry(j, name)
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return c.openEntry(i, name)
}

// ReadDir implements fs.ReadDirFS.
func (c *cachedFiles) ReadDir(name string) ([]fs.DirEntry, error) {
	f, err := c.Open(name)
	if err != nil {
		return nil, err
	}
	d, ok := f.(*cachedDir)
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	return d.ReadDir(-1)
}

func (c *cachedFiles) openEntry(i int, name string) (fs.File, error) {
	e := &c.entries[i]
	if e.Type != inventory.EntryRegular {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if !e.Blob {
		return nil, &fs.PathError{Op: "open", Path: name, Err: inventory.ErrNotKept}
	}
	b, err := os.ReadFile(filepath.Join(c.dir, "blobs", strconv.Itoa(i)))
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &cachedFile{Reader: bytes.NewReader(b), info: c.info(i, e.Path)}, nil
}

func (c *cachedFiles) info(i int, p string) cachedInfo {
	if i < 0 {
		return cachedInfo{name: path.Base(p), mode: fs.ModeDir | 0o755}
	}
	e := &c.entries[i]
	mode := e.Mode
	switch e.Type {
	case inventory.EntryDir:
		mode |= fs.ModeDir
	case inventory.EntrySymlink:
		mode |= fs.ModeSymlink
	case inventory.EntryOther:
		mode |= fs.ModeIrregular
	}
	return cachedInfo{name: path.Base(e.Path), size: e.Size, mode: mode}
}

type cachedInfo struct {
	name string
	size int64
	mode fs.FileMode
}

func (i cachedInfo) Name() string       { return i.name }
func (i cachedInfo) Size() int64        { return i.size }
func (i cachedInfo) Mode() fs.FileMode  { return i.mode }
func (i cachedInfo) ModTime() time.Time { return time.Time{} }
func (i cachedInfo) IsDir() bool        { return i.mode.IsDir() }
func (i cachedInfo) Sys() any           { return nil }

type cachedFile struct {
	*bytes.Reader
	info cachedInfo
}

func (f *cachedFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *cachedFile) Close() error               { return nil }

type cachedDir struct {
	c    *cachedFiles
	path string
	info cachedInfo
	read int
}

func (d *cachedDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *cachedDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.path, Err: errors.New("is a directory")}
}
func (d *cachedDir) Close() error { return nil }

// ReadDir implements fs.ReadDirFile.
func (d *cachedDir) ReadDir(n int) ([]fs.DirEntry, error) {
	names := d.c.children[d.path][d.read:]
	if n > 0 && len(names) > n {
		names = names[:n]
	}
	if n > 0 && len(names) == 0 {
		return nil, io.EOF
	}
	out := make([]fs.DirEntry, 0, len(names))
	for _, name := range names {
		p := path.Join(d.path, name)
		i, ok := d.c.visible[p]
		if !ok {
			i = -1
		}
		out = append(out, fs.FileInfoToDirEntry(d.c.info(i, p)))
	}
	d.read += len(names)
	return out, nil
}
