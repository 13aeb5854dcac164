package netpol

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Protocol is one of the protocols a NetworkPolicy port can name. Policies say nothing
// about other protocols (ICMP, ...): what happens to them is up to the network plugin.
type Protocol uint8

// The protocols of networking.k8s.io/v1 NetworkPolicyPort, TCP being the default.
const (
	TCP Protocol = iota
	UDP
	SCTP
	numProtocols
)

var protocolNames = [numProtocols]string{"TCP", "UDP", "SCTP"}

func (p Protocol) String() string {
	if p < numProtocols {
		return protocolNames[p]
	}
	return "protocol(" + strconv.Itoa(int(p)) + ")"
}

// ParseProtocol reads a protocol name as the API spells it (upper case); "" is TCP.
func ParseProtocol(s string) (Protocol, bool) {
	if s == "" {
		return TCP, true
	}
	for i, n := range protocolNames {
		if s == n {
			return Protocol(i), true
		}
	}
	return 0, false
}

const maxPort = 65535

// portRange is an inclusive range of port numbers.
type portRange struct{ lo, hi uint16 }

// PortSet is a set of (protocol, port) pairs: for each protocol, sorted, disjoint and
// non-adjacent ranges of ports 1-65535. The zero value is empty.
type PortSet struct {
	r [numProtocols][]portRange
}

// AllPorts is every port of every protocol.
func AllPorts() PortSet {
	var s PortSet
	for p := range s.r {
		s.r[p] = []portRange{{1, maxPort}}
	}
	return s
}

// SinglePort is one port of one protocol.
func SinglePort(p Protocol, port int) PortSet { return PortRange(p, port, port) }

// PortRange is the ports lo-hi of one protocol (clamped to 1-65535).
func PortRange(p Protocol, lo, hi int) PortSet {
	var s PortSet
	lo, hi = max(lo, 1), min(hi, maxPort)
	if lo <= hi {
		s.r[p] = []portRange{{uint16(lo), uint16(hi)}}
	}
	return s
}

// AllOf is every port of one protocol.
func AllOf(p Protocol) PortSet { return PortRange(p, 1, maxPort) }

// IsEmpty reports whether the set has no port.
func (s PortSet) IsEmpty() bool {
	for _, r := range s.r {
		if len(r) > 0 {
			return false
		}
	}
	return true
}

// IsAll reports whether the set has every port of every protocol.
func (s PortSet) IsAll() bool {
	for p := range s.r {
		if !s.fullProtocol(Protocol(p)) {
			return false
		}
	}
	return true
}

func (s PortSet) fullProtocol(p Protocol) bool {
	r := s.r[p]
	return len(r) == 1 && r[0].lo == 1 && r[0].hi == maxPort
}

// Equal reports whether two sets have the same ports.
func (s PortSet) Equal(o PortSet) bool {
	for p := range s.r {
		if len(s.r[p]) != len(o.r[p]) {
			return false
		}
		for i := range s.r[p] {
			if s.r[p][i] != o.r[p][i] {
				return false
			}
		}
	}
	return true
}

// Contains reports whether the set has a port of a protocol.
func (s PortSet) Contains(p Protocol, port int) bool {
	if p >= numProtocols {
		return false
	}
	r := s.r[p]
	i := sort.Search(len(r), func(i int) bool { return int(r[i].hi) >= port })
	return i < len(r) && int(r[i].lo) <= port
}

// SubsetOf reports whether every port of s is in o.
func (s PortSet) SubsetOf(o PortSet) bool { return s.Subtract(o).IsEmpty() }

// Union is the ports in either set.
func (s PortSet) Union(o PortSet) PortSet {
	var out PortSet
	for p := range s.r {
		a, b := s.r[p], o.r[p]
		switch {
		case len(b) == 0:
			out.r[p] = a
			continue
		case len(a) == 0:
			out.r[p] = b
			continue
		}
		all := make([]portRange, 0, len(a)+len(b))
		all = append(append(all, a...), b...)
		sort.Slice(all, func(i, j int) bool { return all[i].lo < all[j].lo })
		merged := all[:1]
		for _, r := range all[1:] {
			last := &merged[len(merged)-1]
			if int(r.lo) <= int(last.hi)+1 {
				last.hi = max(last.hi, r.hi)
				continue
			}
			merged = append(merged, r)
		}
		out.r[p] = merged
	}
	return out
}

