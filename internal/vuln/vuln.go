// Package vuln matches a software inventory against vulnerability advisories: each
// package is looked up by its ecosystem and the name the advisories use, every affected
// entry of the right ecosystem (and distribution release) is evaluated with the
// ecosystem's own version order (internal/version) and the OSV range semantics
// (internal/osv), and the records that match are merged by alias into one
// vulnerability per package, with its evidence. No CPE, no fuzzy names.
package vuln

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/osv"
	"github.com/palisade-k8s/palisade/internal/software"
	"github.com/palisade-k8s/palisade/internal/version"
)

// Advisories is where records are looked up (a *vulndb.DB; a map in tests).
type Advisories interface {
	Lookup(eco software.Ecosystem, name string) ([]*osv.Record, error)
}

// Result is what matching an inventory found.
type Result struct {
	// Vulnerabilities are one per (package, vulnerability), in package order then by
	// ID.
	Vulnerabilities []Vulnerability
	// NotEvaluated are advisories that name an installed package but give only GIT
	// (commit) ranges: never guessed.
	NotEvaluated []NotEvaluated
	// Unsupported counts packages of ecosystems with no version order (gem, nuget,
	// composer) that have advisories: not matched, said so.
	Unsupported map[software.Ecosystem]int
	// Problems are records that could not be evaluated (a version the ecosystem's
	// order rejects), naming the record and the package.
	Problems []string
}

// Vulnerability is one vulnerability of one installed package.
type Vulnerability struct {
	// Package is the installed package (its file and layer).
	Package *software.Package
	// Evidence is what a finding shows (finding.Vulnerability).
	Evidence finding.Vulnerability
	// Unfixed is set when no fixed version is known.
	Unfixed bool
}

// NotEvaluated is an advisory whose ranges could not be evaluated for a package.
type NotEvaluated struct {
	Package *software.Package
	IDs     []string
	Reason  string
}

// Match looks every package of inv up in db. An error is only a failure of db itself
// (or ctx ending); records that cannot be evaluated are Problems.
//
// For each package with a version, db is asked for the records naming the package or
// its source package. An affected entry of a record is evaluated when its ecosystem
// resolves (osv.ParseEcosystem) to the package's ecosystem, applies to inv.Distro
// (osv.Ecosystem.MatchesDistro: a distribution's records need a known distribution and
// release) and names, by software.NormalizeName, the package as that ecosystem's records
// name it (osv.Ecosystem.LookupName: the source package for Debian, Ubuntu and Alpine);
// a Go entry whose packages are all limited to other architectures than the binary's
// GOARCH does not apply (govulncheck's platform filter; see goPlatform).
// The version evaluated is osv.Ecosystem.LookupVersion (the source version of a binNMU),
// with a Go toolchain version ("go1.22.1") converted to the semantic version the Go
// database uses, as govulncheck does; it is compared with internal/version's order of
// the package's ecosystem. Withdrawn records are skipped. The records that include the
// version are merged by alias (osv.MergeAliases) into one Vulnerability per package and
// vulnerability; see evidence for what it carries.
func Match(ctx context.Context, db Advisories, inv *software.Inventory) (*Result, error) {
	if inv == nil {
		inv = &software.Inventory{}
	}
	m := &matcher{
		db:       db,
		distro:   inv.Distro,
		cache:    map[lookupKey][]*osv.Record{},
		res:      &Result{Unsupported: map[software.Ecosystem]int{}},
		problems: map[problemKey]*problem{},
	}
	for i := range inv.Packages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := m.match(&inv.Packages[i]); err != nil {
			return nil, err
		}
	}
	for _, p := range m.order {
		m.res.Problems = append(m.res.Problems, p.String())
	}
	return m.res, nil
}

type lookupKey struct {
	eco  software.Ecosystem
	name string
}

// matcher is one Match call: the lookups are cached by (ecosystem, normalized name), so
// a module found in many binaries (stdlib) is looked up once.
type matcher struct {
	db       Advisories
	distro   *software.Distro
	cache    map[lookupKey][]*osv.Record
	res      *Result
	problems map[problemKey]*problem
	order    []*problem
}

// hit is a record that includes the installed version: the first affected entry that
// does, and the fixed versions of every affected entry that does.
type hit struct {
	rec      *osv.Record
	affected int
	eco      osv.Ecosystem
	name     string // the name looked up (osv.Ecosystem.LookupName)
	version  string // the version evaluated
	match    osv.Match
	fixed    []string
}

