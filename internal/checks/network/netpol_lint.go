package network

// NetworkPolicies fail quietly: a policy with a typo in a label, a port name no pod
// declares or a default deny that forgets DNS is accepted by the API server and then
// allows less (or more) than its author meant, with nothing in the cluster to say so.
// These rules read the policies the way the network plugin will, through the shared
// NetworkPolicy model (internal/netpol), and point at the rule, peer or port that does
// not do what it seems to.
//
// What they judge from the input alone: pods are the pod templates of the input and
// namespaces those it defines or implies. A peer whose namespaceSelector matches no
// namespace of the input is not reported (the namespace may simply live elsewhere),
// nor is a rule whose destinations have no pod template in the input.

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/netpol"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const refNetPolDNS = "https://kubernetes.io/docs/tasks/administer-cluster/dns-debugging-resolution/"

// policyHygiene maps the rules about policies that do not do what they seem to: they
// do not make a namespace lack network policies (CIS 5.3.2) or weaken separation
// (NSA/CISA), so they carry no framework control.
var policyHygiene = rules.Frameworks{Layer: layerCluster}

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-428", Title: "NetworkPolicy allows egress to any address", Severity: low, Category: catNetworkExposure,
			Rationale:   "An egress rule with no to peers, or whose peer is ipBlock 0.0.0.0/0 (::/0), lets the selected pods open connections to every address on the internet on its ports, even when private ranges are excepted: a compromised pod can exfiltrate data or fetch tooling from anywhere. (A rule that also allows every port is PAL-426.)",
			Remediation: "Name the destinations the pods need: namespaceSelector and podSelector for in-cluster services, ipBlocks for the external ranges (a proxy or the provider's API ranges). Ports listed in allowedPorts, DNS by default, may go anywhere.",
			References:  []string{refNetPol},
			Frameworks:  rules.Frameworks{NSA: []string{nsaNetPolicies}, Layer: layerCluster},
			Params: []rules.Param{{Name: "allowedPorts", Valid: validPortProtocol,
				Description: "Ports (PORT/PROTOCOL) that egress rules may open to any address without a finding.",
				Default:     []string{"53/UDP", "53/TCP"}}},
		},
		Kinds:  []string{"NetworkPolicy"},
		Object: checkEgressAnywhere,
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-429", Title: "Egress isolation blocks DNS", Severity: low, Category: catNetworkExposure,
			Rationale:   "Once a NetworkPolicy isolates a pod for egress, only what some egress rule allows gets out, DNS included. A default-deny egress policy without a rule for port 53 makes every name lookup of the pod time out, which breaks the workload in ways that are slow to trace back to the policy.",
			Remediation: "Add an egress rule that allows UDP and TCP port 53 to the cluster DNS (for example namespaceSelector kubernetes.io/metadata.name: kube-system with podSelector k8s-app: kube-dns), in a policy that selects these pods.",
			References:  []string{refNetPolDeny, refNetPolDNS},
			Frameworks:  policyHygiene,
		},
		Needs:    []inventory.AnyIndex{indexNetPolicies},
		Deferred: true,
		Workload: checkDNSAllowed,
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-430", Title: "NetworkPolicy names a port no selected pod declares", Severity: low, Category: catNetworkExposure,
			Rationale:   "A named port in a NetworkPolicy resolves, per destination pod, to the container port of that name and protocol. When none of the pods the rule applies to declares it (a typo, a renamed port, the wrong protocol), the port matches nothing and the flow the rule was written for is blocked.",
			Remediation: "Use the name and protocol the destination pods declare in spec.containers[].ports (or the port number).",
			References:  []string{refNetPol},
			Frameworks:  policyHygiene,
		},
		Kinds:  []string{"NetworkPolicy"},
		Needs:  []inventory.AnyIndex{indexNetPolicies},
		Object: checkNamedPorts,
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-431", Title: "NetworkPolicy peer selects no pod in the input", Severity: low, Category: catNetworkExposure,
			Rationale:   "A from or to peer whose podSelector matches none of the pods of the namespaces it applies to allows nothing: usually a label was renamed or mistyped, or the namespaceSelector and podSelector were meant as two peers, and the flow it was written for is blocked.",
			Remediation: "Fix the peer's selectors to match the labels of the intended pods; a podSelector and namespaceSelector in one peer must both match (write them as two list entries to allow either).",
			References:  []string{refNetPol},
			Frameworks:  policyHygiene,
		},
		Kinds:  []string{"NetworkPolicy"},
		Needs:  []inventory.AnyIndex{indexNetPolicies},
		Object: checkPeersSelect,
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-432", Title: "NetworkPolicy rule shadowed by a broader rule", Severity: low, Category: catNetworkExposure,
			Rationale:   "Rules of the NetworkPolicies that select a pod add up. A rule whose peers and ports are contained in those of another rule, in a policy of the same namespace that selects at least the same pods, allows nothing more: it is dead weight, and often the sign that the broader rule is more open than intended.",
			Remediation: "Delete the shadowed rule, or narrow the broader rule if it allows more than intended.",
			References:  []string{refNetPol},
			Frameworks:  policyHygiene,
		},
		Kinds:  []string{"NetworkPolicy"},
		Needs:  []inventory.AnyIndex{indexNetPolicies},
		Object: checkShadowed,
	})
}

