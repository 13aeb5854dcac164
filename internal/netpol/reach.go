package netpol

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
)

// Endpoint is one end of a connection: the pods of a workload, or addresses outside
// the cluster.
type Endpoint struct {
	Workload *Workload
	// Addresses is set when Workload is nil.
	Addresses netip.Prefix
}

func (e Endpoint) String() string {
	if e.Workload != nil {
		return e.Workload.Name()
	}
	return e.Addresses.String()
}

// Grant is one rule (and peer) that allows some of a connection.
type Grant struct {
	Rule *Rule
	// Peer is the matching peer, nil when the rule has no peers (matches everything).
	Peer *Peer
	// Ports (to a workload) or External (to or from outside) is what it allows.
	Ports    PortSet
	External External
}

// Side is the evaluation at one end of a connection: egress at the source's pods,
// ingress at the destination's.
type Side struct {
	Direction Direction
	Workload  *Workload
	// Isolating are the policies that select the workload for this direction; none
	// means every connection is allowed at this end.
	Isolating []*Policy
	Grants    []Grant
	// Ports (workload peer) or External (peer outside the cluster) is what this end
	// allows, within the requested ports.
	Ports    PortSet
	External External
	// Steps explain the evaluation, one line each, indented by two spaces per level.
	Steps []string
}

// Verdict is the answer to "can From reach To": what each end allows and what gets
// through, within the requested ports.
type Verdict struct {
	From, To  Endpoint
	Requested PortSet
	// Ports is what gets through between two workloads.
	Ports PortSet
	// External is what gets through when one end is outside the cluster: per address
	// of that end, the ports.
	External External
	// Egress is nil when From is outside the cluster; Ingress when To is.
	Egress, Ingress *Side
}

// external reports whether one end is outside the cluster.
func (v *Verdict) external() bool { return v.From.Workload == nil || v.To.Workload == nil }

// Allowed reports whether everything requested gets through (every requested port,
// to or from every address of an outside end).
func (v *Verdict) Allowed() bool {
	if v.external() {
		return v.External.Equal(ExternalOf([]netip.Prefix{v.outside()}, v.Requested))
	}
	return v.Ports.Equal(v.Requested)
}

// Denied reports whether nothing requested gets through.
func (v *Verdict) Denied() bool {
	if v.external() {
		return v.External.IsEmpty()
	}
	return v.Ports.IsEmpty()
}

func (v *Verdict) outside() netip.Prefix {
	if v.From.Workload == nil {
		return v.From.Addresses
	}
	return v.To.Addresses
}

// Reach evaluates a connection from one endpoint to another on the requested ports
// (AllPorts for any). At least one end must be a workload.
func (m *Model) Reach(from, to Endpoint, requested PortSet) (*Verdict, error) {
	if from.Workload == nil && to.Workload == nil {
		return nil, fmt.Errorf("at least one end must be a workload (both %s and %s are outside the cluster)", from, to)
	}
	v := &Verdict{From: from, To: to, Requested: requested}
	if from.Workload != nil {
		v.Egress = m.side(Egress, from.Workload, to, requested)
	}
	if to.Workload != nil {
		v.Ingress = m.side(Ingress, to.Workload, from, requested)
	}
	switch {
	case !v.external():
		v.Ports = v.Egress.Ports.Intersect(v.Ingress.Ports)
	case v.Egress != nil:
		v.External = v.Egress.External
	default:
		v.External = v.Ingress.External
	}
	return v, nil
}

