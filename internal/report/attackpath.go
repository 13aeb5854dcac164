package report

// Attack-path findings (PAL-470..PAL-476, palisade paths) carry their evidence
// (finding.PathEvidence): the hops from an entry point to a target, each with the
// analyzer that proves it and its facts, and the change that cuts the path. Every
// format renders it: text under the finding (the hops, their evidence, the fix),
// JSON as the finding's "attackPath" member, SARIF in the result's properties and
// as a code flow (one location per hop whose node the input defines), JUnit in the
// failure text.

import (
	"fmt"
	"io"
	"strings"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/safetext"
)

// maxEvidenceShown bounds the evidence lines of one hop the text report lists, and
// maxOthersShown the other paths of a finding.
const (
	maxEvidenceShown = 8
	maxOthersShown   = 20
)

// PathLine is a route in one line: the labels of its nodes joined by arrows.
func PathLine(hops []finding.PathHop) string {
	if len(hops) == 0 {
		return ""
	}
	parts := []string{hops[0].From.Label}
	for _, h := range hops {
		parts = append(parts, h.To.Label)
	}
	return strings.Join(parts, " -> ")
}

// pathSummary is "3 hops from internet to cluster-admin through
// workload:shop/Deployment/web (2 other paths)".
func pathSummary(p *finding.PathEvidence) string {
	s := fmt.Sprintf("%s from %s to %s", plural(len(p.Hops), "hop"), p.Entry, p.Target)
	if p.Pivot != "" {
		s += " through " + p.Pivot
	}
	if p.Alternatives > 0 {
		s += fmt.Sprintf(" (%s)", plural(p.Alternatives, "other path"))
	}
	return s
}

// hopText is "the internet -> Deployment shop/web [exposed, by exposure]".
func hopText(h finding.PathHop) string {
	return fmt.Sprintf("%s -> %s [%s, by %s]", h.From.Label, h.To.Label, h.Kind, h.Analyzer)
}

// fixWhere is where a fix applies: "Deployment/shop/web, spec.template...,
// deploy/web.yaml:12" ("" when it names no object or field).
func fixWhere(f *finding.PathFix) string {
	var where []string
	if f.Object != nil {
		where = append(where, f.Object.String())
	}
	if f.Path != "" {
		where = append(where, f.Path)
	}
	if f.Location != nil && f.Location.File != "" {
		where = append(where, f.Location.String())
	}
	return strings.Join(where, ", ")
}

// pathFixText is the change, where to make it, and whether it cuts every path.
func pathFixText(f *finding.PathFix) string {
	s := f.Change
	if w := fixWhere(f); w != "" {
		s += " (" + w + ")"
	}
	if f.CutsAll {
		s += "; cuts every path through this workload"
	}
	return s
}

// writePathText writes a finding's attack path under it, indented. With hops: a
// summary, each hop with its evidence, the fix and the other paths listed; without
// (a scan's report, whose message already has the route and the change), one line:
// the summary and where the fix applies.
func writePathText(w io.Writer, p *finding.PathEvidence, indent string, hops bool) {
	if !hops {
		line := pathSummary(p)
		if f := p.Fix; f != nil {
			line += fmt.Sprintf("; fix at hop %d", f.Hop+1)
			if where := fixWhere(f); where != "" {
				line += ": " + where
			}
			if f.CutsAll {
				line += " (cuts every path through this workload)"
			}
		}
		safetext.Fprintf(w, "%spath: %s\n", indent, line)
		return
	}
	safetext.Fprintf(w, "%spath: %s\n", indent, pathSummary(p))
	for i, h := range p.Hops {
		safetext.Fprintf(w, "%s  %d. %s\n", indent, i+1, hopText(h))
		for j, e := range h.Evidence {
			if j == maxEvidenceShown && len(h.Evidence) > maxEvidenceShown+1 {
				safetext.Fprintf(w, "%s       ... %d more\n", indent, len(h.Evidence)-maxEvidenceShown)
				break
			}
			safetext.Fprintf(w, "%s       %s\n", indent, e)
		}
	}
	if f := p.Fix; f != nil {
		safetext.Fprintf(w, "%sfix (hop %d): %s\n", indent, f.Hop+1, pathFixText(f))
	} else {
		safetext.Fprintf(w, "%sfix: no hop can be cut by a change to the input\n", indent)
	}
	for i, o := range p.Others {
		if i == maxOthersShown {
			safetext.Fprintf(w, "%s  ... %d more\n", indent, len(p.Others)-maxOthersShown)
			break
		}
		safetext.Fprintf(w, "%sother: %s\n", indent, PathLine(o))
	}
}

// pathBody adds the evidence to a JUnit failure text.
func pathBody(p *finding.PathEvidence, line func(label, value string)) {
	line("Attack path", pathSummary(p))
	for i, h := range p.Hops {
		line(fmt.Sprintf("Hop %d", i+1), hopText(h))
		for _, e := range h.Evidence {
			line("  Evidence", e)
		}
	}
	if p.Fix != nil {
		line("Fix", fmt.Sprintf("hop %d: %s", p.Fix.Hop+1, pathFixText(p.Fix)))
	}
	for _, o := range p.Others {
		line("Other path", PathLine(o))
	}
}

// sarifCodeFlow is the path as a SARIF code flow: one thread-flow location per
// hop, at the object of the node it reaches when the input defines it (else with
// the hop's text alone), so that viewers step through the chain.
func sarifCodeFlow(p *finding.PathEvidence) []sarifCodeFlowT {
	if len(p.Hops) == 0 {
		return nil
	}
	var locs []sarifThreadFlowLocation
	add := func(n finding.PathNode, text string) {
		l := sarifLocation{Message: &sarifText{Text: text}}
		if n.Location != nil && n.Location.File != "" && n.Location.Image == nil {
			phys := sarifPhysical(*n.Location)
			l.PhysicalLocation = phys.PhysicalLocation
		}
		locs = append(locs, sarifThreadFlowLocation{Location: l})
	}
	add(p.Hops[0].From, p.Hops[0].From.Label)
	for _, h := range p.Hops {
		text := hopText(h)
		if len(h.Evidence) > 0 {
			text += ": " + strings.Join(h.Evidence, "; ")
		}
		add(h.To, text)
	}
	return []sarifCodeFlowT{{
		Message:     &sarifText{Text: PathLine(p.Hops)},
		ThreadFlows: []sarifThreadFlow{{Locations: locs}},
	}}
}

type (
	sarifCodeFlowT struct {
		Message     *sarifText        `json:"message,omitempty"`
		ThreadFlows []sarifThreadFlow `json:"threadFlows"`
	}
	sarifThreadFlow struct {
		Locations []sarifThreadFlowLocation `json:"locations"`
	}
	sarifThreadFlowLocation struct {
		Location sarifLocation `json:"location"`
	}
)
