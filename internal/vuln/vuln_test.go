package vuln

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/osv"
	"github.com/palisade-k8s/palisade/internal/osv/osvtest"
	"github.com/palisade-k8s/palisade/internal/software"
)

func pkg(eco software.Ecosystem, name, version string) software.Package {
	return software.Package{Ecosystem: eco, Name: name, Version: version, Location: software.Location{Path: "/app", Layer: 1}}
}

// goArch is a Go module of a binary built for GOARCH arch.
func goArch(name, version, arch string) software.Package {
	p := pkg(software.Golang, name, version)
	p.Arch = arch
	return p
}

// deb is a dpkg package built from source src (version srcVersion when it differs).
func deb(name, version, src, srcVersion string) software.Package {
	p := pkg(software.Deb, name, version)
	p.SourceName, p.SourceVersion = src, srcVersion
	p.Location.Path = "/var/lib/dpkg/status"
	return p
}

// apk is an Alpine package of origin src.
func apk(name, version, src string) software.Package {
	p := pkg(software.APK, name, version)
	p.SourceName = src
	p.Location.Path = "/lib/apk/db/installed"
	return p
}

var (
	debian11 = &software.Distro{ID: "debian", VersionID: "11"}
	debian12 = &software.Distro{ID: "debian", VersionID: "12"}
	ubuntu22 = &software.Distro{ID: "ubuntu", VersionID: "22.04"}
	alpine19 = &software.Distro{ID: "alpine", VersionID: "3.19.1"}
)

// lines writes a result one line per vulnerability, advisory not evaluated, unsupported
// ecosystem and problem:
//
//	name version: ID aka ALIASES | ECOSYSTEM lookupName@lookupVersion | RANGE | fixed F... or no fix | SEVERITY | RECORDS
func lines(res *Result) []string {
	var out []string
	for _, v := range res.Vulnerabilities {
		e := v.Evidence
		s := fmt.Sprintf("%s %s: %s", v.Package.Name, v.Package.Version, e.ID)
		if v.Package.Arch != "" {
			s = fmt.Sprintf("%s %s (%s): %s", v.Package.Name, v.Package.Version, v.Package.Arch, e.ID)
		}
		if len(e.Aliases) > 0 {
			s += " aka " + strings.Join(e.Aliases, ",")
		}
		s += fmt.Sprintf(" | %s %s@%s | %s | ", e.Ecosystem, e.LookupName, e.LookupVersion, e.Range)
		if v.Unfixed {
			s += "no fix"
		} else {
			s += "fixed " + strings.Join(e.Fixed, " ")
		}
		if sv := e.Severity; sv != nil {
			s += fmt.Sprintf(" | %s %s", sv.Type, sv.Rating)
			if sv.Scored {
				s += fmt.Sprintf(" %.1f", sv.Score)
			}
		}
		s += " | " + strings.Join(e.Records, " ")
		if e.Package.Name != v.Package.Name || e.Package.Version != v.Package.Version || e.Package.SourceName != v.Package.SourceName {
			s += fmt.Sprintf(" | package evidence %+v", e.Package)
		}
		out = append(out, s)
	}
	for _, n := range res.NotEvaluated {
		out = append(out, fmt.Sprintf("not evaluated: %s %s: %s", n.Package.Name, n.Package.Version, strings.Join(n.IDs, ",")))
	}
	for _, eco := range slices.Sorted(maps.Keys(res.Unsupported)) {
		out = append(out, fmt.Sprintf("unsupported: %s %d", eco, res.Unsupported[eco]))
	}
	for _, p := range res.Problems {
		out = append(out, "problem: "+p)
	}
	return out
}

