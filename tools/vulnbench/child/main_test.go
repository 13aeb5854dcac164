package main

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/imagetest"
	"github.com/palisade-k8s/palisade/internal/osv"
	"github.com/palisade-k8s/palisade/internal/osv/osvtest"
	"github.com/palisade-k8s/palisade/internal/software"
	"github.com/palisade-k8s/palisade/internal/version"
	"github.com/palisade-k8s/palisade/internal/vuln"
	"github.com/palisade-k8s/palisade/tools/vulnbench/internal/protocol"
)

// testInventory is a Debian image's packages (a binary package of another source, a
// source version with an epoch and a binNMU, a "~" version) and an npm tree.
func testInventory() *software.Inventory {
	return &software.Inventory{
		Distro: &software.Distro{ID: "debian", VersionID: "12"},
		Packages: []software.Package{
			{Ecosystem: software.Deb, Name: "libssl3", Version: "3.0.15-1~deb12u1", SourceName: "openssl"},
			{Ecosystem: software.Deb, Name: "bsdutils", Version: "1:2.38.1-5+b1", SourceName: "util-linux", SourceVersion: "2.38.1-5"},
			{Ecosystem: software.Deb, Name: "libc6", Version: "2.36-9+deb12u9", SourceName: "glibc"},
			{Ecosystem: software.Deb, Name: "libc-bin", Version: "2.36-9+deb12u9", SourceName: "glibc"}, // same source: one record
			{Ecosystem: software.Deb, Name: "tzdata", Version: "2024a-0+deb12u1"},
			{Ecosystem: software.Deb, Name: "zlib1g", Version: "1:1.2.13.dfsg-1", SourceName: "zlib"},
			{Ecosystem: software.Deb, Name: "perl-base", Version: "5.36.0-7+deb12u1", SourceName: "perl"},
			{Ecosystem: software.Deb, Name: "dash", Version: "0.5.12-2"},
			{Ecosystem: software.NPM, Name: "express", Version: "4.16.0"},
			{Ecosystem: software.NPM, Name: "@sindresorhus/is", Version: "0.7.0"},
			{Ecosystem: software.NPM, Name: "debug", Version: "2.6.9"},
			{Ecosystem: software.NPM, Name: "ms", Version: "2.0.0-rc.1"},
			{Ecosystem: software.Golang, Name: "github.com/gorilla/mux", Version: "v1.7.1"},
		},
	}
}

