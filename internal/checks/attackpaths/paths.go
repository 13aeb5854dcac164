// Package attackpaths holds the attack-path rules (PAL-470..PAL-476): each path that
// internal/attackpath finds from an entry point to a target is a finding on its
// anchor, with the hops and their evidence (finding.PathEvidence) and the change
// that cuts it.
//
// A path's anchor is its pivot (the path's last workload, whose token or host access
// it uses), so that the workload's owner sees the finding, suppresses it with an
// annotation or fixes it. A path that crosses no workload (from an identity) is
// anchored on the binding of its first grant, at the subject that the binding
// names; failing that, on the entry's own object (a ServiceAccount).
package attackpaths

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/palisade-k8s/palisade/internal/attackpath"
	"github.com/palisade-k8s/palisade/internal/checks/catalog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// Rule IDs.
const (
	// InternetAdmin (PAL-470) carries the parameters every path rule shares.
	InternetAdmin   = "PAL-470"
	InternetNode    = "PAL-471"
	InternetSecrets = "PAL-472"
	PodAdmin        = "PAL-473"
	PodNode         = "PAL-474"
	PodSecrets      = "PAL-475"
	// Query (PAL-476) reports the paths of a query of its own (from, to), as
	// `palisade paths --from/--to` sets it.
	Query = "PAL-476"
)

// Shared parameters (on PAL-470) and the query's (on PAL-476).
const (
	ParamMaxDepth = "maxDepth"
	// ParamAllPaths ("true") lists, in each finding, the other simple paths
	// through the same pivot (`palisade paths --all`); otherwise they are counted.
	ParamAllPaths = "allPaths"
	ParamFrom     = "from"
	ParamTo       = "to"
)

// IDs lists the path rules.
var IDs = []string{InternetAdmin, InternetNode, InternetSecrets, PodAdmin, PodNode, PodSecrets, Query}

// Fixed lists the rules of a fixed (entry, target) pair: every rule but Query.
var Fixed = IDs[:len(IDs)-1]

const (
	catPaths = "attack-path"
	ref      = "https://kubernetes.io/docs/concepts/security/security-checklist/"
	refRBAC  = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"
	refNet   = "https://kubernetes.io/docs/concepts/services-networking/network-policies/"
	refPSA   = "https://kubernetes.io/docs/concepts/security/pod-security-admission/"
)

// pathRule is one rule: a fixed (entry, target) pair, or the configured query.
type pathRule struct {
	meta    rules.Meta
	entry   string
	target  string
	isQuery bool
}

const (
	whyNetwork = "a Service, Ingress or host port exposes the pods outside the cluster and the NetworkPolicies admit the traffic"
	whyPod     = "the NetworkPolicies admit pods of other namespaces (or none isolates the pods), so one compromised pod anywhere reaches them"
	whyToken   = "the pods (or pods they can reach) mount a service account token"
	fixPath    = "Apply the fix the finding names (the cheapest change that cuts the path, with the object and field to change); then review the other hops"
)

