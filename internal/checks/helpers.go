package checks

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

func indexSuffix(i int) string { return "[" + strconv.Itoa(i) + "]" }

// capName normalises a capability name: upper case, without the CAP_ prefix.
func capName(c string) string {
	return strings.TrimPrefix(strings.ToUpper(c), "CAP_")
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, e := range list {
		if strings.EqualFold(e, s) {
			return true
		}
	}
	return false
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

// quoteList renders names as a quoted, comma-separated list for messages.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
