package version

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/palisade-k8s/palisade/internal/software"
)

// semVer is a parsed Semantic Version: numbers as digit strings (no leading zeros),
// the prerelease without its '-'; build metadata never takes part in ordering.
type semVer struct {
	major, minor, patch string
	pre                 string
}

// parseNum reads a numeric identifier ("0" or [1-9][0-9]*) at the start of s.
func parseNum(s string) (num, rest string, ok bool) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == 0 || i > 1 && s[0] == '0' {
		return "", s, false
	}
	return s[:i], s[i:], true
}

// parseIdents checks dot-separated identifiers of [0-9A-Za-z-], none empty; with
// pre set, a numeric identifier may not have leading zeros.
func parseIdents(s string, pre bool) bool {
	for id := range strings.SplitSeq(s, ".") {
		if id == "" {
			return false
		}
		num := true
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !isAlnum(c) && c != '-' {
				return false
			}
			if !isDigit(c) {
				num = false
			}
		}
		if pre && num && len(id) > 1 && id[0] == '0' {
			return false
		}
	}
	return true
}

// parseSemVer parses MAJOR[.MINOR[.PATCH[-PRE][+BUILD]]] (the prefix stripped);
// short allows the Go shorthands v1 and v1.2.
func parseSemVer(s string, short bool) (semVer, bool) {
	var v semVer
	var ok bool
	if v.major, s, ok = parseNum(s); !ok {
		return v, false
	}
	if s == "" && short {
		v.minor, v.patch = "0", "0"
		return v, true
	}
	if s == "" || s[0] != '.' {
		return v, false
	}
	if v.minor, s, ok = parseNum(s[1:]); !ok {
		return v, false
	}
	if s == "" && short {
		v.patch = "0"
		return v, true
	}
	if s == "" || s[0] != '.' {
		return v, false
	}
	if v.patch, s, ok = parseNum(s[1:]); !ok {
		return v, false
	}
	if s != "" && s[0] == '-' {
		end := strings.IndexByte(s, '+')
		if end < 0 {
			end = len(s)
		}
		v.pre = s[1:end]
		if !parseIdents(v.pre, true) {
			return v, false
		}
		s = s[end:]
	}
	if s != "" && s[0] == '+' {
		if !parseIdents(s[1:], false) {
			return v, false
		}
		s = ""
	}
	return v, s == ""
}

