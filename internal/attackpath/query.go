package attackpath

import (
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"weak"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rbac"
)

// DefaultMaxDepth bounds the hops of a path when a query sets none.
const DefaultMaxDepth = 8

// Query asks for paths from entries to targets.
type Query struct {
	// From are entry node IDs: internet, pod, namespace:NS, workload:NS/KIND/NAME,
	// identity:SUBJECT (rbac.ParseSubject syntax; a service account's is
	// serviceaccount:NS/NAME, also accepted). Empty: internet and pod.
	From []string
	// To are targets: cluster-admin, node, secrets (the secrets of any namespace),
	// secrets:NS, workload:NS/KIND/NAME. Empty: cluster-admin, node and secrets.
	To []string
	// MaxDepth bounds a path's hops (0: DefaultMaxDepth).
	MaxDepth int
	// Others lists, for each path, the other simple paths through the same pivot
	// (up to MaxOthers each; 0: DefaultMaxOthers); otherwise they are only counted.
	Others    bool
	MaxOthers int
	// MaxAlternatives bounds the count of other paths through a pivot (0:
	// DefaultMaxAlternatives): a path with that many alternatives may have more.
	MaxAlternatives int
}

// Defaults of a query's bounds.
const (
	DefaultMaxOthers       = 20
	DefaultMaxAlternatives = 100
)

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

	// explained is set once Graph.Explain has filled the path (under explainMu).
	explained bool
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
	case strings.HasPrefix(s, "serviceaccount:"):
		ns, name, ok := strings.Cut(strings.TrimPrefix(s, "serviceaccount:"), "/")
		if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
			return "", fmt.Errorf("entry %q: want serviceaccount:NAMESPACE/NAME", s)
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

// LateralClasses is implemented by a Lateral whose edges leaving a workload are
// those of every other workload of its class (the NetworkPolicy class of its pods,
// whose matrix row they share), an edge to itself excepted: Class numbers the class
// (-1: none). A search then asks one workload per class for its edges, so that an
// open cluster of thousands of workloads costs one row per class reached.
type LateralClasses interface {
	Lateral
	Class(n *Node) int
}

// groupLateral is a LateralClasses (the NetworkPolicy one) that lists the
// destinations of a workload by groups (the workloads of a destination class,
// its own included) and makes one edge on demand: a search then makes no edge
// per pair of workloads that talk, and skips a group it has reached whole.
type groupLateral interface {
	LateralClasses
	// groupRow is the set of groups (bits; a group is a class, numbered as
	// Class does) whose workloads the pods of n reach, n included if its own
	// class is one; groupMembers lists a group's workloads.
	groupRow(n *Node) []uint64
	groupMembers(group int) []*Node
	Edge(from, to *Node) *Edge
}

// Paths answers a query: per entry, per target, per pivot, the shortest path (see
// the package doc). Answers are computed once per graph and query, safely for
// concurrent callers: a graph must not change after its first query.
func (g *Graph) Paths(q Query) ([]*Path, error) {
	a, err := g.answer(q)
	if err != nil {
		return nil, err
	}
	return slices.Clone(a.paths), nil
}

// PathsThrough answers a query as Paths does, keeping the paths whose pivot has
// the ID (a rule that reports each path on its pivot asks this once per object).
func (g *Graph) PathsThrough(q Query, pivot string) ([]*Path, error) {
	a, err := g.answer(q)
	if err != nil {
		return nil, err
	}
	return slices.Clone(a.byPivot[pivot]), nil
}

// answer is a query's memoized answer.
type answer struct {
	paths   []*Path
	byPivot map[string][]*Path
}

func (g *Graph) answer(q Query) (*answer, error) {
	from, to := q.From, q.To
	if len(from) == 0 {
		from = []string{Internet, AnyPod}
	}
	if len(to) == 0 {
		to = []string{ClusterAdmin, HostNode, "secrets"}
	}
	var entries, targets []string
	for _, f := range from {
		id, err := ParseEntry(f)
		if err != nil {
			return nil, err
		}
		entries = append(entries, id)
	}
	for _, t := range to {
		id, err := ParseTarget(t)
		if err != nil {
			return nil, err
		}
		targets = append(targets, id)
	}
	sort.Strings(entries)
	sort.Strings(targets)
	entries, targets = slices.Compact(entries), slices.Compact(targets)
	b := bounds{depth: q.MaxDepth, others: q.MaxOthers, alternatives: q.MaxAlternatives}
	if b.depth <= 0 {
		b.depth = DefaultMaxDepth
	}
	if b.others <= 0 {
		b.others = DefaultMaxOthers
	}
	if !q.Others {
		b.others = 0
	}
	if b.alternatives <= 0 {
		b.alternatives = DefaultMaxAlternatives
	}
	key := fmt.Sprintf("%q %q %d %d %d", entries, targets, b.depth, b.others, b.alternatives)

	st := stateOf(g)
	st.mu.Lock()
	defer st.mu.Unlock()
	if a, ok := st.answers[key]; ok {
		return a, nil
	}
	var nodes []*Node
	seen := map[*Node]bool{}
	for _, id := range targets {
		for _, n := range g.targetNodes(id) {
			if !seen[n] {
				seen[n] = true
				nodes = append(nodes, n)
			}
		}
	}
	var out []*Path
	for _, id := range entries {
		ent := st.entryOf(g, id)
		if ent == nil {
			continue
		}
		out = append(out, st.answer(g, ent, nodes, b)...)
		if f := st.fwd[ent.node.ID]; f != nil {
			// The counts' indexes are large and rebuilt on demand.
			f.preds, f.predClass, f.indexed, f.sorted, f.repRows, f.classBuf, f.predBuf, f.lists, f.listOf = nil, nil, false, nil, nil, nil, nil, nil, nil
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return pathLess(out[i], out[j]) })
	a := &answer{paths: out, byPivot: map[string][]*Path{}}
	for _, p := range out {
		if p.Pivot != nil {
			a.byPivot[p.Pivot.ID] = append(a.byPivot[p.Pivot.ID], p)
		}
	}
	st.answers[key] = a
	return a, nil
}