var pathRules = []pathRule{
	{entry: attackpath.Internet, target: attackpath.ClusterAdmin, meta: rules.Meta{
		ID: InternetAdmin, Title: "Attack path from the internet to cluster-admin", Severity: catalog.Critical,
		Rationale: "Every link of the chain is proven by an analyzer: " + whyNetwork + ", " + whyToken + ", and that account's bindings grant every permission or a cluster-wide path to it. " +
			"One remote code execution in an exposed container is then a takeover of the cluster.",
		Remediation: fixPath + ": an exposed workload should carry no API token it does not use.",
		References:  []string{ref, refRBAC},
		Frameworks:  rules.Frameworks{NSA: []string{catalog.NSASATokens}, Layer: catalog.LayerCluster},
		Params: []rules.Param{
			{Name: ParamMaxDepth, Description: "the longest path, in hops, that the attack-path rules (PAL-470..PAL-476) report", Default: strconv.Itoa(attackpath.DefaultMaxDepth),
				Valid: func(s string) error {
					n, err := strconv.Atoi(s)
					if err != nil || n < 1 || n > 32 {
						return fmt.Errorf("want a number of hops from 1 to 32")
					}
					return nil
				}},
			{Name: ParamAllPaths, Description: "\"true\": each attack-path finding (PAL-470..PAL-476) lists the other simple paths through the same workload, up to maxDepth (palisade paths --all); otherwise it counts them",
				Default: "false", Values: []string{"true", "false"}},
		},
	}},
	{entry: attackpath.Internet, target: attackpath.HostNode, meta: rules.Meta{
		ID: InternetNode, Title: "Attack path from the internet to a node", Severity: catalog.Critical,
		Rationale: "Every link of the chain is proven by an analyzer: " + whyNetwork + ", and the pods (or pods they reach, or pods their token can create) can take their node over: " +
			"privileged, the host's PID namespace, node-level capabilities, a hostPath of a sensitive node directory. Root on a node holds the kubelet's credentials and every pod scheduled there.",
		Remediation: fixPath + ": an exposed workload should never run with host access.",
		References:  []string{ref, catalog.RefPSS},
		Frameworks:  rules.Frameworks{NSA: []string{catalog.NSAPodSec}, Layer: catalog.LayerCluster},
	}},
	{entry: attackpath.Internet, target: "secrets", meta: rules.Meta{
		ID: InternetSecrets, Title: "Attack path from the internet to Secrets", Severity: catalog.High,
		Rationale: "Every link of the chain is proven by an analyzer: " + whyNetwork + ", " + whyToken + ", and that account can read the Secrets of a namespace " +
			"(or take an identity that can). The Secrets hold the credentials of the namespace's other workloads and of systems outside the cluster.",
		Remediation: fixPath + ": an exposed workload's account should read only the Secrets it names (resourceNames), if any.",
		References:  []string{ref, refRBAC},
		Frameworks:  rules.Frameworks{NSA: []string{catalog.NSASATokens}, Layer: catalog.LayerCluster},
	}},
	{entry: attackpath.AnyPod, target: attackpath.ClusterAdmin, meta: rules.Meta{
		ID: PodAdmin, Title: "Attack path from any pod to cluster-admin", Severity: catalog.High,
		Rationale: "Every link of the chain is proven by an analyzer: " + whyPod + ", " + whyToken + ", and that account's bindings grant every permission or a cluster-wide path to it. " +
			"A compromise of any workload of the cluster, however minor, becomes a takeover of the cluster.",
		Remediation: fixPath + ": isolate the workload that carries the powerful token with a NetworkPolicy, or take the token away.",
		References:  []string{ref, refNet, refRBAC},
		Frameworks:  rules.Frameworks{NSA: []string{catalog.NSASATokens}, Layer: catalog.LayerCluster},
	}},
	{entry: attackpath.AnyPod, target: attackpath.HostNode, meta: rules.Meta{
		ID: PodNode, Title: "Attack path from any pod to a node", Severity: catalog.High,
		Rationale: "Every link of the chain is proven by an analyzer: " + whyPod + ", and the pods (or pods they reach, or pods their token can create) can take their node over. " +
			"A compromise of any workload of the cluster becomes root on a node.",
		Remediation: fixPath + ": isolate workloads with host access with a NetworkPolicy, and drop the host access they do not need.",
		References:  []string{ref, refNet, refPSA},
		Frameworks:  rules.Frameworks{NSA: []string{catalog.NSAPodSec}, Layer: catalog.LayerCluster},
	}},
	{entry: attackpath.AnyPod, target: "secrets", meta: rules.Meta{
		ID: PodSecrets, Title: "Attack path from any pod to the Secrets of another namespace", Severity: catalog.Medium,
		Rationale: "Every link of the chain is proven by an analyzer: " + whyPod + ", " + whyToken + ", and that account can read Secrets. " +
			"Namespaces are then no boundary: a pod of one team reads the credentials of another.",
		Remediation: fixPath + ": isolate the namespace with a NetworkPolicy, or narrow the account's access to Secrets.",
		References:  []string{ref, refNet, refRBAC},
		Frameworks:  rules.Frameworks{NSA: []string{catalog.NSASATokens}, Layer: catalog.LayerCluster},
	}},
	{isQuery: true, meta: rules.Meta{
		ID: Query, Title: "Attack path of a configured query", Severity: catalog.Critical,
		Rationale: "The paths from the entries to the targets the configuration (or palisade paths --from/--to) names: a namespace, a workload or an identity presumed compromised, " +
			"and cluster-admin, the nodes, the Secrets of a namespace or a named workload. Each hop is proven by an analyzer. " +
			"The severity follows the target and the entry: cluster-admin and a node are critical from the internet and high from elsewhere, " +
			"Secrets high from the internet and medium from elsewhere, a workload medium from the internet and low from elsewhere. The rule is inactive until from and to are set.",
		Remediation: fixPath + ".",
		References:  []string{ref, refRBAC, refNet},
		Frameworks:  rules.Frameworks{NSA: []string{catalog.NSASATokens}, Layer: catalog.LayerCluster},
		Params: []rules.Param{
			{Name: ParamFrom, Required: true, Default: []string{}, Valid: validEntry,
				Description: "entry points: internet, pod, namespace:NS, workload:NS/KIND/NAME, identity:user:NAME, identity:group:NAME or identity:sa:NS:NAME"},
			{Name: ParamTo, Required: true, Default: []string{}, Valid: validTarget,
				Description: "targets: cluster-admin, node, secrets (of any namespace), secrets:NS or workload:NS/KIND/NAME"},
		},
	}},
}

