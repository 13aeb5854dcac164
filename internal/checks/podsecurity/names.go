package podsecurity

import (
	"path"
	"strings"
)

// capName normalises a capability name: upper case, without the CAP_ prefix.
func capName(c string) string {
	return strings.TrimPrefix(strings.ToUpper(c), "CAP_")
}

// cleanHostPath normalises a hostPath path for comparison.
func cleanHostPath(p string) string {
	if p == "" {
		return p
	}
	return path.Clean("/" + strings.TrimSpace(p))
}

// pathCovers reports whether mounting host path p exposes dir: p is dir, lies inside
// dir, or is an ancestor of dir. "/" in the list matches only "/" itself, since every
// path lies inside it.
func pathCovers(p, dir string) bool {
	if p == dir {
		return true
	}
	if dir != "/" && strings.HasPrefix(p, dir+"/") {
		return true
	}
	return strings.HasPrefix(dir, strings.TrimSuffix(p, "/")+"/")
}
