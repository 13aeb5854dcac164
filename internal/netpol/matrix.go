package netpol

import (
	"math/bits"
	"sort"
)

// Matrix is the connectivity between every pair of pod classes, and between each class
// and the outside of the cluster.
//
// It is computed a source row at a time with bitsets over classes. For a source s, the
// destinations its egress allows on all ports, or on some, are unions of the peer sets
// of the egress rules that isolate s (every class when none does); the destinations
// whose ingress admits s are the classes no policy isolates for ingress plus, for each
// ingress rule whose peers match s, the classes its policy isolates. Destinations in
// both "all ports" sets are done with one AND; only the few left over have their port
// sets computed rule by rule. The cost is the number of rules that apply to a row times
// the number of classes / 64, per row.
type Matrix struct {
	Model *Model
	ports *portTable
	// full[s] holds the destination classes s reaches on every port.
	full []bitset
	// partial[s] lists the destinations s reaches on some ports only, by class ID.
	partial [][]cell
	// toOutside[s] and fromOutside[d] are the connections with the outside.
	toOutside, fromOutside []External
}

type cell struct {
	dst   int32
	ports int32
}

// Ports returns what gets from src's pods to dst's pods (empty: denied).
func (x *Matrix) Ports(src, dst *Class) PortSet { return x.ports.sets[x.portsID(src, dst)] }

// portsID is Ports as an ID of the matrix's port table.
func (x *Matrix) portsID(src, dst *Class) int32 {
	if x.full[src.ID].has(dst.ID) {
		return allPortsID
	}
	cells := x.partial[src.ID]
	i := sort.Search(len(cells), func(i int) bool { return cells[i].dst >= int32(dst.ID) })
	if i < len(cells) && cells[i].dst == int32(dst.ID) {
		return cells[i].ports
	}
	return emptyPortsID
}

// ToOutside returns what src's pods may open to addresses outside the cluster.
func (x *Matrix) ToOutside(src *Class) External { return x.toOutside[src.ID] }

// FromOutside returns what addresses outside the cluster may open to dst's pods.
func (x *Matrix) FromOutside(dst *Class) External { return x.fromOutside[dst.ID] }

// Each calls fn for every class src reaches, in class order, with the ports.
func (x *Matrix) Each(src *Class, fn func(dst *Class, ports PortSet)) {
	full, cells := x.full[src.ID], x.partial[src.ID]
	// Every destination of the full row shares the table's all-ports set, as the
	// partial cells share theirs (callers only read port sets).
	all := x.ports.sets[allPortsID]
	j := 0
	full.each(func(d int) {
		for j < len(cells) && int(cells[j].dst) < d {
			fn(x.Model.Classes[cells[j].dst], x.ports.sets[cells[j].ports])
			j++
		}
		fn(x.Model.Classes[d], all)
	})
	for ; j < len(cells); j++ {
		fn(x.Model.Classes[cells[j].dst], x.ports.sets[cells[j].ports])
	}
}

// Count counts the allowed (source class, destination class) pairs.
func (x *Matrix) Count() int {
	n := 0
	for s := range x.full {
		n += x.full[s].count() + len(x.partial[s])
	}
	return n
}

// matrixBuilder holds what the rows share.
type matrixBuilder struct {
	m     *Model
	n     int
	all   bitset
	ports *portTable
	// selIn[p] are the classes policy p isolates for ingress.
	selIn []bitset
	// peers[r] are the classes rule r's peers match (nil: not computed yet).
	peers []bitset
	// allPorts[r] is set when rule r allows every port on any destination.
	allPorts  []bool
	peerCache map[string]bitset
	nsCache   map[string][]*Namespace
	// resolved caches the port set ID of rules with named ports per destination port
	// layout (classes that declare the same ports).
	resolved map[[2]int32]int32
	layout   []int32
	// union and intersect memoise set operations on port set IDs.
	union, intersect map[[2]int32]int32
}

// sideRow is what one end allows for a row: the destinations on every port, on some
// ports, the rules that decide the ports, and (egress) what may go outside.
type sideRow struct {
	all, any bitset
	rules    []*Rule
	out      External
}

