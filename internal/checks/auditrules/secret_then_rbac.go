package auditrules

// Reading a secret and then changing RBAC is the shape of a privilege escalation:
// take a token or a credential, then grant yourself (or the account whose token
// you took) more. Each step alone is common; the two by the same identity within
// the window is one finding, with both events.

import (
	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-933", Title: "Secret read followed by an RBAC change by the same identity", Severity: finding.High, Category: catAudit,
			Rationale: "An identity that reads a Secret and then, within the window (Limits.Window, on the log's clock), creates or changes a Role, ClusterRole or binding may be turning a stolen credential into standing access (MITRE T1552.007 then T1098.006). Single-event rules see two ordinary requests; this finding ties them, with both events in its chain, the secret read first. " +
				"One finding per read and change: the next change needs another read. Controllers and Kubernetes components are exempt (exempt).",
			Remediation: "Review the RBAC change and revert it unless expected; check what the secret held and rotate it if the change was not legitimate.",
			References:  []string{refRBACGood, "https://kubernetes.io/docs/concepts/security/secrets-good-practices/", mitreURL("T1552.007"), mitreURL("T1098.006")},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1552.007", "T1098.006"}, NSA: []string{nsaRBAC}, Layer: layerCluster},
			Params: []rules.Param{
				{Name: "exempt", Description: "Users (shell patterns) not judged.", Default: defaultExempt, Syntax: rules.Glob},
			},
		},
		Targets: rules.Audit,
	}, []audit.Need{
		{Verbs: []string{"get", "list", "watch"}, Resources: []string{"secrets"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete},
		{Verbs: []string{"create", "update", "patch"}, APIGroup: rbacGroup, Resources: []string{"roles", "clusterroles", "rolebindings", "clusterrolebindings"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete},
	}, func(s *audit.Setup) audit.Detector {
		return &secretThenRBAC{exempt: s.Strings("exempt"), reads: audit.NewLRU[string, *auditlog.Event](s.Limits.MaxIdentities)}
	})
}

type secretThenRBAC struct {
	exempt []string
	reads  *audit.LRU[string, *auditlog.Event]
}

func (d *secretThenRBAC) Event(c *audit.Context) {
	ev := c.Event()
	read := isSecretRead(ev)
	change := !read && isRBACWrite(ev, "roles", "clusterroles", "rolebindings", "clusterrolebindings")
	if !read && !change {
		return
	}
	a := c.Actor()
	if matchAny(d.exempt, a.User) {
		return
	}
	key := identityKey(a)
	if read {
		d.reads.Put(key, audit.Trim(ev))
		return
	}
	r, ok := d.reads.Get(key)
	if !ok {
		return
	}
	d.reads.Delete(key)
	if c.Now().Sub(r.Time()) > c.Limits().Window {
		return
	}
	c.Reportf([]*auditlog.Event{r}, "%s %s %s %s after reading %s", who(a), ev.Verb, audit.KindOf(ev.ObjectRef.Resource), objName(ev), target(r))
}

// objName is an event's object as namespace/name or name.
func objName(ev *auditlog.Event) string {
	o := ev.ObjectRef
	if o.Namespace != "" {
		return o.Namespace + "/" + o.Name
	}
	return o.Name
}
