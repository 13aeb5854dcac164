//go:build unix

package imagetest

import (
	"io/fs"
	"syscall"
)

// fileID is a file's device and inode, and its link count.
func fileID(fi fs.FileInfo) (inode, uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return inode{}, 0, false
	}
	return inode{dev: uint64(st.Dev), ino: uint64(st.Ino)}, uint64(st.Nlink), true
}