func TestMatch(t *testing.T) {
	db := fixtureDB(t)
	for _, tc := range []struct {
		name   string
		distro *software.Distro
		pkgs   []software.Package
		want   []string
	}{{
		name: "Go modules; aliases across two sources; withdrawn",
		pkgs: []software.Package{
			pkg(software.Golang, "golang.org/x/text", "v0.3.6"),
			// GO-2099-0001 (withdrawn) would include every version.
			pkg(software.Golang, "golang.org/x/text", "v0.3.7"),
			pkg(software.Golang, "golang.org/x/text", ""), // unknown version: never matched
			pkg(software.Golang, "golang.org/x/net", "v0.22.0"),
			pkg(software.Golang, "golang.org/x/net", "v0.23.0"),
			pkg(software.Golang, "example.com/unknown", "v1.0.0"),
		},
		want: []string{
			"golang.org/x/text v0.3.6: CVE-2021-38561 aka GHSA-ppp9-7jff-5vj2,GO-2021-0113 | Go golang.org/x/text@v0.3.6 | SEMVER: introduced 0, fixed 0.3.7 | fixed 0.3.7 | CVSS_V3 high 7.5 | ghsa/GHSA-ppp9-7jff-5vj2 go/GO-2021-0113",
			"golang.org/x/net v0.22.0: CVE-2023-45288 aka GHSA-4v7x-pqxf-cx7m,GO-2024-2687 | Go golang.org/x/net@v0.22.0 | SEMVER: introduced 0, fixed 0.23.0 | fixed 0.23.0 | go/GO-2024-2687",
		},
	}, {
		name: "Go: entries limited to other architectures do not apply (ecosystem_specific goarch)",
		pkgs: []software.Package{
			goArch("golang.org/x/crypto", "v0.0.0-20190308221718-c2843e01d9a2", "amd64"),
			goArch("golang.org/x/crypto", "v0.0.0-20190308221718-c2843e01d9a2", "arm64"),
			goArch("golang.org/x/crypto", "v0.0.0-20190308221718-c2843e01d9a2", ""), // unknown: applies
			goArch("golang.org/x/crypto", "v0.0.0-20190320223903-b7391e95e576", "amd64"),
		},
		want: []string{
			"golang.org/x/crypto v0.0.0-20190308221718-c2843e01d9a2 (amd64): CVE-2019-11840 aka GHSA-r5c5-pr8j-pfp7,GO-2022-0209 | Go golang.org/x/crypto@v0.0.0-20190308221718-c2843e01d9a2 | SEMVER: introduced 0, fixed 0.0.0-20190320223903-b7391e95e576 | fixed 0.0.0-20190320223903-b7391e95e576 | go/GO-2022-0209",
			"golang.org/x/crypto v0.0.0-20190308221718-c2843e01d9a2: CVE-2019-11840 aka GHSA-r5c5-pr8j-pfp7,GO-2022-0209 | Go golang.org/x/crypto@v0.0.0-20190308221718-c2843e01d9a2 | SEMVER: introduced 0, fixed 0.0.0-20190320223903-b7391e95e576 | fixed 0.0.0-20190320223903-b7391e95e576 | go/GO-2022-0209",
		},
	}, {
		name: "Go standard library: toolchain versions as govulncheck converts them",
		pkgs: []software.Package{
			pkg(software.Golang, "stdlib", "go1.21"),                    // v1.21.0
			pkg(software.Golang, "stdlib", "go1.22rc1"),                 // v1.22.0-rc.1
			pkg(software.Golang, "stdlib", "go1.22.1 X:boringcrypto"),   // v1.22.1
			pkg(software.Golang, "stdlib", "v1.21.8"),                   // the Go cataloger's form
			pkg(software.Golang, "stdlib", "go1.22.2"),                  // fixed
			pkg(software.Golang, "stdlib", "go1.21.9"),                  // fixed
			pkg(software.Golang, "stdlib", "go1.20.4-bigcorp"),          // a vendor's release
			pkg(software.Golang, "stdlib", "devel go1.23-2a3b4c5d6e7f"), // not a release
		},
		want: []string{
			"stdlib go1.21: CVE-2023-45288 aka GHSA-4v7x-pqxf-cx7m,GO-2024-2687 | Go stdlib@v1.21.0 | SEMVER: introduced 0, fixed 1.21.9 | fixed 1.21.9 1.22.2 | go/GO-2024-2687",
			"stdlib go1.22rc1: CVE-2023-45288 aka GHSA-4v7x-pqxf-cx7m,GO-2024-2687 | Go stdlib@v1.22.0-rc.1 | SEMVER: introduced 1.22.0-0, fixed 1.22.2 | fixed 1.22.2 | go/GO-2024-2687",
			"stdlib go1.22.1 X:boringcrypto: CVE-2023-45288 aka GHSA-4v7x-pqxf-cx7m,GO-2024-2687 | Go stdlib@v1.22.1 | SEMVER: introduced 1.22.0-0, fixed 1.22.2 | fixed 1.22.2 | go/GO-2024-2687",
			"stdlib v1.21.8: CVE-2023-45288 aka GHSA-4v7x-pqxf-cx7m,GO-2024-2687 | Go stdlib@v1.21.8 | SEMVER: introduced 0, fixed 1.21.9 | fixed 1.21.9 1.22.2 | go/GO-2024-2687",
			"stdlib go1.20.4-bigcorp: CVE-2023-45288 aka GHSA-4v7x-pqxf-cx7m,GO-2024-2687 | Go stdlib@v1.20.4 | SEMVER: introduced 0, fixed 1.21.9 | fixed 1.21.9 1.22.2 | go/GO-2024-2687",
			`problem: golang package stdlib devel go1.23-2a3b4c5d6e7f in /app: toolchain version "devel go1.23-2a3b4c5d6e7f" is not a Go release: advisories go/GO-2024-2687 not evaluated`,
		},
	}, {
		name: "npm: SEMVER, last_affected, CVSS v4 before v3, invalid versions",
		pkgs: []software.Package{
			pkg(software.NPM, "lodash", "4.17.20"),
			pkg(software.NPM, "lodash", "4.17.21"),
			pkg(software.NPM, "left-pad", "1.4.2"),
			pkg(software.NPM, "left-pad", "1.4.3"),
			pkg(software.NPM, "left-pad", "0.9.0"),
			pkg(software.NPM, "shortver", "1.2"), // npm requires MAJOR.MINOR.PATCH
			pkg(software.NPM, "badrange", "1.0.0"),
			pkg(software.NPM, "badrange", "2.0.0"),
		},
		want: []string{
			"lodash 4.17.20: CVE-2021-23337 aka GHSA-35jh-r3h4-6jhm | npm lodash@4.17.20 | SEMVER: introduced 0, fixed 4.17.21 | fixed 4.17.21 | CVSS_V3 high 7.2 | ghsa/GHSA-35jh-r3h4-6jhm",
			"left-pad 1.4.2: CVE-2099-0001 aka x_test-last-affected | npm left-pad@1.4.2 | SEMVER: introduced 1.0.0, last_affected 1.4.2 | no fix | CVSS_V4 critical 9.3 | test/x_test-last-affected",
			`problem: npm package shortver 1.2 in /app: invalid npm version "1.2": not a semantic version MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]: advisories test/x_test-npm-any not evaluated`,
			`problem: advisory test/x_test-bad-range affected[0]: ranges[0]: fixed "not.a.version": invalid npm version "not.a.version": ... (not evaluated for npm package badrange 1.0.0 in /app, npm package badrange 2.0.0 in /app)`,
		},
	}, {
		name: "PyPI: names normalized (PEP 503), limit, versions list, GIT",
		pkgs: []software.Package{
			pkg(software.PyPI, "pyyaml", "5.3.1"),
			pkg(software.PyPI, "PyYAML", "5.4"),
			pkg(software.PyPI, "typing-extensions", "1.9"),
			pkg(software.PyPI, "typing-extensions", "2.0"),
			pkg(software.PyPI, "Django.Foo", "1.0"), // 1.0 == 1.0.0 in PEP 440
			pkg(software.PyPI, "django_foo", "1.0.2"),
			pkg(software.PyPI, "gitonly", "0.4"),
			pkg(software.PyPI, "gitonly", "0.6"),
		},
		want: []string{
			"pyyaml 5.3.1: CVE-2020-14343 aka GHSA-8q59-q68h-6hv4,PYSEC-2021-142 | PyPI pyyaml@5.3.1 | introduced 0, fixed 5.4 | fixed 5.4 | pysec/PYSEC-2021-142",
			"typing-extensions 1.9: x_test-limit | PyPI typing-extensions@1.9 | introduced 0, limit 2.0 | no fix | test/x_test-limit",
			"Django.Foo 1.0: x_test-versions | PyPI Django.Foo@1.0 | listed in versions | no fix | test/x_test-versions",
			"gitonly 0.4: x_test-git-and-ecosystem | PyPI gitonly@0.4 | introduced 0, fixed 0.5 | fixed 0.5 | test/x_test-git-and-ecosystem",
			"not evaluated: gitonly 0.4: CVE-2099-0002,x_test-git",
			"not evaluated: gitonly 0.6: CVE-2099-0002,x_test-git",
		},
	}, {
		name: "Maven: ECOSYSTEM ranges in Maven's order",
		pkgs: []software.Package{
			pkg(software.Maven, "org.apache.logging.log4j:log4j-core", "2.14.1"),
			pkg(software.Maven, "org.apache.logging.log4j:log4j-core", "2.12.2"),
			pkg(software.Maven, "org.apache.logging.log4j:log4j-core", "2.3"),
			pkg(software.Maven, "org.apache.logging.log4j:log4j-core", "2.0-beta8"),
			pkg(software.Maven, "org.apache.logging.log4j:log4j-core", "2.15.0"),
		},
		want: []string{
			"org.apache.logging.log4j:log4j-core 2.14.1: CVE-2021-44228 aka GHSA-jfh8-c2jp-5v3q | Maven org.apache.logging.log4j:log4j-core@2.14.1 | introduced 2.13.0, fixed 2.15.0 | fixed 2.15.0 | CVSS_V3 critical 10.0 | ghsa/GHSA-jfh8-c2jp-5v3q",
			"org.apache.logging.log4j:log4j-core 2.3: CVE-2021-44228 aka GHSA-jfh8-c2jp-5v3q | Maven org.apache.logging.log4j:log4j-core@2.3 | introduced 2.0-beta9, fixed 2.3.1 | fixed 2.3.1 2.12.2 2.15.0 | CVSS_V3 critical 10.0 | ghsa/GHSA-jfh8-c2jp-5v3q",
		},
	}, {
		name:   "Debian 12: source names and versions, binNMU, release filter",
		distro: debian12,
		pkgs: []software.Package{
			deb("libssl3", "3.0.7-1", "openssl", ""),
			deb("openssl", "3.0.8-1", "", ""),
			// Debian:11 has no fix for zlib; Debian:12 fixed it in this version.
			deb("zlib1g", "1:1.2.13.dfsg-1", "zlib", ""),
			// The binary version sorts after the fix; the source version before it.
			deb("gcc", "4:12.2.0-3", "gcc-defaults", "1.203"),
			deb("libblkid1", "2.38.1-5+b1", "util-linux", "2.38.1-5"),
		},
		want: []string{
			"libssl3 3.0.7-1: CVE-2023-0286 aka DEBIAN-CVE-2023-0286 | Debian:12 openssl@3.0.7-1 | introduced 0, fixed 3.0.8-1 | fixed 3.0.8-1 | debian/DEBIAN-CVE-2023-0286",
			"gcc 4:12.2.0-3: CVE-2099-0004 aka DEBIAN-CVE-2099-0004 | Debian:12 gcc-defaults@1.203 | introduced 0, fixed 1.204 | fixed 1.204 | debian/DEBIAN-CVE-2099-0004",
			"libblkid1 2.38.1-5+b1: CVE-2099-0005 aka DEBIAN-CVE-2099-0005 | Debian:12 util-linux@2.38.1-5 | introduced 0, fixed 2.38.1-5+deb12u1 | fixed 2.38.1-5+deb12u1 | debian/DEBIAN-CVE-2099-0005",
		},
	}, {
		name:   "Debian 11",
		distro: debian11,
		pkgs: []software.Package{
			deb("libssl1.1", "1.1.1n-0+deb11u3", "openssl", ""),
			deb("zlib1g", "1:1.2.13.dfsg-1", "zlib", ""),
			deb("gcc", "4:10.2.1-1", "gcc-defaults", "1.190"), // only a Debian:12 record
		},
		want: []string{
			"libssl1.1 1.1.1n-0+deb11u3: CVE-2023-0286 aka DEBIAN-CVE-2023-0286 | Debian:11 openssl@1.1.1n-0+deb11u3 | introduced 0, fixed 1.1.1n-0+deb11u4 | fixed 1.1.1n-0+deb11u4 | debian/DEBIAN-CVE-2023-0286",
			"libssl1.1 1.1.1n-0+deb11u3: CVE-2023-0464 aka DSA-5417-1 | Debian:11 openssl@1.1.1n-0+deb11u3 | introduced 0, fixed 1.1.1n-0+deb11u5 | fixed 1.1.1n-0+deb11u5 | debian/DSA-5417-1",
			"zlib1g 1:1.2.13.dfsg-1: CVE-2099-0003 aka DEBIAN-CVE-2099-0003 | Debian:11 zlib@1:1.2.13.dfsg-1 | introduced 0 | no fix | debian/DEBIAN-CVE-2099-0003",
		},
	}, {
		name:   "Ubuntu 22.04: its own records only, its priority as severity",
		distro: ubuntu22,
		pkgs: []software.Package{
			deb("libssl3", "3.0.2-0ubuntu1.7", "openssl", ""),
			deb("zlib1g", "1:1.2.11.dfsg-2ubuntu9", "zlib", ""),
		},
		want: []string{
			"libssl3 3.0.2-0ubuntu1.7: CVE-2023-0286 aka UBUNTU-CVE-2023-0286 | Ubuntu:22.04:LTS openssl@3.0.2-0ubuntu1.7 | introduced 0, fixed 3.0.2-0ubuntu1.8 | fixed 3.0.2-0ubuntu1.8 | Ubuntu high | ubuntu/UBUNTU-CVE-2023-0286",
		},
	}, {
		name:   "Alpine 3.19: origin names, release prefix",
		distro: alpine19,
		pkgs: []software.Package{
			apk("libcrypto3", "3.1.4-r0", "openssl"),
			apk("libssl3", "3.1.4-r1", "openssl"),
		},
		want: []string{
			"libcrypto3 3.1.4-r0: CVE-2023-5678 aka ALPINE-CVE-2023-5678 | Alpine:v3.19 openssl@3.1.4-r0 | introduced 0, fixed 3.1.4-r1 | fixed 3.1.4-r1 | alpine/ALPINE-CVE-2023-5678",
		},
	}, {
		name: "distribution records need a known distribution",
		pkgs: []software.Package{
			deb("libssl3", "3.0.7-1", "openssl", ""),
			apk("libcrypto3", "3.1.4-r0", "openssl"),
		},
	}, {
		name:   "ecosystems without a version order are counted",
		distro: debian12,
		pkgs: []software.Package{
			pkg(software.Gem, "rack", "2.2.7"),
			pkg(software.Gem, "rack", "2.2.8"),
			pkg(software.Gem, "rails", "7.0.0"), // no advisory: not counted
		},
		want: []string{"unsupported: gem 2"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Match(context.Background(), db, &software.Inventory{Distro: tc.distro, Packages: tc.pkgs})
			if err != nil {
				t.Fatal(err)
			}
			got := lines(res)
			if !equalLines(got, tc.want) {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tc.want, "\n\t"))
			}
			for _, v := range res.Vulnerabilities {
				in := false
				for i := range tc.pkgs {
					in = in || v.Package == &tc.pkgs[i]
				}
				if !in {
					t.Errorf("%s: Package is not a pointer into the inventory", v.Evidence.ID)
				}
			}
		})
	}
}

