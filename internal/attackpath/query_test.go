package attackpath

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// hand builds graphs by hand: nodes by ID (the kind from the prefix), edges by
// their ends, and lateral edges by class.
type hand struct {
	g   *Graph
	lat *classLateral
}

func newHand() *hand {
	h := &hand{g: New(), lat: &classLateral{class: map[*Node]int{}, rows: map[int][]*Node{}}}
	h.g.Lateral = h.lat
	return h
}

func kindOf(id string) Kind {
	switch {
	case id == Internet:
		return KindInternet
	case id == AnyPod:
		return KindPod
	case id == HostNode:
		return KindNode
	case id == ClusterAdmin:
		return KindClusterAdmin
	}
	k, _, _ := strings.Cut(id, ":")
	return Kind(k)
}

// n adds (or finds) a node; a workload ID is workload:NS/KIND/NAME.
func (h *hand) n(id string) *Node {
	n := Node{ID: id, Kind: kindOf(id), Label: id}
	if n.Kind == KindWorkload {
		ref, _ := parseWorkloadID(id)
		n.Namespace, n.Object = ref.Namespace, &ref
	}
	return h.g.Add(n)
}

// e connects two nodes; cost 0 is an edge with no fix.
func (h *hand) e(from, to string, kind EdgeKind, cost int) *Edge {
	e := Edge{From: h.n(from), To: h.n(to), Kind: kind, Analyzer: "test", Evidence: []string{from + " " + string(kind) + " " + to}}
	if cost > 0 {
		e.Fix = &finding.PathFix{Change: "cut " + from + " -> " + to, Cost: cost}
	}
	return h.g.Connect(e)
}

// classLateral is a Lateral by class: each workload of a class reaches every
// workload of the classes of its row (itself excepted), as a NetworkPolicy
// matrix row does.
type classLateral struct {
	mu    sync.Mutex
	class map[*Node]int
	rows  map[int][]*Node // the row names a class by one of its workloads
	calls int
}

func (l *classLateral) Class(n *Node) int {
	if c, ok := l.class[n]; ok {
		return c
	}
	return -1
}

func (l *classLateral) From(n *Node) []*Edge {
	l.mu.Lock()
	l.calls++
	l.mu.Unlock()
	c, ok := l.class[n]
	if !ok {
		return nil
	}
	var out []*Edge
	row := map[int]bool{}
	for _, d := range l.rows[c] {
		row[l.Class(d)] = true
	}
	var to []*Node
	for w := range l.class {
		if row[l.Class(w)] {
			to = append(to, w)
		}
	}
	sort.Slice(to, func(i, j int) bool { return to[i].Index() < to[j].Index() })
	for _, to := range to {
		if to != n {
			out = append(out, &Edge{From: n, To: to, Kind: EdgeNetwork, Analyzer: ByNetpol, Evidence: []string{"lateral"},
				Fix: &finding.PathFix{Change: "isolate " + to.ID, Cost: 2}})
		}
	}
	return out
}

// plainLateral hides the classes.
type plainLateral struct{ l *classLateral }

func (p plainLateral) From(n *Node) []*Edge { return p.l.From(n) }

// lateral puts workloads in a class and sets the class's row: the workloads it
// reaches, each in a class of its own unless put in one.
func (h *hand) lateral(class int, members []string, row ...string) {
	for _, m := range members {
		h.lat.class[h.n(m)] = class
	}
	for _, r := range row {
		n := h.n(r)
		if _, ok := h.lat.class[n]; !ok {
			h.lat.class[n] = 1000 + n.Index()
		}
		h.lat.rows[class] = append(h.lat.rows[class], n)
	}
}

func ids(p *Path) string {
	parts := []string{p.Entry.ID}
	for _, e := range p.Edges {
		parts = append(parts, e.To.ID)
	}
	return strings.Join(parts, " > ")
}

