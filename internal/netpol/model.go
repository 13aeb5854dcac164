// Package netpol analyses Kubernetes NetworkPolicies exactly as the networking.k8s.io/v1
// API defines them: which workloads are isolated, what can reach what on which ports,
// how two versions of the manifests differ, and what a policy set gets wrong.
//
// The model is built once from an inventory: namespaces (from Namespace objects, or
// implied by the objects in them, with the automatic kubernetes.io/metadata.name label),
// workloads (the pod template of anything that runs pods: its labels and declared
// ports), and every valid policy compiled (selectors with metav1.LabelSelectorAsSelector,
// policyTypes defaulted, ports and ipBlocks parsed). Pods that share namespace, labels
// and ports behave identically under any policy, so reachability is computed over
// these equivalence classes, not pod by pod.
//
// What the API leaves to the network plugin is decided as documented in docs/netpol.md:
// ipBlock peers select addresses outside the cluster and never pods chosen by label
// (unless Options.PodCIDRs says where pods live), traffic of a pod to itself is not
// modelled, and host-network pods are analysed like any other although most plugins do
// not apply policies to them.
package netpol

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// NamespaceNameLabel is the label the API server sets on every namespace to its name.
const NamespaceNameLabel = "kubernetes.io/metadata.name"

// Options tune how a model is built.
type Options struct {
	// Finder recognises objects that run pods when their pod labels were not recorded
	// during a scan (nil: the built-in kinds).
	Finder *workload.Finder
	// PodCIDRs, if set, are the address ranges pods get their IPs from. An ipBlock that
	// contains all of them then also matches every pod, as plugins that apply ipBlocks
	// to pod traffic do; without them, ipBlocks match only addresses outside the
	// cluster.
	PodCIDRs []netip.Prefix
}

// Model is the NetworkPolicy view of one input.
type Model struct {
	// Namespaces are sorted by name.
	Namespaces []*Namespace
	// Workloads, Policies and Classes are in input order. Workloads has every
	// definition; Policies only those in effect (the last definition of each name).
	Workloads []*Workload
	Policies  []*Policy
	Classes   []*Class
	// Errors are the policies the API server would reject (they isolate nothing).
	Errors []finding.InputError
	// Notes say what the analysis ignored and why.
	Notes []string

	opts       Options
	keyBuf     []byte
	keyScratch []string
	namespaces map[string]*Namespace
	byObject   map[*inventory.Object]*Policy
	byRef      map[objectKey]*Workload
	lowerKinds map[string]string
	rules      []*Rule
}

// Namespace is one namespace and what the input puts in it.
type Namespace struct {
	Name string
	// Labels include kubernetes.io/metadata.name.
	Labels labels.Set
	// Object is the Namespace object, nil when the namespace is only implied.
	Object    *inventory.Object
	Policies  []*Policy
	Workloads []*Workload
	Classes   []*Class
	// Invalid names the NetworkPolicies of the namespace that the API server would
	// reject.
	Invalid []string
	// BuiltinWorkloads counts the workloads of built-in kinds; FirstNamed is the first
	// of them, in input order, whose own metadata.namespace (or the scan's --namespace
	// option) names the namespace (nil if all were defaulted into it).
	BuiltinWorkloads int
	FirstNamed       *inventory.Object
}

// Workload is an object that runs pods, seen as the pods it creates.
type Workload struct {
	Ref    finding.ObjectRef
	Object *inventory.Object
	Labels labels.Set
	// Ports are the declared container ports, sorted.
	Ports       []ContainerPort
	HostNetwork bool
	Class       *Class
	// Overridden is set on a definition that a later one of the same kind, namespace
	// and name replaces. It stays in its class (connectivity between two pods does not
	// depend on the others) and in lint, but the views leave it out.
	Overridden bool
}

// Name is "namespace/Kind/name".
func (w *Workload) Name() string { return w.Ref.Namespace + "/" + w.Ref.Kind + "/" + w.Ref.Name }

// ContainerPort is a declared port: a number, a protocol and an optional name.
type ContainerPort struct {
	Name     string
	Protocol Protocol
	Port     int
}

// Class is a set of pods that no policy can tell apart: same namespace, same labels,
// same declared ports.
type Class struct {
	ID        int
	Namespace *Namespace
	Labels    labels.Set
	Ports     []ContainerPort
	Workloads []*Workload
	// Isolating lists, per direction, the policies that select the class with that
	// direction in effect, in input order. No policy means not isolated.
	Isolating [2][]*Policy
	portsKey  string
}

