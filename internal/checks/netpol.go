package checks

// Kubernetes pods accept traffic from, and send traffic to, every other pod of the
// cluster (and beyond) until a NetworkPolicy selects them. A pod is isolated for a
// direction only once some policy of its own namespace selects it with that type in
// effect; from then on only what some such policy allows gets through. So a workload
// that no policy selects is wide open, a namespace without a default-deny policy
// leaves every new workload open, and a policy that allows everything isolates
// nothing.
//
// Semantics follow the API exactly (networking.k8s.io/v1):
//   - spec.podSelector is a label selector (metav1.LabelSelectorAsSelector); an empty
//     one selects every pod of the policy's namespace, and a policy never selects pods
//     of another namespace;
//   - spec.policyTypes, when empty, defaults as the API server defaults it: Ingress
//     always, plus Egress when spec.egress has rules;
//   - a NetworkPolicy that does not decode or whose selector is invalid would be
//     rejected by the API server, so it selects nothing.
//   - only networking.k8s.io/v1 policies count: extensions/v1beta1 NetworkPolicy is no
//     longer served (since Kubernetes 1.16), so such archived objects protect nothing.
//
// Workload findings are settled once the whole input is loaded, from the pod template
// labels and namespace captured during the parse (never the workload body).
//
// A policy whose podSelector matches no pod template of its namespace in the input is
// judged from the pod template labels the engine records while each workload is
// parsed (inventory.Object.PodLabels), so workload bodies are never kept for it.

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const (
	nsaNetPolicies = "Network separation and hardening: network policies"

	refNetPol        = "https://kubernetes.io/docs/concepts/services-networking/network-policies/"
	refNetPolDeny    = "https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies"
	indexNetPolicies = "network-policies-by-namespace"
)

func netpolFrameworks() rules.Frameworks {
	return rules.Frameworks{CIS: []string{"5.3.2"}, NSA: []string{nsaNetPolicies}, Layer: layerCluster}
}

func init() {
	inventory.RegisterIndexOfKinds(indexNetPolicies, []string{"NetworkPolicy"}, buildNetPolicies)
}

// direction is ingress or egress.
type direction int

const (
	dirIngress direction = iota
	dirEgress
)

func (d direction) String() string {
	if d == dirEgress {
		return "egress"
	}
	return "ingress"
}

// netPolicy is one valid NetworkPolicy as the API server would store it.
type netPolicy struct {
	name     string
	obj      *inventory.Object
	selector labels.Selector
	// types says which directions the policy isolates (policyTypes after defaulting).
	types [2]bool
	// defaultDeny says, per direction, that the policy selects every pod of its
	// namespace, has that type in effect and allows nothing in that direction.
	defaultDeny [2]bool
}

// namespaceNetPolicies is what the input says about one namespace's network policies.
type namespaceNetPolicies struct {
	name     string
	policies []netPolicy
	// invalid names the NetworkPolicies that do not decode or have an invalid selector.
	invalid []string
	// namespace is the Namespace object, if the input has one.
	namespace *inventory.Object
	// firstExplicit is the first workload whose metadata.namespace names this namespace.
	firstExplicit *inventory.Object
	// workloads counts the workloads of built-in kinds in the namespace, named or
	// defaulted.
	workloads int
	// podLabels are the pod template labels of every object that runs pods in the
	// namespace (custom kinds included), in input order.
	podLabels []labels.Set
}

type netPolicies map[string]*namespaceNetPolicies

func isNetworkPolicy(o *inventory.Object) bool {
	return o.Ref.Kind == "NetworkPolicy" && o.Ref.APIVersion == "networking.k8s.io/v1"
}

// effectiveTypes applies the API server's defaulting of spec.policyTypes.
func effectiveTypes(spec *networkingv1.NetworkPolicySpec) [2]bool {
	var t [2]bool
	if len(spec.PolicyTypes) == 0 {
		t[dirIngress] = true
		t[dirEgress] = len(spec.Egress) > 0
		return t
	}
	for _, pt := range spec.PolicyTypes {
		switch pt {
		case networkingv1.PolicyTypeIngress:
			t[dirIngress] = true
		case networkingv1.PolicyTypeEgress:
			t[dirEgress] = true
		}
	}
	return t
}

