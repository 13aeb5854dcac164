package exposure

// Identity: what a workload's pods can do with their service account token, from the
// RBAC risk analysis of internal/rbac (every binding that names the account or a
// group it is in, with the RBAC authorizer's matching). The capabilities are those of
// the subject-level RBAC rules (PAL-330..PAL-343), grouped by what they give an
// attacker who holds the token; each has a score cluster-wide (or in kube-system) and
// in other namespaces (see the package doc).

import (
	"sort"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rbac"
)

const maxIdentity = 4

// capability is a risk class with its scores and the phrase a reason starts with.
type capability struct {
	class rbac.RiskClass
	// phrase describes the capability ("can read secrets").
	phrase string
	// cluster is the score cluster-wide or in kube-system, namespaced elsewhere (0:
	// the capability needs cluster-scoped permissions).
	cluster, namespaced int
}

const (
	rbacGroup = "rbac.authorization.k8s.io"
	capAdmin  = "admin"
)

func probe(verb, group, resource, sub string) rbac.Probe {
	return rbac.Probe{Verb: verb, Group: group, Resource: resource, Subresource: sub}
}

func probes(verbs []string, group string, resources ...string) []rbac.Probe {
	var out []rbac.Probe
	for _, r := range resources {
		for _, v := range verbs {
			out = append(out, probe(v, group, r, ""))
		}
	}
	return out
}

var (
	putVerbs   = []string{"create", "update", "patch"}
	writeVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}
	anyVerbs   = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
)

