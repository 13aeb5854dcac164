package identity

// RBAC hygiene (static). Role-based access control is the cluster's only line between
// an identity and the API: a role that grants too much turns any compromise of a pod,
// a CI token or a user's kubeconfig into a compromise of the cluster. These rules read
// each Role, ClusterRole, RoleBinding and ClusterRoleBinding on its own; what a subject
// can do through several bindings is the separate graph analysis.
//
// Matching is internal/rbac's (rbac.RuleAllows), which follows the RBAC authorizer exactly:
//   - a verb matches if the rule lists it or "*" (case-sensitive, no aliases);
//   - an API group matches if the rule lists it or "*"; the core group is "";
//   - a resource matches "*", its exact name ("pods", "pods/exec"), or, for a
//     subresource, "*/<subresource>"; "pods/*" matches nothing;
//   - resourceNames, when present, match only requests that carry one of those names:
//     create and deletecollection of a top-level resource carry no name and are
//     never allowed by such a rule; list and watch are allowed only with a
//     metadata.name field selector, so they are narrowed like get.
//   - A Role cannot grant cluster-scoped resources (nodes, persistent volumes,
//     certificate signing requests, webhook configurations, users, groups): such
//     rules in a Role are inert and not reported.
//
// Reporting design. Each permission class (secrets read, escalate, pods/exec, ...) is
// one rule and reports at most once per policy rule, at the resource entry that names
// the sensitive resource ("*/exec" names the exec subresource and counts as naming it).
// A grant that reaches a sensitive resource only through a
// resources wildcard ("*") is not reported by the class rules: the wildcard finding for
// that policy rule lists, in its message, every sensitive class the wildcard implies.
// A resources wildcard that reaches a sensitive class is PAL-302 (high), one that
// reaches none (a CRD group's "*") PAL-303 (low). So "*"/"*"/"*" yields exactly one
// finding (PAL-301), a read-everything rule one PAL-302 finding (plus PAL-305 for its
// wildcard API group), and an explicit "secrets" with verbs "*" both the wildcard-verbs
// (PAL-304) and the secrets-read (PAL-311) findings.
//
// Kubernetes' own bootstrap objects (label kubernetes.io/bootstrapping=rbac-defaults on
// a "system:" name or on cluster-admin/admin/edit/view) are not reported: they are the
// API server's defaults, reconciled at every start, and appear in input only from
// cluster dumps. Aggregated ClusterRoles (aggregationRule set) are not checked either:
// the controller replaces their rules with the union of the roles they select, which
// are checked themselves. A ClusterRole labelled to aggregate into the built-in admin,
// edit or view role is checked, and its findings say so: everyone bound to those roles
// holds its permissions.

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/rules"
)

const (
	catRBAC  = "rbac"
	nsaAuthz = "Authentication and authorization: role-based access control"

	rbacGroup = "rbac.authorization.k8s.io"

	refRBAC     = "https://kubernetes.io/docs/reference/access-authn-authz/rbac/"
	refRBACGood = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"

	// rbacScopeNote is appended to the rationale of the role rules.
	rbacScopeNote = " Kubernetes' bootstrap roles (label kubernetes.io/bootstrapping=rbac-defaults) and aggregated ClusterRoles, whose rules the controller fills in from the roles it selects, are not checked."
)

var roleKinds = []string{"Role", "ClusterRole"}
var bindingKinds = []string{"RoleBinding", "ClusterRoleBinding"}

func rbacFrameworks(cis ...string) rules.Frameworks {
	return rules.Frameworks{CIS: cis, NSA: []string{nsaAuthz}, Layer: layerCluster}
}

// builtinRBAC reports whether o is one of Kubernetes' bootstrap RBAC objects.
func builtinRBAC(o *inventory.Object) bool {
	if o.Labels["kubernetes.io/bootstrapping"] != "rbac-defaults" {
		return false
	}
	switch n := o.Ref.Name; {
	case strings.HasPrefix(n, "system:"):
		return true
	case n == "cluster-admin" || n == "admin" || n == "edit" || n == "view":
		return true
	}
	return false
}

// roleView is a Role or ClusterRole as the role rules see it.
type roleView struct {
	// cluster is true for a ClusterRole.
	cluster bool
	rules   []rbacv1.PolicyRule
	// note ends every message about the role: the built-in roles it is aggregated
	// into, whose holders receive its permissions.
	note string
}

// builtinAggregations are the labels that aggregate a ClusterRole into the built-in
// user-facing roles, in the order the message names them.
var builtinAggregations = []string{"admin", "edit", "view"}