func buildNetPolicies(inv *inventory.Inventory) any {
	idx := netPolicies{}
	get := func(ns string) *namespaceNetPolicies {
		n := idx[ns]
		if n == nil {
			n = &namespaceNetPolicies{name: ns}
			idx[ns] = n
		}
		return n
	}
	for _, o := range inv.Objects {
		switch {
		case isNetworkPolicy(o):
			n := get(o.Ref.Namespace)
			var np networkingv1.NetworkPolicy
			if err := o.Decode(&np); err != nil {
				n.invalid = append(n.invalid, o.Ref.Name)
				continue
			}
			sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
			if err != nil {
				n.invalid = append(n.invalid, o.Ref.Name)
				continue
			}
			p := netPolicy{name: o.Ref.Name, obj: o, selector: sel, types: effectiveTypes(&np.Spec)}
			if sel.Empty() {
				p.defaultDeny[dirIngress] = p.types[dirIngress] && len(np.Spec.Ingress) == 0
				p.defaultDeny[dirEgress] = p.types[dirEgress] && len(np.Spec.Egress) == 0
			}
			n.policies = append(n.policies, p)
		case o.Ref.APIVersion == "v1" && o.Ref.Kind == "Namespace":
			if n := get(o.Ref.Name); n.namespace == nil {
				n.namespace = o
			}
		default:
			if o.PodLabels != nil && o.Ref.Namespace != "" {
				n := get(o.Ref.Namespace)
				n.podLabels = append(n.podLabels, labels.Set(o.PodLabels))
			}
			if _, ok := builtinFinder.Lookup(o.Ref.APIVersion, o.Ref.Kind); !ok || o.Ref.Namespace == "" {
				continue
			}
			n := get(o.Ref.Namespace)
			n.workloads++
			if !o.NamespaceDefaulted && n.firstExplicit == nil {
				n.firstExplicit = o
			}
		}
	}
	return idx
}

func netPoliciesOf(inv *inventory.Inventory, ns string) *namespaceNetPolicies {
	if inv == nil {
		return nil
	}
	return inv.Get(indexNetPolicies).(netPolicies)[ns]
}

// selects returns the first policy that selects pods with these labels for d.
func (n *namespaceNetPolicies) selects(set labels.Set, d direction) (string, bool) {
	if n == nil {
		return "", false
	}
	for _, p := range n.policies {
		if p.types[d] && p.selector.Matches(set) {
			return p.name, true
		}
	}
	return "", false
}

func (n *namespaceNetPolicies) invalidNote() string {
	if n == nil || len(n.invalid) == 0 {
		return ""
	}
	return fmt.Sprintf(" (NetworkPolicy %s does not decode: the API server would reject it)", quoteList(n.invalid))
}

