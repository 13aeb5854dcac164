package attackpath

// Identity edges: a workload's pods to the service account whose token they mount,
// a subject (service account, user, group) to the capabilities its bindings and its
// groups' bindings grant (rbac risks, with exposure's capability classes), and
// capabilities to what they give: other accounts, workloads, secrets, nodes,
// cluster-admin. Legacy token Secrets lead from a namespace's secrets to the
// account they belong to.

import (
	"fmt"
	"sort"
	"strings"

	psapi "k8s.io/pod-security-admission/api"

	"github.com/palisade-k8s/palisade/internal/exposure"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// The capability classes the graph follows: exposure's identity classes (the same
// probes, so a hop and a workload's score agree), impersonation split in two
// (users or groups is cluster-admin, service accounts is running as them).
const (
	classAdmin       = "admin"
	classEscalate    = "escalate"
	classBind        = "bind"
	classImpersonate = "impersonate"
	// classImpersonateSA is the "impersonate serviceaccounts" need of exposure's
	// impersonate class, alone.
	classImpersonateSA = "impersonate-serviceaccounts"
	classNodesProxy    = "nodes-proxy"
	classCSR           = "csr"
	classSecrets       = "secrets"
	classPods          = "pods"
	classExec          = "exec"
	classTokens        = "tokens"
)

// classLabels describe the capability nodes ("%s" is where: "cluster-wide", "in
// namespace NS").
var classLabels = map[string]string{
	classAdmin:         "every permission %s",
	classEscalate:      "escalate through role edits %s",
	classBind:          "bind any role %s",
	classImpersonate:   "impersonate users or groups %s",
	classImpersonateSA: "impersonate service accounts %s",
	classNodesProxy:    "nodes/proxy %s",
	classCSR:           "issue client certificates %s",
	classSecrets:       "read secrets %s",
	classPods:          "create pods %s",
	classExec:          "exec into pods %s",
	classTokens:        "create service account tokens %s",
}

// pathClasses are the classes of the graph (exposure's admission, pv, rbac-write
// and nodes classes lead to no node of the graph: they are left out).
var pathClasses = func() []rbac.RiskClass {
	var out []rbac.RiskClass
	for _, c := range exposure.RiskClasses() {
		switch {
		case c.ID == classImpersonate:
			var users, sas rbac.RiskClass
			users.ID, sas.ID = classImpersonate, classImpersonateSA
			for _, n := range c.Needs {
				if strings.Contains(n.Name, "serviceaccounts") {
					sas.Needs = append(sas.Needs, n)
				} else {
					users.Needs = append(users.Needs, n)
				}
			}
			out = append(out, users, sas)
		case classLabels[c.ID] != "":
			out = append(out, c)
		}
	}
	return out
}()

// LabelPodSecurityEnforce is the Namespace label Pod Security admission enforces.
const LabelPodSecurityEnforce = psapi.EnforceLevelLabel

const rbacAPIVersion = "rbac.authorization.k8s.io/v1"

// ids builds the identity edges.
type ids struct {
	*builder
	m *rbac.Model
	a *rbac.RiskAnalysis
	// grants are the model's flattened grants; bySubject indexes them by subject
	// (a User named by a service account's username is the account).
	grants    []rbac.Grant
	bySubject map[rbac.Subject][]int
	// needBits caches, per grant and class, the needs the grant's rule gives.
	needBits map[needKey]uint64
	// accounts are the service account nodes by namespace.
	accounts map[string][]*Node
	// workloadsIn are the workload nodes by namespace.
	workloadsIn map[string][]*Node
	// namespaces are the input's Namespace objects by name.
	namespaces map[string]*inventory.Object
	// groupRisks caches the risks of service accounts without bindings of their
	// own, by namespace (they hold what their groups hold).
	groupRisks map[string][]rbac.Risk
	admin      *Node
}

func (b *builder) identity() {
	m, _, err := rbac.Build(b.inv.Objects, rbac.Options{Finder: b.opts.Finder})
	if err != nil {
		b.g.Notes = append(b.g.Notes, "RBAC objects could not be analysed: "+err.Error())
		return
	}
	x := &ids{builder: b, m: m, a: m.AnalyzeRisks(pathClasses), needBits: map[needKey]uint64{},
		accounts: map[string][]*Node{}, workloadsIn: map[string][]*Node{}, namespaces: map[string]*inventory.Object{},
		groupRisks: map[string][]rbac.Risk{}, bySubject: map[rbac.Subject][]int{}}
	x.grants = m.Grants()
	for i, g := range x.grants {
		s := normalize(g.Subject)
		x.bySubject[s] = append(x.bySubject[s], i)
	}
	for _, n := range b.g.Workloads() {
		x.workloadsIn[n.Namespace] = append(x.workloadsIn[n.Namespace], n)
	}
	for _, o := range b.inv.Objects {
		if o.Ref.Kind == "Namespace" && o.Ref.APIVersion == "v1" {
			x.namespaces[o.Ref.Name] = o
		}
	}
	x.admin = b.g.Add(Node{ID: ClusterAdmin, Kind: KindClusterAdmin, Label: "cluster-admin"})
	subjects := x.subjects()
	x.tokens()
	x.secretTokens()
	for _, s := range subjects {
		x.subjectEdges(s)
	}
	// A cluster-admin equivalent reads every secret and can run a privileged pod.
	b.g.Connect(Edge{From: x.admin, To: b.g.Add(Node{ID: AllSecrets, Kind: KindSecrets, Label: "the secrets of every namespace"}), Kind: EdgeReadSecrets, Analyzer: ByRBAC,
		Evidence: []string{"cluster-admin can get, list and watch secrets in every namespace"}})
	b.g.Connect(Edge{From: x.admin, To: b.hostNode(), Kind: EdgeCreatePod, Analyzer: ByRBAC,
		Evidence: []string{"cluster-admin can create a privileged pod on any node (and relabel any namespace's Pod Security level)"}})
}

// normalize makes a User named by a service account's username the account.
func normalize(s rbac.Subject) rbac.Subject {
	if s.Kind == rbac.KindUser {
		if sa, ok := rbac.ServiceAccountOf(s.Name); ok {
			return sa
		}
	}
	return s
}

// subjects adds a node per subject: every subject a binding names, every service
// account of the input and every account a workload runs as.
func (x *ids) subjects() []rbac.Subject {
	seen := map[rbac.Subject]bool{}
	var out []rbac.Subject
	add := func(s rbac.Subject) {
		s = normalize(s)
		if seen[s] || s.Name == "" {
			return
		}
		seen[s] = true
		out = append(out, s)
		x.subjectNode(s)
	}
	for _, s := range x.m.Subjects() {
		add(s)
	}
	for _, s := range x.a.ServiceAccountsWithWorkloads() {
		add(s)
	}
	for ns := range x.accounts {
		sort.Slice(x.accounts[ns], func(i, j int) bool { return x.accounts[ns][i].ID < x.accounts[ns][j].ID })
	}
	return out
}

// subjectNode is a service account's node, or a user's or group's identity node.
func (x *ids) subjectNode(s rbac.Subject) *Node {
	if s.Kind != rbac.KindServiceAccount {
		return x.g.Add(Node{ID: IdentityID(s), Kind: KindIdentity, Label: s.Kind + " " + s.Name})
	}
	id := ServiceAccountID(s.Namespace, s.Name)
	if n := x.g.Node(id); n != nil {
		return n
	}
	n := Node{ID: id, Kind: KindServiceAccount, Label: "ServiceAccount " + s.Namespace + "/" + s.Name, Namespace: s.Namespace}
	if o := x.objects[finding.ObjectRef{APIVersion: "v1", Kind: "ServiceAccount", Namespace: s.Namespace, Name: s.Name}]; o != nil {
		ref, loc := o.Ref, o.Origin
		n.Object, n.Location = &ref, &loc
	}
	p := x.g.Add(n)
	x.accounts[s.Namespace] = append(x.accounts[s.Namespace], p)
	return p
}

// tokens connects each workload to the account whose token its pods mount.
func (x *ids) tokens() {
	for _, sa := range x.a.ServiceAccountsWithWorkloads() {
		san := x.subjectNode(sa)
		for _, w := range x.a.Workloads(sa) {
			if !w.Token || w.Namespace != sa.Namespace || w.ServiceAccount != sa.Name {
				continue
			}
			ref := finding.ObjectRef{Kind: w.Kind, Namespace: w.Namespace, Name: w.Name}
			wn := x.g.Node(WorkloadID(ref))
			if wn == nil {
				continue
			}
			loc := w.Location
			if wn.Location != nil {
				loc = *wn.Location
			}
			specPath, projected := "spec.template.spec", false
			if o := x.objects[*wn.Object]; o != nil {
				if h, ok := workload.PodHostFact.Of(o); ok && h != nil && h.SpecPath != "" {
					specPath = h.SpecPath
				}
				if id, ok := workload.PodIdentityFact.Of(o); ok && id != nil {
					projected = id.ProjectedToken
				}
			}
			fix := &finding.PathFix{Change: "set automountServiceAccountToken: false in the pod spec (or give the pods an account of their own)",
				Object: wn.Object, Location: &loc, Path: specPath + ".automountServiceAccountToken", Cost: 1}
			ev := fmt.Sprintf("its pods run as ServiceAccount %s/%s and mount its token", sa.Namespace, sa.Name)
			if projected {
				ev = fmt.Sprintf("its pods run as ServiceAccount %s/%s and a projected volume mounts its token", sa.Namespace, sa.Name)
				fix = &finding.PathFix{Change: "remove the projected serviceAccountToken volume (automountServiceAccountToken does not stop it)",
					Object: wn.Object, Location: &loc, Path: specPath + ".volumes", Cost: 1}
			}
			x.g.Connect(Edge{From: wn, To: san, Kind: EdgeToken, Analyzer: ByRBAC, Evidence: []string{ev}, Fix: fix})
		}
	}
}

// secretTokens connects a namespace's secrets to the accounts whose legacy token
// Secrets (type kubernetes.io/service-account-token) are among them. Only the type
// and the annotation naming the account are read.
func (x *ids) secretTokens() {
	for _, o := range x.inv.Objects {
		if o.Ref.Kind != "Secret" || o.Ref.APIVersion != "v1" || o.Body == nil {
			continue
		}
		if t, _ := o.Body["type"].(string); t != "kubernetes.io/service-account-token" {
			continue
		}
		name := o.Annotations["kubernetes.io/service-account.name"]
		if name == "" {
			continue
		}
		ns := o.Ref.Namespace
		san := x.subjectNode(rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: ns, Name: name})
		ref, loc := o.Ref, o.Origin
		fix := &finding.PathFix{Change: fmt.Sprintf("delete the legacy token Secret %s/%s (pods get short-lived tokens through the TokenRequest API)", ns, o.Ref.Name),
			Object: &ref, Location: &loc, Cost: 1}
		ev := []string{fmt.Sprintf("Secret %s/%s (type kubernetes.io/service-account-token) holds a token of ServiceAccount %s/%s", ns, o.Ref.Name, ns, name)}
		for _, from := range []*Node{x.secretsNode(ns), x.secretsNode("")} {
			x.g.Connect(Edge{From: from, To: san, Kind: EdgeSecretToken, Analyzer: ByRBAC, Evidence: ev, Fix: fix})
		}
	}
}

