package vex

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/palisade-k8s/palisade/internal/finding"
)

const imgDigest = "sha256:abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd"

func parse(t testing.TB, doc string) *Document {
	t.Helper()
	d, err := Parse("test.vex.json", strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// vulnFinding is a PAL-130 finding of id (with aliases) in the package purl, in the
// image ref@digest.
func vulnFinding(id string, aliases []string, purl, ref, digest string) *finding.Finding {
	f := &finding.Finding{RuleID: "PAL-130", Vulnerability: &finding.Vulnerability{
		ID: id, Aliases: aliases, Package: finding.VulnerablePackage{PURL: purl},
	}}
	if ref != "" || digest != "" {
		f.Location.Image = &finding.ImageLocation{Ref: ref, Digest: digest}
	}
	return f
}

// The sample document of the OpenVEX specification v0.2.0 (its Example section,
// made valid JSON) reads with every field.
func TestParseSpecExample(t *testing.T) {
	d := parse(t, `{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://openvex.dev/docs/public/vex-2e67563e128250cbcb3e98930df948dd053e43271d70dc50cfa22d57e03fe96f",
  "author": "Spring Builds <spring-builds@users.noreply.github.com>",
  "role": "Project Release Bot",
  "timestamp": "2023-01-16T19:07:16.853479631-06:00",
  "version": 1,
  "statements": [
    {
      "vulnerability": {
        "@id": "https://nvd.nist.gov/vuln/detail/CVE-2021-44228",
        "name": "CVE-2021-44228",
        "description": "Remote code injection in Log4j",
        "aliases": ["GHSA-jfh8-c2jp-5v3q"]
      },
      "products": [
        {
          "@id": "pkg:maven/org.springframework.boot/spring-boot@2.6.0-M3",
          "identifiers": {"purl": "pkg:maven/org.springframework.boot/spring-boot@2.6.0-M3"},
          "hashes": {"sha-256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}
        }
      ],
      "status": "not_affected",
      "justification": "vulnerable_code_not_in_execute_path",
      "impact_statement": "Spring Boot users are only affected by this vulnerability if they have switched the default logging system to Log4J2."
    }
  ]
}`)
	if d.Version != 1 || d.Author == "" || len(d.Statements) != 1 {
		t.Fatalf("document %+v", d)
	}
	s := d.Statements[0]
	if s.Line != 9 || s.Status != NotAffected || s.Justification != "vulnerable_code_not_in_execute_path" ||
		s.Vulnerability.Name != "CVE-2021-44228" || len(s.Vulnerability.Aliases) != 1 || !s.Time.Equal(d.Timestamp) {
		t.Errorf("statement %+v", s)
	}
	if len(s.Products) != 1 || len(s.Products[0].purls) != 2 || len(s.Products[0].digests) != 1 {
		t.Errorf("product %+v", s.Products)
	}
}

// The OpenVEX form before v0.2.0 (vulnerability and products as strings) reads too.
func TestParseStringForms(t *testing.T) {
	d := parse(t, `{"@context":"https://openvex.dev/ns","@id":"x","author":"a","timestamp":"2023-01-08T18:02:03Z","version":"1",
"statements":[{"vulnerability":"CVE-2023-12345","products":["pkg:apk/wolfi/git@2.39.0-r1?arch=armv7"],"status":"fixed"}]}`)
	s := d.Statements[0]
	if s.Vulnerability.Name != "CVE-2023-12345" || len(s.Products) != 1 || len(s.Products[0].purls) != 1 {
		t.Errorf("statement %+v", s)
	}
}

// Every invalid document is an error naming the file and the line of the problem.
func TestParseErrors(t *testing.T) {
	const head = `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2023-01-08T18:02:03Z","version":1,"statements":[
`
	stmt := func(s string) string { return head + s + "\n]}" }
	for _, tc := range []struct {
		name, doc string
		line      int
		want      string
	}{
		{"not JSON", "nope", 1, "invalid character"},
		{"truncated", head, 2, "unexpected EOF"},
		{"array", "[]", 1, "not a JSON object"},
		{"not OpenVEX", `{"@context":"https://cyclonedx.org","statements":[]}`, 1, "not an OpenVEX document"},
		{"bad timestamp", `{"@context":"https://openvex.dev/ns","timestamp":"yesterday"}`, 1, "RFC 3339"},
		{"no timestamp", `{"@context":"https://openvex.dev/ns","statements":[` + "\n" + `{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":"fixed"}]}`, 2, "no timestamp"},
		{"no name", stmt(`{"vulnerability":{"@id":"https://x"},"products":[{"@id":"pkg:npm/a"}],"status":"fixed"}`), 2, "no name"},
		{"no status", stmt(`{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}]}`), 2, "no status"},
		{"bad status", stmt(`{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":"ok"}`), 2, "not one of"},
		{"not_affected bare", stmt(`{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":"not_affected"}`), 2, "justification or an impact_statement"},
		{"bad justification", stmt(`{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":"not_affected","justification":"trust me"}`), 2, "justification"},
		{"no products", stmt(`{"vulnerability":{"name":"CVE-1"},"status":"fixed"}`), 2, "no products"},
		{"empty product", stmt(`{"vulnerability":{"name":"CVE-1"},"products":[{}],"status":"fixed"}`), 2, "no @id"},
		{"bad purl", stmt(`{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:"}],"status":"fixed"}`), 2, "@id"},
		{"wrong type", stmt(`{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":7}`), 2, "cannot unmarshal"},
		{"second statement", stmt(`{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":"fixed"},` + "\n\n" + `{"vulnerability":{"name":"CVE-2"},"products":[{"@id":"pkg:npm/a"}],"status":"fixed","timestamp":"now"}`), 4, "statement 2"},
		{"trailing data", `{"@context":"https://openvex.dev/ns"} {}`, 1, "after the document"},
		{"deep", `{"@context":"https://openvex.dev/ns","x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, 1, "nested deeper"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.vex.json", strings.NewReader(tc.doc))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v, want a *vex.Error", err)
			}
			if e.File != "bad.vex.json" || e.Line != tc.line || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q (line %d), want line %d and %q", err, e.Line, tc.line, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "vex bad.vex.json") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	_, err := Parse("big.json", strings.NewReader(`{"@context":"https://openvex.dev/ns","x":"`+strings.Repeat("a", MaxSize)+`"}`))
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("error %v", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(good, []byte(`{"@context":"https://openvex.dev/ns","timestamp":"2024-01-01T00:00:00Z","statements":[]}`), 0o644)
	os.WriteFile(bad, []byte("{\n\"@context\": 1}"), 0o644)
	if docs, err := Load([]string{good}); err != nil || len(docs) != 1 || docs[0].File != good {
		t.Errorf("Load: %v %v", docs, err)
	}
	if _, err := Load([]string{good, bad}); err == nil || !strings.Contains(err.Error(), bad+":2") {
		t.Errorf("Load of a malformed document: %v", err)
	}
	if _, err := Load([]string{filepath.Join(dir, "missing.json")}); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("Load of a missing document: %v", err)
	}
}

// statementDoc is a document of one statement issued at ts.
func statementDoc(ts, vuln, products, status, extra string) string {
	return fmt.Sprintf(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/%s","author":"a","timestamp":%q,"version":1,
"statements":[{"vulnerability":%s,"products":%s,"status":%q%s}]}`, status, ts, vuln, products, status, extra)
}

const na = `,"justification":"vulnerable_code_not_in_execute_path","impact_statement":"the parser is not used"`

func TestDecide(t *testing.T) {
	const (
		purl    = "pkg:golang/golang.org/x/net@v0.17.0"
		imgRef  = "registry.example.com/shop/web:1.4"
		other   = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
		cve     = `{"name":"CVE-2023-44487"}`
		viaGHSA = `{"name":"GHSA-qppj-fm5r-hxr3","aliases":["GO-2023-2102"]}`
	)
	f := vulnFinding("CVE-2023-44487", []string{"GHSA-qppj-fm5r-hxr3", "GO-2023-2102"}, purl, imgRef, imgDigest)
	for _, tc := range []struct {
		name     string
		products string
		vuln     string
		status   string
		extra    string
		want     bool
	}{
		{"package purl", `[{"@id":"` + purl + `"}]`, cve, "not_affected", na, true},
		{"package purl fixed", `[{"@id":"` + purl + `"}]`, cve, "fixed", "", true},
		{"version-less purl", `[{"@id":"pkg:golang/golang.org/x/net"}]`, cve, "not_affected", na, true},
		{"identifiers.purl", `[{"@id":"https://example.com/p","identifiers":{"purl":"` + purl + `"}}]`, cve, "fixed", "", true},
		{"alias name", `[{"@id":"` + purl + `"}]`, viaGHSA, "fixed", "", true},
		{"vulnerability @id", `[{"@id":"` + purl + `"}]`, `{"@id":"GO-2023-2102","name":"GHSA-none"}`, "fixed", "", true},
		{"lower-case ID", `[{"@id":"` + purl + `"}]`, `{"name":"cve-2023-44487"}`, "fixed", "", true},
		{"other version", `[{"@id":"pkg:golang/golang.org/x/net@v0.18.0"}]`, cve, "fixed", "", false},
		{"other package", `[{"@id":"pkg:golang/golang.org/x/text@v0.17.0"}]`, cve, "fixed", "", false},
		{"other vulnerability", `[{"@id":"` + purl + `"}]`, `{"name":"CVE-2024-1"}`, "fixed", "", false},
		{"qualifier absent in package", `[{"@id":"pkg:golang/golang.org/x/net@v0.17.0?arch=arm64"}]`, cve, "fixed", "", false},
		{"image digest", `[{"@id":"pkg:oci/web@` + imgDigest + `"}]`, cve, "not_affected", na, true},
		{"image digest, other name", `[{"@id":"pkg:oci/whatever@` + imgDigest + `?repository_url=elsewhere.io/x"}]`, cve, "not_affected", na, true},
		{"other image digest", `[{"@id":"pkg:oci/web@` + other + `"}]`, cve, "not_affected", na, false},
		{"image hash", `[{"@id":"https://example.com/web","hashes":{"sha-256":"` + strings.TrimPrefix(imgDigest, "sha256:") + `"}}]`, cve, "fixed", "", true},
		{"image by repository", `[{"@id":"pkg:oci/web?repository_url=registry.example.com/shop/web"}]`, cve, "fixed", "", true},
		{"image by repository and tag", `[{"@id":"pkg:oci/web?repository_url=registry.example.com/shop/web&tag=1.4"}]`, cve, "fixed", "", true},
		{"image other tag", `[{"@id":"pkg:oci/web?repository_url=registry.example.com/shop/web&tag=1.5"}]`, cve, "fixed", "", false},
		{"image other repository", `[{"@id":"pkg:oci/web?repository_url=registry.example.com/other/web"}]`, cve, "fixed", "", false},
		{"image and subcomponent", `[{"@id":"pkg:oci/web@` + imgDigest + `","subcomponents":[{"@id":"pkg:golang/golang.org/x/net"}]}]`, cve, "not_affected", na, true},
		{"image and other subcomponent", `[{"@id":"pkg:oci/web@` + imgDigest + `","subcomponents":[{"@id":"pkg:golang/golang.org/x/text"}]}]`, cve, "not_affected", na, false},
		{"other image and subcomponent", `[{"@id":"pkg:oci/web@` + other + `","subcomponents":[{"@id":"` + purl + `"}]}]`, cve, "not_affected", na, false},
		{"second product", `[{"@id":"pkg:npm/x"},{"@id":"` + purl + `"}]`, cve, "fixed", "", true},
		{"affected", `[{"@id":"` + purl + `"}]`, cve, "affected", `,"action_statement":"upgrade"`, false},
		{"under investigation", `[{"@id":"` + purl + `"}]`, cve, "under_investigation", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ix := NewIndex([]*Document{parse(t, statementDoc("2024-01-01T00:00:00Z", tc.vuln, tc.products, tc.status, tc.extra))})
			g := *f
			sup := ix.Suppression(&g)
			if (sup != nil) != tc.want {
				t.Fatalf("suppressed %v, want %v", sup, tc.want)
			}
			if sup == nil {
				return
			}
			if sup.Kind != "vex" || sup.VEX == nil || sup.VEX.Status != tc.status || sup.VEX.Document != "test.vex.json" || sup.VEX.Line != 2 {
				t.Errorf("suppression %+v %+v", sup, sup.VEX)
			}
			if !strings.Contains(sup.Reason, tc.status) || !strings.Contains(sup.Reason, "test.vex.json:2") {
				t.Errorf("reason %q", sup.Reason)
			}
			if tc.extra == na && (!strings.Contains(sup.Reason, "vulnerable_code_not_in_execute_path") || !strings.Contains(sup.Reason, "the parser is not used")) {
				t.Errorf("reason %q lacks the justification and impact statement", sup.Reason)
			}
		})
	}
	// A finding without vulnerability evidence is never touched.
	ix := NewIndex([]*Document{parse(t, statementDoc("2024-01-01T00:00:00Z", cve, `[{"@id":"`+purl+`"}]`, "fixed", ""))})
	if ix.Suppression(&finding.Finding{RuleID: "PAL-001"}) != nil {
		t.Error("a finding without a vulnerability is suppressed")
	}
	// A reference with a digest names the image when the location has no digest.
	byRef := vulnFinding("CVE-2023-44487", nil, purl, "registry.example.com/shop/web@"+imgDigest, "")
	ix = NewIndex([]*Document{parse(t, statementDoc("2024-01-01T00:00:00Z", cve, `[{"@id":"pkg:oci/web@`+imgDigest+`"}]`, "fixed", ""))})
	if ix.Suppression(byRef) == nil {
		t.Error("an image named ref@digest does not match its pkg:oci purl")
	}
	// PyPI names compare as PEP 503 normalises them.
	py := vulnFinding("CVE-1", nil, "pkg:pypi/pyyaml@6.0.1", "", "")
	ix = NewIndex([]*Document{parse(t, statementDoc("2024-01-01T00:00:00Z", `{"name":"CVE-1"}`, `[{"@id":"pkg:pypi/PyYAML@6.0.1"}]`, "fixed", ""))})
	if ix.Suppression(py) == nil {
		t.Error("pkg:pypi/PyYAML does not match pkg:pypi/pyyaml")
	}
}

// The latest statement per vulnerability and product wins, across statements of one
// document (with the timestamps they inherit) and across documents; a later
// affected or under_investigation statement brings the finding back.
func TestLatestStatementWins(t *testing.T) {
	const purl = "pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12"
	f := vulnFinding("CVE-2024-2961", nil, purl, "", "")
	prod := `[{"@id":"pkg:deb/debian/libc6"}]`
	vuln := `{"name":"CVE-2024-2961"}`
	naDoc := statementDoc("2024-01-01T00:00:00Z", vuln, prod, "not_affected", na)
	affDoc := statementDoc("2024-02-01T00:00:00Z", vuln, prod, "affected", `,"action_statement":"upgrade"`)
	oldAff := statementDoc("2023-12-01T00:00:00Z", vuln, prod, "affected", `,"action_statement":"upgrade"`)
	fixedSameTime := statementDoc("2024-02-01T00:00:00Z", vuln, prod, "fixed", "")
	for _, tc := range []struct {
		name string
		docs []string
		want string // status of the suppression, "" for none
	}{
		{"later affected", []string{naDoc, affDoc}, ""},
		{"later affected given first", []string{affDoc, naDoc}, ""},
		{"earlier affected", []string{oldAff, naDoc}, "not_affected"},
		{"tie: the later given wins", []string{affDoc, fixedSameTime}, "fixed"},
		{"tie: the later given wins (reverse)", []string{fixedSameTime, affDoc}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var docs []*Document
			for _, d := range tc.docs {
				docs = append(docs, parse(t, d))
			}
			sup := NewIndex(docs).Suppression(f)
			got := ""
			if sup != nil {
				got = sup.VEX.Status
			}
			if got != tc.want {
				t.Errorf("suppression %q, want %q", got, tc.want)
			}
		})
	}
	// Within one document: the statement's own timestamp overrides the document's,
	// and last_updated the timestamp.
	d := parse(t, `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2024-03-01T00:00:00Z","version":2,"statements":[
{"timestamp":"2024-01-01T00:00:00Z","vulnerability":{"name":"CVE-2024-2961"},"products":[{"@id":"pkg:deb/debian/libc6"}],"status":"under_investigation"},
{"vulnerability":{"name":"CVE-2024-2961"},"products":[{"@id":"pkg:deb/debian/libc6"}],"status":"fixed"},
{"timestamp":"2023-01-01T00:00:00Z","last_updated":"2024-04-01T00:00:00Z","vulnerability":{"name":"CVE-2024-2961"},"products":[{"@id":"pkg:deb/debian/libc6"}],"status":"affected","action_statement":"upgrade"}
]}`)
	if sup := NewIndex([]*Document{d}).Suppression(f); sup != nil {
		t.Errorf("the last_updated affected statement does not win: %+v", sup)
	}
	d.Statements = d.Statements[:2]
	if sup := NewIndex([]*Document{d}).Suppression(f); sup == nil || sup.VEX.Status != "fixed" || sup.VEX.Line != 3 {
		t.Errorf("the statement inheriting the later document timestamp does not win: %+v", sup)
	}
}

func BenchmarkParse(b *testing.B) {
	doc := []byte(manyStatements(10_000))
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, err := Parse("bench.json", strings.NewReader(string(doc))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApply decides 10,000 findings against 10,000 statements.
func BenchmarkApply(b *testing.B) {
	d, err := Parse("bench.json", strings.NewReader(manyStatements(10_000)))
	if err != nil {
		b.Fatal(err)
	}
	ix := NewIndex([]*Document{d})
	fs := make([]*finding.Finding, 10_000)
	for i := range fs {
		fs[i] = vulnFinding(fmt.Sprintf("CVE-2024-%d", i), []string{fmt.Sprintf("GHSA-%d", i)},
			fmt.Sprintf("pkg:npm/pkg%d@1.0.%d", i%500, i%3), "registry.example.com/app:1", imgDigest)
	}
	b.ResetTimer()
	for b.Loop() {
		n := 0
		for _, f := range fs {
			if ix.Suppression(f) != nil {
				n++
			}
		}
		if n == 0 {
			b.Fatal("nothing suppressed")
		}
	}
}

// manyStatements is a document of n statements, alternating package and image
// products.
func manyStatements(n int) string {
	var sb strings.Builder
	sb.WriteString(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2024-01-01T00:00:00Z","version":1,"statements":[`)
	for i := range n {
		if i > 0 {
			sb.WriteString(",\n")
		}
		prod := fmt.Sprintf(`{"@id":"pkg:npm/pkg%d@1.0.%d"}`, i%500, i%3)
		if i%2 == 1 {
			prod = fmt.Sprintf(`{"@id":"pkg:oci/app@%s","subcomponents":[{"@id":"pkg:npm/pkg%d"}]}`, imgDigest, i%500)
		}
		fmt.Fprintf(&sb, `{"vulnerability":{"name":"CVE-2024-%d","aliases":["GHSA-%d"]},"products":[%s],"status":"not_affected","justification":"component_not_present"}`, i, i, prod)
	}
	sb.WriteString("]}")
	return sb.String()
}

// A long impact statement is clipped in the reason (at a rune boundary), whole in the
// VEX statement.
func TestReasonClipsImpactStatement(t *testing.T) {
	long := strings.Repeat("é", 400)
	d := parse(t, statementDoc("2024-01-01T00:00:00Z", `{"name":"CVE-1"}`, `[{"@id":"pkg:npm/a"}]`, "not_affected", `,"impact_statement":"`+long+`"`))
	sup := d.Statements[0].Suppression()
	if sup.VEX.ImpactStatement != long || len(sup.Reason) > 600 || !strings.Contains(sup.Reason, "é...") || !utf8.ValidString(sup.Reason) {
		t.Errorf("reason %q", sup.Reason)
	}
}
