package rbac

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// Model is the authorization state of a set of RBAC objects, indexed for queries.
type Model struct {
	roles        []*role
	clusterRoles map[string]*role
	nsRoles      map[string]*role // key NAMESPACE/NAME
	bindings     []*binding
	extra        ExtraAuthorizer

	// byName holds the bindings naming a user, or a service account by its username;
	// byGroup those naming a group.
	byName  map[string][]*binding
	byGroup map[string][]*binding
	// byRole holds the bindings whose role exists, per role.
	byRole map[*role][]*binding
	// rulesByResource indexes every resource rule by each entry of its resources
	// ("pods", "pods/log", "*", "*/scale"); rulesByURL the non-resource rules by each
	// URL, except the trailing-* prefixes, which are in urlPrefixes.
	rulesByResource map[string][]ruleLoc
	rulesByURL      map[string][]ruleLoc
	urlPrefixes     []urlPrefix
	indexedRules    int

	workloads   []WorkloadRef
	bySA        map[string][]int // NAMESPACE/NAME -> indexes into workloads
	byNamespace map[string][]int
	accounts    []Subject // ServiceAccount objects
	// namespaces are those of the input's objects and its Namespace objects.
	namespaces map[string]bool
}

// role is a Role or ClusterRole with its effective rules.
type role struct {
	id      int
	ref     Ref
	cluster bool
	labels  map[string]string
	own     []rbacv1.PolicyRule
	// selectors are the aggregationRule's (aggregated is true when the role has one).
	aggregated bool
	selectors  []labels.Selector
	rules      []ruleSrc
}

// ruleSrc is a rule of a role and where it was written.
type ruleSrc struct {
	rule   *rbacv1.PolicyRule
	source *role
	index  int
}

type ruleLoc struct {
	role *role
	i    int
	// id numbers the indexed rules, for a per-query bitset of rules already seen.
	id int
}

type urlPrefix struct {
	prefix string
	loc    ruleLoc
}

type binding struct {
	id      int
	ref     Ref
	cluster bool
	ns      string
	roleRef Ref
	role    *role // nil: missing
	// subjects are those that can match a request (service accounts of a RoleBinding
	// with no namespace get the binding's); subjectPos their indexes in the binding.
	subjects   []Subject
	subjectPos []int
	// bootstrap marks a binding of the bootstrap policy
	// (kubernetes.io/bootstrapping=rbac-defaults).
	bootstrap bool
}

// Build reads Roles, ClusterRoles, their bindings, ServiceAccounts and the objects
// that run pods. Problems are parts of the input that grant nothing (a binding to a
// missing role); err is set only when the options cannot be honoured.
func Build(objs []*inventory.Object, opts Options) (*Model, []Problem, error) {
	if opts.IncludeDefaults {
		if defaultsFunc == nil {
			return nil, nil, errors.New("the bootstrap RBAC policy is not available in this build")
		}
		defs, err := defaultsFunc(opts.KubeVersion)
		if err != nil {
			return nil, nil, err
		}
		objs = withDefaults(defs, objs)
	}
	finder := opts.Finder
	if finder == nil {
		finder = workload.NewFinder(nil)
	}
	m := &Model{
		clusterRoles: map[string]*role{}, nsRoles: map[string]*role{},
		byName: map[string][]*binding{}, byGroup: map[string][]*binding{}, byRole: map[*role][]*binding{},
		rulesByResource: map[string][]ruleLoc{}, rulesByURL: map[string][]ruleLoc{},
		bySA: map[string][]int{}, byNamespace: map[string][]int{}, extra: opts.Extra,
		namespaces: map[string]bool{},
	}
	b := builder{m: m, automount: map[string]*bool{}}
	for _, o := range objs {
		if o.Ref.Namespace != "" {
			m.namespaces[o.Ref.Namespace] = true
		} else if o.Ref.Kind == "Namespace" && o.Group() == "" {
			m.namespaces[o.Ref.Name] = true
		}
		if o.Group() == rbacv1.GroupName {
			switch o.Ref.Kind {
			case "Role", "ClusterRole":
				b.addRole(o)
				continue
			case "RoleBinding", "ClusterRoleBinding":
				b.addBinding(o)
				continue
			}
		}
		if o.Ref.Kind == "ServiceAccount" && o.Group() == "" {
			m.accounts = append(m.accounts, Subject{Kind: KindServiceAccount, Namespace: o.Ref.Namespace, Name: o.Ref.Name})
			if o.Body != nil {
				b.automount[o.Ref.Namespace+"/"+o.Ref.Name] = decodeAutomount(o.Body)
			}
			continue
		}
		if id, _ := workload.PodIdentityFact.Of(o); id != nil {
			b.addWorkload(finder, o)
		} else if _, ok := finder.Lookup(o.Ref.APIVersion, o.Ref.Kind); ok {
			b.addWorkload(finder, o)
		}
	}
	b.aggregate()
	b.link()
	b.index()
	b.settleWorkloads()
	return m, b.problems, nil
}