func aggregationNote(labels map[string]string) string {
	var into []string
	for _, r := range builtinAggregations {
		if labels["rbac.authorization.k8s.io/aggregate-to-"+r] == "true" {
			into = append(into, r)
		}
	}
	if len(into) == 0 {
		return ""
	}
	return " (the role is aggregated into the built-in " + strings.Join(into, ", ") + " role, so everyone bound to that role holds it)"
}

// report records a finding about the role at path.
func (r *roleView) report(p *rules.Pass, path, format string, args ...any) {
	p.Report(path, "", "%s", fmt.Sprintf(format, args...)+r.note)
}

func (r *roleView) kind() string {
	if r.cluster {
		return "ClusterRole"
	}
	return "Role"
}

// decodeRole returns the role's policy rules, or nil when the object is not checked:
// not an RBAC object, a bootstrap role, an aggregated ClusterRole, or undecodable (then
// the pass records the failure).
func decodeRole(p *rules.Pass, o *inventory.Object) *roleView {
	if o.Group() != rbacGroup || builtinRBAC(o) {
		return nil
	}
	switch o.Ref.Kind {
	case "ClusterRole":
		var cr rbacv1.ClusterRole
		if err := o.Decode(&cr); err != nil {
			p.Fail(err)
			return nil
		}
		if cr.AggregationRule != nil {
			return nil
		}
		return &roleView{cluster: true, rules: cr.Rules, note: aggregationNote(o.Labels)}
	case "Role":
		var r rbacv1.Role
		if err := o.Decode(&r); err != nil {
			p.Fail(err)
			return nil
		}
		return &roleView{rules: r.Rules}
	}
	return nil
}

// roleRule is the body of a role rule over each policy rule of a role.
func roleRule(check func(p *rules.Pass, r *roleView, i int, pr *rbacv1.PolicyRule)) func(*rules.Pass, *inventory.Object) {
	return func(p *rules.Pass, o *inventory.Object) {
		r := decodeRole(p, o)
		if r == nil {
			return
		}
		for i := range r.rules {
			check(p, r, i, &r.rules[i])
		}
	}
}

func rulePath(i int) string { return "rules" + indexSuffix(i) }

// probe is one sensitive permission: verbs on a resource of an API group.
type probe struct {
	group    string
	resource string // "pods" or "pods/exec"
	// verbs that make the permission sensitive; nil means any verb.
	verbs []string
	// cluster is true for cluster-scoped resources, which a Role cannot grant.
	cluster bool
}

// grant is what one policy rule grants of one probe.
type grant struct {
	probe probe
	// verbs are the sensitive verbs granted ("*" alone for a class where every verb
	// counts and the rule grants every verb).
	verbs []string
	// starVerbs is true when the verbs come from a verbs entry "*".
	starVerbs bool
	// res is the index of the resources entry that names the resource, or -1 when
	// only a "*" entry matches it.
	res int
	// names are the rule's resourceNames (nil: every object).
	names []string
}

// resourceMatch returns the index of the first entry that matches the probe's
// resource other than by "*" (it names the resource exactly or as "*/<subresource>"),
// else of a "*" entry, and whether the match is by name. Matching is rbac's.
func resourceMatch(pr *rbacv1.PolicyRule, pb probe) (idx int, named bool) {
	res, sub := pb.split()
	star := -1
	for i, r := range pr.Resources {
		switch {
		case r == rbacv1.ResourceAll:
			if star < 0 {
				star = i
			}
		case rbac.ResourceEntryMatches(r, res, sub):
			return i, true
		}
	}
	return star, false
}

// split returns the probe's resource and subresource ("pods", "exec").
func (pr probe) split() (resource, subresource string) {
	res, sub, _ := strings.Cut(pr.resource, "/")
	return res, sub
}

// request is the request for verb that pr is asked about: a request for a top-level
// resource with verb create or deletecollection carries no name; any other names an
// object, one of names when the rule restricts them (the probe asks whether the rule
// allows the verb on some object).
func (pr probe) request(verb string, names []string) rbac.Attributes {
	res, sub := pr.split()
	a := rbac.Attributes{Verb: verb, ResourceRequest: true, APIGroup: pr.group, Resource: res, Subresource: sub}
	if sub != "" || (verb != "create" && verb != "deletecollection") {
		a.Name = "object"
		if len(names) > 0 {
			a.Name = names[0]
		}
	}
	return a
}