func (x *ids) secretsNode(ns string) *Node {
	if ns == "" {
		return x.g.Add(Node{ID: AllSecrets, Kind: KindSecrets, Label: "the secrets of every namespace"})
	}
	return x.g.Add(Node{ID: SecretsID(ns), Kind: KindSecrets, Label: "the secrets of namespace " + ns, Namespace: ns})
}

func (b *builder) hostNode() *Node {
	return b.g.Add(Node{ID: HostNode, Kind: KindNode, Label: "a node (root on the host)"})
}

// risks are what a subject can do: through its own bindings and its groups'.
// Accounts without bindings of their own share their namespace's answer.
func (x *ids) risks(s rbac.Subject) []rbac.Risk {
	if s.Kind != rbac.KindServiceAccount || len(x.bySubject[s]) > 0 {
		return x.a.Of(s)
	}
	rs, ok := x.groupRisks[s.Namespace]
	if !ok {
		rs = x.a.Of(s)
		x.groupRisks[s.Namespace] = rs
	}
	return rs
}

// subjectEdges connects a subject to the capabilities it holds, where it holds
// them.
func (x *ids) subjectEdges(s rbac.Subject) {
	from := x.subjectNode(s)
	kind := EdgeGrant
	if s.Kind != rbac.KindServiceAccount {
		kind = EdgeMember
	}
	for _, rk := range x.risks(s) {
		if rk.Default && !x.opts.IncludeSystem {
			continue
		}
		ci := classIndex(rk.Class)
		scopes := rk.Reach.Namespaces
		if rk.Reach.ClusterWide {
			scopes = []string{""}
		}
		for _, ns := range scopes {
			to := x.capability(rk.Class, ns)
			if to == nil {
				continue
			}
			var ev []string
			for _, g := range rk.Grants {
				if !applies(g, ns) || x.ruleNeeds(g, ci) == 0 {
					continue
				}
				t := g.Subject.String() + ": " + rbac.ChainText(g)
				if g.Default {
					t += " (bootstrap policy)"
				}
				ev = append(ev, t)
			}
			x.g.Connect(Edge{From: from, To: to, Kind: kind, Analyzer: ByRBAC, Evidence: ev, Fix: x.cut(s, ci, ns)})
		}
	}
}

