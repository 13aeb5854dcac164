package attackpath

import (
	"sync"

	"github.com/palisade-k8s/palisade/internal/exposure"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/netpol"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// Options tune how a graph is built.
type Options struct {
	// Finder recognises objects that run pods when their facts were not recorded
	// during a scan (nil: the built-in kinds).
	Finder *workload.Finder
	// IncludeSystem counts the grants of Kubernetes' bootstrap policy (bindings
	// labelled kubernetes.io/bootstrapping=rbac-defaults), as rbac risks
	// --include-system does.
	IncludeSystem bool
}

// Index is the attack graph of an inventory, built once per run on first use (Of):
// building the index only remembers the inventory, since the graph reads other
// indexes (inventory.Get does not nest). A rule that reads it lists Needs.
var Index = inventory.NewIndex("attack-graph", indexKinds(), func(inv *inventory.Inventory) *lazy {
	return &lazy{inv: inv}
})

// lazy builds the graph once.
type lazy struct {
	inv  *inventory.Inventory
	once sync.Once
	g    *Graph
}

// Of returns the attack graph of an inventory (built once).
func Of(inv *inventory.Inventory) *Graph {
	l := inventory.Get(inv, Index)
	l.once.Do(func() { l.g = Build(l.inv, Options{}) })
	return l.g
}

// Needs are the indexes a rule that reads the graph lists in Rule.Needs: the graph
// and the analyses it is built from, so that their kinds are decoded and kept.
var Needs = append([]inventory.AnyIndex{Index}, exposure.Needs...)

// indexKinds are the kinds whose bodies the graph reads beyond those of the
// analyses it uses (Namespaces for their Pod Security labels, Secrets for legacy
// service account tokens: type and annotations only).
func indexKinds() []string {
	kinds := []string{"Service", "Ingress", "Namespace", "Secret"}
	kinds = append(kinds, netpol.Kinds...)
	return append(kinds, rbac.Kinds...)
}

// Build makes the attack graph of an inventory.
func Build(inv *inventory.Inventory, opts Options) *Graph {
	b := &builder{g: New(), inv: inv, opts: opts}
	b.workloads()
	b.network()
	b.identity()
	b.host()
	return b.g
}

// builder holds what the parts of Build share.
type builder struct {
	g    *Graph
	inv  *inventory.Inventory
	opts Options
	net  *netpol.Model
	// objects are the input's objects by reference (the last definition wins).
	objects map[finding.ObjectRef]*inventory.Object
}

// workloads adds a node per object that runs pods (the NetworkPolicy model's
// workloads, which every object with a pod template is).
func (b *builder) workloads() {
	b.objects = map[finding.ObjectRef]*inventory.Object{}
	for _, o := range b.inv.Objects {
		b.objects[o.Ref] = o
	}
	b.net = inventory.Get(b.inv, netpol.Index)
	for _, w := range b.net.Workloads {
		if w.Overridden {
			continue
		}
		b.workloadNode(w.Ref)
	}
}

// workloadNode returns the node of a workload, added on first use.
func (b *builder) workloadNode(ref finding.ObjectRef) *Node {
	r := ref
	n := Node{ID: WorkloadID(ref), Kind: KindWorkload, Label: ref.Kind + " " + ref.Namespace + "/" + ref.Name, Namespace: ref.Namespace, Object: &r}
	if o := b.objects[ref]; o != nil {
		loc := o.Origin
		n.Location = &loc
	}
	return b.g.Add(n)
}
