// Package version orders package versions the way each ecosystem's own tool does:
// dpkg for Debian packages, rpm's rpmvercmp for RPMs, apk-tools for Alpine, the Go
// module semver, node-semver for npm, PEP 440 (Python's packaging) for PyPI, Maven's
// ComparableVersion and SemVer 2.0 precedence for crates. RubyGems, NuGet and Composer
// have no ordering here yet (ErrUnsupported). Vulnerability matching decides "is this installed version inside
// an advisory's range" with these orderings, so each is tested differentially against
// its reference implementation. Everything here is pure: no I/O, bounded input
// (MaxLen), no panics on hostile strings.
package version

import (
	"errors"
	"fmt"

	"github.com/palisade-k8s/palisade/internal/software"
)

// MaxLen is the longest version string accepted (bytes); longer ones are an error.
const MaxLen = 1024

// ErrUnsupported is returned for an ecosystem without a native ordering here.
var ErrUnsupported = errors.New("no version ordering for this ecosystem")

// Error is an unparsable version: the reference tool rejects it too.
type Error struct {
	Ecosystem software.Ecosystem
	Version   string
	Reason    string
}

func (e *Error) Error() string {
	v := e.Version
	if len(v) > 64 {
		v = v[:64] + "..."
	}
	return fmt.Sprintf("invalid %s version %q: %s", e.Ecosystem, v, e.Reason)
}

func invalid(eco software.Ecosystem, v, reason string) error {
	return &Error{Ecosystem: eco, Version: v, Reason: reason}
}

// checkLen rejects the empty and the oversized version.
func checkLen(eco software.Ecosystem, v string) error {
	if v == "" {
		return invalid(eco, v, "empty")
	}
	if len(v) > MaxLen {
		return invalid(eco, v, fmt.Sprintf("longer than %d bytes", MaxLen))
	}
	return nil
}

type comparer struct {
	compare func(a, b string) (int, error)
	valid   func(v string) error
}

var comparers = map[software.Ecosystem]comparer{
	software.Deb:    {CompareDeb, ValidDeb},
	software.RPM:    {CompareRPM, ValidRPM},
	software.APK:    {CompareAPK, ValidAPK},
	software.Golang: {CompareGo, ValidGo},
	software.NPM:    {CompareNPM, ValidNPM},
	software.PyPI:   {ComparePyPI, ValidPyPI},
	software.Maven:  {CompareMaven, ValidMaven},
	software.Cargo:  {CompareCargo, ValidCargo},
}

// Supported reports whether eco has a native ordering.
func Supported(eco software.Ecosystem) bool {
	_, ok := comparers[eco]
	return ok
}

// Compare orders two versions of eco: -1 if a < b, 0 if they are equal in that
// ecosystem's ordering (1.0 and 1.0.0 in Maven), +1 if a > b. The error is an
// *Error naming the unparsable version, or ErrUnsupported.
func Compare(eco software.Ecosystem, a, b string) (int, error) {
	c, ok := comparers[eco]
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrUnsupported, eco)
	}
	return c.compare(a, b)
}

// Valid returns nil if v is a version eco's tools accept, else an *Error (or
// ErrUnsupported).
func Valid(eco software.Ecosystem, v string) error {
	c, ok := comparers[eco]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnsupported, eco)
	}
	return c.valid(v)
}

// sign maps an int to -1, 0 or 1.
func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// cmpDigits compares two runs of ASCII digits numerically, at any length.
func cmpDigits(a, b string) int {
	for len(a) > 0 && a[0] == '0' {
		a = a[1:]
	}
	for len(b) > 0 && b[0] == '0' {
		b = b[1:]
	}
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return cmpStr(a, b)
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
