package sbom

import (
	"sort"
	"strconv"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/software"
)

// Property names of a vulnerability's evidence.
const (
	propRange   = "palisade:range"
	propFixed   = "palisade:fixed"
	propRecord  = "palisade:record"
	propVEX     = "palisade:vex"
	propPackage = "palisade:package"
)

// componentRefs finds the bom-ref of the component of a finding's package: by
// ecosystem, name, version, file and layer; else by ecosystem, name and version; else
// by purl.
type componentRefs struct {
	exact, loose, purl map[string]string
}

func newComponentRefs() *componentRefs {
	return &componentRefs{exact: map[string]string{}, loose: map[string]string{}, purl: map[string]string{}}
}

func (c *componentRefs) add(p *software.Package, ref string) {
	loose := string(p.Ecosystem) + "\x00" + p.Name + "\x00" + p.Version
	exact := loose + "\x00" + p.Location.Path + "\x00" + strconv.Itoa(p.Location.Layer)
	first(c.exact, exact, ref)
	first(c.loose, loose, ref)
	if p.PURL != "" {
		first(c.purl, p.PURL, ref)
	}
}

// first records ref under k unless k has one.
func first(m map[string]string, k, ref string) {
	if _, ok := m[k]; !ok {
		m[k] = ref
	}
}

func (c *componentRefs) of(f *finding.Finding) (string, bool) {
	p := f.Vulnerability.Package
	loose := p.Ecosystem + "\x00" + p.Name + "\x00" + p.Version
	if img := f.Location.Image; img != nil {
		if ref, ok := c.exact[loose+"\x00"+img.Path+"\x00"+strconv.Itoa(img.LayerIndex)]; ok {
			return ref, true
		}
	}
	if ref, ok := c.loose[loose]; ok {
		return ref, true
	}
	if ref, ok := c.purl[p.PURL]; ok && p.PURL != "" {
		return ref, true
	}
	return "", false
}

// cdxVulnerabilities is the vulnerabilities section of the known-vulnerability
// findings fs: one entry per vulnerability ID and analysis (a VEX statement that
// suppressed the finding), affecting the components of the findings' packages (the
// image itself when the package is not among the components), in ID order.
func cdxVulnerabilities(fs []finding.Finding, comps *componentRefs, root string, refs uniquer) []cdx.Vulnerability {
	type group struct {
		key   string
		first *finding.Finding
		vex   *finding.VEXStatement
		refs  []string
		seen  map[string]bool
		byRef map[string]*finding.Finding
	}
	groups := map[string]*group{}
	var keys []string
	for i := range fs {
		f := &fs[i]
		v := f.Vulnerability
		if v == nil {
			continue
		}
		var vx *finding.VEXStatement
		if f.Suppressed != nil && f.Suppressed.Kind == "vex" {
			vx = f.Suppressed.VEX
		}
		key := v.ID
		if vx != nil {
			key += "\x00" + vx.Status + "\x00" + vx.Justification + "\x00" + vx.ImpactStatement + "\x00" + vx.Document + "\x00" + strconv.Itoa(vx.Line)
		}
		g, ok := groups[key]
		if !ok {
			g = &group{key: key, first: f, vex: vx, seen: map[string]bool{}, byRef: map[string]*finding.Finding{}}
			groups[key] = g
			keys = append(keys, key)
		}
		ref, ok := comps.of(f)
		if !ok {
			ref = root
		}
		if !g.seen[ref] {
			g.seen[ref] = true
			g.refs = append(g.refs, ref)
			g.byRef[ref] = f
		}
	}
	sort.Strings(keys)
	out := make([]cdx.Vulnerability, 0, len(keys))
	for _, k := range keys {
		g := groups[k]
		v := g.first.Vulnerability
		cv := cdx.Vulnerability{
			BOMRef:      refs.unique("vulnerability:" + v.ID),
			ID:          v.ID,
			Source:      vulnSource(v.ID, v.Records),
			Description: v.Summary,
		}
		var aliases []cdx.VulnerabilityReference
		for _, a := range v.Aliases {
			if a != v.ID {
				aliases = append(aliases, cdx.VulnerabilityReference{ID: a, Source: vulnSource(a, nil)})
			}
		}
		if len(aliases) > 0 {
			cv.References = &aliases
		}
		if r := cdxRating(v.Severity, v.Records); r != nil {
			cv.Ratings = &[]cdx.VulnerabilityRating{*r}
		}
		if len(v.Fixed) > 0 {
			cv.Recommendation = "Upgrade " + v.Package.Name + " to " + strings.Join(v.Fixed, " or ") + " or later."
		}
		status := cdx.VulnerabilityStatusAffected
		if g.vex != nil {
			cv.Analysis = cdxAnalysis(g.vex)
			status = cdx.VulnerabilityStatusNotAffected
		}
		affects := make([]cdx.Affects, 0, len(g.refs))
		var props []cdx.Property
		for _, ref := range g.refs {
			a := cdx.Affects{Ref: ref}
			f := g.byRef[ref]
			if ver := f.Vulnerability.Package.Version; ver != "" {
				a.Range = &[]cdx.AffectedVersions{{Version: ver, Status: status}}
			}
			affects = append(affects, a)
			fv := f.Vulnerability
			props = append(props, cdx.Property{Name: propPackage, Value: ref})
			if fv.Range != "" {
				props = append(props, cdx.Property{Name: propRange, Value: fv.Range})
			}
			if len(fv.Fixed) > 0 {
				props = append(props, cdx.Property{Name: propFixed, Value: strings.Join(fv.Fixed, ", ")})
			}
		}
		cv.Affects = &affects
		for _, r := range v.Records {
			props = append(props, cdx.Property{Name: propRecord, Value: r})
		}
		if g.vex != nil {
			where := g.vex.Document
			if g.vex.Line > 0 {
				where += ":" + strconv.Itoa(g.vex.Line)
			}
			props = append(props, cdx.Property{Name: propVEX, Value: where})
		}
		if len(props) > 0 {
			cv.Properties = &props
		}
		out = append(out, cv)
	}
	return out
}

