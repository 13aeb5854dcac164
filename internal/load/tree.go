package load

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// scanTree is the directory that the renderers may read below when they render the
// input the user named as p: the git work tree that holds p (the directory with
// .git), or else p itself (its directory when p is a file). A kustomize overlay may
// build on bases anywhere in that tree (overlays/prod on ../../base), as Flux and
// Argo CD allow within a repository; nothing outside it is read. The result is an
// absolute path with symbolic links resolved.
func scanTree(p string) (string, error) {
	dir, err := realPath(p)
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		dir = filepath.Dir(dir)
	}
	for d := dir; ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir, nil
		}
		d = parent
	}
}

// realPath is p made absolute with its symbolic links resolved.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// within reports whether path (absolute and clean) is dir or below it.
func within(path, dir string) bool {
	if path == dir {
		return true
	}
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// errOutside says that a path leads out of the tree a renderer may read.
type errOutside struct{ path, real, tree string }

func (e *errOutside) Error() string {
	if e.real != "" && e.real != e.path {
		return fmt.Sprintf("%s leads to %s, outside the scanned tree %s: not read", e.path, e.real, e.tree)
	}
	return fmt.Sprintf("%s is outside the scanned tree %s: not read", e.path, e.tree)
}

// readRegular reads the regular file at path (after its links are resolved), if it
// lies in tree and holds at most max bytes. Devices, FIFOs and sockets are refused
// before they are opened: /dev/zero never ends and a FIFO never answers.
func readRegular(path, tree string, max int64) ([]byte, error) {
	real, err := realPath(path)
	if err != nil {
		return nil, err
	}
	if !within(real, tree) {
		return nil, &errOutside{path: path, real: real, tree: tree}
	}
	st, err := os.Stat(real)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s): not read", path, st.Mode().Type())
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%s is %d bytes, over the limit of %d", path, st.Size(), max)
	}
	f, err := os.Open(real)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is over the limit of %d bytes", path, max)
	}
	return data, nil
}

// treeFS is the file system kustomize builds on: the disk, read only, below one tree.
// Every path is resolved (symbolic links included) before it is used; one that leads
// out of the tree, to something other than a regular file or directory, or to a file
// over the size limit, is an error naming it. Kustomize's own load restrictor keeps
// the files of each kustomization below its root; treeFS also keeps the bases.
type treeFS struct {
	disk    filesys.FileSystem
	tree    string
	maxFile int64
}

func newTreeFS(tree string, maxFile int64) treeFS {
	return treeFS{disk: filesys.MakeFsOnDisk(), tree: tree, maxFile: maxFile}
}

var errReadOnly = errors.New("kustomize may not write to the scanned tree")

// inside resolves path and checks that it stays in the tree. A path that does not
// exist resolves to nothing and is reported as such by the caller's own access.
func (f treeFS) inside(path string) (string, error) {
	real, err := realPath(path)
	if err != nil {
		return "", err
	}
	if !within(real, f.tree) {
		return "", &errOutside{path: path, real: real, tree: f.tree}
	}
	return real, nil
}

func (f treeFS) Create(string) (filesys.File, error) { return nil, errReadOnly }
func (f treeFS) Mkdir(string) error                  { return errReadOnly }
func (f treeFS) MkdirAll(string) error               { return errReadOnly }
func (f treeFS) RemoveAll(string) error              { return errReadOnly }
func (f treeFS) WriteFile(string, []byte) error      { return errReadOnly }

func (f treeFS) Open(path string) (filesys.File, error) {
	real, err := f.inside(path)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(real)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() && !st.IsDir() {
		return nil, fmt.Errorf("%s is not a regular file (%s): not read", path, st.Mode().Type())
	}
	return f.disk.Open(real)
}

func (f treeFS) IsDir(path string) bool {
	real, err := f.inside(path)
	return err == nil && f.disk.IsDir(real)
}

func (f treeFS) Exists(path string) bool {
	real, err := f.inside(path)
	return err == nil && f.disk.Exists(real)
}

func (f treeFS) ReadDir(path string) ([]string, error) {
	real, err := f.inside(path)
	if err != nil {
		return nil, err
	}
	return f.disk.ReadDir(real)
}

func (f treeFS) CleanedAbs(path string) (filesys.ConfirmedDir, string, error) {
	if _, err := f.inside(path); err != nil {
		return "", "", err
	}
	return f.disk.CleanedAbs(path)
}

func (f treeFS) Glob(pattern string) ([]string, error) {
	matches, err := f.disk.Glob(pattern)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range matches {
		if _, err := f.inside(m); err == nil {
			out = append(out, m)
		}
	}
	return out, nil
}

func (f treeFS) ReadFile(path string) ([]byte, error) {
	return readRegular(path, f.tree, f.maxFile)
}

func (f treeFS) Walk(path string, walkFn filepath.WalkFunc) error {
	real, err := f.inside(path)
	if err != nil {
		return err
	}
	return f.disk.Walk(real, walkFn)
}
