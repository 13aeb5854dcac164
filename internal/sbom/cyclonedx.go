package sbom

import (
	"io"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/palisade-k8s/palisade/internal/software"
)

const cdxSchema16 = "http://cyclonedx.org/schema/bom-1.6.schema.json"

// WriteCycloneDX writes s as one CycloneDX 1.6 JSON document: the image is the
// metadata component (type container, its pkg:oci purl), the distribution release an
// operating-system component, each package a library component; the image depends on
// every component. The known-vulnerability findings of Subject.Vulnerabilities are
// the vulnerabilities section: IDs and aliases, source, ratings (CVSS vector, score
// and method), the affected components, and the analysis of a VEX statement that
// suppressed one. Output is deterministic but for the timestamp and the serial
// number derived from it.
func WriteCycloneDX(w io.Writer, s Subject, t Tool) error {
	created := now().UTC().Truncate(time.Second)
	bom := cdx.NewBOM()
	bom.JSONSchema = cdxSchema16
	bom.SpecVersion = cdx.SpecVersion1_6
	bom.SerialNumber = "urn:uuid:" + documentUUID(&s, created)

	root := cdx.Component{
		BOMRef:     "image",
		Type:       cdx.ComponentTypeContainer,
		Name:       s.subjectName(),
		Version:    s.Digest,
		PackageURL: s.imagePURL(),
	}
	if root.PackageURL != "" {
		root.BOMRef = root.PackageURL
	}
	var rootProps []cdx.Property
	if s.Platform != "" {
		rootProps = append(rootProps, cdx.Property{Name: propPlatform, Value: s.Platform})
	}
	if d := s.Software.Distro; d != nil {
		rootProps = append(rootProps, cdx.Property{Name: propDistro, Value: distroString(d)})
	}
	if len(rootProps) > 0 {
		root.Properties = &rootProps
	}
	tool := cdx.Component{Type: cdx.ComponentTypeApplication, Name: toolName(t), Version: t.Version}
	bom.Metadata = &cdx.Metadata{
		Timestamp: created.Format(time.RFC3339),
		Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{tool}},
		Component: &root,
	}

	refs := uniquer{root.BOMRef: 1}
	comps := make([]cdx.Component, 0, len(s.Software.Packages)+1)
	deps := make([]string, 0, cap(comps))
	lc := newLicenses()
	if d := s.Software.Distro; d != nil {
		c := cdx.Component{
			BOMRef:      refs.unique("os:" + distroString(d)),
			Type:        cdx.ComponentTypeOS,
			Name:        d.ID,
			Version:     d.VersionID,
			Description: d.PrettyName,
		}
		var props []cdx.Property
		if len(d.IDLike) > 0 {
			props = append(props, cdx.Property{Name: propIDLike, Value: strings.Join(d.IDLike, " ")})
		}
		if d.VersionCodename != "" {
			props = append(props, cdx.Property{Name: propCodename, Value: d.VersionCodename})
		}
		if len(props) > 0 {
			c.Properties = &props
		}
		comps = append(comps, c)
		deps = append(deps, c.BOMRef)
	}
	crefs := newComponentRefs()
	for i := range s.Software.Packages {
		c := cdxComponent(&s.Software.Packages[i], refs, lc)
		comps = append(comps, c)
		deps = append(deps, c.BOMRef)
		crefs.add(&s.Software.Packages[i], c.BOMRef)
	}
	if len(comps) > 0 {
		bom.Components = &comps
	}
	bom.Dependencies = &[]cdx.Dependency{{Ref: root.BOMRef, Dependencies: &deps}}
	if len(deps) == 0 {
		(*bom.Dependencies)[0].Dependencies = nil
	}
	if vs := cdxVulnerabilities(s.Vulnerabilities, crefs, root.BOMRef, refs); len(vs) > 0 {
		bom.Vulnerabilities = &vs
	}
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	// Encode, not EncodeVersion: the BOM holds only 1.6 fields, and converting
	// copies it whole.
	return enc.Encode(bom)
}

// cdxComponent is one package's component; its bom-ref is the purl with a
// package-id qualifier (stable: a hash of what identifies the package).
func cdxComponent(p *software.Package, refs uniquer, lc *licenses) cdx.Component {
	id := packageID(p)
	ref := "package-id=" + id
	if p.PURL != "" {
		sep := "?"
		if strings.Contains(p.PURL, "?") {
			sep = "&"
		}
		ref = p.PURL + sep + "package-id=" + id
	}
	c := cdx.Component{
		BOMRef:     refs.unique(ref),
		Type:       cdx.ComponentTypeLibrary,
		Name:       p.Name,
		Version:    p.Version,
		PackageURL: p.PURL,
	}
	if c.Name == "" {
		c.Name = "unknown"
	}
	if ls := cdxLicenses(p.Licenses, lc); ls != nil {
		c.Licenses = ls
	}
	props := []cdx.Property{{Name: propCataloger, Value: p.Cataloger}}
	if p.Location.Path != "" {
		props = append(props, cdx.Property{Name: propPath, Value: p.Location.Path})
	}
	if p.Location.Layer >= 0 {
		props = append(props, cdx.Property{Name: propLayer, Value: strconv.Itoa(p.Location.Layer)})
	}
	if p.Location.LayerDiffID != "" {
		props = append(props, cdx.Property{Name: propLayerDiffID, Value: p.Location.LayerDiffID})
	}
	if p.SourceName != "" {
		props = append(props, cdx.Property{Name: propSourceName, Value: p.SourceName})
	}
	if p.SourceVersion != "" {
		props = append(props, cdx.Property{Name: propSourceVersion, Value: p.SourceVersion})
	}
	if p.Arch != "" {
		props = append(props, cdx.Property{Name: propArch, Value: p.Arch})
	}
	c.Properties = &props
	return c
}

// cdxLicenses: one compound SPDX expression is an expression; otherwise each
// license is an SPDX identifier when it is exactly one, else a name (CycloneDX does
// not allow mixing expressions with licenses).
func cdxLicenses(ls []string, lc *licenses) *cdx.Licenses {
	if len(ls) == 0 {
		return nil
	}
	if len(ls) == 1 && !lc.spdxLicenseID(ls[0]) && lc.spdxExpression(ls[0]) {
		return &cdx.Licenses{{Expression: ls[0]}}
	}
	out := make(cdx.Licenses, 0, len(ls))
	for _, l := range ls {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if lc.spdxLicenseID(l) {
			out = append(out, cdx.LicenseChoice{License: &cdx.License{ID: l}})
		} else {
			out = append(out, cdx.LicenseChoice{License: &cdx.License{Name: l}})
		}
	}
	if len(out) == 0 {
		return nil
	}
	return &out
}