func classIndex(id string) int {
	for i, c := range pathClasses {
		if c.ID == id {
			return i
		}
	}
	return -1
}

// applies reports whether a grant counts for requests in ns ("": cluster-wide
// requests, which only ClusterRoleBindings grant).
func applies(g rbac.Grant, ns string) bool {
	return g.Namespace == "" || (ns != "" && g.Namespace == ns)
}

// ruleNeeds are the needs of class ci (bit i: Needs[i]) a grant's rule gives where
// it applies (a RoleBinding never grants a need on cluster-scoped resources).
func (x *ids) ruleNeeds(g rbac.Grant, ci int) uint64 {
	key := needKey{g.Role, g.Source, g.RuleIndex, g.Namespace != "", ci}
	if b, ok := x.needBits[key]; ok {
		return b
	}
	var bits uint64
	for i, n := range pathClasses[ci].Needs {
		if n.Cluster && g.Namespace != "" {
			continue
		}
		for _, p := range n.Any {
			at := rbac.Attributes{Verb: p.Verb, ResourceRequest: true, APIGroup: p.Group, Resource: p.Resource, Subresource: p.Subresource, Name: p.Name}
			if rbac.RuleAllows(at, &g.Rule) {
				bits |= 1 << i
				break
			}
		}
	}
	x.needBits[key] = bits
	return bits
}

