package sbom

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/palisade-k8s/palisade/internal/software"
)

const (
	noAssertion = "NOASSERTION"
	// Primary package purposes as the SPDX 2.3 JSON schema spells them.
	purposeContainer = "CONTAINER"
	purposeOS        = "OPERATING_SYSTEM"
	purposeLibrary   = "LIBRARY"
	// spdxNamespaceBase is the prefix of document namespaces (a URI that is never
	// dereferenced).
	spdxNamespaceBase = "https://palisade.dev/spdx/"
)

// WriteSPDX writes s as one SPDX 2.3 JSON document: the document DESCRIBES the image
// package (purpose CONTAINER), which CONTAINS the distribution release (purpose
// OPERATING_SYSTEM) and every package; each package has its purl as a
// PACKAGE-MANAGER external reference and its layer, file and cataloger as a JSON
// object in its comment. Output is deterministic but for the creation time and the
// namespace derived from it.
func WriteSPDX(w io.Writer, s Subject, t Tool) error {
	created := now().UTC().Truncate(time.Second)
	uuid := documentUUID(&s, created)
	tool := toolName(t)
	if t.Version != "" {
		tool += "-" + t.Version
	}
	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      s.subjectName(),
		DocumentNamespace: spdxNamespaceBase + spdxNamespaceName(s.subjectName()) + "-" + uuid,
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: tool}},
			Created:  created.Format(time.RFC3339),
		},
	}
	ids := uniquer{"DOCUMENT": 1}
	lc := newLicenses()
	root := &spdx.Package{
		PackageName:             s.subjectName(),
		PackageSPDXIdentifier:   common.ElementID(ids.unique("Image")),
		PackageVersion:          s.Digest,
		PackageSupplier:         &common.Supplier{Supplier: noAssertion},
		PackageOriginator:       &common.Originator{Originator: noAssertion},
		PackageDownloadLocation: noAssertion,
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  noAssertion,
		PackageCopyrightText:    noAssertion,
		PrimaryPackagePurpose:   purposeContainer,
	}
	if p := s.imagePURL(); p != "" {
		root.PackageExternalReferences = []*spdx.PackageExternalReference{purlRef(p)}
	}
	rootProps := map[string]string{}
	if s.Platform != "" {
		rootProps[propPlatform] = s.Platform
	}
	if d := s.Software.Distro; d != nil {
		rootProps[propDistro] = distroString(d)
	}
	root.PackageComment = propsComment(rootProps)
	doc.Packages = make([]*spdx.Package, 0, len(s.Software.Packages)+2)
	doc.Packages = append(doc.Packages, root)
	doc.Relationships = make([]*spdx.Relationship, 0, len(s.Software.Packages)+2)
	doc.Relationships = append(doc.Relationships, &spdx.Relationship{
		RefA:         common.MakeDocElementID("", "DOCUMENT"),
		RefB:         common.MakeDocElementID("", string(root.PackageSPDXIdentifier)),
		Relationship: common.TypeRelationshipDescribe,
	})
	contains := func(p *spdx.Package) {
		doc.Packages = append(doc.Packages, p)
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA:         common.MakeDocElementID("", string(root.PackageSPDXIdentifier)),
			RefB:         common.MakeDocElementID("", string(p.PackageSPDXIdentifier)),
			Relationship: common.TypeRelationshipContains,
		})
	}
	if d := s.Software.Distro; d != nil {
		p := &spdx.Package{
			PackageName:             d.ID,
			PackageSPDXIdentifier:   common.ElementID(ids.unique("OperatingSystem-" + spdxIDPart(distroString(d)))),
			PackageVersion:          d.VersionID,
			PackageSupplier:         &common.Supplier{Supplier: noAssertion},
			PackageOriginator:       &common.Originator{Originator: noAssertion},
			PackageDownloadLocation: noAssertion,
			PackageLicenseConcluded: noAssertion,
			PackageLicenseDeclared:  noAssertion,
			PackageCopyrightText:    noAssertion,
			PackageDescription:      d.PrettyName,
			PrimaryPackagePurpose:   purposeOS,
		}
		props := map[string]string{}
		if len(d.IDLike) > 0 {
			props[propIDLike] = strings.Join(d.IDLike, " ")
		}
		if d.VersionCodename != "" {
			props[propCodename] = d.VersionCodename
		}
		p.PackageComment = propsComment(props)
		contains(p)
	}
	for i := range s.Software.Packages {
		contains(spdxPackage(&s.Software.Packages[i], ids, lc))
	}
	return spdxjson.Write(doc, w, spdxjson.Indent("  "), spdxjson.EscapeHTML(false))
}

