package leastpriv

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/safetext"
)

// View is what `palisade audit rbac` prints: the analysis, the risky capabilities
// held beyond use, and the minimal roles.
type View struct {
	Report
	// Risks are the unused risky capabilities by subject (Subject.String()).
	Risks map[string][]UnusedRisk `json:"risks,omitempty"`
	Roles []Roles                 `json:"-"`
	// Minimal are the minimal roles as manifests, by subject.
	Minimal map[string][]map[string]any `json:"minimal,omitempty"`
}

// Formats of WriteView.
var Formats = []string{"text", "json", "yaml"}

// WriteView writes the view: text (per subject: uses, grants and what each
// covered, unused grants, unused risky capabilities), json (all of it and the
// minimal roles) or yaml (the minimal roles, ready to apply).
func WriteView(w io.Writer, v View, format string) error {
	switch format {
	case "", "text":
		return writeText(w, v)
	case "json":
		if v.Minimal == nil {
			v.Minimal = map[string][]map[string]any{}
			for _, r := range v.Roles {
				v.Minimal[r.Subject.String()] = r.Objects()
			}
		}
		enc := json.NewEncoder(safetext.JSONWriter(w))
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "yaml":
		return WriteYAML(w, v.Roles)
	}
	return fmt.Errorf("unknown output format %q (want text, json or yaml)", format)
}

func writeText(w io.Writer, v View) error {
	p := func(format string, args ...any) { safetext.Fprintf(w, format, args...) }
	if len(v.Subjects) == 0 {
		p("no allowed request of a user or service account in the log\n")
		return nil
	}
	p("window: %s .. %s\n", v.First.UTC().Format(time.RFC3339), v.Last.UTC().Format(time.RFC3339))
	if !v.RBAC {
		p("(no RBAC input: uses only)\n")
	}
	if v.DroppedEvents > 0 {
		p("warning: %d events of identities over the subject bound were not recorded\n", v.DroppedEvents)
	}
	for _, sr := range v.Subjects {
		p("\n%s: %d requests, %d permissions used\n", sr.Subject, sr.Events, len(sr.Used))
		if sr.Masters {
			p("  member of %s: RBAC never judges its requests (rules below judged without it)\n", rbac.GroupMasters)
		}
		if sr.Truncated {
			p("  warning: %d uses not recorded, %d recorded without their names (bound reached): the minimal roles may be insufficient\n", sr.Dropped, sr.NamesDropped)
		}
		p("  used:\n")
		for _, u := range sr.Used {
			p("    %s  x%d", u.Perm, u.Count)
			switch {
			case u.Reason != "":
				p("  (not covered: %s)", u.Reason)
			case u.Default:
				p("  (bootstrap policy: not in the minimal roles)")
			}
			p("\n")
		}
		if !v.RBAC {
			continue
		}
		if len(sr.Granted) > 0 {
			p("  granted:\n")
			for _, g := range sr.Granted {
				p("    %s: %d uses\n", rbac.ChainText(g.Grant), len(g.Covered))
			}
		}
		if len(sr.Unused) > 0 {
			p("  unused grants:\n")
			for _, g := range sr.Unused {
				p("    %s\n", rbac.ChainText(g))
			}
		}
		if rs := v.Risks[sr.Subject.String()]; len(rs) > 0 {
			p("  risky capabilities held but not needed:\n")
			for _, r := range rs {
				p("    %s %s\n", r.Risk.Class, r.Text())
			}
		}
	}
	return nil
}

// Text says where the class is held and where it was needed.
func (r UnusedRisk) Text() string {
	if !r.Needed.ClusterWide && len(r.Needed.Namespaces) == 0 {
		return "held " + r.Risk.Reach.Text() + ", never needed"
	}
	return "held " + r.Risk.Reach.Text() + ", needed only " + r.Needed.Text()
}