// Resolve returns the port number a named port refers to on this class's pods.
func (c *Class) Resolve(name string, proto Protocol) (int, bool) {
	for _, p := range c.Ports {
		if p.Name == name && p.Protocol == proto {
			return p.Port, true
		}
	}
	return 0, false
}

// Build makes the model of an inventory. Policies that do not compile become Errors;
// they select nothing, as the API server would never have stored them.
func Build(inv *inventory.Inventory, opts Options) *Model {
	if opts.Finder == nil {
		opts.Finder = builtinFinder
	}
	m := &Model{opts: opts, namespaces: map[string]*Namespace{}, byObject: map[*inventory.Object]*Policy{}, byRef: make(map[objectKey]*Workload, len(inv.Objects)), lowerKinds: map[string]string{}}
	// An object defined more than once (the same kind, namespace and name in several
	// files) is in the cluster as its last definition, the one applied last.
	last := make(map[objectKey]*inventory.Object, len(inv.Objects))
	for _, o := range inv.Objects {
		last[objectKey{o.Ref.Namespace, o.Ref.Kind, o.Ref.Name}] = o
	}
	var dups []string
	overridden := func(o *inventory.Object) bool {
		if l := last[objectKey{o.Ref.Namespace, o.Ref.Kind, o.Ref.Name}]; l != o {
			dups = append(dups, o.Ref.Kind+" "+o.Ref.Namespace+"/"+o.Ref.Name)
			return true
		}
		return false
	}
	classes := make(map[string]*Class, len(inv.Objects))
	for _, o := range inv.Objects {
		if o.Ref.Namespace != "" {
			m.namespace(o.Ref.Namespace)
		}
		switch {
		case IsNetworkPolicy(o):
			n := m.namespace(o.Ref.Namespace)
			p, errs := Compile(o)
			if p == nil {
				m.Errors = append(m.Errors, errs...)
				n.Invalid = append(n.Invalid, o.Ref.Name)
				continue
			}
			// Lint reads every definition; the analysis only the one in the cluster.
			m.byObject[o] = p
			if overridden(o) {
				p.index = -1
				continue
			}
			p.index = len(m.Policies)
			m.Policies = append(m.Policies, p)
			n.Policies = append(n.Policies, p)
		case o.Ref.Kind == "NetworkPolicy":
			m.Notes = append(m.Notes, "NetworkPolicy "+o.Ref.Namespace+"/"+o.Ref.Name+" ignored: "+o.Ref.APIVersion+" is no longer served (use networking.k8s.io/v1)")
		case o.Ref.Kind == "Namespace" && o.Ref.APIVersion == "v1":
			n := m.namespace(o.Ref.Name)
			if n.Object == nil {
				n.Object = o
				for k, v := range o.Labels {
					if k != NamespaceNameLabel {
						n.Labels[k] = v
					}
				}
			}
		default:
			m.addWorkload(o, classes, overridden)
		}
	}
	if len(dups) > 0 {
		m.Notes = append(m.Notes, fmt.Sprintf("%d objects are defined more than once (%s); the last definition of each is analysed", len(dups), describeList(dups, 3)))
	}
	m.finish()
	return m
}

var builtinFinder = workload.NewFinder(nil)

func (m *Model) namespace(name string) *Namespace {
	n := m.namespaces[name]
	if n == nil {
		n = &Namespace{Name: name, Labels: labels.Set{NamespaceNameLabel: name}}
		m.namespaces[name] = n
	}
	return n
}

