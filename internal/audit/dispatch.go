package audit

// Dispatch: most events of a real log (leases renewed every few seconds, events,
// endpoints, the controllers' watches and lists) interest no detection. A detection
// declares the events it reads (Need.Resources); the engine indexes its detectors by
// resource once, when it is made, so that an event reaches only the detectors whose
// Needs name its resource, and costs one map lookup when it reaches none.
//
// A Need's resources are matched as an audit Policy matches them: "pods" is the
// resource alone, "pods/exec" one subresource, "pods/*" every subresource of pods,
// "*" (or any other pattern with a "*", or no resources at all) every event.
// NonResource needs receive the events without an object (/healthz, /version).
// The index only narrows: a detector still checks the verbs, groups and stages it
// cares about.

import (
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/auditlog"
)

// dispatch maps an event to the indexes (into Engine.dets, ascending) of the
// detectors that may care about it. Every list is built when the engine is made;
// looking one up allocates nothing.
type dispatch struct {
	// byResource holds, per resource, the detectors of the resource itself (whole),
	// of every subresource (anySub) and of named subresources (subs); each list
	// already includes the detectors of every event.
	byResource map[string]*resourceRoute
	// all are the detectors of every event (those of a resource no Need names);
	// nonResource those of events without an object.
	all, nonResource []int
}

type resourceRoute struct {
	whole  []int
	anySub []int
	subs   map[string][]int
}

// route is where one Need sends its detector.
type route struct {
	all, nonResource bool
	resource, sub    string // sub: "" the resource alone, "*" any subresource
}

func routesOf(needs []Need) []route {
	var out []route
	for _, n := range needs {
		if n.NonResource && len(n.Resources) == 0 {
			out = append(out, route{nonResource: true})
			continue
		}
		if len(n.Resources) == 0 {
			out = append(out, route{all: true})
			continue
		}
		for _, r := range n.Resources {
			res, sub, hasSub := strings.Cut(r, "/")
			switch {
			case strings.Contains(res, "*") || res == "":
				out = append(out, route{all: true})
			case hasSub && sub == "*":
				out = append(out, route{resource: res, sub: "*"})
			case hasSub && strings.Contains(sub, "*"):
				out = append(out, route{resource: res, sub: "*"})
			case hasSub:
				out = append(out, route{resource: res, sub: sub})
			default:
				out = append(out, route{resource: res})
			}
		}
		if n.NonResource {
			out = append(out, route{nonResource: true})
		}
	}
	return out
}

// newDispatch indexes the detectors by the routes of their Needs (needs[i] are the
// Needs of detector i).
func newDispatch(needs [][]Need) *dispatch {
	d := &dispatch{byResource: map[string]*resourceRoute{}}
	type sets struct {
		whole, anySub map[int]bool
		subs          map[string]map[int]bool
	}
	all := map[int]bool{}
	non := map[int]bool{}
	res := map[string]*sets{}
	get := func(r string) *sets {
		s := res[r]
		if s == nil {
			s = &sets{whole: map[int]bool{}, anySub: map[int]bool{}, subs: map[string]map[int]bool{}}
			res[r] = s
		}
		return s
	}
	for i, ns := range needs {
		for _, r := range routesOf(ns) {
			switch {
			case r.all:
				all[i] = true
			case r.nonResource:
				non[i] = true
			case r.sub == "":
				get(r.resource).whole[i] = true
			case r.sub == "*":
				get(r.resource).anySub[i] = true
			default:
				s := get(r.resource)
				if s.subs[r.sub] == nil {
					s.subs[r.sub] = map[int]bool{}
				}
				s.subs[r.sub][i] = true
			}
		}
	}
	d.all = sortedIndexes(all)
	d.nonResource = sortedIndexes(all, non)
	for r, s := range res {
		rr := &resourceRoute{whole: sortedIndexes(all, s.whole), anySub: sortedIndexes(all, s.anySub), subs: map[string][]int{}}
		for sub, m := range s.subs {
			rr.subs[sub] = sortedIndexes(all, s.anySub, m)
		}
		d.byResource[r] = rr
	}
	return d
}

func sortedIndexes(sets ...map[int]bool) []int {
	seen := map[int]bool{}
	var out []int
	for _, s := range sets {
		for i := range s {
			if !seen[i] {
				seen[i] = true
				out = append(out, i)
			}
		}
	}
	sort.Ints(out)
	return out
}

// of returns the detectors an event may interest.
func (d *dispatch) of(ev *auditlog.Event) []int {
	ref := ev.ObjectRef
	if ref == nil {
		return d.nonResource
	}
	rr := d.byResource[ref.Resource]
	if rr == nil {
		return d.all
	}
	if ref.Subresource == "" {
		return rr.whole
	}
	if l, ok := rr.subs[ref.Subresource]; ok {
		return l
	}
	return rr.anySub
}