var netpolExemptParam = rules.Param{Name: "exemptNamespaces",
	Description: "Namespaces (shell patterns) not required to have network policies.",
	Default:     defaultExemptNamespaces}

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-421", Title: "Workload not selected by any ingress NetworkPolicy", Severity: medium, Category: catNetworkExposure,
			Rationale:   "A pod that no NetworkPolicy of its namespace selects for ingress accepts connections from every pod of the cluster and from anything that can route to it, so one compromised pod can reach it directly.",
			Remediation: "Add a NetworkPolicy in the workload's namespace whose podSelector matches the pod template labels and whose policyTypes include Ingress (a default-deny policy with an empty podSelector covers every pod), allowing only the sources the workload needs.",
			References:  []string{refNetPol},
			Frameworks:  netpolFrameworks(),
			Params:      []rules.Param{netpolExemptParam},
		},
		Needs:    []string{indexNetPolicies},
		Deferred: true,
		Workload: func(p *rules.Pass, w *workload.Workload) { checkSelected(p, w, dirIngress) },
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-422", Title: "Workload not selected by any egress NetworkPolicy", Severity: low, Category: catNetworkExposure,
			Rationale:   "A pod that no NetworkPolicy of its namespace selects for egress can connect anywhere: other pods, the cloud metadata endpoint, the API server, the internet. Restricting egress limits lateral movement and data exfiltration from a compromised pod.",
			Remediation: "Add a NetworkPolicy in the workload's namespace whose podSelector matches the pod template labels and whose policyTypes include Egress (a default-deny egress policy with an empty podSelector covers every pod), allowing DNS and the destinations the workload needs.",
			References:  []string{refNetPol},
			Frameworks:  netpolFrameworks(),
			Params:      []rules.Param{netpolExemptParam},
		},
		Needs:    []string{indexNetPolicies},
		Deferred: true,
		Workload: func(p *rules.Pass, w *workload.Workload) { checkSelected(p, w, dirEgress) },
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-423", Title: "Namespace without a default-deny ingress NetworkPolicy", Severity: medium, Category: catNetworkExposure,
			Rationale:   "Without a default-deny ingress policy (empty podSelector, Ingress in effect, no ingress rules) every new workload of the namespace is reachable from the whole cluster until someone writes a policy for it; default deny makes isolation the norm and each allowed flow explicit.",
			Remediation: "Add a NetworkPolicy with podSelector: {} and policyTypes: [Ingress] and no ingress rules, then allow the required flows with further policies.",
			References:  []string{refNetPolDeny},
			Frameworks:  netpolFrameworks(),
			Params:      []rules.Param{netpolExemptParam},
		},
		Kinds:      namespaceAnchorKinds,
		Needs:      []string{indexNetPolicies},
		HeaderOnly: true,
		Object:     func(p *rules.Pass, o *inventory.Object) { checkDefaultDeny(p, o, dirIngress) },
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-424", Title: "Namespace without a default-deny egress NetworkPolicy", Severity: low, Category: catNetworkExposure,
			Rationale:   "Without a default-deny egress policy (empty podSelector, Egress in effect, no egress rules) every workload of the namespace may open connections anywhere unless someone wrote a policy for it, which eases lateral movement and exfiltration.",
			Remediation: "Add a NetworkPolicy with podSelector: {} and policyTypes: [Egress] and no egress rules, then allow DNS and the required destinations with further policies.",
			References:  []string{refNetPolDeny},
			Frameworks:  netpolFrameworks(),
			Params:      []rules.Param{netpolExemptParam},
		},
		Kinds:      namespaceAnchorKinds,
		Needs:      []string{indexNetPolicies},
		HeaderOnly: true,
		Object:     func(p *rules.Pass, o *inventory.Object) { checkDefaultDeny(p, o, dirEgress) },
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-425", Title: "NetworkPolicy allows all ingress", Severity: medium, Category: catNetworkExposure,
			Rationale:   "An ingress rule with no from peers and no ports, or whose peer is namespaceSelector: {} or ipBlock 0.0.0.0/0 (::/0) on every port, admits every source: the pods it selects are as open as if no policy selected them, while looking protected.",
			Remediation: "Replace the rule with peers (podSelector, namespaceSelector, ipBlock) and ports that name only the clients the pods need.",
			References:  []string{refNetPol},
			Frameworks:  netpolFrameworks(),
		},
		Kinds:  []string{"NetworkPolicy"},
		Object: func(p *rules.Pass, o *inventory.Object) { checkAllowAll(p, o, dirIngress) },
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-426", Title: "NetworkPolicy allows all egress", Severity: low, Category: catNetworkExposure,
			Rationale:   "An egress rule with no to peers and no ports, or whose peer is namespaceSelector: {} or ipBlock 0.0.0.0/0 (::/0) on every port, lets the selected pods connect anywhere, which defeats egress isolation.",
			Remediation: "Replace the rule with peers and ports that name only the destinations the pods need (and DNS).",
			References:  []string{refNetPol},
			Frameworks:  netpolFrameworks(),
		},
		Kinds:  []string{"NetworkPolicy"},
		Object: func(p *rules.Pass, o *inventory.Object) { checkAllowAll(p, o, dirEgress) },
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-427", Title: "NetworkPolicy selects no pod in the input", Severity: low, Category: catNetworkExposure,
			Rationale:   "A policy whose podSelector matches none of the pods of its namespace protects nothing: usually a label was renamed or mistyped, and the workloads it was written for run unisolated while the policy suggests otherwise.",
			Remediation: "Fix spec.podSelector to match the pod template labels of the workloads the policy is meant for (it only ever selects pods of its own namespace), or delete the policy.",
			References:  []string{refNetPol},
			Frameworks:  netpolFrameworks(),
		},
		Kinds:  []string{"NetworkPolicy"},
		Needs:  []string{indexNetPolicies},
		Object: checkUnusedSelector,
	})
}

// checkUnusedSelector reports a valid policy whose podSelector matches no pod template
// of its namespace, when the input has pod templates there.
func checkUnusedSelector(p *rules.Pass, o *inventory.Object) {
	if !isNetworkPolicy(o) {
		return
	}
	n := netPoliciesOf(p.Inventory, o.Ref.Namespace)
	if n == nil || len(n.podLabels) == 0 {
		return
	}
	for _, pol := range n.policies {
		if pol.obj != o {
			continue
		}
		for _, set := range n.podLabels {
			if pol.selector.Matches(set) {
				return
			}
		}
		p.Report("spec.podSelector", "", "podSelector %q matches none of the %d pod templates of namespace %q in the input", pol.selector.String(), len(n.podLabels), n.name)
		return
	}
}