// vulnSource is the database an ID belongs to, by its prefix; else the database
// source the first record was imported from.
func vulnSource(id string, records []string) *cdx.Source {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return &cdx.Source{Name: "NVD", URL: "https://nvd.nist.gov/vuln/detail/" + id}
	case strings.HasPrefix(id, "GHSA-"):
		return &cdx.Source{Name: "GitHub", URL: "https://github.com/advisories/" + id}
	case strings.HasPrefix(id, "GO-"):
		return &cdx.Source{Name: "Go Vulnerability Database", URL: "https://pkg.go.dev/vuln/" + id}
	case strings.HasPrefix(id, "DSA-"), strings.HasPrefix(id, "DLA-"), strings.HasPrefix(id, "DTSA-"):
		return &cdx.Source{Name: "Debian Security Tracker", URL: "https://security-tracker.debian.org/tracker/" + id}
	}
	for _, r := range records {
		if src, rid, ok := strings.Cut(r, "/"); ok && rid == id && src != "" {
			return &cdx.Source{Name: src}
		}
	}
	if len(records) > 0 {
		if src, _, ok := strings.Cut(records[0], "/"); ok && src != "" {
			return &cdx.Source{Name: src}
		}
	}
	return nil
}

// cdxRating is a finding's severity as a CycloneDX rating: CVSS with its vector and
// base score, or the ecosystem's word as method "other" (the word as its
// justification); its source is the database the first record came from.
func cdxRating(s *finding.VulnerabilitySeverity, records []string) *cdx.VulnerabilityRating {
	if s == nil {
		return nil
	}
	r := &cdx.VulnerabilityRating{Severity: cdxSeverity(s.Rating)}
	if len(records) > 0 {
		if src, _, ok := strings.Cut(records[0], "/"); ok && src != "" {
			r.Source = &cdx.Source{Name: src}
		}
	}
	switch {
	case s.Type == "CVSS_V4":
		r.Method, r.Vector = cdx.ScoringMethodCVSSv4, s.Vector
	case s.Type == "CVSS_V3" && strings.HasPrefix(s.Vector, "CVSS:3.1/"):
		r.Method, r.Vector = cdx.ScoringMethodCVSSv31, s.Vector
	case s.Type == "CVSS_V3":
		r.Method, r.Vector = cdx.ScoringMethodCVSSv3, s.Vector
	case s.Type == "CVSS_V2":
		r.Method, r.Vector = cdx.ScoringMethodCVSSv2, s.Vector
	default:
		r.Method, r.Justification = cdx.ScoringMethodOther, s.Vector
	}
	if s.Scored {
		score := s.Score
		r.Score = &score
	}
	return r
}

func cdxSeverity(rating string) cdx.Severity {
	switch rating {
	case "none":
		return cdx.SeverityNone
	case "low":
		return cdx.SeverityLow
	case "medium":
		return cdx.SeverityMedium
	case "high":
		return cdx.SeverityHigh
	case "critical":
		return cdx.SeverityCritical
	}
	return cdx.SeverityUnknown
}

// cdxAnalysis is a VEX statement as a CycloneDX analysis: OpenVEX's statuses and
// justifications in CycloneDX's terms (see vexJustifications).
func cdxAnalysis(v *finding.VEXStatement) *cdx.VulnerabilityAnalysis {
	a := &cdx.VulnerabilityAnalysis{Detail: v.ImpactStatement, LastUpdated: v.Timestamp}
	switch v.Status {
	case "not_affected":
		a.State = cdx.IASNotAffected
	case "fixed":
		a.State = cdx.IASResolved
	case "affected":
		a.State = cdx.IASExploitable
	case "under_investigation":
		a.State = cdx.IASInTriage
	}
	a.Justification = vexJustifications[v.Justification]
	return a
}

// vexJustifications maps OpenVEX's not_affected justifications to CycloneDX's (as
// CISA's VEX status justifications line up with CycloneDX impact analysis).
var vexJustifications = map[string]cdx.ImpactAnalysisJustification{
	"component_not_present":                             cdx.IAJCodeNotPresent,
	"vulnerable_code_not_present":                       cdx.IAJCodeNotPresent,
	"vulnerable_code_not_in_execute_path":               cdx.IAJCodeNotReachable,
	"vulnerable_code_cannot_be_controlled_by_adversary": cdx.IAJRequiresEnvironment,
	"inline_mitigations_already_exist":                  cdx.IAJProtectedByMitigatingControl,
}
