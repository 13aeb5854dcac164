package version

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/software"
)

// Hand-picked orderings, each from the ecosystem's documentation or reference tool.
var ordered = []struct {
	eco  software.Ecosystem
	a, b string
	want int
}{
	{software.Deb, "1.0~rc1", "1.0", -1},
	{software.Deb, "1.0~~", "1.0~", -1},
	{software.Deb, "1.0", "1.0+b1", -1},
	{software.Deb, "1:0.1", "2.0", 1},
	{software.Deb, "1.0-1", "1.0-1ubuntu1", -1},
	{software.Deb, "1.0", "1.0-0", 0},
	{software.Deb, "1.01", "1.1", 0},
	{software.Deb, "1.0a", "1.0+", -1},
	{software.Deb, "2.36-9+deb12u4", "2.36-9+deb12u10", -1},
	{software.RPM, "1.0~rc1", "1.0", -1},
	{software.RPM, "1.0^git1", "1.0", 1},
	{software.RPM, "1.0^git1", "1.0.1", -1},
	{software.RPM, "1:1.0-1", "2.0-1", 1},
	{software.RPM, "1.0a", "1.0.1", -1},
	{software.RPM, "1.010", "1.10", 0},
	{software.RPM, "2.28-225.el9", "2.28-225.el9_2", -1},
	{software.APK, "1.2.3-r0", "1.2.3-r1", -1},
	{software.APK, "1.2.3_rc1", "1.2.3", -1},
	{software.APK, "1.2.3_p1", "1.2.3", 1},
	{software.APK, "1.2.3_alpha", "1.2.3_beta", -1},
	{software.APK, "1.2.3_pre2", "1.2.3_rc1", -1},
	{software.APK, "1.2.3a", "1.2.3", 1},
	{software.APK, "1.2.3a", "1.2.4", -1},
	{software.APK, "1.01", "1.1", -1},
	{software.APK, "1.001", "1.01", -1},
	{software.APK, "6.0_pre1", "6.0", -1},
	{software.APK, "0.1.0_alpha_pre2", "0.1.0_alpha", -1},
	{software.APK, "1.0_p10-r0", "1.0_p9-r0", 1},
	{software.APK, "2.12r-r4", "2.12r-r5", -1},
	{software.APK, "1.2.07.8", "1.2.12.04", -1},
	{software.APK, "0.9.28.1", "087-r1", -1},
	{software.APK, "1.0.0_pre20191002222144-r0", "1.0.0_pre20210530193627-r0", -1},
	{software.APK, "1.0", "1", 1},
	{software.APK, "3.0.13-r0", "3.0.8-r3", 1},
	{software.Golang, "v1.2.3", "1.2.3", 0},
	{software.Golang, "v1.21.0-rc.2", "v1.21.0", -1},
	{software.Golang, "v1.21.3", "v1.21.10", -1},
	{software.Golang, "v2.0.0+incompatible", "v2.0.0", 0},
	{software.Golang, "v0.0.0-20191109021931-daa7c04131f5", "v0.0.1", -1},
	{software.Golang, "v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.3", 1},
	{software.Golang, "v1", "v1.0.0", 0},
	{software.NPM, "1.0.0-alpha", "1.0.0-alpha.1", -1},
	{software.NPM, "1.0.0-alpha.beta", "1.0.0-beta", -1},
	{software.NPM, "1.0.0-beta.11", "1.0.0-rc.1", -1},
	{software.NPM, "1.0.0-rc.1", "1.0.0", -1},
	{software.NPM, "1.0.0+build", "v1.0.0", 0},
	{software.NPM, "\u00a01.0.0\ufeff", "1.0.0", 0},
	{software.Cargo, "1.0.0-alpha.1", "1.0.0-alpha.beta", -1},
	{software.Cargo, "1.0.0+a", "1.0.0+b", 0},
	{software.PyPI, "1.0.dev0", "1.0a1", -1},
	{software.PyPI, "1.0a1", "1.0b1", -1},
	{software.PyPI, "1.0rc1", "1.0", -1},
	{software.PyPI, "1.0", "1.0.post1", -1},
	{software.PyPI, "1.0", "1.0+local", -1},
	{software.PyPI, "1!0.1", "2.0", 1},
	{software.PyPI, "1.0.0", "1", 0},
	{software.PyPI, "1.0-1", "1.0.post1", 0},
	{software.Maven, "1.0", "1", 0},
	{software.Maven, "1.0-alpha-1", "1.0-beta-1", -1},
	{software.Maven, "1.0-rc1", "1.0-cr1", 0},
	{software.Maven, "1.0-SNAPSHOT", "1.0", -1},
	{software.Maven, "1.0.Final", "1.0", 0},
	{software.Maven, "1.0", "1.0-sp1", -1},
	{software.Maven, "1.0-sp1", "1.0.1", -1},
	{software.Maven, "1.0-jre", "1.0-sp", 1},
	{software.Maven, "0", "0SNAPSHOT", 1},
	{software.Maven, "0SNAPSHOT", "a.aaa.aaa0", 1},
	{software.Maven, "a.aaa.aaa0", "0", 1}, // not transitive, as in Maven
	{software.RPM, "1-~", "1", 1},
	{software.RPM, "1-", "1-0", -1},
}

func TestCompareOrdered(t *testing.T) {
	for _, c := range ordered {
		got, err := Compare(c.eco, c.a, c.b)
		if err != nil || got != c.want {
			t.Errorf("Compare(%s, %q, %q) = %d, %v; want %d", c.eco, c.a, c.b, got, err, c.want)
		}
		if back, _ := Compare(c.eco, c.b, c.a); back != -c.want {
			t.Errorf("Compare(%s, %q, %q) = %d; want %d", c.eco, c.b, c.a, back, -c.want)
		}
	}
}

