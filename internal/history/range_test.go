package history

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		in       string
		from, to string
		err      string
	}{
		{"", "", "HEAD", ""},
		{"HEAD", "", "HEAD", ""},
		{"main", "", "main", ""},
		{"v1.2.0..main", "v1.2.0", "main", ""},
		{"v1.2.0..", "v1.2.0", "HEAD", ""},
		{"..main", "HEAD", "main", ""},
		{"HEAD~3..HEAD^2", "HEAD~3", "HEAD^2", ""},
		{"a...b", "", "", "symmetric difference"},
		{"--all", "", "", "cannot start with '-'"},
		{"a..-b", "", "", "cannot start with '-'"},
		{"a b", "", "", "no spaces"},
		{"a\x00", "", "", "control characters"},
		{"a\xff", "", "", "control characters"},
		{strings.Repeat("a", maxRevision+1), "", "", "at most"},
	} {
		r, err := ParseRange(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseRange(%q) = %+v, %v; want an error with %q", tc.in, r, err, tc.err)
			}
			continue
		}
		if err != nil || r.From != tc.from || r.To != tc.to {
			t.Errorf("ParseRange(%q) = %+v, %v; want %q..%q", tc.in, r, err, tc.from, tc.to)
		}
	}
}

// FuzzParseRange: any input parses or is refused without panicking; what parses
// has a non-empty end, and its revisions are valid UTF-8 with no spaces and no
// leading dash.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"", "HEAD", "a..b", "a...b", "..b", "a..", "-x", "HEAD~2^1", "a..b..c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRange(s)
		if err != nil {
			return
		}
		if r.To == "" {
			t.Fatalf("ParseRange(%q) = %+v: no end", s, r)
		}
		for _, rev := range []string{r.From, r.To} {
			if !utf8.ValidString(rev) || strings.ContainsAny(rev, " \t\n\r") || strings.HasPrefix(rev, "-") || len(rev) > maxRevision {
				t.Fatalf("ParseRange(%q) = %+v: a bad revision", s, r)
			}
		}
	})
}
