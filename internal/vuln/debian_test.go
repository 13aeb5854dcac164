package vuln_test

// Debian matching over the real Debian root filesystem of hack/debian-rootfs.sh
// (bookworm, Debian 12): the records of testdata/debian (official OSV schema) name
// real packages of that root filesystem and exercise what Debian matching must get
// right (source vs binary names, epochs, "~", binNMU binaries evaluated by their source
// version, last_affected, another release, an Ubuntu record, alias merging); the
// store imports them and the matcher must find exactly what testdata/debian-want.json lists.
//
// The versions in the records are chosen against bookworm's (see each record's
// summary); the archive moves on, so a failure here first lists the packages involved from
// the root filesystem's ground truth (dpkg-query.tsv beside it).

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/image"
	"github.com/palisade-k8s/palisade/internal/imagetest"
	"github.com/palisade-k8s/palisade/internal/osv"
	"github.com/palisade-k8s/palisade/internal/osv/osvtest"
	"github.com/palisade-k8s/palisade/internal/software"
	_ "github.com/palisade-k8s/palisade/internal/software/all"
	"github.com/palisade-k8s/palisade/internal/vuln"
	"github.com/palisade-k8s/palisade/internal/vulndb"
)

// debianWantFile is, per record of testdata/debian, the binary packages of the root
// filesystem it must match (an empty list: nothing), the reasons in each record's
// summary; the CLI test (internal/cli) reads it too.
var debianWantFile = filepath.Join("testdata", "debian-want.json")

func readDebianWant(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(debianWantFile)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string][]string
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("%s: %v", debianWantFile, err)
	}
	return want
}

// debianFixtures is testdata/debian.
var debianFixtures = filepath.Join("testdata", "debian")

