package osv

import (
	"fmt"
	"slices"
	"strings"
)

// Compare orders two versions of one ecosystem: negative, zero or positive as a sorts
// before, equal to or after b. It returns an error for a string that is not a version of
// the ecosystem. internal/version provides one per ecosystem.
type Compare func(a, b string) (int, error)

// Status is the outcome of evaluating a version against an affected package.
type Status int

// Statuses.
const (
	// StatusNotAffected: no range and no listed version includes the version.
	StatusNotAffected Status = iota
	// StatusAffected: a SEMVER or ECOSYSTEM range, or the versions list, includes it.
	StatusAffected
	// StatusNotEvaluated: nothing includes the version, but the affected package has GIT
	// ranges, which name commits and are not evaluated against a version (never guessed).
	StatusNotEvaluated
)

func (s Status) String() string {
	switch s {
	case StatusAffected:
		return "affected"
	case StatusNotEvaluated:
		return "not evaluated"
	}
	return "not affected"
}

// Match is the evidence of an evaluation.
type Match struct {
	Status Status
	// Range is the index in Affected.Ranges of the first range that includes the
	// version; -1 when none does (then InVersions may be true).
	Range int
	// Introduced is the version of the introduced event that made that range include
	// the version ("0": from the beginning).
	Introduced string
	// Fixed is the version of the fixed event that ends that interval, "" if there is
	// none (no fix, or a last_affected bound).
	Fixed string
	// LastAffected is the version of the last_affected event that ends that interval.
	LastAffected string
	// Limits are the limit events of that range.
	Limits []string
	// InVersions is set when the version is in the explicit versions list.
	InVersions bool
	// FixedVersions lists the fixed events, over every SEMVER or ECOSYSTEM range of the
	// affected package, that sort after the version, in ascending order: the upgrades
	// that leave the vulnerable interval(s). Empty: no fix known.
	FixedVersions []string
}

// IsAffected reports m.Status == StatusAffected.
func (m Match) IsAffected() bool { return m.Status == StatusAffected }

// Matches evaluates version against a's ranges and versions as the OSV specification's
// Evaluation section defines it: in each range, the events sorted by version (with cmp;
// introduced "0" before everything, ties in record order), walking them in order an
// introduced event at or below the version makes it vulnerable, a fixed event at or
// below it makes it not vulnerable, a last_affected event strictly below it makes it not
// vulnerable; a range with limit events includes only versions below one of its limits
// (a limit containing "*" is infinity). Ranges are OR'ed, and so is the versions list
// (equality by cmp, or identical strings). GIT ranges are skipped, and make the result
// StatusNotEvaluated when nothing else includes the version. The package name and ecosystem
// are not checked: the caller looked the affected package up by them.
func (a *Affected) Matches(version string, cmp Compare) (Match, error) {
	m := Match{Range: -1}
	if _, err := cmp(version, version); err != nil {
		return m, fmt.Errorf("version %q: %w", version, err)
	}
	git := false
	for i := range a.Ranges {
		rg := &a.Ranges[i]
		if rg.Type == RangeGit {
			git = true
			continue
		}
		ev, err := rg.sorted(cmp)
		if err != nil {
			return Match{Range: -1}, fmt.Errorf("ranges[%d]: %w", i, err)
		}
		for _, e := range ev {
			if e.Kind == EventFixed {
				if c, _ := cmp(e.Version, version); c > 0 && !slices.Contains(m.FixedVersions, e.Version) {
					m.FixedVersions = append(m.FixedVersions, e.Version)
				}
			}
		}
		if m.Range >= 0 {
			continue
		}
		hit, err := includes(version, rg, ev, cmp)
		if err != nil {
			return Match{Range: -1}, fmt.Errorf("ranges[%d]: %w", i, err)
		}
		if hit.Status == StatusAffected {
			hit.Range = i
			hit.FixedVersions = m.FixedVersions
			m = hit
		}
	}
	slices.SortStableFunc(m.FixedVersions, func(x, y string) int { c, _ := cmp(x, y); return c })
	if m.Range < 0 {
		for _, v := range a.Versions {
			if v == version {
				m.InVersions = true
				break
			}
			if c, err := cmp(v, version); err == nil && c == 0 {
				m.InVersions = true
				break
			}
		}
	}
	switch {
	case m.Range >= 0 || m.InVersions:
		m.Status = StatusAffected
	case git:
		m.Status = StatusNotEvaluated
	}
	return m, nil
}

// sorted returns the range's events sorted by version (introduced "0" first, limits
// with "*" last, ties in record order).
func (rg *Range) sorted(cmp Compare) ([]Event, error) {
	ev := slices.Clone(rg.Events)
	for _, e := range ev {
		if isZero(e) || isInfinite(e) {
			continue
		}
		if _, err := cmp(e.Version, e.Version); err != nil {
			return nil, fmt.Errorf("%s %q: %w", e.Kind, e.Version, err)
		}
	}
	slices.SortStableFunc(ev, func(x, y Event) int {
		switch {
		case isZero(x) && isZero(y), isInfinite(x) && isInfinite(y):
			return 0
		case isZero(x), isInfinite(y):
			return -1
		case isZero(y), isInfinite(x):
			return 1
		}
		c, _ := cmp(x.Version, y.Version)
		return c
	})
	return ev, nil
}

func isZero(e Event) bool     { return e.Kind == EventIntroduced && e.Version == "0" }
func isInfinite(e Event) bool { return e.Kind == EventLimit && strings.Contains(e.Version, "*") }

// includes is IncludedInRanges for one range whose events are sorted.
func includes(v string, rg *Range, ev []Event, cmp Compare) (Match, error) {
	var m Match
	hasLimit, below := false, false
	for _, e := range ev {
		if e.Kind != EventLimit {
			continue
		}
		hasLimit = true
		m.Limits = append(m.Limits, e.Version)
		if isInfinite(e) {
			below = true
			continue
		}
		c, err := cmp(v, e.Version)
		if err != nil {
			return m, err
		}
		below = below || c < 0
	}
	if hasLimit && !below {
		return Match{}, nil
	}
	vulnerable := false
	for i, e := range ev {
		var c int
		if !isZero(e) && e.Kind != EventLimit {
			var err error
			if c, err = cmp(v, e.Version); err != nil {
				return m, err
			}
		}
		switch {
		case e.Kind == EventIntroduced && (isZero(e) || c >= 0):
			vulnerable = true
			m.Introduced, m.Fixed, m.LastAffected = e.Version, "", ""
			// The interval's end: the next fixed or last_affected event after it.
			for _, f := range ev[i+1:] {
				if f.Kind == EventFixed {
					m.Fixed = f.Version
					break
				}
				if f.Kind == EventLastAffected {
					m.LastAffected = f.Version
					break
				}
			}
		case e.Kind == EventFixed && c >= 0:
			vulnerable = false
		case e.Kind == EventLastAffected && c > 0:
			vulnerable = false
		}
	}
	if !vulnerable {
		return Match{}, nil
	}
	m.Status = StatusAffected
	return m, nil
}
