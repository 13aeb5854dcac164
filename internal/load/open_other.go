//go:build !unix

package load

import "os"

// openNonblocking opens path for reading (named pipes are checked for before).
func openNonblocking(path string) (*os.File, error) { return os.Open(path) }
