package auditrules

// A binding to cluster-admin is the one-step path to owning the cluster: every
// permission on every resource, secrets and nodes included. Attackers who can
// write bindings (or bind roles) create one for an account they control, and it
// stays until someone removes it. An equivalent role (any Role or ClusterRole
// whose rules grant every verb on every resource) is the same: the detection
// knows it from the roles written earlier in the log, or from the RBAC model of
// the run (-f manifests or the cluster).

import (
	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-920", Title: "Binding to cluster-admin or an equivalent role", Severity: finding.High, Category: catAudit,
			Rationale: "A RoleBinding or ClusterRoleBinding whose roleRef is cluster-admin, or a role granting every verb on every resource, gives its subjects full control: of the namespace for a RoleBinding, of the whole cluster (secrets, nodes, RBAC itself) for a ClusterRoleBinding. Creating one is how an attacker who can write bindings makes its access permanent (MITRE T1098.006). " +
				"A role is equivalent when its rules, as written earlier in the log or as the run's RBAC model (-f or --cluster) holds them (aggregation included), grant '*' verbs on '*' resources of '*' groups; the chain then includes the event that wrote the role. " +
				"Critical for a ClusterRoleBinding. The API server's own bootstrap of the default policy (user system:apiserver) is not reported.",
			Remediation: "Check who created the binding and for whom; delete it unless it is a documented break-glass grant. Bind cluster-admin to no service account and to one small group of people; give everyone else roles listing the verbs and resources they use (palisade audit rbac derives them from the log).",
			References:  []string{refRBAC, refRBACGood, mitreURL("T1098.006")},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1098.006", "T1078"}, CIS: []string{"5.1.1"}, NSA: []string{nsaRBAC}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, []audit.Need{
		{Verbs: []string{"create", "update", "patch"}, APIGroup: rbacGroup, Resources: []string{"rolebindings", "clusterrolebindings"}, Level: auditlog.LevelRequest, Stage: auditlog.StageResponseComplete},
		{Verbs: []string{"create", "update", "patch", "delete"}, APIGroup: rbacGroup, Resources: []string{"roles", "clusterroles"}, Level: auditlog.LevelRequest, Stage: auditlog.StageResponseComplete},
	}, func(s *audit.Setup) audit.Detector {
		return &adminBinding{roles: audit.NewLRU[string, *auditlog.Event](s.Limits.MaxObjects)}
	})
}

// adminBinding remembers the roles written in the log that grant everything
// (with the event that wrote them; nil value: written without it).
type adminBinding struct {
	roles *audit.LRU[string, *auditlog.Event]
}

func (d *adminBinding) Event(c *audit.Context) {
	ev := c.Event()
	o := ev.ObjectRef
	if o == nil || o.APIGroup != rbacGroup || !completed(ev) || !ev.Succeeded() || o.Subresource != "" || isDryRun(ev) {
		return
	}
	switch o.Resource {
	case "roles", "clusterroles":
		d.roleWritten(c)
		return
	case "rolebindings", "clusterrolebindings":
	default:
		return
	}
	if !isWrite(ev.Verb) || c.Actor().User == apiServerUser {
		return
	}
	body := writtenObject(c)
	if body == nil {
		return
	}
	kind, name := str(body, "roleRef", "kind"), str(body, "roleRef", "name")
	roleNS := ""
	if kind == "Role" {
		roleNS = o.Namespace
	}
	var chain []*auditlog.Event
	what := ""
	switch {
	case kind == "ClusterRole" && name == "cluster-admin":
		what = "cluster-admin"
	default:
		if created, ok := d.roles.Get(roleKey(kind, roleNS, name)); ok {
			if created == nil {
				return
			}
			what = kind + " " + name + " (granting every verb on every resource, written in the log)"
			chain = append(chain, created)
		} else if m, _ := c.RBAC(); m != nil {
			if rs, ok := m.RoleRules(kind, roleNS, name); ok && grantsEverything(rs) {
				what = kind + " " + name + " (granting every verb on every resource)"
			}
		}
	}
	if what == "" {
		return
	}
	sev, scope := finding.High, "namespace "+o.Namespace
	if o.Resource == "clusterrolebindings" {
		sev, scope = finding.Critical, "the cluster"
	}
	msg := audit.KindOf(o.Resource) + " " + str(body, "metadata", "name") + " binds " + what + " to " + subjectsText(body, o.Namespace) + " over " + scope
	if b := broadSubject(body); b != "" {
		sev = finding.Critical
		msg += " (" + b + " is every such identity)"
	}
	c.Report(audit.Report{Chain: chain, Severity: sev, HasSeverity: true, Message: msg})
}

func (d *adminBinding) roleWritten(c *audit.Context) {
	ev := c.Event()
	o := ev.ObjectRef
	key := roleKey(audit.KindOf(o.Resource), o.Namespace, o.Name)
	if ev.Verb == "delete" {
		d.roles.Delete(key)
		return
	}
	if !isWrite(ev.Verb) {
		return
	}
	body := writtenObject(c)
	if body == nil {
		return
	}
	if o.Name == "" {
		key = roleKey(audit.KindOf(o.Resource), o.Namespace, str(body, "metadata", "name"))
	}
	if grantsEverything(policyRules(body)) {
		d.roles.Put(key, audit.Trim(ev))
	} else {
		// Remembered as not granting everything: the log's version wins over the
		// model's (the role was rewritten since the state was read).
		d.roles.Put(key, nil)
	}
}