// WithDefaults returns the objects with the bootstrap policy of a Kubernetes version
// ("" for the newest embedded) before them, leaving out those the objects define
// themselves.
func WithDefaults(objs []*inventory.Object, kubeVersion string) ([]*inventory.Object, error) {
	if defaultsFunc == nil {
		return nil, errors.New("the bootstrap RBAC policy is not available in this build")
	}
	defs, err := defaultsFunc(kubeVersion)
	if err != nil {
		return nil, err
	}
	return withDefaults(defs, objs), nil
}

// withDefaults puts the bootstrap objects before the input, leaving out those the
// input defines itself (a live cluster's stored copy, possibly changed, wins).
func withDefaults(defs, objs []*inventory.Object) []*inventory.Object {
	defined := map[string]bool{}
	for _, o := range objs {
		defined[o.Ref.Kind+"/"+o.Ref.Namespace+"/"+o.Ref.Name] = true
	}
	out := make([]*inventory.Object, 0, len(defs)+len(objs))
	for _, d := range defs {
		if !defined[d.Ref.Kind+"/"+d.Ref.Namespace+"/"+d.Ref.Name] {
			out = append(out, d)
		}
	}
	return append(out, objs...)
}

type builder struct {
	m         *Model
	problems  []Problem
	automount map[string]*bool
	// pending are the workloads' own automount settings, resolved against their
	// service accounts once all are read.
	pending []pendingWorkload
}

type pendingWorkload struct {
	i         int
	automount *bool
	projected bool
}

func refOf(o *inventory.Object) Ref {
	return Ref{Kind: o.Ref.Kind, Namespace: o.Ref.Namespace, Name: o.Ref.Name, Location: o.Origin}
}

func (b *builder) problem(r Ref, format string, args ...any) {
	b.problems = append(b.problems, Problem{Ref: r, Message: fmt.Sprintf(format, args...)})
}

func (b *builder) decodeProblems(r Ref, errs decodeErrors) {
	for _, e := range errs {
		b.problem(r, "%s", e)
	}
}

func (b *builder) addRole(o *inventory.Object) {
	r := &role{ref: refOf(o), cluster: o.Ref.Kind == "ClusterRole", labels: o.Labels}
	if o.Body == nil {
		b.problem(r.ref, "not decoded; its rules are unknown")
	} else {
		var errs decodeErrors
		r.own = decodeRules(o.Body, &errs)
		if r.cluster {
			if ar := decodeAggregation(o.Body, &errs); ar != nil {
				r.aggregated = true
				for i := range ar.ClusterRoleSelectors {
					sel, err := metav1.LabelSelectorAsSelector(&ar.ClusterRoleSelectors[i])
					if err != nil {
						b.problem(r.ref, "aggregationRule.clusterRoleSelectors[%d]: %v (selects nothing)", i, err)
						sel = labels.Nothing()
					}
					r.selectors = append(r.selectors, sel)
				}
			}
		}
		b.decodeProblems(r.ref, errs)
	}
	m := b.m
	key := r.ref.Name
	set := m.clusterRoles
	if !r.cluster {
		key, set = r.ref.Namespace+"/"+r.ref.Name, m.nsRoles
	}
	if prev, ok := set[key]; ok {
		b.problem(r.ref, "defined again (first at %s); the later definition is used", locText(prev.ref))
		r.id = prev.id
		m.roles[prev.id] = r
	} else {
		r.id = len(m.roles)
		m.roles = append(m.roles, r)
	}
	set[key] = r
}

func locText(r Ref) string {
	l := r.Location
	if l.File == "" {
		return "?"
	}
	if l.Line > 0 {
		return fmt.Sprintf("%s:%d", l.File, l.Line)
	}
	return l.File
}