func (m *Model) addWorkload(o *inventory.Object, classes map[string]*Class, overridden func(*inventory.Object) bool) {
	podLabels, recorded := workload.PodLabelsFact.Of(o)
	pn, _ := workload.PodNetworkFact.Of(o)
	if !recorded {
		var ok bool
		if podLabels, ok = m.opts.Finder.PodLabels(o); !ok {
			return
		}
		pn = m.opts.Finder.PodNetwork(o)
	}
	if o.Ref.Namespace == "" {
		return
	}
	n := m.namespace(o.Ref.Namespace)
	if _, builtin := builtinFinder.Lookup(o.Ref.APIVersion, o.Ref.Kind); builtin {
		n.BuiltinWorkloads++
		if n.FirstNamed == nil && o.NamespaceKnown() {
			n.FirstNamed = o
		}
	}
	w := &Workload{Ref: o.Ref, Object: o, Labels: labels.Set(podLabels), Overridden: overridden(o)}
	if pn != nil {
		w.HostNetwork = pn.HostNetwork
		for _, p := range pn.Ports {
			proto, ok := ParseProtocol(p.Protocol)
			if !ok {
				continue
			}
			w.Ports = append(w.Ports, ContainerPort{Name: p.Name, Protocol: proto, Port: int(p.Port)})
		}
		sort.Slice(w.Ports, func(i, j int) bool {
			a, b := w.Ports[i], w.Ports[j]
			if a.Protocol != b.Protocol {
				return a.Protocol < b.Protocol
			}
			if a.Port != b.Port {
				return a.Port < b.Port
			}
			return a.Name < b.Name
		})
	}
	m.Workloads = append(m.Workloads, w)
	n.Workloads = append(n.Workloads, w)
	if !w.Overridden {
		m.byRef[objectKey{o.Ref.Namespace, m.lowerKind(o.Ref.Kind), o.Ref.Name}] = w
	}
	// The class key is built in a reused buffer; a map lookup with string(buf) does
	// not allocate, so only new classes cost a string.
	m.keyBuf = append(m.keyBuf[:0], n.Name...)
	m.keyBuf = append(m.keyBuf, 0)
	m.keyBuf = m.appendLabels(m.keyBuf, w.Labels)
	m.keyBuf = append(m.keyBuf, 1)
	start := len(m.keyBuf)
	m.keyBuf = appendPorts(m.keyBuf, w.Ports)
	c := classes[string(m.keyBuf)]
	if c == nil {
		c = &Class{ID: len(m.Classes), Namespace: n, Labels: w.Labels, Ports: w.Ports, portsKey: string(m.keyBuf[start:])}
		classes[string(m.keyBuf)] = c
		m.Classes = append(m.Classes, c)
		n.Classes = append(n.Classes, c)
	}
	c.Workloads = append(c.Workloads, w)
	w.Class = c
}

// lowerKind returns a kind in lower case, computed once per kind.
func (m *Model) lowerKind(kind string) string {
	l, ok := m.lowerKinds[kind]
	if !ok {
		l = strings.ToLower(kind)
		m.lowerKinds[kind] = l
	}
	return l
}

// objectKey identifies an object by kind, namespace and name.
type objectKey struct{ namespace, kind, name string }

// appendLabels appends a label set in key order.
func (m *Model) appendLabels(b []byte, s labels.Set) []byte {
	keys := m.keyScratch[:0]
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b = append(b, k...)
		b = append(b, '=')
		b = append(b, s[k]...)
		b = append(b, 0)
	}
	m.keyScratch = keys
	return b
}

func appendPorts(b []byte, ps []ContainerPort) []byte {
	for _, p := range ps {
		b = append(b, p.Name...)
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(p.Protocol), 10)
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(p.Port), 10)
		b = append(b, 0)
	}
	return b
}

// finish sorts namespaces, numbers rules, decides which ipBlocks cover the pod
// network and which policies isolate which classes.
func (m *Model) finish() {
	for _, n := range m.namespaces {
		m.Namespaces = append(m.Namespaces, n)
	}
	sort.Slice(m.Namespaces, func(i, j int) bool { return m.Namespaces[i].Name < m.Namespaces[j].Name })
	var pods External
	if len(m.opts.PodCIDRs) > 0 {
		pods = ExternalOf(m.opts.PodCIDRs, AllPorts())
	}
	for _, p := range m.Policies {
		for d := range p.Rules {
			for _, r := range p.Rules[d] {
				r.id = len(m.rules)
				m.rules = append(m.rules, r)
				for _, peer := range r.Peers {
					if peer.IPBlock != nil && !pods.IsEmpty() {
						peer.IPBlock.coversPods = pods.Subtract(peer.IPBlock.set).IsEmpty()
					}
				}
			}
		}
	}
	for _, n := range m.Namespaces {
		for _, p := range n.Policies {
			for _, c := range n.Classes {
				if !p.Selector.Matches(c.Labels) {
					continue
				}
				for d, on := range p.Types {
					if on {
						c.Isolating[d] = append(c.Isolating[d], p)
					}
				}
			}
		}
	}
}

