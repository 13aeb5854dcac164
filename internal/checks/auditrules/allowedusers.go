package auditrules

// Where the people who may use the API are known (a short list of administrators
// and the deployment pipeline), any other user name is either a mistake in the
// identity provider or a credential that should not exist (a forgotten client
// certificate, a token minted for a test). Idle until the list is set.

import (
	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-936", Title: "Request by a user outside the allowed users", Severity: finding.Medium, Category: catAudit,
			Rationale:   "A request was authenticated as a user the allowedUsers list does not name: a credential issued outside the expected process, or someone else's (MITRE T1078). Service accounts, nodes and Kubernetes components (system: users) are not judged, nor are anonymous requests (PAL-924). One finding per user per window; requests that were denied count too (an unknown identity probing is as telling). Idle while allowedUsers is empty.",
			Remediation: "Find where the credential came from (the user name of a client certificate is its CN; of an OIDC token, the claim the API server maps) and revoke it, or add the user to allowedUsers when it is legitimate.",
			References:  []string{refAuthn, mitreURL("T1078")},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1078"}, NSA: []string{nsaAuthn}, Layer: layerCluster},
			Params: []rules.Param{{Name: "allowedUsers", Description: "User names (shell patterns) allowed to use the API.",
				Default: []string{}, Required: true, Syntax: rules.Glob}},
		},
		Targets: rules.Audit,
	}, []audit.Need{
		{Verbs: []string{"*"}, Resources: []string{"*"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete},
		{Verbs: []string{"*"}, NonResource: true, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete},
	}, func(s *audit.Setup) audit.Detector {
		return &allowedUsers{allowed: s.Strings("allowedUsers"), once: newOnceIn(s, s.Limits.Window)}
	})
}

type allowedUsers struct {
	allowed []string
	once    *onceIn
}

func (d *allowedUsers) Event(c *audit.Context) {
	ev := c.Event()
	if len(d.allowed) == 0 || !completed(ev) {
		return
	}
	// The authenticated user, not an impersonated one: impersonation is PAL-926's.
	u := ev.User
	a := audit.ActorOf(&auditlog.Event{User: u})
	if u.Username == "" || a.System || a.Anonymous || a.ServiceAccount != "" || a.Node || matchAny(d.allowed, u.Username) {
		return
	}
	if !d.once.First(u.Username, c.Now()) {
		return
	}
	c.Report(audit.Report{Object: identityRef(a),
		Message: "request by " + u.Username + ", not in allowedUsers, from " + orUnknown(remoteAddress(ev)) + ": " + ev.Verb + " " + target(ev)})
}