func (b *builder) addBinding(o *inventory.Object) {
	bd := &binding{id: len(b.m.bindings), ref: refOf(o), cluster: o.Ref.Kind == "ClusterRoleBinding",
		bootstrap: o.Labels[LabelBootstrapping] == LabelBootstrappingDefaults}
	if !bd.cluster {
		bd.ns = o.Ref.Namespace
	}
	b.m.bindings = append(b.m.bindings, bd)
	if o.Body == nil {
		b.problem(bd.ref, "not decoded; grants nothing")
		return
	}
	var errs decodeErrors
	rr := decodeRoleRef(o.Body, &errs)
	subjects := decodeSubjects(o.Body, &errs)
	b.decodeProblems(bd.ref, errs)
	bd.roleRef = Ref{Kind: rr.Kind, Name: rr.Name}
	if rr.Kind == "Role" {
		bd.roleRef.Namespace = bd.ns
	}
	for i, s := range subjects {
		switch s.Kind {
		case KindUser, KindGroup:
			bd.subjects = append(bd.subjects, Subject{Kind: s.Kind, Name: s.Name})
			bd.subjectPos = append(bd.subjectPos, i)
		case KindServiceAccount:
			ns := s.Namespace
			if ns == "" {
				ns = bd.ns
			}
			if ns == "" {
				b.problem(bd.ref, "subjects[%d]: service account %q has no namespace: in a ClusterRoleBinding it matches nothing (the API server rejects it)", i, s.Name)
				continue
			}
			bd.subjects = append(bd.subjects, Subject{Kind: KindServiceAccount, Namespace: ns, Name: s.Name})
			bd.subjectPos = append(bd.subjectPos, i)
		default:
			b.problem(bd.ref, "subjects[%d]: kind %q is not User, Group or ServiceAccount: it matches nothing", i, s.Kind)
		}
	}
}

// aggregate computes the rules of every ClusterRole with an aggregationRule as the
// clusterrole-aggregation controller does: the union, without duplicates, of the rules
// of every other ClusterRole its selectors match (selectors in order, roles by name),
// replacing the role's own rules; repeated until nothing changes, since aggregated
// roles can be aggregated in turn. Starting from empty rules gives the least fixpoint,
// which is what the controller reaches from roles created as written.
func (b *builder) aggregate() {
	m := b.m
	var all, agg []*role
	for _, r := range m.roles {
		if !r.cluster {
			continue
		}
		all = append(all, r)
		if r.aggregated {
			agg = append(agg, r)
		} else {
			r.rules = ownRules(r)
		}
	}
	if len(agg) == 0 {
		return
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ref.Name < all[j].ref.Name })
	sort.Slice(agg, func(i, j int) bool { return agg[i].ref.Name < agg[j].ref.Name })
	// The roles each selector matches (labels do not change).
	matched := make([][][]*role, len(agg))
	for i, a := range agg {
		for _, sel := range a.selectors {
			var rs []*role
			for _, r := range all {
				if r != a && sel.Matches(labels.Set(r.labels)) {
					rs = append(rs, r)
				}
			}
			matched[i] = append(matched[i], rs)
		}
	}
	// Compute roles after the aggregated roles they select, so that one pass settles
	// any aggregation without cycles; further passes only run for cycles.
	index := map[*role]int{}
	for i, a := range agg {
		index[a] = i
	}
	var order []int
	state := make([]uint8, len(agg)) // 0 new, 1 on the path, 2 done
	var visit func(i int)
	visit = func(i int) {
		if state[i] != 0 {
			return
		}
		state[i] = 1
		for _, rs := range matched[i] {
			for _, r := range rs {
				if j, ok := index[r]; ok {
					visit(j)
				}
			}
		}
		state[i] = 2
		order = append(order, i)
	}
	for i := range agg {
		visit(i)
	}
	keys := map[*rbacv1.PolicyRule]string{}
	key := func(r *rbacv1.PolicyRule) string {
		k, ok := keys[r]
		if !ok {
			k = ruleKey(r)
			keys[r] = k
		}
		return k
	}
	for round := 0; round <= len(agg); round++ {
		changed := false
		for _, i := range order {
			a := agg[i]
			var rules []ruleSrc
			seen := map[string]bool{}
			for _, rs := range matched[i] {
				for _, r := range rs {
					for _, src := range r.rules {
						k := key(src.rule)
						if !seen[k] {
							seen[k] = true
							rules = append(rules, src)
						}
					}
				}
			}
			if len(rules) != len(a.rules) {
				a.rules, changed = rules, true
			}
		}
		if !changed {
			break
		}
	}
}

func ownRules(r *role) []ruleSrc {
	out := make([]ruleSrc, len(r.own))
	for i := range r.own {
		out[i] = ruleSrc{rule: &r.own[i], source: r, index: i}
	}
	return out
}

// ruleKey identifies a rule for de-duplication (the controller compares semantically:
// an empty list equals a missing one).
func ruleKey(r *rbacv1.PolicyRule) string {
	var sb strings.Builder
	for _, l := range [][]string{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames, r.NonResourceURLs} {
		for _, s := range l {
			sb.WriteString(s)
			sb.WriteByte(0)
		}
		sb.WriteByte(1)
	}
	return sb.String()
}

