package history

import (
	"strings"
	"unicode"
)

// Range is the commits a history read covers: those reachable from To and not from
// From (From "" excludes nothing).
type Range struct {
	From, To string
}

// maxRevision bounds a revision's length: no branch, tag or revision expression a
// person types is longer.
const maxRevision = 1024

// ParseRange reads a range as git writes one: "REV" (every commit reachable from
// REV), "A..B" (reachable from B, not from A; an empty side is HEAD), or "" (HEAD).
// The symmetric difference "A...B" is not supported. A revision is anything go-git
// resolves: a branch, a tag, a hash (possibly abbreviated), HEAD~3, main^2.
func ParseRange(s string) (Range, error) {
	if len(s) > maxRevision {
		return Range{}, errorf("range of %d bytes: at most %d", len(s), maxRevision)
	}
	if strings.Contains(s, "...") {
		return Range{}, errorf("range %q: the symmetric difference A...B is not supported; use A..B", s)
	}
	from, to, two := strings.Cut(s, "..")
	if !two {
		from, to = "", s
	}
	if to == "" {
		to = "HEAD"
	}
	if two && from == "" {
		from = "HEAD"
	}
	for _, rev := range []string{from, to} {
		if err := checkRevision(s, rev); err != nil {
			return Range{}, err
		}
	}
	return Range{From: from, To: to}, nil
}

// checkRevision refuses what no revision holds: spaces and control characters, a
// leading dash (an option, not a revision), invalid UTF-8.
func checkRevision(s, rev string) error {
	if strings.HasPrefix(rev, "-") {
		return errorf("range %q: a revision cannot start with '-'", s)
	}
	for _, r := range rev {
		if r == unicode.ReplacementChar || unicode.IsSpace(r) || unicode.IsControl(r) {
			return errorf("range %q: a revision holds no spaces or control characters", s)
		}
	}
	return nil
}
