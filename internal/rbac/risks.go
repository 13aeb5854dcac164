package rbac

// Risk analysis: which subjects hold a dangerous capability (read every secret, bind
// any role, impersonate, exec into pods, ...), where, and through which chains.
//
// A capability (RiskClass) is made of needs, each a permission that any of a few
// requests proves (bind on roles or on clusterroles); a path is a set of needs held
// together (bind plus write access to rolebindings), and the class is held when one
// of its paths is. Every request is asked exactly as the authorizer would be asked
// (RuleAllows), so wildcards, subresources and resourceNames count as they do in the
// API server.
//
// Where a need is held: a ClusterRoleBinding grants everywhere; a RoleBinding grants
// only requests made in its namespace, so it never grants a need on a cluster-scoped
// resource (nodes, persistentvolumes, clusterrolebindings, ...). A class is held
// cluster-wide when ClusterRoleBindings alone hold one of its paths, and in namespace
// N when ClusterRoleBindings plus the RoleBindings of N do.
//
// Who holds it: every subject a binding names. A user or service account also holds
// what the groups the authenticator gives it hold (system:authenticated,
// system:serviceaccounts, system:serviceaccounts:NS), so a path whose halves come
// from the account's own binding and from a group binding is found. A group subject
// likewise holds what the groups all its members are in hold (system:authenticated;
// system:serviceaccounts for system:serviceaccounts:NS). A subject's risk is not
// reported again where one of those groups already holds the class alone: the group's
// own risk says it, for all its members.
//
// Cost: each bound rule is tested once against every request of every class (a
// rule shared by aggregation is tested once), then each binding of a risky role once
// per subject; classes are then settled per subject and namespace from bitsets.

