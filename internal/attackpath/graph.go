package attackpath

import (
	"sort"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// Kind is a node's type.
type Kind string

// Node kinds.
const (
	KindInternet       Kind = "internet"
	KindPod            Kind = "pod"
	KindNamespace      Kind = "namespace"
	KindIdentity       Kind = "identity"
	KindWorkload       Kind = "workload"
	KindServiceAccount Kind = "serviceaccount"
	KindCapability     Kind = "capability"
	KindSecrets        Kind = "secrets"
	KindNode           Kind = "node"
	KindClusterAdmin   Kind = "cluster-admin"
)

// Well-known node IDs.
const (
	Internet     = "internet"
	AnyPod       = "pod"
	HostNode     = "node"
	ClusterAdmin = "cluster-admin"
	AllSecrets   = "secrets:*"
)

// EdgeKind is an edge's type.
type EdgeKind string

// Edge kinds (see the package doc).
const (
	EdgeExposed     EdgeKind = "exposed"
	EdgeNetwork     EdgeKind = "network"
	EdgeMember      EdgeKind = "member"
	EdgeToken       EdgeKind = "token"
	EdgeGrant       EdgeKind = "grant"
	EdgeRunAs       EdgeKind = "run-as"
	EdgeExec        EdgeKind = "exec"
	EdgeReadSecrets EdgeKind = "read-secrets"
	EdgeSecretToken EdgeKind = "secret-token"
	EdgeCreatePod   EdgeKind = "create-pod"
	EdgeHost        EdgeKind = "host"
	EdgeEscalate    EdgeKind = "escalate"
	EdgeNodesProxy  EdgeKind = "nodes-proxy"
)

// Analyzers that justify edges.
const (
	ByExposure = "exposure"
	ByNetpol   = "netpol"
	ByRBAC     = "rbac"
	ByWorkload = "workload"
	ByPSS      = "pss"
)

// Node is a node of the graph.
type Node struct {
	ID        string
	Kind      Kind
	Label     string
	Namespace string
	// Object and Location name the Kubernetes object the node stands for (a
	// workload, a service account), when the input has it.
	Object   *finding.ObjectRef
	Location *finding.Location

	index int
}

// Index is the node's position in Graph.Nodes.
func (n *Node) Index() int { return n.index }

// Edge is a typed edge with its evidence.
type Edge struct {
	From, To *Node
	Kind     EdgeKind
	Analyzer string
	// Evidence are the facts that prove the edge, one per line.
	Evidence []string
	// Fix is how the edge is cut; nil when it is inherent (a cluster-admin
	// equivalent reads every secret).
	Fix *finding.PathFix
}

// Lateral supplies the network edges that leave a workload on demand (see the
// package doc); nil when the graph has none.
type Lateral interface {
	From(n *Node) []*Edge
}

// Graph is an attack graph. Nodes are unique by ID; edges are stored per node,
// except the lateral network edges that Lateral supplies.
type Graph struct {
	Nodes   []*Node
	byID    map[string]*Node
	out, in map[*Node][]*Edge
	Lateral Lateral
	// Notes say what the graph leaves out and why (shown once per run).
	Notes []string
}

// New returns an empty graph.
func New() *Graph {
	return &Graph{byID: map[string]*Node{}, out: map[*Node][]*Edge{}, in: map[*Node][]*Edge{}}
}

// Node returns the node with this ID, nil if there is none.
func (g *Graph) Node(id string) *Node { return g.byID[id] }

// Add returns the node with n's ID, adding n if there is none yet (a later Add of
// the same ID fills Object and Location when they were unknown).
func (g *Graph) Add(n Node) *Node {
	if old := g.byID[n.ID]; old != nil {
		if old.Object == nil && n.Object != nil {
			old.Object, old.Location = n.Object, n.Location
		}
		return old
	}
	p := &n
	p.index = len(g.Nodes)
	g.Nodes = append(g.Nodes, p)
	g.byID[n.ID] = p
	return p
}

// Connect adds an edge (both ends must be nodes of g). An edge of the same kind
// between the same nodes merges its evidence into the first.
func (g *Graph) Connect(e Edge) *Edge {
	for _, old := range g.out[e.From] {
		if old.To == e.To && old.Kind == e.Kind {
			old.Evidence = appendNew(old.Evidence, e.Evidence...)
			if old.Fix == nil || (e.Fix != nil && e.Fix.Cost < old.Fix.Cost) {
				old.Fix = e.Fix
			}
			return old
		}
	}
	p := &e
	g.out[e.From] = append(g.out[e.From], p)
	g.in[e.To] = append(g.in[e.To], p)
	return p
}

// Out lists the edges that leave n: stored ones, then lateral ones.
func (g *Graph) Out(n *Node) []*Edge {
	out := g.out[n]
	if g.Lateral != nil && n.Kind == KindWorkload {
		if l := g.Lateral.From(n); len(l) > 0 {
			out = append(out[:len(out):len(out)], l...)
		}
	}
	return out
}

// In lists the stored edges that enter n (lateral edges are not listed).
func (g *Graph) In(n *Node) []*Edge { return g.in[n] }

// Workloads lists the workload nodes, by ID.
func (g *Graph) Workloads() []*Node {
	var out []*Node
	for _, n := range g.Nodes {
		if n.Kind == KindWorkload {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func appendNew(l []string, add ...string) []string {
	for _, s := range add {
		dup := false
		for _, x := range l {
			if x == s {
				dup = true
				break
			}
		}
		if !dup {
			l = append(l, s)
		}
	}
	return l
}

// WorkloadID is the node ID of a workload.
func WorkloadID(ref finding.ObjectRef) string {
	return "workload:" + ref.Namespace + "/" + ref.Kind + "/" + ref.Name
}

// ServiceAccountID is the node ID of a service account.
func ServiceAccountID(ns, name string) string { return "serviceaccount:" + ns + "/" + name }

// CapabilityID is the node ID of a capability class held in a namespace ("" for
// cluster-wide).
func CapabilityID(class, ns string) string {
	if ns == "" {
		return "capability:" + class + "@cluster"
	}
	return "capability:" + class + "@" + ns
}

// SecretsID is the node ID of a namespace's secrets ("" for every namespace).
func SecretsID(ns string) string {
	if ns == "" {
		return AllSecrets
	}
	return "secrets:" + ns
}
