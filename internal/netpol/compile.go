package netpol

import (
	"fmt"
	"net/netip"
	"strconv"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
)

// Direction is ingress (traffic to the selected pods) or egress (traffic from them).
type Direction int

// The two directions a policy can isolate.
const (
	Ingress Direction = iota
	Egress
)

func (d Direction) String() string {
	if d == Egress {
		return "egress"
	}
	return "ingress"
}

// Type is the policyTypes value of the direction ("Ingress", "Egress").
func (d Direction) Type() string {
	if d == Egress {
		return "Egress"
	}
	return "Ingress"
}

// field names the spec list of the direction's rules and the peer list of a rule.
func (d Direction) field() (rules, peers string) {
	if d == Egress {
		return "egress", "to"
	}
	return "ingress", "from"
}

// Policy is one NetworkPolicy as the API server would store and a network plugin
// enforce it.
type Policy struct {
	Namespace, Name string
	// Object is the loaded object (nil for policies compiled from a bare spec).
	Object *inventory.Object
	Spec   networkingv1.NetworkPolicySpec
	// Selector is spec.podSelector; it selects pods of Namespace only.
	Selector labels.Selector
	// Types says which directions the policy isolates: spec.policyTypes after the API
	// server's defaulting.
	Types [2]bool
	// Rules are the rules of each direction; those of a direction not in Types are
	// kept (lint reads them) but never allow anything.
	Rules [2][]*Rule
	// index is the policy's position in the model, in input order.
	index int
}

func (p *Policy) String() string { return p.Namespace + "/" + p.Name }

// Rule is one ingress or egress rule.
type Rule struct {
	Policy    *Policy
	Direction Direction
	Index     int
	// AllPeers is set when the rule lists no peers: it matches every source (ingress) or
	// destination (egress), in the cluster and outside it.
	AllPeers bool
	Peers    []*Peer
	// AllPorts is set when the rule lists no ports: every port of every protocol.
	AllPorts bool
	// Static is what the numeric and protocol-only ports allow (everything when
	// AllPorts).
	Static PortSet
	// Named are the named ports, resolved against each destination pod's ports.
	Named []NamedPortRef
	// external is what the rule allows outside the cluster: every address (AllPeers) or
	// its ipBlocks, on the static ports (a named port resolves only on a pod).
	external External
	// id numbers the rule in its model, for the matrix.
	id int
}

// Path is the field path of the rule ("spec.ingress[0]").
func (r *Rule) Path() string {
	f, _ := r.Direction.field()
	return "spec." + f + "[" + strconv.Itoa(r.Index) + "]"
}

// PeerPath is the field path of one of its peers ("spec.ingress[0].from[1]").
func (r *Rule) PeerPath(i int) string {
	_, p := r.Direction.field()
	return r.Path() + "." + p + "[" + strconv.Itoa(i) + "]"
}

// PortPath is the field path of one of its ports ("spec.ingress[0].ports[1]").
func (r *Rule) PortPath(i int) string { return r.Path() + ".ports[" + strconv.Itoa(i) + "]" }

// Effective reports whether the rule's direction is in effect for its policy.
func (r *Rule) Effective() bool { return r.Policy.Types[r.Direction] }

// String names the rule: "NetworkPolicy shop/api ingress rule 0".
func (r *Rule) String() string {
	return fmt.Sprintf("NetworkPolicy %s %s rule %d", r.Policy, r.Direction, r.Index)
}

// NamedPortRef is a port named in a rule, with its protocol.
type NamedPortRef struct {
	Name     string
	Protocol Protocol
	// Index is the position in the rule's ports.
	Index int
}

// Peer is one entry of a rule's from or to list: pods chosen by namespace and pod
// selectors, or an ipBlock.
type Peer struct {
	Index int
	// Namespaces selects the namespaces of the peer's pods; nil means the policy's own
	// namespace (no namespaceSelector). An empty namespaceSelector selects them all.
	Namespaces labels.Selector
	// Pods selects pods in those namespaces; nil (no podSelector) means every pod.
	Pods labels.Selector
	// IPBlock is set for ipBlock peers, which select addresses, never pods by label.
	IPBlock *IPBlock
}

