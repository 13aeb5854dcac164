package version

import (
	"strings"

	"github.com/palisade-k8s/palisade/internal/software"
)

// ValidRPM reports whether s is usable as an rpm EVR: rpm itself accepts any string,
// so only the empty and the oversized one are errors.
func ValidRPM(s string) error { return checkLen(software.RPM, s) }

// CompareRPM orders two rpm versions as rpm's rpmverCmp (the Lua rpm.vercmp of rpm
// 4.18) does: each is an EVR "[epoch:]version[-release]"; a missing epoch is 0;
// epochs, versions, then releases compare with rpmvercmp, and when only one has a
// release (even an empty one) it is the newer: "1.0" < "1.0-1" (unlike rpm's
// dependency ranges, which skip a missing release).
func CompareRPM(a, b string) (int, error) {
	if err := ValidRPM(a); err != nil {
		return 0, err
	}
	if err := ValidRPM(b); err != nil {
		return 0, err
	}
	ea, va, ra, hasRA := parseEVR(a)
	eb, vb, rb, hasRB := parseEVR(b)
	if c := RPMVerCmp(ea, eb); c != 0 {
		return c, nil
	}
	if c := RPMVerCmp(va, vb); c != 0 {
		return c, nil
	}
	switch {
	case hasRA && hasRB:
		return RPMVerCmp(ra, rb), nil
	case hasRA:
		return 1, nil
	case hasRB:
		return -1, nil
	}
	return 0, nil
}

// parseEVR splits like rpm's parseEVR: leading digits followed by ':' are the epoch
// ("0" when absent or empty), the release follows the last '-' after it.
func parseEVR(s string) (epoch, ver, rel string, hasRel bool) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	epoch, ver = "0", s
	if i < len(s) && s[i] == ':' {
		if i > 0 {
			epoch = s[:i]
		}
		ver = s[i+1:]
	}
	if j := strings.LastIndexByte(ver, '-'); j >= 0 {
		return epoch, ver[:j], ver[j+1:], true
	}
	return epoch, ver, "", false
}

func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// RPMVerCmp is rpm's rpmvercmp (rpm >= 4.15): alphanumeric segments, digits
// numerically and newer than letters, '~' before everything (even the end), '^'
// after the end but before any further segment.
func RPMVerCmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}
		ca, cb := byteAt(a, i), byteAt(b, j)
		if ca == '~' || cb == '~' {
			if ca != '~' {
				return 1
			}
			if cb != '~' {
				return -1
			}
			i++
			j++
			continue
		}
		if ca == '^' || cb == '^' {
			if i >= len(a) {
				return -1
			}
			if j >= len(b) {
				return 1
			}
			if ca != '^' {
				return 1
			}
			if cb != '^' {
				return -1
			}
			i++
			j++
			continue
		}
		if i >= len(a) || j >= len(b) {
			break
		}
		si, sj := i, j
		num := isDigit(a[i])
		if num {
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
		} else {
			for i < len(a) && isAlpha(a[i]) {
				i++
			}
			for j < len(b) && isAlpha(b[j]) {
				j++
			}
		}
		if j == sj {
			if num {
				return 1
			}
			return -1
		}
		var c int
		if num {
			c = cmpDigits(a[si:i], b[sj:j])
		} else {
			c = cmpStr(a[si:i], b[sj:j])
		}
		if c != 0 {
			return c
		}
	}
	if i >= len(a) && j >= len(b) {
		return 0
	}
	if i < len(a) {
		return 1
	}
	return -1
}

func byteAt(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}
