package auditlog

import (
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
)

// Rotated files, oldest first, then the live file they rotated out of:
//   - lumberjack (kube-apiserver's --audit-log-maxbackups/maxage/maxsize):
//     audit-2026-12-01T10-00-00.000.log[.gz] beside audit.log, the time in the name;
//   - logrotate: audit.log.2.gz, audit.log.1 (the higher the number, the older) and
//     audit.log-20261201[.gz] (dateext) beside audit.log.
var (
	lumberjackName = regexp.MustCompile(`^(.*)-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3})(\.[^.]*)?(\.gz)?$`)
	numberedName   = regexp.MustCompile(`^(.*)\.(\d{1,6})(\.gz)?$`)
	datedName      = regexp.MustCompile(`^(.*)-(\d{8}|\d{10})(\.gz)?$`)
)

type rotated struct {
	live  string // the live file this one rotated out of (itself when live)
	live1 int    // 0: rotated, 1: live
	stamp string
	n     int
}

func rotation(path string) rotated {
	dir, base := filepath.Split(path)
	if m := lumberjackName.FindStringSubmatch(base); m != nil {
		return rotated{live: dir + m[1] + m[3], stamp: m[2]}
	}
	if m := datedName.FindStringSubmatch(base); m != nil {
		return rotated{live: dir + m[1], stamp: m[2]}
	}
	if m := numberedName.FindStringSubmatch(base); m != nil {
		n, _ := strconv.Atoi(m[2])
		return rotated{live: dir + m[1], n: n}
	}
	return rotated{live: path, live1: 1}
}

// SortRotated orders the files of a directory for reading: by the log they belong
// to, and within a log its rotated files oldest first, then the live file.
func SortRotated(paths []string) {
	keys := make(map[string]rotated, len(paths))
	for _, p := range paths {
		keys[p] = rotation(p)
	}
	sort.SliceStable(paths, func(i, j int) bool {
		a, b := keys[paths[i]], keys[paths[j]]
		if a.live != b.live {
			return a.live < b.live
		}
		if a.live1 != b.live1 {
			return a.live1 < b.live1
		}
		if a.stamp != b.stamp {
			return a.stamp < b.stamp
		}
		if a.n != b.n {
			return a.n > b.n
		}
		return paths[i] < paths[j]
	})
}