// checkEgressAnywhere reports egress rules that reach every address on some ports.
func checkEgressAnywhere(p *rules.Pass, o *inventory.Object) {
	pol := compiled(p, o)
	if pol == nil || !pol.Types[netpol.Egress] {
		return
	}
	var allowed netpol.PortSet
	for _, s := range p.Strings("allowedPorts") {
		if ps, err := netpol.ParsePort(s); err == nil {
			allowed = allowed.Union(ps)
		}
	}
	for _, r := range pol.Rules[netpol.Egress] {
		ports := describePorts(r)
		if len(r.Named) == 0 && r.Static.SubsetOf(allowed) {
			continue
		}
		if r.AllPeers {
			if !r.AllPorts { // all ports too is PAL-426
				p.Report(r.Path(), "", "egress rule %d has no to peers: it allows every destination, in the cluster and on the internet, on %s", r.Index, ports)
			}
			continue
		}
		for _, peer := range r.Peers {
			if b := peer.IPBlock; b != nil && b.CIDR.Bits() == 0 && (!r.AllPorts || len(b.Except) > 0) {
				p.Report(r.PeerPath(peer.Index), "", "egress rule %d allows every address (ipBlock %s) on %s", r.Index, b, ports)
				break
			}
		}
	}
}

// describePorts lists a rule's ports as written, named ones by name.
func describePorts(r *netpol.Rule) string {
	if r.AllPorts {
		return "every port"
	}
	var parts []string
	if !r.Static.IsEmpty() {
		parts = append(parts, r.Static.String())
	}
	for _, n := range r.Named {
		parts = append(parts, fmt.Sprintf("port %q/%s", n.Name, n.Protocol))
	}
	return strings.Join(parts, ", ")
}

// checkDNSAllowed reports a workload that egress policies isolate without allowing
// DNS. Host-network pods are left out: most network plugins do not apply policies to
// them.
func checkDNSAllowed(p *rules.Pass, w *workload.Workload) {
	if w.Spec.HostNetwork {
		return
	}
	ns := w.Object.Ref.Namespace
	set := labels.Set{}
	for k, v := range w.Meta.Labels {
		set[k] = v
	}
	p.ReportUnless(func(inv *inventory.Inventory) (bool, string) {
		m := netpolModel(inv)
		pols := m.Namespace(ns).Selecting(set, netpol.Egress)
		if len(pols) == 0 {
			return true, ""
		}
		names := make([]string, len(pols))
		for i, pol := range pols {
			names[i] = pol.Name
			for _, r := range pol.Rules[netpol.Egress] {
				if allowsDNS(m, r) {
					return true, ""
				}
			}
		}
		return false, fmt.Sprintf(" (isolated by NetworkPolicy %s)", quoteList(names))
	}, w.MetaPath, "", "egress of the pods of %s %q is isolated and no egress rule allows DNS (UDP port 53): name lookups will fail", w.Object.Ref.Kind, w.Object.Ref.Name)
}

// allowsDNS reports whether an egress rule allows UDP port 53 to some destination,
// by number or by a named port that resolves to 53 on a pod the rule reaches.
func allowsDNS(m *netpol.Model, r *netpol.Rule) bool {
	if r.Static.Contains(netpol.UDP, 53) {
		return true
	}
	for _, n := range r.Named {
		if n.Protocol != netpol.UDP {
			continue
		}
		for _, c := range m.Classes {
			if port, ok := c.Resolve(n.Name, n.Protocol); ok && port == 53 && r.MatchesClass(c) {
				return true
			}
		}
	}
	return false
}