// needKey names a rule (the bound role, the role it was written in, its index there) as a RoleBinding or a
// ClusterRoleBinding grants it, for one class.
type needKey struct {
	role, source rbac.Ref
	rule         int
	namespaced   bool
	class        int
}

// held reports whether needs give class ci (one of its paths, or any need of a
// class without paths).
func held(ci int, bits uint64) bool {
	c := pathClasses[ci]
	if c.Paths == nil {
		return bits != 0
	}
	for _, p := range c.Paths {
		all := true
		for _, i := range p {
			if bits&(1<<i) == 0 {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// unit is one subject of one binding: what a fix removes.
type unit struct {
	grant  rbac.Grant
	own    bool
	needs  uint64
	byBoot bool
}

// cut is the smallest change to bindings' subjects this search finds that leaves s
// without class ci in ns: one subject whose removal does it when there is one (the
// subject's own binding first, then a group's, never a bootstrap binding's), else
// subjects added greedily, most needs first. Every grant that names s or one of its
// groups counts, so the change really removes the capability.
func (x *ids) cut(s rbac.Subject, ci int, ns string) *finding.PathFix {
	subjects := []rbac.Subject{s}
	for _, g := range rbac.UserInfoFor(s, nil).Groups {
		if s.Kind == rbac.KindGroup && g == s.Name {
			continue
		}
		subjects = append(subjects, rbac.Subject{Kind: rbac.KindGroup, Name: g})
	}
	type key struct {
		kind, ns, name string
		subject        int
	}
	byKey := map[key]*unit{}
	var units []*unit
	var all uint64
	for k, sub := range subjects {
		for _, i := range x.bySubject[sub] {
			g := x.grants[i]
			if !applies(g, ns) {
				continue
			}
			bits := x.ruleNeeds(g, ci)
			if bits == 0 {
				continue
			}
			all |= bits
			kk := key{g.Binding.Kind, g.Binding.Namespace, g.Binding.Name, g.SubjectIndex}
			u := byKey[kk]
			if u == nil {
				u = &unit{grant: g, own: k == 0, byBoot: g.Default}
				byKey[kk] = u
				units = append(units, u)
			}
			u.needs |= bits
		}
	}
	if !held(ci, all) {
		return nil
	}
	without := func(removed map[*unit]bool) uint64 {
		var bits uint64
		for _, u := range units {
			if !removed[u] {
				bits |= u.needs
			}
		}
		return bits
	}
	sort.SliceStable(units, func(i, j int) bool {
		if units[i].byBoot != units[j].byBoot {
			return !units[i].byBoot
		}
		return units[i].own && !units[j].own
	})
	var chosen []*unit
	for _, u := range units {
		if !u.byBoot && !held(ci, without(map[*unit]bool{u: true})) {
			chosen = []*unit{u}
			break
		}
	}
	if chosen == nil {
		removed := map[*unit]bool{}
		for held(ci, without(removed)) {
			var best *unit
			for _, u := range units {
				if removed[u] || u.byBoot {
					continue
				}
				if best == nil || popcount(u.needs) > popcount(best.needs) {
					best = u
				}
			}
			if best == nil {
				return nil // only the bootstrap policy grants it
			}
			removed[best] = true
			chosen = append(chosen, best)
		}
	}
	var changes []string
	for _, u := range chosen {
		g := u.grant
		changes = append(changes, fmt.Sprintf("remove subjects[%d] (%s) from %s", g.SubjectIndex, g.Subject, g.Binding))
	}
	g := chosen[0].grant
	ref := finding.ObjectRef{APIVersion: rbacAPIVersion, Kind: g.Binding.Kind, Namespace: g.Binding.Namespace, Name: g.Binding.Name}
	loc := g.Binding.Location
	return &finding.PathFix{Change: strings.Join(changes, "; "), Object: &ref, Location: &loc,
		Path: fmt.Sprintf("subjects[%d]", g.SubjectIndex), Cost: len(chosen)}
}

func popcount(b uint64) int {
	n := 0
	for ; b != 0; b &= b - 1 {
		n++
	}
	return n
}

// where is "cluster-wide" or "in namespace NS".
func where(ns string) string {
	if ns == "" {
		return "cluster-wide"
	}
	return "in namespace " + ns
}

// capability returns the node of a class held in ns ("": cluster-wide) with its
// edges, added on first use; nil when the class leads nowhere from there (a
// namespace's admin holds the namespaced classes itself).
func (x *ids) capability(class, ns string) *Node {
	id := CapabilityID(class, ns)
	if n := x.g.Node(id); n != nil {
		return n
	}
	cluster := ns == ""
	switch class {
	case classAdmin, classImpersonate, classCSR, classNodesProxy:
		if !cluster {
			return nil
		}
	}
	n := x.g.Add(Node{ID: id, Kind: KindCapability, Label: fmt.Sprintf(classLabels[class], where(ns)), Namespace: ns})
	escalate := func(why string) {
		x.g.Connect(Edge{From: n, To: x.admin, Kind: EdgeEscalate, Analyzer: ByRBAC, Evidence: []string{why}})
	}
	runAs := func(why string) {
		for _, sa := range x.accountsIn(ns) {
			x.g.Connect(Edge{From: n, To: sa, Kind: EdgeRunAs, Analyzer: ByRBAC, Evidence: []string{why}})
		}
	}
	switch class {
	case classAdmin:
		escalate("every verb on every resource cluster-wide is cluster-admin")
	case classEscalate, classBind:
		what := "escalate lets it write roles with permissions it does not hold"
		if class == classBind {
			what = "bind lets it bind roles with permissions it does not hold"
		}
		if cluster {
			escalate(what + ", cluster-admin included")
			break
		}
		// In a namespace: a RoleBinding to any ClusterRole there (admin included)
		// gives every namespaced capability of the namespace.
		for _, c := range []string{classSecrets, classPods, classExec, classTokens, classImpersonateSA} {
			x.g.Connect(Edge{From: n, To: x.capability(c, ns), Kind: EdgeEscalate, Analyzer: ByRBAC,
				Evidence: []string{what + " " + where(ns) + ": " + fmt.Sprintf(classLabels[c], where(ns)) + " included"}})
		}
	case classImpersonate:
		escalate("impersonating users or groups gives any identity's permissions (group system:masters included)")
	case classCSR:
		escalate("creating and approving certificate signing requests for the kube-apiserver-client signer issues a client certificate for any user or group (system:masters included)")
	case classNodesProxy:
		x.g.Connect(Edge{From: n, To: x.hostNode(), Kind: EdgeNodesProxy, Analyzer: ByRBAC,
			Evidence: []string{"nodes/proxy reaches the kubelet API of every node: exec and run commands in any pod on it"}})
	case classSecrets:
		x.g.Connect(Edge{From: n, To: x.secretsNode(ns), Kind: EdgeReadSecrets, Analyzer: ByRBAC,
			Evidence: []string{"get, list or watch secrets " + where(ns)}})
	case classPods:
		runAs("a pod created " + where(ns) + " can run as any service account there and mount its token")
		x.g.Connect(Edge{From: n, To: x.secretsNode(ns), Kind: EdgeReadSecrets, Analyzer: ByRBAC,
			Evidence: []string{"a pod created " + where(ns) + " can mount any Secret there as a volume or environment variables"}})
		x.createPod(n, ns)
	case classTokens:
		runAs("create serviceaccounts/token " + where(ns) + " mints a token of any service account there")
	case classImpersonateSA:
		runAs("impersonate serviceaccounts " + where(ns) + " acts as any service account there")
	case classExec:
		for _, w := range x.workloadsOf(ns) {
			x.g.Connect(Edge{From: n, To: w, Kind: EdgeExec, Analyzer: ByRBAC,
				Evidence: []string{"exec, attach or ephemeral containers " + where(ns) + " run commands in its pods"}})
		}
	}
	return n
}

func (x *ids) accountsIn(ns string) []*Node {
	if ns != "" {
		return x.accounts[ns]
	}
	var out []*Node
	for _, n := range x.g.Nodes {
		if n.Kind == KindServiceAccount {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (x *ids) workloadsOf(ns string) []*Node {
	if ns != "" {
		return x.workloadsIn[ns]
	}
	return x.g.Workloads()
}

// createPod connects the capability to create pods in ns to the node when Pod
// Security admission lets such a pod take its node over: the Namespace's
// pod-security.kubernetes.io/enforce label is absent (the admission default,
// privileged unless the cluster's configuration says otherwise) or "privileged"
// (an invalid value enforces restricted, as the admission does). Cluster-wide,
// some namespace always lacks enforcement as far as the input shows.
func (x *ids) createPod(n *Node, ns string) {
	node := x.hostNode()
	const takeover = "a pod there may be privileged, share the host's PID namespace or mount the node's filesystem"
	if ns == "" {
		ev := "create pods in every namespace, including those whose Pod Security admission does not enforce baseline"
		for _, name := range sortedKeys(x.namespaces) {
			if lvl, ok := x.namespaces[name].Labels[LabelPodSecurityEnforce]; !ok || lvl == string(psapi.LevelPrivileged) {
				ev = fmt.Sprintf("create pods in every namespace, namespace %s included, where Pod Security admission does not enforce baseline", name)
				break
			}
		}
		x.g.Connect(Edge{From: n, To: node, Kind: EdgeCreatePod, Analyzer: ByPSS, Evidence: []string{ev, takeover}})
		return
	}
	o := x.namespaces[ns]
	ref := finding.ObjectRef{APIVersion: "v1", Kind: "Namespace", Name: ns}
	fix := &finding.PathFix{Change: fmt.Sprintf("label namespace %s %s=baseline (or restricted)", ns, LabelPodSecurityEnforce),
		Object: &ref, Path: "metadata.labels", Cost: 1}
	var why string
	switch {
	case o == nil:
		why = fmt.Sprintf("namespace %s is not in the input: no %s label is known (the admission default, privileged unless configured otherwise, applies)", ns, LabelPodSecurityEnforce)
	default:
		loc := o.LocationOf("metadata.labels")
		fix.Location = &loc
		lvl, ok := o.Labels[LabelPodSecurityEnforce]
		if !ok {
			why = fmt.Sprintf("Namespace %s has no %s label (the admission default, privileged unless configured otherwise, applies)", ns, LabelPodSecurityEnforce)
			break
		}
		level, err := psapi.ParseLevel(lvl)
		if err != nil || level != psapi.LevelPrivileged {
			return // baseline or restricted (an invalid value enforces restricted)
		}
		why = fmt.Sprintf("Namespace %s enforces the privileged level (%s=%s)", ns, LabelPodSecurityEnforce, lvl)
	}
	x.g.Connect(Edge{From: n, To: node, Kind: EdgeCreatePod, Analyzer: ByPSS, Evidence: []string{why, takeover}, Fix: fix})
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