// Intersect is the ports in both sets.
func (s PortSet) Intersect(o PortSet) PortSet {
	var out PortSet
	for p := range s.r {
		a, b := s.r[p], o.r[p]
		var res []portRange
		for i, j := 0, 0; i < len(a) && j < len(b); {
			lo, hi := max(a[i].lo, b[j].lo), min(a[i].hi, b[j].hi)
			if lo <= hi {
				res = append(res, portRange{lo, hi})
			}
			if a[i].hi < b[j].hi {
				i++
			} else {
				j++
			}
		}
		out.r[p] = res
	}
	return out
}

// Subtract is the ports of s that are not in o.
func (s PortSet) Subtract(o PortSet) PortSet {
	var out PortSet
	for p := range s.r {
		var res []portRange
		b := o.r[p]
		j := 0
		for _, r := range s.r[p] {
			lo := int(r.lo)
			for j < len(b) && int(b[j].hi) < lo {
				j++
			}
			k := j
			for k < len(b) && int(b[k].lo) <= int(r.hi) {
				if int(b[k].lo) > lo {
					res = append(res, portRange{uint16(lo), b[k].lo - 1})
				}
				lo = int(b[k].hi) + 1
				k++
			}
			if lo <= int(r.hi) {
				res = append(res, portRange{uint16(lo), r.hi})
			}
		}
		out.r[p] = res
	}
	return out
}

// PortRangeOf is one range of ports of one protocol, for JSON output.
type PortRangeOf struct {
	Protocol string `json:"protocol"`
	From     int    `json:"from"`
	To       int    `json:"to"`
}

// Ranges lists the set as ranges, TCP first.
func (s PortSet) Ranges() []PortRangeOf {
	out := []PortRangeOf{}
	for p, rs := range s.r {
		for _, r := range rs {
			out = append(out, PortRangeOf{protocolNames[p], int(r.lo), int(r.hi)})
		}
	}
	return out
}

// String renders the set compactly: "all ports", "TCP/80, TCP/8000-8080, all UDP",
// "none".
func (s PortSet) String() string {
	if s.IsAll() {
		return "all ports"
	}
	var parts []string
	for p, rs := range s.r {
		if s.fullProtocol(Protocol(p)) {
			parts = append(parts, "all "+protocolNames[p])
			continue
		}
		for _, r := range rs {
			if r.lo == r.hi {
				parts = append(parts, fmt.Sprintf("%s/%d", protocolNames[p], r.lo))
			} else {
				parts = append(parts, fmt.Sprintf("%s/%d-%d", protocolNames[p], r.lo, r.hi))
			}
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// ParsePort reads a port as given on the command line: "443", "443/TCP", "53/udp",
// "8000-8080/TCP". The protocol defaults to TCP.
func ParsePort(s string) (PortSet, error) {
	num, proto, _ := strings.Cut(s, "/")
	p, ok := ParseProtocol(strings.ToUpper(proto))
	if !ok {
		return PortSet{}, fmt.Errorf("port %q: unknown protocol %q (want TCP, UDP or SCTP)", s, proto)
	}
	loS, hiS, isRange := strings.Cut(num, "-")
	lo, err := strconv.Atoi(loS)
	if err != nil || lo < 1 || lo > maxPort {
		return PortSet{}, fmt.Errorf("port %q: want a number from 1 to 65535, optionally /TCP, /UDP or /SCTP", s)
	}
	hi := lo
	if isRange {
		hi, err = strconv.Atoi(hiS)
		if err != nil || hi < lo || hi > maxPort {
			return PortSet{}, fmt.Errorf("port %q: bad range", s)
		}
	}
	return PortRange(p, lo, hi), nil
}

// portTable interns port sets, so that a matrix stores one small number per cell.
type portTable struct {
	sets []PortSet
	ids  map[string]int32
}

// The port sets every table starts with.
const (
	allPortsID   = 0
	emptyPortsID = 1
)

func newPortTable() *portTable {
	t := &portTable{ids: map[string]int32{}}
	t.id(AllPorts())
	t.id(PortSet{})
	return t
}

func (s PortSet) key() string {
	var b strings.Builder
	for p, rs := range s.r {
		b.WriteByte(byte('0' + p))
		for _, r := range rs {
			b.WriteString(strconv.Itoa(int(r.lo)))
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(int(r.hi)))
			b.WriteByte(',')
		}
	}
	return b.String()
}

func (t *portTable) id(s PortSet) int32 {
	k := s.key()
	if id, ok := t.ids[k]; ok {
		return id
	}
	id := int32(len(t.sets))
	t.sets = append(t.sets, s)
	t.ids[k] = id
	return id
}