// bounds are a query's limits.
type bounds struct{ depth, others, alternatives int }

// Work bounds of the searches a query makes beyond its one forward search per entry
// and reverse search per target: past them a fix is not proven to cut every path
// and counts stop (they are counts of at least).
const (
	// maxRecomputes bounds the searches made again without an edge, per entry.
	maxRecomputes = 256
	// maxSuffixes bounds the routes enumerated from a pivot to a target.
	maxSuffixes = 256
	// maxSteps bounds the edges a count examines, per path.
	maxSteps = 4096
)

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

// state is what the queries on a graph share: their answers, the forward search
// of each entry, the reverse search of each target, the lateral edges asked for
// (with the NetworkPolicy Lateral, a groupLateral, only those of the paths found
// and of the routes tried for them: searches follow its rows by class, and keep
// no edge per pair of workloads that talk). One mutex serialises the work (the rules of a scan ask the same few queries,
// each once). It holds no reference to the graph, so that a graph's state goes
// with it (states is keyed by a weak pointer).
type state struct {
	mu      sync.Mutex
	answers map[string]*answer
	entries map[string]*entry
	fwd     map[string]*forward
	rev     map[*Node]*reverse
	// lateral are the edges of a Lateral that is not a groupLateral, by source.
	lateral map[*Node][]*Edge
	// pairs are the lateral edges made one by one (groupLateral), by their ends.
	pairs map[[2]int]*Edge
	// members lists the workloads of each class; rows the destinations of a
	// class's lateral edges (by node index), once asked for.
	members map[int][]*Node
	rows    map[int]*row
}

type row struct {
	to   nodeSet
	n    int  // destinations
	self bool // the class reaches its own workloads
	// groups (with groupLateral, instead of to) are the groups the row reaches.
	groups  nodeSet
	members func(int) []*Node
}

// has tells whether the row reaches the workload i of class c (a workload of a
// reached group; to lists the others but the representative).
func (r *row) has(i int, c int) bool {
	if r.members == nil {
		return r.to.has(i)
	}
	return r.groups.has(c)
}

// each calls fn with every workload the row reaches.
func (r *row) each(fn func(int)) {
	if r.members == nil {
		r.to.each(fn)
		return
	}
	r.groups.each(func(gr int) {
		for _, m := range r.members(gr) {
			fn(m.index)
		}
	})
}

var states sync.Map // weak.Pointer[Graph] -> *state

func stateOf(g *Graph) *state {
	k := weak.Make(g)
	if v, ok := states.Load(k); ok {
		return v.(*state)
	}
	st := &state{answers: map[string]*answer{}, entries: map[string]*entry{}, fwd: map[string]*forward{},
		rev: map[*Node]*reverse{}, lateral: map[*Node][]*Edge{}, pairs: map[[2]int]*Edge{}, rows: map[int]*row{}}
	v, loaded := states.LoadOrStore(k, st)
	if !loaded {
		runtime.AddCleanup(g, func(k weak.Pointer[Graph]) { states.Delete(k) }, k)
	}
	return v.(*state)
}

// entry is where searches start: one node, or the workloads of a namespace behind
// a virtual entry node (each reached by a member edge).
type entry struct {
	node   *Node
	starts []*Node
	member []*Edge
	start  map[*Node]bool
	// virtual is set for a namespace that is not a node of the graph.
	virtual bool
}