// allows evaluates pb against pr with the authorizer's semantics (rbac.RuleAllows),
// returning which of the sensitive verbs pr grants, in the rule's order.
func allows(pr *rbacv1.PolicyRule, pb probe, cluster bool) (grant, bool) {
	if pb.cluster && !cluster {
		return grant{}, false
	}
	if !rbac.GroupMatches(pr, pb.group) {
		return grant{}, false
	}
	idx, named := resourceMatch(pr, pb)
	if idx < 0 {
		return grant{}, false
	}
	g := grant{probe: pb, res: -1, names: pr.ResourceNames}
	if named {
		g.res = idx
	}
	allowed := func(v string) bool { return rbac.RuleAllows(pb.request(v, pr.ResourceNames), pr) }
	if contains(pr.Verbs, rbacv1.VerbAll) {
		g.starVerbs = true
		if pb.verbs == nil {
			g.verbs = []string{rbacv1.VerbAll}
			return g, true
		}
		for _, v := range pb.verbs {
			if allowed(v) {
				g.verbs = append(g.verbs, v)
			}
		}
		return g, len(g.verbs) > 0
	}
	for _, v := range pr.Verbs {
		if pb.verbs != nil && !contains(pb.verbs, v) {
			continue
		}
		if allowed(v) && !contains(g.verbs, v) {
			g.verbs = append(g.verbs, v)
		}
	}
	return g, len(g.verbs) > 0
}

// permClass is one class of sensitive permission, reported by one rule.
type permClass struct {
	// id is the rule reporting the class; name is how wildcard summaries call it.
	id, name string
	probes   []probe
	// skipNamed: a rule narrowed by resourceNames is not reported for this class.
	skipNamed bool
}

var (
	writeVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}
	readVerbs  = []string{"get", "list", "watch"}
	// streamVerbs: exec and attach are POST (create), or GET for the WebSocket
	// upgrade path, which older API servers authorize as get.
	streamVerbs = []string{"create", "get"}
)

// permClasses are the sensitive permission classes, in rule ID order.
var permClasses = []*permClass{
	{id: "PAL-311", name: "secrets read", skipNamed: true, probes: []probe{
		{group: "", resource: "secrets", verbs: readVerbs},
	}},
	{id: "PAL-312", name: "escalate", probes: []probe{
		{group: rbacGroup, resource: "roles", verbs: []string{"escalate"}},
		{group: rbacGroup, resource: "clusterroles", verbs: []string{"escalate"}, cluster: true},
	}},
	{id: "PAL-313", name: "bind", probes: []probe{
		{group: rbacGroup, resource: "roles", verbs: []string{"bind"}},
		// A RoleBinding to a ClusterRole is authorized as bind on clusterroles in the
		// binding's namespace, so a Role can grant it.
		{group: rbacGroup, resource: "clusterroles", verbs: []string{"bind"}},
	}},
	{id: "PAL-314", name: "impersonate", probes: []probe{
		{group: "", resource: "users", verbs: []string{"impersonate"}, cluster: true},
		{group: "", resource: "groups", verbs: []string{"impersonate"}, cluster: true},
		{group: "", resource: "serviceaccounts", verbs: []string{"impersonate"}},
		{group: "authentication.k8s.io", resource: "uids", verbs: []string{"impersonate"}, cluster: true},
	}},
	{id: "PAL-315", name: "pods/exec", probes: []probe{
		{group: "", resource: "pods/exec", verbs: streamVerbs},
	}},
	{id: "PAL-316", name: "pods/attach", probes: []probe{
		{group: "", resource: "pods/attach", verbs: streamVerbs},
	}},
	{id: "PAL-317", name: "nodes/proxy", probes: []probe{
		{group: "", resource: "nodes/proxy", cluster: true},
	}},
	{id: "PAL-318", name: "serviceaccounts/token create", probes: []probe{
		{group: "", resource: "serviceaccounts/token", verbs: []string{"create"}},
	}},
	{id: "PAL-319", name: "CSR approval", probes: []probe{
		{group: "certificates.k8s.io", resource: "certificatesigningrequests/approval", verbs: []string{"update", "patch"}, cluster: true},
		{group: "certificates.k8s.io", resource: "signers", verbs: []string{"approve"}, cluster: true},
	}},
	{id: "PAL-320", name: "webhook configuration writes", skipNamed: true, probes: []probe{
		{group: "admissionregistration.k8s.io", resource: "validatingwebhookconfigurations", verbs: writeVerbs, cluster: true},
		{group: "admissionregistration.k8s.io", resource: "mutatingwebhookconfigurations", verbs: writeVerbs, cluster: true},
	}},
	{id: "PAL-321", name: "PersistentVolume create", probes: []probe{
		{group: "", resource: "persistentvolumes", verbs: []string{"create"}, cluster: true},
	}},
	{id: "PAL-322", name: "workload writes", probes: []probe{
		// A running pod's container images are mutable, and an ephemeral container is
		// code of the caller's choice in it.
		{group: "", resource: "pods", verbs: putVerbs},
		{group: "", resource: "pods/ephemeralcontainers", verbs: []string{"update", "patch"}},
		// A controller's pod template is mutable: the controller rolls out new pods.
		{group: "", resource: "replicationcontrollers", verbs: putVerbs},
		{group: "apps", resource: "deployments", verbs: putVerbs},
		{group: "apps", resource: "daemonsets", verbs: putVerbs},
		{group: "apps", resource: "statefulsets", verbs: putVerbs},
		{group: "apps", resource: "replicasets", verbs: putVerbs},
		// A Job's pod template is immutable (only scheduling fields of a suspended
		// Job change), so only creating one runs new code.
		{group: "batch", resource: "jobs", verbs: []string{"create"}},
		{group: "batch", resource: "cronjobs", verbs: putVerbs},
	}},
	{id: "PAL-323", name: "secrets write", skipNamed: true, probes: []probe{
		{group: "", resource: "secrets", verbs: putVerbs},
	}},
}