// capabilities are the classes the analysis looks for, most dangerous first.
var capabilities = []capability{
	{phrase: "holds every permission", cluster: 4, namespaced: 3, class: rbac.RiskClass{ID: capAdmin,
		Needs: []rbac.Need{{Name: "every verb on every resource", Any: []rbac.Probe{probe("*", "*", "*", "")}}}}},
	{phrase: "can escalate through role edits", cluster: 4, namespaced: 3, class: rbac.RiskClass{ID: "escalate",
		Needs: []rbac.Need{
			{Name: "escalate roles", Any: []rbac.Probe{probe("escalate", rbacGroup, "roles", "")}},
			{Name: "write roles", Any: probes(putVerbs, rbacGroup, "roles")},
			{Name: "escalate clusterroles", Cluster: true, Any: []rbac.Probe{probe("escalate", rbacGroup, "clusterroles", "")}},
			{Name: "write clusterroles", Cluster: true, Any: probes(putVerbs, rbacGroup, "clusterroles")},
		},
		Paths: [][]int{{0, 1}, {2, 3}}}},
	{phrase: "can bind any role", cluster: 4, namespaced: 3, class: rbac.RiskClass{ID: "bind",
		Needs: []rbac.Need{
			{Name: "bind roles or clusterroles in a namespace", Any: []rbac.Probe{probe("bind", rbacGroup, "roles", ""), probe("bind", rbacGroup, "clusterroles", "")}},
			{Name: "write rolebindings", Any: probes(putVerbs, rbacGroup, "rolebindings")},
			{Name: "bind clusterroles", Cluster: true, Any: []rbac.Probe{probe("bind", rbacGroup, "clusterroles", "")}},
			{Name: "write clusterrolebindings", Cluster: true, Any: probes(putVerbs, rbacGroup, "clusterrolebindings")},
		},
		Paths: [][]int{{0, 1}, {2, 3}}}},
	{phrase: "can impersonate other identities", cluster: 4, namespaced: 3, class: rbac.RiskClass{ID: "impersonate",
		Needs: []rbac.Need{
			{Name: "impersonate users", Cluster: true, Any: []rbac.Probe{probe("impersonate", "", "users", "")}},
			{Name: "impersonate groups", Cluster: true, Any: []rbac.Probe{probe("impersonate", "", "groups", "")}},
			{Name: "impersonate serviceaccounts", Any: []rbac.Probe{probe("impersonate", "", "serviceaccounts", "")}},
		}}},
	{phrase: "can run commands on nodes through nodes/proxy", cluster: 4, class: rbac.RiskClass{ID: "nodes-proxy",
		Needs: []rbac.Need{{Name: "nodes/proxy", Cluster: true, Any: func() []rbac.Probe {
			var out []rbac.Probe
			for _, v := range anyVerbs {
				out = append(out, probe(v, "", "nodes", "proxy"))
			}
			return out
		}()}}}},
	{phrase: "can issue client certificates for any user", cluster: 4, class: rbac.RiskClass{ID: "csr",
		Needs: []rbac.Need{
			{Name: "create certificatesigningrequests", Cluster: true, Any: []rbac.Probe{probe("create", "certificates.k8s.io", "certificatesigningrequests", "")}},
			{Name: "approve certificatesigningrequests", Cluster: true, Any: []rbac.Probe{
				probe("update", "certificates.k8s.io", "certificatesigningrequests", "approval"),
				probe("patch", "certificates.k8s.io", "certificatesigningrequests", "approval")}},
			{Name: "approve for the kube-apiserver-client signer", Cluster: true, Any: []rbac.Probe{
				{Verb: "approve", Group: "certificates.k8s.io", Resource: "signers", Name: "kubernetes.io/kube-apiserver-client"},
				{Verb: "approve", Group: "certificates.k8s.io", Resource: "signers", Name: "kubernetes.io/*"},
			}},
		},
		Paths: [][]int{{0, 1, 2}}}},
	{phrase: "can read secrets", cluster: 3, namespaced: 2, class: rbac.RiskClass{ID: "secrets",
		Needs: []rbac.Need{
			{Name: "get secrets", Any: []rbac.Probe{probe("get", "", "secrets", "")}},
			{Name: "list secrets", Any: []rbac.Probe{probe("list", "", "secrets", "")}},
			{Name: "watch secrets", Any: []rbac.Probe{probe("watch", "", "secrets", "")}},
		}}},
	{phrase: "can create pods or pod controllers", cluster: 3, namespaced: 2, class: rbac.RiskClass{ID: "pods",
		Needs: []rbac.Need{
			{Name: "create pods", Any: []rbac.Probe{probe("create", "", "pods", "")}},
			{Name: "write pod controllers", Any: append(append(append(
				probes(putVerbs, "apps", "deployments", "daemonsets", "statefulsets", "replicasets"),
				probes(putVerbs, "batch", "jobs", "cronjobs")...),
				probes(putVerbs, "", "replicationcontrollers")...),
				probes(putVerbs, "", "podtemplates")...)},
		}}},
	{phrase: "can exec into pods", cluster: 3, namespaced: 2, class: rbac.RiskClass{ID: "exec",
		Needs: []rbac.Need{
			{Name: "exec into pods", Any: []rbac.Probe{probe("create", "", "pods", "exec"), probe("get", "", "pods", "exec")}},
			{Name: "attach to pods", Any: []rbac.Probe{probe("create", "", "pods", "attach"), probe("get", "", "pods", "attach")}},
			{Name: "add ephemeral containers", Any: []rbac.Probe{probe("update", "", "pods", "ephemeralcontainers"), probe("patch", "", "pods", "ephemeralcontainers")}},
		}}},
	{phrase: "can create service account tokens", cluster: 3, namespaced: 2, class: rbac.RiskClass{ID: "tokens",
		Needs: []rbac.Need{{Name: "create serviceaccounts/token", Any: []rbac.Probe{probe("create", "", "serviceaccounts", "token")}}}}},
	{phrase: "can change admission control", cluster: 3, class: rbac.RiskClass{ID: "admission",
		Needs: []rbac.Need{{Name: "write admission configuration", Cluster: true, Any: probes(writeVerbs, "admissionregistration.k8s.io",
			"validatingwebhookconfigurations", "mutatingwebhookconfigurations", "validatingadmissionpolicies", "validatingadmissionpolicybindings",
			"mutatingadmissionpolicies", "mutatingadmissionpolicybindings")}}}},
	{phrase: "can create PersistentVolumes", cluster: 3, class: rbac.RiskClass{ID: "pv",
		Needs: []rbac.Need{{Name: "create persistentvolumes", Cluster: true, Any: []rbac.Probe{probe("create", "", "persistentvolumes", "")}}}}},
	{phrase: "can write RBAC objects", cluster: 2, namespaced: 1, class: rbac.RiskClass{ID: "rbac-write",
		Needs: []rbac.Need{
			{Name: "write roles or rolebindings", Any: probes(writeVerbs, rbacGroup, "roles", "rolebindings")},
			{Name: "write clusterroles or clusterrolebindings", Cluster: true, Any: probes(writeVerbs, rbacGroup, "clusterroles", "clusterrolebindings")},
		}}},
	{phrase: "can modify nodes", cluster: 2, class: rbac.RiskClass{ID: "nodes",
		Needs: []rbac.Need{{Name: "patch or update nodes", Cluster: true, Any: probes([]string{"update", "patch"}, "", "nodes")}}}},
}