func (st *state) entryOf(g *Graph, id string) *entry {
	if e, ok := st.entries[id]; ok {
		return e
	}
	var e *entry
	if n := g.Node(id); n != nil {
		e = &entry{node: n, starts: []*Node{n}, member: []*Edge{nil}, start: map[*Node]bool{n: true}}
	} else if ns, ok := strings.CutPrefix(id, "namespace:"); ok {
		v := &Node{ID: id, Kind: KindNamespace, Label: "namespace " + ns, Namespace: ns, index: -1}
		e = &entry{node: v, start: map[*Node]bool{}, virtual: true}
		for _, w := range g.Workloads() {
			if w.Namespace != ns {
				continue
			}
			e.starts = append(e.starts, w)
			e.member = append(e.member, &Edge{From: v, To: w, Kind: EdgeMember, Analyzer: ByWorkload,
				Evidence: []string{w.Label + " runs in namespace " + ns}})
			e.start[w] = true
		}
		if len(e.starts) == 0 {
			e = nil
		}
	}
	st.entries[id] = e
	return e
}

// class is a workload's lateral class (a class of its own without LateralClasses).
func (st *state) class(g *Graph, n *Node) int {
	if lc, ok := g.Lateral.(LateralClasses); ok {
		if c := lc.Class(n); c >= 0 {
			return c
		}
	}
	return -2 - n.index
}

func (st *state) lateralFrom(g *Graph, n *Node) []*Edge {
	if l, ok := st.lateral[n]; ok {
		return l
	}
	var l []*Edge
	if g.Lateral != nil && n.Kind == KindWorkload {
		for _, e := range g.Lateral.From(n) {
			if e.To != n && e.From == n && e.To.index >= 0 && e.To.index < len(g.Nodes) && g.Nodes[e.To.index] == e.To {
				l = append(l, e)
			}
		}
	}
	st.lateral[n] = l
	return l
}

// lateralTo is the lateral edge from one workload to another, nil if none.
func (st *state) lateralTo(g *Graph, from, to *Node) *Edge {
	if gl, ok := g.Lateral.(groupLateral); ok {
		k := [2]int{from.index, to.index}
		if e, ok := st.pairs[k]; ok {
			return e
		}
		e := gl.Edge(from, to)
		st.pairs[k] = e
		return e
	}
	for _, e := range st.lateralFrom(g, from) {
		if e.To == to {
			return e
		}
	}
	return nil
}

// forward is a breadth-first search from an entry: the shortest distance to each
// node (by index, -1 unreached) and the edge it was reached by.
type forward struct {
	ent    *entry
	dist   []int32
	parent []*Edge
	// pfrom is the workload a node was reached from by a lateral edge not made
	// yet (parent nil; -1 otherwise); lat makes it.
	pfrom []int32
	nodes []*Node
	lat   func(from, to *Node) *Edge
	order []*Node
	// reps are the workloads whose lateral edges the search followed, one per class.
	reps map[int]*Node
	// predClass are the classes with lateral edges to a workload, sorted the
	// workloads of a class, both built on demand.
	predClass map[*Node][]int
	indexed   bool
	sorted    map[int][]*Node
	// preds are the lateral predecessors of each workload the counts asked for
	// (by node index, built on demand): the reached workloads of predClasses,
	// class by class, nearest first, with their distances.
	preds []*predList
	// repRows are the rows of the classes followed, by class.
	repRows []classRow
	// scratch buffers of predsOf.
	classBuf []int
	predBuf  []pred
	// lists are the sortedMembers of the classes of several workloads that
	// preds name, listOf their indices by class.
	lists  [][]*Node
	listOf map[int]int32
}

type classRow struct {
	c int
	r *row
}

type predList struct{ preds []pred }

// pred is a lateral predecessor: its node index and distance from the entry, or
// (list >= 0) the reached workloads of a class of several, nearest first
// (forward.lists), and the distance of the nearest.
type pred struct{ node, dist, list int32 }

// d is a node's distance (-1: unreached).
func (f *forward) d(n *Node) int {
	if n == f.ent.node && f.ent.virtual {
		return 0
	}
	if n.index < 0 || n.index >= len(f.dist) {
		return -1
	}
	return int(f.dist[n.index])
}

// pathTo is the search's path to a reached node.
func (f *forward) pathTo(n *Node) []*Edge {
	var edges []*Edge
	for n.index >= 0 {
		e := f.parent[n.index]
		if e == nil && f.pfrom != nil && f.pfrom[n.index] >= 0 {
			e = f.lat(f.nodes[f.pfrom[n.index]], n)
			f.parent[n.index] = e
		}
		if e == nil {
			break
		}
		edges = append(edges, e)
		n = e.From
	}
	slices.Reverse(edges)
	return edges
}

