package controlplane

// Admission plugins run on every write the API server accepts, after authorization;
// several of them are what make other controls hold. NodeRestriction stops a kubelet
// from editing other nodes or labelling itself into workloads' node selectors;
// PodSecurity enforces the Pod Security Standards labels on namespaces; ServiceAccount
// and NamespaceLifecycle keep pods on existing accounts and objects out of deleted
// namespaces. kube-apiserver enables a default set (PodSecurity, ServiceAccount and
// NamespaceLifecycle among them, NodeRestriction not), --enable-admission-plugins adds
// to it and --disable-admission-plugins removes from it; the deprecated
// --admission-control replaces it. CIS 1.2.3, 1.2.9 to 1.2.14 and 5.2.1.

import (
	"fmt"
	"strings"

	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const (
	refAdmission   = "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/"
	refPSAdmission = "https://kubernetes.io/docs/concepts/security/pod-security-admission/"
)

// recommendedPluginCIS maps the admission plugins CIS recommends (as Manual checks)
// to their recommendation IDs.
var recommendedPluginCIS = map[string]string{
	"DenyServiceExternalIPs": "1.2.3",
	"EventRateLimit":         "1.2.9",
	"AlwaysPullImages":       "1.2.11",
}

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-706", Title: "NodeRestriction admission plugin not enabled", Severity: medium, Category: catControlPlane,
			Rationale:   "The Node authorizer decides what a kubelet may read; the NodeRestriction admission plugin decides what it may write. Without it a kubelet (or whoever holds its credentials) can modify other Node objects and the mirror pods of other nodes, and set node-restriction.kubernetes.io/ labels on its own Node to attract workloads pinned to trusted nodes. kube-apiserver does not enable it by default.",
			Remediation: "Add NodeRestriction to --enable-admission-plugins on kube-apiserver (and keep Node in --authorization-mode).",
			References:  []string{refAdmission + "#noderestriction", refNodeAuthz},
			Frameworks:  cpFrameworks([]string{"1.2.14"}, nsaNetControl),
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binAPIServer}, checkNodeRestriction)
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-707", Title: "Pod Security admission disabled", Severity: medium, Category: catControlPlane,
			Rationale: "The PodSecurity admission plugin enforces the Pod Security Standards levels that namespaces select with pod-security.kubernetes.io labels; it is enabled by default since Kubernetes 1.23. Disabling it (or leaving it out of a --admission-control list) makes those labels, and Palisade's namespace rules that rely on them, ineffective: any user who may create pods can create privileged ones. " +
				"CIS 5.2.1 asks for at least one active policy mechanism; a policy engine webhook (Kyverno, Gatekeeper) or ValidatingAdmissionPolicies can take PodSecurity's place, in which case suppress this finding.",
			Remediation: "Remove PodSecurity from --disable-admission-plugins on kube-apiserver (or add it to the --admission-control list), and label namespaces with the level they must enforce.",
			References:  []string{refPSAdmission, refAdmission + "#podsecurity"},
			Frameworks:  cpFrameworks([]string{"5.2.1"}, nsaPodSec),
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binAPIServer}, checkPodSecurityAdmission)
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-708", Title: "Admission plugin configuration weakens the API server", Severity: medium, Category: catControlPlane,
			Rationale:   "AlwaysAdmit is a deprecated plugin that admits every request and only makes the configuration misleading. ServiceAccount assigns pods their service account, mounts its token and rejects pods that name an account that does not exist; NamespaceLifecycle rejects objects in namespaces that are being deleted or do not exist, and protects the system namespaces from deletion. Both are on by default; disabling them removes checks other controls rely on.",
			Remediation: "On kube-apiserver remove AlwaysAdmit from --enable-admission-plugins, and ServiceAccount and NamespaceLifecycle from --disable-admission-plugins.",
			References:  []string{refAdmission},
			Frameworks:  cpFrameworks([]string{"1.2.10", "1.2.12", "1.2.13"}, nsaNetControl),
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binAPIServer}, checkWeakAdmission)
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-709", Title: "Recommended admission plugin not enabled", Severity: low, Category: catControlPlane,
			Rationale: "CIS recommends, as Manual checks that depend on the cluster, three plugins kube-apiserver does not enable by default: DenyServiceExternalIPs (1.2.3) rejects Services with externalIPs, which any user who may create Services can use to intercept traffic to those addresses (CVE-2020-8554); EventRateLimit (1.2.9) keeps a flood of Events from overloading the API server and etcd (it needs a configuration file in --admission-control-config-file); AlwaysPullImages (1.2.11) makes every pod pull its image with its own credentials, so that a private image cached on a node is not usable by pods that lack the pull secret. " +
				"AlwaysPullImages puts the registry on the path of every pod start; drop it from the plugins parameter where that is not acceptable.",
			Remediation: "Add the plugins to --enable-admission-plugins on kube-apiserver (EventRateLimit with a configuration file in --admission-control-config-file), or remove from the plugins parameter those the cluster decided against.",
			References:  []string{refAdmission + "#denyserviceexternalips", refAdmission + "#eventratelimit", refAdmission + "#alwayspullimages"},
			Frameworks:  cpFrameworks([]string{"1.2.3", "1.2.9", "1.2.11"}, nsaNetControl),
			Params: []rules.Param{{Name: "plugins",
				Description: "Admission plugins kube-apiserver must enable.",
				Default:     []string{"DenyServiceExternalIPs", "EventRateLimit", "AlwaysPullImages"}}},
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binAPIServer}, checkRecommendedAdmission)
		},
	})
}