func capabilityOf(id string) *capability {
	for i := range capabilities {
		if capabilities[i].class.ID == id {
			return &capabilities[i]
		}
	}
	return nil
}

// identities are, for each workload the RBAC model read, the account its pods run as
// and whether they hold its token, and the capabilities of each account (computed on
// first use, under model.mu).
type identities struct {
	analysis  *rbac.RiskAnalysis
	workloads map[workloadKey]rbac.WorkloadRef
	held      map[rbac.Subject][]string
	scores    map[rbac.Subject]int
}

// workloadKey is how the RBAC model names a workload.
type workloadKey struct{ kind, namespace, name string }

func buildIdentities(inv *inventory.Inventory) *identities {
	ids := &identities{workloads: map[workloadKey]rbac.WorkloadRef{}, held: map[rbac.Subject][]string{}, scores: map[rbac.Subject]int{}}
	m, _, err := rbac.Build(inv.Objects, rbac.Options{})
	if err != nil {
		return ids
	}
	classes := make([]rbac.RiskClass, len(capabilities))
	for i := range capabilities {
		classes[i] = capabilities[i].class
	}
	ids.analysis = m.AnalyzeRisks(classes)
	for _, sa := range ids.analysis.ServiceAccountsWithWorkloads() {
		for _, w := range ids.analysis.Workloads(sa) {
			if w.Namespace == sa.Namespace && w.ServiceAccount == sa.Name {
				ids.workloads[workloadKey{w.Kind, w.Namespace, w.Name}] = w
			}
		}
	}
	return ids
}

// of returns the service account whose token the workload's pods hold ("" when they
// hold none), what it can do and the identity score.
func (ids *identities) of(ref finding.ObjectRef) (string, []string, int) {
	w, ok := ids.workloads[workloadKey{ref.Kind, ref.Namespace, ref.Name}]
	if !ok || !w.Token {
		return "", nil, 0
	}
	sa := rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: w.Namespace, Name: w.ServiceAccount}
	held, done := ids.held[sa]
	if !done {
		held, ids.scores[sa] = describe(ids.analysis.Holds(sa))
		ids.held[sa] = held
	}
	return sa.Namespace + "/" + sa.Name, held, ids.scores[sa]
}

// describe turns an account's risks into reasons (most dangerous first) and the
// identity score.
func describe(risks []rbac.Risk) ([]string, int) {
	type reason struct {
		text  string
		score int
	}
	var rs []reason
	score := 0
	for _, rk := range risks {
		if rk.Class == capAdmin && rk.Reach.ClusterWide {
			// Every other capability follows: say it once.
			return []string{"cluster-admin equivalent"}, maxIdentity
		}
	}
	for _, rk := range risks {
		c := capabilityOf(rk.Class)
		if c == nil {
			continue
		}
		s := c.namespaced
		if rk.Reach.ClusterWide || rk.Reach.Includes("kube-system") {
			s = c.cluster
		}
		if s == 0 {
			continue
		}
		score = max(score, s)
		rs = append(rs, reason{c.phrase + " " + rk.Reach.Text(), s})
	}
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].score != rs[j].score {
			return rs[i].score > rs[j].score
		}
		return rs[i].text < rs[j].text
	})
	var out []string
	for _, r := range rs {
		out = append(out, r.text)
	}
	return out, min(score, maxIdentity)
}