// search runs a breadth-first search from the entry that uses neither the edge
// avoid nor the nodes of skip, stops once it reaches stop and goes no further
// than max hops (-1: no bound). A class's lateral edges are followed from its
// first workload reached only: another of the class reaches nothing sooner.
func (st *state) search(g *Graph, ent *entry, avoid *Edge, skip map[*Node]bool, stop *Node, max int) *forward {
	n := len(g.Nodes)
	f := &forward{ent: ent, dist: make([]int32, n), parent: make([]*Edge, n), reps: map[int]*Node{}}
	for i := range f.dist {
		f.dist[i] = -1
	}
	gl, grouped := g.Lateral.(groupLateral)
	var avoidLat bool
	var done []uint64
	if grouped {
		f.pfrom = make([]int32, n)
		for i := range f.pfrom {
			f.pfrom[i] = -1
		}
		f.nodes = g.Nodes
		f.lat = func(from, to *Node) *Edge { return st.lateralTo(g, from, to) }
		avoidLat = avoid != nil && avoid.Kind == EdgeNetwork && avoid.From.Kind == KindWorkload && !slices.Contains(g.out[avoid.From], avoid)
	}
	base := int32(0)
	if ent.virtual {
		base = 1
	}
	var queue []*Node
	for i, s := range ent.starts {
		if skip[s] || (ent.member[i] != nil && ent.member[i] == avoid) {
			continue
		}
		f.dist[s.index] = base
		f.parent[s.index] = ent.member[i]
		queue = append(queue, s)
	}
	// pending is the destination of an avoided lateral edge, which another
	// workload of the class may still reach.
	pending := map[int]*Node{}
	for head := 0; head < len(queue); head++ {
		x := queue[head]
		f.order = append(f.order, x)
		if x == stop {
			break
		}
		d := f.dist[x.index]
		if max >= 0 && int(d) >= max {
			continue
		}
		visit := func(e *Edge) {
			y := e.To
			if e == avoid || y == x || y.index < 0 || y.index >= n || f.dist[y.index] >= 0 || skip[y] {
				return
			}
			f.dist[y.index] = d + 1
			f.parent[y.index] = e
			queue = append(queue, y)
		}
		for _, e := range g.out[x] {
			visit(e)
		}
		if g.Lateral == nil || x.Kind != KindWorkload {
			continue
		}
		c := st.class(g, x)
		if grouped {
			// visitLat follows the lateral edge x -> y without making it.
			visitLat := func(y *Node) {
				if y == x || f.dist[y.index] >= 0 || skip[y] {
					return
				}
				f.dist[y.index] = d + 1
				f.pfrom[y.index] = int32(x.index)
				queue = append(queue, y)
			}
			if _, seen := f.reps[c]; !seen {
				f.reps[c] = x
				row := gl.groupRow(x)
				if len(done) < len(row) {
					done = append(done, make([]uint64, len(row)-len(done))...)
				}
				for wi, word := range row {
					word &^= done[wi]
					for ; word != 0; word &= word - 1 {
						gr := wi<<6 + bits.TrailingZeros64(word)
						members := gl.groupMembers(gr)
						all := true
						for _, y := range members {
							if avoidLat && avoid.From == x && avoid.To == y {
								pending[c] = y
								all = false
								continue
							}
							visitLat(y)
							if f.dist[y.index] < 0 {
								all = false
							}
						}
						if all {
							done[wi] |= 1 << (uint(gr) & 63)
						}
					}
				}
			} else if v := pending[c]; v != nil && v != x {
				delete(pending, c)
				if f.dist[v.index] < 0 && st.lateralTo(g, x, v) != nil {
					visitLat(v)
				}
			}
			continue
		}
		if _, done := f.reps[c]; !done {
			f.reps[c] = x
			for _, e := range st.lateralFrom(g, x) {
				if e == avoid {
					pending[c] = e.To
					continue
				}
				visit(e)
			}
		} else if v := pending[c]; v != nil && v != x {
			delete(pending, c)
			if f.dist[v.index] < 0 {
				if e := st.lateralTo(g, x, v); e != nil {
					visit(e)
				}
			}
		}
	}
	return f
}

// forwardOf is the entry's unbounded search.
func (st *state) forwardOf(g *Graph, ent *entry) *forward {
	if f, ok := st.fwd[ent.node.ID]; ok {
		return f
	}
	f := st.search(g, ent, nil, nil, nil, -1)
	st.fwd[ent.node.ID] = f
	return f
}

// members are the workloads of a class, in ID order.
func (st *state) membersOf(g *Graph, c int) []*Node {
	if st.members == nil {
		st.members = map[int][]*Node{}
		for _, w := range g.Workloads() {
			k := st.class(g, w)
			st.members[k] = append(st.members[k], w)
		}
	}
	return st.members[c]
}

// rowOf is the destinations of a class's lateral edges, asked of one workload.
func (st *state) rowOf(g *Graph, c int, rep *Node) *row {
	if r, ok := st.rows[c]; ok {
		return r
	}
	if gl, ok := g.Lateral.(groupLateral); ok {
		r := &row{groups: gl.groupRow(rep), members: gl.groupMembers}
		nodeSet(r.groups).each(func(gr int) {
			m := gl.groupMembers(gr)
			r.n += len(m)
			if gr == c && len(m) > 1 {
				r.self = true
			}
		})
		if r.groups.has(c) {
			r.n-- // the representative itself
		}
		st.rows[c] = r
		return r
	}
	r := &row{to: newNodeSet(len(g.Nodes))}
	for _, e := range st.lateralFrom(g, rep) {
		if !r.to.has(e.To.index) {
			r.n++
		}
		r.to.set(e.To.index)
		if st.class(g, e.To) == c {
			r.self = true
		}
	}
	st.rows[c] = r
	return r
}

