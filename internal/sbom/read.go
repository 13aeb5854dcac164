package sbom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"

	"github.com/palisade-k8s/palisade/internal/software"
)

// Bounds of what Read accepts.
const (
	// MaxSize is the largest document Read reads, in bytes.
	MaxSize = 256 << 20
	// MaxPackages is the most components (or SPDX packages) a document may hold.
	MaxPackages = 1_000_000
	// maxDepth bounds the nesting of CycloneDX components.
	maxDepth = 64
)

// The bounds Read applies (tests lower them).
var (
	sizeLimit    int64 = MaxSize
	packageLimit       = MaxPackages
)

// readerCataloger is the cataloger of a package read from an SBOM that does not
// name one.
const readerCataloger = "sbom"

// Read reads a CycloneDX (1.4 to 1.6) or SPDX (2.2, 2.3) JSON document; name names
// the input in errors. Packages without a usable Package URL are Problems.
func Read(r io.Reader, name string) (*Subject, error) {
	data, err := io.ReadAll(io.LimitReader(r, sizeLimit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(data)) > sizeLimit {
		return nil, fmt.Errorf("%s: SBOM larger than %d bytes", name, sizeLimit)
	}
	var probe struct {
		BOMFormat   json.RawMessage `json:"bomFormat"`
		SpecVersion json.RawMessage `json:"specVersion"`
		SPDXVersion json.RawMessage `json:"spdxVersion"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, jsonError(name, data, err)
	}
	var format, version string
	switch {
	case probe.BOMFormat != nil:
		if json.Unmarshal(probe.BOMFormat, &format) != nil || format != cdx.BOMFormat {
			return nil, fmt.Errorf("%s: bomFormat is not %q", name, cdx.BOMFormat)
		}
		if json.Unmarshal(probe.SpecVersion, &version) != nil {
			return nil, fmt.Errorf("%s: CycloneDX document without a specVersion string", name)
		}
		switch version {
		case "1.4", "1.5", "1.6":
		default:
			return nil, fmt.Errorf("%s: CycloneDX %q: only 1.4 to 1.6 are read", name, version)
		}
		return readCycloneDX(data, name)
	case probe.SPDXVersion != nil:
		if json.Unmarshal(probe.SPDXVersion, &version) != nil {
			return nil, fmt.Errorf("%s: spdxVersion is not a string", name)
		}
		switch version {
		case "SPDX-2.2", "SPDX-2.3":
		default:
			return nil, fmt.Errorf("%s: %q: only SPDX-2.2 and SPDX-2.3 JSON are read", name, version)
		}
		return readSPDX(data, name)
	}
	return nil, fmt.Errorf("%s: not a CycloneDX (bomFormat) or SPDX (spdxVersion) JSON document", name)
}

// jsonError names the input and the line of a JSON error.
func jsonError(name string, data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off >= 0 && off <= int64(len(data)) {
		line := 1 + bytes.Count(data[:off], []byte{'\n'})
		return fmt.Errorf("%s:%d: %w", name, line, err)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// reading is the state of one Read.
type reading struct {
	name string
	s    Subject
	n    int
	// distroQualifier is the first OS package's distro qualifier, for documents
	// without an operating-system entry.
	distroQualifier string
}

func (rd *reading) count() error {
	rd.n++
	if rd.n > packageLimit {
		return fmt.Errorf("%s: more than %d packages", rd.name, packageLimit)
	}
	return nil
}

func (rd *reading) problem(what string, err error) {
	rd.s.Software.Problems = append(rd.s.Software.Problems, software.Problem{Path: rd.name, Err: what + ": " + err.Error()})
}

// finish sets the distribution release from the packages' distro qualifier when
// the document had none.
func (rd *reading) finish() *Subject {
	if rd.s.Software.Distro == nil && rd.distroQualifier != "" {
		rd.s.Software.Distro = parseDistroQualifier(rd.distroQualifier)
	}
	if rd.s.Software.Packages == nil {
		rd.s.Software.Packages = []software.Package{}
	}
	return &rd.s
}

// cdxDocument is the part of a CycloneDX document Read uses. Read decodes only
// this part: the rest (declarations, vulnerabilities, formulation, ...) is not
// needed, and the library does not decode every valid document's rest.
type cdxDocument struct {
	Metadata *struct {
		Component *cdxPart `json:"component"`
	} `json:"metadata"`
	Components []cdxPart `json:"components"`
}

// cdxPart is the part of a component Read uses.
type cdxPart struct {
	BOMRef      string              `json:"bom-ref"`
	Type        cdx.ComponentType   `json:"type"`
	Name        string              `json:"name"`
	Version     string              `json:"version"`
	Description string              `json:"description"`
	PackageURL  string              `json:"purl"`
	Licenses    []cdx.LicenseChoice `json:"licenses"`
	Properties  []cdx.Property      `json:"properties"`
	Components  []cdxPart           `json:"components"`
}

func readCycloneDX(data []byte, name string) (*Subject, error) {
	var bom cdxDocument
	if err := json.Unmarshal(data, &bom); err != nil {
		return nil, jsonError(name, data, err)
	}
	rd := &reading{name: name}
	if m := bom.Metadata; m != nil && m.Component != nil {
		c := m.Component
		rd.s.Name = c.Name
		props := cdxProps(c.Properties)
		rd.s.Platform = props[propPlatform]
		if strings.HasPrefix(c.Version, "sha256:") || strings.HasPrefix(c.Version, "sha512:") {
			rd.s.Digest = c.Version
		} else if p, err := packageurl.FromString(c.PackageURL); err == nil && p.Type == "oci" {
			rd.s.Digest = p.Version
		}
	}
	if err := rd.cdxComponents(bom.Components, 0); err != nil {
		return nil, err
	}
	return rd.finish(), nil
}

func (rd *reading) cdxComponents(cs []cdxPart, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%s: components nested deeper than %d", rd.name, maxDepth)
	}
	for i := range cs {
		c := &cs[i]
		if err := rd.count(); err != nil {
			return err
		}
		rd.cdxComponent(c)
		if err := rd.cdxComponents(c.Components, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func (rd *reading) cdxComponent(c *cdxPart) {
	props := cdxProps(c.Properties)
	if c.Type == cdx.ComponentTypeOS {
		if rd.s.Software.Distro == nil {
			d := &software.Distro{ID: c.Name, VersionID: c.Version, PrettyName: c.Description, VersionCodename: props[propCodename]}
			if v := props[propIDLike]; v != "" {
				d.IDLike = strings.Fields(v)
			}
			rd.s.Software.Distro = d
		}
		return
	}
	if c.Type == cdx.ComponentTypeFile && c.PackageURL == "" {
		return // a file, not a package
	}
	var licenses []string
	for _, l := range c.Licenses {
		switch {
		case l.Expression != "":
			licenses = append(licenses, l.Expression)
		case l.License != nil && l.License.ID != "":
			licenses = append(licenses, l.License.ID)
		case l.License != nil && l.License.Name != "":
			licenses = append(licenses, l.License.Name)
		}
	}
	rd.add(fmt.Sprintf("component %q (bom-ref %q)", c.Name, c.BOMRef), c.PackageURL, c.Name, c.Version, licenses, props)
}

// cdxProps is the properties as a map (the first of each name).
func cdxProps(ps []cdx.Property) map[string]string {
	m := map[string]string{}
	for _, p := range ps {
		if _, dup := m[p.Name]; !dup {
			m[p.Name] = p.Value
		}
	}
	return m
}

// add adds the package of a purl, with the name and version the document gives
// it, or a Problem naming what when the purl is missing or invalid.
func (rd *reading) add(what, purl, name, version string, licenses []string, props map[string]string) {
	p, distro, err := packageFromPURL(purl, name, version)
	if err != nil {
		rd.problem(what, err)
		return
	}
	p.Licenses = licenses
	p.Cataloger = firstOf(props[propCataloger], props["syft:package:foundBy"], readerCataloger)
	p.Location.Path = firstOf(props[propPath], props["syft:location:0:path"])
	p.Location.Layer = -1
	if v, ok := props[propLayer]; ok {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			p.Location.Layer = n
		}
	}
	p.Location.LayerDiffID = firstOf(props[propLayerDiffID], props["syft:location:0:layerID"])
	p.SourceName = firstOf(props[propSourceName], props["syft:metadata:source"])
	p.SourceVersion = firstOf(props[propSourceVersion], props["syft:metadata:sourceVersion"])
	if p.SourceVersion == p.Version {
		p.SourceVersion = "" // recorded only when it differs
	}
	if _, ours := props[propCataloger]; ours {
		p.Arch = props[propArch] // Palisade wrote it: exactly what the inventory said
	} else if a := props[propArch]; a != "" {
		p.Arch = a
	}
	if distro != "" && rd.distroQualifier == "" {
		switch p.Ecosystem {
		case software.Deb, software.RPM, software.APK:
			rd.distroQualifier = distro
		}
	}
	rd.s.Software.Packages = append(rd.s.Software.Packages, p)
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// packageFromPURL is the package a purl names: the ecosystem is the purl type, the
// name as the ecosystem spells it (npm "@scope/name", Maven "group:artifact", Go the
// module path). docName and docVersion are what the document calls the package:
// docName is kept when it is the purl's name spelt differently (case, PyPI
// separators), docVersion when set (it keeps an rpm epoch the purl holds in a
// qualifier). distro is the purl's distro qualifier.
func packageFromPURL(purl, docName, docVersion string) (p software.Package, distro string, err error) {
	purl = strings.TrimSpace(purl)
	if purl == "" {
		return p, "", errors.New("no package URL")
	}
	u, err := packageurl.FromString(purl)
	if err != nil {
		return p, "", fmt.Errorf("package URL %q: %w", purl, err)
	}
	if u.Type == "" || u.Name == "" {
		return p, "", fmt.Errorf("package URL %q: no type or name", purl)
	}
	q := u.Qualifiers.Map()
	name := ecosystemName(u.Type, u.Namespace, u.Name)
	if docName != "" && sameName(u.Type, docName, name) {
		name = docName
	}
	version := docVersion
	if version == "" {
		version = u.Version
		if e := q["epoch"]; u.Type == "rpm" && e != "" && e != "0" && version != "" && !strings.Contains(version, ":") {
			version = e + ":" + version
		}
	}
	p = software.Package{
		Ecosystem: software.Ecosystem(u.Type),
		Name:      name,
		Version:   version,
		PURL:      purl,
		Arch:      q["arch"],
	}
	return p, q["distro"], nil
}

// ecosystemName joins a purl's namespace and name as the ecosystem spells names.
func ecosystemName(typ, namespace, name string) string {
	if namespace == "" {
		return name
	}
	switch typ {
	case "npm":
		if !strings.HasPrefix(namespace, "@") {
			namespace = "@" + namespace
		}
		return namespace + "/" + name
	case "maven":
		return namespace + ":" + name
	case "deb", "rpm", "apk", "alpm", "pypi":
		return name // the namespace is the vendor (deb, rpm, apk) or unused
	default:
		return namespace + "/" + name
	}
}

// sameName reports whether a document's name for a package is its purl name spelt
// differently.
func sameName(typ, docName, purlName string) bool {
	if strings.EqualFold(docName, purlName) {
		return true
	}
	if typ == "pypi" {
		return pypiNormal(docName) == pypiNormal(purlName)
	}
	return false
}

// pypiNormal is a Python distribution name normalised as PEP 503 does.
func pypiNormal(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	sep := false
	for _, r := range s {
		if r == '-' || r == '_' || r == '.' {
			sep = true
			continue
		}
		if sep && b.Len() > 0 {
			b.WriteByte('-')
		}
		sep = false
		b.WriteRune(r)
	}
	return b.String()
}

// parseDistroQualifier reads a purl distro qualifier: "debian-12", "alpine-3.19.1",
// "rhel-9.3", "opensuse-leap-15.5"; a qualifier without a version is an ID
// ("bookworm" stays an ID: there is no telling a codename from an ID).
func parseDistroQualifier(q string) *software.Distro {
	for i := len(q) - 1; i > 0; i-- {
		if q[i] == '-' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9' {
			return &software.Distro{ID: q[:i], VersionID: q[i+1:]}
		}
	}
	return &software.Distro{ID: q}
}

// spdxDocument is the part of an SPDX 2.2 or 2.3 JSON document Read uses (the two
// versions spell it the same way). Read decodes only this part, leniently: an
// element identifier is any string.
type spdxDocument struct {
	Name              string     `json:"name"`
	DocumentDescribes []string   `json:"documentDescribes"`
	Packages          []spdxPart `json:"packages"`
	Relationships     []struct {
		A    string `json:"spdxElementId"`
		B    string `json:"relatedSpdxElement"`
		Type string `json:"relationshipType"`
	} `json:"relationships"`
}

// spdxPart is the part of an SPDX package Read uses.
type spdxPart struct {
	SPDXID                string `json:"SPDXID"`
	Name                  string `json:"name"`
	VersionInfo           string `json:"versionInfo"`
	Description           string `json:"description"`
	Comment               string `json:"comment"`
	LicenseConcluded      string `json:"licenseConcluded"`
	LicenseDeclared       string `json:"licenseDeclared"`
	PrimaryPackagePurpose string `json:"primaryPackagePurpose"`
	ExternalRefs          []struct {
		Type    string `json:"referenceType"`
		Locator string `json:"referenceLocator"`
	} `json:"externalRefs"`
}

const spdxDocumentID = "SPDXRef-DOCUMENT"

func readSPDX(data []byte, name string) (*Subject, error) {
	var doc spdxDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, jsonError(name, data, err)
	}
	if len(doc.Packages) > packageLimit {
		return nil, fmt.Errorf("%s: more than %d packages", name, packageLimit)
	}
	rd := &reading{name: name}
	rd.s.Name = doc.Name
	described := map[string]bool{}
	for _, id := range doc.DocumentDescribes {
		described[id] = true
	}
	for _, r := range doc.Relationships {
		switch {
		case r.Type == "DESCRIBES" && r.A == spdxDocumentID:
			described[r.B] = true
		case r.Type == "DESCRIBED_BY" && r.B == spdxDocumentID:
			described[r.A] = true
		}
	}
	rootSeen := false
	for i := range doc.Packages {
		p := &doc.Packages[i]
		purl := ""
		for _, ref := range p.ExternalRefs {
			if strings.EqualFold(ref.Type, "purl") {
				purl = ref.Locator
				break
			}
		}
		props := commentProps(p.Comment)
		purpose := strings.ReplaceAll(p.PrimaryPackagePurpose, "-", "_")
		if !rootSeen && described[p.SPDXID] && (purpose == purposeContainer || purl == "" || strings.HasPrefix(purl, "pkg:oci/") || strings.HasPrefix(purl, "pkg:docker/")) {
			// The subject: the image (or directory) the document describes.
			rootSeen = true
			rd.s.Name = p.Name
			rd.s.Platform = props[propPlatform]
			if strings.HasPrefix(p.VersionInfo, "sha256:") || strings.HasPrefix(p.VersionInfo, "sha512:") {
				rd.s.Digest = p.VersionInfo
			} else if u, err := packageurl.FromString(purl); err == nil && u.Type == "oci" {
				rd.s.Digest = u.Version
			}
			continue
		}
		if purpose == purposeOS {
			if rd.s.Software.Distro == nil {
				d := &software.Distro{ID: p.Name, VersionID: p.VersionInfo, PrettyName: p.Description, VersionCodename: props[propCodename]}
				if v := props[propIDLike]; v != "" {
					d.IDLike = strings.Fields(v)
				}
				rd.s.Software.Distro = d
			}
			continue
		}
		var licenses []string
		for _, l := range []string{p.LicenseDeclared, p.LicenseConcluded} {
			if l = strings.TrimSpace(l); l != "" && l != noAssertion && l != "NONE" {
				licenses = []string{l}
				break
			}
		}
		rd.add(fmt.Sprintf("package %q (SPDXID %q)", p.Name, p.SPDXID), purl, p.Name, p.VersionInfo, licenses, props)
	}
	return rd.finish(), nil
}

// commentProps reads the palisade properties of an SPDX comment (a JSON object of
// strings); none when the comment is something else.
func commentProps(c string) map[string]string {
	m := map[string]string{}
	c = strings.TrimSpace(c)
	if !strings.HasPrefix(c, "{") {
		return m
	}
	var raw map[string]any
	if json.Unmarshal([]byte(c), &raw) != nil {
		return m
	}
	for k, v := range raw {
		if s, ok := v.(string); ok && strings.HasPrefix(k, "palisade:") {
			m[k] = s
		}
	}
	return m
}
