package rbac

import (
	"fmt"
	"sort"
)

// appliesTo reports whether a binding covers a request's namespace: a
// ClusterRoleBinding everywhere, a RoleBinding only in its own namespace (and never
// for a cluster-wide request).
func (bd *binding) appliesTo(namespace string) bool {
	return bd.cluster || (namespace != "" && bd.ns == namespace)
}

// matchingSubject is the first of the binding's subjects the user is, as the
// authorizer picks it.
func (bd *binding) matchingSubject(u UserInfo) (Subject, bool) {
	for _, s := range bd.subjects {
		switch s.Kind {
		case KindGroup:
			if has(u.Groups, s.Name) {
				return s, true
			}
		default:
			if u.Name != "" && s.Username() == u.Name {
				return s, true
			}
		}
	}
	return Subject{}, false
}

func (bd *binding) grant(s Subject, src ruleSrc) Grant {
	g := Grant{
		Subject: s, Binding: bd.ref, Role: bd.role.ref, Source: src.source.ref,
		RuleIndex: src.index, Rule: *src.rule, Namespace: bd.ns, Default: bd.bootstrap,
	}
	for k, x := range bd.subjects {
		if x == s {
			g.SubjectIndex = bd.subjectPos[k]
			break
		}
	}
	return g
}

// bindingsOf lists the bindings that name the user or one of its groups and apply in
// the namespace, in the authorizer's order: ClusterRoleBindings, then RoleBindings.
func (m *Model) bindingsOf(u UserInfo, namespace string, anyNamespace bool) []*binding {
	seen := map[*binding]bool{}
	var out []*binding
	add := func(bs []*binding) {
		for _, bd := range bs {
			if !seen[bd] && (anyNamespace || bd.appliesTo(namespace)) {
				seen[bd] = true
				out = append(out, bd)
			}
		}
	}
	if u.Name != "" {
		add(m.byName[u.Name])
	}
	for _, g := range u.Groups {
		add(m.byGroup[g])
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].cluster != out[j].cluster {
			return out[i].cluster
		}
		return out[i].id < out[j].id
	})
	return out
}

// Authorize answers a request as the API server's authorizers do: system:masters is
// allowed everything; otherwise RBAC, then the extra authorizer (ABAC) if any.
func (m *Model) Authorize(a Attributes) Decision {
	if has(a.User.Groups, GroupMasters) {
		return Decision{Allowed: true, Reason: GroupMasters + " bypasses RBAC"}
	}
	var d Decision
	for _, bd := range m.bindingsOf(a.User, a.Namespace, false) {
		s, _ := bd.matchingSubject(a.User)
		for _, src := range bd.role.rules {
			if RuleAllows(a, src.rule) {
				d.Grants = append(d.Grants, bd.grant(s, src))
			}
		}
	}
	if len(d.Grants) > 0 {
		g := d.Grants[0]
		d.Allowed = true
		d.Reason = fmt.Sprintf("allowed by %s -> %s for %s", g.Binding, g.Role, g.Subject)
		if len(d.Grants) > 1 {
			d.Reason += fmt.Sprintf(" (and %d more grants)", len(d.Grants)-1)
		}
		return d
	}
	if m.extra != nil {
		if ok, why := m.extra.Authorize(a); ok {
			return Decision{Allowed: true, Reason: why}
		}
	}
	d.Reason = "no RBAC rule allows it"
	return d
}

// WhoCan lists every subject allowed the request (a.User is ignored), each with every
// grant that allows it and the workloads that run as it. A request with namespace ""
// is a cluster-wide one: only ClusterRoleBindings count.
func (m *Model) WhoCan(a Attributes) []Answer { return m.whoCan(a, false) }

// WhoCanAnyNamespace lists every subject allowed the request in some namespace or
// cluster-wide: the grants of RoleBindings in every namespace count, each grant saying
// where it applies (Grant.Namespace).
func (m *Model) WhoCanAnyNamespace(a Attributes) []Answer { return m.whoCan(a, true) }

func (m *Model) whoCan(a Attributes, anyNamespace bool) []Answer {
	matched := m.matchingRules(a)
	answers := map[Subject]*Answer{}
	var order []Subject
	for _, rm := range matched {
		for _, bd := range m.byRole[rm.role] {
			if !anyNamespace && !bd.appliesTo(a.Namespace) {
				continue
			}
			for k, s := range bd.subjects {
				if dupSubject(bd.subjects[:k], s) {
					continue
				}
				ans := answers[s]
				if ans == nil {
					ans = &Answer{Subject: s}
					answers[s] = ans
					order = append(order, s)
				}
				for _, i := range rm.rules {
					ans.Grants = append(ans.Grants, bd.grant(s, rm.role.rules[i]))
				}
			}
		}
	}
	masters := Subject{Kind: KindGroup, Name: GroupMasters}
	if answers[masters] == nil {
		answers[masters] = &Answer{Subject: masters}
		order = append(order, masters)
	}
	answers[masters].Reason = GroupMasters + " bypasses RBAC"
	if m.extra != nil {
		for _, e := range m.extra.WhoCan(a) {
			if ans := answers[e.Subject]; ans != nil {
				ans.Grants = append(ans.Grants, e.Grants...)
				if ans.Reason == "" {
					ans.Reason = e.Reason
				}
				continue
			}
			e := e
			answers[e.Subject] = &e
			order = append(order, e.Subject)
		}
	}
	out := make([]Answer, 0, len(order))
	for _, s := range order {
		ans := answers[s]
		sortGrants(m, ans.Grants)
		ans.Workloads = m.workloadsAs(s)
		out = append(out, *ans)
	}
	sort.Slice(out, func(i, j int) bool { return subjectLess(out[i].Subject, out[j].Subject) })
	return out
}