// predClasses are the classes (followed by the search) whose lateral edges reach
// x. The first call indexes every row at once, unless the rows are too large
// together: then each workload's are found by testing every row.
func (st *state) predClasses(g *Graph, f *forward, x *Node) []int {
	if f.predClass == nil {
		f.predClass = map[*Node][]int{}
		st.indexPreds(g, f)
	}
	if p, ok := f.predClass[x]; ok || f.indexed {
		return p
	}
	if f.repRows == nil {
		classes := make([]int, 0, len(f.reps))
		for c := range f.reps {
			classes = append(classes, c)
		}
		slices.Sort(classes)
		for _, c := range classes {
			f.repRows = append(f.repRows, classRow{c, st.rowOf(g, c, f.reps[c])})
		}
	}
	// Not kept: predsOf keeps what the counts need.
	out := f.classBuf[:0]
	cx := st.class(g, x)
	for _, cr := range f.repRows {
		if cr.r.has(x.index, cx) || (cr.c == cx && cr.r.self) {
			out = append(out, cr.c)
		}
	}
	f.classBuf = out
	return out
}

// maxPredIndex bounds the entries of the index of lateral predecessors.
const maxPredIndex = 1 << 22

func (st *state) indexPreds(g *Graph, f *forward) {
	classes := make([]int, 0, len(f.reps))
	total := 0
	for c, rep := range f.reps {
		classes = append(classes, c)
		r := st.rowOf(g, c, rep)
		total += r.n
		if r.self {
			total += len(st.membersOf(g, c))
		}
	}
	if total > maxPredIndex {
		return
	}
	slices.Sort(classes)
	for _, c := range classes {
		r := st.rowOf(g, c, f.reps[c])
		r.each(func(i int) { f.predClass[g.Nodes[i]] = append(f.predClass[g.Nodes[i]], c) })
		if r.self {
			for _, m := range st.membersOf(g, c) {
				if !r.has(m.index, c) {
					f.predClass[m] = append(f.predClass[m], c)
				}
			}
		}
	}
	f.indexed = true
}

// predsOf is the list of x's lateral predecessors the search reached: the
// members of predClasses, class by class, nearest first (a count skips those too
// far from the entry).
func (st *state) predsOf(g *Graph, f *forward, x *Node) *predList {
	if f.preds == nil {
		f.preds = make([]*predList, len(g.Nodes))
	}
	if p := f.preds[x.index]; p != nil {
		return p
	}
	buf := f.predBuf[:0]
	for _, k := range st.predClasses(g, f, x) {
		m := st.sortedMembers(g, f, k)
		switch {
		case len(m) == 1:
			buf = append(buf, pred{int32(m[0].index), int32(f.d(m[0])), -1})
		case len(m) > 1:
			i, ok := f.listOf[k]
			if !ok {
				if f.listOf == nil {
					f.listOf = map[int]int32{}
				}
				i = int32(len(f.lists))
				f.listOf[k] = i
				f.lists = append(f.lists, m)
			}
			buf = append(buf, pred{-1, int32(f.d(m[0])), i})
		}
	}
	f.predBuf = buf
	p := &predList{preds: slices.Clone(buf)}
	f.preds[x.index] = p
	return p
}

// sortedMembers are the workloads of a class the search reached, nearest first.
func (st *state) sortedMembers(g *Graph, f *forward, c int) []*Node {
	if m, ok := f.sorted[c]; ok {
		return m
	}
	if f.sorted == nil {
		f.sorted = map[int][]*Node{}
	}
	var out []*Node
	for _, y := range st.membersOf(g, c) {
		if f.d(y) >= 0 {
			out = append(out, y)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return f.d(out[i]) < f.d(out[j]) })
	f.sorted[c] = out
	return out
}

// nodeSet is a set of nodes by index.
type nodeSet []uint64

func newNodeSet(n int) nodeSet { return make(nodeSet, (n+63)/64) }

func (s nodeSet) set(i int) {
	if i >= 0 && i>>6 < len(s) {
		s[i>>6] |= 1 << (uint(i) & 63)
	}
}

func (s nodeSet) each(fn func(int)) {
	for w, word := range s {
		for word != 0 {
			fn(w<<6 + bits.TrailingZeros64(word))
			word &= word - 1
		}
	}
}

func (s nodeSet) has(i int) bool { return i >= 0 && i>>6 < len(s) && s[i>>6]&(1<<(uint(i)&63)) != 0 }

