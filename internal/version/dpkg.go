package version

import (
	"strings"

	"github.com/palisade-k8s/palisade/internal/software"
)

// debVersion is a parsed dpkg version: [epoch:]upstream[-revision].
type debVersion struct {
	epoch    int64
	upstream string
	revision string
}

// parseDeb parses like dpkg's parseversion: what dpkg rejects is an error; what it
// only warns about (an upstream not starting with a digit, unusual characters) is
// compared as dpkg compares it.
func parseDeb(s string) (debVersion, error) {
	var v debVersion
	if err := checkLen(software.Deb, s); err != nil {
		return v, err
	}
	s0 := s
	s = strings.TrimSpace(s)
	if s == "" {
		return v, invalid(software.Deb, s0, "version string is empty")
	}
	if strings.ContainsAny(s, " \t\n\v\f\r") {
		return v, invalid(software.Deb, s0, "version string has embedded spaces")
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		e := s[:i]
		if e == "" {
			return v, invalid(software.Deb, s0, "epoch in version is empty")
		}
		for j := 0; j < len(e); j++ {
			if !isDigit(e[j]) {
				return v, invalid(software.Deb, s0, "epoch in version is not number")
			}
			v.epoch = v.epoch*10 + int64(e[j]-'0')
			if v.epoch > 1<<31-1 {
				return v, invalid(software.Deb, s0, "epoch in version is too big")
			}
		}
		s = s[i+1:]
		if s == "" {
			return v, invalid(software.Deb, s0, "nothing after colon in version number")
		}
	}
	v.upstream = s
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		v.upstream, v.revision = s[:i], s[i+1:]
		if v.revision == "" {
			return v, invalid(software.Deb, s0, "revision number is empty")
		}
	}
	if v.upstream == "" {
		return v, invalid(software.Deb, s0, "version number is empty")
	}
	return v, nil
}

// ValidDeb reports whether dpkg accepts s as a version.
func ValidDeb(s string) error {
	_, err := parseDeb(s)
	return err
}

// CompareDeb orders two dpkg versions as `dpkg --compare-versions` does (Debian
// Policy 5.6.12): epoch numerically, then upstream version and Debian revision by
// verrevcmp.
func CompareDeb(a, b string) (int, error) {
	va, err := parseDeb(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseDeb(b)
	if err != nil {
		return 0, err
	}
	if va.epoch != vb.epoch {
		if va.epoch < vb.epoch {
			return -1, nil
		}
		return 1, nil
	}
	if c := verrevcmp(va.upstream, vb.upstream); c != 0 {
		return c, nil
	}
	return verrevcmp(va.revision, vb.revision), nil
}

// debOrder is dpkg's character weight: '~' before the end of the string, the end
// before letters, letters before every other non-digit.
func debOrder(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	c := s[i]
	switch {
	case isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -1
	}
	return int(c) + 256
}

// verrevcmp is dpkg's lib/dpkg/version.c verrevcmp: alternate non-digit runs
// (compared character by character by debOrder) and digit runs (numerically).
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isDigit(a[i]) || j < len(b) && !isDigit(b[j]) {
			ac, bc := debOrder(a, i), debOrder(b, j)
			if ac != bc {
				return sign(ac - bc)
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		first := 0
		for i < len(a) && isDigit(a[i]) && j < len(b) && isDigit(b[j]) {
			if first == 0 {
				first = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if first != 0 {
			return sign(first)
		}
	}
	return 0
}
