package software

import (
	"fmt"
	"io/fs"
)

// OpenFile opens a regular file of fsys for a cataloger: anything else (a directory,
// a named pipe or a device in a root filesystem directory, whose open or read could
// block forever) is an error; a missing file is fs.ErrNotExist. Symbolic links are
// followed as fsys follows them.
func OpenFile(fsys fs.FS, name string) (fs.File, error) {
	fi, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("not a regular file (%s)", fi.Mode().Type())}
	}
	return fsys.Open(name)
}
