package osv

import (
	"testing"

	"github.com/palisade-k8s/palisade/internal/software"
)

func TestParseEcosystem(t *testing.T) {
	for _, tc := range []struct {
		in       string
		software software.Ecosystem
		distro   string
		release  string
		source   bool
	}{
		{"Go", software.Golang, "", "", false},
		{"npm", software.NPM, "", "", false},
		{"PyPI", software.PyPI, "", "", false},
		{"Maven", software.Maven, "", "", false},
		{"RubyGems", software.Gem, "", "", false},
		{"NuGet", software.NuGet, "", "", false},
		{"crates.io", software.Cargo, "", "", false},
		{"Packagist", software.Composer, "", "", false},
		{"Debian:12", software.Deb, "debian", "12", true},
		{"Debian", software.Deb, "debian", "", true},
		{"Ubuntu:22.04:LTS", software.Deb, "ubuntu", "22.04", true},
		{"Ubuntu:24.10", software.Deb, "ubuntu", "24.10", true},
		{"Ubuntu:Pro:18.04:LTS", software.Deb, "ubuntu", "18.04", true},
		{"Alpine:v3.19", software.APK, "alpine", "3.19", true},
		{"Red Hat:enterprise_linux:9::appstream", software.RPM, "rhel", "9", false},
		{"Red Hat", software.RPM, "rhel", "", false},
		{"Hackage", "", "", "", false},
	} {
		e, err := ParseEcosystem(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if e.OSV != tc.in || e.Software != tc.software || e.DistroID != tc.distro || e.Release != tc.release || e.Source != tc.source {
			t.Errorf("%s: %+v", tc.in, e)
		}
	}
	if _, err := ParseEcosystem(""); err == nil {
		t.Error("empty ecosystem accepted")
	}
}

func TestMatchesDistro(t *testing.T) {
	deb12 := &software.Distro{ID: "debian", VersionID: "12"}
	alpine := &software.Distro{ID: "alpine", VersionID: "3.19.1"}
	alpine320 := &software.Distro{ID: "alpine", VersionID: "3.20.0"}
	rhel := &software.Distro{ID: "rhel", VersionID: "9.4"}
	ubuntu := &software.Distro{ID: "ubuntu", VersionID: "22.04"}
	for _, tc := range []struct {
		eco  string
		d    *software.Distro
		want bool
	}{
		{"Debian:12", deb12, true},
		{"Debian:11", deb12, false},
		{"Debian", deb12, true},
		{"Ubuntu:22.04:LTS", deb12, false},
		{"Ubuntu:22.04:LTS", ubuntu, true},
		{"Alpine:v3.19", alpine, true},
		{"Alpine:v3.1", alpine, false},
		{"Alpine:v3.19", alpine320, false},
		{"Red Hat:enterprise_linux:9::appstream", rhel, true},
		{"Debian:12", nil, false},
		{"Go", nil, true},
		{"npm", deb12, true},
	} {
		e, _ := ParseEcosystem(tc.eco)
		if got := e.MatchesDistro(tc.d); got != tc.want {
			t.Errorf("%s on %+v: %v", tc.eco, tc.d, got)
		}
	}
}

func TestLookupNameVersion(t *testing.T) {
	deb, _ := ParseEcosystem("Debian:12")
	golang, _ := ParseEcosystem("Go")
	bin := &software.Package{Ecosystem: software.Deb, Name: "libssl3", Version: "3.0.15-1~deb12u1", SourceName: "openssl"}
	binNMU := &software.Package{Ecosystem: software.Deb, Name: "libfoo1", Version: "1.2-3+b1", SourceName: "foo", SourceVersion: "1.2-3"}
	plain := &software.Package{Ecosystem: software.Deb, Name: "bash", Version: "5.2.15-2+b7"}
	for _, tc := range []struct {
		e             Ecosystem
		p             *software.Package
		name, version string
	}{
		{deb, bin, "openssl", "3.0.15-1~deb12u1"},
		{deb, binNMU, "foo", "1.2-3"},
		{deb, plain, "bash", "5.2.15-2+b7"},
		{golang, &software.Package{Name: "stdlib", Version: "v1.22.1", SourceName: "x"}, "stdlib", "v1.22.1"},
	} {
		if n, v := tc.e.LookupName(tc.p), tc.e.LookupVersion(tc.p); n != tc.name || v != tc.version {
			t.Errorf("%s %s: %s %s", tc.e.OSV, tc.p.Name, n, v)
		}
	}
}