// admission is the API server's plugin configuration as its flags set it.
type admission struct {
	enabled, disabled []string
	// enabledFrom and disabledFrom are the settings each value came from.
	enabledFrom, disabledFrom []setting
	// legacy is set when the deprecated --admission-control replaces the default set.
	legacy bool
	// unknown is set when a value is known only at run time.
	unknown bool
}

func admissionOf(cp *component) admission {
	var a admission
	a.enabled, a.enabledFrom = cp.listValues("enable-admission-plugins")
	if len(a.enabledFrom) == 0 {
		if vals, from := cp.listValues("admission-control"); len(from) > 0 {
			a.enabled, a.enabledFrom, a.legacy = vals, from, true
		}
	}
	a.disabled, a.disabledFrom = cp.listValues("disable-admission-plugins")
	for _, s := range append(append([]setting{}, a.enabledFrom...), a.disabledFrom...) {
		a.unknown = a.unknown || s.unknown
	}
	return a
}

// enabledAt returns the setting that enables a plugin (ok false when none does).
func (a admission) enabledAt(plugin string) (setting, bool) {
	for i, v := range a.enabled {
		if v == plugin {
			return a.enabledFrom[i], true
		}
	}
	return setting{}, false
}

func (a admission) disabledAt(plugin string) (setting, bool) {
	for i, v := range a.disabled {
		if v == plugin {
			return a.disabledFrom[i], true
		}
	}
	return setting{}, false
}

// lastEnable returns the path of the flag that enables plugins, or where it belongs.
func (a admission) lastEnable(cp *component) (path, how string) {
	if n := len(a.enabledFrom); n > 0 {
		return a.enabledFrom[n-1].path, a.enabledFrom[n-1].written
	}
	return cp.missing("enable-admission-plugins"), "--enable-admission-plugins is not set"
}

// offByDefault checks a plugin kube-apiserver enables by default: it is off when
// disabled, or when a --admission-control list replaces the defaults without it.
func (a admission) offByDefault(cp *component, plugin, cis, why string) []issue {
	if s, ok := a.disabledAt(plugin); ok {
		return []issue{{s.path, cis, fmt.Sprintf("%s disables %s: %s", s.written, plugin, why)}}
	}
	if a.legacy {
		if _, ok := a.enabledAt(plugin); !ok {
			last := a.enabledFrom[len(a.enabledFrom)-1]
			return []issue{{last.path, cis, fmt.Sprintf("%s replaces the default plugins and does not include %s: %s", last.written, plugin, why)}}
		}
	}
	return nil
}

func checkNodeRestriction(_ *rules.Pass, cp *component) []issue {
	a := admissionOf(cp)
	if a.unknown {
		return nil
	}
	if s, ok := a.disabledAt("NodeRestriction"); ok {
		return []issue{{s.path, "1.2.14", s.written + " disables NodeRestriction: kubelets can modify other nodes' objects"}}
	}
	if _, ok := a.enabledAt("NodeRestriction"); ok {
		return nil
	}
	path, how := a.lastEnable(cp)
	return []issue{{path, "1.2.14", "NodeRestriction is not enabled (" + how + "): kubelets can modify other nodes' objects and label their own node freely"}}
}

func checkPodSecurityAdmission(_ *rules.Pass, cp *component) []issue {
	a := admissionOf(cp)
	if a.unknown {
		return nil
	}
	return a.offByDefault(cp, "PodSecurity", "5.2.1", "namespaces' pod-security.kubernetes.io labels are not enforced")
}

func checkWeakAdmission(_ *rules.Pass, cp *component) []issue {
	a := admissionOf(cp)
	if a.unknown {
		return nil
	}
	var out []issue
	if s, ok := a.enabledAt("AlwaysAdmit"); ok {
		out = append(out, issue{s.path, "1.2.10", s.written + " enables the deprecated AlwaysAdmit plugin, which admits every request"})
	}
	out = append(out, a.offByDefault(cp, "ServiceAccount", "1.2.12", "pods are not bound to existing service accounts")...)
	out = append(out, a.offByDefault(cp, "NamespaceLifecycle", "1.2.13", "objects can be created in terminating or missing namespaces and system namespaces can be deleted")...)
	return out
}

func checkRecommendedAdmission(p *rules.Pass, cp *component) []issue {
	a := admissionOf(cp)
	if a.unknown {
		return nil
	}
	var missing []string
	var out []issue
	path, how := a.lastEnable(cp)
	for _, plugin := range p.Strings("plugins") {
		plugin = strings.TrimSpace(plugin)
		if _, ok := a.enabledAt(plugin); ok {
			if _, off := a.disabledAt(plugin); !off {
				continue
			}
		}
		if cis, ok := recommendedPluginCIS[plugin]; ok {
			out = append(out, issue{path, cis, plugin + " is not enabled (" + how + ")"})
			continue
		}
		missing = append(missing, plugin)
	}
	if len(missing) > 0 {
		out = append(out, issue{path, "", fmt.Sprintf("%s not enabled (%s)", strings.Join(missing, ", "), how)})
	}
	return out
}
