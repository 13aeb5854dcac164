package vuln

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/palisade-k8s/palisade/internal/osv"
	"github.com/palisade-k8s/palisade/internal/software"
)

// syntheticDB is an image of 1,000 packages (400 Debian binaries of 200 source
// packages, 300 Go modules and the standard library, 200 npm and 99 PyPI packages)
// and the records naming them: five per Debian source (two releases), three per
// language package, 300 for the standard library; about half include the installed
// version.
func syntheticDB(b *testing.B) (*memDB, *software.Inventory) {
	db := newMemDB()
	inv := &software.Inventory{Distro: debian12}
	n := 0
	add := func(source, eco, name string, ranges ...string) {
		n++
		js := fmt.Sprintf(`{"id":"OSV-2099-%d","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2099-%d"],"summary":"synthetic","affected":[`, n, n)
		for i, r := range ranges {
			if i > 0 {
				js += ","
			}
			js += fmt.Sprintf(`{"package":{"ecosystem":%q,"name":%q},"ranges":[%s]}`, eco, name, r)
		}
		r, err := osv.ParseBytes([]byte(js+"]}"), "synthetic")
		if err != nil {
			b.Fatal(err)
		}
		r.Source = source
		db.add(r)
	}
	rng := func(typ, fixed string) string {
		return fmt.Sprintf(`{"type":%q,"events":[{"introduced":"0"},{"fixed":%q}]}`, typ, fixed)
	}
	for i := range 200 {
		src := fmt.Sprintf("src%d", i)
		for j := range 2 {
			p := deb(fmt.Sprintf("lib%s-%d", src, j), "1:2.4.1-3+b1", src, "1:2.4.1-3")
			inv.Packages = append(inv.Packages, p)
		}
		for k := range 5 {
			fixed := []string{"1:2.4.1-3+deb12u1", "1:2.4.0-1", "1:2.4.1-4", "2.9-1", "1:2.4.1-3"}[k]
			add("debian", "Debian:12", src, rng("ECOSYSTEM", fixed))
			add("debian", "Debian:11", src, rng("ECOSYSTEM", fixed))
		}
	}
	for i := range 300 {
		name := fmt.Sprintf("example.com/org%d/mod", i)
		inv.Packages = append(inv.Packages, pkg(software.Golang, name, "v1.4.2"))
		for _, fixed := range []string{"1.4.3", "1.3.0", "1.5.0-rc.1"} {
			add("go", "Go", name, rng("SEMVER", fixed))
		}
	}
	inv.Packages = append(inv.Packages, pkg(software.Golang, "stdlib", "go1.21.3"))
	for i := range 300 {
		add("go", "Go", "stdlib", fmt.Sprintf(`{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.20.%d"},{"introduced":"1.21.0-0"},{"fixed":"1.21.%d"}]}`, i%12, i%12))
	}
	for i := range 200 {
		name := fmt.Sprintf("pkg-%d", i)
		inv.Packages = append(inv.Packages, pkg(software.NPM, name, "3.10.1"))
		for _, fixed := range []string{"3.10.2", "3.9.0", "4.0.0"} {
			add("ghsa", "npm", name, rng("SEMVER", fixed))
		}
	}
	for i := range 99 {
		name := fmt.Sprintf("Py_Pkg.%d", i)
		inv.Packages = append(inv.Packages, pkg(software.PyPI, fmt.Sprintf("py-pkg-%d", i), "2.0.1"))
		for _, fixed := range []string{"2.0.2", "1.9", "2.1rc1"} {
			add("pysec", "PyPI", name, rng("ECOSYSTEM", fixed))
		}
	}
	db.sort()
	return db, inv
}

// BenchmarkMatch matches an inventory of 1,000 packages against the records naming
// them (about 3,500): the cost of matching grows with the records a package has, not
// with the size of the database (a lookup is an index read).
func BenchmarkMatch(b *testing.B) {
	db, inv := syntheticDB(b)
	if len(inv.Packages) != 1000 {
		b.Fatalf("%d packages", len(inv.Packages))
	}
	var vulns int
	b.ReportAllocs()
	for b.Loop() {
		res, err := Match(context.Background(), db, inv)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Problems) > 0 {
			b.Fatal(res.Problems)
		}
		vulns = len(res.Vulnerabilities)
	}
	b.ReportMetric(float64(vulns), "vulns/op")
}

// BenchmarkMatchGoVulnDB matches 1,000 Go modules of the real Go vulnerability database
// (each at the first introduced version of its first record) and the standard library
// of go1.21.0 against the whole database.
func BenchmarkMatchGoVulnDB(b *testing.B) {
	db, recs := goDB(b)
	inv := &software.Inventory{Packages: []software.Package{pkg(software.Golang, "stdlib", "go1.21.0")}}
	seen := map[string]bool{"stdlib": true, "toolchain": true}
	for _, r := range recs {
		for _, a := range r.Affected {
			if seen[a.Package.Name] || len(a.Ranges) == 0 || len(inv.Packages) == 1000 {
				continue
			}
			seen[a.Package.Name] = true
			v := "v0.0.1"
			if e := a.Ranges[0].Events; len(e) > 0 && e[0].Version != "0" {
				v = "v" + e[0].Version
			}
			inv.Packages = append(inv.Packages, pkg(software.Golang, a.Package.Name, v))
		}
	}
	var vulns int
	b.ReportAllocs()
	for b.Loop() {
		res, err := Match(context.Background(), db, inv)
		if err != nil {
			b.Fatal(err)
		}
		vulns = len(res.Vulnerabilities)
	}
	b.ReportMetric(float64(vulns), "vulns/op")
}

// FuzzMatch matches hostile records: Match never panics, reports only records it was
// given, and every vulnerability has an ID and its records.
func FuzzMatch(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "osv", "*", "*.json"))
	slices.Sort(files)
	for i, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, []string{"1.0.0", "0.3.6", "go1.21", "1:1.2-3+b1", "2.0"}[i%5])
	}
	f.Fuzz(func(t *testing.T, data []byte, ver string) {
		r, err := osv.ParseBytes(data, "fuzz")
		if err != nil {
			return
		}
		r.Source = "fuzz"
		db := newMemDB(r)
		inv := &software.Inventory{}
		for _, a := range r.Affected {
			e, err := osv.ParseEcosystem(a.Package.Ecosystem)
			if err != nil || e.Software == "" || len(inv.Packages) > 20 {
				continue
			}
			if e.DistroID != "" {
				inv.Distro = &software.Distro{ID: e.DistroID, VersionID: e.Release}
			}
			p := pkg(e.Software, a.Package.Name, ver)
			if e.Source {
				p.Name, p.SourceName, p.SourceVersion = a.Package.Name+"-bin", a.Package.Name, ver
			}
			inv.Packages = append(inv.Packages, p)
		}
		res, err := Match(context.Background(), db, inv)
		if err != nil {
			t.Fatal(err)
		}
		ids := r.IDs()
		for _, v := range res.Vulnerabilities {
			if v.Evidence.ID == "" || !slices.Equal(v.Evidence.Records, []string{"fuzz/" + r.ID}) {
				t.Errorf("evidence %+v", v.Evidence)
			}
			if !slices.Contains(ids, v.Evidence.ID) {
				t.Errorf("ID %q not of the record %v", v.Evidence.ID, ids)
			}
			if r.IsWithdrawn() {
				t.Error("withdrawn record matched")
			}
		}
	})
}