func marshal(t *testing.T, r map[string]any) []byte {
	t.Helper()
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestOSRecords: one record per (ecosystem, source package, version), valid per the
// official OSV schema and Palisade's parser, affected exactly as its shape says when
// evaluated with the ecosystem's own order.
func TestOSRecords(t *testing.T) {
	inv := testInventory()
	recs := osRecords(inv)
	if len(recs) != 11 { // 7 Debian sources (glibc once), 4 npm packages; not Go
		t.Fatalf("%d records, want 11", len(recs))
	}
	installed := map[string]string{} // lookup name -> version evaluated
	for _, p := range inv.Packages {
		name, v := p.Name, p.Version
		if p.SourceName != "" {
			name = p.SourceName
		}
		if p.SourceVersion != "" {
			v = p.SourceVersion
		}
		installed[name] = v
	}
	ids := map[string]bool{}
	for i, r := range recs {
		data := marshal(t, r)
		osvtest.Validate(t, fmt.Sprint(r["id"]), data)
		rec, err := osv.ParseBytes(data, fmt.Sprint(r["id"]))
		if err != nil {
			t.Fatal(err)
		}
		if ids[rec.ID] {
			t.Errorf("%s twice", rec.ID)
		}
		ids[rec.ID] = true
		a := rec.Affected[0]
		eco := software.Deb
		if a.Package.Ecosystem == "npm" {
			eco = software.NPM
		}
		v, ok := installed[a.Package.Name]
		if !ok {
			t.Errorf("%s names %q, not an installed (source) package", rec.ID, a.Package.Name)
			continue
		}
		m, err := a.Matches(v, func(x, y string) (int, error) { return version.Compare(eco, x, y) })
		if err != nil {
			t.Errorf("%s: %v", rec.ID, err)
			continue
		}
		wantAffected := i%4 == 0 || i%4 == 2
		otherRelease := a.Package.Ecosystem == "Debian:11"
		if got := m.IsAffected() && !otherRelease; got != wantAffected {
			t.Errorf("%s (%s %s %s): affected %v, want %v", rec.ID, a.Package.Ecosystem, a.Package.Name, v, got, wantAffected)
		}
		if otherRelease && !m.IsAffected() {
			t.Errorf("%s: the other release's record should include %s (only its release keeps it out)", rec.ID, v)
		}
	}
}

func TestNextVersion(t *testing.T) {
	for _, c := range [][3]string{
		{"npm", "4.16.0", "4.16.1"}, {"npm", "2.0.0-rc.1", "2.0.0"}, {"npm", "1.0.0+build", "1.0.1"}, {"npm", "junk", "999999.0.0"},
		{"Debian:12", "1:2.38.1-5", "1:2.38.1-5+bench1"},
	} {
		if got := nextVersion(c[0], c[1]); got != c[2] {
			t.Errorf("nextVersion(%s, %s) = %s, want %s", c[0], c[1], got, c[2])
		}
	}
}

// TestReplicas: replicas of real Go records are valid OSV under new IDs, name new
// packages, and leave the original as it was.
func TestReplicas(t *testing.T) {
	records, err := readRecords(osvtest.GoVulnDB(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(records) < 4000 {
		t.Fatalf("%d records in the Go database", len(records))
	}
	for _, r := range records[:200] {
		before := string(marshal(t, r))
		rep := replica(r, 17)
		if after := string(marshal(t, r)); after != before {
			t.Fatalf("%s: replica changed the original", r["id"])
		}
		data := marshal(t, rep)
		osvtest.Validate(t, fmt.Sprint(rep["id"]), data)
		rec, err := osv.ParseBytes(data, "replica")
		if err != nil {
			t.Fatal(err)
		}
		if rec.ID != fmt.Sprint(r["id"])+"-R17" {
			t.Errorf("replica ID %s", rec.ID)
		}
		for _, a := range rec.IDs()[1:] {
			if !strings.HasSuffix(a, "-R17") {
				t.Errorf("%s: alias %s not renamed", rec.ID, a)
			}
		}
		for _, a := range rec.Affected {
			if !strings.HasPrefix(a.Package.Name, "bench17.example/") {
				t.Errorf("%s: package %s not renamed", rec.ID, a.Package.Name)
			}
		}
	}
	deb := replica(osRecords(testInventory())[0], 3)
	if name := deb["affected"].([]any)[0].(map[string]any)["package"].(map[string]any)["name"]; name != "openssl-bench3" {
		t.Errorf("Debian replica names %v", name)
	}
}

// TestSynthPackages: real module paths of the Go database, each once, at valid Go
// versions, until the inventory holds what was asked.
func TestSynthPackages(t *testing.T) {
	records, err := readRecords(osvtest.GoVulnDB(t))
	if err != nil {
		t.Fatal(err)
	}
	inv := testInventory()
	added := synthPackages(inv, records, 1000)
	if len(inv.Packages) != 1000 || added != 1000-len(testInventory().Packages) {
		t.Fatalf("%d packages, %d added", len(inv.Packages), added)
	}
	seen := map[string]bool{}
	for _, p := range inv.Packages {
		if seen[string(p.Ecosystem)+p.Name] {
			t.Errorf("%s twice", p.Name)
		}
		seen[string(p.Ecosystem)+p.Name] = true
		if p.Ecosystem == software.Golang {
			if err := version.Valid(software.Golang, p.Version); err != nil {
				t.Errorf("%s: %v", p.Name, err)
			}
		}
	}
}

func TestWriteZips(t *testing.T) {
	dir := t.TempDir()
	recs := osRecords(testInventory())
	paths, err := writeZips(dir, "x", 25, 10, func(i int) map[string]any { return replica(recs[i%len(recs)], i/len(recs)+1) })
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 3 {
		t.Fatalf("%d zips", len(paths))
	}
	n := 0
	names := map[string]bool{}
	for _, p := range paths {
		zr, err := zip.OpenReader(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			var r map[string]any
			if err := json.NewDecoder(rc).Decode(&r); err != nil {
				t.Fatal(err)
			}
			rc.Close()
			if f.Name != fmt.Sprint(r["id"])+".json" || names[f.Name] {
				t.Errorf("entry %s holds %v", f.Name, r["id"])
			}
			names[f.Name] = true
			n++
		}
		zr.Close()
	}
	if n != 25 {
		t.Errorf("%d entries", n)
	}
}

// TestGovulncheckDB: the layout of go.dev/doc/security/vuln/database.
func TestGovulncheckDB(t *testing.T) {
	dir := t.TempDir()
	recs := []map[string]any{
		{"id": "GO-2020-0001", "modified": "2024-01-02T00:00:00Z", "affected": []any{
			map[string]any{"package": map[string]any{"ecosystem": "Go", "name": "example.com/a"}},
			map[string]any{"package": map[string]any{"ecosystem": "Go", "name": "example.com/a"}},
		}},
		{"id": "GO-2021-0002", "modified": "2025-03-04T05:06:07Z", "affected": []any{
			map[string]any{"package": map[string]any{"ecosystem": "Go", "name": "example.com/a"}},
			map[string]any{"package": map[string]any{"ecosystem": "Go", "name": "stdlib"}},
		}},
	}
	if err := writeGovulncheckDB(dir, recs); err != nil {
		t.Fatal(err)
	}
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	if got, want := read("index/db.json"), `{"modified":"2025-03-04T05:06:07Z"}`; got != want {
		t.Errorf("db.json %s, want %s", got, want)
	}
	want := `[{"path":"example.com/a","vulns":[{"id":"GO-2020-0001","modified":"2024-01-02T00:00:00Z"},{"id":"GO-2021-0002","modified":"2025-03-04T05:06:07Z"}]},{"path":"stdlib","vulns":[{"id":"GO-2021-0002","modified":"2025-03-04T05:06:07Z"}]}]`
	if got := read("index/modules.json"); got != want {
		t.Errorf("modules.json\n%s\nwant\n%s", got, want)
	}
	if got := read("ID/GO-2021-0002.json"); !strings.Contains(got, `"stdlib"`) {
		t.Errorf("ID/GO-2021-0002.json: %s", got)
	}
	if err := writeGovulncheckDB(t.TempDir(), []map[string]any{{"id": "GO-1", "modified": "yesterday"}}); err == nil {
		t.Error("a bad modified time: no error")
	}
}

// TestGovulncheckOnGoApp: govulncheck reads the converted Go database offline and
// reports, on the test image's Go binary (golang.org/x/text v0.3.0, among others),
// the advisories of its modules. It needs govulncheck: PALISADE_GOVULNCHECK, as
// hack/govulncheck.sh prints it (make test sets it).
func TestGovulncheckOnGoApp(t *testing.T) {
	gv := os.Getenv("PALISADE_GOVULNCHECK")
	if gv == "" {
		t.Skip("PALISADE_GOVULNCHECK not set (hack/govulncheck.sh)")
	}
	records, err := readRecords(osvtest.GoVulnDB(t))
	if err != nil {
		t.Fatal(err)
	}
	bin := imagetest.GoApp(t, "amd64")
	dir := t.TempDir()
	if err := writeGovulncheckDB(dir, records); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(gv, "-mode", "binary", "-scan", "module", "-db", "file://"+dir, "-format", "json", bin.File).Output()
	if err != nil {
		t.Fatal(err)
	}
	ids, err := protocol.GovulncheckIDs(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("govulncheck: %v", ids)
	// GO-2021-0113: golang.org/x/text/language, out-of-bounds read, fixed in 0.3.7.
	if !slices.Contains(ids, "GO-2021-0113") {
		t.Errorf("govulncheck reports %v, not GO-2021-0113", ids)
	}
}

// advisories is an in-memory vuln.Advisories: records by (package ecosystem,
// normalized name).
type advisories map[string][]*osv.Record

func (a advisories) Lookup(eco software.Ecosystem, name string) ([]*osv.Record, error) {
	return a[string(eco)+"/"+software.NormalizeName(eco, name)], nil
}

func (a advisories) add(t *testing.T, r map[string]any) {
	t.Helper()
	rec, err := osv.ParseBytes(marshal(t, r), fmt.Sprint(r["id"]))
	if err != nil {
		t.Fatal(err)
	}
	rec.Source = "bench"
	seen := map[string]bool{}
	for _, af := range rec.Affected {
		e, err := osv.ParseEcosystem(af.Package.Ecosystem)
		if err != nil {
			t.Fatal(err)
		}
		k := string(e.Software) + "/" + software.NormalizeName(e.Software, af.Package.Name)
		if !seen[k] {
			seen[k] = true
			a[k] = append(a[k], rec)
		}
	}
}

// TestSynthesisedMatch: matched by vuln.Match, the records over the inventory give
// the vulnerabilities their shapes say (fixed in the next upload and no fix: affected;
// fixed at the version, another release, "~" fix, last_affected before: not), on every
// binary package of an affected source; their replicas name other packages and add
// nothing.
func TestSynthesisedMatch(t *testing.T) {
	inv := testInventory()
	recs := osRecords(inv)
	db := advisories{}
	for _, r := range recs {
		db.add(t, r)
	}
	res, err := vuln.Match(context.Background(), db, inv)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, v := range res.Vulnerabilities {
		got[v.Package.Name+" "+v.Evidence.ID] = true
	}
	want := map[string]bool{
		// Debian (sources in inventory order: openssl 0, util-linux 1, glibc 2, tzdata 3,
		// zlib 4, perl 5, dash 6); a record with a CVE alias (every third) is that CVE.
		"libssl3 CVE-2099-10000":      true,                                         // next upload
		"libc6 DEBIAN-CVE-2099-10002": true, "libc-bin DEBIAN-CVE-2099-10002": true, // no fix
		"zlib1g DEBIAN-CVE-2099-10004": true, // next upload
		"dash CVE-2099-10006":          true, // (6%4 = 2) no fix; perl (5) fixed at its version
		// npm: express 7 (last_affected before), @sindresorhus/is 8, debug 9, ms 10.
		"@sindresorhus/is OSV-2099-10008": true, // next patch
		"ms OSV-2099-10010":               true, // no fix
	}
	for k := range want {
		if !got[k] {
			t.Errorf("missing %s", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("unexpected %s", k)
		}
	}
	if len(res.Problems) > 0 {
		t.Errorf("problems: %v", res.Problems)
	}

	for _, r := range recs {
		db.add(t, replica(r, 1))
		db.add(t, replica(r, 2))
	}
	res2, err := vuln.Match(context.Background(), db, inv)
	if err != nil {
		t.Fatal(err)
	}
	if len(res2.Vulnerabilities) != len(res.Vulnerabilities) {
		t.Errorf("with replicas: %d vulnerabilities, without %d", len(res2.Vulnerabilities), len(res.Vulnerabilities))
	}
}
