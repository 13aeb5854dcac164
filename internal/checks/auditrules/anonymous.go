package auditrules

// Anonymous requests are those no authenticator claimed: the API server gives them
// the user system:anonymous in the group system:unauthenticated, and RBAC decides
// what they may do. By default that is the health and version endpoints and the
// service-account issuer discovery documents (system:public-info-viewer,
// system:service-account-issuer-discovery); anything else allowed to anonymous
// users means a binding to system:anonymous, system:unauthenticated or a
// permissive authorizer, readable by anyone who reaches the API server.

import (
	"net/url"
	"strings"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// publicPaths are the non-resource paths the default policy lets anonymous users
// read (their subpaths too: /readyz/etcd, /livez/ping).
var publicPaths = []string{"/healthz", "/livez", "/readyz", "/version", "/.well-known/openid-configuration", "/openid/v1/jwks"}

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-924", Title: "Anonymous request allowed", Severity: finding.High, Category: catAudit,
			Rationale: "An allowed request of system:anonymous (or of the group system:unauthenticated) was served to someone who presented no credential: whatever it read or changed is open to anyone who can reach the API server (MITRE T1078.001: the anonymous user is a default account). " +
				"The endpoints the default policy opens to everyone (/healthz, /livez, /readyz and their checks, /version, /.well-known/openid-configuration, /openid/v1/jwks) are not reported unless countHealthEndpoints is true. One finding per source address and request (verb and resource or path) per window.",
			Remediation: "Remove the bindings that name system:anonymous or system:unauthenticated (palisade rbac who-can shows them); set --anonymous-auth=false on the API server, or, from Kubernetes 1.32, allow anonymous requests only to the health endpoints with an AuthenticationConfiguration anonymous.conditions list.",
			References:  []string{refAuthn + "#anonymous-requests", refRBACGood, mitreURL("T1078.001")},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1078.001"}, CIS: []string{"1.2.1"}, NSA: []string{nsaAuthn}, Layer: layerCluster},
			Params: []rules.Param{{Name: "countHealthEndpoints", Description: "Report anonymous requests to the health, version and issuer discovery endpoints too.",
				Default: "false", Values: []string{"true", "false"}}},
		},
		Targets: rules.Audit,
	}, []audit.Need{
		{Verbs: []string{"*"}, Resources: []string{"*"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete, Users: []string{"system:anonymous"}},
		{Verbs: []string{"*"}, NonResource: true, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete, Users: []string{"system:anonymous"}},
	}, func(s *audit.Setup) audit.Detector {
		return &anonymous{health: s.String("countHealthEndpoints") == "true", once: newOnceIn(s, s.Limits.Window)}
	})
}

type anonymous struct {
	health bool
	once   *onceIn
}

// publicPath reports whether a request URI is one of publicPaths or below one.
func publicPath(uri string) bool {
	p := uri
	if u, err := url.Parse(uri); err == nil {
		p = u.Path
	}
	for _, pp := range publicPaths {
		if p == pp || strings.HasPrefix(p, pp+"/") {
			return true
		}
	}
	return false
}

func (d *anonymous) Event(c *audit.Context) {
	ev := c.Event()
	if !completed(ev) || !ev.Allowed() || ev.Code() == 401 {
		return
	}
	a := c.Actor()
	if !a.Anonymous || a.Impersonator != nil {
		return
	}
	what := ev.Verb + " "
	if ev.ObjectRef == nil {
		if !d.health && publicPath(ev.RequestURI) {
			return
		}
		p := ev.RequestURI
		if u, err := url.Parse(p); err == nil {
			p = u.Path
		}
		what += p
	} else {
		what += ev.Resource()
		if ns := ev.ObjectRef.Namespace; ns != "" {
			what += " in " + ns
		}
	}
	if !d.once.First(remoteAddress(ev)+"\x00"+what, c.Now()) {
		return
	}
	c.Reportf(nil, "anonymous request allowed from %s: %s", orUnknown(remoteAddress(ev)), what)
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown address"
	}
	return s
}
