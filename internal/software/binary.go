package software

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// MaxInMemory is the largest file OpenReaderAt reads into memory when the
// filesystem's files cannot be read at an offset.
const MaxInMemory = 256 << 20

// IsExecutableCandidate reports, from what a walk knows of a file, whether it may be
// an executable worth reading (the cheap test, before its head): a regular file of
// 64 to max bytes, with an executable bit or, since layers forget those bits, in a
// bin or sbin directory or named *.exe.
func IsExecutableCandidate(name string, mode fs.FileMode, size, max int64) bool {
	if !mode.IsRegular() || size < 64 || size > max {
		return false
	}
	if mode.Perm()&0o111 == 0 {
		dir := path.Base(path.Dir(name))
		return dir == "bin" || dir == "sbin" || strings.HasSuffix(name, ".exe")
	}
	return true
}

// ReaderAt is a file opened to be read at offsets (a binary, an archive).
type ReaderAt struct {
	io.ReaderAt
	// Size is the file's size: the one given to OpenReaderAt, or what was read
	// into memory.
	Size int64
	file fs.File
}

// Close closes the file.
func (r *ReaderAt) Close() error { return r.file.Close() }

// OpenReaderAt opens the file name of fsys, of the given size, to be read at
// offsets: through the file's own ReadAt or Seek, or else from its content read into
// memory, when it is at most MaxInMemory bytes (larger is an error saying what the
// file is: "binary", "archive").
func OpenReaderAt(fsys fs.FS, name string, size int64, what string) (*ReaderAt, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	r := &ReaderAt{Size: size, file: f}
	switch x := f.(type) {
	case io.ReaderAt:
		r.ReaderAt = x
	case io.ReadSeeker:
		r.ReaderAt = &seekReaderAt{rs: x}
	default:
		if size > MaxInMemory {
			f.Close()
			return nil, fmt.Errorf("%s of %d bytes is over the in-memory bound of %d", what, size, MaxInMemory)
		}
		b, err := io.ReadAll(io.LimitReader(f, MaxInMemory))
		if err != nil {
			f.Close()
			return nil, err
		}
		r.ReaderAt, r.Size = bytes.NewReader(b), int64(len(b))
	}
	return r, nil
}

// seekReaderAt reads at an offset through Seek and Read.
type seekReaderAt struct{ rs io.ReadSeeker }

func (s *seekReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if _, err := s.rs.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.ReadFull(s.rs, p)
}
