package auditrules

// system:masters is the group RBAC never applies to: its members hold every
// permission, and no binding can be removed to take it away. Its only use should be
// break-glass: the administrator certificate kubeadm and installers write
// (admin.conf before kubeadm 1.29), valid for a year and impossible to revoke
// short of rotating the cluster CA. Any request made as a member is worth a look.

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
			ID: "PAL-925", Title: "system:masters identity used", Severity: finding.High, Category: catAudit,
			Rationale: "A request by a member of system:masters bypasses authorization entirely: no RBAC rule applies, no binding can be removed to stop it, and a client certificate carrying the group cannot be revoked before it expires. It is the break-glass credential; using it day to day, or from an unexpected place, is either a process failure or a stolen certificate (MITRE T1078). " +
				"One finding per user and source address per window. The API server's own loopback identity (system:apiserver, a member by design) is not reported; a request impersonating the group is, with the impersonator named.",
			Remediation: "Use personal identities bound to roles for daily work (kubeadm 1.29+ binds kubeadm:cluster-admins instead); keep the system:masters certificate offline; if it was used unexpectedly, rotate the cluster CA or, at least, find and remove every copy of the certificate.",
			References:  []string{refRBACGood, "https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/#normal-user", mitreURL("T1078")},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1078"}, CIS: []string{"5.1.7"}, NSA: []string{nsaRBAC}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, []audit.Need{
		{Verbs: []string{"*"}, Resources: []string{"*"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete, Groups: []string{"system:masters"}},
		{Verbs: []string{"*"}, NonResource: true, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete, Groups: []string{"system:masters"}},
	}, func(s *audit.Setup) audit.Detector { return &masters{once: newOnceIn(s, s.Limits.Window)} })
}

type masters struct{ once *onceIn }

func (d *masters) Event(c *audit.Context) {
	ev := c.Event()
	if !completed(ev) {
		return
	}
	a := c.Actor()
	if !a.Masters || a.User == apiServerUser {
		return
	}
	if !d.once.First(identityKey(a)+"\x00"+remoteAddress(ev), c.Now()) {
		return
	}
	msg := "request as " + a.User + " (system:masters) from " + orUnknown(remoteAddress(ev)) + ": " + ev.Verb + " " + target(ev)
	if a.Impersonator != nil {
		msg += ", impersonated by " + a.Impersonator.Username
	}
	c.Reportf(nil, "%s", msg)
}

// target is what a request acted on: "secrets kube-system/x", "/metrics".
func target(ev *auditlog.Event) string {
	o := ev.ObjectRef
	if o == nil {
		p, _, _ := strings.Cut(ev.RequestURI, "?")
		return p
	}
	s := ev.Resource()
	switch {
	case o.Namespace != "" && o.Name != "":
		s += " " + o.Namespace + "/" + o.Name
	case o.Name != "":
		s += " " + o.Name
	case o.Namespace != "":
		s += " in " + o.Namespace
	}
	return s
}
