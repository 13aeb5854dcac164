package rules

import "path"

// MatchGlob reports whether s matches one of the patterns of a Glob parameter. A
// malformed pattern matches nothing (configuration load rejects it; see CheckGlob).
func MatchGlob(patterns []string, s string) bool {
	for _, pt := range patterns {
		if ok, err := path.Match(pt, s); err == nil && ok {
			return true
		}
	}
	return false
}
