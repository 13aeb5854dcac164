package leastpriv

// Analysis: what each identity used against what the RBAC model grants it. Every
// use is asked of the model as the authorizer is asked (rbac.Model.Authorize, the
// one matcher), so a rule covers a use exactly when the API server would allow the
// use through it: wildcards, subresources, resourceNames and where a binding
// applies all count. A rule of a group's binding counts for each member that is
// seen using it.

import (
	"fmt"
	"time"

	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/rbac"
)

// Use is one permission used, with what the log says of it and whether the model
// explains it.
type Use struct {
	Perm
	Stat
	// Reason says why no RBAC rule of the model covers the use, when none does
	// (system:masters, another authorizer, an RBAC input that is not the
	// cluster's).
	Reason string `json:"reason,omitempty"`
	// Default: only the bootstrap policy covers it (discovery, /version, ...: what
	// the API server grants every identity); the minimal roles leave it out.
	Default bool `json:"default,omitempty"`
}

// RuleUse is one rule a subject holds, with the uses it covered.
type RuleUse struct {
	Grant   rbac.Grant `json:"grant"`
	Covered []Perm     `json:"covered,omitempty"`
}

// SubjectReport is the least-privilege view of one identity.
type SubjectReport struct {
	Subject rbac.Subject `json:"subject"`
	Groups  []string     `json:"groups,omitempty"`
	// Events counts its allowed, completed requests.
	Events int `json:"events"`
	// Masters: its requests carried system:masters, which RBAC never judges.
	Masters bool  `json:"masters,omitempty"`
	Used    []Use `json:"used"`
	// Granted are the rules it holds (own bindings and its groups'), each with the
	// uses it covered; Unused those that covered none, leaving out the bootstrap
	// policy's (Kubernetes' own defaults, not the cluster's choice).
	Granted []RuleUse    `json:"granted,omitempty"`
	Unused  []rbac.Grant `json:"unused,omitempty"`
	// Truncated: some uses were not recorded (Dropped) or recorded without their
	// object names (NamesDropped); roles derived from it may be insufficient.
	Truncated    bool `json:"truncated,omitempty"`
	Dropped      int  `json:"dropped,omitempty"`
	NamesDropped int  `json:"namesDropped,omitempty"`
	// Last is its latest event (the evidence of a finding).
	Last *auditlog.Event `json:"-"`
}

// Report is the least-privilege view of a log.
type Report struct {
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// RBAC says whether grants were known (a model was given).
	RBAC     bool            `json:"rbac"`
	Subjects []SubjectReport `json:"subjects"`
	// DroppedEvents counts the events of identities over the MaxSubjects bound.
	DroppedEvents int `json:"droppedEvents,omitempty"`
}

// Analyze compares each recorded identity's uses with the model's grants (m nil:
// uses only). keep, if set, selects the subjects reported.
func Analyze(c *Collector, m *rbac.Model, keep func(rbac.Subject) bool) Report {
	rep := Report{RBAC: m != nil, DroppedEvents: c.DroppedSubjects()}
	rep.First, rep.Last = c.Window()
	for _, u := range c.Subjects() {
		if keep != nil && !keep(u.Subject) {
			continue
		}
		rep.Subjects = append(rep.Subjects, analyzeSubject(u, m))
	}
	return rep
}

// UserInfo is the user the identity's requests carried: its name and the groups
// its events had (the authenticator's), else those the authenticator always adds.
func (u *Usage) UserInfo() rbac.UserInfo {
	if len(u.Groups) == 0 {
		return rbac.UserInfoFor(u.Subject, nil)
	}
	return rbac.UserInfo{Name: u.Subject.Username(), Groups: append([]string(nil), u.Groups...)}
}

func grantKey(g rbac.Grant) string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%d\x00%s\x00%s", g.Binding, g.Role, g.Source, g.RuleIndex, g.Subject, g.Namespace)
}

func analyzeSubject(u *Usage, m *rbac.Model) SubjectReport {
	sr := SubjectReport{
		Subject: u.Subject, Groups: u.Groups, Events: u.Events, Last: u.Last,
		Dropped: u.Dropped, NamesDropped: u.NamesDropped, Truncated: u.Dropped > 0 || u.NamesDropped > 0,
	}
	for _, g := range u.Groups {
		sr.Masters = sr.Masters || g == rbac.GroupMasters
	}
	ui := u.UserInfo()
	if sr.Masters {
		// Members of system:masters are allowed before RBAC is asked: the rules are
		// judged as if it were not (what would be left without the break-glass group).
		var gs []string
		for _, g := range ui.Groups {
			if g != rbac.GroupMasters {
				gs = append(gs, g)
			}
		}
		ui.Groups = gs
	}
	perms := u.SortedPerms()
	var rules []rbac.EffectiveRule
	index := map[string]int{}
	if m != nil {
		rules = m.RulesForAnyNamespace(ui)
		sr.Granted = make([]RuleUse, len(rules))
		for i, r := range rules {
			sr.Granted[i].Grant = r.Grant
			index[grantKey(r.Grant)] = i
		}
	}
	for _, p := range perms {
		use := Use{Perm: p, Stat: *u.Perms[p]}
		if m != nil {
			d := m.Authorize(p.Attributes(ui))
			use.Default = len(d.Grants) > 0
			for _, g := range d.Grants {
				use.Default = use.Default && g.Default
				if i, ok := index[grantKey(g)]; ok {
					sr.Granted[i].Covered = append(sr.Granted[i].Covered, p)
				}
			}
			switch {
			case !d.Allowed && sr.Masters:
				use.Reason = rbac.GroupMasters + " bypasses RBAC"
			case !d.Allowed:
				use.Reason = "no RBAC rule of the input allows it: another authorizer (Node, a webhook) allowed it, or the RBAC input is not the cluster's"
			case len(d.Grants) == 0:
				use.Reason = d.Reason
			}
		}
		sr.Used = append(sr.Used, use)
	}
	for _, r := range sr.Granted {
		if len(r.Covered) == 0 && !r.Grant.Default {
			sr.Unused = append(sr.Unused, r.Grant)
		}
	}
	return sr
}

// Perms lists the permissions the subject used.
func (sr *SubjectReport) Perms() []Perm {
	out := make([]Perm, len(sr.Used))
	for i, u := range sr.Used {
		out[i] = u.Perm
	}
	return out
}

// Needed lists the permissions the minimal roles must grant: those used, less those
// only the bootstrap policy covers (the API server grants them to every identity and
// restores them when it starts).
func (sr *SubjectReport) Needed() []Perm {
	var out []Perm
	for _, u := range sr.Used {
		if !u.Default {
			out = append(out, u.Perm)
		}
	}
	return out
}