func dupSubject(before []Subject, s Subject) bool {
	for _, x := range before {
		if x == s {
			return true
		}
	}
	return false
}

// sortGrants orders grants cluster-wide first, then by namespace, binding and rule.
func sortGrants(m *Model, gs []Grant) {
	sort.SliceStable(gs, func(i, j int) bool {
		if gs[i].Namespace != gs[j].Namespace {
			return gs[i].Namespace < gs[j].Namespace
		}
		if gs[i].Binding.Kind != gs[j].Binding.Kind {
			return gs[i].Binding.Kind == "ClusterRoleBinding"
		}
		return gs[i].Binding.Name < gs[j].Binding.Name
	})
}

var kindOrder = map[string]int{KindUser: 0, KindGroup: 1, KindServiceAccount: 2}

func subjectLess(a, b Subject) bool {
	if a.Kind != b.Kind {
		return kindOrder[a.Kind] < kindOrder[b.Kind]
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

type roleMatch struct {
	role  *role
	rules []int
}

// matchingRules finds, through the rule indexes, every rule of a bound role that
// allows the request (ignoring who asks and where), grouped by role in input order.
func (m *Model) matchingRules(a Attributes) []roleMatch {
	var cands [][]ruleLoc
	if a.ResourceRequest {
		combined := a.Resource
		if a.Subresource != "" {
			combined += "/" + a.Subresource
			cands = append(cands, m.rulesByResource["*/"+a.Subresource])
		}
		cands = append(cands, m.rulesByResource["*"], m.rulesByResource[combined])
	} else {
		cands = append(cands, m.rulesByURL["*"])
		if a.Path != "*" {
			cands = append(cands, m.rulesByURL[a.Path])
		}
		var pre []ruleLoc
		for _, p := range m.urlPrefixes {
			if len(a.Path) >= len(p.prefix) && a.Path[:len(p.prefix)] == p.prefix {
				pre = append(pre, p.loc)
			}
		}
		cands = append(cands, pre)
	}
	byRole := map[*role]*roleMatch{}
	// A rule can be in several lists (resources: ["*", "pods"]): a bitset by rule id.
	seen := make([]uint64, (m.indexedRules+63)/64)
	var out []*roleMatch
	for _, list := range cands {
		for _, loc := range list {
			if seen[loc.id/64]&(1<<(loc.id%64)) != 0 {
				continue
			}
			seen[loc.id/64] |= 1 << (loc.id % 64)
			if !RuleAllows(a, loc.role.rules[loc.i].rule) {
				continue
			}
			rm := byRole[loc.role]
			if rm == nil {
				rm = &roleMatch{role: loc.role}
				byRole[loc.role] = rm
				out = append(out, rm)
			}
			rm.rules = append(rm.rules, loc.i)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].role.id < out[j].role.id })
	res := make([]roleMatch, len(out))
	for i, rm := range out {
		sort.Ints(rm.rules)
		res[i] = *rm
	}
	return res
}

// RulesFor lists the rules a user holds in a namespace ("" for cluster-wide only),
// cluster-wide ones first, like SelfSubjectRulesReview and kubectl auth can-i --list.
// A member of system:masters holds every permission whatever the rules say.
func (m *Model) RulesFor(u UserInfo, namespace string) []EffectiveRule {
	return m.rulesFor(u, namespace, false)
}

// RulesForAnyNamespace lists the rules a user holds anywhere: cluster-wide ones, then
// those of RoleBindings by namespace (Grant.Namespace says where each applies).
func (m *Model) RulesForAnyNamespace(u UserInfo) []EffectiveRule {
	rs := m.rulesFor(u, "", true)
	sortRules(rs)
	return rs
}

func (m *Model) rulesFor(u UserInfo, namespace string, anyNamespace bool) []EffectiveRule {
	var out []EffectiveRule
	for _, bd := range m.bindingsOf(u, namespace, anyNamespace) {
		s, _ := bd.matchingSubject(u)
		for _, src := range bd.role.rules {
			g := bd.grant(s, src)
			out = append(out, EffectiveRule{Rule: g.Rule, Grant: g})
		}
	}
	return out
}

// Grants lists every flattened grant: each subject of each binding with each rule of
// its role, bindings in input order.
func (m *Model) Grants() []Grant {
	var out []Grant
	for _, bd := range m.bindings {
		if bd.role == nil {
			continue
		}
		seen := map[Subject]bool{}
		for _, s := range bd.subjects {
			if seen[s] {
				continue
			}
			seen[s] = true
			for _, src := range bd.role.rules {
				out = append(out, bd.grant(s, src))
			}
		}
	}
	return out
}

// WorkloadsOf lists the workloads whose pods run as a service account.
func (m *Model) WorkloadsOf(sa Subject) []WorkloadRef {
	if sa.Kind == KindUser {
		if s, ok := ServiceAccountOf(sa.Name); ok {
			sa = s
		}
	}
	if sa.Kind != KindServiceAccount {
		return nil
	}
	return m.pick(m.bySA[sa.Namespace+"/"+sa.Name])
}

func (m *Model) pick(idx []int) []WorkloadRef {
	if len(idx) == 0 {
		return nil
	}
	out := make([]WorkloadRef, len(idx))
	for i, j := range idx {
		out[i] = m.workloads[j]
	}
	return out
}

// workloadsAs lists the workloads whose pods authenticate as the subject or as a
// member of it: a service account's, every workload of a namespace for
// system:serviceaccounts:NS, every workload for system:serviceaccounts and
// system:authenticated.
func (m *Model) workloadsAs(s Subject) []WorkloadRef {
	switch s.Kind {
	case KindServiceAccount:
		return m.WorkloadsOf(s)
	case KindUser:
		if sa, ok := ServiceAccountOf(s.Name); ok {
			return m.WorkloadsOf(sa)
		}
		return nil
	}
	if ns, ok := cutPrefix(s.Name, serviceAccountsPrefix); ok {
		return m.pick(m.byNamespace[ns])
	}
	if s.Name == GroupServiceAccounts || s.Name == GroupAuthenticated {
		if len(m.workloads) == 0 {
			return nil
		}
		return append([]WorkloadRef(nil), m.workloads...)
	}
	return nil
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}

// Subjects lists every subject some binding names and every service account in the
// input, users first, then groups, then service accounts.
func (m *Model) Subjects() []Subject {
	seen := map[Subject]bool{}
	var out []Subject
	add := func(s Subject) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, bd := range m.bindings {
		for _, s := range bd.subjects {
			add(s)
		}
	}
	for _, s := range m.accounts {
		add(s)
	}
	sort.Slice(out, func(i, j int) bool { return subjectLess(out[i], out[j]) })
	return out
}

// Namespaces lists the namespaces of the RoleBindings in the model.
func (m *Model) Namespaces() []string {
	seen := map[string]bool{}
	var out []string
	for _, bd := range m.bindings {
		if !bd.cluster && !seen[bd.ns] {
			seen[bd.ns] = true
			out = append(out, bd.ns)
		}
	}
	sort.Strings(out)
	return out
}

// Absent says which parts of a question the input knows nothing about: a subject
// that no binding, ServiceAccount object or workload names (s may be nil), and a
// namespace no object is in (namespace may be ""). The answer about them is still
// exact (nothing grants them anything), but such a question usually holds a typo or
// was asked of the wrong input, so the commands say so.
func (m *Model) Absent(s *Subject, namespace string) []string {
	var out []string
	if s != nil && !m.names(*s) {
		what := "no RoleBinding or ClusterRoleBinding names it"
		switch s.Kind {
		case KindServiceAccount:
			what = "no ServiceAccount object, binding or workload names it"
		case KindUser:
			what += " (only the rules of its groups apply)"
		}
		out = append(out, fmt.Sprintf("%s is not in the input: %s", s, what))
	}
	if namespace != "" && !m.namespaces[namespace] {
		out = append(out, fmt.Sprintf("namespace %s is not in the input: no object is in it", namespace))
	}
	return out
}

// names reports whether the input names a subject: a binding of it, or for a service
// account its object, a workload running as it, or the default account of a
// namespace of the input. The groups every API server defines always exist.
func (m *Model) names(s Subject) bool {
	switch s.Kind {
	case KindGroup:
		switch s.Name {
		case GroupMasters, GroupAuthenticated, GroupUnauthenticated, GroupServiceAccounts:
			return true
		}
		if ns, ok := cutPrefix(s.Name, serviceAccountsPrefix); ok && m.namespaces[ns] {
			return true
		}
		return len(m.byGroup[s.Name]) > 0
	case KindServiceAccount:
		if len(m.byName[serviceAccountPrefix+s.Namespace+":"+s.Name]) > 0 || len(m.bySA[s.Namespace+"/"+s.Name]) > 0 {
			return true
		}
		if s.Name == "default" && m.namespaces[s.Namespace] {
			return true
		}
		for _, a := range m.accounts {
			if a == s {
				return true
			}
		}
		return false
	}
	return s.Name == UserAnonymous || len(m.byName[s.Name]) > 0
}