// reverse is a breadth-first search towards a target over stored edges whose
// inner nodes are not workloads: the shortest distance from each node to the
// target without crossing a workload, and the edge that starts it.
type reverse struct {
	target *Node
	dist   []int32
	next   []*Edge
}

func (r *reverse) d(n *Node) int {
	if n.index < 0 || n.index >= len(r.dist) {
		return -1
	}
	return int(r.dist[n.index])
}

// pathFrom follows the search from a node to the target.
func (r *reverse) pathFrom(n *Node) []*Edge {
	var edges []*Edge
	for n != r.target {
		e := r.next[n.index]
		if e == nil {
			return nil
		}
		edges = append(edges, e)
		n = e.To
	}
	return edges
}

func (st *state) reverseSearch(g *Graph, t *Node, avoid *Edge) *reverse {
	n := len(g.Nodes)
	r := &reverse{target: t, dist: make([]int32, n), next: make([]*Edge, n)}
	for i := range r.dist {
		r.dist[i] = -1
	}
	r.dist[t.index] = 0
	queue := []*Node{t}
	for head := 0; head < len(queue); head++ {
		x := queue[head]
		if x != t && x.Kind == KindWorkload {
			continue
		}
		for _, e := range g.in[x] {
			y := e.From
			if e == avoid || y.index < 0 || y.index >= n || r.dist[y.index] >= 0 {
				continue
			}
			r.dist[y.index] = r.dist[x.index] + 1
			r.next[y.index] = e
			queue = append(queue, y)
		}
	}
	return r
}

func (st *state) reverseOf(g *Graph, t *Node) *reverse {
	if r, ok := st.rev[t]; ok {
		return r
	}
	r := st.reverseSearch(g, t, nil)
	st.rev[t] = r
	return r
}

// work is one entry's share of a query: the searches redone without an edge (for
// the cuts) and what is left of their budget.
type work struct {
	g          *Graph
	ent        *entry
	f          *forward
	b          bounds
	fwdWithout map[*Edge]*forward
	recomputes int
}

func (w *work) spend() bool {
	if w.recomputes >= maxRecomputes {
		return false
	}
	w.recomputes++
	return true
}

// answer finds the entry's paths to the targets.
func (st *state) answer(g *Graph, ent *entry, targets []*Node, b bounds) []*Path {
	w := &work{g: g, ent: ent, f: st.forwardOf(g, ent), b: b, fwdWithout: map[*Edge]*forward{}}
	var out []*Path
	for _, t := range targets {
		if t.Kind == KindWorkload {
			if ent.start[t] || t == ent.node {
				continue
			}
			if d := w.f.d(t); d >= 1 && d <= b.depth {
				out = append(out, st.finish(w, &Path{Entry: ent.node, Target: t, Pivot: t, Edges: w.f.pathTo(t)}, nil))
			}
			continue
		}
		r := st.reverseOf(g, t)
		if !ent.virtual && ent.node.Kind != KindWorkload {
			if d := r.d(ent.node); d >= 1 && d <= b.depth {
				out = append(out, st.finish(w, &Path{Entry: ent.node, Target: t, Edges: r.pathFrom(ent.node)}, r))
			}
		}
		for _, p := range w.f.order {
			if p.Kind != KindWorkload || r.d(p) < 1 || w.f.d(p)+r.d(p) > b.depth {
				continue
			}
			if edges, _ := st.route(w, r, p, nil); edges != nil {
				out = append(out, st.finish(w, &Path{Entry: ent.node, Target: t, Pivot: p, Edges: edges}, r))
			}
		}
	}
	return out
}

// finish counts a path's alternatives, lists its others and finds its fix.
func (st *state) finish(w *work, p *Path, r *reverse) *Path {
	st.alternatives(w, p, r)
	p.Fix = st.cut(w, p, r)
	return p
}

// head is the first edge of the shortest route from a pivot to the target that
// crosses no other workload and does not use avoid, and that route's length.
func head(g *Graph, r *reverse, pivot *Node, avoid *Edge) (*Edge, int) {
	var best *Edge
	bd := -1
	for _, e := range g.out[pivot] {
		if e == avoid {
			continue
		}
		d := 0
		if e.To != r.target {
			if e.To.Kind == KindWorkload {
				continue
			}
			if d = r.d(e.To); d < 0 {
				continue
			}
		}
		if best == nil || d+1 < bd {
			best, bd = e, d+1
		}
	}
	return best, bd
}

// without is the entry's search (within the depth bound) that does not use an
// edge; nil past the work bound.
func (st *state) without(w *work, e *Edge) *forward {
	if f, ok := w.fwdWithout[e]; ok {
		return f
	}
	if !w.spend() {
		return nil
	}
	if len(w.fwdWithout) >= 16 {
		clear(w.fwdWithout)
	}
	f := st.search(w.g, w.ent, e, nil, nil, w.b.depth)
	w.fwdWithout[e] = f
	return f
}

