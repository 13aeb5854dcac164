package identity

// Every pod runs as a Kubernetes service account, and unless told otherwise the
// ServiceAccount admission plugin mounts a token for it into every container at
// /var/run/secrets/kubernetes.io/serviceaccount. Anyone who compromises one of those
// containers (a remote code execution, a path traversal that reads files) then holds
// a credential for the API server with whatever RBAC grants that account: the usual
// first step from one pod to the whole cluster. Most application pods never call the
// API, so they should not carry the token; pods that do call it should run under an
// account of their own rather than the namespace's `default` account, which every pod
// without a serviceAccountName shares, so that a permission granted for one of them is
// not granted to all.
//
// Semantics, exactly as the API server applies them:
//   - the service account is spec.serviceAccountName; when that is empty, the
//     deprecated alias spec.serviceAccount (v1 conversion); when both are empty, the
//     ServiceAccount admission plugin sets "default";
//   - the token is mounted when spec.automountServiceAccountToken is true, or, when
//     the pod leaves it unset, when the ServiceAccount's automountServiceAccountToken
//     is not false (the pod's setting overrides the account's; unset on both means
//     true). The ServiceAccount is read from the input when it is there (same
//     namespace, same name); a ServiceAccount only in the cluster is invisible to a
//     file scan, so the Kubernetes default (mount) is assumed;
//   - the plugin skips containers that already mount something at the token path;
//     when every init and regular container does, no token is automounted;
//   - the `default` ServiceAccount of every namespace is created by the
//     ServiceAccount controller, so it is never "missing" from the input.

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const (
	catIdentity = "identity"

	refSA           = "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/"
	refSAGoodPract  = "https://kubernetes.io/docs/concepts/security/service-accounts/"
	refPodSpecSAAPI = "https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/"

	// defaultSA is the account the admission plugin assigns to pods that name none.
	defaultSA = "default"
)

// indexServiceAccounts names the index of ServiceAccounts by namespace and name.
var indexServiceAccounts = inventory.NewIndex("serviceaccounts-by-namespace", []string{"ServiceAccount"}, buildServiceAccounts)

func saFrameworks(cis ...string) rules.Frameworks {
	return rules.Frameworks{CIS: cis, NSA: []string{nsaSATokens}, Layer: layerCluster}
}

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-351", Title: "Service account token automounted", Severity: low, Category: catIdentity,
			Rationale: "Unless the pod or its ServiceAccount sets automountServiceAccountToken: false, every container gets an API token of the pod's service account. A compromised container can use it to act on the API server with all the permissions RBAC grants that account; most applications never call the API and need no token. " +
				"The pod's setting overrides the ServiceAccount's; with neither set the token is mounted. A ServiceAccount in the input is taken into account; one that exists only in the cluster is not visible, so the Kubernetes default is assumed.",
			Remediation: "Set spec.automountServiceAccountToken: false on the pod template (or automountServiceAccountToken: false on its ServiceAccount). For a workload that does call the API, mount a short-lived projected serviceAccountToken volume where needed, or exempt it: label its pod template palisade.dev/needs-api-token: \"true\" (see the exemptLabels parameter).",
			References:  []string{refSA, refSAGoodPract},
			Frameworks:  saFrameworks("5.1.6"),
			Params: []rules.Param{
				{Name: "exemptLabels",
					Description: "Labels (key=value, or key alone for any value) that mark a workload as needing an API token, on the pod template or on the workload object itself.",
					Default:     []string{"palisade.dev/needs-api-token=true"}},
				{Name: "exemptNamespaces", Syntax: rules.Glob,
					Description: "Namespaces (shell patterns) whose workloads may have the token mounted (cluster components there talk to the API).",
					Default:     []string{"kube-system"}},
			},
		},
		Needs:    []inventory.AnyIndex{indexServiceAccounts},
		Deferred: true,
		Workload: checkAutomount,
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-352", Title: "Pod uses the default service account", Severity: low, Category: catIdentity,
			Rationale: "Every pod that names no service account runs as its namespace's default account, so any permission granted to that account (for one workload's sake) is granted to all of them, and their tokens are interchangeable in audit logs. " +
				"Pods that hold no token of the account (automount disabled on the pod, or on the default ServiceAccount in the input, and no projected token volume) are not reported: they cannot act as it.",
			Remediation: "Create a ServiceAccount for the workload and set spec.serviceAccountName to it; grant it only what the workload needs. Otherwise keep the default account without permissions and set automountServiceAccountToken: false on it.",
			References:  []string{refSA, refSAGoodPract},
			Frameworks:  saFrameworks("5.1.5"),
		},
		Needs:    []inventory.AnyIndex{indexServiceAccounts},
		Deferred: true,
		Workload: checkDefaultSAUse,
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-353", Title: "Default service account automounts its token", Severity: low, Category: catIdentity,
			Rationale:   "The default ServiceAccount is used by every pod of its namespace that names no other account. Unless it sets automountServiceAccountToken: false, each of those pods gets its token, whether it needs the API or not.",
			Remediation: "Set automountServiceAccountToken: false on the default ServiceAccount, grant it no RBAC permissions, and give workloads that need the API a ServiceAccount of their own.",
			References:  []string{refSA, refSAGoodPract},
			Frameworks:  saFrameworks("5.1.5"),
		},
		Kinds:  []string{"ServiceAccount"},
		Object: checkDefaultSAObject,
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-354", Title: "Deprecated serviceAccount field", Severity: low, Category: catIdentity,
			Rationale:   "spec.serviceAccount is a deprecated alias of spec.serviceAccountName: the API server uses it only when serviceAccountName is empty and otherwise ignores it, so a manifest that sets both to different values runs as an account its reader may not expect, and tools that read only serviceAccountName miss the identity.",
			Remediation: "Replace spec.serviceAccount with spec.serviceAccountName.",
			References:  []string{refPodSpecSAAPI, refSA},
			Frameworks:  rules.Frameworks{Layer: layerCluster},
		},
		Workload: checkDeprecatedSA,
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-355", Title: "Referenced service account missing from the input", Severity: low, Category: catIdentity,
			Rationale:   "The ServiceAccount admission plugin rejects a pod whose service account does not exist, so the workload never starts, and whoever later creates an account of that name (with whatever permissions) decides the workload's identity. Reported only when the input defines ServiceAccounts of the pod's namespace, that is when it evidently manages that namespace's accounts; the default account is created by Kubernetes and never missing.",
			Remediation: "Add the ServiceAccount to the manifests (or fix the name in spec.serviceAccountName).",
			References:  []string{refSA, refSAAdmin},
			Frameworks:  rules.Frameworks{Layer: layerCluster},
		},
		Needs:    []inventory.AnyIndex{indexServiceAccounts},
		Deferred: true,
		Workload: checkMissingSA,
	})
}

