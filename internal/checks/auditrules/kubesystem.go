package auditrules

// kube-system and kube-public hold the control plane's own objects: its pods run
// with its service accounts, often privileged, on every node, and nobody looks
// twice at a pod named kube-proxy-x7k2p there. A person or an application creating
// a pod, a controller or a service account there is hiding among them (or about to
// use their privileges). Kubernetes components and controllers (system:
// identities, kube-system's service accounts) and kubelets create there every day
// and are not reported; other service accounts are (a CI identity that deploys
// into kube-system is worth knowing about).

import (
	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

const refMasquerade = "https://attack.mitre.org/techniques/T1036/005/"

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-908", Title: "Pod or workload created in kube-system or kube-public by a non-system identity", Severity: finding.High, Category: catAudit,
			Rationale: "Workloads in kube-system run beside the control plane's own, with their privileges within reach (its service accounts, its Secrets), and a backdoor named like a system pod is easily overlooked there. " +
				"Palisade reports pods and every pod controller created there by an identity that is not a Kubernetes component or controller (service accounts of other namespaces included), and skips the pods controllers make from their templates.",
			Remediation: "Check who created the workload and why in that namespace. Deploy add-ons to namespaces of their own; restrict create on workloads in kube-system to the cluster's administrators and its installer.",
			References:  []string{refAuditing, refMasquerade, "https://attack.mitre.org/techniques/T1610/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1610", "T1036.005"}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, []audit.Need{
		{Verbs: []string{"create"}, Resources: []string{"pods", "replicationcontrollers"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete},
		{Verbs: []string{"create"}, APIGroup: "apps", Resources: []string{"deployments", "daemonsets", "statefulsets", "replicasets"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete},
		{Verbs: []string{"create"}, APIGroup: "batch", Resources: []string{"jobs", "cronjobs"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete},
	}, func(*audit.Setup) audit.Detector { return kubeSystemWorkload{} })

	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-909", Title: "Service account created in kube-system or kube-public by a non-system identity", Severity: finding.Medium, Category: catAudit,
			Rationale: "A service account in kube-system is an identity that looks like the control plane's own: bound to a powerful role and given a token, it is durable access that blends in. The controllers create their own; a person or an application creating one is unusual. " +
				"Identities that are Kubernetes components or controllers are skipped; service accounts of other namespaces are not.",
			Remediation: "Check who created the service account and what it is bound to (palisade rbac who-can, the bindings naming it). Delete it if nobody expected it, and restrict create on serviceaccounts in kube-system.",
			References:  []string{refAuditing, "https://attack.mitre.org/techniques/T1136/001/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1136.001"}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, []audit.Need{{Verbs: []string{"create"}, Resources: []string{"serviceaccounts"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete}},
		func(*audit.Setup) audit.Detector { return kubeSystemSA{} })
}

type kubeSystemWorkload struct{}

func (kubeSystemWorkload) Event(c *audit.Context) {
	ev := c.Event()
	if !changed(ev, "create") || ev.ObjectRef.Subresource != "" || !systemNamespaces[ev.ObjectRef.Namespace] || !person(c.Actor()) {
		return
	}
	kind, ok := podResources[ev.ObjectRef.Resource]
	if !ok {
		return
	}
	ref := audit.RefOf(ev)
	// A pod from a template is the controller's (already judged); at level
	// Metadata the owner is unknown, but a person's identity never creates those.
	if w := podWriteOf(c); w != nil {
		ref = w.Ref
	}
	ref.Kind = kind
	c.Report(audit.Report{Object: ref, Message: lower(kind) + " " + nsName(ref.Namespace, ref.Name) + " created by " + c.Actor().User})
}

type kubeSystemSA struct{}

func (kubeSystemSA) Event(c *audit.Context) {
	ev := c.Event()
	if !changed(ev, "create") || ev.ObjectRef.Resource != "serviceaccounts" || ev.ObjectRef.Subresource != "" ||
		!systemNamespaces[ev.ObjectRef.Namespace] || !person(c.Actor()) {
		return
	}
	c.Reportf(nil, "service account %s created by %s", nsName(ev.ObjectRef.Namespace, ev.ObjectRef.Name), c.Actor().User)
}
