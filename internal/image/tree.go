package image

import (
	"errors"
	"io/fs"
	"strings"

	"github.com/palisade-k8s/palisade/internal/inventory"
)

// The merged filesystem is a tree of nodes; every tar entry of every layer is an
// entry (FS.entries, in order) and a node points at the entry a container sees.
// Paths never touch the host: the tree lives in memory and kept content is stored
// under generated names.

// maxHops bounds symlink resolution (Linux's MAXSYMLINKS is 40).
const maxHops = 40

// maxPathLen bounds an entry's name and link target.
const maxPathLen = 4096

var (
	errEscape   = errors.New("path escapes the image root")
	errLoop     = errors.New("too many levels of symbolic links")
	errNotDir   = errors.New("a parent is not a directory")
	errTooLong  = errors.New("path longer than 4096 bytes")
	errNotFound = fs.ErrNotExist
)

type node struct {
	name     string
	path     string // absolute, clean
	parent   *node
	children map[string]*node
	entry    int32 // index in FS.entries, -1 for a directory implied by its children
	layer    int32 // layer of the entry, or of the node's creation when implied
}

// entry is one entry of one layer.
type entry struct {
	inventory.ImageEntry
	content content
	linkTo  int32 // a hardlink's target entry (never itself a hardlink), else -1
}

// content is where a kept file's bytes are: in memory or at off in the spill file.
type content struct {
	mem  []byte
	off  int64
	size int64
	disk bool
}

// tree is the merged filesystem and every entry.
type tree struct {
	root    *node
	entries []entry
}

func newTree() *tree {
	return &tree{root: &node{path: "/", entry: -1, children: map[string]*node{}}}
}

// eff is the entry a node's content and type come from: a hardlink's target.
func (t *tree) eff(n *node) *entry {
	if n.entry < 0 {
		return nil
	}
	e := &t.entries[n.entry]
	if e.Type == inventory.EntryHardlink && e.linkTo >= 0 {
		return &t.entries[e.linkTo]
	}
	return e
}

func (t *tree) typeOf(n *node) inventory.ImageEntryType {
	if e := t.eff(n); e != nil {
		return e.Type
	}
	return inventory.EntryDir
}

func (t *tree) isDir(n *node) bool { return t.typeOf(n) == inventory.EntryDir }

// splitClean splits an entry name into clean components, rooted at the image root:
// a leading "/" or "./" is the root (as runtimes apply them); ".." that would climb
// above the root is errEscape, never clamped silently.
func splitClean(name string) ([]string, error) {
	if len(name) > maxPathLen {
		return nil, errTooLong
	}
	out := make([]string, 0, strings.Count(name, "/")+1)
	for rest := name; rest != ""; {
		var c string
		c, rest, _ = strings.Cut(rest, "/")
		switch c {
		case "", ".":
		case "..":
			if len(out) == 0 {
				return nil, errEscape
			}
			out = out[:len(out)-1]
		default:
			out = append(out, c)
		}
	}
	return out, nil
}

// find resolves comps from start. Symlinks are followed in every component but the
// last (and in the last too with followLast), inside the root: an absolute target
// starts at the image root. With create, missing directories are implied (layer
// application); clamp makes ".." at the root stay at the root as in a container
// (reads), otherwise it is errEscape (application).
func (t *tree) find(start *node, comps []string, followLast, create bool, layer int32, clamp bool) (*node, error) {
	cur := start
	todo := comps
	hops := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if cur.parent == nil {
				if !clamp {
					return nil, errEscape
				}
				continue
			}
			cur = cur.parent
			continue
		}
		if !t.isDir(cur) {
			return nil, errNotDir
		}
		child := cur.children[c]
		if child == nil {
			if !create {
				return nil, errNotFound
			}
			child = t.implied(cur, c, layer)
			cur = child
			continue
		}
		if t.typeOf(child) == inventory.EntrySymlink && (len(todo) > 0 || followLast) {
			hops++
			if hops > maxHops {
				return nil, errLoop
			}
			link := t.eff(child).Link
			if strings.HasPrefix(link, "/") {
				cur = t.root
			}
			todo = append(strings.Split(link, "/"), todo...)
			continue
		}
		cur = child
	}
	return cur, nil
}

func (t *tree) implied(parent *node, name string, layer int32) *node {
	n := &node{name: name, path: joinPath(parent.path, name), parent: parent, entry: -1, layer: layer, children: map[string]*node{}}
	parent.children[name] = n
	return n
}

func joinPath(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// hide marks n's entry as no longer seen by a container, hidden by layer.
func (t *tree) hide(n *node, layer int32) {
	if n.entry >= 0 && t.entries[n.entry].Visible {
		t.entries[n.entry].Visible = false
		t.entries[n.entry].HiddenBy = int(layer)
	}
}

// removeAll removes n and everything under it from the merged view.
func (t *tree) removeAll(n *node, layer int32) {
	var rec func(*node)
	rec = func(n *node) {
		t.hide(n, layer)
		for _, c := range n.children {
			rec(c)
		}
	}
	rec(n)
	if n.parent != nil {
		delete(n.parent.children, n.name)
	}
}

// removeLower removes what lower layers (before layer) put at n and under it: a
// whiteout or an opaque directory hides only lower layers' content, never what the
// same layer added (OCI image spec, "Whiteouts"). It reports whether n stays.
func (t *tree) removeLower(n *node, layer int32) bool {
	for name, c := range n.children {
		if !t.removeLower(c, layer) {
			delete(n.children, name)
		}
	}
	if n.layer >= layer {
		return true
	}
	t.hide(n, layer)
	if len(n.children) > 0 {
		// Entries of this layer live below: the directory stays, implied.
		n.entry, n.layer = -1, layer
		return true
	}
	return false
}
