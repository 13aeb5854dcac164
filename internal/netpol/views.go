package netpol

import (
	"sort"
	"strconv"
	"strings"
)

// Filter keeps the workloads of some namespaces (all when empty).
type Filter struct {
	Namespaces []string
}

func (f Filter) keep(w *Workload) bool {
	if len(f.Namespaces) == 0 {
		return true
	}
	for _, n := range f.Namespaces {
		if n == w.Ref.Namespace {
			return true
		}
	}
	return false
}

// sortedWorkloads returns the workloads the filter keeps, by namespace, kind, name.
func (m *Model) sortedWorkloads(f Filter) []*Workload {
	var out []*Workload
	for _, w := range m.Workloads {
		if f.keep(w) && !w.Overridden {
			out = append(out, w)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return lessRef(out[i], out[j]) })
	return out
}

func lessRef(a, b *Workload) bool {
	if a.Ref.Namespace != b.Ref.Namespace {
		return a.Ref.Namespace < b.Ref.Namespace
	}
	if a.Ref.Kind != b.Ref.Kind {
		return a.Ref.Kind < b.Ref.Kind
	}
	return a.Ref.Name < b.Ref.Name
}

// Isolation says, for one workload, which policies isolate it in each direction (none:
// not isolated, every connection allowed at that end).
type Isolation struct {
	Workload *Workload
	Policies [2][]*Policy
}

// Isolation lists the workloads the filter keeps with the policies isolating them.
func (m *Model) Isolation(f Filter) []Isolation {
	var out []Isolation
	for _, w := range m.sortedWorkloads(f) {
		out = append(out, Isolation{Workload: w, Policies: w.Class.Isolating})
	}
	return out
}

// Outside names the outside of the cluster in connection lists.
const Outside = "outside"

// Connection is one allowed connection between two workloads, or between a workload
// and addresses outside the cluster.
type Connection struct {
	// From and To are workload names ("ns/Kind/name") or Outside.
	From, To string
	// Ports is what is allowed between two workloads, PortsText its String.
	Ports     PortSet
	PortsText string
	// External is what is allowed to or from the outside, per address.
	External External
}

// Connections lists, in workload order, every allowed connection between workloads
// the filter keeps, then with the outside. fn is called for each.
func (x *Matrix) Connections(f Filter, fn func(Connection)) {
	ws := x.Model.sortedWorkloads(f)
	names := make([]string, len(ws))
	for i, w := range ws {
		names[i] = w.Name()
	}
	texts := map[int32]string{}
	for i, src := range ws {
		for j, dst := range ws {
			id := x.portsID(src.Class, dst.Class)
			if id == emptyPortsID {
				continue
			}
			text, ok := texts[id]
			if !ok {
				text = x.ports.sets[id].String()
				texts[id] = text
			}
			fn(Connection{From: names[i], To: names[j], Ports: x.ports.sets[id], PortsText: text})
		}
		if e := x.ToOutside(src.Class); !e.IsEmpty() {
			fn(Connection{From: names[i], To: Outside, External: e})
		}
	}
	for j, dst := range ws {
		if e := x.FromOutside(dst.Class); !e.IsEmpty() {
			fn(Connection{From: Outside, To: names[j], External: e})
		}
	}
}

// Change is a connection that two versions of the manifests allow differently.
type Change struct {
	From, To string
	// Added and Removed are the ports between two workloads that the new version
	// allows and the old did not, and the reverse.
	Added, Removed PortSet
	// AddedExternal and RemovedExternal are the same for the outside.
	AddedExternal, RemovedExternal External
}

// Diff is what changes between two versions: connections opened and closed.
type Diff struct {
	Changes []Change
	// New is the new version's model, for grouping sources by namespace.
	New *Model
}

// Added reports whether the new version allows anything the old did not.
func (d *Diff) Added() bool {
	for _, c := range d.Changes {
		if !c.Added.IsEmpty() || !c.AddedExternal.IsEmpty() {
			return true
		}
	}
	return false
}

