package version

import (
	"math/rand/v2"
	"strings"
)

// gen builds adversarial versions from a fixed seed: each ecosystem draws from
// pieces that hit its ordering's edge cases.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

func (g *gen) pick(s ...string) string { return s[g.r.IntN(len(s))] }

func (g *gen) num() string {
	switch g.r.IntN(6) {
	case 0:
		return "0"
	case 1:
		return g.pick("00", "01", "007", "0010")
	case 2:
		return g.pick("10", "9", "99", "100", "1000000000000", "18446744073709551616")
	}
	return string(rune('0' + g.r.IntN(4)))
}

func (g *gen) alpha() string {
	return g.pick("a", "b", "z", "A", "Z", "rc", "beta", "alpha", "dfsg", "ubuntu", "deb", "el", "p", "pre", "git", "x")
}

// deb: epochs, '~', '+', '.', '-', leading zeros, letters.
func (g *gen) deb() string {
	var b strings.Builder
	if g.r.IntN(4) == 0 {
		b.WriteString(g.pick("0", "1", "2", "01", "10"))
		b.WriteByte(':')
	}
	b.WriteString(g.num())
	for range g.r.IntN(5) {
		switch g.r.IntN(7) {
		case 0, 1:
			b.WriteString(g.pick(".", "~", "+", "~~", ".~", "+~", "-", ":"))
			b.WriteString(g.num())
		case 2:
			b.WriteString(g.alpha())
		case 3:
			b.WriteString(g.pick("~", "~rc", "~beta", "+dfsg", "+b1", ".", "+", "~~"))
		default:
			b.WriteString(g.num())
			if g.r.IntN(2) == 0 {
				b.WriteByte('.')
				b.WriteString(g.num())
			}
		}
	}
	if g.r.IntN(2) == 0 {
		b.WriteByte('-')
		b.WriteString(g.pick("0", "1", "2", "1ubuntu1", "1+deb12u1", "1~bpo11+1", "0.1", "10", "a", "~", "1.", "1build2"))
	}
	return b.String()
}

// rpm: epochs, releases, '~', '^', separators, letters vs digits.
func (g *gen) rpm() string {
	var b strings.Builder
	if g.r.IntN(4) == 0 {
		b.WriteString(g.pick("0", "1", "2", "01", ""))
		b.WriteByte(':')
	}
	b.WriteString(g.num())
	for range g.r.IntN(5) {
		switch g.r.IntN(6) {
		case 0:
			b.WriteString(g.pick(".", "~", "^", "_", "+", "..", "~~", "^^", "%", "."))
		case 1:
			b.WriteString(g.alpha())
		default:
			b.WriteString(g.pick(".", "", "~", "^", "_"))
			b.WriteString(g.num())
		}
	}
	if g.r.IntN(2) == 0 {
		b.WriteByte('-')
		b.WriteString(g.pick("1", "2", "1.el9", "1.el9_2", "0.rc1", "1~beta", "1^git", "10.fc39", "", "3.1"))
	}
	return b.String()
}

// goVer: semver with and without shorthands, prereleases, pseudo-versions,
// +incompatible; one in eight gets an invalid mutation.
func (g *gen) goVer() string {
	var b strings.Builder
	b.WriteString(g.pick("v", "v", "v", "v", "v", ""))
	b.WriteString(g.pick("0", "1", "2", "10"))
	n := 2
	if g.r.IntN(6) == 0 {
		n = g.r.IntN(2)
	}
	for range n {
		b.WriteByte('.')
		b.WriteString(g.pick("0", "1", "2", "10", "21", "3"))
	}
	if n == 2 && g.r.IntN(2) == 0 {
		b.WriteString("-")
		b.WriteString(g.preIdents())
		if g.r.IntN(3) == 0 {
			b.WriteString(g.pick("-20230101000000-abcdef123456", ".20230101000000-abcdef123456", ".0.20191109021931-daa7c04131f5", "-0.20191109021931-daa7c04131f5"))
		}
	}
	if n == 2 && g.r.IntN(5) == 0 {
		b.WriteString(g.pick("+incompatible", "+build.1", "+a.b", "+001"))
	}
	return g.mutate(b.String())
}

// mutate breaks one version in eight with a form the reference tools reject.
func (g *gen) mutate(v string) string {
	if g.r.IntN(8) != 0 {
		return v
	}
	switch g.r.IntN(5) {
	case 0:
		return v + g.pick(".", "-", "+", "..", "-01", "+a..b")
	case 1:
		return g.pick("V", "01.", "=", "v.") + v
	case 2:
		return strings.Replace(v, ".", "..", 1)
	case 3:
		return strings.Replace(v, ".", ".0", 1)
	}
	return v + g.pick(".0", "-pre.01", "_x", " x")
}