// saInfo is one ServiceAccount of the input.
type saInfo struct {
	// automount is the account's automountServiceAccountToken (nil when unset).
	automount *bool
	// invalid is set when the body does not decode: the API server would reject it.
	invalid bool
}

// serviceAccounts is the index value: namespace, then name.
type serviceAccounts map[string]map[string]*saInfo

func buildServiceAccounts(inv *inventory.Inventory) serviceAccounts {
	idx := serviceAccounts{}
	for _, o := range inv.Objects {
		if o.Ref.APIVersion != "v1" || o.Ref.Kind != "ServiceAccount" {
			continue
		}
		ns := idx[o.Ref.Namespace]
		if ns == nil {
			ns = map[string]*saInfo{}
			idx[o.Ref.Namespace] = ns
		}
		if ns[o.Ref.Name] != nil {
			continue
		}
		info := &saInfo{}
		var sa corev1.ServiceAccount
		if err := o.Decode(&sa); err != nil {
			info.invalid = true
		} else {
			info.automount = sa.AutomountServiceAccountToken
		}
		ns[o.Ref.Name] = info
	}
	return idx
}

// serviceAccountsOf returns the input's ServiceAccounts of a namespace (nil: none).
func serviceAccountsOf(inv *inventory.Inventory, ns string) map[string]*saInfo {
	if inv == nil {
		return nil
	}
	return inventory.Get(inv, indexServiceAccounts)[ns]
}

// effectiveSA returns the service account a pod runs as (serviceAccountName, which
// the API server sets: workload defaults) and the field it comes from ("" when
// neither field is written and the admission plugin's default applies).
func effectiveSA(w *workload.Workload) (name, field string) {
	name = w.Spec.ServiceAccountName
	switch from, defaulted := w.SpecDefaulted("serviceAccountName"); {
	case !defaulted:
		return name, "serviceAccountName"
	case from != "":
		return name, "serviceAccount"
	}
	return name, ""
}

// projectedTokenVolume returns the path of the first projected serviceAccountToken
// source of the pod, or "".
func projectedTokenVolume(w *workload.Workload) string {
	for i, v := range w.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for j, s := range v.Projected.Sources {
			if s.ServiceAccountToken != nil {
				return w.SpecField(fmt.Sprintf("volumes[%d].projected.sources[%d].serviceAccountToken", i, j))
			}
		}
	}
	return ""
}

// saDisablesAutomount is the covered function shared by the rules: the input's
// ServiceAccount sa of namespace ns sets automountServiceAccountToken: false. The
// note says why a finding stands.
func saDisablesAutomount(ns, sa string) func(*inventory.Inventory) (bool, string) {
	return func(inv *inventory.Inventory) (bool, string) {
		info := serviceAccountsOf(inv, ns)[sa]
		switch {
		case info == nil:
			return false, ""
		case info.invalid:
			return false, fmt.Sprintf("; ServiceAccount %q in the input does not decode, so it cannot disable it", sa)
		case info.automount != nil && !*info.automount:
			return true, ""
		case info.automount != nil:
			return false, fmt.Sprintf("; its ServiceAccount %q sets automountServiceAccountToken: true", sa)
		}
		return false, fmt.Sprintf("; its ServiceAccount %q does not set automountServiceAccountToken: false either", sa)
	}
}

