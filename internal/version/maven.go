package version

import (
	"strings"

	"github.com/palisade-k8s/palisade/internal/software"
)

// mvnItem is one item of a Maven ComparableVersion: a number (digits, no leading
// zeros), a qualifier string, or a sublist (what follows a '-' or a digit/letter
// transition).
type mvnItem struct {
	kind byte // 'n' number, 's' string, 'l' list
	s    string
	list []mvnItem
}

// mvnQualifiers are the known qualifiers in order; "" is the release.
var mvnQualifiers = [...]string{"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"}

const mvnReleaseIndex = "5"

func mvnComparable(q string) string {
	for i, k := range mvnQualifiers {
		if k == q {
			return string(rune('0' + i))
		}
	}
	return "7-" + q
}

func mvnString(s string, followedByDigit bool) mvnItem {
	if followedByDigit && len(s) == 1 {
		switch s {
		case "a":
			s = "alpha"
		case "b":
			s = "beta"
		case "m":
			s = "milestone"
		}
	}
	switch s {
	case "ga", "final", "release":
		s = ""
	case "cr":
		s = "rc"
	}
	return mvnItem{kind: 's', s: s}
}

func mvnParseItem(digit bool, s string) mvnItem {
	if digit {
		s = strings.TrimLeft(s, "0")
		if s == "" {
			s = "0"
		}
		return mvnItem{kind: 'n', s: s}
	}
	return mvnString(s, false)
}

func (it mvnItem) isNull() bool {
	switch it.kind {
	case 'n':
		return it.s == "0"
	case 's':
		return mvnComparable(it.s) == mvnReleaseIndex
	}
	return len(it.list) == 0
}

// parseMaven is ComparableVersion.parseVersion (maven-artifact 3.8).
func parseMaven(v string) []mvnItem {
	v = strings.ToLower(v)
	// lists is the chain of nested lists, outermost first; each new list is the last
	// item of its parent, so it is built bottom-up at the end.
	lists := [][]mvnItem{nil}
	cur := func() *[]mvnItem { return &lists[len(lists)-1] }
	push := func() { lists = append(lists, nil) }
	digit := false
	start := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '.':
			if i == start {
				*cur() = append(*cur(), mvnItem{kind: 'n', s: "0"})
			} else {
				*cur() = append(*cur(), mvnParseItem(digit, v[start:i]))
			}
			start = i + 1
		case c == '-':
			if i == start {
				*cur() = append(*cur(), mvnItem{kind: 'n', s: "0"})
			} else {
				*cur() = append(*cur(), mvnParseItem(digit, v[start:i]))
			}
			start = i + 1
			push()
		case isDigit(c):
			if !digit && i > start {
				// Like a trailing qualifier: .X1 counts as -X1.
				if len(*cur()) > 0 {
					push()
				}
				*cur() = append(*cur(), mvnString(v[start:i], true))
				start = i
				push()
			}
			digit = true
		default:
			if digit && i > start {
				*cur() = append(*cur(), mvnParseItem(true, v[start:i]))
				start = i
				push()
			}
			digit = false
		}
	}
	if len(v) > start {
		// maven-artifact 3.8: a trailing qualifier after '.' counts as after '-'
		// (1.0.0.X1 < 1.0.0-X2).
		if !digit && len(*cur()) > 0 {
			push()
		}
		*cur() = append(*cur(), mvnParseItem(digit, v[start:]))
	}
	// Normalize innermost first, attaching each list to its parent.
	for k := len(lists) - 1; k >= 0; k-- {
		l := mvnNormalize(lists[k])
		lists[k] = l
		if k > 0 {
			lists[k-1] = append(lists[k-1], mvnItem{kind: 'l', list: l})
		}
	}
	return lists[0]
}

// mvnNormalize removes trailing null items (0, "", empty lists), stopping at the
// first non-null item that is not a list.
func mvnNormalize(l []mvnItem) []mvnItem {
	for i := len(l) - 1; i >= 0; i-- {
		if l[i].isNull() {
			l = append(l[:i], l[i+1:]...)
		} else if l[i].kind != 'l' {
			break
		}
	}
	return l
}

// mvnCompare is Item.compareTo; b nil (absent) is the padding item.
func mvnCompare(a mvnItem, b *mvnItem) int {
	switch a.kind {
	case 'n':
		if b == nil {
			if a.s == "0" {
				return 0
			}
			return 1
		}
		switch b.kind {
		case 'n':
			return cmpDigits(a.s, b.s)
		}
		return 1
	case 's':
		if b == nil {
			return sign(strings.Compare(mvnComparable(a.s), mvnReleaseIndex))
		}
		switch b.kind {
		case 's':
			return sign(strings.Compare(mvnComparable(a.s), mvnComparable(b.s)))
		}
		return -1
	}
	if b == nil {
		// The whole list against padding (MNG-6964), not only its first item.
		for _, it := range a.list {
			if c := mvnCompare(it, nil); c != 0 {
				return c
			}
		}
		return 0
	}
	switch b.kind {
	case 'n':
		return -1
	case 's':
		return 1
	}
	return mvnCompareLists(a.list, b.list)
}

func mvnCompareLists(a, b []mvnItem) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		var c int
		switch {
		case i >= len(a):
			c = -mvnCompare(b[i], nil)
		case i >= len(b):
			c = mvnCompare(a[i], nil)
		default:
			c = mvnCompare(a[i], &b[i])
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// ValidMaven: Maven orders every string, so only the empty and the oversized one
// are errors.
func ValidMaven(s string) error { return checkLen(software.Maven, s) }

// CompareMaven orders two Maven versions as maven-artifact's ComparableVersion
// (3.8) does: items split at '.', '-' and digit/letter transitions, numbers
// numerically, qualifiers alpha < beta < milestone < rc = cr < snapshot < "" = ga =
// final = release < sp < other qualifiers (alphabetically), trailing nulls ignored
// (1.0 = 1).
func CompareMaven(a, b string) (int, error) {
	if err := ValidMaven(a); err != nil {
		return 0, err
	}
	if err := ValidMaven(b); err != nil {
		return 0, err
	}
	return mvnCompareLists(parseMaven(a), parseMaven(b)), nil
}
