package cli

// The diff of attack-path findings (attackpath.Diff) as paths diff writes it, and
// their drawing as a graph (attackpath.WriteGraph).

import (
	"io"

	"github.com/palisade-k8s/palisade/internal/attackpath"
	"github.com/palisade-k8s/palisade/internal/finding"
)

// pathDiff is what changed between two sets of attack-path findings, matched by
// fingerprint (rule, object, entry, target): the JSON of paths diff -o json.
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
	ad := attackpath.Diff(old, new)
	d := pathDiff{Opened: ad.Opened, Closed: ad.Closed, Changed: []pathChange{}}
	if d.Opened == nil {
		d.Opened = []finding.Finding{}
	}
	if d.Closed == nil {
		d.Closed = []finding.Finding{}
	}
	for _, c := range ad.Changed {
		d.Changed = append(d.Changed, pathChange{Old: c.Old, New: c.New})
	}
	seen := map[string]bool{}
	for i := range new {
		f := new[i]
		if f.AttackPath == nil {
			continue
		}
		if f.Fingerprint == "" {
			f.ComputeFingerprint()
		}
		seen[f.Fingerprint] = true
	}
	d.Unchanged = len(seen) - len(d.Opened) - len(d.Changed)
	return d
}

// writePathGraph draws the paths of the findings (dot or mermaid).
func writePathGraph(w io.Writer, fs []finding.Finding, format string) error {
	return attackpath.WriteGraph(w, fs, format)
}