// checkNamedPorts reports named ports that none of a rule's destination pods declares.
func checkNamedPorts(p *rules.Pass, o *inventory.Object) {
	m := netpolModel(p.Inventory)
	pol := m.PolicyOf(o)
	if pol == nil {
		return
	}
	for d := range pol.Rules {
		for _, r := range pol.Rules[d] {
			if !r.Effective() || len(r.Named) == 0 {
				continue
			}
			var dsts []*netpol.Class
			what := "pods the policy selects"
			if r.Direction == netpol.Ingress {
				for _, c := range m.Namespace(pol.Namespace).Classes {
					if pol.Selects(c) {
						dsts = append(dsts, c)
					}
				}
			} else {
				what = "pods the rule's peers select"
				for _, c := range m.Classes {
					if r.MatchesClass(c) {
						dsts = append(dsts, c)
					}
				}
			}
			if len(dsts) == 0 {
				continue
			}
			for _, n := range r.Named {
				var otherProtos []string
				found := false
				for _, c := range dsts {
					if _, ok := c.Resolve(n.Name, n.Protocol); ok {
						found = true
						break
					}
					for _, cp := range c.Ports {
						if cp.Name == n.Name {
							otherProtos = append(otherProtos, cp.Protocol.String())
						}
					}
				}
				if found {
					continue
				}
				note := ""
				if len(otherProtos) > 0 {
					sort.Strings(otherProtos)
					note = fmt.Sprintf(" (it is declared with protocol %s)", otherProtos[0])
				}
				p.Report(r.PortPath(n.Index)+".port", "", "%s rule %d names port %q (%s), which none of the %d %s in the input declares%s: it matches nothing",
					r.Direction, r.Index, n.Name, n.Protocol, countWorkloads(dsts), what, note)
			}
		}
	}
}

func countWorkloads(cs []*netpol.Class) int {
	n := 0
	for _, c := range cs {
		n += len(c.Workloads)
	}
	return n
}

// checkPeersSelect reports pod peers that match no pod of the namespaces they apply
// to, when those namespaces have pods in the input.
func checkPeersSelect(p *rules.Pass, o *inventory.Object) {
	m := netpolModel(p.Inventory)
	pol := m.PolicyOf(o)
	if pol == nil {
		return
	}
	for d := range pol.Rules {
		for _, r := range pol.Rules[d] {
			if !r.Effective() {
				continue
			}
			for _, peer := range r.Peers {
				if peer.IPBlock != nil {
					continue
				}
				var nss []string
				pods, matched := 0, false
				for _, n := range m.Namespaces {
					if (peer.Namespaces == nil && n.Name != pol.Namespace) || (peer.Namespaces != nil && !peer.Namespaces.Matches(n.Labels)) {
						continue
					}
					nss = append(nss, n.Name)
					pods += len(n.Workloads)
					for _, c := range n.Classes {
						if peer.MatchesClass(pol, c) {
							matched = true
						}
					}
				}
				if matched || pods == 0 {
					continue
				}
				p.Report(r.PeerPath(peer.Index), "", "%s rule %d: peer %s matches none of the %d pod templates of namespace %s in the input",
					r.Direction, r.Index, peer, pods, strings.Join(nss, ", "))
			}
		}
	}
}

// checkShadowed reports rules that another rule of the namespace's policies covers;
// rules of the same policy cover each other too.
func checkShadowed(p *rules.Pass, o *inventory.Object) {
	m := netpolModel(p.Inventory)
	pol := m.PolicyOf(o)
	if pol == nil {
		return
	}
	// The policy itself, then the others of its namespace (not another definition of
	// the same policy, which is the same object in the cluster).
	cands := []*netpol.Policy{pol}
	for _, q := range m.Namespace(pol.Namespace).Policies {
		if q.Name != pol.Name {
			cands = append(cands, q)
		}
	}
	for d := range pol.Rules {
		for _, r := range pol.Rules[d] {
			if !r.Effective() {
				continue
			}
		search:
			for _, q := range cands {
				for _, b := range q.Rules[d] {
					if b == r || !m.Covers(b, r) {
						continue
					}
					// Of two equivalent rules, the later one is reported.
					if m.Covers(r, b) && before(r, b) {
						continue
					}
					where := fmt.Sprintf("%s rule %d", b.Direction, b.Index)
					if q != pol {
						where += " of NetworkPolicy " + q.Name
					}
					p.Report(r.Path(), "", "%s rule %d allows nothing that %s does not already allow to the same pods", r.Direction, r.Index, where)
					break search
				}
			}
		}
	}
}

// before orders rules by policy (input order) and position.
func before(a, b *netpol.Rule) bool {
	if a.Policy != b.Policy {
		return a.Policy.Index() < b.Policy.Index()
	}
	return a.Index < b.Index
}

// validPortProtocol checks an item of allowedPorts: PORT/PROTOCOL or a range.
func validPortProtocol(s string) error {
	_, err := netpol.ParsePort(s)
	return err
}
