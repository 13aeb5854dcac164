package imagetest

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// epoch is the time of the entries the builders make up (the root filesystem's keep
// their own).
var epoch = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// layerWriter is a layer tar being written.
type layerWriter struct {
	tw *tar.Writer
	// hard maps a multiply-linked file's inode to the first name written for it.
	hard map[inode]string
}

type inode struct{ dev, ino uint64 }

// writeLayer writes a gzip-compressed layer tar to file with fill and returns it as a
// layer of OCI media type; level is the gzip level.
func writeLayer(file string, level int, fill func(w *layerWriter) error) (v1.Layer, error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	gz, err := gzip.NewWriterLevel(f, level)
	if err != nil {
		f.Close()
		return nil, err
	}
	w := &layerWriter{tw: tar.NewWriter(gz), hard: map[inode]string{}}
	err = fill(w)
	if cerr := w.tw.Close(); err == nil {
		err = cerr
	}
	if cerr := gz.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", filepath.Base(file), err)
	}
	return tarball.LayerFromFile(file, tarball.WithMediaType(types.OCILayer))
}

// owner overrides the owner of the entries of a tree (COPY's default is root).
type owner struct{ uid, gid int }

// tree writes the directory dir's contents under prefix ("" for the root, or
// "app/"), as they are on disk: owner, group, permission bits with setuid, setgid and
// sticky, modification time, symlink targets, and hardlinks between files of the
// tree (the second name of an inode is a hardlink entry). Device nodes, FIFOs and
// sockets are skipped, as image builders do (a runtime makes /dev). With own, the
// entries get that owner instead.
func (w *layerWriter) tree(dir, prefix string, own *owner) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		name := prefix + filepath.ToSlash(rel)
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0:
			return nil
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return w.entry(fi, name, target, nil, own, "")
		case fi.IsDir():
			return w.entry(fi, name+"/", "", nil, own, "")
		}
		if id, links, ok := fileID(fi); ok && links > 1 {
			if first, seen := w.hard[id]; seen {
				return w.entry(fi, name, "", nil, own, first)
			}
			w.hard[id] = name
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		return w.entry(fi, name, "", f, own, "")
	})
}

// entry writes one entry from a file's metadata; content is the body of a regular
// file, hardlink the earlier name of the same file.
func (w *layerWriter) entry(fi fs.FileInfo, name, symlink string, content io.Reader, own *owner, hardlink string) error {
	h, err := tar.FileInfoHeader(fi, symlink)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	h.Name = name
	// Numeric owners only (the names would be this machine's, not the image's), and
	// no access or change times (they would force PAX records into every entry).
	h.Uname, h.Gname = "", ""
	h.AccessTime, h.ChangeTime = time.Time{}, time.Time{}
	h.ModTime = h.ModTime.Truncate(time.Second)
	h.Devmajor, h.Devminor = 0, 0
	if own != nil {
		h.Uid, h.Gid = own.uid, own.gid
	}
	if hardlink != "" {
		h.Typeflag, h.Linkname, h.Size = tar.TypeLink, hardlink, 0
		content = nil
	}
	if err := w.tw.WriteHeader(h); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if content != nil && h.Typeflag == tar.TypeReg {
		n, err := io.Copy(w.tw, content)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if n != h.Size {
			return fmt.Errorf("%s: changed while read (%d bytes, want %d)", name, n, h.Size)
		}
	}
	return nil
}

// file is a made-up entry (a regular file, a directory or a whiteout).
type file struct {
	name     string // "root/.ssh/id_ed25519"; a directory ends in "/"
	mode     int64  // permission bits (and tar's setuid/setgid/sticky bits)
	uid, gid int
	data     []byte
}

// files writes made-up entries, in order.
func (w *layerWriter) files(fs ...file) error {
	for _, f := range fs {
		h := &tar.Header{Name: f.name, Mode: f.mode, Uid: f.uid, Gid: f.gid, ModTime: epoch, Typeflag: tar.TypeReg, Size: int64(len(f.data))}
		if strings.HasSuffix(f.name, "/") {
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if err := w.tw.WriteHeader(h); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := w.tw.Write(f.data); err != nil {
				return fmt.Errorf("%s: %w", f.name, err)
			}
		}
	}
	return nil
}
