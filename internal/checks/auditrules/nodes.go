package auditrules

// Node identities. A Node object is how a machine joins the cluster: the scheduler
// sends it pods, with their Secrets. Kubelets register their own Node (the
// NodeRestriction admission plugin holds them to it); a Node created by anyone else
// is a fake node an attacker can attract workloads to. And a node's credential
// (system:node:NAME in system:nodes, the kubelet's client certificate) is used by
// the kubelet: the same credential used from kubectl or curl was taken from the
// node.

import (
	"path"
	"strings"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-918", Title: "Node created, or a node credential used, by an unexpected identity", Severity: finding.High, Category: catAudit,
			Rationale: "A Node object is a machine the scheduler trusts with pods and their Secrets: one created by anything but that node's own kubelet (or by a node whose name the allow-list does not expect) can attract workloads to a machine an attacker controls. " +
				"A node's credential used by a client other than the kubelet (its user agent is kubectl, curl or a script) was taken from the node: the identity can read the Secrets of every pod scheduled there. Each pair of node identity and client is reported once.",
			Remediation: "Delete an unexpected Node and find how it was registered (a bootstrap token, a stolen credential). Rotate a node credential used outside the kubelet, and enable the NodeRestriction admission plugin and the kubelet's certificate rotation.",
			References:  []string{refAuditing, "https://kubernetes.io/docs/reference/access-authn-authz/node/", "https://attack.mitre.org/techniques/T1078/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1078"}, Layer: layerCluster},
			Params: []rules.Param{{Name: "nodes", Syntax: rules.Glob, Default: []string{}, Description: "Names of the nodes expected to join (shell patterns); empty: any name (only the identity that creates the Node is judged)."},
				{Name: "nodeAgents", Default: []string{"kubelet/", "kube-proxy/"},
					Description: "Prefixes of the user agents expected of node credentials; a node identity whose request has another user agent is reported. Empty: not judged."}},
		},
		Targets: rules.Audit,
	}, []audit.Need{
		{Verbs: []string{"create"}, Resources: []string{"nodes"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete},
		{Verbs: []string{"*"}, Resources: []string{"*"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete, Groups: []string{"system:nodes"}},
	}, func(s *audit.Setup) audit.Detector {
		return &nodeDetector{names: s.Strings("nodes"), agents: s.Strings("nodeAgents"), seen: audit.NewLRU[[32]byte, struct{}](s.Limits.MaxIdentities)}
	})
}

type nodeDetector struct {
	names, agents []string
	seen          *audit.LRU[[32]byte, struct{}]
}

func (d *nodeDetector) Event(c *audit.Context) {
	ev := c.Event()
	if ev.Stage != auditlog.StageResponseComplete || !ev.Allowed() {
		return
	}
	a := c.Actor()
	if ev.ObjectRef != nil && ev.ObjectRef.Resource == "nodes" && ev.ObjectRef.Subresource == "" && changed(ev, "create") {
		name := objectRef(c, bodyOf(c)).Name
		self := a.Node && a.User == "system:node:"+name
		switch {
		case !self:
			c.Reportf(nil, "node %s created by %s, not by its own kubelet", name, a.User)
			return
		case len(d.names) > 0 && !globMatch(d.names, name):
			c.Report(audit.Report{Severity: finding.Medium, HasSeverity: true, Message: "node " + name + " joined the cluster, a name the allow-list does not expect"})
			return
		}
	}
	if !a.Node || len(d.agents) == 0 || hasPrefix(d.agents, ev.UserAgent) {
		return
	}
	key := digest(a.User, ev.UserAgent)
	if _, ok := d.seen.Get(key); ok {
		return
	}
	d.seen.Put(key, struct{}{})
	agent := ev.UserAgent
	if agent == "" {
		agent = "(none)"
	} else if len(agent) > 120 {
		agent = strings.ToValidUTF8(agent[:120], "") + "..."
	}
	c.Reportf(nil, "node credential %s used by client %s", a.User, agent)
}

func globMatch(globs []string, s string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, s); ok || g == s {
			return true
		}
	}
	return false
}

func hasPrefix(prefixes []string, s string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