import (
	"fmt"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Probe is one request that proves a permission.
type Probe struct {
	Verb, Group, Resource, Subresource string
	// Name is the object name asked for; "" for requests without one (create, list).
	Name string
}

func (p Probe) attributes() Attributes {
	return Attributes{Verb: p.Verb, ResourceRequest: true, APIGroup: p.Group, Resource: p.Resource, Subresource: p.Subresource, Name: p.Name}
}

// String writes the probe as a request: "create pods/exec", "approve
// signers.certificates.k8s.io named kubernetes.io/*".
func (p Probe) String() string { return DescribeRequest(p.attributes()) }

// Need is one permission a capability needs: any of its probes allowed.
type Need struct {
	// Name describes the permission ("bind roles", "create rolebindings").
	Name string
	// Cluster marks a permission on cluster-scoped resources: requests for it carry no
	// namespace, so only ClusterRoleBindings grant it.
	Cluster bool
	Any     []Probe
}

// RiskClass is a capability worth reporting when a subject holds it.
type RiskClass struct {
	ID string
	// Needs are the permissions the capability is made of.
	Needs []Need
	// Paths are the alternative sets of needs (indexes into Needs) that together give
	// the capability. nil: each need alone is a path.
	Paths [][]int
}

// Reach says where a risk is held.
type Reach struct {
	// ClusterWide: in every namespace and for cluster-scoped resources.
	ClusterWide bool `json:"clusterWide"`
	// Namespaces where the capability is held, when not cluster-wide.
	Namespaces []string `json:"namespaces,omitempty"`
}

// Includes reports whether the reach covers namespace ns.
func (r Reach) Includes(ns string) bool {
	if r.ClusterWide {
		return true
	}
	for _, n := range r.Namespaces {
		if n == ns {
			return true
		}
	}
	return false
}

// Text is "cluster-wide" or "in namespaces a, b".
func (r Reach) Text() string {
	switch {
	case r.ClusterWide:
		return "cluster-wide"
	case len(r.Namespaces) == 1:
		return "in namespace " + r.Namespaces[0]
	}
	return "in namespaces " + strings.Join(r.Namespaces, ", ")
}

// Risk is a capability a subject holds.
type Risk struct {
	Class   string  `json:"class"`
	Subject Subject `json:"subject"`
	Reach   Reach   `json:"reach"`
	// Held names the needs of the paths the subject holds ("bind roles", "create
	// rolebindings").
	Held []string `json:"held"`
	// Grants are the chains that give those needs where the risk is held, the
	// subject's own first, then those of its groups.
	Grants []Grant `json:"grants"`
	// Via are the groups of the subject whose grants are part of the risk.
	Via []Subject `json:"via,omitempty"`
	// Default is set when every grant comes from the bootstrap policy
	// (bindings labelled kubernetes.io/bootstrapping=rbac-defaults).
	Default bool `json:"default,omitempty"`
}

// bitset is a set of needs, numbered over all classes of an analysis.
type bitset [4]uint64

const maxNeeds = 256

func (b *bitset) set(i int)     { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) or(c bitset) bitset {
	return bitset{b[0] | c[0], b[1] | c[1], b[2] | c[2], b[3] | c[3]}
}
func (b bitset) and(c bitset) bitset {
	return bitset{b[0] & c[0], b[1] & c[1], b[2] & c[2], b[3] & c[3]}
}
func (b bitset) empty() bool { return b[0]|b[1]|b[2]|b[3] == 0 }

// holding is what one binding gives one subject: the rules of its role that hold a
// need, and the union of those needs (restricted to namespaced needs for a
// RoleBinding).
type holding struct {
	bd    *binding
	s     Subject
	rules []int
	bits  bitset
}

// holder is everything a subject holds through bindings that name it.
type holder struct {
	subject Subject
	cluster bitset
	ns      map[string]bitset
	held    []holding
	// byClass lists, per class, the indexes of the holdings that give some of its
	// needs.
	byClass [][]int
}

// RiskAnalysis holds the needs of every binding's subject, for risk queries.
type RiskAnalysis struct {
	m       *Model
	classes []RiskClass
	// first is the number of the first need of each class.
	first []int
	// namespaced are the needs a RoleBinding can grant.
	namespaced bitset
	ruleBits   []map[int]bitset // per role id: rule index -> needs
	holders    map[Subject]*holder
	order      []Subject
	// groupOnly memoizes, per set of groups (by their names), what those groups
	// alone give for each class (Holds).
	groupOnly map[string][]Risk
}

// AnalyzeRisks computes, for every subject of every binding, which needs of the
// classes it holds and where. It panics when the classes have more than 256 needs in
// all or a path names a need that does not exist: those are programming errors.
func (m *Model) AnalyzeRisks(classes []RiskClass) *RiskAnalysis {
	a := &RiskAnalysis{m: m, classes: classes, holders: map[Subject]*holder{}, ruleBits: make([]map[int]bitset, len(m.roles)), groupOnly: map[string][]Risk{}}
	type need struct {
		bit   int
		attrs []Attributes
	}
	var needs []need
	for _, c := range classes {
		a.first = append(a.first, len(needs))
		for _, n := range c.Needs {
			bit := len(needs)
			if !n.Cluster {
				a.namespaced.set(bit)
			}
			nd := need{bit: bit}
			for _, p := range n.Any {
				nd.attrs = append(nd.attrs, p.attributes())
			}
			needs = append(needs, nd)
		}
		for _, p := range c.Paths {
			for _, i := range p {
				if i < 0 || i >= len(c.Needs) {
					panic(fmt.Sprintf("rbac: risk class %s: path names need %d of %d", c.ID, i, len(c.Needs)))
				}
			}
		}
	}
	if len(needs) > maxNeeds {
		panic(fmt.Sprintf("rbac: %d risk needs, at most %d", len(needs), maxNeeds))
	}
	// Each bound rule once (an aggregated rule is the same PolicyRule as its source's).
	memo := map[*rbacv1.PolicyRule]bitset{}
	bitsOf := func(r *rbacv1.PolicyRule) bitset {
		if b, ok := memo[r]; ok {
			return b
		}
		var b bitset
		for _, n := range needs {
			for _, at := range n.attrs {
				if RuleAllows(at, r) {
					b.set(n.bit)
					break
				}
			}
		}
		memo[r] = b
		return b
	}
	for _, r := range m.roles {
		if len(m.byRole[r]) == 0 {
			continue
		}
		var rb map[int]bitset
		for i, src := range r.rules {
			if b := bitsOf(src.rule); !b.empty() {
				if rb == nil {
					rb = map[int]bitset{}
				}
				rb[i] = b
			}
		}
		a.ruleBits[r.id] = rb
	}
	for _, bd := range m.bindings {
		if bd.role == nil || len(a.ruleBits[bd.role.id]) == 0 {
			continue
		}
		var rules []int
		var bits bitset
		for i, b := range a.ruleBits[bd.role.id] {
			if !bd.cluster {
				b = b.and(a.namespaced)
			}
			if !b.empty() {
				rules = append(rules, i)
				bits = bits.or(b)
			}
		}
		if len(rules) == 0 {
			continue
		}
		sort.Ints(rules)
		for k, s := range bd.subjects {
			if dupSubject(bd.subjects[:k], s) {
				continue
			}
			if s.Kind == KindUser {
				if sa, ok := ServiceAccountOf(s.Name); ok {
					s = sa
				}
			}
			h := a.holders[s]
			if h == nil {
				h = &holder{subject: s, ns: map[string]bitset{}}
				a.holders[s] = h
				a.order = append(a.order, s)
			}
			h.held = append(h.held, holding{bd: bd, s: bd.subjects[k], rules: rules, bits: bits})
			if bd.cluster {
				h.cluster = h.cluster.or(bits)
			} else {
				h.ns[bd.ns] = h.ns[bd.ns].or(bits)
			}
		}
	}
	sort.Slice(a.order, func(i, j int) bool { return subjectLess(a.order[i], a.order[j]) })
	masks := make([]bitset, len(classes))
	for ci := range classes {
		masks[ci] = a.classBits(ci)
	}
	for _, h := range a.holders {
		h.byClass = make([][]int, len(classes))
		for k, hd := range h.held {
			for ci, m := range masks {
				if !hd.bits.and(m).empty() {
					h.byClass[ci] = append(h.byClass[ci], k)
				}
			}
		}
	}
	return a
}

// groupsOf lists the groups whose grants a subject also holds: those the
// authenticator gives a user or service account, and for a group, the groups every
// member of it is in (system:authenticated; system:serviceaccounts for
// system:serviceaccounts:NS).
func groupsOf(s Subject) []Subject {
	var out []Subject
	for _, g := range UserInfoFor(s, nil).Groups {
		if s.Kind == KindGroup && g == s.Name {
			continue
		}
		out = append(out, Subject{Kind: KindGroup, Name: g})
	}
	return out
}

func groupSubjects(names []string) []Subject {
	out := make([]Subject, 0, len(names))
	for _, n := range names {
		out = append(out, Subject{Kind: KindGroup, Name: n})
	}
	return out
}

// classMask is the needs of class ci, numbered globally.
func (a *RiskAnalysis) satisfied(ci int, bits bitset) []int {
	c := a.classes[ci]
	f := a.first[ci]
	var paths []int
	if c.Paths == nil {
		for i := range c.Needs {
			if bits.has(f + i) {
				paths = append(paths, i)
			}
		}
		return paths
	}
	for pi, p := range c.Paths {
		ok := true
		for _, i := range p {
			if !bits.has(f + i) {
				ok = false
				break
			}
		}
		if ok {
			paths = append(paths, pi)
		}
	}
	return paths
}

// neededBits are the needs of the paths given (path indexes, or need indexes for a
// class without paths).
func (a *RiskAnalysis) neededBits(ci int, paths []int) (bitset, []string) {
	c := a.classes[ci]
	f := a.first[ci]
	var b bitset
	var names []string
	add := func(i int) {
		if !b.has(f + i) {
			b.set(f + i)
			names = append(names, c.Needs[i].Name)
		}
	}
	for _, p := range paths {
		if c.Paths == nil {
			add(p)
			continue
		}
		for _, i := range c.Paths[p] {
			add(i)
		}
	}
	return b, names
}

// classBits are the needs of class ci.
func (a *RiskAnalysis) classBits(ci int) bitset {
	var b bitset
	for i := range a.classes[ci].Needs {
		b.set(a.first[ci] + i)
	}
	return b
}

// reachOf is where the holders together hold class ci, and the paths held there
// (cluster-wide, else the union over the namespaces). Only namespaces in which some
// holder has a RoleBinding can add to what ClusterRoleBindings hold; when only is
// set, only those where it has one are looked at.
func (a *RiskAnalysis) reachOf(ci int, hs []*holder, only *holder) (Reach, []int) {
	var cluster bitset
	for _, h := range hs {
		cluster = cluster.or(h.cluster)
	}
	if p := a.satisfied(ci, cluster); len(p) > 0 {
		return Reach{ClusterWide: true}, p
	}
	cb := a.classBits(ci)
	nss := map[string]bool{}
	for _, h := range hs {
		if only != nil && h != only {
			continue
		}
		for ns, b := range h.ns {
			if !b.and(cb).empty() {
				nss[ns] = true
			}
		}
	}
	if only != nil && !only.cluster.and(cb).empty() {
		// What the subject holds cluster-wide may complete a group's namespace.
		for _, h := range hs {
			for ns, b := range h.ns {
				if !b.and(cb).empty() {
					nss[ns] = true
				}
			}
		}
	}
	var r Reach
	pathSet := map[int]bool{}
	for ns := range nss {
		bits := cluster
		for _, h := range hs {
			bits = bits.or(h.ns[ns])
		}
		if p := a.satisfied(ci, bits); len(p) > 0 {
			r.Namespaces = append(r.Namespaces, ns)
			for _, x := range p {
				pathSet[x] = true
			}
		}
	}
	sort.Strings(r.Namespaces)
	return r, sortedKeys(pathSet)
}

func sortedKeys(set map[int]bool) []int {
	out := make([]int, 0, len(set))
	for x := range set {
		out = append(out, x)
	}
	sort.Ints(out)
	return out
}

// risk assembles the risk of class ci held by s through hs, at reach r: the grants
// of the holders' rules that give the needs of the paths held, where r applies. A
// group's grants are listed only for needs s does not hold through its own bindings
// there.
func (a *RiskAnalysis) risk(ci int, s Subject, hs []*holder, r Reach, paths []int, keepGrants bool) Risk {
	bits, names := a.neededBits(ci, paths)
	rk := Risk{Class: a.classes[ci].ID, Subject: s, Reach: r, Held: names, Default: true}
	var inReach map[string]bool
	if !r.ClusterWide {
		inReach = make(map[string]bool, len(r.Namespaces))
		for _, ns := range r.Namespaces {
			inReach[ns] = true
		}
	}
	applies := func(hd *holding) bool { return hd.bd.cluster || r.ClusterWide || inReach[hd.bd.ns] }
	var own bitset
	for _, h := range hs {
		if h.subject != s {
			continue
		}
		for _, k := range h.byClass[ci] {
			if hd := &h.held[k]; applies(hd) {
				own = own.or(hd.bits)
			}
		}
	}
	for _, h := range hs {
		want := bits
		if h.subject != s {
			want = bits.and(complement(own))
		}
		if want.empty() {
			continue
		}
		used := false
		for _, k := range h.byClass[ci] {
			hd := &h.held[k]
			if !applies(hd) || hd.bits.and(want).empty() {
				continue
			}
			for _, i := range hd.rules {
				b := a.ruleBits[hd.bd.role.id][i]
				if !hd.bd.cluster {
					b = b.and(a.namespaced)
				}
				if b.and(want).empty() {
					continue
				}
				rk.Default = rk.Default && hd.bd.bootstrap
				used = true
				if keepGrants {
					rk.Grants = append(rk.Grants, hd.bd.grant(hd.s, hd.bd.role.rules[i]))
				}
			}
		}
		if used && h.subject != s {
			rk.Via = append(rk.Via, h.subject)
		}
	}
	return rk
}

func complement(b bitset) bitset { return bitset{^b[0], ^b[1], ^b[2], ^b[3]} }

// Risks lists the risks of every subject that some binding names, subjects in order
// (users, groups, service accounts), classes in the order given. A risk is listed for
// a subject when its own bindings are part of it: what it holds only through its
// groups is the groups' risk (reported on the narrower one, whose members are in the
// other; a path made of two unrelated groups' grants shows only on the workloads,
// through Holds). A subject's risk leaves out the namespaces where one of its groups
// holds the class alone, and is dropped when nothing is left.
func (a *RiskAnalysis) Risks() []Risk {
	var out []Risk
	groupReach := map[*holder][]Reach{}
	reachOfGroup := func(g *holder) []Reach {
		if rs, ok := groupReach[g]; ok {
			return rs
		}
		rs := make([]Reach, len(a.classes))
		for ci := range a.classes {
			rs[ci], _ = a.reachOf(ci, []*holder{g}, nil)
		}
		groupReach[g] = rs
		return rs
	}
	for _, s := range a.order {
		own := a.holders[s]
		hs := []*holder{own}
		var groups []*holder
		for _, g := range groupsOf(s) {
			if h := a.holders[g]; h != nil {
				groups = append(groups, h)
			}
		}
		hs = append(hs, groups...)
		var ownBits bitset = own.cluster
		for _, b := range own.ns {
			ownBits = ownBits.or(b)
		}
		for ci := range a.classes {
			if ownBits.and(a.classBits(ci)).empty() {
				continue // nothing of it through its own bindings
			}
			r, paths := a.reachOf(ci, hs, own)
			if !r.ClusterWide && len(r.Namespaces) == 0 {
				continue
			}
			if len(groups) > 0 {
				r = withoutGroups(ci, r, groups, reachOfGroup)
				if !r.ClusterWide && len(r.Namespaces) == 0 {
					continue
				}
				paths = a.pathsWithin(ci, hs, r, paths)
			}
			rk := a.risk(ci, s, hs, r, paths, true)
			if _, ok := rk.OwnGrant(); ok {
				out = append(out, rk)
			}
		}
	}
	return out
}

// OwnGrant is the first grant of the risk through a binding that names its subject (a
// User named by a service account's username counts), if any.
func (r Risk) OwnGrant() (Grant, bool) {
	for _, g := range r.Grants {
		if g.Subject == r.Subject || (g.Subject.Kind == KindUser && g.Subject.Name == r.Subject.Username()) {
			return g, true
		}
	}
	return Grant{}, false
}

// withoutGroups removes from r what a single group holds by itself.
func withoutGroups(ci int, r Reach, groups []*holder, reachOfGroup func(*holder) []Reach) Reach {
	for _, g := range groups {
		gr := reachOfGroup(g)[ci]
		if gr.ClusterWide {
			return Reach{}
		}
		if len(gr.Namespaces) == 0 || r.ClusterWide {
			continue
		}
		var keep []string
		for _, ns := range r.Namespaces {
			if !gr.Includes(ns) {
				keep = append(keep, ns)
			}
		}
		r.Namespaces = keep
	}
	return r
}

// pathsWithin is the paths held within reach r (paths: those held where the subject
// holds the class at all).
func (a *RiskAnalysis) pathsWithin(ci int, hs []*holder, r Reach, paths []int) []int {
	if r.ClusterWide {
		return paths
	}
	var cluster bitset
	for _, h := range hs {
		cluster = cluster.or(h.cluster)
	}
	pathSet := map[int]bool{}
	for _, ns := range r.Namespaces {
		bits := cluster
		for _, h := range hs {
			bits = bits.or(h.ns[ns])
		}
		for _, x := range a.satisfied(ci, bits) {
			pathSet[x] = true
		}
	}
	return sortedKeys(pathSet)
}

// Of lists every risk a subject's requests carry: through bindings naming it and
// through the groups the authenticator puts it in, none left out (a service account's
// token carries all of them), with their grants.
func (a *RiskAnalysis) Of(s Subject) []Risk { return a.of(s, nil, true) }

// Holds is Of without the grants: what the subject can do and where, which is all a
// workload's finding needs. Subjects that hold only through the same groups (the
// service accounts of one namespace without bindings of their own) share one
// computation.
func (a *RiskAnalysis) Holds(s Subject) []Risk { return a.of(s, nil, false) }

// HoldsAs is Holds for a request of s made with these groups besides those the
// authenticator always gives it (the groups an audit event names: an OIDC user's,
// system:masters is not RBAC's and counts for nothing here).
func (a *RiskAnalysis) HoldsAs(s Subject, groups []string) []Risk { return a.of(s, groups, false) }

func (a *RiskAnalysis) of(s Subject, extra []string, keepGrants bool) []Risk {
	own := a.holders[s]
	var groups []*holder
	key := ""
	seen := map[string]bool{}
	for _, g := range append(groupsOf(s), groupSubjects(extra)...) {
		if seen[g.Name] || (s.Kind == KindGroup && g.Name == s.Name) {
			continue
		}
		seen[g.Name] = true
		if h := a.holders[g]; h != nil {
			groups = append(groups, h)
			key += g.Name + "\x00"
		}
	}
	hs := groups
	if own != nil {
		hs = append([]*holder{own}, groups...)
	}
	if len(hs) == 0 {
		return nil
	}
	// What the groups alone give, per class, is the same for every subject in them:
	// without grants it is computed once per set of groups.
	var shared []Risk
	if !keepGrants && len(groups) > 0 {
		var ok bool
		if shared, ok = a.groupOnly[key]; !ok {
			shared = make([]Risk, len(a.classes))
			for ci := range a.classes {
				if r, paths := a.reachOf(ci, groups, nil); r.ClusterWide || len(r.Namespaces) > 0 {
					shared[ci] = a.risk(ci, s, groups, r, paths, false)
				}
			}
			a.groupOnly[key] = shared
		}
	}
	var out []Risk
	for ci := range a.classes {
		if shared != nil && (own == nil || len(own.byClass[ci]) == 0) {
			// Nothing of the class through its own bindings: the groups' answer.
			if rk := shared[ci]; rk.Class != "" {
				rk.Subject = s
				out = append(out, rk)
			}
			continue
		}
		r, paths := a.reachOf(ci, hs, nil)
		if r.ClusterWide || len(r.Namespaces) > 0 {
			out = append(out, a.risk(ci, s, hs, r, paths, keepGrants))
		}
	}
	return out
}

// Workloads lists the workloads whose pods run as the subject or a member of it.
func (a *RiskAnalysis) Workloads(s Subject) []WorkloadRef { return a.m.workloadsAs(s) }

// ServiceAccountsWithWorkloads lists the service accounts some workload runs as.
func (a *RiskAnalysis) ServiceAccountsWithWorkloads() []Subject {
	seen := map[Subject]bool{}
	var out []Subject
	for _, w := range a.m.workloads {
		s := Subject{Kind: KindServiceAccount, Namespace: w.Namespace, Name: w.ServiceAccount}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return subjectLess(out[i], out[j]) })
	return out
}