// IPBlock is a CIDR minus its exceptions.
type IPBlock struct {
	CIDR   netip.Prefix
	Except []netip.Prefix
	// set is CIDR minus Except on every port.
	set External
	// coversPods is set by a model whose PodCIDRs the block contains.
	coversPods bool
}

func (b *IPBlock) String() string {
	s := b.CIDR.String()
	if len(b.Except) > 0 {
		s += " except"
		for i, e := range b.Except {
			if i > 0 {
				s += ","
			}
			s += " " + e.String()
		}
	}
	return s
}

// Addresses is the block's addresses, on every port.
func (b *IPBlock) Addresses() External { return b.set }

// String describes the peer the way a policy author writes it.
func (p *Peer) String() string {
	if p.IPBlock != nil {
		return "ipBlock " + p.IPBlock.String()
	}
	var s string
	switch {
	case p.Namespaces == nil:
		s = "pods of the policy's namespace"
	case p.Namespaces.Empty():
		s = "pods of every namespace"
	default:
		s = "pods of namespaces {" + p.Namespaces.String() + "}"
	}
	if p.Pods != nil && !p.Pods.Empty() {
		s += " with labels {" + p.Pods.String() + "}"
	}
	return s
}

// IsNetworkPolicy reports whether an object is a NetworkPolicy that clusters still
// serve. extensions/v1beta1 NetworkPolicy is no longer served (since Kubernetes 1.16),
// so such archived objects protect nothing.
func IsNetworkPolicy(o *inventory.Object) bool {
	return o.Ref.Kind == "NetworkPolicy" && o.Ref.APIVersion == "networking.k8s.io/v1"
}

// EffectiveTypes applies the API server's defaulting of spec.policyTypes: Ingress
// always, plus Egress when spec.egress has rules (an empty egress list does not count).
func EffectiveTypes(spec *networkingv1.NetworkPolicySpec) [2]bool {
	var t [2]bool
	if len(spec.PolicyTypes) == 0 {
		t[Ingress] = true
		t[Egress] = len(spec.Egress) > 0
		return t
	}
	for _, pt := range spec.PolicyTypes {
		switch pt {
		case networkingv1.PolicyTypeIngress:
			t[Ingress] = true
		case networkingv1.PolicyTypeEgress:
			t[Egress] = true
		}
	}
	return t
}

// Compile decodes and validates a loaded NetworkPolicy. A policy the API server would
// reject compiles to nil with one input error per problem, each at the offending
// field's line.
func Compile(o *inventory.Object) (*Policy, []finding.InputError) {
	var np networkingv1.NetworkPolicy
	if err := o.Decode(&np); err != nil {
		return nil, []finding.InputError{{Location: o.Origin, Message: fmt.Sprintf("NetworkPolicy %s/%s does not decode: %v", o.Ref.Namespace, o.Ref.Name, err)}}
	}
	// A policy read from a cluster was stored by an API server, possibly before the
	// strict IP validation of Kubernetes 1.33: it is read with the legacy parser.
	p, errs := compileSpec(o.Ref.Namespace, o.Ref.Name, &np.Spec, o.Origin.Provenance == finding.FromCluster)
	if len(errs) > 0 {
		out := make([]finding.InputError, len(errs))
		for i, e := range errs {
			out[i] = finding.InputError{Location: o.LocationOf(e.Field), Message: fmt.Sprintf("NetworkPolicy %s/%s: %s: %s (the API server would reject it)", o.Ref.Namespace, o.Ref.Name, e.Field, e.ErrorBody())}
		}
		return nil, out
	}
	p.Object = o
	return p, nil
}

// CompileSpec validates a NetworkPolicy spec as the API server validates a new object
// (networking validation of Kubernetes 1.37, strict IP and CIDR syntax included) and
// compiles it. Any error means the API server would reject the policy; the policy is
// then nil.
func CompileSpec(namespace, name string, spec *networkingv1.NetworkPolicySpec) (*Policy, field.ErrorList) {
	return compileSpec(namespace, name, spec, false)
}

