package auditrules

// Impersonation (kubectl --as, the Impersonate-* headers) lets one identity act as
// another: the request is authorized as the impersonated user, and only the audit
// log says who really made it. Administrators use it to test permissions; an
// attacker holding impersonate acts as cluster-admin without ever being bound to
// it. Who was impersonated decides how bad it is.

import (
	"strings"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-926", Title: "Request impersonating another identity", Severity: finding.Medium, Category: catAudit,
			Rationale: "An allowed request with impersonation headers ran with the permissions of another user, group or service account; RBAC judged the impersonated identity, not the one who sent it. Holding impersonate on users or groups is holding every permission of whoever can be named (MITRE T1078, T1550.001 for a service account's identity). " +
				"High when the impersonated identity is in system:masters, is a node or a kube-system service account, or (with the run's RBAC model) holds a dangerous capability of palisade rbac risks, which the finding lists. One finding per impersonator and impersonated identity per window.",
			Remediation: "Check that the impersonation was expected; grant impersonate only with resourceNames naming the identities an administrator may test, never on groups such as system:masters, and never to workloads.",
			References:  []string{refImpersonate, refRBACGood, mitreURL("T1078"), mitreURL("T1550.001")},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1078", "T1550.001"}, CIS: []string{"5.1.8"}, NSA: []string{nsaRBAC}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, []audit.Need{
		{Verbs: []string{"*"}, Resources: []string{"*"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete},
		{Verbs: []string{"*"}, NonResource: true, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete},
	}, func(s *audit.Setup) audit.Detector { return &impersonation{once: newOnceIn(s, s.Limits.Window)} })
}

type impersonation struct{ once *onceIn }

func (d *impersonation) Event(c *audit.Context) {
	ev := c.Event()
	if ev.ImpersonatedUser == nil || !completed(ev) || !ev.Allowed() {
		return
	}
	a := c.Actor()
	if !d.once.First(identityKey(a)+"\x00"+strings.Join(a.Groups, ","), c.Now()) {
		return
	}
	who := a.User
	if who == "" {
		who = "groups " + strings.Join(a.Groups, ", ")
	}
	msg := ev.User.Username + " impersonated " + who + ": " + ev.Verb + " " + target(ev)
	sev := finding.Medium
	switch {
	case a.Masters:
		sev, msg = finding.High, msg+" (system:masters: every permission, no RBAC)"
	case a.Node:
		sev, msg = finding.High, msg+" (a node's identity)"
	case a.ServiceAccount != "" && a.System:
		sev, msg = finding.High, msg+" (a kube-system service account)"
	}
	// With an RBAC model the engine adds the impersonated identity's risk classes
	// and raises the severity one step.
	c.Report(audit.Report{Severity: sev, HasSeverity: true, Message: msg})
}
