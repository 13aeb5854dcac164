package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/palisade-k8s/palisade/internal/inventory"
)

// What a hostile or broken entry costs (docs/SECURITY.md):
//   - fatal for the image (Read returns the *LayerError): a name or link target
//     that climbs above the root ("../"), a parent that is a symlink leading above
//     the root, a parent that is not a directory, a hardlink to an entry that does
//     not exist (or to a directory), a whiteout of "." or "..", an undecodable
//     tar stream or compression, and every limit but the kept-content ones
//     (uncompressed layer and image bytes: decompression bombs; entries).
//   - a notice (FS.Notices; the entry's metadata is recorded, nothing is created):
//     device nodes, unknown entry types, a file too large to keep or beyond the
//     kept-bytes budget (its metadata stays, its content is not kept).
// Absolute names ("/etc/passwd") are relative to the image root, as runtimes apply
// them; an absolute symlink target is resolved from the image root.

var (
	errDevice     = errors.New("device node (recorded, not created)")
	errUnknown    = errors.New("unsupported tar entry type (skipped)")
	errHardlink   = errors.New("hardlink to an entry that does not exist in the image")
	errHardDir    = errors.New("hardlink to a directory")
	errWhiteout   = errors.New("whiteout of an invalid name")
	errRootType   = errors.New("the image root is not a directory")
	errKeptFile   = errors.New("file larger than the kept-file limit: content not kept")
	errKeptBudget = errors.New("kept-content budget exhausted: content not kept")
)

const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
	memFileMax     = 64 << 10 // kept files up to this size stay in memory...
	memTotalMax    = 64 << 20 // ...until this much is in memory; the rest is spilled
	headSize       = 512
)

// applier applies layers to an FS.
type applier struct {
	f         *FS
	keep      KeepFunc
	lim       Limits
	ref       string
	whiteouts bool // false for a root filesystem directory: names are literal
	tempDir   string
	memBytes  int64
	keptBytes int64
	claimed   int64 // sizes the image's entries claim
	head      [headSize]byte
}

func (a *applier) layerErr(layer int, name string, err error) *LayerError {
	return &LayerError{Image: a.ref, Layer: a.f.layerName(layer), Entry: name, Err: err}
}

