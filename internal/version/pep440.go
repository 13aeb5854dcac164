package version

import (
	"regexp"
	"strings"

	"github.com/palisade-k8s/palisade/internal/software"
)

// pep440 is packaging.version's VERSION_PATTERN (PEP 440 with its permitted
// spellings), matched case-insensitively against the whole string.
var pep440 = regexp.MustCompile(`(?i)^v?` +
	`(?:(?:([0-9]+)!)?` + // epoch
	`([0-9]+(?:\.[0-9]+)*)` + // release
	`([-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]+)?)?` + // pre
	`((?:-([0-9]+))|(?:[-_.]?(post|rev|r)[-_.]?([0-9]+)?))?` + // post
	`([-_.]?(dev)[-_.]?([0-9]+)?)?)` + // dev
	`(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$`) // local

// pyVersion is a PEP 440 version reduced to packaging's comparison key.
type pyVersion struct {
	epoch   string
	release []string // trailing zeros removed
	// pre: preRank 0 none-with-dev-only (sorts first), 1 a, 2 b, 3 rc, 4 none.
	preRank int
	preN    string
	post    bool
	postN   string
	dev     bool
	devN    string
	local   []string // lower-cased segments; nil when absent
}

func parsePyPI(s string) (pyVersion, error) {
	var v pyVersion
	if err := checkLen(software.PyPI, s); err != nil {
		return v, err
	}
	m := pep440.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return v, invalid(software.PyPI, s, "not a PEP 440 version")
	}
	v.epoch = orZero(m[1])
	v.release = strings.Split(m[2], ".")
	for len(v.release) > 1 && allZero(v.release[len(v.release)-1]) {
		v.release = v.release[:len(v.release)-1]
	}
	if len(v.release) == 1 && allZero(v.release[0]) {
		v.release = nil
	}
	switch strings.ToLower(m[4]) {
	case "a", "alpha":
		v.preRank = 1
	case "b", "beta":
		v.preRank = 2
	case "c", "rc", "pre", "preview":
		v.preRank = 3
	default:
		v.preRank = 4
	}
	v.preN = orZero(m[5])
	if m[6] != "" {
		v.post = true
		v.postN = orZero(m[7] + m[9])
	}
	if m[10] != "" {
		v.dev = true
		v.devN = orZero(m[12])
	}
	if v.preRank == 4 && !v.post && v.dev {
		v.preRank = 0
	}
	if m[13] != "" {
		v.local = strings.FieldsFunc(strings.ToLower(m[13]), func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	}
	return v, nil
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

func allZero(s string) bool { return strings.Trim(s, "0") == "" }

// ValidPyPI reports whether s is a PEP 440 version packaging accepts.
func ValidPyPI(s string) error {
	_, err := parsePyPI(s)
	return err
}

// ComparePyPI orders two Python package versions as packaging.version.Version does
// (PEP 440): epoch, release (trailing zeros ignored), dev-only releases before
// pre-releases (a < b < rc), then the final release, post-releases, dev releases of
// each before it, and a local version after the public one it labels.
func ComparePyPI(a, b string) (int, error) {
	va, err := parsePyPI(a)
	if err != nil {
		return 0, err
	}
	vb, err := parsePyPI(b)
	if err != nil {
		return 0, err
	}
	return va.compare(vb), nil
}

func (v pyVersion) compare(w pyVersion) int {
	if c := cmpDigits(v.epoch, w.epoch); c != 0 {
		return c
	}
	for i := 0; i < len(v.release) || i < len(w.release); i++ {
		if i >= len(v.release) {
			return -1
		}
		if i >= len(w.release) {
			return 1
		}
		if c := cmpDigits(v.release[i], w.release[i]); c != 0 {
			return c
		}
	}
	if v.preRank != w.preRank {
		return sign(v.preRank - w.preRank)
	}
	if v.preRank >= 1 && v.preRank <= 3 {
		if c := cmpDigits(v.preN, w.preN); c != 0 {
			return c
		}
	}
	if c := cmpOpt(v.post, w.post, v.postN, w.postN, -1); c != 0 {
		return c
	}
	if c := cmpOpt(v.dev, w.dev, v.devN, w.devN, 1); c != 0 {
		return c
	}
	return compareLocal(v.local, w.local)
}

// cmpOpt compares optional numbers; absent is below every number (absent = -1) or
// above (absent = 1).
func cmpOpt(has, hasW bool, n, m string, absent int) int {
	switch {
	case !has && !hasW:
		return 0
	case !has:
		return absent
	case !hasW:
		return -absent
	}
	return cmpDigits(n, m)
}

// compareLocal: no local version first; segments left to right, numeric ones above
// alphanumeric ones, numbers numerically, strings in order; a prefix first.
func compareLocal(a, b []string) int {
	if a == nil || b == nil {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return -1
		}
		return 1
	}
	for i := 0; i < len(a) || i < len(b); i++ {
		if i >= len(a) {
			return -1
		}
		if i >= len(b) {
			return 1
		}
		an, bn := allDigits(a[i]), allDigits(b[i])
		switch {
		case an && bn:
			if c := cmpDigits(a[i], b[i]); c != 0 {
				return c
			}
		case an:
			return 1
		case bn:
			return -1
		default:
			if c := cmpStr(a[i], b[i]); c != 0 {
				return c
			}
		}
	}
	return 0
}
