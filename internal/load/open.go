package load

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// openInput opens a manifest file. A regular file is read up to the size it had when
// opened, so a file that never ends (some under /proc) cannot keep the scan reading.
// With regularOnly, anything else (a device, a named pipe, a socket, a directory) is
// an error, found without reading it: the file is opened non-blocking, so that a
// named pipe cannot block the open, and checked again once open.
func openInput(path string, regularOnly bool) (io.ReadCloser, error) {
	if regularOnly {
		st, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if !st.Mode().IsRegular() {
			return nil, notRegular(st.Mode())
		}
		f, err := openNonblocking(path)
		if err != nil {
			return nil, err
		}
		return regularReader(f, true)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return regularReader(f, false)
}

// regularReader reads f up to its size if it is a regular file; otherwise it reads
// f whole, or fails when regularOnly.
func regularReader(f *os.File, regularOnly bool) (io.ReadCloser, error) {
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		if regularOnly {
			f.Close()
			return nil, notRegular(st.Mode())
		}
		return f, nil
	}
	return limitedFile{Reader: io.LimitReader(f, st.Size()), f: f}, nil
}

type limitedFile struct {
	io.Reader
	f *os.File
}

func (l limitedFile) Close() error { return l.f.Close() }

func notRegular(m fs.FileMode) error {
	what := "not a regular file"
	switch {
	case m.IsDir():
		what = "a directory"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe"
	case m&fs.ModeCharDevice != 0:
		what = "a character device"
	case m&fs.ModeDevice != 0:
		what = "a block device"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	}
	return fmt.Errorf("%s, not a regular file: not read", what)
}

// linkTree tells, for the symbolic links a walk meets, whether they lead out of the
// directory walked, so that the scan can say it reads from elsewhere.
type linkTree struct {
	root     string
	resolved string // root with its own links resolved ("" until needed)
}

// check returns a notice for a link at path that leads out of the tree, or to a
// directory (which the walk does not follow). manifest tells whether the walk reads it.
func (t *linkTree) check(path string, manifest bool) (Notice, bool) {
	loc := finding.Location{File: path}
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return Notice{}, false // a broken link is an error when read, and nothing otherwise
	}
	if st, err := os.Stat(target); err == nil && st.IsDir() {
		if manifest {
			return Notice{}, false
		}
		return Notice{Location: loc, Message: "symbolic link to a directory: not followed"}, true
	}
	if !manifest {
		return Notice{}, false
	}
	if t.resolved == "" {
		r, err := filepath.EvalSymlinks(t.root)
		if err != nil {
			r = t.root
		}
		if abs, err := filepath.Abs(r); err == nil {
			r = abs
		}
		t.resolved = r
	}
	abs, err := filepath.Abs(target)
	if err != nil {
		return Notice{}, false
	}
	if rel, err := filepath.Rel(t.resolved, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return Notice{}, false
	}
	return Notice{Location: loc, Message: fmt.Sprintf("symbolic link to %q, outside %q: read all the same", target, t.root)}, true
}
