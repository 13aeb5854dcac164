package attackpath

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/inventory"
)

// writeIdentityCluster writes a cluster of ns namespaces, each with per accounts,
// Roles and Deployments and twice as many RoleBindings (pods, secrets, exec and
// token grants mixed), plus group and user ClusterRoleBindings.
func writeIdentityCluster(t testing.TB, ns, per int) string {
	t.Helper()
	var b strings.Builder
	verbs := []string{"[pods]\n    verbs: [create]", "[secrets]\n    verbs: [get]", "[pods/exec]\n    verbs: [create]", "[serviceaccounts/token]\n    verbs: [create]", "[configmaps]\n    verbs: [get]"}
	for n := 0; n < ns; n++ {
		name := fmt.Sprintf("ns%d", n)
		level := "privileged"
		if n%2 == 0 {
			level = "baseline"
		}
		fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels:\n    pod-security.kubernetes.io/enforce: %s\n---\n", name, level)
		for i := 0; i < per; i++ {
			fmt.Fprintf(&b, "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa%d\n  namespace: %s\n---\n", i, name)
			fmt.Fprintf(&b, "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r%d\n  namespace: %s\nrules:\n  - apiGroups: [\"\"]\n    resources: %s\n---\n", i, name, verbs[(n+i)%len(verbs)])
			for k := 0; k < 2; k++ {
				fmt.Fprintf(&b, "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: b%d-%d\n  namespace: %s\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: r%d\nsubjects:\n  - kind: ServiceAccount\n    name: sa%d\n    namespace: %s\n---\n",
					i, k, name, (i+k)%per, (i*7+k)%per, name)
			}
			fmt.Fprintf(&b, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d%d\n  namespace: %s\nspec:\n  selector:\n    matchLabels:\n      app: d%d\n  template:\n    metadata:\n      labels:\n        app: d%d\n    spec:\n      serviceAccountName: sa%d\n      containers:\n        - name: c\n          image: registry.example.com/app:1\n          securityContext:\n            privileged: %v\n---\n",
				i, name, i, i, i, i%10 == 0)
		}
		fmt.Fprintf(&b, "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: view-%s\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: lister\nsubjects:\n  - kind: Group\n    name: system:serviceaccounts:%s\n  - kind: User\n    name: user%d\n---\n", name, name, n)
	}
	b.WriteString("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: lister\nrules:\n  - apiGroups: [\"\"]\n    resources: [\"secrets\"]\n    verbs: [\"list\"]\n")
	path := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// buildIdentity runs the workload and identity parts of Build alone.
func buildIdentity(inv *inventory.Inventory) *Graph {
	b := &builder{g: New(), inv: inv}
	b.workloads()
	b.identity()
	return b.g
}

// TestIdentityGenerated: on a generated cluster every account with a grant of its
// own reaches the capability, group-held ones included.
func TestIdentityGenerated(t *testing.T) {
	g := buildIdentity(load(t, writeIdentityCluster(t, 6, 5)))
	for n := 0; n < 6; n++ {
		for i := 0; i < 5; i++ {
			sa := fmt.Sprintf("serviceaccount:ns%d/sa%d", n, i)
			if edge(g, sa, "grant", "capability:secrets@cluster") == nil {
				t.Fatalf("%s: no group-held secrets@cluster", sa)
			}
		}
		// Odd namespaces are privileged: create pods there takes the node.
		if e := edge(g, fmt.Sprintf("capability:pods@ns%d", n), "create-pod", HostNode); (e != nil) != (n%2 == 1) {
			t.Errorf("ns%d: create-pod edge %v", n, e != nil)
		}
	}
}

// BenchmarkIdentity: the identity edges of 200 namespaces (2,000 accounts, roles
// and Deployments, 4,000 RoleBindings, 200 group ClusterRoleBindings).
func BenchmarkIdentity(b *testing.B) {
	inv := load(b, writeIdentityCluster(b, 200, 10))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buildIdentity(inv)
	}
}

// BenchmarkHost: the host edges of the same cluster.
func BenchmarkHost(b *testing.B) {
	inv := load(b, writeIdentityCluster(b, 200, 10))
	base := &builder{g: New(), inv: inv}
	base.workloads()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x := &builder{g: New(), inv: inv, objects: base.objects, net: base.net}
		for _, n := range base.g.Workloads() {
			x.g.Add(*n)
		}
		x.host()
	}
}
