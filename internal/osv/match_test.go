package osv

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/semver"

	"github.com/palisade-k8s/palisade/internal/version"
)

// semverCompare orders OSV SEMVER versions (written without "v") with
// golang.org/x/mod/semver, the reference internal/version's Go order is tested against.
func semverCompare(a, b string) (int, error) {
	va, vb := "v"+strings.TrimPrefix(a, "v"), "v"+strings.TrimPrefix(b, "v")
	if !semver.IsValid(va) {
		return 0, fmt.Errorf("invalid semver %q", a)
	}
	if !semver.IsValid(vb) {
		return 0, fmt.Errorf("invalid semver %q", b)
	}
	return semver.Compare(va, vb), nil
}

// dpkgCompare is dpkg's version order (internal/version, tested against dpkg itself).
var dpkgCompare = version.CompareDeb

func semverRange(events ...Event) Range { return Range{Type: RangeSemVer, Events: events} }

func in(v string) Event  { return Event{EventIntroduced, v} }
func fx(v string) Event  { return Event{EventFixed, v} }
func la(v string) Event  { return Event{EventLastAffected, v} }
func lim(v string) Event { return Event{EventLimit, v} }

func TestMatches(t *testing.T) {
	type want struct {
		status     Status
		rng        int
		introduced string
		fixed      string
		last       string
		inVersions bool
		fixes      []string
	}
	for _, tc := range []struct {
		name     string
		affected Affected
		version  string
		want     want
	}{
		{"introduced 0 only", Affected{Ranges: []Range{semverRange(in("0"))}}, "0.0.1",
			want{StatusAffected, 0, "0", "", "", false, nil}},
		{"before fixed", Affected{Ranges: []Range{semverRange(in("0"), fx("1.0.2"))}}, "1.0.1",
			want{StatusAffected, 0, "0", "1.0.2", "", false, []string{"1.0.2"}}},
		{"at fixed", Affected{Ranges: []Range{semverRange(in("0"), fx("1.0.2"))}}, "1.0.2",
			want{StatusNotAffected, -1, "", "", "", false, nil}},
		{"after fixed", Affected{Ranges: []Range{semverRange(in("0"), fx("1.0.2"))}}, "1.1.0",
			want{StatusNotAffected, -1, "", "", "", false, nil}},
		{"at introduced", Affected{Ranges: []Range{semverRange(in("1.0.0"), fx("1.0.2"))}}, "1.0.0",
			want{StatusAffected, 0, "1.0.0", "1.0.2", "", false, []string{"1.0.2"}}},
		{"before introduced", Affected{Ranges: []Range{semverRange(in("1.0.0"), fx("1.0.2"))}}, "0.9.0",
			want{StatusNotAffected, -1, "", "", "", false, []string{"1.0.2"}}},
		{"prerelease before introduced", Affected{Ranges: []Range{semverRange(in("1.0.0"), fx("1.0.2"))}}, "1.0.0-rc.1",
			want{StatusNotAffected, -1, "", "", "", false, []string{"1.0.2"}}},
		{"at last_affected", Affected{Ranges: []Range{semverRange(in("0"), la("2.1.214"))}}, "2.1.214",
			want{StatusAffected, 0, "0", "", "2.1.214", false, nil}},
		{"after last_affected", Affected{Ranges: []Range{semverRange(in("0"), la("2.1.214"))}}, "2.1.215",
			want{StatusNotAffected, -1, "", "", "", false, nil}},
		{"multiple introduced: second interval", Affected{Ranges: []Range{semverRange(in("1.0.0"), fx("1.0.2"), in("3.0.0"), fx("3.2.5"))}}, "3.1.0",
			want{StatusAffected, 0, "3.0.0", "3.2.5", "", false, []string{"3.2.5"}}},
		{"multiple introduced: between", Affected{Ranges: []Range{semverRange(in("1.0.0"), fx("1.0.2"), in("3.0.0"), fx("3.2.5"))}}, "2.0.0",
			want{StatusNotAffected, -1, "", "", "", false, []string{"3.2.5"}}},
		{"multiple introduced: first", Affected{Ranges: []Range{semverRange(in("1.0.0"), fx("1.0.2"), in("3.0.0"), fx("3.2.5"))}}, "1.0.1",
			want{StatusAffected, 0, "1.0.0", "1.0.2", "", false, []string{"1.0.2", "3.2.5"}}},
		{"unsorted events", Affected{Ranges: []Range{semverRange(fx("3.2.5"), in("3.0.0"), fx("1.0.2"), in("1.0.0"))}}, "3.1.0",
			want{StatusAffected, 0, "3.0.0", "3.2.5", "", false, []string{"3.2.5"}}},
		{"unsorted events: fixed", Affected{Ranges: []Range{semverRange(fx("3.2.5"), in("3.0.0"), fx("1.0.2"), in("1.0.0"))}}, "1.5.0",
			want{StatusNotAffected, -1, "", "", "", false, []string{"3.2.5"}}},
		{"introduced 0 sorts first", Affected{Ranges: []Range{semverRange(fx("1.0.0"), in("0"))}}, "0.5.0",
			want{StatusAffected, 0, "0", "1.0.0", "", false, []string{"1.0.0"}}},
		{"limit: below", Affected{Ranges: []Range{semverRange(in("1.0.0"), lim("2.0.0"))}}, "1.9.0",
			want{StatusAffected, 0, "1.0.0", "", "", false, nil}},
		{"limit: at", Affected{Ranges: []Range{semverRange(in("1.0.0"), lim("2.0.0"))}}, "2.0.0",
			want{StatusNotAffected, -1, "", "", "", false, nil}},
		{"limit: several, below one", Affected{Ranges: []Range{semverRange(in("1.0.0"), lim("2.0.0"), lim("3.0.0"))}}, "2.5.0",
			want{StatusAffected, 0, "1.0.0", "", "", false, nil}},
		{"limit: star", Affected{Ranges: []Range{semverRange(in("1.0.0"), lim("*"))}}, "99.0.0",
			want{StatusAffected, 0, "1.0.0", "", "", false, nil}},
		{"limit does not make fixed", Affected{Ranges: []Range{semverRange(in("1.0.0"), fx("1.5.0"), lim("2.0.0"))}}, "1.6.0",
			want{StatusNotAffected, -1, "", "", "", false, nil}},
		{"ranges OR'ed, second", Affected{Ranges: []Range{semverRange(in("1.0.0"), fx("1.1.0")), semverRange(in("2.0.0"), fx("2.1.0"))}}, "2.0.5",
			want{StatusAffected, 1, "2.0.0", "2.1.0", "", false, []string{"2.1.0"}}},
		{"versions list", Affected{Versions: []string{"1.0.0", "1.0.3"}, Ranges: []Range{semverRange(in("2.0.0"))}}, "1.0.3",
			want{StatusAffected, -1, "", "", "", true, nil}},
		{"versions list, equal by comparator", Affected{Versions: []string{"1.0.3"}}, "v1.0.3",
			want{StatusAffected, -1, "", "", "", true, nil}},
		{"versions list miss", Affected{Versions: []string{"1.0.0"}}, "1.0.1",
			want{StatusNotAffected, -1, "", "", "", false, nil}},
		{"git only", Affected{Ranges: []Range{{Type: RangeGit, Repo: "r", Events: []Event{in("0"), fx("abc")}}}}, "1.0.0",
			want{StatusNotEvaluated, -1, "", "", "", false, nil}},
		{"git and semver: semver affected", Affected{Ranges: []Range{{Type: RangeGit, Repo: "r", Events: []Event{in("0")}}, semverRange(in("0"), fx("1.1.0"))}}, "1.0.0",
			want{StatusAffected, 1, "0", "1.1.0", "", false, []string{"1.1.0"}}},
		{"git and versions list", Affected{Versions: []string{"1.0.0"}, Ranges: []Range{{Type: RangeGit, Repo: "r", Events: []Event{in("0")}}}}, "1.0.0",
			want{StatusAffected, -1, "", "", "", true, nil}},
		{"git and semver: semver not affected", Affected{Ranges: []Range{{Type: RangeGit, Repo: "r", Events: []Event{in("0")}}, semverRange(in("0"), fx("1.1.0"))}}, "1.2.0",
			want{StatusNotEvaluated, -1, "", "", "", false, nil}},
		{"reintroduced after fix at same version", Affected{Ranges: []Range{semverRange(in("0"), fx("1.0.0"), in("1.0.0"))}}, "1.0.0",
			want{StatusAffected, 0, "1.0.0", "", "", false, nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.affected.Matches(tc.version, semverCompare)
			if err != nil {
				t.Fatal(err)
			}
			got := want{m.Status, m.Range, m.Introduced, m.Fixed, m.LastAffected, m.InVersions, m.FixedVersions}
			if got.status != tc.want.status || got.rng != tc.want.rng || got.introduced != tc.want.introduced ||
				got.fixed != tc.want.fixed || got.last != tc.want.last || got.inVersions != tc.want.inVersions ||
				!slices.Equal(got.fixes, tc.want.fixes) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
			if m.IsAffected() != (tc.want.status == StatusAffected) {
				t.Error("IsAffected")
			}
		})
	}
}