// route is the shortest simple path from the entry to r's target whose last
// workload is pivot and that does not use avoid, within the depth bound; nil if
// there is none. known is false when the work bounds stopped the search before it
// could tell.
func (st *state) route(w *work, r *reverse, pivot *Node, avoid *Edge) (edges []*Edge, known bool) {
	f := w.f
	prefix := f.pathTo(pivot)
	if avoid != nil && slices.Contains(prefix, avoid) {
		if f = st.without(w, avoid); f == nil {
			return nil, false
		}
		prefix = f.pathTo(pivot)
	}
	dp := f.d(pivot)
	if dp < 0 {
		return nil, true
	}
	h, sl := head(w.g, r, pivot, avoid)
	if h == nil || dp+sl > w.b.depth {
		return nil, true
	}
	suffix := append([]*Edge{h}, r.pathFrom(h.To)...)
	if (avoid == nil || !slices.Contains(suffix, avoid)) && disjoint(w.ent, prefix, suffix) {
		return concat(prefix, suffix), true
	}
	return st.exact(w, f, r, pivot, avoid)
}

// exact is route's search when the shortest prefix and suffix cross: the suffixes
// in increasing length, each with the shortest prefix that avoids it.
func (st *state) exact(w *work, f *forward, r *reverse, pivot *Node, avoid *Edge) ([]*Edge, bool) {
	dp := f.d(pivot)
	prefix := f.pathTo(pivot)
	sufs, complete := suffixes(w.g, r, pivot, avoid, w.b.depth-dp, maxSuffixes)
	var best []*Edge
	for _, s := range sufs {
		if dp+len(s) > w.b.depth || (best != nil && dp+len(s) >= len(best)) {
			break
		}
		if disjoint(w.ent, prefix, s) {
			return concat(prefix, s), true
		}
		if !w.spend() {
			return best, best != nil
		}
		skip := map[*Node]bool{}
		for _, e := range s {
			skip[e.To] = true
		}
		lim := w.b.depth - len(s)
		if best != nil {
			lim = min(lim, len(best)-len(s)-1)
		}
		g := st.search(w.g, w.ent, avoid, skip, pivot, lim)
		if d := g.d(pivot); d >= 0 && d <= lim {
			best = concat(g.pathTo(pivot), s)
		}
	}
	return best, complete || best != nil
}

// disjoint tells whether a prefix and a suffix that meet at the pivot share no
// other node.
func disjoint(ent *entry, prefix, suffix []*Edge) bool {
	on := map[*Node]bool{ent.node: true}
	for _, e := range prefix {
		on[e.From] = true
	}
	for _, e := range suffix {
		if on[e.To] {
			return false
		}
	}
	return true
}

