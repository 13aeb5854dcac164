package netpol

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// addrRange is an inclusive range of addresses of one family.
type addrRange struct{ lo, hi netip.Addr }

// segment is a range of addresses and the ports allowed to (or from) each of them.
type segment struct {
	addrRange
	ports PortSet
}

// External is a set of (address, port) pairs outside the cluster: a piecewise map from
// address to the ports allowed, kept as sorted, disjoint ranges (IPv4 before IPv6), no
// range with an empty port set, and adjacent ranges with equal ports merged. IPv4 and
// IPv6 are separate spaces: ::/0 does not contain 10.0.0.1. The zero value is empty.
type External struct {
	segs []segment
}

// AllExternal is every address of both families on every port.
func AllExternal() External { return ExternalOf(AllAddresses(), AllPorts()) }

// AllAddresses is 0.0.0.0/0 and ::/0.
func AllAddresses() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
}

// ExternalOf is the given prefixes on the given ports.
func ExternalOf(prefixes []netip.Prefix, ports PortSet) External {
	var out External
	if ports.IsEmpty() {
		return out
	}
	for _, p := range prefixes {
		lo, hi := prefixRange(p)
		out = out.Union(External{segs: []segment{{addrRange{lo, hi}, ports}}})
	}
	return out
}

// prefixRange returns the first and last address of a prefix.
func prefixRange(p netip.Prefix) (netip.Addr, netip.Addr) {
	p = p.Masked()
	lo := p.Addr()
	b := lo.AsSlice()
	bits := p.Bits()
	for i := range b {
		for j := 0; j < 8; j++ {
			if i*8+j >= bits {
				b[i] |= 0x80 >> j
			}
		}
	}
	hi, _ := netip.AddrFromSlice(b)
	return lo, hi
}

// IsEmpty reports whether no address is allowed on any port.
func (e External) IsEmpty() bool { return len(e.segs) == 0 }

// IsAll reports whether every address of both families is allowed on every port.
func (e External) IsAll() bool { return e.Equal(AllExternal()) }

// Equal reports whether two sets are the same.
func (e External) Equal(o External) bool {
	if len(e.segs) != len(o.segs) {
		return false
	}
	for i := range e.segs {
		if e.segs[i].addrRange != o.segs[i].addrRange || !e.segs[i].ports.Equal(o.segs[i].ports) {
			return false
		}
	}
	return true
}

// Union is what either set allows.
func (e External) Union(o External) External {
	if len(o.segs) == 0 {
		return e
	}
	if len(e.segs) == 0 {
		return o
	}
	return combine(e, o, PortSet.Union)
}

// Intersect is what both sets allow.
func (e External) Intersect(o External) External { return combine(e, o, PortSet.Intersect) }

// Subtract is what e allows and o does not.
func (e External) Subtract(o External) External { return combine(e, o, PortSet.Subtract) }

// RestrictPorts keeps only the given ports.
func (e External) RestrictPorts(ports PortSet) External {
	var out External
	for _, s := range e.segs {
		out.add(segment{s.addrRange, s.ports.Intersect(ports)})
	}
	return out
}

// Ports is every port allowed to some address of the set.
func (e External) Ports() PortSet {
	var out PortSet
	for _, s := range e.segs {
		out = out.Union(s.ports)
	}
	return out
}

// add appends a segment that starts after every segment of e.
func (e *External) add(s segment) {
	if s.ports.IsEmpty() {
		return
	}
	if n := len(e.segs); n > 0 {
		last := &e.segs[n-1]
		if next := last.hi.Next(); next.IsValid() && next == s.lo && last.ports.Equal(s.ports) {
			last.hi = s.hi
			return
		}
	}
	e.segs = append(e.segs, s)
}

// combine applies f to the ports of a and b over every elementary address range
// either defines (ports are empty where a set has no range).
func combine(a, b External, f func(PortSet, PortSet) PortSet) External {
	var cuts []netip.Addr
	for _, set := range [2][]segment{a.segs, b.segs} {
		for _, s := range set {
			cuts = append(cuts, s.lo)
			if n := s.hi.Next(); n.IsValid() && n.BitLen() == s.hi.BitLen() {
				cuts = append(cuts, n)
			}
		}
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i].Less(cuts[j]) })
	var out External
	i, j := 0, 0
	for k := 0; k < len(cuts); k++ {
		if k > 0 && cuts[k] == cuts[k-1] {
			continue
		}
		lo := cuts[k]
		hi := lastOfFamily(lo)
		for n := k + 1; n < len(cuts); n++ {
			if cuts[n] != lo {
				if cuts[n].BitLen() == lo.BitLen() {
					hi = cuts[n].Prev()
				}
				break
			}
		}
		for i < len(a.segs) && a.segs[i].hi.Less(lo) {
			i++
		}
		for j < len(b.segs) && b.segs[j].hi.Less(lo) {
			j++
		}
		var pa, pb PortSet
		if i < len(a.segs) && !lo.Less(a.segs[i].lo) {
			pa = a.segs[i].ports
		}
		if j < len(b.segs) && !lo.Less(b.segs[j].lo) {
			pb = b.segs[j].ports
		}
		out.add(segment{addrRange{lo, hi}, f(pa, pb)})
	}
	return out
}

