package attackpath

import (
	"fmt"
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rbac"
)

// DefaultMaxDepth bounds the hops of a path when a query sets none.
const DefaultMaxDepth = 8

// Query asks for paths from entries to targets.
type Query struct {
	// From are entry node IDs: internet, pod, namespace:NS, workload:NS/KIND/NAME,
	// identity:SUBJECT (rbac.ParseSubject syntax). Empty: internet and pod.
	From []string
	// To are targets: cluster-admin, node, secrets (the secrets of any namespace),
	// secrets:NS, workload:NS/KIND/NAME. Empty: cluster-admin, node and secrets.
	To []string
	// MaxDepth bounds a path's hops (0: DefaultMaxDepth).
	MaxDepth int
	// Others lists, for each path, the other simple paths through the same pivot
	// (up to MaxOthers each; 0: 20); otherwise they are only counted.
	Others    bool
	MaxOthers int
}

// Path is one attack path.
type Path struct {
	Entry, Target *Node
	// Pivot is the path's last workload (nil for a path that crosses none).
	Pivot *Node
	Edges []*Edge
	// Alternatives counts the other simple paths from Entry to Target through
	// Pivot within the depth bound; Others lists some when the query asks.
	Alternatives int
	Others       [][]*Edge
	// Fix is the cheapest cut (nil when no edge of the path can be cut).
	Fix *finding.PathFix
}

// ParseEntry checks an entry ID.
func ParseEntry(s string) (string, error) {
	switch {
	case s == Internet, s == AnyPod:
		return s, nil
	case strings.HasPrefix(s, "namespace:") && len(s) > len("namespace:"):
		return s, nil
	case strings.HasPrefix(s, "workload:"):
		if _, err := parseWorkloadID(s); err != nil {
			return "", err
		}
		return s, nil
	case strings.HasPrefix(s, "identity:"):
		sub, err := rbac.ParseSubject(strings.TrimPrefix(s, "identity:"))
		if err != nil {
			return "", fmt.Errorf("entry %q: %w", s, err)
		}
		return IdentityID(sub), nil
	}
	return "", fmt.Errorf("entry %q: want internet, pod, namespace:NS, workload:NS/KIND/NAME or identity:SUBJECT (user:NAME, group:NAME, sa:NS:NAME)", s)
}

// ParseTarget checks a target ID.
func ParseTarget(s string) (string, error) {
	switch {
	case s == ClusterAdmin, s == HostNode, s == "secrets", s == AllSecrets:
		return s, nil
	case strings.HasPrefix(s, "secrets:") && len(s) > len("secrets:"):
		return s, nil
	case strings.HasPrefix(s, "workload:"):
		if _, err := parseWorkloadID(s); err != nil {
			return "", err
		}
		return s, nil
	}
	return "", fmt.Errorf("target %q: want cluster-admin, node, secrets, secrets:NS or workload:NS/KIND/NAME", s)
}

func parseWorkloadID(s string) (finding.ObjectRef, error) {
	parts := strings.Split(strings.TrimPrefix(s, "workload:"), "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return finding.ObjectRef{}, fmt.Errorf("workload %q: want workload:NAMESPACE/KIND/NAME", s)
	}
	return finding.ObjectRef{Namespace: parts[0], Kind: parts[1], Name: parts[2]}, nil
}

// IdentityID is the node ID of a subject as an entry (a service account's is its
// serviceaccount node).
func IdentityID(s rbac.Subject) string {
	if s.Kind == rbac.KindServiceAccount {
		return ServiceAccountID(s.Namespace, s.Name)
	}
	return "identity:" + strings.ToLower(s.Kind) + ":" + s.Name
}

