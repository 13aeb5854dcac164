package netpol

import (
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// Containment between selectors, peers and rules, for finding rules that allow nothing
// a broader rule does not already allow. It is sound, not complete: "covers" is only
// answered yes when it holds for every possible set of labels (a selector covers
// another when each of its requirements follows from one of the other's), so a rule
// reported as shadowed always is; some shadowed rules are not recognised.

// SelectorCovers reports whether every label set narrow matches is matched by broad.
func SelectorCovers(broad, narrow labels.Selector) bool {
	if broad.Empty() {
		return true
	}
	br, _ := broad.Requirements()
	nr, _ := narrow.Requirements()
	for _, b := range br {
		implied := false
		for _, n := range nr {
			if n.Key() == b.Key() && implies(n, b) {
				implied = true
				break
			}
		}
		if !implied {
			return false
		}
	}
	return true
}

// implies reports whether every label set satisfying n satisfies b (same key).
func implies(n, b labels.Requirement) bool {
	nv, bv := n.Values(), b.Values()
	positive := func(op selection.Operator) bool {
		return op == selection.Equals || op == selection.DoubleEquals || op == selection.In
	}
	switch b.Operator() {
	case selection.Exists:
		switch n.Operator() {
		case selection.Equals, selection.DoubleEquals, selection.In, selection.Exists, selection.GreaterThan, selection.LessThan:
			return true
		}
	case selection.Equals, selection.DoubleEquals, selection.In:
		return positive(n.Operator()) && bv.IsSuperset(nv)
	case selection.NotEquals, selection.NotIn:
		switch {
		case positive(n.Operator()):
			return !nv.HasAny(bv.UnsortedList()...)
		case n.Operator() == selection.NotIn || n.Operator() == selection.NotEquals:
			return nv.IsSuperset(bv)
		case n.Operator() == selection.DoesNotExist:
			return true
		}
	case selection.DoesNotExist:
		return n.Operator() == selection.DoesNotExist
	}
	return n.Equal(b)
}

// Covers reports whether rule b allows everything rule r allows, for every pod r's
// policy selects: same namespace and direction, both in effect, b's policy selects at
// least r's pods, and b's peers and ports contain r's. Namespaces are judged with the
// labels the model gives them.
func (m *Model) Covers(b, r *Rule) bool {
	pb, pr := b.Policy, r.Policy
	if pb.Namespace != pr.Namespace || b.Direction != r.Direction || !b.Effective() || !r.Effective() {
		return false
	}
	if !SelectorCovers(pb.Selector, pr.Selector) || !portsCover(b, r) {
		return false
	}
	if b.AllPeers {
		return true
	}
	if r.AllPeers {
		return false
	}
	for _, p := range r.Peers {
		covered := false
		for _, q := range b.Peers {
			if m.peerCovers(pr.Namespace, q, p) {
				covered = true
				break
			}
		}
		if !covered {
			return false
		}
	}
	return true
}

func portsCover(b, r *Rule) bool {
	if b.AllPorts {
		return true
	}
	if r.AllPorts {
		return b.Static.IsAll()
	}
	if !r.Static.SubsetOf(b.Static) {
		return false
	}
	for _, n := range r.Named {
		ok := AllOf(n.Protocol).SubsetOf(b.Static)
		for _, bn := range b.Named {
			ok = ok || (bn.Name == n.Name && bn.Protocol == n.Protocol)
		}
		if !ok {
			return false
		}
	}
	return true
}

// peerCovers reports whether peer q matches everything peer p matches, both in rules
// of policies of namespace ns.
func (m *Model) peerCovers(ns string, q, p *Peer) bool {
	if q.IPBlock != nil || p.IPBlock != nil {
		return q.IPBlock != nil && p.IPBlock != nil && p.IPBlock.set.Subtract(q.IPBlock.set).IsEmpty()
	}
	if q.Pods != nil && !q.Pods.Empty() && (p.Pods == nil || !SelectorCovers(q.Pods, p.Pods)) {
		return false
	}
	switch {
	case q.Namespaces == nil && p.Namespaces == nil:
		return true
	case q.Namespaces == nil:
		// Only p's selectors that pin the namespace's name stay inside it.
		own := labels.SelectorFromSet(labels.Set{NamespaceNameLabel: ns})
		return SelectorCovers(own, p.Namespaces)
	case p.Namespaces == nil:
		n := m.Namespace(ns)
		return n != nil && q.Namespaces.Matches(n.Labels)
	}
	return SelectorCovers(q.Namespaces, p.Namespaces)
}
