package auditrules

// Deletions: events (PAL-915: the record of what happened, deleted to cover
// tracks), workloads, namespaces and volumes (PAL-916: impact), Secrets modified or
// deleted (PAL-917: credentials replaced or destroyed). Kubernetes components and
// controllers delete such objects every day (the namespace controller empties a
// deleted namespace, the garbage collector removes owned objects); those identities
// are skipped, and so is Helm's release bookkeeping in Secrets.

import (
	"strings"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

var deleteVerbs = []string{"delete", "deletecollection"}

// impactResources are the objects whose deletion is an impact, with the severity
// of deleting one.
var impactResources = map[string]finding.Severity{
	"namespaces": finding.High, "persistentvolumeclaims": finding.High, "persistentvolumes": finding.High,
	"deployments": finding.Medium, "statefulsets": finding.Medium, "daemonsets": finding.Medium,
	"cronjobs": finding.Medium, "replicationcontrollers": finding.Medium,
}

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-915", Title: "Events deleted", Severity: finding.Medium, Category: catAudit,
			Rationale: "Kubernetes events record what the cluster did (pods scheduled, images pulled, probes failed, containers killed); they expire on their own after an hour. Deleting them early is covering tracks: nothing in the cluster needs it, and the audit log is then the only record left. " +
				"Deletions by Kubernetes components and controllers (the namespace controller emptying a namespace) are skipped; a deletecollection is high.",
			Remediation: "Find out who deleted the events and what they recorded (the audit log still has the requests that caused them). Do not grant delete on events to people or applications; ship events to a store outside the cluster.",
			References:  []string{refAuditing, "https://attack.mitre.org/techniques/T1070/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1070"}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, []audit.Need{
		{Verbs: deleteVerbs, Resources: []string{"events"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete},
		{Verbs: deleteVerbs, APIGroup: "events.k8s.io", Resources: []string{"events"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete},
	}, func(*audit.Setup) audit.Detector { return eventsDeleted{} })

	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-916", Title: "Workload, namespace or volume deleted", Severity: finding.Medium, Category: catAudit,
			Rationale: "Deleting a namespace deletes everything in it; deleting a persistent volume or claim can destroy its data; deleting a Deployment, StatefulSet, DaemonSet or CronJob stops a service. An attacker with the rights does it to cause damage, to extort, or to remove what they deployed. " +
				"Deletions by Kubernetes components and controllers are skipped (the garbage collector, the namespace controller); namespaces and volumes are high.",
			Remediation: "Check that the deletion was intended. Restrict delete on namespaces and volumes to administrators, protect volumes with a Retain reclaim policy and backups, and keep workloads in Git so they can be restored.",
			References:  []string{refAuditing, "https://attack.mitre.org/techniques/T1485/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1485"}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, []audit.Need{
		{Verbs: deleteVerbs, Resources: []string{"namespaces", "persistentvolumeclaims", "persistentvolumes", "replicationcontrollers"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete},
		{Verbs: deleteVerbs, APIGroup: "apps", Resources: []string{"deployments", "statefulsets", "daemonsets"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete},
		{Verbs: deleteVerbs, APIGroup: "batch", Resources: []string{"cronjobs"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete},
	}, func(*audit.Setup) audit.Detector { return impactDeleted{} })

	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-917", Title: "Secret modified or deleted by a non-system identity", Severity: finding.Medium, Category: catAudit,
			Rationale: "Replacing a Secret's value swaps a credential the workloads use (an attacker's database password, registry credential or webhook certificate); deleting one breaks the workloads or destroys a key that cannot be recovered. Both are normally done by a deployment pipeline or an operator, rarely by hand. " +
				"Kubernetes components and controllers are skipped, and so is Helm's release record (Secrets of type helm.sh/release.v1, named sh.helm.release.v1.*); the finding never shows the Secret's data.",
			Remediation: "Check who changed the Secret and whether it was expected; rotate the credential if not. Restrict update and delete on secrets to the pipeline or operator that manages them, and manage Secrets from an external store.",
			References:  []string{refAuditing, "https://kubernetes.io/docs/concepts/configuration/secret/", "https://attack.mitre.org/techniques/T1485/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1098", "T1485"}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, []audit.Need{{Verbs: []string{"update", "patch", "delete", "deletecollection"}, Resources: []string{"secrets"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete}},
		func(*audit.Setup) audit.Detector { return secretChanged{} })
}

type eventsDeleted struct{}

func (eventsDeleted) Event(c *audit.Context) {
	ev := c.Event()
	if !changed(ev, deleteVerbs...) || ev.ObjectRef.Resource != "events" || ev.ObjectRef.Subresource != "" || !person(c.Actor()) {
		return
	}
	r := audit.Report{Message: "event " + nsName(ev.ObjectRef.Namespace, ev.ObjectRef.Name) + " deleted"}
	if ev.Verb == "deletecollection" {
		r.Message = "events deleted (collection)"
		if ev.ObjectRef.Namespace != "" {
			r.Message = "events of namespace " + ev.ObjectRef.Namespace + " deleted (collection)"
		}
		r.Severity, r.HasSeverity = finding.High, true
	}
	c.Report(r)
}

type impactDeleted struct{}

func (impactDeleted) Event(c *audit.Context) {
	ev := c.Event()
	if !changed(ev, deleteVerbs...) || ev.ObjectRef.Subresource != "" || !person(c.Actor()) {
		return
	}
	sev, ok := impactResources[ev.ObjectRef.Resource]
	if !ok {
		return
	}
	ref := audit.RefOf(ev)
	what := audit.KindOf(ev.ObjectRef.Resource) + " " + nsName(ref.Namespace, ref.Name)
	if ev.Verb == "deletecollection" {
		what = "every " + audit.KindOf(ev.ObjectRef.Resource)
		if ref.Namespace != "" {
			what += " of namespace " + ref.Namespace
		}
		sev = finding.High
	}
	c.Report(audit.Report{Severity: sev, HasSeverity: true, Message: what + " " + verbText(ev.Verb)})
}

type secretChanged struct{}

func (secretChanged) Event(c *audit.Context) {
	ev := c.Event()
	if !changed(ev, "update", "patch", "delete", "deletecollection") || ev.ObjectRef.Resource != "secrets" || ev.ObjectRef.Subresource != "" || !person(c.Actor()) {
		return
	}
	if strings.HasPrefix(ev.ObjectRef.Name, "sh.helm.release.v1.") {
		return
	}
	if body, _ := c.Body(); body != nil && body["type"] == "helm.sh/release.v1" {
		return
	}
	what := "Secret " + nsName(ev.ObjectRef.Namespace, ev.ObjectRef.Name)
	if ev.Verb == "deletecollection" {
		what = "every Secret of namespace " + ev.ObjectRef.Namespace
	}
	c.Reportf(nil, "%s %s by %s", what, verbText(ev.Verb), c.Actor().User)
}
