package vuln

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/osv"
	"github.com/palisade-k8s/palisade/internal/osv/osvtest"
	"github.com/palisade-k8s/palisade/internal/software"
	"github.com/palisade-k8s/palisade/internal/version"
)

// goDB is the real Go vulnerability database (osvtest.GoVulnDB), source "go".
func goDB(t testing.TB) (*memDB, []*osv.Record) {
	recs := readRecords(t, osvtest.GoVulnDB(t))
	for _, r := range recs {
		r.Source = "go"
	}
	db := newMemDB(recs...)
	db.sort()
	return db, recs
}

// toolchainTag is the go command's name of a standard library release (the inverse of
// goTagToSemver for releases): "1.21.0" -> "go1.21.0", "1.20.0" -> "go1.20" (before
// Go 1.21 the first release had no ".0"), "1.19.3" -> "go1.19.3".
func toolchainTag(v string) string {
	major, rest, _ := strings.Cut(v, ".")
	minor, patch, _ := strings.Cut(rest, ".")
	var n int
	fmt.Sscan(minor, &n)
	if patch == "0" && major == "1" && n < 21 {
		return "go" + major + "." + minor
	}
	return "go" + v
}

// TestGoVulnDB matches the whole real Go vulnerability database: every module (and the
// standard library, named by its toolchain version as a binary reports it) at every
// introduced and last_affected version of every record's ranges is reported vulnerable
// to that record; the same modules at the record's fixed versions, when no range of the
// record includes them, are not; no record is a problem.
func TestGoVulnDB(t *testing.T) {
	db, recs := goDB(t)
	type probe struct {
		pkg    software.Package
		record string
		want   bool
	}
	var probes []probe
	for _, r := range recs {
		if r.IsWithdrawn() {
			continue
		}
		for i := range r.Affected {
			a := &r.Affected[i]
			if a.Package.Ecosystem != "Go" {
				continue
			}
			for _, rg := range a.Ranges {
				for _, e := range rg.Events {
					if e.Version == "0" || strings.Contains(e.Version, "-") {
						continue // prereleases ("1.22.0-0") are no toolchain's version
					}
					v := "v" + e.Version
					if isToolchain(a.Package.Name) {
						v = toolchainTag(e.Version)
					}
					want := e.Kind == osv.EventIntroduced || e.Kind == osv.EventLastAffected
					if e.Kind == osv.EventFixed {
						// Fixed here, unless another range of the record includes it.
						for j := range r.Affected {
							b := &r.Affected[j]
							if b.Package.Name != a.Package.Name {
								continue
							}
							sv := strings.TrimPrefix(v, "v")
							if isToolchain(a.Package.Name) {
								sv = goTagToSemver(v)
							}
							if m, err := b.Matches(sv, version.CompareGo); err == nil && m.IsAffected() {
								want = true
							}
						}
					}
					p := pkg(software.Golang, a.Package.Name, v)
					probes = append(probes, probe{p, "go/" + r.ID, want})
				}
			}
		}
	}
	inv := &software.Inventory{}
	for _, pr := range probes {
		inv.Packages = append(inv.Packages, pr.pkg)
	}
	res, err := Match(context.Background(), db, inv)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Error(p)
	}
	for _, n := range res.NotEvaluated {
		t.Errorf("not evaluated: %s %s %v", n.Package.Name, n.Package.Version, n.IDs)
	}
	found := map[*software.Package][]string{}
	for _, v := range res.Vulnerabilities {
		found[v.Package] = append(found[v.Package], v.Evidence.Records...)
		if !strings.HasPrefix(v.Evidence.ID, "CVE-") && !strings.HasPrefix(v.Evidence.ID, "GO-") {
			t.Errorf("%s %s: ID %s", v.Package.Name, v.Package.Version, v.Evidence.ID)
		}
	}
	bad := 0
	for i, pr := range probes {
		p := &inv.Packages[i]
		if got := slices.Contains(found[p], pr.record); got != pr.want && bad < 20 {
			bad++
			t.Errorf("%s %s: %s reported %v, want %v", p.Name, p.Version, pr.record, got, pr.want)
		}
	}
	if len(probes) < 5000 {
		t.Errorf("only %d probes", len(probes))
	}
	t.Logf("%d records, %d probes, %d vulnerabilities", len(recs), len(probes), len(res.Vulnerabilities))

	// Known answers.
	for _, tc := range []struct {
		name, version string
		want, not     []string
	}{
		{"golang.org/x/text", "v0.3.6", []string{"CVE-2021-38561"}, []string{"CVE-2020-14040"}},
		{"golang.org/x/net", "v0.22.0", []string{"CVE-2023-45288"}, nil},
		{"stdlib", "go1.22.1", []string{"CVE-2023-45288"}, nil},
		{"stdlib", "go1.22.2", nil, []string{"CVE-2023-45288"}},
	} {
		p := pkg(software.Golang, tc.name, tc.version)
		res, err := Match(context.Background(), db, &software.Inventory{Packages: []software.Package{p}})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, v := range res.Vulnerabilities {
			ids = append(ids, v.Evidence.ID)
		}
		for _, id := range tc.want {
			if !slices.Contains(ids, id) {
				t.Errorf("%s %s: no %s in %v", tc.name, tc.version, id, ids)
			}
		}
		for _, id := range tc.not {
			if slices.Contains(ids, id) {
				t.Errorf("%s %s: %s reported", tc.name, tc.version, id)
			}
		}
	}
}
