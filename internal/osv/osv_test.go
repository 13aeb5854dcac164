package osv

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/osv/osvtest"
)

func readRecord(t testing.TB, path string) *Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := Parse(f, path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestParseFixtures(t *testing.T) {
	r := readRecord(t, "testdata/vulndb/GO-2020-0001.json")
	if r.ID != "GO-2020-0001" || len(r.Aliases) != 2 || r.Aliases[0] != "CVE-2020-36567" {
		t.Errorf("id/aliases: %q %q", r.ID, r.Aliases)
	}
	if !r.Modified.IsZero() || r.Published == nil || r.Published.Year() != 2021 {
		t.Errorf("timestamps: %v %v", r.Modified, r.Published)
	}
	a := r.Affected[0]
	if a.Package != (Package{Ecosystem: "Go", Name: "github.com/gin-gonic/gin"}) {
		t.Errorf("package %+v", a.Package)
	}
	want := []Event{{EventIntroduced, "0"}, {EventFixed, "1.6.0"}}
	if len(a.Ranges) != 1 || a.Ranges[0].Type != RangeSemVer || !equalEvents(a.Ranges[0].Events, want) {
		t.Errorf("ranges %+v", a.Ranges)
	}
	if !bytes.Contains(a.EcosystemSpecific, []byte("LoggerWithConfig")) {
		t.Errorf("ecosystem_specific not kept: %s", a.EcosystemSpecific)
	}
	if len(r.References) != 2 || r.References[0].Type != "FIX" || len(r.Credits) != 1 {
		t.Errorf("references/credits %+v %+v", r.References, r.Credits)
	}
	u := readRecord(t, "testdata/ubuntu-git.json")
	if len(u.Severity) != 2 || u.Severity[1] != (Severity{SeverityUbuntu, "medium"}) || u.Related[0] != "CVE-2099-0003" {
		t.Errorf("severity/related %+v %q", u.Severity, u.Related)
	}
	if u.Affected[0].Ranges[1].Repo != "https://github.com/madler/zlib" || u.Affected[0].Versions[0] != "1:1.2.11.dfsg-2ubuntu9" {
		t.Errorf("git range/versions %+v", u.Affected[0])
	}
	if u.IsWithdrawn() || !readRecord(t, "testdata/withdrawn.json").IsWithdrawn() {
		t.Error("withdrawn")
	}
	// Events marshal back to the OSV shape.
	b, _ := json.Marshal(want)
	if string(b) != `[{"introduced":"0"},{"fixed":"1.6.0"}]` {
		t.Errorf("marshal %s", b)
	}
}

func equalEvents(a, b []Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"array", `[1]`, "f.json: not an OSV record (not a JSON object)"},
		{"empty", ``, "not a JSON object"},
		{"k8s", `{"apiVersion":"v1","kind":"Pod"}`, `missing "modified"`},
		{"no id", `{"modified":"2024-01-01T00:00:00Z"}`, `missing "id"`},
		{"bad time", `{"id":"X","modified":"yesterday"}`, "f.json: "},
		{"syntax", "{\n\"id\": \"X\",\n\"modified\": ,\n}", "f.json: line 3: invalid character"},
		{"type", "{\n\"id\": \"X\",\n\"modified\": \"2024-01-01T00:00:00Z\",\n\"aliases\": \"CVE-1\"}", "f.json: line 4: json: cannot unmarshal"},
		{"trailing", `{"id":"X","modified":"2024-01-01T00:00:00Z"} {}`, "data after the OSV record"},
		{"two kinds", `{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0","fixed":"1.0.0"}]}]}]}`, "exactly one of"},
		{"no kind", `{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"SEMVER","events":[{}]}]}]}`, "exactly one of"},
		{"no introduced", `{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"SEMVER","events":[{"fixed":"1.0.0"}]}]}]}`, "no introduced event"},
		{"range type", `{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"CALVER","events":[{"introduced":"0"}]}]}]}`, `unknown range type "CALVER"`},
		{"git no repo", `{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"GIT","events":[{"introduced":"0"}]}]}]}`, "GIT range without repo"},
		{"no package", `{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`, "package needs an ecosystem and a name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in), "f.json")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "f.json") {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// A GIT-only affected entry may omit the package (OSS-Fuzz records).
	if _, err := Parse(strings.NewReader(`{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{"ranges":[{"type":"GIT","repo":"https://example.com/r","events":[{"introduced":"0"}]}]}]}`), "f"); err != nil {
		t.Error(err)
	}
}

func TestParseSizeLimit(t *testing.T) {
	big := `{"id":"X","modified":"2024-01-01T00:00:00Z","details":"` + strings.Repeat("a", MaxRecordSize) + `"}`
	_, err := Parse(strings.NewReader(big), "big.json")
	if err == nil || !strings.Contains(err.Error(), "big.json: OSV record larger than") {
		t.Fatalf("err = %v", err)
	}
}

func validate(t testing.TB, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	osvtest.Validate(t, path, data)
}

// TestFixturesValidateAgainstSchema: every OSV fixture is valid per the official schema.
func TestFixturesValidateAgainstSchema(t *testing.T) {
	s := osvtest.Schema(t)
	files, _ := filepath.Glob("testdata/*.json")
	more, _ := filepath.Glob("testdata/vulndb/*.json")
	files = append(files, more...)
	// The README's example advisories too.
	examples, _ := filepath.Glob("../../examples/advisories/*.json")
	if len(examples) < 5 {
		t.Errorf("%d example advisories", len(examples))
	}
	files = append(files, examples...)
	n := 0
	for _, f := range files {
		validate(t, f)
		readRecord(t, f)
		n++
	}
	if n < 6 {
		t.Fatalf("%d fixtures", n)
	}
	// And the schema is not vacuous: a record without "modified" is rejected.
	bad := map[string]any{"id": "X"}
	if s.Validate(bad) == nil {
		t.Error("schema accepts a record without modified")
	}
}

// TestVulnDB parses every record of the real Go vulnerability database, validates each
// against the official schema, and evaluates every affected package at a version.
func TestVulnDB(t *testing.T) {
	dir := osvtest.GoVulnDB(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4000 {
		t.Fatalf("%d records in %s", len(files), dir)
	}
	var records []*Record
	ecosystems := map[string]int{}
	checked := 0
	for _, f := range files {
		r := readRecord(t, f)
		if r.ID+".json" != filepath.Base(f) {
			t.Errorf("%s: id %s", f, r.ID)
		}
		validate(t, f)
		for i := range r.Affected {
			a := &r.Affected[i]
			ecosystems[a.Package.Ecosystem]++
			if _, err := a.Matches("1.0.0", semverCompare); err != nil {
				t.Errorf("%s: %v", f, err)
			}
			// Every range's boundaries evaluate as the range says: an introduced
			// version is affected and its fixed version is not (each range alone).
			for j, rg := range a.Ranges {
				one := Affected{Ranges: []Range{rg}}
				for _, e := range rg.Events {
					if e.Version == "0" {
						continue
					}
					m, err := one.Matches(e.Version, semverCompare)
					if err != nil {
						t.Fatalf("%s: %v", f, err)
					}
					if want := e.Kind == EventIntroduced; m.IsAffected() != want {
						t.Errorf("%s affected[%d].ranges[%d]: %s %s evaluates %v", f, i, j, e.Kind, e.Version, m.Status)
					}
					checked++
				}
			}
		}
		records = append(records, r)
	}
	groups := MergeAliases(records)
	t.Logf("%s: %d records, %d vulnerabilities after alias merging, ecosystems %v, %d range boundaries evaluated", dir, len(records), len(groups), ecosystems, checked)
	if len(ecosystems) != 1 || ecosystems["Go"] == 0 {
		t.Errorf("ecosystems %v", ecosystems)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	more, _ := filepath.Glob("testdata/vulndb/*.json")
	for _, p := range append(files, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"limit":"2.0.0"},{"last_affected":"1.5.0"}]}],"versions":["0.1.0"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseBytes(data, "fuzz.json")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		for i := range r.Affected {
			for _, v := range []string{"0.0.1", "1.0.0", "1.5.0", "9.9.9"} {
				m, err := r.Affected[i].Matches(v, semverCompare)
				if err == nil && m.Status == StatusAffected && m.Range < 0 && !m.InVersions {
					t.Fatalf("affected without evidence: %+v", m)
				}
			}
		}
		for _, sev := range r.Severity {
			if c, err := ParseCVSS(sev.Score); err == nil && (c.Score < 0 || c.Score > 10) {
				t.Fatalf("score %v", c.Score)
			}
		}
		MergeAliases([]*Record{r})
	})
}

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("testdata/vulndb/GO-2024-2598.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseBytes(data, "x"); err != nil {
			b.Fatal(err)
		}
	}
}
