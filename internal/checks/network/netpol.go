package network

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
// parsed (workload.PodLabelsFact), so workload bodies are never kept for it.

import (
	"fmt"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/netpol"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const (
	nsaNetPolicies = "Network separation and hardening: network policies"

	refNetPol     = "https://kubernetes.io/docs/concepts/services-networking/network-policies/"
	refNetPolDeny = "https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies"
)

// indexNetPolicies is the NetworkPolicy model of the input (netpol.Model): every
// valid policy compiled, namespaces with their labels, pod templates grouped into
// classes, and which policy isolates which class (netpol.Index, shared with the
// exposure of images).
var indexNetPolicies = netpol.Index

func netpolFrameworks() rules.Frameworks {
	return rules.Frameworks{CIS: []string{"5.3.2"}, NSA: []string{nsaNetPolicies}, Layer: layerCluster}
}

// netpolModel returns the NetworkPolicy model of a scan (nil outside Finish).
func netpolModel(inv *inventory.Inventory) *netpol.Model {
	if inv == nil {
		return nil
	}
	return inventory.Get(inv, indexNetPolicies)
}

func netPoliciesOf(inv *inventory.Inventory, ns string) *netpol.Namespace {
	if m := netpolModel(inv); m != nil {
		return m.Namespace(ns)
	}
	return nil
}

// netpolInvalidNote names the policies of a namespace that the API server would reject.
func netpolInvalidNote(n *netpol.Namespace) string {
	if n == nil || len(n.Invalid) == 0 {
		return ""
	}
	return fmt.Sprintf(" (NetworkPolicy %s is invalid: the API server would reject it)", quoteList(n.Invalid))
}

// isDefaultDeny reports whether a policy selects every pod of its namespace, has d in
// effect and allows nothing in that direction.
func isDefaultDeny(p *netpol.Policy, d netpol.Direction) bool {
	return p.Selector.Empty() && p.Types[d] && len(p.Rules[d]) == 0
}

var netpolExemptParam = rules.Param{Name: "exemptNamespaces", Syntax: rules.Glob,
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
		Needs:    []inventory.AnyIndex{indexNetPolicies},
		Deferred: true,
		Workload: func(p *rules.Pass, w *workload.Workload) { checkSelected(p, w, netpol.Ingress) },
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
		Needs:    []inventory.AnyIndex{indexNetPolicies},
		Deferred: true,
		Workload: func(p *rules.Pass, w *workload.Workload) { checkSelected(p, w, netpol.Egress) },
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
		Needs:      []inventory.AnyIndex{indexNetPolicies},
		HeaderOnly: true,
		Object:     func(p *rules.Pass, o *inventory.Object) { checkDefaultDeny(p, o, netpol.Ingress) },
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
		Needs:      []inventory.AnyIndex{indexNetPolicies},
		HeaderOnly: true,
		Object:     func(p *rules.Pass, o *inventory.Object) { checkDefaultDeny(p, o, netpol.Egress) },
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
		Object: func(p *rules.Pass, o *inventory.Object) { checkAllowAll(p, o, netpol.Ingress) },
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
		Object: func(p *rules.Pass, o *inventory.Object) { checkAllowAll(p, o, netpol.Egress) },
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
		Needs:  []inventory.AnyIndex{indexNetPolicies},
		Object: checkUnusedSelector,
	})
}

// checkUnusedSelector reports a valid policy whose podSelector matches no pod template
// of its namespace, when the input has pod templates there.
func checkUnusedSelector(p *rules.Pass, o *inventory.Object) {
	m := netpolModel(p.Inventory)
	pol := m.PolicyOf(o)
	if pol == nil {
		return
	}
	n := m.Namespace(pol.Namespace)
	if len(n.Workloads) == 0 {
		return
	}
	for _, c := range n.Classes {
		if pol.Selects(c) {
			return
		}
	}
	p.Report("spec.podSelector", "", "podSelector %q matches none of the %d pod templates of namespace %q in the input", pol.Selector.String(), len(n.Workloads), n.Name)
}

