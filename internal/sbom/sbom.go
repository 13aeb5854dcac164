// Package sbom writes an image's software inventory as a software bill of materials,
// CycloneDX 1.6 JSON or SPDX 2.3 JSON (with the formats' official Go libraries), and
// reads one back (palisade image --sbom) into the same inventory.
//
// What the formats have no field for (the layer that added a package, the file it
// was read from, the cataloger, the source package) is written as CycloneDX
// properties named "palisade:..." and, in SPDX, as a JSON object in the package
// comment, so that Read gives back the inventory Write was given.
package sbom

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/github/go-spdx/v2/spdxexp"
	"github.com/package-url/packageurl-go"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/software"
)

// Subject is what an SBOM describes: an image (or a directory) and its software.
type Subject struct {
	// Name is the image reference or directory; Digest the manifest digest, "" if
	// none; Platform "os/arch[/variant]", "" if unknown.
	Name, Digest, Platform string
	Software               software.Inventory
	// Vulnerabilities are the known-vulnerability findings of the image (those with
	// Finding.Vulnerability set; a suppressed one carries its VEX analysis), written
	// by WriteCycloneDX as its vulnerabilities section.
	Vulnerabilities []finding.Finding
}

// Tool names the program that wrote an SBOM.
type Tool struct{ Name, Version string }

// now is the clock of the documents' creation time (tests set it).
var now = time.Now

// Property names of what the formats have no field for (CycloneDX properties; the
// same keys in the JSON object of an SPDX package comment).
const (
	propLayer         = "palisade:layer"
	propLayerDiffID   = "palisade:layerDiffID"
	propPath          = "palisade:path"
	propCataloger     = "palisade:cataloger"
	propSourceName    = "palisade:sourceName"
	propSourceVersion = "palisade:sourceVersion"
	propArch          = "palisade:arch"
	propPlatform      = "palisade:platform"
	propDistro        = "palisade:distro"
	propIDLike        = "palisade:distro:idLike"
	propCodename      = "palisade:distro:versionCodename"
)

// subjectName is the name a document gives its subject.
func (s *Subject) subjectName() string {
	if s.Name != "" {
		return s.Name
	}
	if s.Digest != "" {
		return s.Digest
	}
	return "unknown"
}

// imagePURL is the subject's Package URL (pkg:oci/name@digest), "" without a
// digest (a directory).
func (s *Subject) imagePURL() string {
	if !strings.HasPrefix(s.Digest, "sha256:") && !strings.HasPrefix(s.Digest, "sha512:") {
		return ""
	}
	name := ""
	q := map[string]string{}
	if named, err := reference.ParseNormalizedNamed(s.Name); err == nil {
		path := reference.Path(named)
		name = path[strings.LastIndex(path, "/")+1:]
		q["repository_url"] = reference.Domain(named) + "/" + path
		if t, ok := named.(reference.Tagged); ok {
			q["tag"] = t.Tag()
		}
	} else {
		// An OCI layout directory or an archive: its base name.
		n := strings.TrimRight(s.Name, "/\\")
		n = n[strings.LastIndexAny(n, "/\\")+1:]
		name = strings.ToLower(n)
	}
	if name == "" {
		name = "image"
	}
	if parts := strings.Split(s.Platform, "/"); len(parts) >= 2 && parts[1] != "" {
		q["arch"] = parts[1]
	}
	p := packageurl.NewPackageURL("oci", "", name, s.Digest, packageurl.QualifiersFromMap(q), "")
	return p.ToString()
}

// distroString is "debian-12" (the purl distro qualifier's spelling).
func distroString(d *software.Distro) string {
	if d.VersionID == "" {
		return d.ID
	}
	return d.ID + "-" + d.VersionID
}

// packageID is a stable short hash of what identifies one package of an inventory:
// the same package read from two files has two IDs.
func packageID(p *software.Package) string {
	h := sha256.New()
	for _, s := range []string{string(p.Ecosystem), p.Name, p.Version, p.PURL, p.Arch, p.Cataloger, p.Location.Path, fmt.Sprint(p.Location.Layer)} {
		io.WriteString(h, s)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// uniquer makes identifiers unique by suffixing a counter to repeats.
type uniquer map[string]int

func (u uniquer) unique(id string) string {
	n := u[id]
	u[id] = n + 1
	if n == 0 {
		return id
	}
	return fmt.Sprintf("%s-%d", id, n+1)
}

// documentUUID is a UUID (version 5 layout, from SHA-256) of the subject, its
// packages and the creation time: documents of different subjects or times differ,
// the same input at the same time gives the same document.
func documentUUID(s *Subject, created time.Time) string {
	h := sha256.New()
	for _, v := range []string{s.Name, s.Digest, s.Platform, created.UTC().Format(time.RFC3339Nano)} {
		io.WriteString(h, v)
		h.Write([]byte{0})
	}
	for i := range s.Software.Packages {
		io.WriteString(h, packageID(&s.Software.Packages[i]))
	}
	b := h.Sum(nil)[:16]
	b[6] = (b[6] & 0x0f) | 0x50
	b[8] = (b[8] & 0x3f) | 0x80
	x := hex.EncodeToString(b)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// licenses remembers, for one document, what each license string is in SPDX terms
// (packages repeat the same few licenses, and validating one is slow). Expression
// validation is bounded: strings longer than maxExpression, and new strings after
// maxValidations of them, are not taken for expressions.
type licenses struct {
	kinds       map[string]uint8
	validations int
}

const (
	licenseChecked    uint8 = 1 << iota
	licenseID               // exactly an active SPDX license identifier
	licenseExpression       // a valid SPDX license expression

	maxExpression  = 512
	maxValidations = 4096
)

func newLicenses() *licenses { return &licenses{kinds: map[string]uint8{}} }

func (c *licenses) kind(l string) uint8 {
	if k, ok := c.kinds[l]; ok {
		return k
	}
	k := licenseChecked
	if ok, id := spdxexp.ActiveLicense(l); ok && id == l {
		k |= licenseID | licenseExpression
	} else if l != "" && len(l) <= maxExpression && c.validations < maxValidations {
		c.validations++
		if ok, _ := spdxexp.ValidateLicenses([]string{l}); ok {
			k |= licenseExpression
		}
	}
	c.kinds[l] = k
	return k
}

// spdxLicenseID reports whether l is exactly an active SPDX license identifier.
func (c *licenses) spdxLicenseID(l string) bool { return c.kind(l)&licenseID != 0 }

// spdxExpression reports whether l is a valid SPDX license expression.
func (c *licenses) spdxExpression(l string) bool { return c.kind(l)&licenseExpression != 0 }

func toolName(t Tool) string {
	if t.Name == "" {
		return "palisade"
	}
	return t.Name
}
