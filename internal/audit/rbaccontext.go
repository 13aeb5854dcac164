package audit

// RBAC context: the same act means more when the identity behind it could have gone
// further. With an RBAC model (from -f manifests or the live cluster) and its risk
// analysis (`palisade rbac risks`' classes, internal/checks/identity), every finding
// carries the risk classes its actor holds, and its severity is raised one step
// when one of them is an escalation class held where it counts (Escalations): an
// identity that can make itself cluster-admin, bind or escalate roles, impersonate,
// read every secret, mint tokens, approve client certificates, reach kubelets or
// rewrite admission; or that can create pods or exec into them in a privileged
// namespace (kube-system: the controllers' tokens and the node agents).
//
// The classes are computed once per identity (user and groups as the event names
// them) and kept in an LRU of Limits.MaxIdentities entries.

import (
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rbac"
)

// Reach requirements of an escalation class.
const (
	// AnyReach: held anywhere (the class is cluster-scoped, or dangerous in any
	// namespace).
	AnyReach = iota
	// WideReach: held cluster-wide or in a privileged namespace.
	WideReach
	// PrivilegedReach: held in a privileged namespace (or cluster-wide, which
	// includes them).
	PrivilegedReach
)

// Escalation is a risk class that raises the severity of a finding whose actor
// holds it with enough reach.
type Escalation struct {
	// Class is the risk class ID (the rule ID of `palisade rbac risks`).
	Class string
	// Reach is AnyReach, WideReach or PrivilegedReach.
	Reach int
	// Why says what the class lets the actor do next.
	Why string
}

// Escalations are the escalation classes (the others are listed in the evidence
// without raising the severity).
var Escalations = []Escalation{
	{"PAL-330", WideReach, "holds every permission (cluster-admin)"},
	{"PAL-331", WideReach, "can escalate through role edits"},
	{"PAL-332", WideReach, "can bind any role"},
	{"PAL-333", WideReach, "can impersonate other identities"},
	{"PAL-334", WideReach, "can read secrets"},
	{"PAL-335", PrivilegedReach, "can create pods in a privileged namespace"},
	{"PAL-336", PrivilegedReach, "can exec into pods in a privileged namespace"},
	{"PAL-337", AnyReach, "can reach kubelets through nodes/proxy"},
	{"PAL-338", WideReach, "can create service account tokens"},
	{"PAL-339", AnyReach, "can create and approve client certificates"},
	{"PAL-340", AnyReach, "can change admission control"},
}

// DefaultPrivilegedNamespaces are the namespaces where creating pods or exec is
// an escalation: the control plane's and node agents' service accounts live there.
var DefaultPrivilegedNamespaces = []string{"kube-system"}

// MastersClass is the pseudo risk class of a system:masters member: RBAC never
// applies to it, it holds every permission.
const MastersClass = "system:masters"

// rbacFacts is what the RBAC context says of one identity.
type rbacFacts struct {
	risks  []string
	raised []string // the escalation classes held where they count
}

// rbacOf computes (or finds) the RBAC facts of an actor.
func (e *Engine) rbacOf(a Actor) *rbacFacts {
	key := a.User + "\x00" + strings.Join(a.Groups, "\x00")
	if f, ok := e.identities.Get(key); ok {
		return f
	}
	f := &rbacFacts{}
	if a.Masters {
		f.risks = []string{MastersClass}
		f.raised = []string{MastersClass}
	} else if s, err := rbac.ParseSubject(a.Subject()); err == nil && a.User != "" {
		seen := map[string]bool{}
		for _, r := range e.opts.Risks.HoldsAs(s, a.Groups) {
			if r.Default && !e.opts.CountDefaults {
				continue
			}
			if !seen[r.Class] {
				seen[r.Class] = true
				f.risks = append(f.risks, r.Class)
			}
			if e.escalates(r) && !contains(f.raised, r.Class) {
				f.raised = append(f.raised, r.Class)
			}
		}
		sort.Strings(f.risks)
		sort.Strings(f.raised)
	}
	e.identities.Put(key, f)
	return f
}

func (e *Engine) escalates(r rbac.Risk) bool {
	x, ok := e.escalation[r.Class]
	if !ok {
		return false
	}
	switch x.Reach {
	case AnyReach:
		return true
	case WideReach:
		if r.Reach.ClusterWide {
			return true
		}
	}
	for _, ns := range e.privileged {
		if r.Reach.Includes(ns) {
			return true
		}
	}
	return false
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// rbacContext adds the risk classes the actor holds to the evidence and raises the
// severity one step when one of them escalates.
func (e *Engine) rbacContext(a Actor, ev *finding.AuditEvidence, sev finding.Severity) finding.Severity {
	if e.opts.Risks == nil {
		return sev
	}
	f := e.rbacOf(a)
	ev.Risks = f.risks[:len(f.risks):len(f.risks)]
	if len(f.raised) > 0 && sev < finding.Critical {
		ev.Raised = true
		sev++
	}
	return sev
}
