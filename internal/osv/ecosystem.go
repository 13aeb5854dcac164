package osv

import (
	"fmt"
	"strings"

	"github.com/palisade-k8s/palisade/internal/software"
)

// Ecosystem is an OSV ecosystem string ("Go", "Debian:12", "Ubuntu:22.04:LTS",
// "Alpine:v3.19", "Red Hat:enterprise_linux:9::appstream") resolved against the software
// model.
type Ecosystem struct {
	// OSV is the string as the record spells it.
	OSV string
	// Base is the ecosystem without its suffix ("Debian").
	Base string
	// Suffix is what follows the first ':' ("12", "22.04:LTS", "v3.19"), "" if none.
	Suffix string
	// Software is the package ecosystem (the purl type) of the packages it names; ""
	// when Palisade has no cataloger for it.
	Software software.Ecosystem
	// DistroID is the os-release ID of a distribution ecosystem ("debian", "ubuntu",
	// "alpine", "rhel"); "" for a language ecosystem.
	DistroID string
	// Release is the distribution release the suffix names, in os-release VERSION_ID
	// terms ("12", "22.04", "3.19"; Red Hat: the major version "9"); "" when the
	// records cover every release of the distribution (an ecosystem without suffix).
	Release string
	// Source is set when the ecosystem's records name source packages, not binary ones:
	// Debian and Ubuntu (dpkg Source), Alpine (apk origin). Look a package up by
	// LookupName and compare LookupVersion.
	Source bool
}

// language ecosystems: OSV name -> purl type.
var languages = map[string]software.Ecosystem{
	"Go":        software.Golang,
	"npm":       software.NPM,
	"PyPI":      software.PyPI,
	"Maven":     software.Maven,
	"RubyGems":  software.Gem,
	"NuGet":     software.NuGet,
	"crates.io": software.Cargo,
	"Packagist": software.Composer,
}

// distributions: OSV name -> package ecosystem, os-release ID, source-named.
var distributions = map[string]struct {
	eco    software.Ecosystem
	id     string
	source bool
}{
	"Debian":      {software.Deb, "debian", true},
	"Ubuntu":      {software.Deb, "ubuntu", true},
	"Alpine":      {software.APK, "alpine", true},
	"Wolfi":       {software.APK, "wolfi", true},
	"Chainguard":  {software.APK, "chainguard", true},
	"Red Hat":     {software.RPM, "rhel", false},
	"AlmaLinux":   {software.RPM, "almalinux", false},
	"Rocky Linux": {software.RPM, "rocky", false},
	"SUSE":        {software.RPM, "sles", false},
	"openSUSE":    {software.RPM, "opensuse-leap", false},
	"Mageia":      {software.RPM, "mageia", false},
	"openEuler":   {software.RPM, "openEuler", false},
	"Photon OS":   {software.RPM, "photon", false},
	"Azure Linux": {software.RPM, "azurelinux", false},
}

// ParseEcosystem resolves an OSV ecosystem string. An ecosystem Palisade has no packages
// for is not an error: its Software is "".
func ParseEcosystem(s string) (Ecosystem, error) {
	e := Ecosystem{OSV: s, Base: s}
	if s == "" {
		return e, fmt.Errorf("empty ecosystem")
	}
	if base, suffix, ok := strings.Cut(s, ":"); ok {
		e.Base, e.Suffix = base, suffix
	}
	if eco, ok := languages[e.Base]; ok {
		e.Software = eco
		return e, nil
	}
	d, ok := distributions[e.Base]
	if !ok {
		return e, nil
	}
	e.Software, e.DistroID, e.Source = d.eco, d.id, d.source
	switch e.Base {
	case "Debian":
		// "Debian:12", "Debian:13"; "Debian" alone covers every release.
		e.Release = e.Suffix
	case "Ubuntu":
		// "Ubuntu:22.04:LTS", "Ubuntu:24.10", "Ubuntu:Pro:18.04:LTS",
		// "Ubuntu:Pro:FIPS:20.04:LTS": the release is the field that looks like
		// YY.MM.
		for _, f := range strings.Split(e.Suffix, ":") {
			if len(f) == 5 && f[2] == '.' {
				e.Release = f
				break
			}
		}
	case "Alpine":
		// "Alpine:v3.19".
		e.Release = strings.TrimPrefix(e.Suffix, "v")
	case "Red Hat":
		// "Red Hat:enterprise_linux:9::appstream" (a CPE tail): the major version.
		f := strings.Split(e.Suffix, ":")
		if len(f) > 1 {
			e.Release, _, _ = strings.Cut(f[1], ".")
		}
	default:
		e.Release = e.Suffix
	}
	return e, nil
}

// MatchesDistro reports whether the ecosystem's records apply to a filesystem of
// distribution d: the same os-release ID, and the same release when the ecosystem names
// one (Alpine and Red Hat: the release prefix of VERSION_ID, "3.19" of "3.19.1" and "9"
// of "9.4"). A language ecosystem applies everywhere.
func (e Ecosystem) MatchesDistro(d *software.Distro) bool {
	if e.DistroID == "" {
		return true
	}
	if d == nil || !strings.EqualFold(d.ID, e.DistroID) {
		return false
	}
	if e.Release == "" {
		return true
	}
	return d.VersionID == e.Release || strings.HasPrefix(d.VersionID, e.Release+".")
}

// LookupName is the package name the ecosystem's records use for p: the source package
// for source-named ecosystems (Debian, Ubuntu, Alpine) when the package database records
// one, the package name otherwise. Go records name modules (software.Golang names them
// too), and the toolchain is the module "stdlib" in both.
func (e Ecosystem) LookupName(p *software.Package) string {
	if e.Source && p.SourceName != "" {
		return p.SourceName
	}
	return p.Name
}

// LookupVersion is the version of p to evaluate the ranges with: the source version for
// source-named ecosystems when it differs from the binary one (a binNMU "+b1"), the
// package version otherwise. Go's SEMVER ranges are written without the "v" of module
// versions: the comparator of the Go ecosystem must accept both.
func (e Ecosystem) LookupVersion(p *software.Package) string {
	if e.Source && p.SourceName != "" && p.SourceVersion != "" {
		return p.SourceVersion
	}
	return p.Version
}