// lookup returns the records naming name in eco, each once.
func (m *matcher) lookup(eco software.Ecosystem, name string) ([]*osv.Record, error) {
	k := lookupKey{eco, software.NormalizeName(eco, name)}
	if recs, ok := m.cache[k]; ok {
		return recs, nil
	}
	recs, err := m.db.Lookup(eco, name)
	if err != nil {
		return nil, fmt.Errorf("vulnerability lookup of %s package %q: %w", eco, name, err)
	}
	m.cache[k] = recs
	return recs, nil
}

// records returns the records naming p or its source package, each once, sorted by
// source then ID (the order of the evidence's Records).
func (m *matcher) records(p *software.Package) ([]*osv.Record, error) {
	recs, err := m.lookup(p.Ecosystem, p.Name)
	if err != nil {
		return nil, err
	}
	if p.SourceName == "" || software.NormalizeName(p.Ecosystem, p.SourceName) == software.NormalizeName(p.Ecosystem, p.Name) {
		return recs, nil
	}
	more, err := m.lookup(p.Ecosystem, p.SourceName)
	if err != nil {
		return nil, err
	}
	if len(more) == 0 {
		return recs, nil
	}
	all := slices.Concat(recs, more)
	slices.SortStableFunc(all, func(a, b *osv.Record) int {
		return cmp.Or(strings.Compare(a.Source, b.Source), strings.Compare(a.ID, b.ID))
	})
	return slices.CompactFunc(all, func(a, b *osv.Record) bool { return a.Source == b.Source && a.ID == b.ID }), nil
}

// match evaluates the records of one package.
func (m *matcher) match(p *software.Package) error {
	if p.Name == "" || p.Version == "" {
		// An unknown version ("(devel)", a local replacement): nothing can be said.
		return nil
	}
	recs, err := m.records(p)
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return nil
	}
	supported := version.Supported(p.Ecosystem)
	compare := func(a, b string) (int, error) { return version.Compare(p.Ecosystem, a, b) }
	var (
		hits       []*hit
		notEval    []*osv.Record
		applicable bool
		badVersion = map[string][]string{} // installed version the order rejects -> records
		checked    = map[string]error{}
	)
	for _, r := range recs {
		if r == nil || r.IsWithdrawn() {
			continue
		}
		var h *hit
		git := false
		for i := range r.Affected {
			a := &r.Affected[i]
			eco, ok := m.applies(a, p)
			if !ok {
				continue
			}
			applicable = true
			if !supported {
				continue
			}
			v, err := lookupVersion(eco, p)
			if err == nil {
				var seen bool
				if err, seen = checked[v]; !seen {
					err = version.Valid(p.Ecosystem, v)
					checked[v] = err
				}
			}
			if err != nil {
				key := v
				if key == "" {
					key = p.Version
				}
				if ids := badVersion[key]; !slices.Contains(ids, recordName(r)) {
					badVersion[key] = append(ids, recordName(r))
				}
				checked[key] = err
				continue
			}
			res, err := a.Matches(v, compare)
			if err != nil {
				m.problem(r, i, err, p)
				continue
			}
			switch res.Status {
			case osv.StatusAffected:
				if h == nil {
					h = &hit{rec: r, affected: i, eco: eco, name: eco.LookupName(p), version: v, match: res}
				}
				h.fixed = append(h.fixed, res.FixedVersions...)
			case osv.StatusNotEvaluated:
				// Only when GIT ranges are all there is: a SEMVER or ECOSYSTEM range, or a
				// versions list, that does not include the version decides.
				git = git || gitOnly(a)
			}
		}
		switch {
		case h != nil:
			hits = append(hits, h)
		case git:
			notEval = append(notEval, r)
		}
	}
	if applicable && !supported {
		m.res.Unsupported[p.Ecosystem]++
		return nil
	}
	for _, v := range slices.Sorted(maps.Keys(badVersion)) {
		ids := badVersion[v]
		list := strings.Join(ids[:min(len(ids), maxProblemPackages)], ", ")
		if n := len(ids) - maxProblemPackages; n > 0 {
			list += fmt.Sprintf(" and %d more", n)
		}
		m.res.Problems = append(m.res.Problems, fmt.Sprintf("%s: %v: advisories %s not evaluated",
			packageName(p), checked[v], list))
	}
	m.report(p, hits, notEval, compare)
	return nil
}

