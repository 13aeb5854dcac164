package osv

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestCVSS3SpecExamples: the CVSS v3.1 Examples document of FIRST
// (https://www.first.org/cvss/v3.1/examples), base scores.
func TestCVSS3SpecExamples(t *testing.T) {
	for _, tc := range []struct {
		cve, vector string
		score       float64
		rating      Rating
	}{
		{"CVE-2013-1937", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, RatingMedium},
		{"CVE-2013-0375", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4, RatingMedium},
		{"CVE-2014-3566", "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1, RatingLow},
		{"CVE-2012-1516", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9, RatingCritical},
		{"CVE-2009-0783", "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L", 4.2, RatingMedium},
		{"CVE-2012-0384", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8, RatingHigh},
		{"CVE-2015-1098", "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8, RatingHigh},
		{"CVE-2014-0160", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5, RatingHigh},
		{"CVE-2014-6271", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, RatingCritical},
		{"CVE-2008-1447", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N", 6.8, RatingMedium},
		{"CVE-2014-2005", "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 6.8, RatingMedium},
		{"CVE-2010-0467", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N", 5.8, RatingMedium},
		{"CVE-2012-1342", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:L/A:N", 5.8, RatingMedium},
		{"CVE-2013-6014", "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:N/I:H/A:H", 9.3, RatingCritical},
		{"CVE-2011-1265", "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.8, RatingHigh},
		{"v3.0 prefix", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, RatingCritical},
		{"no impact", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0, RatingNone},
		{"temporal metrics ignored", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N/E:U/RL:O/RC:C", 7.5, RatingHigh},
	} {
		c, err := ParseCVSS(tc.vector)
		if err != nil {
			t.Errorf("%s: %v", tc.cve, err)
			continue
		}
		if !c.Scored || c.Score != tc.score || c.Rating() != tc.rating {
			t.Errorf("%s: %v %v %v, want %v %v", tc.cve, c.Scored, c.Score, c.Rating(), tc.score, tc.rating)
		}
	}
}

func TestCVSS4FIRSTCalculator(t *testing.T) {
	n := 0
	forLines(t, "testdata/cvss4-first.txt", func(vector string, want float64) {
		n++
		c, err := ParseCVSS(vector)
		if err != nil || c.Score != want {
			t.Errorf("%s: %+v %v, want %v", vector, c, err, want)
		}
	})
	if n != 3000 {
		t.Errorf("%d vectors", n)
	}
}

func TestCVSS4Examples(t *testing.T) {
	for vector, want := range map[string]float64{
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N": 9.3,
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H": 10,
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N": 0,
	} {
		c, err := ParseCVSS(vector)
		if err != nil || c.Score != want {
			t.Errorf("%s: %+v %v, want %v", vector, c, err, want)
		}
	}
}

func forLines(t *testing.T, path string, f func(vector string, score float64)) {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	s := bufio.NewScanner(file)
	for s.Scan() {
		line := s.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		vector, score, _ := strings.Cut(line, " ")
		want, err := strconv.ParseFloat(score, 64)
		if err != nil {
			t.Fatalf("%s: %q", path, line)
		}
		f(vector, want)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestCVSSErrors(t *testing.T) {
	for _, v := range []string{
		"", "AV:N/AC:L", "CVSS:2.0/AV:N", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:H", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N",
		"CVSS:3.1/" + strings.Repeat("AV:N/", 300),
	} {
		if c, err := ParseCVSS(v); err == nil {
			t.Errorf("%q accepted: %+v", v, c)
		}
	}
}

func TestRatingOf(t *testing.T) {
	for s, want := range map[float64]Rating{0: RatingNone, 0.1: RatingLow, 3.9: RatingLow, 4: RatingMedium, 6.9: RatingMedium, 7: RatingHigh, 8.9: RatingHigh, 9: RatingCritical, 10: RatingCritical} {
		if got := RatingOf(s); got != want {
			t.Errorf("%v: %v", s, got)
		}
	}
}

func BenchmarkCVSS(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseCVSS("CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:H/VI:L/VA:N/SC:L/SI:N/SA:N/E:P/CR:M"); err != nil {
			b.Fatal(err)
		}
		if _, err := ParseCVSS("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H"); err != nil {
			b.Fatal(err)
		}
	}
}