func TestMatchesLimitsReported(t *testing.T) {
	a := Affected{Ranges: []Range{semverRange(in("1.0.0"), lim("3.0.0"), lim("2.0.0"))}}
	m, _ := a.Matches("1.5.0", semverCompare)
	if !slices.Equal(m.Limits, []string{"2.0.0", "3.0.0"}) {
		t.Errorf("limits %q", m.Limits)
	}
}

func TestMatchesErrors(t *testing.T) {
	a := Affected{Ranges: []Range{semverRange(in("0"), fx("not-a-version"))}}
	if _, err := a.Matches("1.0.0", semverCompare); err == nil || !strings.Contains(err.Error(), `ranges[0]: fixed "not-a-version"`) {
		t.Errorf("err = %v", err)
	}
	if _, err := (&Affected{}).Matches("garbage", semverCompare); err == nil || !strings.Contains(err.Error(), `version "garbage"`) {
		t.Errorf("err = %v", err)
	}
}

// TestMatchesRealRecords evaluates real Go records and the Debian fixture.
func TestMatchesRealRecords(t *testing.T) {
	gin := readRecord(t, "testdata/vulndb/GO-2020-0001.json")
	for v, want := range map[string]Status{"1.5.0": StatusAffected, "1.6.0": StatusNotAffected, "1.9.1": StatusNotAffected} {
		m, err := gin.Affected[0].Matches(v, semverCompare)
		if err != nil || m.Status != want {
			t.Errorf("gin %s: %v %v", v, m.Status, err)
		}
	}
	deb := readRecord(t, "testdata/debian-12-openssl.json")
	for v, want := range map[string]Status{"3.0.11-1~deb12u2": StatusAffected, "3.0.15-1~deb12u1": StatusNotAffected, "3.0.16-1~deb12u1": StatusNotAffected} {
		m, err := deb.Affected[0].Matches(v, dpkgCompare)
		if err != nil || m.Status != want {
			t.Errorf("openssl %s: %v %v", v, m.Status, err)
		}
		if want == StatusAffected && m.Fixed != "3.0.15-1~deb12u1" {
			t.Errorf("fixed %q", m.Fixed)
		}
	}
	ubu := readRecord(t, "testdata/ubuntu-git.json")
	for v, want := range map[string]Status{
		"1:1.2.11.dfsg-2ubuntu9":   StatusAffected,     // versions list (and range)
		"1:1.2.11.dfsg-2ubuntu9.2": StatusAffected,     // last_affected, inclusive
		"1:1.2.11.dfsg-2ubuntu9.3": StatusNotEvaluated, // the GIT range is not evaluated
	} {
		m, err := ubu.Affected[0].Matches(v, dpkgCompare)
		if err != nil || m.Status != want {
			t.Errorf("zlib %s: %v %v", v, m.Status, err)
		}
	}
}

func BenchmarkMatches(b *testing.B) {
	a := Affected{Ranges: []Range{
		semverRange(fx("1.0.2"), in("1.0.0"), in("3.0.0"), fx("3.2.5"), in("4.0.0"), fx("4.1.1")),
		semverRange(in("5.0.0"), la("5.3.0")),
	}, Versions: []string{"0.1.0", "0.2.0", "0.3.0"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Matches("4.0.5", semverCompare); err != nil {
			b.Fatal(err)
		}
	}
}