// TestDebianFixtures: every record of testdata/debian is valid per the official OSV
// schema and parses, and debianWant covers exactly them.
func TestDebianFixtures(t *testing.T) {
	names, err := filepath.Glob(filepath.Join(debianFixtures, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		osvtest.Validate(t, name, b)
		r, err := osv.ParseBytes(b, name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if r.ID+".json" != filepath.Base(name) {
			t.Errorf("%s: id %q", name, r.ID)
		}
		ids = append(ids, r.ID)
	}
	debianWant := readDebianWant(t)
	var want []string
	for id := range debianWant {
		want = append(want, id)
	}
	slices.Sort(ids)
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("records %v, debianWant lists %v", ids, want)
	}
}

// TestDebianRootFS matches the real Debian root filesystem against testdata/debian
// through the store: exactly debianWant, with the evidence of the merged, the binNMU
// and the unfixed vulnerabilities.
func TestDebianRootFS(t *testing.T) {
	rootfs := imagetest.DebianRootFS(t)
	debianWant := readDebianWant(t)
	ctx := context.Background()

	db, err := vulndb.Open(filepath.Join(t.TempDir(), "vulndb.db"), vulndb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sum, err := db.Import(ctx, []string{debianFixtures}, vulndb.ImportOptions{Source: "Debian"})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Problems) != 0 || sum.Records != len(debianWant) {
		t.Fatalf("import: %d records, problems %v; want %d records", sum.Records, sum.Problems, len(debianWant))
	}

	img, err := image.OpenRootFS(rootfs)
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := img.Read(ctx, image.Options{Keep: software.Keep, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	inv := software.Catalog(ctx, fsys, fsys)
	if inv.Distro == nil || inv.Distro.ID != "debian" || inv.Distro.VersionID != "12" {
		t.Fatalf("distro %+v, want Debian 12 (the records are written for bookworm)", inv.Distro)
	}

	res, err := vuln.Match(ctx, db, &inv)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 0 || len(res.NotEvaluated) != 0 {
		t.Errorf("problems %v, not evaluated %v", res.Problems, res.NotEvaluated)
	}
	got := map[string][]string{}
	byPackage := map[string]vuln.Vulnerability{}
	for _, v := range res.Vulnerabilities {
		if v.Package.Ecosystem != software.Deb {
			t.Errorf("a %s package matched: %s", v.Package.Ecosystem, v.Package.PURL)
			continue
		}
		for _, rec := range v.Evidence.Records {
			id := strings.TrimPrefix(rec, "Debian/")
			if id == rec {
				t.Errorf("%s: record %q is not from the source Debian", v.Package.Name, rec)
			}
			got[id] = append(got[id], v.Package.Name)
		}
		byPackage[v.Package.Name+" "+v.Evidence.ID] = v
	}
	truth := debTruth(t, rootfs)
	for id, want := range debianWant {
		g := slices.Clone(got[id])
		slices.Sort(g)
		if !slices.Equal(g, want) {
			t.Errorf("%s matches %v, want %v; the root filesystem's ground truth of those packages:\n%s", id, g, want, truth(append(g, want...)))
		}
	}
	for id := range got {
		if _, ok := debianWant[id]; !ok {
			t.Errorf("%s matched %v: not a record of testdata/debian", id, got[id])
		}
	}

	// One vulnerability for the two openssl records, named by their CVE.
	if v, ok := byPackage["libssl3 CVE-2099-0001"]; !ok {
		t.Errorf("libssl3: no vulnerability CVE-2099-0001 (the two openssl records merged)")
	} else {
		e := v.Evidence
		if !slices.Equal(e.Aliases, []string{"DEBIAN-CVE-2099-0001", "DSA-9901-1"}) ||
			!slices.Equal(e.Records, []string{"Debian/DEBIAN-CVE-2099-0001", "Debian/DSA-9901-1"}) ||
			!slices.Equal(e.Fixed, []string{"3.1.0-1", "3.1.0-2"}) || v.Unfixed ||
			e.LookupName != "openssl" || e.Ecosystem != "Debian:12" {
			t.Errorf("libssl3 CVE-2099-0001: evidence %+v, unfixed %v", e, v.Unfixed)
		}
		if e.Severity == nil || e.Severity.Type != "CVSS_V3" || e.Severity.Rating != "critical" {
			t.Errorf("libssl3 CVE-2099-0001: severity %+v, want the CVSS v3 vector of DSA-9901-1 (critical)", e.Severity)
		}
	}
	// A binNMU binary (1.47.0-2+b2) is evaluated by its source version.
	if v, ok := byPackage["libext2fs2 DEBIAN-CVE-2099-0007"]; ok {
		e := v.Evidence
		if e.LookupName != "e2fsprogs" || e.LookupVersion != v.Package.SourceVersion || !strings.Contains(v.Package.Version, "+b") ||
			len(e.Fixed) != 0 || !v.Unfixed {
			t.Errorf("libext2fs2 DEBIAN-CVE-2099-0007: evidence %+v (package %s %s, source %s), unfixed %v", e, v.Package.Name, v.Package.Version, v.Package.SourceVersion, v.Unfixed)
		}
	}
	// No fix known.
	if v, ok := byPackage["libc6 DEBIAN-CVE-2099-0011"]; ok && (!v.Unfixed || len(v.Evidence.Fixed) != 0) {
		t.Errorf("libc6 DEBIAN-CVE-2099-0011: unfixed %v, fixed %v; want no fix", v.Unfixed, v.Evidence.Fixed)
	}
}

// debTruth returns a function listing the ground truth lines (dpkg-query.tsv) of the
// named packages.
func debTruth(t *testing.T, rootfs string) func([]string) string {
	pkgs, err := imagetest.DpkgTruth(rootfs)
	if err != nil {
		t.Fatal(err)
	}
	return func(names []string) string {
		var b strings.Builder
		for _, p := range pkgs {
			if slices.Contains(names, p.Name) {
				b.WriteString("\t" + strings.Join([]string{p.Name, p.Version, p.SourceName, p.SourceVersion, p.Status}, "\t") + "\n")
			}
		}
		return b.String()
	}
}

// TestDebianWantByDpkg derives the expected set of testdata/debian-want.json
// independently of Palisade: the root filesystem's ground truth (dpkg-query's source
// package and source version of each binary package) evaluated against each Debian 12
// range with `dpkg --compare-versions`, the reference of the dpkg order. When the
// archive moves on and a record no longer says what its summary says, this names it.
func TestDebianWantByDpkg(t *testing.T) {
	rootfs := imagetest.DebianRootFS(t)
	dpkg, err := exec.LookPath("dpkg")
	if err != nil {
		t.Skip("no dpkg to compare versions with")
	}
	pkgs, err := imagetest.DpkgTruth(rootfs)
	if err != nil {
		t.Fatal(err)
	}
	cmp := func(a, op, b string) bool {
		err := exec.Command(dpkg, "--compare-versions", a, op, b).Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return err == nil
	}
	want := readDebianWant(t)
	names, _ := filepath.Glob(filepath.Join(debianFixtures, "*.json"))
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			ID       string
			Affected []struct {
				Package struct{ Ecosystem, Name string }
				Ranges  []struct {
					Events []map[string]string
				}
			}
		}
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got []string
		for _, p := range pkgs {
			if !p.Installed() {
				continue
			}
			for _, a := range r.Affected {
				if a.Package.Ecosystem != "Debian:12" || a.Package.Name != p.SourceName {
					continue
				}
				in := false
				for _, rg := range a.Ranges {
					affected := false
					for _, e := range rg.Events { // in order in these records
						switch {
						case e["introduced"] != "":
							affected = e["introduced"] == "0" || cmp(p.SourceVersion, "ge", e["introduced"])
						case e["fixed"] != "":
							affected = affected && cmp(p.SourceVersion, "lt", e["fixed"])
						case e["last_affected"] != "":
							affected = affected && cmp(p.SourceVersion, "le", e["last_affected"])
						}
					}
					in = in || affected
				}
				if in && !slices.Contains(got, p.Name) {
					got = append(got, p.Name)
				}
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want[r.ID]) {
			t.Errorf("%s: dpkg --compare-versions over the ground truth gives %v, %s lists %v", r.ID, got, debianWantFile, want[r.ID])
		}
	}
}