// Namespace returns a namespace of the input by name (nil if the input has nothing in
// it).
func (m *Model) Namespace(name string) *Namespace { return m.namespaces[name] }

// PolicyOf returns the compiled policy of a loaded NetworkPolicy object (nil if it
// does not compile or is not a NetworkPolicy). A definition that a later one of the
// same name overrides is compiled too, but takes no part in the analysis.
func (m *Model) PolicyOf(o *inventory.Object) *Policy { return m.byObject[o] }

// Workload finds a workload by namespace, kind (case-insensitive; common short names
// such as deploy, sts, ds, po, cj accepted) and name.
func (m *Model) Workload(ns, kind, name string) *Workload {
	k := strings.ToLower(kind)
	if long, ok := kindAliases[k]; ok {
		k = long
	}
	return m.byRef[objectKey{ns, k, name}]
}

var kindAliases = map[string]string{
	"po": "pod", "pods": "pod", "deploy": "deployment", "deployments": "deployment",
	"sts": "statefulset", "statefulsets": "statefulset", "ds": "daemonset",
	"daemonsets": "daemonset", "rs": "replicaset", "replicasets": "replicaset",
	"rc": "replicationcontroller", "replicationcontrollers": "replicationcontroller",
	"cj": "cronjob", "cronjobs": "cronjob", "jobs": "job",
}

// Selecting returns the policies of the namespace that select pods with these labels
// with direction d in effect, in input order.
func (n *Namespace) Selecting(set labels.Set, d Direction) []*Policy {
	if n == nil {
		return nil
	}
	var out []*Policy
	for _, p := range n.Policies {
		if p.Types[d] && p.Selector.Matches(set) {
			out = append(out, p)
		}
	}
	return out
}

// Selects reports whether a policy selects a class.
func (p *Policy) Selects(c *Class) bool {
	return c.Namespace.Name == p.Namespace && p.Selector.Matches(c.Labels)
}

// MatchesClass reports whether a peer of a rule of policy p matches the pods of c.
func (peer *Peer) MatchesClass(p *Policy, c *Class) bool {
	if peer.IPBlock != nil {
		return peer.IPBlock.coversPods
	}
	if peer.Namespaces == nil {
		if c.Namespace.Name != p.Namespace {
			return false
		}
	} else if !peer.Namespaces.Matches(c.Namespace.Labels) {
		return false
	}
	return peer.Pods == nil || peer.Pods.Matches(c.Labels)
}

// MatchesClass reports whether the rule's peers match the pods of c.
func (r *Rule) MatchesClass(c *Class) bool {
	if r.AllPeers {
		return true
	}
	for _, peer := range r.Peers {
		if peer.MatchesClass(r.Policy, c) {
			return true
		}
	}
	return false
}

// PortsFor is what the rule allows on the pods of dst: its numeric and protocol-only
// ports, plus its named ports that dst's pods declare (by name and protocol).
func (r *Rule) PortsFor(dst *Class) PortSet {
	if len(r.Named) == 0 {
		return r.Static
	}
	out := r.Static
	for _, n := range r.Named {
		if port, ok := dst.Resolve(n.Name, n.Protocol); ok {
			out = out.Union(SinglePort(n.Protocol, port))
		}
	}
	return out
}

// ExternalFor is what the rule allows outside the cluster when the pods of dst are the
// destination (ingress from outside; named ports resolve on dst), or nil dst for
// egress to outside (a named port then resolves on nothing).
func (r *Rule) ExternalFor(dst *Class) External {
	if dst == nil || len(r.Named) == 0 {
		return r.external
	}
	ports := r.PortsFor(dst)
	if r.AllPeers {
		return AllExternal().RestrictPorts(ports)
	}
	var out External
	for _, peer := range r.Peers {
		if peer.IPBlock != nil {
			out = out.Union(peer.IPBlock.set.RestrictPorts(ports))
		}
	}
	return out
}

// Index is the policy's position among the model's valid policies, in input order
// (-1 for a definition a later one of the same name overrides).
func (p *Policy) Index() int { return p.index }

// describeList shows the first n items of a list and how many more there are.
func describeList(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + " and " + strconv.Itoa(len(items)-n) + " more"
}

// Kinds are the kinds the analysis reads besides the objects that run pods: a source
// (internal/source) decodes them and lists them from a live cluster.
var Kinds = []string{"NetworkPolicy", "Namespace"}