func concat(a, b []*Edge) []*Edge {
	out := make([]*Edge, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

// suffixes are the simple routes from a node to r's target that cross no workload
// and do not use avoid, of at most most hops, shortest first (up to limit);
// complete is false when the limit or the work bound cut the list.
func suffixes(g *Graph, r *reverse, from *Node, avoid *Edge, most, limit int) (out [][]*Edge, complete bool) {
	lo := r.d(from)
	if lo < 0 {
		return nil, true
	}
	on := map[*Node]bool{from: true}
	var stack []*Edge
	steps := 0
	var dfs func(x *Node, l int)
	dfs = func(x *Node, l int) {
		for _, e := range g.out[x] {
			if steps++; steps > 4*maxSteps || len(out) >= limit {
				return
			}
			y := e.To
			if e == avoid || on[y] {
				continue
			}
			k := len(stack) + 1
			if y == r.target {
				if k == l {
					out = append(out, concat(stack, []*Edge{e}))
				}
				continue
			}
			if y.Kind == KindWorkload {
				continue
			}
			if dy := r.d(y); dy < 0 || k+dy > l {
				continue
			}
			on[y] = true
			stack = append(stack, e)
			dfs(y, l)
			stack = stack[:len(stack)-1]
			on[y] = false
		}
	}
	for l := max(lo, 1); l <= most; l++ {
		dfs(from, l)
		if len(out) >= limit || steps > 4*maxSteps {
			return out, false
		}
	}
	return out, true
}

// alternatives counts the other simple paths with the path's entry, target and
// pivot within the depth bound, and lists some when the query asks.
func (st *state) alternatives(w *work, p *Path, r *reverse) {
	want := w.b.alternatives + 1
	total := 0
	keep := func(edges []*Edge) {
		if len(p.Others) < w.b.others && !slices.Equal(edges, p.Edges) {
			p.Others = append(p.Others, edges)
		}
	}
	switch {
	case p.Pivot == nil:
		sufs, _ := suffixes(w.g, r, w.ent.node, nil, w.b.depth, want)
		for _, s := range sufs {
			keep(s)
		}
		total = len(sufs)
	case p.Pivot == p.Target:
		c := &counter{st: st, w: w, on: map[*Node]bool{p.Pivot: true}, limit: want, keep: keep, collect: w.b.others > 0}
		c.back(p.Pivot, w.b.depth)
		total = c.n
	default:
		dp := w.f.d(p.Pivot)
		sufs, _ := suffixes(w.g, r, p.Pivot, nil, w.b.depth-dp, maxSuffixes)
		for _, s := range sufs {
			if total >= want {
				break
			}
			on := map[*Node]bool{p.Pivot: true}
			for _, e := range s {
				on[e.To] = true
			}
			c := &counter{st: st, w: w, on: on, limit: want - total, suffix: s, keep: keep, collect: w.b.others > 0}
			c.back(p.Pivot, w.b.depth-len(s))
			total += c.n
		}
	}
	p.Alternatives = min(max(total-1, 0), w.b.alternatives)
}

// counter counts prefixes backwards from a pivot to the entry: the forward
// search's distances prune the nodes too far from the entry.
type counter struct {
	st      *state
	w       *work
	on      map[*Node]bool
	stack   []step
	suffix  []*Edge
	limit   int
	n       int
	steps   int
	collect bool
	keep    func([]*Edge)
}

// step is one edge of a prefix being counted (e nil: the lateral edge from to).
type step struct {
	e        *Edge
	from, to *Node
}

func (c *counter) back(x *Node, r int) {
	w, f := c.w, c.w.f
	if w.ent.start[x] {
		c.n++
		if c.collect {
			c.record(x)
		}
		return
	}
	if r <= 0 {
		return
	}
	try := func(e *Edge, y *Node) bool {
		if c.steps++; c.steps > maxSteps || c.n >= c.limit {
			return false
		}
		if c.on[y] {
			return true
		}
		if dy := f.d(y); dy < 0 || dy > r-1 {
			return true
		}
		c.on[y] = true
		c.stack = append(c.stack, step{e: e, from: y, to: x})
		c.back(y, r-1)
		c.stack = c.stack[:len(c.stack)-1]
		c.on[y] = false
		return true
	}
	for _, e := range w.g.in[x] {
		if !try(e, e.From) {
			return
		}
	}
	if x.Kind != KindWorkload || w.g.Lateral == nil {
		return
	}
	pl := c.st.predsOf(w.g, f, x)
	for _, p := range pl.preds {
		if p.dist > int32(r-1) {
			continue
		}
		if p.list < 0 {
			if int(p.node) != x.index && !try(nil, w.g.Nodes[p.node]) {
				return
			}
			continue
		}
		for _, y := range f.lists[p.list] {
			if f.d(y) > r-1 {
				break
			}
			if y != x && !try(nil, y) {
				return
			}
		}
	}
}

// record builds the path counted last (the stack, reversed, then the suffix).
func (c *counter) record(start *Node) {
	var edges []*Edge
	if c.w.ent.virtual {
		for i, s := range c.w.ent.starts {
			if s == start {
				edges = append(edges, c.w.ent.member[i])
			}
		}
	}
	for i := len(c.stack) - 1; i >= 0; i-- {
		s := c.stack[i]
		e := s.e
		if e == nil {
			if e = c.st.lateralTo(c.w.g, s.from, s.to); e == nil {
				return
			}
		}
		edges = append(edges, e)
	}
	c.keep(concat(edges, c.suffix))
}

// cut is the path's fix: the cheapest edge (the earliest of equal cost) whose
// removal leaves no path from the entry to the target through the pivot within
// the depth bound (CutsAll); else the cheapest edge of the path.
func (st *state) cut(w *work, p *Path, r *reverse) *finding.PathFix {
	var idx []int
	for i, e := range p.Edges {
		if e.Fix != nil {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	sort.SliceStable(idx, func(a, b int) bool { return p.Edges[idx[a]].Fix.Cost < p.Edges[idx[b]].Fix.Cost })
	pick := func(i int, all bool) *finding.PathFix {
		f := *p.Edges[i].Fix
		f.Hop, f.CutsAll = i, all
		return &f
	}
	for _, i := range idx {
		if st.cuts(w, p, r, p.Edges[i]) {
			return pick(i, true)
		}
	}
	return pick(idx[0], false)
}

// cuts tells whether removing e leaves no path like p (proven within the work
// bounds).
func (st *state) cuts(w *work, p *Path, r *reverse, e *Edge) bool {
	switch {
	case p.Pivot == nil:
		sufs, complete := suffixes(w.g, r, w.ent.node, e, w.b.depth, 1)
		return complete && len(sufs) == 0
	case p.Pivot == p.Target:
		f := w.f
		if slices.Contains(f.pathTo(p.Pivot), e) {
			if f = st.without(w, e); f == nil {
				return false
			}
		}
		d := f.d(p.Pivot)
		return d < 0 || d > w.b.depth
	}
	edges, known := st.route(w, r, p.Pivot, e)
	return known && edges == nil
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