func TestInvalid(t *testing.T) {
	for _, c := range []struct {
		eco software.Ecosystem
		v   string
	}{
		{software.Deb, "a:1.0"}, {software.Deb, "1.0-"}, {software.Deb, "1:"}, {software.Deb, "1 0"},
		{software.APK, "1.0-x"}, {software.APK, "1.0_foo"}, {software.APK, "1.0~1"}, {software.APK, "1." + strings.Repeat("9", 18)},
		{software.Golang, "v1.2-pre"}, {software.Golang, "v01.0.0"}, {software.Golang, "v1.0.0-01"},
		{software.NPM, "1.2"}, {software.NPM, "=1.2.3"}, {software.NPM, "01.2.3"}, {software.NPM, "1.2.3\u0085"},
		{software.PyPI, "1.0.x"}, {software.PyPI, "foo"},
		{software.Cargo, "v1.0.0"}, {software.Cargo, "1.0"},
		{software.RPM, ""}, {software.Maven, strings.Repeat("1", MaxLen+1)},
	} {
		if _, err := Compare(c.eco, c.v, "1.0.0"); err == nil {
			t.Errorf("Compare(%s, %q) accepted it", c.eco, c.v)
		}
		if Valid(c.eco, c.v) == nil {
			t.Errorf("Valid(%s, %q) = nil", c.eco, c.v)
		}
	}
	if _, err := Compare(software.Gem, "1.0.0", "1.0.0"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("gem has no ordering yet: got %v, want ErrUnsupported", err)
	}
}

// ecosystems under test, in the order of fuzzing's first byte.
var ecosystems = []software.Ecosystem{software.Deb, software.RPM, software.APK, software.Golang, software.NPM, software.PyPI, software.Maven, software.Cargo}

// FuzzCompare: no panics; reflexive, antisymmetric, transitive on triples, and the
// error agrees with Valid.
func FuzzCompare(f *testing.F) {
	for _, c := range ordered {
		for i, e := range ecosystems {
			if e == c.eco {
				f.Add(byte(i), c.a, c.b, c.a+".1")
			}
		}
	}
	f.Fuzz(func(t *testing.T, e byte, a, b, c string) {
		eco := ecosystems[int(e)%len(ecosystems)]
		ab, err := Compare(eco, a, b)
		if (err == nil) != (Valid(eco, a) == nil && Valid(eco, b) == nil) {
			t.Fatalf("Compare error %v disagrees with Valid", err)
		}
		if err != nil {
			return
		}
		if aa, _ := Compare(eco, a, a); aa != 0 {
			t.Fatalf("Compare(%q, %q) = %d", a, a, aa)
		}
		if ba, _ := Compare(eco, b, a); ba != -ab {
			t.Fatalf("not antisymmetric: %q %q: %d %d", a, b, ab, ba)
		}
		bc, err := Compare(eco, b, c)
		if err != nil || eco == software.Maven {
			// Maven's ComparableVersion is not transitive (a.aaa.aaa0 > 0 >
			// 0SNAPSHOT > a.aaa.aaa0 in maven-artifact 3.8.7) and is reproduced as is.
			return
		}
		ac, _ := Compare(eco, a, c)
		if ab <= 0 && bc <= 0 && ac > 0 || ab >= 0 && bc >= 0 && ac < 0 {
			t.Fatalf("not transitive: %q %q %q: %d %d %d", a, b, c, ab, bc, ac)
		}
	})
}

func BenchmarkCompare(b *testing.B) {
	g := newGen(7)
	for _, eco := range ecosystems {
		next := map[software.Ecosystem]func() string{software.Deb: g.deb, software.RPM: g.rpm, software.APK: g.apk,
			software.Golang: g.goVer, software.NPM: g.npm, software.PyPI: g.pypi, software.Maven: g.maven, software.Cargo: g.cargo}[eco]
		p := pairs(1024, next)
		b.Run(string(eco), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				pr := p[i%len(p)]
				_, _ = Compare(eco, pr[0], pr[1])
			}
		})
	}
}

// TestAPKAgainstApkToolsData checks apk-tools' own test/version.data ("a < b" lines;
// PALISADE_APK_VERSION_DATA names a copy, e.g. `git show v2.14.9:test/version.data`
// from alpinelinux/apk-tools). Lines with a version apk-tools itself calls invalid
// (compared as strings there) are skipped: CompareAPK rejects them.
func TestAPKAgainstApkToolsData(t *testing.T) {
	file := os.Getenv("PALISADE_APK_VERSION_DATA")
	if file == "" {
		t.Skip("PALISADE_APK_VERSION_DATA not set")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	n, skipped := 0, 0
	for line := range strings.Lines(string(b)) {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		want, ok := map[string]int{"<": -1, "=": 0, ">": 1}[strings.Join(f[1:min(2, len(f))], "")]
		if len(f) != 3 || !ok {
			continue
		}
		if ValidAPK(f[0]) != nil || ValidAPK(f[2]) != nil {
			skipped++
			continue
		}
		n++
		if got, err := CompareAPK(f[0], f[2]); err != nil || got != want {
			t.Errorf("%s %s %s: CompareAPK = %d, %v", f[0], f[1], f[2], got, err)
		}
	}
	t.Logf("%d lines checked, %d with an invalid version skipped", n, skipped)
}
