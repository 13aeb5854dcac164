package namespaces

// Namespaces are Kubernetes' unit of administrative separation: RBAC, quotas, network
// policies and Pod Security admission all attach to them. Two namespaces are special.
// `default` is where everything lands that names no namespace, so workloads there
// share their boundary with whatever else was deployed carelessly. `kube-system` holds
// the control plane and cluster add-ons, whose service accounts are among the most
// privileged in the cluster; a user workload there sits next to them, is usually
// exempted from Pod Security admission, and anyone who can manage it is one step from
// the control plane.
//
// Which objects: PAL-601 flags only workloads whose namespace is `default` explicitly:
// written in metadata.namespace, or given to the scan with --namespace default. An
// object that names no namespace (most charts and plain manifests), scanned without
// --namespace, is deployed wherever `kubectl -n` or `helm --namespace` puts it, so the
// file says nothing about where it ends up. PAL-602 flags workloads whose namespace is
// kube-system, whether written in metadata.namespace or given to the scan with
// --namespace kube-system (the only way a defaulted namespace can be kube-system),
// unless the workload is a known system component (by name or label, both
// parameters).

import (
	"path"
	"strings"

	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const (
	catNamespaces = "namespaces"

	refNamespaces    = "https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/"
	refNSInitial     = "https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/#initial-namespaces"
	refMultiTenancy  = "https://kubernetes.io/docs/concepts/security/multi-tenancy/"
	refPSA           = "https://kubernetes.io/docs/concepts/security/pod-security-admission/"
	refPSALabels     = "https://kubernetes.io/docs/concepts/security/pod-security-admission/#pod-security-admission-labels-for-namespaces"
	refPSAEnforceNS  = "https://kubernetes.io/docs/tasks/configure-pod-container/enforce-standards-namespace-labels/"
	refPSAExemptions = "https://kubernetes.io/docs/concepts/security/pod-security-admission/#exemptions"

	cisDefaultNamespace = "5.6.4"
	cisNamespaceBounds  = "5.6.1"
	cisPolicyControl    = "5.2.1"
)

// defaultSystemComponents are workload names (shell patterns) of the control plane and
// of the add-ons that distributions and managed services install in kube-system.
var defaultSystemComponents = []string{
	"kube-apiserver*", "kube-controller-manager*", "kube-scheduler*", "etcd*",
	"cloud-controller-manager*", "kube-proxy*", "coredns*", "kube-dns*",
	"metrics-server*", "cluster-autoscaler*", "konnectivity-agent*", "node-local-dns*",
	"ip-masq-agent*", "calico-*", "cilium*", "hubble-*", "kube-flannel*", "flannel*",
	"canal*", "weave-net*", "kube-router*", "aws-node*", "aws-load-balancer-controller*",
	"ebs-csi-*", "efs-csi-*", "csi-*", "azure-*", "gke-*", "vpa-*",
	"nvidia-device-plugin*",
}

// defaultSystemLabels are labels (key=value, the value a shell pattern) that mark
// system components: static control-plane pods (kubeadm), add-ons of the addon
// manager, and the legacy cluster-service marker.
var defaultSystemLabels = []string{
	"tier=control-plane",
	"addonmanager.kubernetes.io/mode=*",
	"kubernetes.io/cluster-service=true",
}

func namespaceFrameworks(cis ...string) rules.Frameworks {
	return rules.Frameworks{CIS: cis, NSA: []string{nsaPodSec}, Layer: layerCluster}
}

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-601", Title: "Workload in the default namespace", Severity: low, Category: catNamespaces,
			Rationale: "The default namespace is where every object that names no namespace lands, so workloads there share RBAC, quota, " +
				"network-policy and Pod Security boundaries with whatever else was deployed without thought. " +
				"Only workloads whose metadata.namespace says default explicitly, or that the scan's --namespace default puts there, are flagged: " +
				"an object with no namespace is deployed wherever kubectl -n or helm --namespace puts it.",
			Remediation: "Create a dedicated namespace for the application (with its own RBAC, ResourceQuota, NetworkPolicies and Pod Security labels) and set metadata.namespace to it.",
			References:  []string{refNamespaces, refNSInitial},
			Frameworks:  namespaceFrameworks(cisNamespaceBounds, cisDefaultNamespace),
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			o := w.Object
			if !o.NamespaceKnown() || o.Ref.Namespace != "default" {
				return
			}
			how := ""
			if o.NamespaceDefaulted {
				how = " (the scan's --namespace puts it there)"
			}
			p.Report("metadata.namespace", "", "%s %q is deployed in the default namespace%s", o.Ref.Kind, o.Ref.Name, how)
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-602", Title: "User workload in kube-system", Severity: medium, Category: catNamespaces,
			Rationale: "kube-system holds the control plane and cluster add-ons. It is usually exempt from Pod Security admission and " +
				"holds highly privileged service accounts and secrets, so a user workload there escapes the policies applied to " +
				"application namespaces, and whoever can manage it can reach those credentials. " +
				"Known system components (by name or label, see the parameters) are not flagged.",
			Remediation: "Move the workload to a namespace of its own; if it really is a cluster component, add its name or a label to the rule's allowedNames or allowedLabels parameter.",
			References:  []string{refNSInitial, refMultiTenancy},
			Frameworks:  namespaceFrameworks(cisNamespaceBounds),
			Params: []rules.Param{
				{Name: "allowedNames", Syntax: rules.Glob, Description: "Workload names (shell patterns) of system components allowed in kube-system.", Default: defaultSystemComponents},
				{Name: "allowedLabels", Syntax: rules.KeyGlob, Description: "Labels (key=value, the value a shell pattern) on the workload or its pod template that mark a system component allowed in kube-system.", Default: defaultSystemLabels},
			},
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			o := w.Object
			if o.Ref.Namespace != "kube-system" {
				return
			}
			if matchAny(p.Strings("allowedNames"), o.Ref.Name) {
				return
			}
			allowed := p.Strings("allowedLabels")
			if labelsMatch(allowed, o.Labels) || (w.Meta != nil && labelsMatch(allowed, w.Meta.Labels)) {
				return
			}
			where := "metadata.namespace"
			how := "metadata.namespace is kube-system"
			if o.NamespaceDefaulted {
				how = "the scan's --namespace puts it in kube-system"
			}
			p.Report(where, "", "%s %q is not a known system component, but %s", o.Ref.Kind, o.Ref.Name, how)
		},
	})
}

// labelsMatch reports whether labels carry one of the key=value patterns (the value a
// shell pattern; a bare key matches any value).
func labelsMatch(patterns []string, labels map[string]string) bool {
	if len(labels) == 0 {
		return false
	}
	for _, pt := range patterns {
		key, val, hasVal := strings.Cut(pt, "=")
		v, ok := labels[strings.TrimSpace(key)]
		if !ok {
			continue
		}
		if !hasVal {
			return true
		}
		if m, err := path.Match(strings.TrimSpace(val), v); err == nil && m {
			return true
		}
	}
	return false
}
