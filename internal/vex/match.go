package vex

import (
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/package-url/packageurl-go"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// Index holds the statements of documents by vulnerability ID, to find the
// statement that decides each finding.
type Index struct {
	byID map[string][]*Statement
	n    int
}

// NewIndex indexes the statements of docs; later documents and later statements
// win ties in time.
func NewIndex(docs []*Document) *Index {
	ix := &Index{byID: map[string][]*Statement{}}
	for _, d := range docs {
		for _, s := range d.Statements {
			s.order = ix.n
			ix.n++
			seen := map[string]bool{}
			ids := append([]string{s.Vulnerability.Name, s.Vulnerability.ID}, s.Vulnerability.Aliases...)
			for _, id := range ids {
				k := idKey(id)
				if k == "" || seen[k] {
					continue
				}
				seen[k] = true
				ix.byID[k] = append(ix.byID[k], s)
			}
		}
	}
	return ix
}

// Len is the number of statements indexed.
func (ix *Index) Len() int { return ix.n }

func idKey(id string) string { return strings.ToUpper(strings.TrimSpace(id)) }

// Target is what a statement is matched against: a vulnerability in a package,
// possibly in an image.
type Target struct {
	// IDs are the vulnerability's ID and aliases.
	IDs []string
	// PURL is the package's purl ("" when it has none).
	PURL string
	// ImageRef and ImageDigest are the image the package is in ("" outside one).
	ImageRef, ImageDigest string
}

// TargetOf is the target of a known-vulnerability finding; ok is false for other
// findings.
func TargetOf(f *finding.Finding) (Target, bool) {
	v := f.Vulnerability
	if v == nil {
		return Target{}, false
	}
	t := Target{IDs: append([]string{v.ID}, v.Aliases...), PURL: v.Package.PURL}
	if img := f.Location.Image; img != nil {
		t.ImageRef, t.ImageDigest = img.Ref, img.Digest
	}
	return t, true
}

// Decide is the statement that decides t: the latest statement covering it, nil
// when none does.
func (ix *Index) Decide(t Target) *Statement {
	if ix == nil || len(ix.byID) == 0 {
		return nil
	}
	var m *targetMatcher // parsed when a statement names the vulnerability
	var best *Statement
	seen := map[*Statement]bool{}
	for _, id := range t.IDs {
		for _, s := range ix.byID[idKey(id)] {
			if seen[s] || (best != nil && !later(s, best)) {
				continue
			}
			seen[s] = true
			if m == nil {
				m = newTargetMatcher(t)
			}
			if m.covers(s) {
				best = s
			}
		}
	}
	return best
}

// Suppression is what a finding the index decides should be marked with: nil when no
// statement covers it or the deciding one is affected or under_investigation.
func (ix *Index) Suppression(f *finding.Finding) *finding.Suppression {
	t, ok := TargetOf(f)
	if !ok {
		return nil
	}
	s := ix.Decide(t)
	if s == nil || !s.Status.Suppresses() {
		return nil
	}
	return s.Suppression()
}

// later reports whether a was made after b (on a tie: given after b).
func later(a, b *Statement) bool {
	if !a.Time.Equal(b.Time) {
		return a.Time.After(b.Time)
	}
	return a.order > b.order
}

// maxReasonImpact bounds the impact statement quoted in a suppression's reason.
const maxReasonImpact = 500

// Suppression is the suppression a not_affected or fixed statement gives.
func (s *Statement) Suppression() *finding.Suppression {
	v := &finding.VEXStatement{
		Document: s.Document.File, Line: s.Line, DocumentID: s.Document.ID,
		Vulnerability: s.Vulnerability.Name, Status: string(s.Status),
		Justification: s.Justification, ImpactStatement: s.ImpactStatement,
		Timestamp: s.Time.UTC().Format(time.RFC3339),
	}
	reason := string(s.Status)
	if s.Justification != "" {
		reason += " (" + s.Justification + ")"
	}
	if s.ImpactStatement != "" {
		// The whole statement is in VEX; every finding it covers repeats the reason.
		reason += ": " + clipTo(s.ImpactStatement, maxReasonImpact)
	}
	where := s.Document.File
	if s.Line > 0 {
		where += ":" + strconv.Itoa(s.Line)
	}
	reason += " [VEX " + where + "]"
	return &finding.Suppression{Kind: "vex", Reason: reason, VEX: v}
}

// targetMatcher is a target parsed once for matching against many statements.
type targetMatcher struct {
	pkg    *packageurl.PackageURL
	digest string // lowercase
	// The image reference, parsed when a version-less pkg:oci purl needs it.
	ref     string
	parsed  bool
	repo    string // domain/path of the image's repository, "" if its ref has none
	repoEnd string // the last segment of repo
	tag     string
}

func newTargetMatcher(t Target) *targetMatcher {
	m := &targetMatcher{digest: strings.ToLower(t.ImageDigest), ref: t.ImageRef}
	if t.PURL != "" {
		if p, err := packageurl.FromString(t.PURL); err == nil {
			m.pkg = &p
		}
	}
	if m.digest == "" {
		m.parseRef() // a ref@digest names the digest
	}
	return m
}

// parseRef reads the image reference's repository, tag and digest once.
func (m *targetMatcher) parseRef() {
	if m.parsed {
		return
	}
	m.parsed = true
	if named, err := reference.ParseNormalizedNamed(m.ref); err == nil {
		m.repo = reference.Domain(named) + "/" + reference.Path(named)
		m.repoEnd = m.repo[strings.LastIndex(m.repo, "/")+1:]
		if tg, ok := named.(reference.Tagged); ok {
			m.tag = tg.Tag()
		}
		if d, ok := named.(reference.Digested); ok && m.digest == "" {
			m.digest = strings.ToLower(d.Digest().String())
		}
	}
}

func (m *targetMatcher) covers(s *Statement) bool {
	for i := range s.Products {
		p := &s.Products[i]
		if len(p.Subcomponents) == 0 {
			if m.isPackage(&p.Component) || m.isImage(&p.Component) {
				return true
			}
			continue
		}
		if !m.isImage(&p.Component) {
			continue
		}
		for j := range p.Subcomponents {
			if m.isPackage(&p.Subcomponents[j]) {
				return true
			}
		}
	}
	return false
}

// isPackage reports whether c names the target's package.
func (m *targetMatcher) isPackage(c *Component) bool {
	if m.pkg == nil {
		return false
	}
	for i := range c.purls {
		if purlMatches(&c.purls[i], m.pkg) {
			return true
		}
	}
	return false
}

// isImage reports whether c names the target's image.
func (m *targetMatcher) isImage(c *Component) bool {
	if m.digest != "" {
		for _, d := range c.digests {
			if d == m.digest {
				return true
			}
		}
	}
	for i := range c.purls {
		p := &c.purls[i]
		if !strings.EqualFold(p.Type, packageurl.TypeOCI) {
			continue
		}
		if p.Version != "" {
			if m.digest != "" && strings.EqualFold(p.Version, m.digest) {
				return true
			}
			continue
		}
		m.parseRef()
		if m.repo == "" || !strings.EqualFold(p.Name, m.repoEnd) {
			continue
		}
		q := p.Qualifiers.Map()
		if u, ok := q["repository_url"]; ok && !sameRepository(u, m.repo) {
			continue
		}
		if tg, ok := q["tag"]; ok && tg != m.tag {
			continue
		}
		return true
	}
	return false
}

// sameRepository compares a purl's repository_url with an image's normalised
// repository (docker.io/library/nginx).
func sameRepository(u, repo string) bool {
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	if named, err := reference.ParseNormalizedNamed(u); err == nil {
		u = reference.Domain(named) + "/" + reference.Path(named)
	}
	return strings.EqualFold(u, repo)
}

// purlMatches reports whether the statement's purl s names the package p: same
// type, namespace, name and subpath, s's version absent or equal, and each of s's
// qualifiers the same in p.
func purlMatches(s, p *packageurl.PackageURL) bool {
	if !strings.EqualFold(s.Type, p.Type) || s.Namespace != p.Namespace || s.Subpath != p.Subpath {
		return false
	}
	if normalizedName(s.Type, s.Name) != normalizedName(p.Type, p.Name) {
		return false
	}
	if s.Version != "" && s.Version != p.Version {
		return false
	}
	if len(s.Qualifiers) == 0 {
		return true
	}
	pq := p.Qualifiers.Map()
	for _, q := range s.Qualifiers {
		if v, ok := pq[q.Key]; !ok || v != q.Value {
			return false
		}
	}
	return true
}