// compileSpec compiles a spec; legacy accepts the CIDR forms the API server accepted
// before strict validation (host bits set, leading zeros, IPv4-mapped IPv6), as it
// still does for objects stored with them.
func compileSpec(namespace, name string, spec *networkingv1.NetworkPolicySpec, legacy bool) (*Policy, field.ErrorList) {
	specPath := field.NewPath("spec")
	p := &Policy{Namespace: namespace, Name: name, Spec: *spec, Types: EffectiveTypes(spec)}
	var errs field.ErrorList
	p.Selector, errs = selector(&spec.PodSelector, specPath.Child("podSelector"))
	if len(spec.PolicyTypes) > 2 {
		errs = append(errs, field.Invalid(specPath.Child("policyTypes"), spec.PolicyTypes, "may not specify more than two policyTypes"))
	}
	for i, t := range spec.PolicyTypes {
		if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
			errs = append(errs, field.NotSupported(specPath.Child("policyTypes").Index(i), t, []string{"Ingress", "Egress"}))
		}
	}
	for i := range spec.Ingress {
		in := &spec.Ingress[i]
		r, e := compileRule(p, Ingress, i, in.From, in.Ports, specPath.Child("ingress").Index(i), legacy)
		errs = append(errs, e...)
		p.Rules[Ingress] = append(p.Rules[Ingress], r)
	}
	for i := range spec.Egress {
		eg := &spec.Egress[i]
		r, e := compileRule(p, Egress, i, eg.To, eg.Ports, specPath.Child("egress").Index(i), legacy)
		errs = append(errs, e...)
		p.Rules[Egress] = append(p.Rules[Egress], r)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return p, nil
}

// selector validates a label selector as the API server does for new objects and
// converts it. metav1.LabelSelectorAsSelector gives the exact matching semantics: an
// empty selector matches everything.
func selector(s *metav1.LabelSelector, path *field.Path) (labels.Selector, field.ErrorList) {
	errs := metav1validation.ValidateLabelSelector(s, metav1validation.LabelSelectorValidationOptions{}, path)
	if len(errs) > 0 {
		return nil, errs
	}
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		return nil, field.ErrorList{field.Invalid(path, s, err.Error())}
	}
	return sel, nil
}

func compileRule(p *Policy, d Direction, index int, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort, path *field.Path, legacy bool) (*Rule, field.ErrorList) {
	r := &Rule{Policy: p, Direction: d, Index: index, AllPeers: len(peers) == 0, AllPorts: len(ports) == 0}
	var errs field.ErrorList
	_, peerField := d.field()
	for i := range ports {
		errs = append(errs, r.addPort(&ports[i], i, path.Child("ports").Index(i))...)
	}
	if r.AllPorts {
		r.Static = AllPorts()
	}
	for i := range peers {
		peer, e := compilePeer(&peers[i], i, path.Child(peerField).Index(i), legacy)
		errs = append(errs, e...)
		if peer != nil {
			r.Peers = append(r.Peers, peer)
		}
	}
	if r.AllPeers {
		r.external = AllExternal().RestrictPorts(r.Static)
	} else {
		for _, peer := range r.Peers {
			if peer.IPBlock != nil {
				r.external = r.external.Union(peer.IPBlock.set.RestrictPorts(r.Static))
			}
		}
	}
	return r, errs
}