// Matrix computes the full connectivity matrix.
func (m *Model) Matrix() *Matrix {
	n := len(m.Classes)
	b := &matrixBuilder{
		m: m, n: n, all: newBitset(n), ports: newPortTable(),
		selIn: make([]bitset, len(m.Policies)), peers: make([]bitset, len(m.rules)),
		allPorts: make([]bool, len(m.rules)), peerCache: map[string]bitset{},
		nsCache: map[string][]*Namespace{}, resolved: map[[2]int32]int32{},
		layout: make([]int32, n), union: map[[2]int32]int32{}, intersect: map[[2]int32]int32{},
	}
	for i := 0; i < n; i++ {
		b.all.set(i)
	}
	layouts := map[string]int32{}
	notInIso := newBitset(n)
	for _, c := range m.Classes {
		id, ok := layouts[c.portsKey]
		if !ok {
			id = int32(len(layouts))
			layouts[c.portsKey] = id
		}
		b.layout[c.ID] = id
		if len(c.Isolating[Ingress]) == 0 {
			notInIso.set(c.ID)
		}
		for _, p := range c.Isolating[Ingress] {
			if b.selIn[p.index] == nil {
				b.selIn[p.index] = newBitset(n)
			}
			b.selIn[p.index].set(c.ID)
		}
	}
	for _, r := range m.rules {
		b.allPorts[r.id] = r.Static.IsAll()
	}
	// The ingress rules that apply to a source: those whose policy isolates something
	// and whose peers match it. Each source gets a signature of the rules matching it
	// (two independent hashes), without listing them per source.
	var inRules, inAllSrc []*Rule
	for _, r := range m.rules {
		if r.Direction != Ingress || !r.Effective() || b.selIn[r.Policy.index] == nil {
			continue
		}
		if r.AllPeers {
			inAllSrc = append(inAllSrc, r)
		} else {
			inRules = append(inRules, r)
		}
	}
	inSig := make([][2]uint64, n)
	for _, r := range inRules {
		h := uint64(r.id)*0x9e3779b97f4a7c15 + 1
		b.peerSet(r).each(func(s int) {
			inSig[s][0] = inSig[s][0]*1099511628211 ^ h
			inSig[s][1] = (inSig[s][1] + h) * 0xbf58476d1ce4e5b9
		})
	}
	x := &Matrix{Model: m, ports: b.ports, full: make([]bitset, n), partial: make([][]cell, n),
		toOutside: make([]External, n), fromOutside: make([]External, n)}
	// Sources that the same egress policies isolate and whose pods the same ingress
	// rules match have the same row: each distinct row is computed once.
	type row struct {
		full  bitset
		cells []cell
	}
	type rowKey struct {
		eg string
		in [2]uint64
	}
	egRows, inRows, rows := map[string]*sideRow{}, map[[2]uint64]*sideRow{}, map[rowKey]*row{}
	cand := newBitset(n)
	var key []byte
	for _, s := range m.Classes {
		key = key[:0]
		for _, p := range s.Isolating[Egress] {
			key = appendID(key, p.index)
		}
		eg := egRows[string(key)]
		if eg == nil {
			eg = b.egressRow(s)
			egRows[string(key)] = eg
		}
		x.toOutside[s.ID] = eg.out
		in := inRows[inSig[s.ID]]
		if in == nil {
			in = &sideRow{all: newBitset(n), any: newBitset(n)}
			for _, r := range inRules {
				if b.peers[r.id].has(s.ID) {
					in.rules = append(in.rules, r)
				}
			}
			in.rules = append(in.rules, inAllSrc...)
			copy(in.all, notInIso)
			copy(in.any, notInIso)
			for _, r := range in.rules {
				in.any.or(b.selIn[r.Policy.index])
				if b.allPorts[r.id] {
					in.all.or(b.selIn[r.Policy.index])
				}
			}
			inRows[inSig[s.ID]] = in
		}
		k := rowKey{string(key), inSig[s.ID]}
		if rw := rows[k]; rw != nil {
			x.full[s.ID], x.partial[s.ID] = rw.full, rw.cells
			continue
		}
		full := newBitset(n)
		full.and2(eg.all, in.all)
		cand.and2(eg.any, in.any)
		cand.andNot(full)
		var cells []cell
		cand.each(func(d int) {
			dst := m.Classes[d]
			egP := int32(allPortsID)
			if !eg.all.has(d) {
				egP = emptyPortsID
				for _, r := range eg.rules {
					if r.AllPeers || b.peers[r.id].has(d) {
						egP = b.unionID(egP, b.portsFor(r, dst))
					}
				}
			}
			inP := int32(allPortsID)
			if !in.all.has(d) {
				inP = emptyPortsID
				for _, r := range in.rules {
					if b.selIn[r.Policy.index].has(d) {
						inP = b.unionID(inP, b.portsFor(r, dst))
					}
				}
			}
			if ports := b.intersectID(egP, inP); ports != emptyPortsID {
				cells = append(cells, cell{int32(d), ports})
			}
		})
		rows[k] = &row{full, cells}
		x.full[s.ID], x.partial[s.ID] = full, cells
	}
	for _, d := range m.Classes {
		if len(d.Isolating[Ingress]) == 0 {
			x.fromOutside[d.ID] = AllExternal()
			continue
		}
		var in External
		for _, p := range d.Isolating[Ingress] {
			for _, r := range p.Rules[Ingress] {
				in = in.Union(r.ExternalFor(d))
			}
		}
		x.fromOutside[d.ID] = in
	}
	return x
}