// comparePre orders prereleases: none is newest; identifiers left to right,
// numeric ones numerically and before alphanumeric ones, those in ASCII order; a
// prefix first. numCmp compares two numeric identifiers; with js, two different
// numeric identifiers that numCmp finds equal end the comparison as equal (node-semver
// returns compareIdentifiers' 0 there).
func comparePre(a, b string, numCmp func(a, b string) int, js bool) int {
	if a == b {
		return 0
	}
	if a == "" {
		return 1
	}
	if b == "" {
		return -1
	}
	for a != "" && b != "" {
		var x, y string
		x, a, _ = strings.Cut(a, ".")
		y, b, _ = strings.Cut(b, ".")
		if x == y {
			continue
		}
		xn, yn := allDigits(x), allDigits(y)
		switch {
		case xn && yn:
			if c := numCmp(x, y); c != 0 || js {
				return c
			}
		case xn:
			return -1
		case yn:
			return 1
		default:
			return cmpStr(x, y)
		}
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func (v semVer) compare(w semVer, numCmp func(a, b string) int, js bool) int {
	if c := cmpDigits(v.major, w.major); c != 0 {
		return c
	}
	if c := cmpDigits(v.minor, w.minor); c != 0 {
		return c
	}
	if c := cmpDigits(v.patch, w.patch); c != 0 {
		return c
	}
	return comparePre(v.pre, w.pre, numCmp, js)
}

// parseGo parses a Go module version as golang.org/x/mod/semver does, with the "v"
// optional (OSV records for Go spell versions without it): v1.2.3-pre+build,
// shorthands v1 and v1.2; "+incompatible" is build metadata; pseudo-versions are
// prereleases and order as such.
func parseGo(s string) (semVer, error) {
	if err := checkLen(software.Golang, s); err != nil {
		return semVer{}, err
	}
	v, ok := parseSemVer(strings.TrimPrefix(s, "v"), true)
	if !ok {
		return v, invalid(software.Golang, s, "not a semantic version vMAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]]")
	}
	return v, nil
}

// ValidGo reports whether s is a Go module version (the "v" optional).
func ValidGo(s string) error {
	_, err := parseGo(s)
	return err
}

// CompareGo orders two Go module versions as golang.org/x/mod/semver.Compare does
// for valid versions (it orders invalid ones first; here they are an error).
func CompareGo(a, b string) (int, error) {
	va, err := parseGo(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseGo(b)
	if err != nil {
		return 0, err
	}
	return va.compare(vb, cmpDigits, false), nil
}

// npm's limits (node-semver constants.js).
const (
	npmMaxLength   = 256
	npmMaxSafeInt  = "9007199254740991"
	npmExactDigits = 15 // shorter digit strings are exact as JavaScript numbers
)

// parseNPM parses a version as node-semver's strict parser (new SemVer(v)) does:
// surrounding whitespace trimmed, an optional "v", MAJOR.MINOR.PATCH without leading
// zeros, each at most Number.MAX_SAFE_INTEGER, at most 256 characters.
func parseNPM(s string) (semVer, error) {
	if err := checkLen(software.NPM, s); err != nil {
		return semVer{}, err
	}
	if len(s) > npmMaxLength {
		return semVer{}, invalid(software.NPM, s, "longer than 256 characters")
	}
	t := strings.TrimFunc(s, jsSpace)
	v, ok := parseSemVer(strings.TrimPrefix(t, "v"), false)
	if !ok {
		return v, invalid(software.NPM, s, "not a semantic version MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]")
	}
	for _, n := range []string{v.major, v.minor, v.patch} {
		if cmpDigits(n, npmMaxSafeInt) > 0 {
			return v, invalid(software.NPM, s, "a number above Number.MAX_SAFE_INTEGER")
		}
	}
	return v, nil
}

// jsSpace is what JavaScript's String.prototype.trim removes: Unicode White_Space
// without U+0085, plus the byte order mark.
func jsSpace(r rune) bool { return r == '\ufeff' || r != '\u0085' && unicode.IsSpace(r) }

// ValidNPM reports whether node-semver accepts s as a version.
func ValidNPM(s string) error {
	_, err := parseNPM(s)
	return err
}

// npmNumCmp compares numeric prerelease identifiers as JavaScript numbers (node-semver
// converts them with +id, so beyond 2^53 they round like float64).
func npmNumCmp(a, b string) int {
	if len(a) <= npmExactDigits && len(b) <= npmExactDigits {
		return cmpDigits(a, b)
	}
	x, _ := strconv.ParseFloat(a, 64)
	y, _ := strconv.ParseFloat(b, 64)
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// CompareNPM orders two npm versions as node-semver's compare does (build metadata
// ignored; loose forms such as "=1.2.3" or "1.2" rejected, as the strict parser does).
func CompareNPM(a, b string) (int, error) {
	va, err := parseNPM(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseNPM(b)
	if err != nil {
		return 0, err
	}
	return va.compare(vb, npmNumCmp, true), nil
}

// parseCargo parses a crate version: strict SemVer 2.0 (MAJOR.MINOR.PATCH, no "v",
// no leading zeros), as the semver crate Cargo uses requires.
func parseCargo(s string) (semVer, error) {
	if err := checkLen(software.Cargo, s); err != nil {
		return semVer{}, err
	}
	v, ok := parseSemVer(s, false)
	if !ok {
		return v, invalid(software.Cargo, s, "not a semantic version MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]")
	}
	return v, nil
}

// ValidCargo reports whether s is a SemVer 2.0 version as crates use.
func ValidCargo(s string) error {
	_, err := parseCargo(s)
	return err
}

// CompareCargo orders two crate versions by SemVer 2.0 precedence (build metadata
// ignored, as OSV's SEMVER ranges for crates.io do; the semver crate's Ord breaks
// that tie by build metadata, which no advisory range depends on).
func CompareCargo(a, b string) (int, error) {
	va, err := parseCargo(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseCargo(b)
	if err != nil {
		return 0, err
	}
	return va.compare(vb, cmpDigits, false), nil
}