func (r *Rule) addPort(pp *networkingv1.NetworkPolicyPort, i int, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	proto := TCP
	if pp.Protocol != nil {
		var ok bool
		if proto, ok = ParseProtocol(string(*pp.Protocol)); !ok || *pp.Protocol == "" {
			errs = append(errs, field.NotSupported(path.Child("protocol"), *pp.Protocol, []string{"TCP", "UDP", "SCTP"}))
		}
	}
	switch {
	case pp.Port == nil:
		if pp.EndPort != nil {
			errs = append(errs, field.Invalid(path.Child("endPort"), *pp.EndPort, "may not be specified when `port` is not specified"))
		}
		r.Static = r.Static.Union(AllOf(proto))
	case pp.Port.Type == intstr.Int:
		port := int(pp.Port.IntVal)
		for _, msg := range validation.IsValidPortNum(port) {
			errs = append(errs, field.Invalid(path.Child("port"), port, msg))
		}
		end := port
		if pp.EndPort != nil {
			end = int(*pp.EndPort)
			if end < port {
				errs = append(errs, field.Invalid(path.Child("endPort"), port, "must be greater than or equal to `port`"))
			}
			for _, msg := range validation.IsValidPortNum(end) {
				errs = append(errs, field.Invalid(path.Child("endPort"), end, msg))
			}
		}
		r.Static = r.Static.Union(PortRange(proto, port, end))
	default:
		if pp.EndPort != nil {
			errs = append(errs, field.Invalid(path.Child("endPort"), *pp.EndPort, "may not be specified when `port` is non-numeric"))
		}
		for _, msg := range validation.IsValidPortName(pp.Port.StrVal) {
			errs = append(errs, field.Invalid(path.Child("port"), pp.Port.StrVal, msg))
		}
		r.Named = append(r.Named, NamedPortRef{Name: pp.Port.StrVal, Protocol: proto, Index: i})
	}
	return errs
}

func compilePeer(pp *networkingv1.NetworkPolicyPeer, i int, path *field.Path, legacy bool) (*Peer, field.ErrorList) {
	peer := &Peer{Index: i}
	var errs field.ErrorList
	n := 0
	if pp.PodSelector != nil {
		n++
		sel, e := selector(pp.PodSelector, path.Child("podSelector"))
		errs = append(errs, e...)
		peer.Pods = sel
	}
	if pp.NamespaceSelector != nil {
		n++
		sel, e := selector(pp.NamespaceSelector, path.Child("namespaceSelector"))
		errs = append(errs, e...)
		peer.Namespaces = sel
	}
	if pp.IPBlock != nil {
		n++
		b, e := compileIPBlock(pp.IPBlock, path.Child("ipBlock"), legacy)
		errs = append(errs, e...)
		peer.IPBlock = b
	}
	switch {
	case n == 0:
		errs = append(errs, field.Required(path, "must specify a peer"))
	case n > 1 && pp.IPBlock != nil:
		errs = append(errs, field.Forbidden(path, "may not specify both ipBlock and another peer"))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return peer, nil
}

func compileIPBlock(b *networkingv1.IPBlock, path *field.Path, legacy bool) (*IPBlock, field.ErrorList) {
	if b.CIDR == "" {
		return nil, field.ErrorList{field.Required(path.Child("cidr"), "")}
	}
	parse := func(s string, p *field.Path) (netip.Prefix, *field.Error) {
		if legacy {
			c, err := ParseCIDR(s)
			if err != nil {
				return c, field.Invalid(p, s, "not a valid CIDR")
			}
			return c, nil
		}
		c, msg := parseCIDRStrict(s)
		if msg != "" {
			return c, field.Invalid(p, s, msg)
		}
		return c, nil
	}
	cidr, ferr := parse(b.CIDR, path.Child("cidr"))
	if ferr != nil {
		return nil, field.ErrorList{ferr}
	}
	out := &IPBlock{CIDR: cidr}
	var errs field.ErrorList
	for i, s := range b.Except {
		ex, ferr := parse(s, path.Child("except").Index(i))
		if ferr != nil {
			errs = append(errs, ferr)
			continue
		}
		if ex.Addr().BitLen() != cidr.Addr().BitLen() || !cidr.Contains(ex.Addr()) || ex.Bits() <= cidr.Bits() {
			errs = append(errs, field.Invalid(path.Child("except").Index(i), s, "must be a strict subset of `cidr`"))
			continue
		}
		out.Except = append(out.Except, ex)
	}
	out.set = ExternalOf([]netip.Prefix{cidr}, AllPorts()).Subtract(ExternalOf(out.Except, AllPorts()))
	return out, errs
}