func validEntry(s string) error {
	_, err := attackpath.ParseEntry(s)
	return err
}

func validTarget(s string) error {
	_, err := attackpath.ParseTarget(s)
	return err
}

func init() {
	needs := append([]inventory.AnyIndex{anchorIndex}, attackpath.Needs...)
	for i := range pathRules {
		pr := &pathRules[i]
		pr.meta.Category = catPaths
		// The rules read the graph, never a workload's body: they run on the
		// headers of the kinds that run pods (so no workload body outlives its
		// parse), and the query rule on bindings and ServiceAccounts too, since only
		// a query's entries (an identity) give paths that cross no workload.
		r := &rules.Rule{Meta: pr.meta, Needs: needs, Targets: rules.Scan | rules.Paths,
			Kinds: anchorKinds(pr.isQuery), HeaderOnly: true, Object: pr.check}
		rules.Register(r)
	}
}

// anchorKinds are the kinds a path's finding can be on: the built-in kinds that run
// pods (a kind that runs pods through the configuration's podTemplatePaths is a
// pivot in the graph, but its findings are not reported: docs/paths.md), and with
// the query rule's identity entries, bindings and ServiceAccounts.
func anchorKinds(query bool) []string {
	var kinds []string
	seen := map[string]bool{}
	for _, tp := range workload.BuiltinTemplatePaths {
		if !seen[tp.Kind] {
			seen[tp.Kind] = true
			kinds = append(kinds, tp.Kind)
		}
	}
	if query {
		kinds = append(kinds, "RoleBinding", "ClusterRoleBinding", "ServiceAccount")
	}
	return kinds
}

// anchorIndex holds, per rule and query, the paths by the object they are anchored
// on: each object's pass then reads its own paths instead of scanning all of them.
// Building it only remembers the inventory (the graph reads other indexes).
var anchorIndex = inventory.NewIndex("attack-path-anchors", attackpath.Index.Kinds(), func(inv *inventory.Inventory) *anchors {
	return &anchors{inv: inv, byQuery: map[string]*anchored{}}
})

type anchors struct {
	inv     *inventory.Inventory
	mu      sync.Mutex
	byQuery map[string]*anchored
}

// anchored are the paths of one query by anchor.
type anchored struct {
	once  sync.Once
	paths map[anchorKey][]anchoredPath
	err   error
}

type anchorKey struct{ kind, namespace, name string }

type anchoredPath struct {
	path  *attackpath.Path
	field string
}

func keyOf(r finding.ObjectRef) anchorKey { return anchorKey{r.Kind, r.Namespace, r.Name} }