// Paths answers a query: per entry, per target, per pivot, the shortest path.
func (g *Graph) Paths(q Query) ([]*Path, error) {
	from, to := q.From, q.To
	if len(from) == 0 {
		from = []string{Internet, AnyPod}
	}
	if len(to) == 0 {
		to = []string{ClusterAdmin, HostNode, "secrets"}
	}
	depth := q.MaxDepth
	if depth <= 0 {
		depth = DefaultMaxDepth
	}
	var targets []*Node
	for _, t := range to {
		id, err := ParseTarget(t)
		if err != nil {
			return nil, err
		}
		targets = append(targets, g.targetNodes(id)...)
	}
	isTarget := map[*Node]bool{}
	for _, t := range targets {
		isTarget[t] = true
	}
	var out []*Path
	for _, f := range from {
		id, err := ParseEntry(f)
		if err != nil {
			return nil, err
		}
		entry, starts := g.entry(id)
		if len(starts) == 0 {
			continue
		}
		out = append(out, g.search(entry, starts, isTarget, depth)...)
	}
	sort.SliceStable(out, func(i, j int) bool { return pathLess(out[i], out[j]) })
	return out, nil
}

// targetNodes are the nodes a target ID names.
func (g *Graph) targetNodes(id string) []*Node {
	if id == "secrets" {
		var out []*Node
		for _, n := range g.Nodes {
			if n.Kind == KindSecrets {
				out = append(out, n)
			}
		}
		return out
	}
	if n := g.Node(id); n != nil {
		return []*Node{n}
	}
	return nil
}

// entry returns the entry node (a virtual one for a namespace) and the nodes a
// search starts from.
func (g *Graph) entry(id string) (*Node, []*Node) {
	if ns, ok := strings.CutPrefix(id, "namespace:"); ok {
		var starts []*Node
		for _, n := range g.Workloads() {
			if n.Namespace == ns {
				starts = append(starts, n)
			}
		}
		return &Node{ID: id, Kind: KindNamespace, Label: "namespace " + ns, Namespace: ns, index: -1}, starts
	}
	n := g.Node(id)
	if n == nil {
		return nil, nil
	}
	return n, []*Node{n}
}

// search finds, from an entry, the shortest path to each target through each
// pivot: a breadth-first search gives the shortest prefix to every workload, and
// each workload's shortest suffix to each target that crosses no other workload.
func (g *Graph) search(entry *Node, starts []*Node, isTarget map[*Node]bool, depth int) []*Path {
	parent := map[*Node]*Edge{}
	dist := map[*Node]int{}
	queue := append([]*Node(nil), starts...)
	for _, s := range starts {
		dist[s] = 0
	}
	var out []*Path
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if dist[n] >= depth {
			continue
		}
		for _, e := range g.Out(n) {
			if _, seen := dist[e.To]; seen {
				continue
			}
			dist[e.To] = dist[n] + 1
			parent[e.To] = e
			queue = append(queue, e.To)
		}
	}
	prefix := func(n *Node) []*Edge {
		var edges []*Edge
		for e := parent[n]; e != nil; e = parent[e.From] {
			edges = append(edges, e)
		}
		for i, j := 0, len(edges)-1; i < j; i, j = i+1, j-1 {
			edges[i], edges[j] = edges[j], edges[i]
		}
		return edges
	}
	// Targets reached with no workload on the way (an identity's own grants).
	for t := range isTarget {
		if _, ok := dist[t]; !ok || t.Kind == KindWorkload {
			continue
		}
		edges := prefix(t)
		if lastWorkload(edges) == nil && len(edges) > 0 {
			out = append(out, &Path{Entry: entry, Target: t, Edges: edges})
		}
	}
	for n, d := range dist {
		if n.Kind != KindWorkload {
			continue
		}
		if isTarget[n] {
			if n != entry {
				out = append(out, &Path{Entry: entry, Target: n, Pivot: n, Edges: prefix(n)})
			}
			continue
		}
		for t, suffix := range g.suffixes(n) {
			if !isTarget[t] || d+len(suffix) > depth {
				continue
			}
			out = append(out, &Path{Entry: entry, Target: t, Pivot: n, Edges: append(prefix(n), suffix...)})
		}
	}
	for _, p := range out {
		p.Fix = g.cut(p)
	}
	return out
}