// applies resolves a's ecosystem and reports whether a names p in the distribution of
// the inventory.
func (m *matcher) applies(a *osv.Affected, p *software.Package) (osv.Ecosystem, bool) {
	if a.Package.Ecosystem == "" || a.Package.Name == "" {
		return osv.Ecosystem{}, false
	}
	eco, err := osv.ParseEcosystem(a.Package.Ecosystem)
	if err != nil || eco.Software != p.Ecosystem || !eco.MatchesDistro(m.distro) {
		return eco, false
	}
	want := software.NormalizeName(p.Ecosystem, eco.LookupName(p))
	if software.NormalizeName(p.Ecosystem, a.Package.Name) != want {
		return eco, false
	}
	return eco, p.Ecosystem != software.Golang || goPlatform(a, p.OS, p.Arch)
}

// gitOnly reports whether a gives only GIT ranges (no other range, no versions list).
func gitOnly(a *osv.Affected) bool {
	if len(a.Versions) > 0 {
		return false
	}
	for _, rg := range a.Ranges {
		if rg.Type != osv.RangeGit {
			return false
		}
	}
	return len(a.Ranges) > 0
}

// lookupVersion is the version of p to evaluate eco's ranges with.
func lookupVersion(eco osv.Ecosystem, p *software.Package) (string, error) {
	v := eco.LookupVersion(p)
	if p.Ecosystem == software.Golang && isToolchain(p.Name) && !strings.HasPrefix(v, "v") {
		if sv := goTagToSemver(v); sv != "" {
			return sv, nil
		}
		if version.Valid(software.Golang, v) == nil {
			return v, nil // "1.22.1": a semantic version without its "v"
		}
		return v, fmt.Errorf("toolchain version %q is not a Go release", v)
	}
	return v, nil
}

// report merges the hits of one package by alias into vulnerabilities; groups with no
// hit but GIT ranges are NotEvaluated.
func (m *matcher) report(p *software.Package, hits []*hit, notEval []*osv.Record, compare osv.Compare) {
	if len(hits) == 0 && len(notEval) == 0 {
		return
	}
	byRecord := map[*osv.Record]*hit{}
	recs := make([]*osv.Record, 0, len(hits)+len(notEval))
	for _, h := range hits {
		byRecord[h.rec] = h
		recs = append(recs, h.rec)
	}
	recs = append(recs, notEval...)
	var vulns []Vulnerability
	for _, g := range osv.MergeAliases(recs) {
		var gh []*hit
		for _, r := range g.Records {
			if h := byRecord[r]; h != nil {
				gh = append(gh, h)
			}
		}
		if len(gh) == 0 {
			m.res.NotEvaluated = append(m.res.NotEvaluated, NotEvaluated{
				Package: p,
				IDs:     g.IDs,
				Reason:  "the advisory gives only GIT (commit) ranges for this package: not evaluated",
			})
			continue
		}
		vulns = append(vulns, evidence(p, g.IDs, gh, compare))
	}
	slices.SortStableFunc(vulns, func(a, b Vulnerability) int { return strings.Compare(a.Evidence.ID, b.Evidence.ID) })
	m.res.Vulnerabilities = append(m.res.Vulnerabilities, vulns...)
}

// problemKey is one record's affected entry that could not be evaluated, for one
// reason: reported once, with the packages it was evaluated for.
type problemKey struct {
	record   string
	affected int
	err      string
}

type problem struct {
	problemKey
	packages []string
}

func (p *problem) String() string {
	return fmt.Sprintf("advisory %s affected[%d]: %s (not evaluated for %s)",
		p.record, p.affected, p.err, strings.Join(p.packages, ", "))
}

// maxProblemPackages bounds the packages (or advisories) one problem names.
const maxProblemPackages = 5

func (m *matcher) problem(r *osv.Record, affected int, err error, p *software.Package) {
	k := problemKey{recordName(r), affected, err.Error()}
	pr := m.problems[k]
	if pr == nil {
		pr = &problem{problemKey: k}
		m.problems[k] = pr
		m.order = append(m.order, pr)
	}
	switch n := len(pr.packages); {
	case n < maxProblemPackages:
		pr.packages = append(pr.packages, packageName(p))
	case n == maxProblemPackages:
		pr.packages = append(pr.packages, "...")
	}
}

// recordName is "source/ID", or the ID of a record with no source.
func recordName(r *osv.Record) string {
	if r.Source == "" {
		return r.ID
	}
	return r.Source + "/" + r.ID
}

// packageName names an installed package in a problem: ecosystem, name, version and
// file.
func packageName(p *software.Package) string {
	s := fmt.Sprintf("%s package %s %s", p.Ecosystem, p.Name, p.Version)
	if p.Location.Path != "" {
		s += " in " + p.Location.Path
	}
	return s
}
