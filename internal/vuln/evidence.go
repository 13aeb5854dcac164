package vuln

import (
	"fmt"
	"slices"
	"strings"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/osv"
	"github.com/palisade-k8s/palisade/internal/software"
)

// evidence builds the vulnerability of p from the hits of one alias group (ids: the
// group's IDs, sorted), in record order:
//   - ID: the group's first CVE ID in sort order, else the first record's ID; Aliases
//     every other ID;
//   - Summary: the first record's summary that is not empty;
//   - Ecosystem, LookupName, LookupVersion and Range: those of the first record (the
//     interval of its range that includes the version, see rangeText);
//   - Fixed: the union of every record's fixed versions above the installed one,
//     ascending in the ecosystem's order, equal versions once;
//   - Severity: the most precise assessment (osv.Assess) of any record: a CVSS v4.0
//     vector before a v3.x one before the ecosystem's word (Ubuntu's priority) before
//     the database_specific word of GitHub's records; among equally precise ones the
//     highest score (the first record on a tie);
//   - Records: every record as "source/ID".
func evidence(p *software.Package, ids []string, hits []*hit, compare osv.Compare) Vulnerability {
	first := hits[0]
	ev := finding.Vulnerability{
		ID: first.rec.ID,
		Package: finding.VulnerablePackage{
			Ecosystem:     string(p.Ecosystem),
			Name:          p.Name,
			Version:       p.Version,
			PURL:          p.PURL,
			SourceName:    p.SourceName,
			SourceVersion: p.SourceVersion,
		},
		Ecosystem:     first.eco.OSV,
		LookupName:    first.name,
		LookupVersion: first.version,
		Range:         rangeText(first.rec.Affected[first.affected].Ranges, first.match),
	}
	for _, id := range ids {
		if strings.HasPrefix(id, "CVE-") {
			ev.ID = id
			break
		}
	}
	for _, id := range ids {
		if id != ev.ID {
			ev.Aliases = append(ev.Aliases, id)
		}
	}
	var best *osv.Assessment
	for _, h := range hits {
		if ev.Summary == "" {
			ev.Summary = h.rec.Summary
		}
		ev.Records = append(ev.Records, recordName(h.rec))
		for _, f := range h.fixed {
			if !slices.ContainsFunc(ev.Fixed, func(g string) bool { return sameVersion(f, g, compare) }) {
				ev.Fixed = append(ev.Fixed, f)
			}
		}
		if a, ok := osv.Assess(h.rec, &h.rec.Affected[h.affected]); ok && better(a, best) {
			best = &a
		}
	}
	slices.SortStableFunc(ev.Fixed, func(a, b string) int { c, _ := compare(a, b); return c })
	if best != nil {
		ev.Severity = &finding.VulnerabilitySeverity{
			Type:   best.Type,
			Vector: best.Vector,
			Score:  best.Score,
			Scored: best.Scored,
			Rating: string(best.Rating),
		}
	}
	return Vulnerability{Package: p, Evidence: ev, Unfixed: len(ev.Fixed) == 0}
}

func sameVersion(a, b string, compare osv.Compare) bool {
	if a == b {
		return true
	}
	c, err := compare(a, b)
	return err == nil && c == 0
}

// precision ranks where an assessment comes from: higher is more precise.
func precision(typ string) int {
	switch typ {
	case osv.SeverityCVSSv4:
		return 4
	case osv.SeverityCVSSv3:
		return 3
	case osv.SeverityUbuntu:
		return 2
	}
	return 1 // database_specific
}

// better reports whether a is preferred over best (nil: none yet).
func better(a osv.Assessment, best *osv.Assessment) bool {
	if best == nil {
		return true
	}
	if pa, pb := precision(a.Type), precision(best.Type); pa != pb {
		return pa > pb
	}
	return a.Scored && best.Scored && a.Score > best.Score
}

// rangeText writes the interval that includes the version as OSV events in version
// order: "introduced 0, fixed 1.2.3", "introduced 1.0, last_affected 1.4", "introduced
// 2.0" (no fix), with the range's limits (", limit 3.0") and its type when it is not
// ECOSYSTEM ("SEMVER: introduced 0, fixed 0.3.7"); "listed in versions" when only the
// affected package's explicit versions list includes it.
func rangeText(ranges []osv.Range, m osv.Match) string {
	if m.Range < 0 || m.Range >= len(ranges) {
		if m.InVersions {
			return "listed in versions"
		}
		return ""
	}
	var b strings.Builder
	if t := ranges[m.Range].Type; t != osv.RangeEcosystem {
		b.WriteString(t + ": ")
	}
	fmt.Fprintf(&b, "%s %s", osv.EventIntroduced, m.Introduced)
	switch {
	case m.Fixed != "":
		fmt.Fprintf(&b, ", %s %s", osv.EventFixed, m.Fixed)
	case m.LastAffected != "":
		fmt.Fprintf(&b, ", %s %s", osv.EventLastAffected, m.LastAffected)
	}
	for _, l := range m.Limits {
		fmt.Fprintf(&b, ", %s %s", osv.EventLimit, l)
	}
	return b.String()
}