// checkSelected reports a workload that no policy of its namespace selects for d.
func checkSelected(p *rules.Pass, w *workload.Workload, d netpol.Direction) {
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
		if len(n.Selecting(set, d)) > 0 {
			return true, ""
		}
		if n != nil && len(n.Policies) > 0 {
			return false, fmt.Sprintf("; none of the %d NetworkPolicies of the namespace selects its pod labels with %s in effect", len(n.Policies), d) + netpolInvalidNote(n)
		}
		return false, netpolInvalidNote(n)
	}, w.MetaPath, "", "no NetworkPolicy in namespace %q selects the pods of %s %q for %s", ns, w.Object.Ref.Kind, w.Object.Ref.Name, d)
}

// checkDefaultDeny reports, once per namespace, a namespace without a default-deny
// policy for d (see namespace_resources.go for which namespaces and where).
func checkDefaultDeny(p *rules.Pass, o *inventory.Object, d netpol.Direction) {
	var n *netpol.Namespace
	var where string
	if o.Ref.Kind == "Namespace" {
		if o.Ref.APIVersion != "v1" {
			return
		}
		n = netPoliciesOf(p.Inventory, o.Ref.Name)
		if n == nil || n.Object != o || n.BuiltinWorkloads == 0 {
			return
		}
		where = "metadata.name"
	} else {
		n = netPoliciesOf(p.Inventory, o.Ref.Namespace)
		if n == nil || n.Object != nil || n.FirstNamed != o {
			return
		}
		where = "metadata.namespace"
	}
	if matchAny(p.Strings("exemptNamespaces"), n.Name) {
		return
	}
	for _, pol := range n.Policies {
		if isDefaultDeny(pol, d) {
			return
		}
	}
	p.Report(where, "", "namespace %q has no default-deny %s NetworkPolicy (empty podSelector, %s in policyTypes, no %s rules)%s",
		n.Name, d, d.Type(), d, netpolInvalidNote(n))
}

// compiled returns the compiled policy of a NetworkPolicy object for a rule that runs
// while objects are parsed; a policy the API server would reject is reported as not
// checked, naming the first problem and its line.
func compiled(p *rules.Pass, o *inventory.Object) *netpol.Policy {
	if !netpol.IsNetworkPolicy(o) {
		return nil
	}
	pol, errs := netpol.Compile(o)
	if pol == nil {
		e := errs[0]
		p.Fail(fmt.Errorf("%s (line %d)", e.Message, e.Location.Line))
	}
	return pol
}

// checkAllowAll reports each rule of direction d that admits every peer on every port.
func checkAllowAll(p *rules.Pass, o *inventory.Object, d netpol.Direction) {
	pol := compiled(p, o)
	// Rules of a direction whose type is not in effect are ignored by the API.
	if pol == nil || !pol.Types[d] {
		return
	}
	peerField := map[netpol.Direction]string{netpol.Ingress: "from", netpol.Egress: "to"}[d]
	for _, r := range pol.Rules[d] {
		if !r.AllPorts {
			continue
		}
		if r.AllPeers {
			p.Report(r.Path(), "", "%s rule %d has no %s peers and no ports: it allows all %s traffic of the selected pods", d, r.Index, peerField, d)
			continue
		}
		for _, peer := range r.Peers {
			if what := openPeer(peer); what != "" {
				p.Report(r.PeerPath(peer.Index), "", "%s rule %d allows %s on every port", d, r.Index, what)
				break
			}
		}
	}
}

// openPeer describes a peer that admits everything of its kind, or returns "".
func openPeer(peer *netpol.Peer) string {
	switch {
	case peer.IPBlock != nil:
		if peer.IPBlock.CIDR.Bits() == 0 && len(peer.IPBlock.Except) == 0 {
			return "every address (ipBlock " + peer.IPBlock.CIDR.String() + ")"
		}
	case peer.Namespaces != nil && peer.Namespaces.Empty() && (peer.Pods == nil || peer.Pods.Empty()):
		return "every pod of every namespace (namespaceSelector: {})"
	}
	return ""
}