// spdxPackage is one package; its SPDXID is made of its ecosystem, name and
// version (sanitised) and its package-id hash, so it is stable and unique.
func spdxPackage(p *software.Package, ids uniquer, lc *licenses) *spdx.Package {
	id := "Package-" + spdxIDPart(string(p.Ecosystem)+"-"+p.Name+"-"+p.Version) + "-" + packageID(p)
	sp := &spdx.Package{
		PackageName:             p.Name,
		PackageSPDXIdentifier:   common.ElementID(ids.unique(id)),
		PackageVersion:          p.Version,
		PackageSupplier:         &common.Supplier{Supplier: noAssertion},
		PackageOriginator:       &common.Originator{Originator: noAssertion},
		PackageDownloadLocation: noAssertion,
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  spdxLicenseDeclared(p.Licenses, lc),
		PackageCopyrightText:    noAssertion,
		PrimaryPackagePurpose:   purposeLibrary,
	}
	if sp.PackageName == "" {
		sp.PackageName = "unknown"
	}
	if p.PURL != "" {
		sp.PackageExternalReferences = []*spdx.PackageExternalReference{purlRef(p.PURL)}
	}
	if p.SourceName != "" {
		sp.PackageSourceInfo = "built from source package " + p.SourceName
		if p.SourceVersion != "" {
			sp.PackageSourceInfo += " " + p.SourceVersion
		}
	}
	props := map[string]string{propCataloger: p.Cataloger}
	if p.Location.Path != "" {
		props[propPath] = p.Location.Path
	}
	if p.Location.Layer >= 0 {
		props[propLayer] = strconv.Itoa(p.Location.Layer)
	}
	if p.Location.LayerDiffID != "" {
		props[propLayerDiffID] = p.Location.LayerDiffID
	}
	if p.SourceName != "" {
		props[propSourceName] = p.SourceName
	}
	if p.SourceVersion != "" {
		props[propSourceVersion] = p.SourceVersion
	}
	if p.Arch != "" {
		props[propArch] = p.Arch
	}
	sp.PackageComment = propsComment(props)
	return sp
}

func purlRef(purl string) *spdx.PackageExternalReference {
	return &spdx.PackageExternalReference{Category: common.CategoryPackageManager, RefType: "purl", Locator: purl}
}

// spdxLicenseDeclared is the licenses as one SPDX expression (joined by AND), or
// NOASSERTION when one of them is not a valid SPDX expression.
func spdxLicenseDeclared(ls []string, lc *licenses) string {
	var parts []string
	for _, l := range ls {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if !lc.spdxExpression(l) {
			return noAssertion
		}
		if len(ls) > 1 && !lc.spdxLicenseID(l) {
			l = "(" + l + ")"
		}
		parts = append(parts, l)
	}
	if len(parts) == 0 {
		return noAssertion
	}
	return strings.Join(parts, " AND ")
}

// propsComment is the JSON object of the palisade properties, "" when none; the
// keys are sorted, so it is deterministic.
func propsComment(props map[string]string) string {
	if len(props) == 0 {
		return ""
	}
	b, _ := json.Marshal(props) // a map of strings always marshals
	return string(b)
}

// spdxIDPart keeps the characters an SPDX identifier allows (letters, digits, "."
// and "-") and replaces the others by "-".
func spdxIDPart(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
		if b.Len() >= 128 {
			break
		}
	}
	return b.String()
}

// spdxNamespaceName is the subject's name as a URI path segment.
func spdxNamespaceName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
		if b.Len() >= 128 {
			break
		}
	}
	return strings.Trim(b.String(), "-")
}