func checkAutomount(p *rules.Pass, w *workload.Workload) {
	ns := w.Object.Ref.Namespace
	if matchAny(p.Strings("exemptNamespaces"), ns) || hasExemptLabel(p.Strings("exemptLabels"), w) {
		return
	}
	if w.TokenPathTaken() {
		return
	}
	sa, _ := effectiveSA(w)
	field := w.SpecField("automountServiceAccountToken")
	if v := w.Spec.AutomountServiceAccountToken; v != nil {
		if *v {
			p.Report(field, "", "the pod sets automountServiceAccountToken: true, so every container gets an API token of service account %q", sa)
		}
		return
	}
	p.ReportUnless(saDisablesAutomount(ns, sa), field, "",
		"the pod does not set automountServiceAccountToken: false, so every container gets an API token of service account %q", sa)
}

func checkDefaultSAUse(p *rules.Pass, w *workload.Workload) {
	sa, from := effectiveSA(w)
	if sa != defaultSA {
		return
	}
	path := w.SpecField("serviceAccountName")
	how := "names no service account, so it runs as the namespace's default account"
	if from != "" {
		path = w.SpecField(from)
		how = fmt.Sprintf("sets %s: %s", from, defaultSA)
	}
	// A pod that holds a token of the account is using it, whatever the input says.
	if proj := projectedTokenVolume(w); proj != "" {
		p.Report(path, "", "the pod %s and mounts a projected token of it (%s)", how, strings.TrimPrefix(proj, w.SpecPath+"."))
		return
	}
	if w.TokenPathTaken() {
		return
	}
	if v := w.Spec.AutomountServiceAccountToken; v != nil {
		if *v {
			p.Report(path, "", "the pod %s and mounts its token (automountServiceAccountToken: true)", how)
		}
		return
	}
	p.ReportUnless(saDisablesAutomount(w.Object.Ref.Namespace, defaultSA), path, "",
		"the pod %s and gets its token (automountServiceAccountToken is not false)", how)
}

func checkDefaultSAObject(p *rules.Pass, o *inventory.Object) {
	if o.Ref.APIVersion != "v1" || o.Ref.Name != defaultSA {
		return
	}
	var sa corev1.ServiceAccount
	if err := o.Decode(&sa); err != nil {
		p.Fail(err)
		return
	}
	switch v := sa.AutomountServiceAccountToken; {
	case v == nil:
		p.Report("automountServiceAccountToken", "", "the default ServiceAccount of namespace %q does not set automountServiceAccountToken: false, so every pod that names no service account gets its token", o.Ref.Namespace)
	case *v:
		p.Report("automountServiceAccountToken", "", "the default ServiceAccount of namespace %q sets automountServiceAccountToken: true, so every pod that names no service account gets its token", o.Ref.Namespace)
	}
}

func checkDeprecatedSA(p *rules.Pass, w *workload.Workload) {
	old := w.DeprecatedServiceAccount // as written: the API server overwrites it
	if old == "" {
		return
	}
	path := w.SpecField("serviceAccount")
	cur := w.Spec.ServiceAccountName
	if _, defaulted := w.SpecDefaulted("serviceAccountName"); defaulted {
		cur = ""
	}
	switch {
	case cur == "":
		p.Report(path, "", "the pod sets the deprecated spec.serviceAccount (%q) instead of spec.serviceAccountName", old)
	case cur == old:
		p.Report(path, "", "the pod sets the deprecated spec.serviceAccount alongside spec.serviceAccountName (both %q)", old)
	default:
		p.Report(path, "", "the pod sets the deprecated spec.serviceAccount to %q, which is ignored: spec.serviceAccountName %q wins", old, cur)
	}
}

func checkMissingSA(p *rules.Pass, w *workload.Workload) {
	sa, from := effectiveSA(w)
	if sa == defaultSA || from == "" {
		return
	}
	ns := w.Object.Ref.Namespace
	p.ReportUnless(func(inv *inventory.Inventory) (bool, string) {
		accounts := serviceAccountsOf(inv, ns)
		if len(accounts) == 0 {
			// The input does not manage this namespace's accounts.
			return true, ""
		}
		if info := accounts[sa]; info != nil {
			if info.invalid {
				return false, " (the ServiceAccount in the input does not decode, so the API server would reject it)"
			}
			return true, ""
		}
		names := make([]string, 0, len(accounts))
		for n := range accounts {
			names = append(names, n)
		}
		sort.Strings(names)
		more := ""
		if len(names) > 5 {
			names, more = names[:5], ", ..."
		}
		return false, fmt.Sprintf("; the input defines ServiceAccount %s there", quoteList(names)+more)
	}, w.SpecField(from), "", "service account %q is not defined in namespace %q of the input", sa, ns)
}
