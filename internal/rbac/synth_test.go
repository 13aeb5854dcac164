package rbac

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// synthetic describes a generated cluster's RBAC: roles and bindings spread over
// namespaces, a tenth of them cluster-scoped, some ClusterRoles aggregated, and
// workloads running as the generated service accounts.
type synthetic struct {
	namespaces, roles, bindings, workloads int
	seed                                   uint64
	// risky adds the resources of the risk classes (impersonation targets, CSRs and
	// signers, nodes/proxy, persistent volumes, webhook configurations, ...) to the
	// resources rules draw from.
	risky bool
}

func (s synthetic) String() string {
	return fmt.Sprintf("roles=%d/bindings=%d", s.roles, s.bindings)
}

var (
	synthVerbs     = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "*", "escalate", "bind", "impersonate"}
	synthResources = []string{"pods", "pods/log", "pods/exec", "secrets", "configmaps", "services", "deployments", "deployments/scale", "*/scale", "nodes", "roles", "rolebindings", "jobs", "events", "serviceaccounts/token", "*", "widgets", "ingresses"}
	synthGroups    = []string{"", "apps", "batch", "rbac.authorization.k8s.io", "networking.k8s.io", "example.com", "*"}
)

func pick[T any](r *rand.Rand, list []T, n int) []T {
	out := make([]T, 0, n)
	for range n {
		out = append(out, list[r.IntN(len(list))])
	}
	return out
}

func yamlList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

var (
	riskyVerbs     = append(append([]string(nil), synthVerbs...), "approve")
	riskyResources = append(append([]string(nil), synthResources...), "users", "groups", "serviceaccounts", "uids", "userextras/scopes",
		"certificatesigningrequests", "certificatesigningrequests/approval", "signers", "nodes/proxy", "persistentvolumes",
		"clusterroles", "clusterrolebindings", "validatingwebhookconfigurations", "mutatingwebhookconfigurations", "pods/attach",
		"pods/ephemeralcontainers", "pods/portforward", "replicationcontrollers", "daemonsets", "cronjobs")
	riskyGroups = append(append([]string(nil), synthGroups...), "certificates.k8s.io", "admissionregistration.k8s.io", "authentication.k8s.io", "events.k8s.io")
)

func (s synthetic) rules(r *rand.Rand) string {
	var sb strings.Builder
	verbs, resources, groups := synthVerbs, synthResources, synthGroups
	if s.risky {
		verbs, resources, groups = riskyVerbs, riskyResources, riskyGroups
	}
	for range 2 + r.IntN(5) {
		fmt.Fprintf(&sb, "- apiGroups: %s\n  resources: %s\n  verbs: %s\n", yamlList(pick(r, groups, 1+r.IntN(2))),
			yamlList(pick(r, resources, 1+r.IntN(3))), yamlList(pick(r, verbs, 1+r.IntN(3))))
		if s.risky && r.IntN(15) == 0 {
			fmt.Fprintf(&sb, "  resourceNames: [%q]\n", pick(r, []string{"kubernetes.io/*", "kubernetes.io/kube-apiserver-client", "example.com/signer"}, 1)[0])
		} else if r.IntN(10) == 0 {
			fmt.Fprintf(&sb, "  resourceNames: [n%d, n%d]\n", r.IntN(20), r.IntN(20))
		}
	}
	return sb.String()
}

func (s synthetic) subject(r *rand.Rand, ns string, cluster bool) string {
	if s.risky && r.IntN(40) == 0 {
		// The groups the authenticator gives, so that a subject holds through them too.
		// In a ClusterRoleBinding only a namespace's service accounts: a random
		// cluster-wide grant to every authenticated identity would, sooner or later,
		// make everyone cluster-admin and leave nothing else to find.
		g := pick(r, []string{"system:serviceaccounts:" + ns, "system:serviceaccounts", "system:authenticated"}, 1)[0]
		if cluster {
			g = "system:serviceaccounts:" + ns
		}
		return fmt.Sprintf("- kind: Group\n  apiGroup: rbac.authorization.k8s.io\n  name: %s\n", g)
	}
	switch r.IntN(10) {
	case 0, 1, 2:
		return fmt.Sprintf("- kind: User\n  apiGroup: rbac.authorization.k8s.io\n  name: user-%d\n", r.IntN(s.bindings/4+1))
	case 3:
		return fmt.Sprintf("- kind: Group\n  apiGroup: rbac.authorization.k8s.io\n  name: group-%d\n", r.IntN(s.bindings/40+1))
	default:
		return fmt.Sprintf("- kind: ServiceAccount\n  name: sa-%d\n  namespace: %s\n", r.IntN(20), ns)
	}
}

// yaml writes the cluster as manifests.
func (s synthetic) yaml() string {
	r := rand.New(rand.NewPCG(s.seed, 7))
	var sb strings.Builder
	ns := func(i int) string { return fmt.Sprintf("ns-%d", i%s.namespaces) }
	clusterRoles := s.roles / 10
	for i := range clusterRoles {
		fmt.Fprintf(&sb, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: cr-%d\n  labels: {agg: a%d}\n", i, i%50)
		if i < clusterRoles/100 { // 1% aggregate the roles of one label
			fmt.Fprintf(&sb, "aggregationRule:\n  clusterRoleSelectors:\n  - matchLabels: {agg: a%d}\nrules: []\n", 1+i%49)
			continue
		}
		sb.WriteString("rules:\n" + s.rules(r))
	}
	for i := range s.roles - clusterRoles {
		fmt.Fprintf(&sb, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: role-%d\n  namespace: %s\nrules:\n%s", i, ns(i), s.rules(r))
	}
	for i := range s.bindings {
		n := ns(r.IntN(s.namespaces))
		if i%10 == 0 {
			fmt.Fprintf(&sb, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: crb-%d\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cr-%d}\nsubjects:\n", i, r.IntN(clusterRoles))
		} else if r.IntN(3) == 0 {
			fmt.Fprintf(&sb, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: rb-%d\n  namespace: %s\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cr-%d}\nsubjects:\n", i, n, r.IntN(clusterRoles))
		} else {
			// A Role of the binding's namespace (roles are spread round-robin).
			k := r.IntN((s.roles-clusterRoles)/s.namespaces)*s.namespaces + r.IntN(s.namespaces)
			n = ns(k)
			fmt.Fprintf(&sb, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: rb-%d\n  namespace: %s\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: role-%d}\nsubjects:\n", i, n, k)
		}
		for range 1 + r.IntN(3) {
			sb.WriteString(s.subject(r, n, i%10 == 0))
		}
	}
	for i := range s.workloads {
		fmt.Fprintf(&sb, "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-%d\n  namespace: %s\nspec:\n  template:\n    spec:\n      serviceAccountName: sa-%d\n      containers: [{name: c, image: nginx}]\n", i, ns(i), r.IntN(20))
	}
	return sb.String()
}