// egressRow is what the egress policies of s allow.
func (b *matrixBuilder) egressRow(s *Class) *sideRow {
	if len(s.Isolating[Egress]) == 0 {
		return &sideRow{all: b.all, any: b.all, out: AllExternal()}
	}
	r := &sideRow{all: newBitset(b.n), any: newBitset(b.n)}
	for _, p := range s.Isolating[Egress] {
		r.rules = append(r.rules, p.Rules[Egress]...)
	}
	for _, rule := range r.rules {
		dsts := b.all
		if !rule.AllPeers {
			dsts = b.peerSet(rule)
		}
		r.any.or(dsts)
		if b.allPorts[rule.id] {
			r.all.or(dsts)
		}
		r.out = r.out.Union(rule.external)
	}
	return r
}

func appendID(b []byte, id int) []byte {
	return append(b, byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
}

// portsFor is the ID of what rule r allows on the pods of dst.
func (b *matrixBuilder) portsFor(r *Rule, dst *Class) int32 {
	k := [2]int32{int32(r.id), -1}
	if len(r.Named) > 0 {
		k[1] = b.layout[dst.ID]
	}
	if id, ok := b.resolved[k]; ok {
		return id
	}
	id := b.ports.id(r.PortsFor(dst))
	b.resolved[k] = id
	return id
}

func (b *matrixBuilder) unionID(x, y int32) int32 {
	switch {
	case x == emptyPortsID || x == y:
		return y
	case y == emptyPortsID:
		return x
	case x > y:
		x, y = y, x
	}
	k := [2]int32{x, y}
	if id, ok := b.union[k]; ok {
		return id
	}
	id := b.ports.id(b.ports.sets[x].Union(b.ports.sets[y]))
	b.union[k] = id
	return id
}

func (b *matrixBuilder) intersectID(x, y int32) int32 {
	switch {
	case x == allPortsID || x == y:
		return y
	case y == allPortsID:
		return x
	case x == emptyPortsID || y == emptyPortsID:
		return emptyPortsID
	case x > y:
		x, y = y, x
	}
	k := [2]int32{x, y}
	if id, ok := b.intersect[k]; ok {
		return id
	}
	id := b.ports.id(b.ports.sets[x].Intersect(b.ports.sets[y]))
	b.intersect[k] = id
	return id
}

// peerSet returns the classes a rule's peers match.
func (b *matrixBuilder) peerSet(r *Rule) bitset {
	if s := b.peers[r.id]; s != nil {
		return s
	}
	s := newBitset(b.n)
	for _, peer := range r.Peers {
		s.or(b.peerBits(r.Policy, peer))
	}
	b.peers[r.id] = s
	return s
}

// peerBits returns the classes one peer matches, shared between equal peers.
func (b *matrixBuilder) peerBits(p *Policy, peer *Peer) bitset {
	if peer.IPBlock != nil {
		if peer.IPBlock.coversPods {
			return b.all
		}
		return newBitset(b.n)
	}
	nsKey := "=" + p.Namespace
	if peer.Namespaces != nil {
		nsKey = "~" + peer.Namespaces.String()
	}
	podKey := "*"
	if peer.Pods != nil {
		podKey = "~" + peer.Pods.String()
	}
	key := nsKey + "\x00" + podKey
	if s, ok := b.peerCache[key]; ok {
		return s
	}
	var nss []*Namespace
	if peer.Namespaces == nil {
		if n := b.m.namespaces[p.Namespace]; n != nil {
			nss = []*Namespace{n}
		}
	} else {
		var ok bool
		if nss, ok = b.nsCache[nsKey]; !ok {
			for _, n := range b.m.Namespaces {
				if peer.Namespaces.Matches(n.Labels) {
					nss = append(nss, n)
				}
			}
			b.nsCache[nsKey] = nss
		}
	}
	s := newBitset(b.n)
	for _, n := range nss {
		for _, c := range n.Classes {
			if peer.Pods == nil || peer.Pods.Matches(c.Labels) {
				s.set(c.ID)
			}
		}
	}
	b.peerCache[key] = s
	return s
}

// bitset is a set of class IDs.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i int)      { b[i>>6] |= 1 << (uint(i) & 63) }
func (b bitset) has(i int) bool { return b != nil && b[i>>6]&(1<<(uint(i)&63)) != 0 }

func (b bitset) or(o bitset) {
	for i := range b {
		b[i] |= o[i]
	}
}

func (b bitset) and2(x, y bitset) {
	for i := range b {
		b[i] = x[i] & y[i]
	}
}

func (b bitset) andNot(o bitset) {
	for i := range b {
		b[i] &^= o[i]
	}
}

func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

func (b bitset) each(fn func(int)) {
	for i, w := range b {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			fn(i<<6 + t)
			w &= w - 1
		}
	}
}