// suffixes are the shortest paths from a workload to each node it reaches without
// crossing another workload.
func (g *Graph) suffixes(w *Node) map[*Node][]*Edge {
	parent := map[*Node]*Edge{w: nil}
	queue := []*Node{w}
	out := map[*Node][]*Edge{}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, e := range g.out[n] {
			if e.To.Kind == KindWorkload {
				continue
			}
			if _, seen := parent[e.To]; seen {
				continue
			}
			parent[e.To] = e
			queue = append(queue, e.To)
			var edges []*Edge
			for x := e; x != nil; x = parent[x.From] {
				edges = append(edges, x)
			}
			for i, j := 0, len(edges)-1; i < j; i, j = i+1, j-1 {
				edges[i], edges[j] = edges[j], edges[i]
			}
			out[e.To] = edges
		}
	}
	return out
}

// cut is the cheapest fixable edge of the path (the contract's first version: the
// search for an edge that cuts every path is the query's to refine).
func (g *Graph) cut(p *Path) *finding.PathFix {
	var best *finding.PathFix
	for i, e := range p.Edges {
		if e.Fix == nil {
			continue
		}
		if best == nil || e.Fix.Cost < best.Cost {
			f := *e.Fix
			f.Hop = i
			best = &f
		}
	}
	return best
}

func lastWorkload(edges []*Edge) *Node {
	for i := len(edges) - 1; i >= 0; i-- {
		if edges[i].To.Kind == KindWorkload {
			return edges[i].To
		}
	}
	if len(edges) > 0 && edges[0].From.Kind == KindWorkload {
		return edges[0].From
	}
	return nil
}

func pathLess(a, b *Path) bool {
	if a.Entry.ID != b.Entry.ID {
		return a.Entry.ID < b.Entry.ID
	}
	if a.Target.ID != b.Target.ID {
		return a.Target.ID < b.Target.ID
	}
	pa, pb := "", ""
	if a.Pivot != nil {
		pa = a.Pivot.ID
	}
	if b.Pivot != nil {
		pb = b.Pivot.ID
	}
	if pa != pb {
		return pa < pb
	}
	return len(a.Edges) < len(b.Edges)
}

// Evidence is the path as a finding's evidence.
func (p *Path) Evidence() *finding.PathEvidence {
	ev := &finding.PathEvidence{Entry: p.Entry.ID, Target: p.Target.ID, Hops: hops(p.Edges), Fix: p.Fix, Alternatives: p.Alternatives}
	if p.Pivot != nil {
		ev.Pivot = p.Pivot.ID
	}
	for _, o := range p.Others {
		ev.Others = append(ev.Others, hops(o))
	}
	return ev
}

func hops(edges []*Edge) []finding.PathHop {
	out := make([]finding.PathHop, len(edges))
	for i, e := range edges {
		h := finding.PathHop{From: pathNode(e.From), To: pathNode(e.To), Kind: string(e.Kind), Analyzer: e.Analyzer, Evidence: e.Evidence}
		if e.Fix != nil {
			f := *e.Fix
			f.Hop = i
			h.Fix = &f
		}
		out[i] = h
	}
	return out
}

func pathNode(n *Node) finding.PathNode {
	return finding.PathNode{ID: n.ID, Kind: string(n.Kind), Label: n.Label, Namespace: n.Namespace, Object: n.Object, Location: n.Location}
}

// Text is the path in one line: the labels of its nodes joined by arrows.
func (p *Path) Text() string {
	if len(p.Edges) == 0 {
		return p.Entry.Label
	}
	parts := []string{p.Entry.Label}
	if p.Edges[0].From != p.Entry {
		parts = append(parts, p.Edges[0].From.Label)
	}
	for _, e := range p.Edges {
		parts = append(parts, e.To.Label)
	}
	return strings.Join(parts, " -> ")
}
