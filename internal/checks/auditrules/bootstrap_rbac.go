package auditrules

// The bootstrap RBAC policy is what Kubernetes' own components run on:
// system:node, system:kube-controller-manager, the system:controller:* roles,
// cluster-admin, admin, edit, view and their bindings. The API server recreates
// and reconciles them at start unless a role carries the annotation
// rbac.authorization.kubernetes.io/autoupdate: "false". Editing one (adding a
// rule to system:node or system:discovery, a subject to a system binding) is
// persistence that blends in; deleting one breaks components or removes a guard.

import (
	"strings"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

const (
	bootstrapLabel      = "kubernetes.io/bootstrapping"
	autoupdateAnnotaton = "rbac.authorization.kubernetes.io/autoupdate"
)

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-923", Title: "System ClusterRole or binding modified or deleted", Severity: finding.High, Category: catAudit,
			Rationale: "The default roles and bindings (names starting with system:, cluster-admin, admin, edit, view, or labelled kubernetes.io/bootstrapping=rbac-defaults) are what the cluster's components and its default access model run on. A person or an application changing one adds permissions where nobody reviews them, or subjects to a binding everyone trusts (MITRE T1098.006); with autoupdate set to false the API server keeps the change across restarts. Deleting one breaks components or a guard until the API server restarts. " +
				"Changes by the API server's reconciliation (system:apiserver) and by controllers (system identities, such as the aggregation controller filling admin, edit and view) are not reported; neither is creation (the API server creates them). Roles and RoleBindings count in kube-system and kube-public, where the bootstrap policy has some.",
			Remediation: "Revert the change (delete the object: the API server recreates the default at its next start, or apply the default from the Kubernetes release), remove the autoupdate annotation, and find out who could write it. Extend access with new roles and bindings, never by editing the defaults.",
			References:  []string{refRBAC, "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#auto-reconciliation", mitreURL("T1098.006")},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1098.006"}, NSA: []string{nsaRBAC}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, []audit.Need{{Verbs: []string{"update", "patch", "delete"}, APIGroup: rbacGroup, Resources: []string{"clusterroles", "clusterrolebindings", "roles", "rolebindings"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete}},
		func(*audit.Setup) audit.Detector { return systemRBAC{} })
}

var defaultRoleNames = map[string]bool{"cluster-admin": true, "admin": true, "edit": true, "view": true}

type systemRBAC struct{}

func (systemRBAC) Event(c *audit.Context) {
	ev := c.Event()
	o := ev.ObjectRef
	if o == nil || o.APIGroup != rbacGroup || o.Subresource != "" || !completed(ev) || !ev.Succeeded() || isDryRun(ev) {
		return
	}
	switch ev.Verb {
	case "update", "patch", "delete":
	default:
		return
	}
	switch o.Resource {
	case "clusterroles", "clusterrolebindings":
	case "roles", "rolebindings":
		if o.Namespace != "kube-system" && o.Namespace != "kube-public" {
			return
		}
	default:
		return
	}
	if a := c.Actor(); a.System || a.User == apiServerUser {
		return
	}
	var body map[string]any
	if ev.Verb != "delete" {
		body = writtenObject(c)
	}
	name := o.Name
	if name == "" {
		name = str(body, "metadata", "name")
	}
	labelled := str(body, "metadata", "labels", bootstrapLabel) == "rbac-defaults"
	if !labelled && !strings.HasPrefix(name, "system:") && !(o.Namespace == "" && defaultRoleNames[name]) {
		return
	}
	what := "modified"
	if ev.Verb == "delete" {
		what = "deleted"
	}
	msg := audit.KindOf(o.Resource) + " " + name + " " + what
	if o.Namespace != "" {
		msg = audit.KindOf(o.Resource) + " " + o.Namespace + "/" + name + " " + what
	}
	if str(body, "metadata", "annotations", autoupdateAnnotaton) == "false" {
		msg += " with autoupdate disabled: the API server will not restore it"
	}
	c.Reportf(nil, "%s", msg)
}
