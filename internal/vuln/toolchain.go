package vuln

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/palisade-k8s/palisade/internal/osv"
)

// The Go database names the standard library "stdlib" (and the go command
// "toolchain") and writes their versions as semantic versions; a toolchain reports
// itself as "go1.22.1", "go1.21" (the first release of 1.21 before the ".0" naming),
// "go1.22rc1", with build tags after a space ("go1.22.1 X:boringcrypto").

// isToolchain reports whether a Go module name is the toolchain's.
func isToolchain(name string) bool { return name == "stdlib" || name == "toolchain" }

// goTag is a Go release tag: major.minor, the patch, a prerelease and its number.
var goTag = regexp.MustCompile(`^go(\d+\.\d+)(\.\d+|)((beta|rc|-pre)(\d+))?$`)

// goTagToSemver converts a Go toolchain version to the semantic version the Go
// vulnerability database uses, as govulncheck does (golang.org/x/vuln
// internal/semver.GoTagToSemver): "go1.22.1" -> "v1.22.1", "go1.21" -> "v1.21.0",
// "go1.22rc1" -> "v1.22.0-rc.1", "go1" -> "v1.0.0". A vendor suffix after the release
// ("go1.20.4-bigcorp", which govulncheck does not convert) is dropped, as the Go binary
// cataloger does: the release is what the code is. "" when it is not a release (a
// development toolchain, "devel go1.23-abc").
func goTagToSemver(tag string) string {
	f := strings.Fields(tag)
	if len(f) == 0 {
		return ""
	}
	tag = f[0]
	if tag == "go1" {
		return "v1.0.0"
	}
	m := goTag.FindStringSubmatch(tag)
	if m == nil {
		if i := strings.IndexByte(tag, '-'); i > 0 {
			m = goTag.FindStringSubmatch(tag[:i])
		}
		if m == nil {
			return ""
		}
	}
	if m[1] == "1.0" {
		return "" // "go1.0" was never a tag; govulncheck refuses it too
	}
	v := "v" + m[1]
	if m[2] != "" {
		v += m[2]
	} else {
		v += ".0"
	}
	if m[3] != "" {
		if !strings.HasPrefix(m[4], "-") {
			v += "-"
		}
		v += m[4] + "." + m[5]
	}
	return v
}

// goImports is the Go database's ecosystem_specific: the affected packages of the
// module, each with the platforms it is vulnerable on (none listed: every platform).
type goImports struct {
	Imports []struct {
		GOOS   []string `json:"goos"`
		GOARCH []string `json:"goarch"`
	} `json:"imports"`
}

// goPlatform reports whether the Go affected entry a applies to a binary built for
// GOOS goos and GOARCH arch, as govulncheck decides it: an entry applies when one of
// its packages is limited to no operating system or to goos, and to no architecture
// or to arch ("" goos or arch: unknown, every one matches). The Go binary cataloger
// records GOOS and GOARCH as the package's OS and Arch.
func goPlatform(a *osv.Affected, goos, arch string) bool {
	if len(a.EcosystemSpecific) == 0 {
		return true
	}
	var es goImports
	if json.Unmarshal(a.EcosystemSpecific, &es) != nil || len(es.Imports) == 0 {
		return true
	}
	for _, imp := range es.Imports {
		if (goos == "" || len(imp.GOOS) == 0 || slices.Contains(imp.GOOS, goos)) &&
			(arch == "" || len(imp.GOARCH) == 0 || slices.Contains(imp.GOARCH, arch)) {
			return true
		}
	}
	return false
}
