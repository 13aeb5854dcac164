// Package compliance holds the frameworks Palisade reports against (CIS Kubernetes
// Benchmark v1.12, NSA/CISA Kubernetes Hardening Guidance, Pod Security Standards,
// MITRE ATT&CK for Containers)
// and turns one scan into a control-by-control verdict.
//
// Each framework is one table of controls in document order: ID, title, section and,
// for a control that manifests cannot decide, the reason why. Which rules implement a
// control is never listed twice: it comes from the rules' framework tags in the
// registry (rules.Frameworks.CIS, NSA, PSSCheck). The tests hold the tags and the
// tables to each other.
package compliance

import (
	"fmt"
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/rules"
)

// Framework is a compliance framework: its controls, in the order of its document.
type Framework struct {
	// ID is the name used on the command line ("cis-1.12").
	ID    string
	Title string
	// URL is where the framework is published.
	URL      string
	Controls []Control

	// claims returns the IDs (or tags) of this framework that a rule's tags name.
	claims func(rules.Frameworks) []string
	// resolve maps what claims returns to a control ID ("" if none).
	resolve func(string) string
	// pss marks the Pod Security Standards views, whose controls are the official
	// checks of the scan's PSS version.
	pss bool
	// Detections marks a framework whose controls are techniques the audit
	// detections (`palisade audit`) detect, not practices a scan judges: it maps
	// rules to techniques, and has no control-by-control view of a scan.
	Detections bool
}

// Control is one recommendation of a framework.
type Control struct {
	ID      string
	Title   string
	Section string
	// Tag is the string rules carry in their tags for this control, when it is not
	// the ID (NSA/CISA sections).
	Tag string
	// NotAssessable, when set, says why manifests cannot decide the control.
	NotAssessable Reason
	// Includes lists controls of the same framework whose failures are failures of
	// this one too (a restricted PSS check that a baseline failure implies).
	Includes []string
}

// Reason says why a control is not applicable.
type Reason string

// Why a control can be not applicable. The first three are written in the tables; the
// others follow from the scan.
const (
	// Cluster: control plane, node or cloud configuration, which manifests do not hold.
	Cluster Reason = "cluster"
	// Manual: a process or design decision that needs a person's review.
	Manual Reason = "manual"
	// Overview: a section's general guidance, assessed through its subsections'
	// controls unless a rule is tagged with the section itself.
	Overview Reason = "overview"
	// NoRule: manifests could show it, but no Palisade rule checks it yet.
	NoRule Reason = "no-rule"
	// Disabled: every rule for the control is disabled in this run, or idle with its
	// parameters (rules.Rule.Idle).
	Disabled Reason = "disabled"
	// NoObjects: nothing in the input is in scope of the control's rules.
	NoObjects Reason = "no-objects"
	// PSSVersion: the check is not part of the Pod Security Standards at the scan's
	// version.
	PSSVersion Reason = "pss-version"
	// NotAudited: an ATT&CK technique that happens outside the Kubernetes API
	// (inside containers, on nodes, in registries), which the audit log cannot show.
	NotAudited Reason = "not-audited"
)

// Reasons lists every reason, in the order documentation explains them.
var Reasons = []Reason{Cluster, Manual, Overview, NoRule, Disabled, NoObjects, PSSVersion, NotAudited}

// Text explains a reason in a sentence fragment.
func (r Reason) Text() string {
	switch r {
	case Cluster:
		return "host files, node or cloud configuration, which no manifest holds"
	case Manual:
		return "needs a manual review; manifests cannot decide it"
	case Overview:
		return "general guidance of the section; see the controls of its subsections"
	case NoRule:
		return "no Palisade rule checks this control yet"
	case Disabled:
		return "its rules are disabled in this run, or check nothing with their parameters (an empty allow-list)"
	case NoObjects:
		return "nothing in the input is in scope of its rules"
	case PSSVersion:
		return "not a check of the Pod Security Standards at the scan's version"
	case NotAudited:
		return "happens outside the Kubernetes API (inside containers, on nodes, in registries): the audit log cannot show it; a runtime sensor can"
	}
	return string(r)
}

// Short is the reason as a table cell.
func (r Reason) Short() string {
	switch r {
	case NoObjects:
		return "no objects"
	case NoRule:
		return "no rule yet"
	case PSSVersion:
		return "not in PSS version"
	case NotAudited:
		return "not in audit log"
	}
	return string(r)
}

var frameworks = []*Framework{cis112(), nsaCISA(), pssFramework("pss-baseline", "baseline"), pssFramework("pss-restricted", "restricted"), mitreContainers()}

// All returns every framework, in the order the documentation lists them.
func All() []*Framework { return frameworks }

// Names lists the framework IDs.
func Names() []string {
	out := make([]string, len(frameworks))
	for i, f := range frameworks {
		out[i] = f.ID
	}
	return out
}

// Get returns a framework by ID (case-insensitive).
func Get(id string) (*Framework, error) {
	for _, f := range frameworks {
		if strings.EqualFold(f.ID, id) {
			return f, nil
		}
	}
	return nil, fmt.Errorf("unknown framework %q (want one of %s)", id, strings.Join(Names(), ", "))
}

// Control returns a control by ID.
func (f *Framework) Control(id string) (*Control, bool) {
	for i := range f.Controls {
		if f.Controls[i].ID == id {
			return &f.Controls[i], true
		}
	}
	return nil, false
}

// Claims returns the control IDs a rule's tags name in this framework, and the tags
// that name no control of it (which the tests reject).
func (f *Framework) Claims(r *rules.Rule) (controls, unknown []string) {
	for _, c := range f.claims(r.Frameworks) {
		if id := f.resolve(c); id != "" {
			controls = append(controls, id)
		} else {
			unknown = append(unknown, c)
		}
	}
	return controls, unknown
}

// RulesOf maps each control to the IDs of the rules whose tags name it, in ID order.
// Includes are not followed: these are the control's own rules.
func (f *Framework) RulesOf(rs []*rules.Rule) map[string][]string {
	m := map[string][]string{}
	for _, r := range rs {
		ids, _ := f.Claims(r)
		for _, id := range ids {
			if l := m[id]; len(l) == 0 || l[len(l)-1] != r.ID {
				m[id] = append(l, r.ID)
			}
		}
	}
	for _, l := range m {
		sort.Strings(l)
	}
	return m
}

// byID resolves claims that are control IDs.
func (f *Framework) byID(id string) string {
	if _, ok := f.Control(id); ok {
		return id
	}
	return ""
}

// byTag resolves claims that are tags, ignoring case and surrounding space.
func (f *Framework) byTag(tag string) string {
	tag = strings.TrimSpace(tag)
	for _, c := range f.Controls {
		if c.Tag != "" && strings.EqualFold(c.Tag, tag) {
			return c.ID
		}
	}
	return ""
}
