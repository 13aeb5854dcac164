//go:build unix

package image

import (
	"io/fs"
	"syscall"
)

// owner is a root filesystem file's uid and gid.
func owner(info fs.FileInfo) (int, int) {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid)
	}
	return 0, 0
}