// link resolves each binding's role and indexes bindings by subject and role.
func (b *builder) link() {
	m := b.m
	for _, r := range m.roles {
		if !r.cluster {
			r.rules = ownRules(r)
		}
	}
	for _, bd := range m.bindings {
		if bd.roleRef.Kind == "" && bd.roleRef.Name == "" {
			continue // reported by the decoder
		}
		switch bd.roleRef.Kind {
		case "ClusterRole":
			bd.role = m.clusterRoles[bd.roleRef.Name]
		case "Role":
			if !bd.cluster {
				bd.role = m.nsRoles[bd.ns+"/"+bd.roleRef.Name]
			}
		default:
			b.problem(bd.ref, "roleRef.kind %q is not Role or ClusterRole: grants nothing", bd.roleRef.Kind)
			continue
		}
		if bd.role == nil {
			switch {
			case bd.cluster && bd.roleRef.Kind == "Role":
				b.problem(bd.ref, "a ClusterRoleBinding cannot reference a Role (%s): grants nothing", bd.roleRef.Name)
			case bd.roleRef.Kind == "Role":
				b.problem(bd.ref, "references Role %s/%s, which is not in the input: grants nothing", bd.ns, bd.roleRef.Name)
			default:
				b.problem(bd.ref, "references ClusterRole %s, which is not in the input: grants nothing", bd.roleRef.Name)
			}
			continue
		}
		bd.roleRef = bd.role.ref
		m.byRole[bd.role] = append(m.byRole[bd.role], bd)
		seen := map[Subject]bool{}
		for _, s := range bd.subjects {
			if seen[s] {
				continue
			}
			seen[s] = true
			if s.Kind == KindGroup {
				m.byGroup[s.Name] = append(m.byGroup[s.Name], bd)
			} else {
				m.byName[s.Username()] = append(m.byName[s.Username()], bd)
			}
		}
	}
}

// index builds the rule indexes who-can queries start from.
func (b *builder) index() {
	m := b.m
	for _, r := range m.roles {
		if len(m.byRole[r]) == 0 {
			continue // bound by nothing: no who-can answer goes through it
		}
		for i, src := range r.rules {
			loc := ruleLoc{r, i, m.indexedRules}
			m.indexedRules++
			if len(src.rule.NonResourceURLs) > 0 {
				for j, u := range src.rule.NonResourceURLs {
					if dup(src.rule.NonResourceURLs[:j], u) {
						continue
					}
					if u != "*" && strings.HasSuffix(u, "*") {
						m.urlPrefixes = append(m.urlPrefixes, urlPrefix{strings.TrimRight(u, "*"), loc})
					} else {
						m.rulesByURL[u] = append(m.rulesByURL[u], loc)
					}
				}
			}
			for j, res := range src.rule.Resources {
				if !dup(src.rule.Resources[:j], res) {
					m.rulesByResource[res] = append(m.rulesByResource[res], loc)
				}
			}
		}
	}
}

func dup(before []string, s string) bool {
	for _, x := range before {
		if x == s {
			return true
		}
	}
	return false
}

// addWorkload records an object that runs pods: its identity as the engine recorded
// it, else read from its body.
func (b *builder) addWorkload(finder *workload.Finder, o *inventory.Object) {
	id, _ := workload.PodIdentityFact.Of(o)
	if id == nil {
		if id = finder.PodIdentity(o); id == nil {
			return // not decoded, or no pod template: nothing runs
		}
	}
	ref := WorkloadRef{Kind: o.Ref.Kind, Namespace: o.Ref.Namespace, Name: o.Ref.Name, Location: o.Origin, ServiceAccount: id.ServiceAccount}
	m := b.m
	i := len(m.workloads)
	m.workloads = append(m.workloads, ref)
	key := ref.Namespace + "/" + id.ServiceAccount
	m.bySA[key] = append(m.bySA[key], i)
	m.byNamespace[ref.Namespace] = append(m.byNamespace[ref.Namespace], i)
	b.pending = append(b.pending, pendingWorkload{i: i, automount: id.Automount, projected: id.ProjectedToken})
}

// settleWorkloads decides whether each workload's pods get a token: the pod's
// automountServiceAccountToken wins, else the service account's, else true.
func (b *builder) settleWorkloads() {
	m := b.m
	for _, p := range b.pending {
		w := &m.workloads[p.i]
		auto := p.automount
		if auto == nil {
			auto = b.automount[w.Namespace+"/"+w.ServiceAccount]
		}
		w.Token = auto == nil || *auto || p.projected
	}
}

// Kinds are the kinds the analysis reads besides the objects that run pods: a source
// (internal/source) decodes them and lists them from a live cluster.
var Kinds = []string{"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ServiceAccount"}
