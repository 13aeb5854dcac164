package report

// Findings on audit events (palisade audit, the webhook's /audit) carry their
// evidence (finding.AuditEvidence): who acted, through whom, from where, with which
// RBAC risk classes, and the chain of events behind the finding with the file and
// line of each. Every format renders it: text under the finding, JSON as the
// finding's "audit" member, SARIF in the result's properties, JUnit in the failure
// text. A report of a run over audit logs has an AuditSummary: its summary line
// counts events, not objects.

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/safetext"
)

// AuditSummary counts what a run over audit logs read.
type AuditSummary struct {
	// Events are the events read, Files the inputs they came from.
	Events int `json:"events"`
	Files  int `json:"files"`
	// Objects are the objects remembered at the end (the log's and the initial
	// state's), ObjectsEvicted those forgotten for lack of room.
	Objects        int `json:"objects"`
	ObjectsEvicted int `json:"objectsEvicted,omitempty"`
	// RBAC is set when the run had RBAC context (-f RBAC objects or the cluster).
	RBAC bool `json:"rbac"`
}

// SetAudit makes the report one of a run over audit logs.
func (r *Report) SetAudit(s AuditSummary) { r.Summary.Audit = &s }

// maxChainShown bounds the events of one chain the text report lists (the first
// and the last are always shown).
const maxChainShown = 10

// maxGroupsShown bounds the groups of an actor the text report lists.
const maxGroupsShown = 6

// writeAuditText writes a finding's audit evidence under it, indented.
func writeAuditText(w io.Writer, a *finding.AuditEvidence, indent string) {
	safetext.Fprintf(w, "%sactor: %s\n", indent, actorText(a.Actor))
	if a.Impersonator != nil {
		safetext.Fprintf(w, "%simpersonated by: %s\n", indent, actorText(*a.Impersonator))
	}
	if len(a.SourceIPs) > 0 {
		safetext.Fprintf(w, "%sfrom: %s\n", indent, strings.Join(a.SourceIPs, ", "))
	}
	if a.UserAgent != "" {
		safetext.Fprintf(w, "%suser agent: %s\n", indent, a.UserAgent)
	}
	if len(a.Risks) > 0 {
		raised := ""
		if a.Raised {
			raised = " (severity raised: the actor can escalate)"
		}
		safetext.Fprintf(w, "%srbac: holds %s%s\n", indent, strings.Join(a.Risks, ", "), raised)
	}
	if len(a.Techniques) > 0 {
		safetext.Fprintf(w, "%smitre: %s\n", indent, strings.Join(a.Techniques, ", "))
	}
	if a.Count > 1 {
		safetext.Fprintf(w, "%scount: %d events\n", indent, a.Count)
	}
	if len(a.Events) == 0 {
		return
	}
	safetext.Fprintf(w, "%sevents:\n", indent)
	for i, e := range a.Events {
		if len(a.Events) > maxChainShown && i == maxChainShown-1 && i < len(a.Events)-1 {
			safetext.Fprintf(w, "%s  ... %d more\n", indent, len(a.Events)-maxChainShown)
			continue
		}
		if len(a.Events) > maxChainShown && i >= maxChainShown-1 && i < len(a.Events)-1 {
			continue
		}
		safetext.Fprintf(w, "%s  %s\n", indent, eventText(e))
	}
}

// actorText is "alice [devs, system:authenticated]".
func actorText(a finding.AuditActor) string {
	s := a.User
	if s == "" {
		s = "(no user)"
	}
	if len(a.Groups) > 0 {
		g := a.Groups
		more := ""
		if len(g) > maxGroupsShown {
			g, more = g[:maxGroupsShown], fmt.Sprintf(", +%d", len(a.Groups)-maxGroupsShown)
		}
		s += " [" + strings.Join(g, ", ") + more + "]"
	}
	return s
}

// eventText is one event of a chain: "audit.log:12 2026-12-01T10:00:00Z alice
// create pods/exec default/web -> 101".
func eventText(e finding.AuditEventRef) string {
	where := e.File
	switch {
	case e.Line > 0:
		where = fmt.Sprintf("%s:%d", e.File, e.Line)
	case e.Index > 0:
		where = fmt.Sprintf("%s event %d", e.File, e.Index)
	}
	what := e.Object
	if what == "" {
		what = e.URI
	}
	s := fmt.Sprintf("%s %s %s %s %s", where, e.Time.UTC().Format(time.RFC3339), e.User, e.Verb, what)
	if e.Code != 0 {
		s += fmt.Sprintf(" -> %d", e.Code)
	}
	return s
}

// auditBody adds the evidence to a JUnit failure text.
func auditBody(a *finding.AuditEvidence, line func(label, value string)) {
	line("Actor", actorText(a.Actor))
	if a.Impersonator != nil {
		line("Impersonated by", actorText(*a.Impersonator))
	}
	if len(a.SourceIPs) > 0 {
		line("Source IPs", strings.Join(a.SourceIPs, ", "))
	}
	if len(a.Risks) > 0 {
		r := strings.Join(a.Risks, ", ")
		if a.Raised {
			r += " (severity raised)"
		}
		line("RBAC risks", r)
	}
	if a.Count > 1 {
		line("Count", fmt.Sprint(a.Count))
	}
	for _, e := range a.Events {
		line("Event", eventText(e))
	}
}

// auditSummaryText is the summary line's subject: "1,234 events from 2 files".
func auditSummaryText(s *AuditSummary) string {
	return pluralGrouped(s.Events, "event") + " from " + plural(s.Files, "file")
}

// StreamFormats are the formats WriteStream writes (palisade audit --follow).
var StreamFormats = []string{"text", "json"}

// WriteStream writes one finding as it is found: a text line with its evidence, or
// one JSON object on one line (JSON lines).
func WriteStream(w io.Writer, f finding.Finding, format string) error {
	switch format {
	case "json":
		b, err := json.Marshal(f)
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	case "", "text":
		suppressed := ""
		if f.Suppressed != nil {
			suppressed = fmt.Sprintf(" (suppressed, %s: %s)", f.Suppressed.Kind, f.Suppressed.Reason)
		}
		safetext.Fprintf(w, "%-8s %-8s %s  %s: %s%s\n", strings.ToUpper(f.Severity.String()), f.RuleID, f.Location, f.Object, f.Message, suppressed)
		if f.Audit != nil {
			writeAuditText(w, f.Audit, strings.Repeat(" ", 18))
		}
		return nil
	}
	return fmt.Errorf("--follow writes %s, not %q", strings.Join(StreamFormats, " or "), format)
}

// AuditSummaryLine is the summary of a run over audit logs, on one line: events
// read, findings by severity, suppressed, input errors.
func AuditSummaryLine(r *Report) string {
	s := r.Summary
	var parts []string
	for i := len(finding.Severities()) - 1; i >= 0; i-- {
		sv := finding.Severities()[i]
		if n := s.BySeverity[sv.String()]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, sv))
		}
	}
	counts := "no findings"
	if len(parts) > 0 {
		counts = strings.Join(parts, ", ")
	}
	a := s.Audit
	if a == nil {
		a = &AuditSummary{}
	}
	line := "Read " + auditSummaryText(a) + ": " + counts
	if s.Suppressed > 0 {
		line += fmt.Sprintf("; %d suppressed", s.Suppressed)
	}
	if s.InputErrors > 0 {
		line += "; " + plural(s.InputErrors, "input error")
	}
	return line + "."
}