func lastOfFamily(a netip.Addr) netip.Addr {
	if a.Is4() {
		return netip.AddrFrom4([4]byte{255, 255, 255, 255})
	}
	var b [16]byte
	for i := range b {
		b[i] = 0xff
	}
	return netip.AddrFrom16(b)
}

// rangePrefixes splits an address range into the fewest prefixes that cover it exactly.
func rangePrefixes(r addrRange) []netip.Prefix {
	var out []netip.Prefix
	lo := r.lo
	bitLen := lo.BitLen()
	for {
		// The shortest prefix that starts at lo and ends at or before hi.
		bits := bitLen
		for bits > 0 {
			p := netip.PrefixFrom(lo, bits-1)
			if p.Masked().Addr() != lo {
				break
			}
			if _, last := prefixRange(p); r.hi.Less(last) {
				break
			}
			bits--
		}
		p := netip.PrefixFrom(lo, bits)
		out = append(out, p)
		_, last := prefixRange(p)
		if last == r.hi {
			return out
		}
		lo = last.Next()
	}
}

// ExternalRange is one part of an External set, for output.
type ExternalRange struct {
	// CIDRs are the prefixes that make up the address range.
	CIDRs   []string      `json:"cidrs"`
	PortSet PortSet       `json:"-"`
	Ports   []PortRangeOf `json:"ports"`
}

// Groups lists the set grouped by port set: each group is the addresses allowed on
// exactly those ports, in address order of their first range.
func (e External) Groups() []ExternalRange {
	var out []ExternalRange
	index := map[string]int{}
	for _, s := range e.segs {
		k := s.ports.key()
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, ExternalRange{PortSet: s.ports, Ports: s.ports.Ranges()})
		}
		for _, p := range rangePrefixes(s.addrRange) {
			out[i].CIDRs = append(out[i].CIDRs, p.String())
		}
	}
	return out
}

// String renders the set: "any address, all ports", or each group of addresses with
// its ports ("10.0.0.0/8 on TCP/443; 192.168.0.0/16 on all ports").
func (e External) String() string {
	if e.IsEmpty() {
		return "none"
	}
	if e.IsAll() {
		return "any address, all ports"
	}
	var parts []string
	for _, g := range e.Groups() {
		parts = append(parts, describeCIDRs(g.CIDRs)+" on "+g.PortSet.String())
	}
	return strings.Join(parts, "; ")
}

// describeCIDRs abbreviates long prefix lists.
func describeCIDRs(cidrs []string) string {
	const show = 6
	if len(cidrs) <= show {
		return strings.Join(cidrs, ", ")
	}
	return strings.Join(cidrs[:show], ", ") + " and " + strconv.Itoa(len(cidrs)-show) + " more ranges"
}

// ParseCIDR reads an ipBlock CIDR the way the API server does (net.ParseCIDR after
// k8s.io/utils ParseCIDRSloppy, which also accepts IPv4 octets with leading zeros, read
// as decimal). Host bits may be set; they are ignored.
func ParseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err == nil {
		return p.Masked(), nil
	}
	addr, bits, ok := strings.Cut(s, "/")
	if ok && strings.Count(addr, ".") == 3 && !strings.Contains(addr, ":") {
		octs := strings.Split(addr, ".")
		for i, o := range octs {
			t := strings.TrimLeft(o, "0")
			if t == "" && o != "" {
				t = "0"
			}
			octs[i] = t
		}
		if p2, err2 := netip.ParsePrefix(strings.Join(octs, ".") + "/" + bits); err2 == nil {
			return p2.Masked(), nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("invalid CIDR address: %s", s)
}

// ParseAddresses reads a command-line destination or source outside the cluster: a
// CIDR or a single address.
func ParseAddresses(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is neither an address nor a CIDR", s)
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return ParseCIDR(s)
}