// equalLines compares lines; a want line ending in "..." (before a parenthesis) matches
// a got line with the same text around it.
func equalLines(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		before, after, ok := strings.Cut(want[i], "...")
		if !ok {
			if got[i] != want[i] {
				return false
			}
			continue
		}
		if !strings.HasPrefix(got[i], before) || !strings.HasSuffix(got[i], after) {
			return false
		}
	}
	return true
}

// TestFixtures holds every fixture to the official OSV schema and to osv.Parse.
func TestFixtures(t *testing.T) {
	n := 0
	err := filepath.WalkDir(filepath.Join("testdata", "osv"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		osvtest.Validate(t, path, data)
		r, err := osv.ParseBytes(data, path)
		if err != nil {
			t.Error(err)
		} else if r.ID+".json" != d.Name() {
			t.Errorf("%s: id %s", path, r.ID)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Errorf("%d fixtures", n)
	}
}

// record parses an OSV record written in JSON, with its source.
func record(t testing.TB, source, js string) *osv.Record {
	t.Helper()
	osvtest.Validate(t, source, []byte(js))
	r, err := osv.ParseBytes([]byte(js), source)
	if err != nil {
		t.Fatal(err)
	}
	r.Source = source
	return r
}

// TestEvidenceMerge: records of one vulnerability from three sources, with different
// fixes and severities, are one vulnerability with the union of the fixes and the most
// precise severity; records of another vulnerability are another.
func TestEvidenceMerge(t *testing.T) {
	db := newMemDB(
		record(t, "a", `{"id":"GHSA-aaaa-aaaa-aaaa","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2024-0001"],
			"summary":"first summary",
			"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"}],
			"affected":[{"package":{"ecosystem":"npm","name":"pkg"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.0"}]}]}]}`),
		record(t, "b", `{"id":"CVE-2024-0001","modified":"2024-01-01T00:00:00Z","aliases":["OSV-2024-1"],
			"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
			"affected":[{"package":{"ecosystem":"npm","name":"pkg"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.1.5"}]},{"type":"SEMVER","events":[{"introduced":"1.2.0-0"},{"fixed":"1.2.1"}]}]}]}`),
		// Merged with the others through OSV-2024-1, its rating only a word.
		record(t, "c", `{"id":"GHSA-cccc-cccc-cccc","modified":"2024-01-01T00:00:00Z","aliases":["OSV-2024-1"],
			"summary":"third summary","database_specific":{"severity":"LOW"},
			"affected":[{"package":{"ecosystem":"npm","name":"pkg"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.0"}]}]}]}`),
		// Another vulnerability ("related" does not merge), no summary, no fix.
		record(t, "a", `{"id":"GHSA-dddd-dddd-dddd","modified":"2024-01-01T00:00:00Z","related":["CVE-2024-0001"],
			"affected":[{"package":{"ecosystem":"npm","name":"pkg"},"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"}]}]}]}`),
		// Not affected at this version: not in the evidence.
		record(t, "d", `{"id":"GHSA-eeee-eeee-eeee","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2024-0001"],
			"severity":[{"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}],
			"affected":[{"package":{"ecosystem":"npm","name":"pkg"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.1.0"}]}]}]}`),
	)
	db.sort()
	p := pkg(software.NPM, "pkg", "1.1.0")
	p.PURL = "pkg:npm/pkg@1.1.0"
	res, err := Match(context.Background(), db, &software.Inventory{Packages: []software.Package{p}})
	if err != nil {
		t.Fatal(err)
	}
	got := lines(res)
	want := []string{
		"pkg 1.1.0: CVE-2024-0001 aka GHSA-aaaa-aaaa-aaaa,GHSA-cccc-cccc-cccc,OSV-2024-1 | npm pkg@1.1.0 | SEMVER: introduced 0, fixed 1.2.0 | fixed 1.1.5 1.2.0 1.2.1 | CVSS_V3 critical 9.8 | a/GHSA-aaaa-aaaa-aaaa b/CVE-2024-0001 c/GHSA-cccc-cccc-cccc",
		"pkg 1.1.0: GHSA-dddd-dddd-dddd | npm pkg@1.1.0 | SEMVER: introduced 1.0.0 | no fix | a/GHSA-dddd-dddd-dddd",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
	if len(res.Vulnerabilities) == 2 {
		e := res.Vulnerabilities[0].Evidence
		if e.Summary != "first summary" || e.Package.PURL != p.PURL || e.Severity.Vector != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" {
			t.Errorf("evidence %+v", e)
		}
		if e := res.Vulnerabilities[1].Evidence; e.Summary != "" || e.Severity != nil || e.Fixed != nil {
			t.Errorf("evidence %+v", e)
		}
	}
}

// TestMatchLookups: each (ecosystem, name) is looked up once per Match, the source
// package too; a failing database is an error.
func TestMatchLookups(t *testing.T) {
	db := fixtureDB(t)
	inv := &software.Inventory{Distro: debian12, Packages: []software.Package{
		pkg(software.Golang, "stdlib", "go1.21"),
		pkg(software.Golang, "stdlib", "go1.21.1"),
		deb("libssl3", "3.0.7-1", "openssl", ""),
		deb("openssl", "3.0.7-1", "", ""),
		deb("libssl-dev", "3.0.7-1", "openssl", ""),
	}}
	res, err := Match(context.Background(), db, inv)
	if err != nil {
		t.Fatal(err)
	}
	// stdlib, libssl3, openssl, libssl-dev.
	if db.lookups != 4 {
		t.Errorf("%d lookups, want 4", db.lookups)
	}
	if len(res.Vulnerabilities) != 5 {
		t.Errorf("got %q", lines(res))
	}

	if res, err := Match(context.Background(), db, nil); err != nil || len(lines(res)) != 0 {
		t.Errorf("nil inventory: %v %v", res, err)
	}
	// An invalid installed version is one problem naming at most five advisories.
	stdlib := pkg(software.Golang, "stdlib", "devel go1.24-abcdef")
	big := newMemDB()
	for i := range 8 {
		big.add(record(t, "go", fmt.Sprintf(`{"id":"GO-2099-%04d","modified":"2024-01-01T00:00:00Z",
			"affected":[{"package":{"ecosystem":"Go","name":"stdlib"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`, i)))
	}
	res, err = Match(context.Background(), big, &software.Inventory{Packages: []software.Package{stdlib}})
	want := `golang package stdlib devel go1.24-abcdef in /app: toolchain version "devel go1.24-abcdef" is not a Go release: advisories go/GO-2099-0000, go/GO-2099-0001, go/GO-2099-0002, go/GO-2099-0003, go/GO-2099-0004 and 3 more not evaluated`
	if err != nil || !slices.Equal(res.Problems, []string{want}) || len(res.Vulnerabilities) != 0 {
		t.Errorf("got %v %q", err, lines(res))
	}

	db.err = errors.New("disk on fire")
	if _, err := Match(context.Background(), db, inv); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("got %v", err)
	}
	db.err = nil
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Match(ctx, db, inv); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
}

func TestGoTagToSemver(t *testing.T) {
	for in, want := range map[string]string{
		"go1":                     "v1.0.0",
		"go1.0":                   "",
		"go1.9":                   "v1.9.0",
		"go1.20":                  "v1.20.0",
		"go1.21":                  "v1.21.0",
		"go1.21.0":                "v1.21.0",
		"go1.22.1":                "v1.22.1",
		"go1.22rc1":               "v1.22.0-rc.1",
		"go1.21beta2":             "v1.21.0-beta.2",
		"go1.22.1 X:boringcrypto": "v1.22.1",
		"go1.20.4-bigcorp":        "v1.20.4",
		"devel go1.23-abcdef":     "",
		"go1.x":                   "",
		"":                        "",
		"v1.22.1":                 "",
	} {
		if got := goTagToSemver(in); got != want {
			t.Errorf("goTagToSemver(%q) = %q, want %q", in, got, want)
		}
	}
}
