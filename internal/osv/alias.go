package osv

import (
	"slices"
)

// Group is one vulnerability: records that name each other as aliases (a GO- record,
// its GHSA and its CVE; a DSA and its CVEs), merged so a finding carries every ID.
type Group struct {
	// IDs is the union of the records' IDs and aliases, sorted, without duplicates.
	IDs []string
	// Records are the group's records, in input order.
	Records []*Record
}

// MergeAliases groups records that share an ID transitively through their id and aliases
// (union-find; "related" is not an alias and does not merge). Withdrawn records are
// dropped. Groups are in the order of their first record.
func MergeAliases(records []*Record) []Group {
	parent := map[string]string{}
	find := func(x string) string {
		for parent[x] != x {
			parent[x] = parent[parent[x]] // path halving
			x = parent[x]
		}
		return x
	}
	union := func(a, b string) {
		ra, rb := find(a), find(b)
		if ra != rb {
			parent[rb] = ra
		}
	}
	add := func(x string) {
		if _, ok := parent[x]; !ok {
			parent[x] = x
		}
	}
	var live []*Record
	for _, r := range records {
		if r == nil || r.IsWithdrawn() {
			continue
		}
		live = append(live, r)
		add(r.ID)
		for _, a := range r.Aliases {
			add(a)
			union(r.ID, a)
		}
	}
	index := map[string]int{}
	var groups []Group
	for _, r := range live {
		root := find(r.ID)
		i, ok := index[root]
		if !ok {
			i = len(groups)
			index[root] = i
			groups = append(groups, Group{})
		}
		g := &groups[i]
		g.Records = append(g.Records, r)
		g.IDs = append(g.IDs, r.IDs()...)
	}
	for i := range groups {
		slices.Sort(groups[i].IDs)
		groups[i].IDs = slices.Compact(groups[i].IDs)
	}
	return groups
}
