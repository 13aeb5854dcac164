package report

// Node checks (PAL-730..PAL-780) carry their evidence (finding.NodeEvidence: the
// recommendation, the effective value and where it came from, or a file's owner
// and mode); the checks that could not decide for lack of evidence are coverage
// entries with Rule, Name and Tried, rendered as UNKNOWN in every format.

import (
	"fmt"
	"strings"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/safetext"
)

// unknownGap is a coverage entry of a check that could not decide, as a line of
// text without its label: "PAL-755 on node worker-1: <reason>; tried: /a, /b".
func unknownGap(g finding.CoverageGap) (string, bool) {
	if g.Rule == "" {
		return "", false
	}
	s := g.Rule
	if g.Name != "" {
		s += " on " + unknownObject(g) + " " + g.Name
	}
	s += ": " + g.Reason
	if len(g.Tried) > 0 {
		s += "; tried: " + strings.Join(g.Tried, ", ")
	}
	return safetext.Sprintf("%s", s), true
}

// unknownObject is what an unknown check judged, in words: "node" for a node's
// facts, else the kind.
func unknownObject(g finding.CoverageGap) string {
	if g.Kind == finding.NodeFactsKind || g.Kind == "" {
		return "node"
	}
	return g.Kind
}

// unknownOnly reports whether every coverage gap is an unknown check.
func unknownOnly(gaps []finding.CoverageGap) bool {
	for _, g := range gaps {
		if g.Rule == "" {
			return false
		}
	}
	return true
}

// nodeEvidenceLines is a node finding's evidence as lines of text: the
// recommendation, the value and the expectation, where the value came from, the
// file judged.
func nodeEvidenceLines(n *finding.NodeEvidence) []string {
	if n == nil {
		return nil
	}
	var out []string
	if n.Recommendation != "" {
		var about []string
		if n.Benchmark != "" {
			about = append(about, n.Benchmark)
		}
		if n.Profile != "" {
			about = append(about, "profile "+n.Profile)
		}
		line := "recommendation " + n.Recommendation
		if len(about) > 0 {
			line += " (" + strings.Join(about, ", ") + ")"
		}
		out = append(out, line)
	}
	if n.Setting != "" || n.Value != "" {
		line := "effective value: " + valueText(n.Value)
		if n.Expected != "" {
			line += "; expected: " + n.Expected
		}
		out = append(out, line)
	}
	if s := OriginText(n.Origin); s != "" {
		out = append(out, "from: "+s)
	}
	if f := n.File; f != nil {
		out = append(out, "file: "+FileText(f))
	}
	return out
}

// valueText is an effective value as text ("(unset)" when empty).
func valueText(v string) string {
	if v == "" {
		return "(unset)"
	}
	return v
}

// OriginText says where an effective value came from: "config file
// /var/lib/kubelet/config.yaml:5", "flag --anonymous-auth=true", "default".
func OriginText(o *finding.NodeOrigin) string {
	if o == nil {
		return ""
	}
	at := o.File
	if at != "" && o.Line > 0 {
		at = fmt.Sprintf("%s:%d", o.File, o.Line)
	}
	switch o.Kind {
	case "default":
		return "default"
	case "legacy-default":
		return "legacy default (a kubelet started without --config)"
	case "config-file":
		return strings.TrimSpace("config file " + at)
	case "drop-in":
		return strings.TrimSpace("drop-in " + at)
	case "flag":
		if o.Flag != "" {
			return "flag " + o.Flag
		}
		return "flag"
	case "configz":
		return "the kubelet's /configz"
	}
	return strings.TrimSpace(o.Kind + " " + at)
}

// FileText is a file's metadata: "/etc/kubernetes/kubelet.conf mode 0644 owner
// root:root".
func FileText(f *finding.NodeFile) string {
	s := f.Path
	if f.Mode != "" {
		s += " mode " + f.Mode
	}
	user, group := f.User, f.Group
	if user == "" {
		user = fmt.Sprint(f.UID)
	}
	if group == "" {
		group = fmt.Sprint(f.GID)
	}
	return s + " owner " + user + ":" + group
}

// nodeEvidenceBody is a node finding's evidence as labelled lines (the HTML
// report's evidence panel).
func nodeEvidenceBody(n *finding.NodeEvidence, line func(label, value string)) {
	if n.Recommendation != "" {
		rec := n.Recommendation
		if n.Benchmark != "" {
			rec += " (" + n.Benchmark + ")"
		}
		line("Recommendation", rec)
	}
	if n.Profile != "" {
		line("Profile", n.Profile)
	}
	if n.Setting != "" {
		s := strings.TrimSpace(n.Component + " " + n.Setting)
		if n.Flag != "" {
			s += " (" + n.Flag + ")"
		}
		line("Setting", s)
	}
	if n.Setting != "" || n.Value != "" {
		line("Effective value", valueText(n.Value))
	}
	if n.Expected != "" {
		line("Expected", n.Expected)
	}
	if s := OriginText(n.Origin); s != "" {
		line("From", s)
	}
	if f := n.File; f != nil {
		line("File", FileText(f))
	}
}

// UnknownText is an unknown check (a coverage entry with a rule) as a line of text,
// "PAL-755 on node worker-1: <reason>; tried: /a, /b"; ok is false for other
// coverage entries.
func UnknownText(g finding.CoverageGap) (line string, ok bool) { return unknownGap(g) }