func (g *gen) preIdents() string {
	var ids []string
	for range 1 + g.r.IntN(3) {
		ids = append(ids, g.pick("0", "1", "2", "10", "alpha", "beta", "rc", "a1", "1a", "-", "x-y", "A", "Z", "9007199254740993", "9007199254740992", "11"))
	}
	return strings.Join(ids, ".")
}

// npm: full triples with an optional "v" and whitespace, prereleases with large
// numeric identifiers; mutations for what node-semver rejects ("=", two parts).
func (g *gen) npm() string {
	var b strings.Builder
	b.WriteString(g.pick("", "", "", "", "v", " "))
	for i := range 3 {
		if i > 0 {
			b.WriteByte('.')
		}
		if g.r.IntN(30) == 0 {
			b.WriteString(g.pick("9007199254740991", "9007199254740992"))
		} else {
			b.WriteString(g.pick("0", "1", "2", "10", "3"))
		}
	}
	if g.r.IntN(2) == 0 {
		b.WriteString("-")
		b.WriteString(g.preIdents())
	}
	if g.r.IntN(5) == 0 {
		b.WriteString(g.pick("+build.1", "+001", "+a-b", " "))
	}
	return g.mutate(b.String())
}

// cargo: full SemVer 2.0 versions; mutations add "v", shorthands and so on.
func (g *gen) cargo() string {
	v := strings.TrimPrefix(g.npm(), " ")
	return strings.TrimSpace(strings.TrimPrefix(v, "v"))
}

// pypi: epochs, pre/post/dev spellings, local versions, case and separators.
func (g *gen) pypi() string {
	var b strings.Builder
	if g.r.IntN(8) == 0 {
		b.WriteString(g.pick("v", "V", " "))
	}
	if g.r.IntN(6) == 0 {
		b.WriteString(g.pick("0", "1", "2", "01"))
		b.WriteByte('!')
	}
	b.WriteString(g.num())
	for range g.r.IntN(4) {
		b.WriteByte('.')
		b.WriteString(g.num())
	}
	sep := func() string { return g.pick("", "", ".", "-", "_") }
	if g.r.IntN(3) == 0 {
		b.WriteString(sep() + g.pick("a", "alpha", "b", "beta", "c", "rc", "pre", "preview", "RC", "A") + sep())
		if g.r.IntN(3) > 0 {
			b.WriteString(g.num())
		}
	}
	if g.r.IntN(3) == 0 {
		if g.r.IntN(3) == 0 {
			b.WriteString("-" + g.num())
		} else {
			b.WriteString(sep() + g.pick("post", "rev", "r", "POST") + sep())
			if g.r.IntN(3) > 0 {
				b.WriteString(g.num())
			}
		}
	}
	if g.r.IntN(3) == 0 {
		b.WriteString(sep() + g.pick("dev", "DEV") + sep())
		if g.r.IntN(3) > 0 {
			b.WriteString(g.num())
		}
	}
	if g.r.IntN(4) == 0 {
		b.WriteString("+" + g.pick("ubuntu", "1", "01", "abc", "A1") + g.pick("", ".1", "-2", "_x", ".abc.7", ".", "..1"))
	}
	if g.r.IntN(30) == 0 {
		b.WriteString(g.pick("x", "!", "-", ".."))
	}
	return b.String()
}

// maven: qualifiers and their aliases, separators, transitions, padding zeros.
func (g *gen) maven() string {
	var b strings.Builder
	b.WriteString(g.num())
	for range g.r.IntN(5) {
		b.WriteString(g.pick(".", "-", "", ".", "-", ".."))
		if g.r.IntN(2) == 0 {
			b.WriteString(g.num())
		} else {
			b.WriteString(g.pick("alpha", "a", "beta", "b", "milestone", "m", "rc", "cr", "snapshot", "SNAPSHOT", "ga", "final", "release", "RELEASE", "sp", "foo", "x", "jre", "Final", ""))
		}
	}
	return b.String()
}

// apk: the valid grammar plus some invalid orderings.
func (g *gen) apk() string {
	var b strings.Builder
	b.WriteString(g.num())
	for range g.r.IntN(3) {
		b.WriteByte('.')
		b.WriteString(g.num())
	}
	if g.r.IntN(4) == 0 {
		b.WriteString(g.pick("a", "b", "z"))
	}
	for range g.r.IntN(3) {
		b.WriteString("_" + g.pick("alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"))
		if g.r.IntN(2) == 0 {
			b.WriteString(g.num())
		}
	}
	if g.r.IntN(2) == 0 {
		b.WriteString("-r" + g.num())
	}
	if g.r.IntN(20) == 0 {
		b.WriteString(g.pick("-", "_x", ".a", "a1b", "-r", "~"))
	}
	return b.String()
}
