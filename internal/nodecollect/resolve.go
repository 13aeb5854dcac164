package nodecollect

// The host root: every path the collector reads is a host path (what the kubelet's
// command line or a unit names), resolved under Options.Root as a chroot to that
// root would resolve it. Each component is examined with Lstat under the root; a
// symbolic link is followed by hand (an absolute target restarts at the root, ".."
// never climbs above it) with a bound on the hops, so a link that points out of the
// root lands inside it, never outside. The result is a path without symbolic links,
// which os.Root then opens (refusing any escape a concurrent change might create).

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
)

// maxLinkHops bounds the symbolic links followed in one resolution (Linux's
// MAXSYMLINKS).
const maxLinkHops = 40

// maxPathLen bounds a path (Linux's PATH_MAX).
const maxPathLen = 4096

// errLoop is too many symbolic links.
var errLoop = errors.New("too many levels of symbolic links")

// hostRoot reads host paths under a root directory.
type hostRoot struct {
	dir  string
	root *os.Root
}

func openHostRoot(dir string) (*hostRoot, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &hostRoot{dir: dir, root: r}, nil
}

func (h *hostRoot) Close() error { return h.root.Close() }

// rel is a resolved host path as a name relative to the root.
func rel(p string) string {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return "."
	}
	return p
}

// resolve returns the host path p with every symbolic link followed inside the
// root, clean and absolute. When a component does not exist the error wraps
// fs.ErrNotExist and the path returned is the resolved prefix joined with the rest.
// A relative p resolves against "/".
func (h *hostRoot) resolve(p string) (string, error) {
	if len(p) > maxPathLen {
		return "", fmt.Errorf("path longer than %d bytes", maxPathLen)
	}
	if strings.IndexByte(p, 0) >= 0 {
		return "", errors.New("path holds a NUL byte")
	}
	rest := splitPath(p)
	cur := "/"
	hops := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, c)
		fi, err := h.root.Lstat(rel(next))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return path.Join(append([]string{next}, rest...)...), err
			}
			return next, err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			hops++
			if hops > maxLinkHops {
				return next, &fs.PathError{Op: "resolve", Path: p, Err: errLoop}
			}
			target, err := h.root.Readlink(rel(next))
			if err != nil {
				return next, err
			}
			if target == "" {
				return next, &fs.PathError{Op: "resolve", Path: next, Err: fs.ErrNotExist}
			}
			if strings.HasPrefix(target, "/") {
				cur = "/"
			}
			tp := splitPath(target)
			if len(tp)+len(rest) > maxPathLen {
				return next, &fs.PathError{Op: "resolve", Path: p, Err: syscall.ENAMETOOLONG}
			}
			rest = append(tp, rest...)
			continue
		}
		if len(rest) > 0 && !fi.IsDir() && hasNamed(rest) {
			return next, &fs.PathError{Op: "resolve", Path: next, Err: syscall.ENOTDIR}
		}
		cur = next
	}
	return cur, nil
}

// hasNamed says whether the components hold a name (not only "", "." and "..").
func hasNamed(cs []string) bool {
	for _, c := range cs {
		if c != "" && c != "." {
			return true
		}
	}
	return false
}

func splitPath(p string) []string {
	return strings.Split(p, "/")
}

// stat resolves p and stats its target (symbolic links followed inside the root).
func (h *hostRoot) stat(p string) (string, fs.FileInfo, error) {
	r, err := h.resolve(p)
	if err != nil {
		return r, nil, err
	}
	fi, err := h.root.Lstat(rel(r))
	return r, fi, err
}

// readFile reads the host file p, at most limit bytes (a larger file is an error),
// and returns its resolved path.
func (h *hostRoot) readFile(p string, limit int64) (string, []byte, error) {
	r, err := h.resolve(p)
	if err != nil {
		return r, nil, err
	}
	f, err := h.root.Open(rel(r))
	if err != nil {
		return r, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return r, nil, err
	}
	if !fi.Mode().IsRegular() {
		return r, nil, fmt.Errorf("%s: not a regular file", r)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return r, nil, err
	}
	if int64(len(b)) > limit {
		return r, nil, fmt.Errorf("%s: larger than %d bytes", r, limit)
	}
	return r, b, nil
}

// readDir lists the host directory p (resolved), in name order.
func (h *hostRoot) readDir(p string) (string, []fs.DirEntry, error) {
	r, err := h.resolve(p)
	if err != nil {
		return r, nil, err
	}
	f, err := h.root.Open(rel(r))
	if err != nil {
		return r, nil, err
	}
	defer f.Close()
	es, err := f.ReadDir(maxDirEntries + 1)
	if err != nil && !errors.Is(err, io.EOF) {
		return r, nil, err
	}
	if len(es) > maxDirEntries {
		return r, nil, fmt.Errorf("%s: more than %d entries", r, maxDirEntries)
	}
	sortEntries(es)
	return r, es, nil
}
