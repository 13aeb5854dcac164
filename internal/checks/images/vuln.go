package images

// PAL-130: a known vulnerability in a package of the image. The matching is done
// before the rules run, by the image source (internal/vuln over the local database,
// ImageInfo.Vulnerabilities): exact names in the ecosystem the advisory names, the
// ecosystem's own version order, the OSV range semantics, records merged by alias.
// This rule turns each match into a finding with its evidence: the advisory IDs, the
// package and installed version, the range that matched, the fixed versions (or "no
// fix"), and where the severity comes from (CVSS v4 or v3 base
// score, the ecosystem's own word, else the unratedSeverity parameter). When workloads
// run the image (scan --images, cluster --images), the finding carries what the
// cluster exposes of them (internal/exposure).

import (
	"fmt"
	"strings"

	"github.com/palisade-k8s/palisade/internal/exposure"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// VulnRuleID is the rule of known vulnerabilities.
const VulnRuleID = "PAL-130"

// Parameters of PAL-130.
const (
	ParamIgnoreUnfixed   = "ignoreUnfixed"
	ParamUnratedSeverity = "unratedSeverity"
)

// maxSummary bounds the advisory summary quoted in a message.
const maxSummary = 120

func init() {
	registerImage(&rules.Rule{
		Meta: rules.Meta{
			ID: VulnRuleID, Title: "Known vulnerability in an image package", Severity: high,
			Rationale: "A package with a published vulnerability is what an attacker tries first: the advisory says what is affected and often how to exploit it. " +
				"Palisade matches every package of the image against the local vulnerability database (palisade db import: OSV records of the Go database, GitHub advisories, Debian, Ubuntu, Alpine, ...) by its exact name in the advisory's ecosystem and its version in that ecosystem's own order, never by a CPE or a fuzzy name, and merges the records of one vulnerability (CVE, GHSA, GO-, DSA/DLA aliases) into one finding. " +
				"The finding's severity is the advisory's: the CVSS v4.0 base score, else the v3.x one, else the ecosystem's own rating, else the unratedSeverity parameter. " +
				"With scan --images or cluster --images, the finding lists the workloads that run the image and what the cluster exposes of each (network reach, service account capabilities, host access), and the report orders findings by that exposure. " + exposure.Formula,
			Remediation: "Upgrade the package to a fixed version (rebuild the image on an updated base for distribution packages; update the dependency and rebuild for language packages). " +
				"When the vulnerable code is not reachable, say so in an OpenVEX document (--vex) with a not_affected justification; to see only what can be fixed now, use --ignore-unfixed.",
			References: []string{"https://ossf.github.io/osv-schema/", "https://osv.dev/", "https://go.dev/doc/security/vuln/database", "https://www.first.org/cvss/"},
			Params: []rules.Param{
				{Name: ParamIgnoreUnfixed, Values: []string{"false", "true"}, Default: "false",
					Description: `"true" reports only vulnerabilities with a known fixed version (--ignore-unfixed).`},
				{Name: ParamUnratedSeverity, Values: []string{"info", "low", "medium", "high", "critical"}, Default: "medium",
					Description: "The severity of a vulnerability no record rates (the Go vulnerability database rates none)."},
			},
		},
		Needs:  exposure.Needs,
		Object: checkVulnerabilities,
	})
}

func checkVulnerabilities(p *rules.Pass, o *inventory.Object) {
	info := o.Image
	if info == nil || info.Vulnerabilities == nil {
		return
	}
	ignoreUnfixed := p.String(ParamIgnoreUnfixed) == "true"
	unrated, err := finding.ParseSeverity(p.String(ParamUnratedSeverity))
	if err != nil {
		unrated = finding.Medium
	}
	var exp *finding.Exposure
	if p.Inventory != nil && len(info.Workloads) > 0 {
		exp = exposure.Image(p.Inventory, info.Workloads)
	}
	for i := range info.Vulnerabilities.Vulnerabilities {
		v := &info.Vulnerabilities.Vulnerabilities[i]
		if ignoreUnfixed && v.Unfixed {
			continue
		}
		ev := v.Evidence // a copy: the finding owns it
		layer, path := -1, ""
		if v.Package != nil {
			layer, path = v.Package.Location.Layer, v.Package.Location.Path
		}
		at := info.Location(layer, path, "")
		if at.Layer == "" && v.Package != nil {
			at.Layer = v.Package.Location.LayerDiffID
		}
		p.ReportVulnerability(at, VulnSeverity(ev.Severity, unrated), &ev, exp, "%s", VulnMessage(&ev))
	}
}

// VulnSeverity is the severity of a finding of a vulnerability rated s: the rating's
// ("none" is info), unrated when nothing rates it.
func VulnSeverity(s *finding.VulnerabilitySeverity, unrated finding.Severity) finding.Severity {
	if s == nil {
		return unrated
	}
	if s.Rating == "none" {
		return finding.Info
	}
	sev, err := finding.ParseSeverity(s.Rating)
	if err != nil {
		return unrated
	}
	return sev
}

// VulnMessage is the message of a vulnerability finding: the IDs, the package and its
// installed version, the range that matched, the fix, and where the severity comes
// from (the file and layer are the finding's location).
//
//	CVE-2023-39325 (GHSA-4374-p667-p6c8, GO-2023-2102) in golang golang.org/x/net
//	v0.15.0 (HTTP/2 rapid reset can cause excessive work in net/http): affected
//	introduced 0, fixed 0.17.0 (Go); fixed in 0.17.0; severity high from CVSS_V3 7.5
//	(CVSS:3.1/AV:N/...)
func VulnMessage(v *finding.Vulnerability) string {
	var b strings.Builder
	b.WriteString(v.ID)
	if len(v.Aliases) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(v.Aliases, ", "))
	}
	pkg := v.Package
	fmt.Fprintf(&b, " in %s %s %s", pkg.Ecosystem, pkg.Name, pkg.Version)
	if pkg.SourceName != "" && (pkg.SourceName != pkg.Name || pkg.SourceVersion != "") {
		src := pkg.SourceName
		if pkg.SourceVersion != "" {
			src += " " + pkg.SourceVersion
		}
		fmt.Fprintf(&b, " (source package %s)", src)
	}
	if s := summaryLine(v.Summary); s != "" {
		fmt.Fprintf(&b, ": %s", s)
	}
	fmt.Fprintf(&b, "; affected %s", v.Range)
	if v.Ecosystem != "" {
		looked := v.Ecosystem
		if v.LookupName != "" && (v.LookupName != pkg.Name || v.LookupVersion != pkg.Version) {
			looked += fmt.Sprintf(" %s %s", v.LookupName, v.LookupVersion)
		}
		fmt.Fprintf(&b, " (%s)", looked)
	}
	if len(v.Fixed) > 0 {
		fmt.Fprintf(&b, "; fixed in %s", strings.Join(v.Fixed, ", "))
	} else {
		b.WriteString("; no fix")
	}
	b.WriteString("; severity ")
	if s := v.Severity; s != nil {
		switch {
		case s.Scored:
			fmt.Fprintf(&b, "%s from %s %.1f (%s)", s.Rating, s.Type, s.Score, s.Vector)
		default:
			fmt.Fprintf(&b, "%s from %s %q", s.Rating, s.Type, s.Vector)
		}
	} else {
		b.WriteString("not rated by the advisories (unratedSeverity)")
	}
	return b.String()
}

// summaryLine is an advisory summary on one line, at most maxSummary characters.
func summaryLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxSummary {
		s = string(r[:maxSummary-1]) + "…"
	}
	return s
}