// of returns the paths of the rule's query anchored on the object.
func (a *anchors) of(rule string, q attackpath.Query, o finding.ObjectRef) ([]anchoredPath, error) {
	k := fmt.Sprintf("%s\x00%q\x00%q\x00%d\x00%v", rule, q.From, q.To, q.MaxDepth, q.Others)
	a.mu.Lock()
	e := a.byQuery[k]
	if e == nil {
		e = &anchored{}
		a.byQuery[k] = e
	}
	a.mu.Unlock()
	e.once.Do(func() {
		paths, err := attackpath.Of(a.inv).Paths(q)
		if err != nil {
			e.err = err
			return
		}
		e.paths = map[anchorKey][]anchoredPath{}
		for _, p := range paths {
			if ref, field, ok := Anchor(p); ok {
				e.paths[keyOf(ref)] = append(e.paths[keyOf(ref)], anchoredPath{p, field})
			}
		}
	})
	return e.paths[keyOf(o)], e.err
}

// maxDepth is the shared depth bound.
func maxDepth(p *rules.Pass) int {
	v := p.StringsOf(InternetAdmin, ParamMaxDepth)
	if len(v) == 0 {
		return attackpath.DefaultMaxDepth
	}
	n, err := strconv.Atoi(v[0])
	if err != nil {
		return attackpath.DefaultMaxDepth
	}
	return n
}

// query is the rule's query; ok is false for the query rule while unconfigured.
func (pr *pathRule) query(p *rules.Pass) (attackpath.Query, bool) {
	q := attackpath.Query{MaxDepth: maxDepth(p)}
	if all := p.StringsOf(InternetAdmin, ParamAllPaths); len(all) > 0 && all[0] == "true" {
		q.Others = true
	}
	if !pr.isQuery {
		q.From, q.To = []string{pr.entry}, []string{pr.target}
		return q, true
	}
	q.From, q.To = p.Strings(ParamFrom), p.Strings(ParamTo)
	return q, len(q.From) > 0 && len(q.To) > 0
}

// check reports the rule's paths anchored on the object.
func (pr *pathRule) check(p *rules.Pass, o *inventory.Object) {
	q, ok := pr.query(p)
	if !ok {
		return
	}
	paths, err := inventory.Get(p.Inventory, anchorIndex).of(p.Rule.ID, q, o.Ref)
	if err != nil {
		p.Fail(err)
		return
	}
	g := attackpath.Of(p.Inventory)
	for _, ap := range paths {
		path, field := ap.path, ap.field
		// The search leaves the evidence of lateral hops to the paths it reports.
		g.Explain(path)
		sev := p.Rule.Severity
		if pr.isQuery {
			sev = lower(sev, Rank(path.Entry.ID, path.Target.ID))
		}
		p.ReportPath(sev, path.Evidence(), field, "%s. %s", path.Text(), fixText(path))
	}
}

// Anchor is the object a path's finding is on, and the field it points at: the
// pivot workload; for a path that crosses none, the binding of its first grant at
// the subject it names; else the entry's own object.
func Anchor(path *attackpath.Path) (finding.ObjectRef, string, bool) {
	if path.Pivot != nil && path.Pivot.Object != nil {
		return *path.Pivot.Object, "", true
	}
	for _, e := range path.Edges {
		if e.Kind == attackpath.EdgeGrant && e.Fix != nil && e.Fix.Object != nil {
			return *e.Fix.Object, e.Fix.Path, true
		}
	}
	if path.Entry != nil && path.Entry.Object != nil {
		return *path.Entry.Object, "", true
	}
	return finding.ObjectRef{}, "", false
}

// Rank is how many steps below critical a path from entry to target is: cluster-admin
// and a node 0, Secrets 1, a workload 2, one more from anywhere but the internet.
func Rank(entry, target string) int {
	n := 0
	switch {
	case target == attackpath.ClusterAdmin, target == attackpath.HostNode:
	case strings.HasPrefix(target, "secrets"):
		n = 1
	default:
		n = 2
	}
	if entry != attackpath.Internet {
		n++
	}
	return n
}

// lower is s lowered by n steps (info at the least).
func lower(s finding.Severity, n int) finding.Severity {
	s -= finding.Severity(n)
	if s < finding.Info {
		s = finding.Info
	}
	return s
}

func fixText(path *attackpath.Path) string {
	if path.Fix == nil {
		return "No hop can be cut by a change to the input."
	}
	s := "Fix: " + path.Fix.Change
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
