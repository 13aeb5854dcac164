package cli

// The diff of attack-path findings and their drawing as a graph.
//
// TODO(lead): attackpath.Diff and attackpath.WriteGraph (helper "query") are the
// shared implementations; once merged, diffPaths and writePathGraph delegate to them
// (the JSON shape of pathDiff below is what docs/paths.md documents).

import (
	"fmt"
	"io"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// pathDiff is what changed between two sets of attack-path findings, matched by
// fingerprint (rule, object, entry, target).
type pathDiff struct {
	Opened    []finding.Finding `json:"opened"`
	Closed    []finding.Finding `json:"closed"`
	Changed   []pathChange      `json:"changed"`
	Unchanged int               `json:"unchanged"`
}

// pathChange is a path that leads from the same entry to the same target through
// the same workload by another route.
type pathChange struct {
	Old finding.Finding `json:"old"`
	New finding.Finding `json:"new"`
}

func diffPaths(old, new []finding.Finding) pathDiff {
	d := pathDiff{Opened: []finding.Finding{}, Closed: []finding.Finding{}, Changed: []pathChange{}}
	key := func(f *finding.Finding) string {
		if f.Fingerprint == "" {
			f.ComputeFingerprint()
		}
		return f.Fingerprint
	}
	before := map[string]finding.Finding{}
	for i := range old {
		before[key(&old[i])] = old[i]
	}
	seen := map[string]bool{}
	for i := range new {
		k := key(&new[i])
		if seen[k] {
			continue
		}
		seen[k] = true
		o, ok := before[k]
		switch {
		case !ok:
			d.Opened = append(d.Opened, new[i])
		case route(o.AttackPath) != route(new[i].AttackPath):
			d.Changed = append(d.Changed, pathChange{Old: o, New: new[i]})
		default:
			d.Unchanged++
		}
	}
	done := map[string]bool{}
	for i := range old {
		k := key(&old[i])
		if !seen[k] && !done[k] {
			done[k] = true
			d.Closed = append(d.Closed, old[i])
		}
	}
	sortPathFindings(d.Opened)
	sortPathFindings(d.Closed)
	return d
}

// route is a path's node IDs, entry first.
func route(p *finding.PathEvidence) string {
	if p == nil || len(p.Hops) == 0 {
		return ""
	}
	s := p.Hops[0].From.ID
	for _, h := range p.Hops {
		s += "\x00" + h.Kind + "\x00" + h.To.ID
	}
	return s
}

// writePathGraph draws the paths of the findings (dot or mermaid).
func writePathGraph(w io.Writer, fs []finding.Finding, format string) error {
	return fmt.Errorf("-o %s: the graph writer (attackpath.WriteGraph) is not in this build yet", format)
}