// apply applies one tar entry of layer; r reads its content. A returned error is
// fatal; notices are recorded on the FS.
func (a *applier) apply(layer int, hdr *tar.Header, r io.Reader) error {
	t := a.f.t
	L := int32(layer)
	comps, err := splitClean(hdr.Name)
	if err != nil {
		return a.layerErr(layer, hdr.Name, err)
	}
	switch hdr.Typeflag {
	case tar.TypeXGlobalHeader, tar.TypeXHeader, tar.TypeGNULongName, tar.TypeGNULongLink:
		return nil // archive/tar folds these; defensive
	}
	if len(comps) == 0 {
		if hdr.Typeflag != tar.TypeDir {
			return a.layerErr(layer, hdr.Name, errRootType)
		}
		t.hide(t.root, L)
		idx, err := a.add(layer, hdr, "/", inventory.EntryDir)
		if err != nil {
			return err
		}
		t.root.entry, t.root.layer = idx, L
		return nil
	}
	base := comps[len(comps)-1]
	if a.whiteouts && strings.HasPrefix(base, whiteoutPrefix) {
		return a.whiteout(layer, hdr.Name, comps)
	}
	dir, err := t.find(t.root, comps[:len(comps)-1], true, true, L, false)
	if err == nil && !t.isDir(dir) {
		err = errNotDir
	}
	if err != nil {
		return a.layerErr(layer, hdr.Name, err)
	}
	existing := dir.children[base]
	var typ inventory.ImageEntryType
	switch hdr.Typeflag {
	case tar.TypeDir:
		typ = inventory.EntryDir
	case tar.TypeReg, tar.TypeGNUSparse, tar.TypeCont: // archive/tar reads TypeRegA as TypeReg
		typ = inventory.EntryRegular
	case tar.TypeSymlink:
		typ = inventory.EntrySymlink
		if len(hdr.Linkname) > maxPathLen {
			return a.layerErr(layer, hdr.Name, errTooLong)
		}
	case tar.TypeLink:
		typ = inventory.EntryHardlink
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		typ = inventory.EntryOther
	default:
		a.f.notices = append(a.f.notices, a.layerErr(layer, hdr.Name, fmt.Errorf("%w: type %q", errUnknown, hdr.Typeflag)))
		return nil
	}
	if typ == inventory.EntryDir && existing != nil && t.isDir(existing) && t.typeOf(existing) != inventory.EntrySymlink {
		// A directory over a directory: new metadata, the children stay.
		t.hide(existing, L)
		idx, err := a.add(layer, hdr, existing.path, typ)
		if err != nil {
			return err
		}
		existing.entry, existing.layer = idx, L
		return nil
	}
	var target *node
	if typ == inventory.EntryHardlink {
		if target, err = a.linkTarget(layer, hdr); err != nil {
			return err
		}
	}
	if existing != nil {
		t.removeAll(existing, L)
	}
	n := &node{name: base, path: joinPath(dir.path, base), parent: dir, entry: -1, layer: L}
	if typ == inventory.EntryDir {
		n.children = map[string]*node{}
	}
	if typ == inventory.EntryHardlink && target == existing {
		// A hardlink onto itself: nothing changes but the entry.
		target = nil
	}
	idx, err := a.add(layer, hdr, n.path, typ)
	if err != nil {
		return err
	}
	n.entry = idx
	dir.children[base] = n
	e := &t.entries[idx]
	switch typ {
	case inventory.EntryRegular:
		return a.content(layer, hdr, e, r)
	case inventory.EntryHardlink:
		if target == nil {
			e.Type = inventory.EntryRegular
			return nil
		}
		te := &t.entries[target.entry]
		if te.Type == inventory.EntryHardlink {
			e.linkTo = te.linkTo
		} else {
			e.linkTo = target.entry
		}
		src := &t.entries[e.linkTo]
		e.Link, e.Size, e.Mode, e.Kept, e.content = target.path, src.Size, src.Mode, src.Kept, src.content
		if e.Kept {
			a.f.kept[e.Path] = append(a.f.kept[e.Path], idx)
		}
	case inventory.EntryOther:
		if hdr.Typeflag != tar.TypeFifo && a.whiteouts {
			a.f.notices = append(a.f.notices, a.layerErr(layer, hdr.Name, errDevice))
		}
	}
	return nil
}

// linkTarget is the node a hardlink names: it must exist already (an earlier entry
// of this layer or a lower layer) and not be a directory.
func (a *applier) linkTarget(layer int, hdr *tar.Header) (*node, error) {
	t := a.f.t
	comps, err := splitClean(hdr.Linkname)
	if err != nil {
		return nil, a.layerErr(layer, hdr.Name, fmt.Errorf("hardlink target %q: %w", hdr.Linkname, err))
	}
	if len(comps) == 0 {
		return nil, a.layerErr(layer, hdr.Name, errHardDir)
	}
	dir, err := t.find(t.root, comps[:len(comps)-1], true, false, int32(layer), false)
	if err == nil && !t.isDir(dir) {
		err = errNotDir
	}
	if err != nil {
		if errors.Is(err, errNotFound) {
			err = errHardlink
		}
		return nil, a.layerErr(layer, hdr.Name, fmt.Errorf("hardlink target %q: %w", hdr.Linkname, err))
	}
	n := dir.children[comps[len(comps)-1]]
	if n == nil || n.entry < 0 {
		return nil, a.layerErr(layer, hdr.Name, fmt.Errorf("hardlink target %q: %w", hdr.Linkname, errHardlink))
	}
	if t.isDir(n) {
		return nil, a.layerErr(layer, hdr.Name, fmt.Errorf("hardlink target %q: %w", hdr.Linkname, errHardDir))
	}
	return n, nil
}

func (a *applier) whiteout(layer int, name string, comps []string) error {
	t := a.f.t
	L := int32(layer)
	base := comps[len(comps)-1]
	dir, err := t.find(t.root, comps[:len(comps)-1], true, false, L, false)
	if err == nil && !t.isDir(dir) {
		err = errNotDir
	}
	if errors.Is(err, errNotFound) || errors.Is(err, errNotDir) {
		return nil // nothing below to hide
	}
	if err != nil {
		return a.layerErr(layer, name, err)
	}
	if base == opaqueMarker {
		for cname, c := range dir.children {
			if !t.removeLower(c, L) {
				delete(dir.children, cname)
			}
		}
		return nil
	}
	victim := base[len(whiteoutPrefix):]
	if victim == "" || victim == "." || victim == ".." {
		return a.layerErr(layer, name, errWhiteout)
	}
	if n := dir.children[victim]; n != nil && !t.removeLower(n, L) {
		delete(dir.children, victim)
	}
	return nil
}