// grants returns what pr grants of the class, split into grants through a resource
// entry that names the resource and grants only through a "*" entry.
func (c *permClass) grants(pr *rbacv1.PolicyRule, cluster bool) (named, viaStar []grant) {
	for _, pb := range c.probes {
		g, ok := allows(pr, pb, cluster)
		if !ok || (c.skipNamed && len(g.names) > 0) {
			continue
		}
		if g.res >= 0 {
			named = append(named, g)
		} else {
			viaStar = append(viaStar, g)
		}
	}
	return named, viaStar
}

// impliedClasses names the sensitive classes pr grants only through a resources
// wildcard, for the wildcard findings' summary.
func impliedClasses(pr *rbacv1.PolicyRule, cluster bool) []string {
	var out []string
	for _, c := range permClasses {
		if _, star := c.grants(pr, cluster); len(star) > 0 {
			out = append(out, c.name)
		}
	}
	return out
}

func impliedSuffix(pr *rbacv1.PolicyRule, cluster bool) string {
	if cls := impliedClasses(pr, cluster); len(cls) > 0 {
		return "; this includes " + strings.Join(cls, ", ")
	}
	return ""
}

func groupName(g string) string {
	if g == "" {
		return "the core API group"
	}
	return "API group " + g
}

// describe renders grants as `get, list on secrets in the core API group (resources[0]
// "secrets")`.
func describe(pr *rbacv1.PolicyRule, gs []grant) string {
	parts := make([]string, 0, len(gs))
	for _, g := range gs {
		verbs := strings.Join(g.verbs, ", ")
		switch {
		case len(g.verbs) == 1 && g.verbs[0] == rbacv1.VerbAll:
			verbs = `every verb ("*")`
		case g.starVerbs:
			verbs += ` (through verbs "*")`
		}
		s := fmt.Sprintf("%s on %s in %s", verbs, g.probe.resource, groupName(g.probe.group))
		if g.res >= 0 {
			s += fmt.Sprintf(" (resources%s %q)", indexSuffix(g.res), pr.Resources[g.res])
		}
		if len(g.names) > 0 {
			s += " (resourceNames " + quoteList(g.names) + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// classRule is the check of a permission class: one finding per policy rule that
// names one of the class's resources, at the first such resource entry.
func classRule(id string) func(*rules.Pass, *inventory.Object) {
	var c *permClass
	for _, pc := range permClasses {
		if pc.id == id {
			c = pc
		}
	}
	if c == nil {
		panic("checks: no permission class for " + id)
	}
	return roleRule(func(p *rules.Pass, r *roleView, i int, pr *rbacv1.PolicyRule) {
		named, _ := c.grants(pr, r.cluster)
		if len(named) == 0 {
			return
		}
		first := named[0].res
		for _, g := range named[1:] {
			if g.res < first {
				first = g.res
			}
		}
		path := rulePath(i) + ".resources" + indexSuffix(first)
		r.report(p, path, "%s %s grants %s", r.kind(), rulePath(i), describe(pr, named))
	})
}