// checkSelected reports a workload that no policy of its namespace selects for d.
func checkSelected(p *rules.Pass, w *workload.Workload, d direction) {
	ns := w.Object.Ref.Namespace
	if matchAny(p.Strings("exemptNamespaces"), ns) {
		return
	}
	// Capture only the labels: the body is not kept.
	set := labels.Set{}
	for k, v := range w.Meta.Labels {
		set[k] = v
	}
	p.ReportUnless(func(inv *inventory.Inventory) (bool, string) {
		n := netPoliciesOf(inv, ns)
		if _, ok := n.selects(set, d); ok {
			return true, ""
		}
		if n != nil && len(n.policies) > 0 {
			return false, fmt.Sprintf("; none of the %d NetworkPolicies of the namespace selects its pod labels with %s in effect", len(n.policies), d) + n.invalidNote()
		}
		return false, n.invalidNote()
	}, w.MetaPath, "", "no NetworkPolicy in namespace %q selects the pods of %s %q for %s", ns, w.Object.Ref.Kind, w.Object.Ref.Name, d)
}

// checkDefaultDeny reports, once per namespace, a namespace without a default-deny
// policy for d (see namespace_resources.go for which namespaces and where).
func checkDefaultDeny(p *rules.Pass, o *inventory.Object, d direction) {
	var n *namespaceNetPolicies
	var where string
	if o.Ref.Kind == "Namespace" {
		if o.Ref.APIVersion != "v1" {
			return
		}
		n = netPoliciesOf(p.Inventory, o.Ref.Name)
		if n == nil || n.namespace != o || n.workloads == 0 {
			return
		}
		where = "metadata.name"
	} else {
		n = netPoliciesOf(p.Inventory, o.Ref.Namespace)
		if n == nil || n.namespace != nil || n.firstExplicit != o {
			return
		}
		where = "metadata.namespace"
	}
	if matchAny(p.Strings("exemptNamespaces"), n.name) {
		return
	}
	for _, pol := range n.policies {
		if pol.defaultDeny[d] {
			return
		}
	}
	p.Report(where, "", "namespace %q has no default-deny %s NetworkPolicy (empty podSelector, %s in policyTypes, no %s rules)%s",
		n.name, d, map[direction]string{dirIngress: "Ingress", dirEgress: "Egress"}[d], d, n.invalidNote())
}

// checkAllowAll reports each rule of direction d that admits every peer on every port.
func checkAllowAll(p *rules.Pass, o *inventory.Object, d direction) {
	if !isNetworkPolicy(o) {
		return
	}
	var np networkingv1.NetworkPolicy
	if err := o.Decode(&np); err != nil {
		p.Fail(err)
		return
	}
	// Rules of a direction whose type is not in effect are ignored by the API.
	if !effectiveTypes(&np.Spec)[d] {
		return
	}
	type rule struct {
		peers []networkingv1.NetworkPolicyPeer
		ports int
	}
	var rs []rule
	field, peerField := "spec.ingress", "from"
	if d == dirIngress {
		for _, r := range np.Spec.Ingress {
			rs = append(rs, rule{r.From, len(r.Ports)})
		}
	} else {
		field, peerField = "spec.egress", "to"
		for _, r := range np.Spec.Egress {
			rs = append(rs, rule{r.To, len(r.Ports)})
		}
	}
	for i, r := range rs {
		if r.ports > 0 {
			continue
		}
		path := fmt.Sprintf("%s[%d]", field, i)
		if len(r.peers) == 0 {
			p.Report(path, "", "%s rule %d has no %s peers and no ports: it allows all %s traffic of the selected pods", d, i, peerField, d)
			continue
		}
		for j, peer := range r.peers {
			if what := openPeer(peer); what != "" {
				p.Report(fmt.Sprintf("%s.%s[%d]", path, peerField, j), "", "%s rule %d allows %s on every port", d, i, what)
				break
			}
		}
	}
}

// openPeer describes a peer that admits everything of its kind, or returns "".
func openPeer(peer networkingv1.NetworkPolicyPeer) string {
	emptySel := func(s *metav1.LabelSelector) bool {
		return s != nil && len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0
	}
	switch {
	case peer.IPBlock != nil:
		if (peer.IPBlock.CIDR == "0.0.0.0/0" || peer.IPBlock.CIDR == "::/0") && len(peer.IPBlock.Except) == 0 {
			return "every address (ipBlock " + peer.IPBlock.CIDR + ")"
		}
	case emptySel(peer.NamespaceSelector) && (peer.PodSelector == nil || emptySel(peer.PodSelector)):
		return "every pod of every namespace (namespaceSelector: {})"
	}
	return ""
}