// DiffMatrices compares the connectivity of two versions, workload by workload
// (workloads are matched by namespace, kind and name; one present in only one version
// has every connection of it added or removed). Workloads are grouped by their pair
// of classes, so that the work grows with the distinct pod classes, not the pods.
func DiffMatrices(old, new *Matrix, f Filter) *Diff {
	type group struct {
		oc, nc *Class
		names  []string
	}
	groups := map[[2]int]*group{}
	var order []*group
	add := func(name string, oc, nc *Class) {
		k := [2]int{-1, -1}
		if oc != nil {
			k[0] = oc.ID
		}
		if nc != nil {
			k[1] = nc.ID
		}
		g := groups[k]
		if g == nil {
			g = &group{oc: oc, nc: nc}
			groups[k] = g
			order = append(order, g)
		}
		g.names = append(g.names, name)
	}
	oldBy := map[string]*Workload{}
	for _, w := range old.Model.sortedWorkloads(f) {
		if _, dup := oldBy[w.Name()]; !dup {
			oldBy[w.Name()] = w
		}
	}
	seen := map[string]bool{}
	for _, w := range new.Model.sortedWorkloads(f) {
		if seen[w.Name()] {
			continue
		}
		seen[w.Name()] = true
		var oc *Class
		if o := oldBy[w.Name()]; o != nil {
			oc = o.Class
		}
		add(w.Name(), oc, w.Class)
	}
	for _, w := range old.Model.sortedWorkloads(f) {
		if !seen[w.Name()] {
			seen[w.Name()] = true
			add(w.Name(), w.Class, nil)
		}
	}
	d := &Diff{New: new.Model}
	var changes []Change
	for _, a := range order {
		for _, b := range order {
			var op, np PortSet
			if a.oc != nil && b.oc != nil {
				op = old.Ports(a.oc, b.oc)
			}
			if a.nc != nil && b.nc != nil {
				np = new.Ports(a.nc, b.nc)
			}
			added, removed := np.Subtract(op), op.Subtract(np)
			if added.IsEmpty() && removed.IsEmpty() {
				continue
			}
			for _, from := range a.names {
				for _, to := range b.names {
					changes = append(changes, Change{From: from, To: to, Added: added, Removed: removed})
				}
			}
		}
		var oTo, nTo, oFrom, nFrom External
		if a.oc != nil {
			oTo, oFrom = old.ToOutside(a.oc), old.FromOutside(a.oc)
		}
		if a.nc != nil {
			nTo, nFrom = new.ToOutside(a.nc), new.FromOutside(a.nc)
		}
		if add, rem := nTo.Subtract(oTo), oTo.Subtract(nTo); !add.IsEmpty() || !rem.IsEmpty() {
			for _, from := range a.names {
				changes = append(changes, Change{From: from, To: Outside, AddedExternal: add, RemovedExternal: rem})
			}
		}
		if add, rem := nFrom.Subtract(oFrom), oFrom.Subtract(nFrom); !add.IsEmpty() || !rem.IsEmpty() {
			for _, to := range a.names {
				changes = append(changes, Change{From: Outside, To: to, AddedExternal: add, RemovedExternal: rem})
			}
		}
	}
	sort.SliceStable(changes, func(i, j int) bool {
		if changes[i].To != changes[j].To {
			return lessName(changes[i].To, changes[j].To)
		}
		return lessName(changes[i].From, changes[j].From)
	})
	d.Changes = changes
	return d
}

// lessName orders workload names, the outside last.
func lessName(a, b string) bool {
	if (a == Outside) != (b == Outside) {
		return b == Outside
	}
	return strings.Compare(a, b) < 0
}

// IsLintRule reports whether a rule ID is one of the NetworkPolicy rules that netpol
// lint runs (PAL-421 to PAL-449).
func IsLintRule(id string) bool {
	n, ok := strings.CutPrefix(id, "PAL-")
	v, err := strconv.Atoi(n)
	return ok && err == nil && v >= 421 && v <= 449
}