// add records an entry (visible) and returns its index.
func (a *applier) add(layer int, hdr *tar.Header, path string, typ inventory.ImageEntryType) (int32, error) {
	t := a.f.t
	if len(t.entries) >= a.lim.MaxEntries {
		return 0, a.layerErr(layer, hdr.Name, fmt.Errorf("more than %d entries in the image", a.lim.MaxEntries))
	}
	e := entry{linkTo: -1}
	e.Path, e.Layer, e.Type, e.Mode = path, layer, typ, modeOf(hdr.Mode)
	e.UID, e.GID, e.Visible = hdr.Uid, hdr.Gid, true
	switch typ {
	case inventory.EntryRegular:
		e.Size = hdr.Size
	case inventory.EntrySymlink, inventory.EntryHardlink:
		e.Link = hdr.Linkname
	}
	t.entries = append(t.entries, e)
	return int32(len(t.entries) - 1), nil
}

func modeOf(m int64) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// content decides from the head whether a regular file is kept and stores it.
func (a *applier) content(layer int, hdr *tar.Header, e *entry, r io.Reader) error {
	if a.keep == nil || r == nil {
		return nil
	}
	size := hdr.Size
	head := a.head[:min(int64(headSize), size)]
	n, err := io.ReadFull(r, head)
	if err != nil {
		return a.layerErr(layer, hdr.Name, fmt.Errorf("reading content: %w", err))
	}
	head = head[:n]
	if !a.keep(e.Path[1:], e.Mode, size, head) {
		return nil
	}
	switch {
	case size > a.lim.MaxKeptFileBytes:
		a.f.notices = append(a.f.notices, a.layerErr(layer, hdr.Name, errKeptFile))
		return nil
	case a.keptBytes+size > a.lim.MaxKeptBytes:
		a.f.notices = append(a.f.notices, a.layerErr(layer, hdr.Name, errKeptBudget))
		return nil
	}
	var c content
	if size <= memFileMax && a.memBytes+size <= memTotalMax {
		buf := make([]byte, size)
		copy(buf, head)
		if _, err := io.ReadFull(r, buf[len(head):]); err != nil {
			return a.layerErr(layer, hdr.Name, fmt.Errorf("reading content: %w", err))
		}
		c = content{mem: buf, size: size}
		a.memBytes += size
	} else {
		sf, err := a.spillFile()
		if err != nil {
			return a.layerErr(layer, hdr.Name, err)
		}
		off := a.f.spillSize
		if _, err := sf.Write(head); err != nil {
			return a.layerErr(layer, hdr.Name, fmt.Errorf("spilling content: %w", err))
		}
		w, err := io.CopyN(sf, r, size-int64(len(head)))
		a.f.spillSize += int64(len(head)) + w
		if err != nil {
			return a.layerErr(layer, hdr.Name, fmt.Errorf("spilling content: %w", err))
		}
		c = content{off: off, size: size, disk: true}
	}
	a.keptBytes += size
	e.Kept, e.content = true, c
	a.f.kept[e.Path] = append(a.f.kept[e.Path], int32(len(a.f.t.entries)-1))
	return nil
}

// spillFile is the private temporary file kept content larger than memFileMax goes
// to: one file in a 0700 directory, written at generated offsets (entry names are
// never used as file names).
func (a *applier) spillFile() (*os.File, error) {
	if a.f.spill != nil {
		return a.f.spill, nil
	}
	dir, err := os.MkdirTemp(a.tempDir, "palisade-image-")
	if err != nil {
		return nil, fmt.Errorf("temporary directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("temporary directory: %w", err)
	}
	sf, err := os.OpenFile(filepath.Join(dir, "content"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("temporary file: %w", err)
	}
	a.f.dir, a.f.spill = dir, sf
	return sf, nil
}