// side evaluates direction d at workload w, whose peer is other.
func (m *Model) side(d Direction, w *Workload, other Endpoint, requested PortSet) *Side {
	c := w.Class
	s := &Side{Direction: d, Workload: w, Isolating: c.Isolating[d]}
	var outside External
	if other.Workload == nil {
		outside = ExternalOf([]netip.Prefix{other.Addresses}, requested)
	}
	// dst is the pods whose named ports the rules' ports resolve on.
	dst := c
	if d == Egress {
		dst = nil
		if other.Workload != nil {
			dst = other.Workload.Class
		}
	}
	step := func(depth int, format string, args ...any) {
		s.Steps = append(s.Steps, strings.Repeat("  ", depth)+fmt.Sprintf(format, args...))
	}
	step(0, "%s %s %s (namespace %s, pod labels %s):", d, map[Direction]string{Ingress: "to", Egress: "from"}[d], w.Name(), w.Ref.Namespace, showLabels(w.Labels))
	for _, p := range c.Namespace.Policies {
		if !p.Selector.Matches(c.Labels) {
			step(1, "NetworkPolicy %s does not select it (podSelector %s)", p, showSelector(p.Selector))
		} else if !p.Types[d] {
			step(1, "NetworkPolicy %s selects it but does not have %s in policyTypes%s", p, d.Type(), defaultedNote(p))
		}
	}
	if len(s.Isolating) == 0 {
		step(1, "not isolated for %s: no NetworkPolicy of namespace %s selects it with %s in effect, so every %s is allowed", d, w.Ref.Namespace, d.Type(), map[Direction]string{Ingress: "source", Egress: "destination"}[d])
		s.Ports, s.External = requested, outside
		return s
	}
	for _, p := range s.Isolating {
		step(1, "isolated by NetworkPolicy %s (podSelector %s, policyTypes %s%s)", p, showSelector(p.Selector), typesString(p.Types), defaultedNote(p))
	}
	for _, p := range s.Isolating {
		if len(p.Rules[d]) == 0 {
			step(1, "NetworkPolicy %s has no %s rules: it allows nothing by itself", p, d)
		}
		for _, r := range p.Rules[d] {
			step(1, "%s:", r)
			var ports PortSet
			if other.Workload != nil {
				ports = r.PortsFor(dst).Intersect(requested)
			}
			if r.AllPeers {
				if other.Workload != nil {
					step(2, "no %s peers: matches %s", peerField(d), other)
					s.grant(Grant{Rule: r, Ports: ports})
				} else {
					ext := r.ExternalFor(dst).Intersect(outside)
					step(2, "no %s peers: matches every address, %s", peerField(d), describeExternal(ext))
					s.grant(Grant{Rule: r, External: ext})
				}
			} else {
				for _, peer := range r.Peers {
					if other.Workload != nil {
						ok, why := explainPeer(p, peer, other.Workload.Class)
						step(2, "%s[%d] %s: %s", peerField(d), peer.Index, peer, why)
						if ok {
							s.grant(Grant{Rule: r, Peer: peer, Ports: ports})
						}
						continue
					}
					if peer.IPBlock == nil {
						step(2, "%s[%d] %s: selects pods, not addresses outside the cluster", peerField(d), peer.Index, peer)
						continue
					}
					ports := r.Static
					if dst != nil {
						ports = r.PortsFor(dst)
					}
					ext := peer.IPBlock.set.RestrictPorts(ports).Intersect(outside)
					step(2, "%s[%d] %s: %s", peerField(d), peer.Index, peer, describeExternal(ext))
					if !ext.IsEmpty() {
						s.grant(Grant{Rule: r, Peer: peer, External: ext})
					}
				}
			}
			step(2, "ports: %s", describeRulePorts(r, dst))
		}
	}
	for _, g := range s.Grants {
		s.Ports = s.Ports.Union(g.Ports)
		s.External = s.External.Union(g.External)
	}
	if other.Workload != nil {
		step(1, "%s allows %s", d, s.Ports)
	} else {
		step(1, "%s allows %s", d, describeExternal(s.External))
	}
	return s
}

func (s *Side) grant(g Grant) { s.Grants = append(s.Grants, g) }

func peerField(d Direction) string {
	_, f := d.field()
	return f
}

func describeExternal(e External) string {
	if e.IsEmpty() {
		return "nothing"
	}
	return e.String()
}

// describeRulePorts says which ports a rule lists and, for named ports, what they
// resolve to on the destination pods (nil dst: outside the cluster).
func describeRulePorts(r *Rule, dst *Class) string {
	if r.AllPorts {
		return "none listed: all ports"
	}
	var parts []string
	if !r.Static.IsEmpty() {
		parts = append(parts, r.Static.String())
	}
	for _, n := range r.Named {
		if dst == nil {
			parts = append(parts, fmt.Sprintf("named port %q/%s (never resolves outside the cluster)", n.Name, n.Protocol))
		} else if port, ok := dst.Resolve(n.Name, n.Protocol); ok {
			parts = append(parts, fmt.Sprintf("named port %q/%s = %s/%d on the destination", n.Name, n.Protocol, n.Protocol, port))
		} else {
			parts = append(parts, fmt.Sprintf("named port %q/%s (the destination declares no such port: matches nothing)", n.Name, n.Protocol))
		}
	}
	return strings.Join(parts, ", ")
}

// explainPeer says whether a peer of a rule of policy p matches the pods of c, and why.
func explainPeer(p *Policy, peer *Peer, c *Class) (bool, string) {
	if peer.IPBlock != nil {
		if peer.IPBlock.coversPods {
			return true, "matches: the block contains every pod address (--pod-cidr)"
		}
		return false, "no: ipBlocks select addresses outside the cluster, not pods (see docs/netpol.md)"
	}
	if peer.Namespaces == nil {
		if c.Namespace.Name != p.Namespace {
			return false, fmt.Sprintf("no: without a namespaceSelector only pods of namespace %s match, not of %s", p.Namespace, c.Namespace.Name)
		}
	} else if !peer.Namespaces.Matches(c.Namespace.Labels) {
		return false, fmt.Sprintf("no: namespace %s (labels %s) does not match", c.Namespace.Name, showLabels(c.Namespace.Labels))
	}
	if peer.Pods != nil && !peer.Pods.Matches(c.Labels) {
		return false, fmt.Sprintf("no: pod labels %s do not match", showLabels(c.Labels))
	}
	return true, "matches"
}

func typesString(t [2]bool) string {
	var s []string
	if t[Ingress] {
		s = append(s, "Ingress")
	}
	if t[Egress] {
		s = append(s, "Egress")
	}
	return strings.Join(s, ", ")
}

func defaultedNote(p *Policy) string {
	if len(p.Spec.PolicyTypes) == 0 {
		return " by default"
	}
	return ""
}

func showSelector(s labels.Selector) string {
	if s.Empty() {
		return "{} (every pod)"
	}
	return "{" + s.String() + "}"
}

func showLabels(s labels.Set) string {
	if len(s) == 0 {
		return "{}"
	}
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + s[k]
	}
	return "{" + strings.Join(keys, ", ") + "}"
}
