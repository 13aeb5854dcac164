//go:build unix

package load

import (
	"os"
	"syscall"
)

// openNonblocking opens path for reading without waiting for a writer if it turns out
// to be a named pipe.
func openNonblocking(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