func mustPaths(t *testing.T, g *Graph, q Query) []*Path {
	t.Helper()
	ps, err := g.Paths(q)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

const (
	wA = "workload:shop/Deployment/a"
	wB = "workload:shop/Deployment/b"
	wC = "workload:shop/Deployment/c"
	wD = "workload:shop/Deployment/d"
	wE = "workload:shop/Deployment/e"
	wF = "workload:shop/Deployment/f"
	wW = "workload:shop/Deployment/w"
)

// chain: internet -> a (exposed) -> b (lateral); both carry tokens bound to admin.
func chain() *hand {
	h := newHand()
	h.e(Internet, wA, EdgeExposed, 3)
	h.lateral(1, []string{wA}, wB)
	h.e(wA, "serviceaccount:shop/a", EdgeToken, 1)
	h.e(wB, "serviceaccount:shop/b", EdgeToken, 1)
	h.e("serviceaccount:shop/a", "capability:admin@cluster", EdgeGrant, 1)
	h.e("serviceaccount:shop/b", "capability:admin@cluster", EdgeGrant, 1)
	h.e("capability:admin@cluster", ClusterAdmin, EdgeEscalate, 0)
	return h
}

func TestPathPerPivot(t *testing.T) {
	h := chain()
	ps := mustPaths(t, h.g, Query{From: []string{Internet}, To: []string{ClusterAdmin}})
	var got []string
	for _, p := range ps {
		got = append(got, p.Pivot.ID+": "+ids(p))
	}
	want := []string{
		wA + ": internet > " + wA + " > serviceaccount:shop/a > capability:admin@cluster > cluster-admin",
		wB + ": internet > " + wA + " > " + wB + " > serviceaccount:shop/b > capability:admin@cluster > cluster-admin",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paths:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, p := range ps {
		if p.Fix == nil || !p.Fix.CutsAll || p.Fix.Cost != 1 || p.Edges[p.Fix.Hop].Kind != EdgeToken {
			t.Errorf("%s: fix %+v, want the token, cutting all", p.Pivot.ID, p.Fix)
		}
		if p.Alternatives != 0 {
			t.Errorf("%s: %d alternatives, want 0", p.Pivot.ID, p.Alternatives)
		}
	}
	// The depth bound: b's path has 5 hops.
	ps = mustPaths(t, h.g, Query{From: []string{Internet}, To: []string{ClusterAdmin}, MaxDepth: 4})
	if len(ps) != 1 || ps[0].Pivot.ID != wA {
		t.Errorf("depth 4: %d paths, want a's only", len(ps))
	}
	ps = mustPaths(t, h.g, Query{From: []string{Internet}, To: []string{ClusterAdmin}, MaxDepth: 3})
	if len(ps) != 0 {
		t.Errorf("depth 3: %d paths, want none", len(ps))
	}
}

// TestCycles: workloads that reach each other and an identity loop (an account
// that can exec into the workload that carries it) end.
func TestCycles(t *testing.T) {
	h := chain()
	h.lateral(2, []string{wB}, wA, wC)
	h.lateral(3, []string{wC}, wA, wB)
	h.e("serviceaccount:shop/a", "capability:exec@shop", EdgeGrant, 1)
	for _, w := range []string{wA, wB, wC} {
		h.e("capability:exec@shop", w, EdgeExec, 0)
	}
	h.e(wC, "serviceaccount:shop/a", EdgeToken, 1)
	ps := mustPaths(t, h.g, Query{From: []string{Internet}, To: []string{ClusterAdmin}, MaxDepth: 8})
	pivots := map[string]int{}
	for _, p := range ps {
		checkPath(t, h.g, p, 8)
		pivots[p.Pivot.ID] = len(p.Edges)
	}
	// c: internet > a > b > c, then its token (a's account: the shorter route
	// through that account's exec grant would cross it twice).
	if len(pivots) != 3 || pivots[wA] != 4 || pivots[wB] != 5 || pivots[wC] != 6 {
		t.Errorf("pivots = %v, want a 4 hops, b 5, c 6", pivots)
	}
}

// TestSimplePath: the shortest prefix to w crosses the account w's suffix needs,
// so w's path is the longer route that avoids it, within the bound.
func TestSimplePath(t *testing.T) {
	h := newHand()
	h.e(Internet, wA, EdgeExposed, 3)
	h.e(wA, "serviceaccount:shop/a", EdgeToken, 1)
	h.e("serviceaccount:shop/a", "capability:exec@shop", EdgeGrant, 1)
	h.e("capability:exec@shop", wW, EdgeExec, 0)
	h.e("serviceaccount:shop/a", "capability:admin@cluster", EdgeGrant, 1)
	h.e("capability:admin@cluster", ClusterAdmin, EdgeEscalate, 0)
	h.e(wW, "serviceaccount:shop/a", EdgeToken, 1)
	h.e(Internet, wC, EdgeExposed, 3)
	h.lateral(1, []string{wC}, wD)
	h.lateral(2, []string{wD}, wE)
	h.lateral(3, []string{wE}, wF)
	h.lateral(4, []string{wF}, wW)
	for _, depth := range []int{7, 8} {
		ps := mustPaths(t, h.g, Query{From: []string{Internet}, To: []string{ClusterAdmin}, MaxDepth: depth})
		var w *Path
		for _, p := range ps {
			checkPath(t, h.g, p, depth)
			if p.Pivot.ID == wW {
				w = p
			}
		}
		switch {
		case depth == 7 && w != nil:
			t.Errorf("depth 7: w has a path %s, want none (its simple path has 8 hops)", ids(w))
		case depth == 8 && (w == nil || len(w.Edges) != 8):
			t.Fatalf("depth 8: w's path = %v, want the 8 hops through c", w)
		case depth == 8 && (!w.Fix.CutsAll || w.Fix.Hop != 5):
			t.Errorf("depth 8: fix = %+v, want w's token (hop 5) cutting all", w.Fix)
		}
	}
}

// TestCut: the fix is the cheapest edge that cuts every path through the pivot,
// else the cheapest of the path.
func TestCut(t *testing.T) {
	build := func(second bool) *hand {
		h := newHand()
		h.e(Internet, wA, EdgeExposed, 3)
		h.lateral(1, []string{wA}, wW)
		if second {
			h.e(Internet, wB, EdgeExposed, 3)
			h.lateral(2, []string{wB}, wW)
		}
		h.e(wW, HostNode, EdgeHost, 1)
		h.e(wW, "serviceaccount:shop/w", EdgeToken, 1)
		h.e("serviceaccount:shop/w", "capability:nodes-proxy@cluster", EdgeGrant, 1)
		h.e("capability:nodes-proxy@cluster", HostNode, EdgeNodesProxy, 0)
		return h
	}
	for _, c := range []struct {
		second  bool
		depth   int
		hop     int
		cutsAll bool
		alts    int
	}{
		{false, 8, 1, true, 1}, // the host field leaves the account's route; the lateral edge cuts both
		{false, 4, 2, true, 0}, // the account's route is too long: the host field cuts all
		{true, 8, 2, false, 3}, // two exposed routes, two routes from w: nothing cuts all
		{true, 3, 2, true, 1},  // within 3 hops: two exposed routes, both end at the host edge
	} {
		h := build(c.second)
		ps := mustPaths(t, h.g, Query{From: []string{Internet}, To: []string{HostNode}, MaxDepth: c.depth})
		var w *Path
		for _, p := range ps {
			if p.Pivot != nil && p.Pivot.ID == wW {
				w = p
			}
		}
		if w == nil {
			t.Fatalf("%+v: no path through w", c)
		}
		if w.Fix == nil || w.Fix.Hop != c.hop || w.Fix.CutsAll != c.cutsAll {
			t.Errorf("%+v: fix = %+v (path %s)", c, w.Fix, ids(w))
		}
		if w.Alternatives != c.alts {
			t.Errorf("%+v: alternatives = %d, want %d", c, w.Alternatives, c.alts)
		}
	}
}

// TestOthersAndBounds: Others lists the other paths when asked, MaxAlternatives
// caps the count.
func TestOthersAndBounds(t *testing.T) {
	h := newHand()
	var ws []string
	for i := range 6 {
		w := fmt.Sprintf("workload:shop/Deployment/x%d", i)
		ws = append(ws, w)
		h.e(Internet, w, EdgeExposed, 3)
	}
	h.lateral(1, ws, wW)
	h.e(wW, HostNode, EdgeHost, 1)
	ps := mustPaths(t, h.g, Query{From: []string{Internet}, To: []string{HostNode}})
	w := pivot(ps, wW)
	if w == nil || w.Alternatives != 5 || len(w.Others) != 0 {
		t.Fatalf("w: %+v, want 5 alternatives, none listed", w)
	}
	ps = mustPaths(t, h.g, Query{From: []string{Internet}, To: []string{HostNode}, Others: true, MaxOthers: 3, MaxAlternatives: 4})
	w = pivot(ps, wW)
	if w == nil || w.Alternatives != 4 || len(w.Others) != 3 {
		t.Fatalf("w: alternatives %d, others %d; want 4 (capped), 3 listed", w.Alternatives, len(w.Others))
	}
	for _, o := range w.Others {
		checkEdges(t, h.g, Internet, o, 8)
		if slices.Equal(o, w.Edges) {
			t.Errorf("others lists the path itself")
		}
	}
}

// TestEntries: a namespace entry starts with member edges; an identity's own
// grants make a path with no pivot; a workload target is its own pivot.
func TestEntries(t *testing.T) {
	h := chain()
	h.e("identity:user:eve", "capability:admin@cluster", EdgeMember, 1)
	ps := mustPaths(t, h.g, Query{From: []string{"namespace:shop", "identity:user:eve"}, To: []string{ClusterAdmin, wB}})
	var got []string
	for _, p := range ps {
		pv := "-"
		if p.Pivot != nil {
			pv = p.Pivot.ID
		}
		got = append(got, pv+": "+ids(p))
		if p.Entry.ID == "namespace:shop" && (p.Edges[0].Kind != EdgeMember || p.Edges[0].From != p.Entry) {
			t.Errorf("namespace path does not start with a member edge: %s", ids(p))
		}
	}
	want := []string{
		"-: identity:user:eve > capability:admin@cluster > cluster-admin",
		wA + ": namespace:shop > " + wA + " > serviceaccount:shop/a > capability:admin@cluster > cluster-admin",
		wB + ": namespace:shop > " + wB + " > serviceaccount:shop/b > capability:admin@cluster > cluster-admin",
	}
	if !slices.Equal(got, want) {
		t.Errorf("paths:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	ps = mustPaths(t, h.g, Query{From: []string{Internet}, To: []string{wB}})
	if len(ps) != 1 || ps[0].Pivot.ID != wB || len(ps[0].Edges) != 2 || ps[0].Fix.Cost != 2 || !ps[0].Fix.CutsAll {
		t.Errorf("internet to b: %v", ps)
	}
	if _, err := h.g.Paths(Query{From: []string{"nowhere"}}); err == nil {
		t.Error("a bad entry is accepted")
	}
	if _, err := h.g.Paths(Query{To: []string{"workload:x"}}); err == nil {
		t.Error("a bad target is accepted")
	}
}

func pivot(ps []*Path, id string) *Path {
	for _, p := range ps {
		if p.Pivot != nil && p.Pivot.ID == id {
			return p
		}
	}
	return nil
}

// checkPath checks a path is a simple path of the graph from its entry to its
// target, within the bound, whose last workload is its pivot.
func checkPath(t *testing.T, g *Graph, p *Path, depth int) {
	t.Helper()
	checkEdges(t, g, p.Entry.ID, p.Edges, depth)
	if last := p.Edges[len(p.Edges)-1].To; last != p.Target {
		t.Errorf("%s ends at %s, not %s", ids(p), last.ID, p.Target.ID)
	}
	var pv *Node
	if p.Entry.Kind == KindWorkload {
		pv = p.Entry
	}
	for _, e := range p.Edges {
		if e.To.Kind == KindWorkload {
			pv = e.To
		}
	}
	if pv != p.Pivot {
		t.Errorf("%s: pivot %v, last workload %v", ids(p), p.Pivot, pv)
	}
}

func checkEdges(t *testing.T, g *Graph, entry string, edges []*Edge, depth int) {
	t.Helper()
	if len(edges) == 0 || len(edges) > depth {
		t.Errorf("%d hops (bound %d)", len(edges), depth)
		return
	}
	seen := map[string]bool{edges[0].From.ID: true}
	if edges[0].From.ID != entry {
		t.Errorf("starts at %s, not %s", edges[0].From.ID, entry)
	}
	for i, e := range edges {
		if i > 0 && e.From != edges[i-1].To {
			t.Errorf("hop %d does not follow hop %d", i, i-1)
		}
		if seen[e.To.ID] {
			t.Errorf("not simple: %s twice", e.To.ID)
		}
		seen[e.To.ID] = true
		if e.Kind != EdgeMember && !slices.ContainsFunc(g.Out(e.From), func(x *Edge) bool { return x.To == e.To && x.Kind == e.Kind }) {
			t.Errorf("hop %d %s -> %s is not an edge of the graph", i, e.From.ID, e.To.ID)
		}
	}
}

var seeds = flag.Int("seeds", 300, "random graphs TestRandomGraphs compares with brute force")

// TestRandomGraphs compares the query with a brute-force enumeration of every
// simple path on small random graphs: the pivots found, the shortest length per
// pivot, the count of alternatives and whether the fix cuts every path.
func TestRandomGraphs(t *testing.T) {
	for seed := range uint64(*seeds) {
		h, entries, targets := randomGraph(seed)
		depth := 3 + int(seed%5)
		for _, ent := range entries {
			q := Query{From: []string{ent}, To: targets, MaxDepth: depth, MaxAlternatives: 1000}
			ps, err := h.g.Paths(q)
			if err != nil {
				t.Fatal(err)
			}
			brute := enumerate(h.g, ent, targets, depth, nil)
			got := map[string]*Path{}
			for _, p := range ps {
				k := key(p.Target, p.Pivot)
				got[k] = p
				checkPath(t, h.g, p, depth)
			}
			for k, all := range brute {
				p := got[k]
				if p == nil {
					t.Errorf("seed %d %s: no path for %s; brute force has %d, e.g. %s", seed, ent, k, len(all), all[0])
					continue
				}
				if min := shortest(all); len(p.Edges) != min {
					t.Errorf("seed %d %s %s: %d hops, shortest %d", seed, ent, k, len(p.Edges), min)
				}
				if p.Alternatives != len(all)-1 {
					t.Errorf("seed %d %s %s: %d alternatives, brute force %d", seed, ent, k, p.Alternatives, len(all)-1)
				}
				checkFix(t, h.g, seed, ent, p, depth, k)
			}
			for k := range got {
				if brute[k] == nil {
					t.Errorf("seed %d %s: path %s that brute force does not find", seed, ent, ids(got[k]))
				}
			}
		}
	}
}

func checkFix(t *testing.T, g *Graph, seed uint64, ent string, p *Path, depth int, k string) {
	t.Helper()
	cutsAll := func(e *Edge) bool {
		return len(enumerate(g, ent, []string{p.Target.ID}, depth, e)[k]) == 0
	}
	var cheapest *Edge
	for i, e := range p.Edges {
		if e.Fix == nil {
			continue
		}
		if cheapest == nil || e.Fix.Cost < cheapest.Fix.Cost {
			cheapest = e
		}
		if p.Fix == nil {
			t.Errorf("seed %d %s: no fix, hop %d has one", seed, ids(p), i)
			return
		}
		better := e.Fix.Cost < p.Fix.Cost || (e.Fix.Cost == p.Fix.Cost && i < p.Fix.Hop)
		if c := cutsAll(e); better && c {
			t.Errorf("seed %d %s: fix hop %d (cost %d, all %v) but hop %d (cost %d) cuts all", seed, ids(p), p.Fix.Hop, p.Fix.Cost, p.Fix.CutsAll, i, e.Fix.Cost)
		} else if i == p.Fix.Hop && c != p.Fix.CutsAll {
			t.Errorf("seed %d %s: fix hop %d CutsAll %v, brute force %v", seed, ids(p), i, p.Fix.CutsAll, c)
		}
	}
	if p.Fix != nil && !p.Fix.CutsAll && p.Fix.Cost != cheapest.Fix.Cost {
		t.Errorf("seed %d %s: fix cost %d, cheapest %d", seed, ids(p), p.Fix.Cost, cheapest.Fix.Cost)
	}
}

func key(t, pivot *Node) string {
	if pivot == nil {
		return t.ID + " via -"
	}
	return t.ID + " via " + pivot.ID
}

func shortest(all []string) int {
	m := -1
	for _, s := range all {
		if n := strings.Count(s, " > "); m < 0 || n < m {
			m = n
		}
	}
	return m
}

// enumerate lists every simple path from the entry to each target within the
// bound (not using the edge cut), by target and pivot.
func enumerate(g *Graph, entry string, targets []string, depth int, cut *Edge) map[string][]string {
	isTarget := map[*Node]bool{}
	for _, t := range targets {
		for _, n := range g.targetNodes(t) {
			isTarget[n] = true
		}
	}
	out := map[string][]string{}
	var starts []*Node
	ns, virtual := strings.CutPrefix(entry, "namespace:")
	if virtual && g.Node(entry) == nil {
		for _, w := range g.Workloads() {
			if w.Namespace == ns {
				starts = append(starts, w)
			}
		}
	} else if n := g.Node(entry); n != nil {
		starts = []*Node{n}
		virtual = false
	}
	isStart := map[*Node]bool{}
	for _, s := range starts {
		isStart[s] = true
	}
	var walk func(x *Node, path []string, on map[*Node]bool, pv *Node)
	walk = func(x *Node, path []string, on map[*Node]bool, pv *Node) {
		hops := len(path) - 1
		if isTarget[x] && hops > 0 && !(x.Kind == KindWorkload && isStart[x]) {
			p := pv
			if x.Kind == KindWorkload {
				p = x
			}
			k := key(x, p)
			out[k] = append(out[k], strings.Join(path, " > "))
		}
		if hops >= depth {
			return
		}
		for _, e := range g.Out(x) {
			if e.To == x || on[e.To] || isStart[e.To] {
				continue
			}
			if cut != nil && e.From == cut.From && e.To == cut.To && e.Kind == cut.Kind {
				continue
			}
			on[e.To] = true
			npv := pv
			if e.To.Kind == KindWorkload {
				npv = e.To
			}
			walk(e.To, append(path, e.To.ID), on, npv)
			on[e.To] = false
		}
	}
	for _, s := range starts {
		var pv *Node
		if s.Kind == KindWorkload {
			pv = s
		}
		path := []string{s.ID}
		if virtual {
			path = []string{entry, s.ID}
		}
		walk(s, path, map[*Node]bool{s: true}, pv)
	}
	return out
}

// randomGraph makes a small graph of every kind of node, stored and lateral
// edges, some with fixes of every cost.
func randomGraph(seed uint64) (*hand, []string, []string) {
	r := rand.New(rand.NewPCG(seed, 20))
	h := newHand()
	var ws, others []string
	nw := 3 + r.IntN(5)
	for i := range nw {
		ns := []string{"a", "b"}[r.IntN(2)]
		ws = append(ws, fmt.Sprintf("workload:%s/Deployment/w%d", ns, i))
	}
	for i := range 2 + r.IntN(3) {
		others = append(others, fmt.Sprintf("serviceaccount:a/s%d", i))
	}
	for i := range 1 + r.IntN(3) {
		others = append(others, fmt.Sprintf("capability:c%d@a", i))
	}
	targets := []string{ClusterAdmin, HostNode, "secrets:a"}
	for _, id := range append(append([]string{Internet, AnyPod, "identity:user:eve"}, ws...), append(others, targets...)...) {
		h.n(id)
	}
	cost := func() int { return r.IntN(4) }
	kinds := []EdgeKind{EdgeToken, EdgeGrant, EdgeExec, EdgeRunAs, EdgeHost, EdgeReadSecrets, EdgeEscalate}
	for _, w := range ws {
		if r.IntN(2) == 0 {
			h.e(Internet, w, EdgeExposed, 3)
		}
		if r.IntN(2) == 0 {
			h.e(AnyPod, w, EdgeNetwork, 2)
		}
	}
	for range 4 + r.IntN(10) {
		from := append(ws, others...)[r.IntN(len(ws)+len(others))]
		to := append(append([]string{}, ws...), append(others, targets...)...)
		h.e(from, to[r.IntN(len(to))], kinds[r.IntN(len(kinds))], cost())
	}
	h.e("identity:user:eve", others[r.IntN(len(others))], EdgeMember, 1)
	// Classes: some workloads share one; rows are random.
	for i, w := range ws {
		c := r.IntN(3)
		if r.IntN(3) == 0 {
			c = 10 + i
		}
		h.lat.class[h.n(w)] = c
	}
	for c := range 10 + nw {
		for _, w := range ws {
			if r.IntN(4) == 0 {
				h.lat.rows[c] = append(h.lat.rows[c], h.n(w))
			}
		}
	}
	if seed%2 == 1 {
		// Without classes: each workload is asked for its own edges.
		h.g.Lateral = plainLateral{h.lat}
	}
	sort.Strings(ws)
	entries := []string{Internet, AnyPod, "identity:user:eve", "namespace:a", ws[0]}
	return h, entries, append(targets, ws[len(ws)-1])
}

// openCluster is n workloads in one class that reaches every workload, a tenth of
// them exposed, each with its own account; every fifth account is bound to admin.
func openCluster(n int) *hand {
	h := newHand()
	var ws []string
	for i := range n {
		w := fmt.Sprintf("workload:ns%d/Deployment/w%d", i%50, i)
		ws = append(ws, w)
		if i%10 == 0 {
			h.e(Internet, w, EdgeExposed, 3)
		}
		sa := fmt.Sprintf("serviceaccount:ns%d/w%d", i%50, i)
		h.e(w, sa, EdgeToken, 1)
		if i%5 == 0 {
			h.e(sa, "capability:admin@cluster", EdgeGrant, 1)
		}
	}
	h.e("capability:admin@cluster", ClusterAdmin, EdgeEscalate, 0)
	h.lateral(1, ws, ws[0])
	return h
}

// TestScale: an open cluster of 10,000 workloads costs one lateral row per class
// and answers in bounded time; concurrent askers share one answer.
func TestScale(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	h := openCluster(10000)
	q := Query{From: []string{Internet}, To: []string{ClusterAdmin}}
	var wg sync.WaitGroup
	answers := make([][]*Path, 4)
	for i := range answers {
		wg.Go(func() { answers[i] = mustPaths(t, h.g, q) })
	}
	wg.Wait()
	ps := answers[0]
	if len(ps) != 2000 {
		t.Fatalf("%d paths, want one per admin account's workload (2000)", len(ps))
	}
	for i := range answers {
		if len(answers[i]) != len(ps) || answers[i][7] != ps[7] {
			t.Errorf("answer %d differs", i)
		}
	}
	if h.lat.calls > 100 {
		t.Errorf("%d lateral rows asked for, want about one per class", h.lat.calls)
	}
	for _, p := range ps[:50] {
		if p.Fix == nil || !p.Fix.CutsAll || p.Alternatives != DefaultMaxAlternatives {
			t.Errorf("%s: fix %+v, %d alternatives", ids(p), p.Fix, p.Alternatives)
		}
	}
}

func BenchmarkPathsOpenCluster(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		h := openCluster(10000)
		b.StartTimer()
		if _, err := h.g.Paths(Query{From: []string{Internet}, To: []string{ClusterAdmin}}); err != nil {
			b.Fatal(err)
		}
	}
}
