package attackpath

import (
	"strings"
	"testing"
)

// edge returns the stored edge of a kind between two nodes, nil if there is none.
func edge(g *Graph, from, kind, to string) *Edge {
	f := g.Node(from)
	if f == nil {
		return nil
	}
	for _, e := range g.Out(f) {
		if string(e.Kind) == kind && e.To.ID == to {
			return e
		}
	}
	return nil
}

func dump(t *testing.T, g *Graph) {
	t.Helper()
	for _, n := range g.Nodes {
		for _, e := range g.Out(n) {
			t.Logf("%s -%s-> %s %q", e.From.ID, e.Kind, e.To.ID, e.Evidence)
		}
	}
}

// TestIdentityEdges: each capability class leads where doc.go says, group grants
// count, Pod Security labels decide create-pod, legacy token Secrets lead to their
// account, bootstrap grants count only with IncludeSystem.
func TestIdentityEdges(t *testing.T) {
	inv := load(t, "testdata/identity.yaml")
	g := Build(inv, Options{})
	want := []struct{ from, kind, to string }{
		{"serviceaccount:ci/deployer", "grant", "capability:pods@dev"},
		{"serviceaccount:ci/deployer", "grant", "capability:pods@lab"},
		{"capability:pods@dev", "create-pod", "node"},
		{"capability:pods@lab", "create-pod", "node"},
		{"capability:pods@dev", "run-as", "serviceaccount:dev/db"},
		{"capability:pods@dev", "read-secrets", "secrets:dev"},
		{"serviceaccount:dev/db", "grant", "capability:secrets@dev"},
		{"capability:secrets@dev", "read-secrets", "secrets:dev"},
		{"secrets:dev", "secret-token", "serviceaccount:dev/db"},
		{"secrets:*", "secret-token", "serviceaccount:dev/db"},
		{"identity:user:carol", "member", "capability:secrets@dev"},
		// The group binding reaches every account of ops and the group itself.
		{"serviceaccount:ops/agent", "grant", "capability:nodes-proxy@cluster"},
		{"identity:group:system:serviceaccounts:ops", "member", "capability:nodes-proxy@cluster"},
		{"capability:nodes-proxy@cluster", "nodes-proxy", "node"},
		{"identity:user:alice", "member", "capability:impersonate@cluster"},
		{"capability:impersonate@cluster", "escalate", "cluster-admin"},
		// bob's two halves of bind come from two bindings.
		{"identity:user:bob", "member", "capability:bind@cluster"},
		{"capability:bind@cluster", "escalate", "cluster-admin"},
		{"identity:user:erin", "member", "capability:secrets@cluster"},
		{"capability:secrets@cluster", "read-secrets", "secrets:*"},
		{"serviceaccount:web/shell", "grant", "capability:exec@web"},
		{"capability:exec@web", "exec", "workload:web/Deployment/api"},
		{"workload:web/Deployment/api", "token", "serviceaccount:web/api"},
		{"cluster-admin", "read-secrets", "secrets:*"},
	}
	for _, w := range want {
		if edge(g, w.from, w.kind, w.to) == nil {
			dump(t, g)
			t.Fatalf("no edge %s -%s-> %s", w.from, w.kind, w.to)
		}
	}
	absent := []struct{ from, kind, to string }{
		// prod enforces restricted: a pod there cannot take its node.
		{"capability:pods@prod", "create-pod", "node"},
		// dave holds only half of bind.
		{"identity:user:dave", "member", "capability:bind@cluster"},
		// quiet mounts no token.
		{"workload:web/Deployment/quiet", "token", "serviceaccount:web/default"},
		// A namespaced capability does not reach beyond its namespace.
		{"capability:pods@dev", "run-as", "serviceaccount:ci/deployer"},
	}
	for _, a := range absent {
		if e := edge(g, a.from, a.kind, a.to); e != nil {
			t.Errorf("unexpected edge %s -%s-> %s %q", a.from, a.kind, a.to, e.Evidence)
		}
	}
	if g.Node("identity:user:system:boot") != nil && len(g.Out(g.Node("identity:user:system:boot"))) > 0 {
		t.Errorf("bootstrap grants counted without IncludeSystem")
	}
	withSystem := Build(inv, Options{IncludeSystem: true})
	e := edge(withSystem, "identity:user:system:boot", "member", "capability:secrets@cluster")
	if e == nil || !strings.Contains(strings.Join(e.Evidence, "\n"), "(bootstrap policy)") {
		t.Errorf("IncludeSystem: bootstrap grant edge = %+v", e)
	}

	// Evidence: the grant chains, the Pod Security label.
	if e := edge(g, "serviceaccount:ops/agent", "grant", "capability:nodes-proxy@cluster"); !strings.Contains(e.Evidence[0], "ClusterRoleBinding ops-node-proxy -> ClusterRole node-proxy") ||
		!strings.HasPrefix(e.Evidence[0], "group:system:serviceaccounts:ops: ") {
		t.Errorf("group grant evidence = %q", e.Evidence)
	}
	if e := edge(g, "capability:pods@lab", "create-pod", "node"); e.Analyzer != ByPSS || !strings.Contains(e.Evidence[0], "enforce=privileged") {
		t.Errorf("create-pod evidence = %s %q", e.Analyzer, e.Evidence)
	}
	if e := edge(g, "capability:pods@dev", "create-pod", "node"); !strings.Contains(e.Evidence[0], "has no pod-security.kubernetes.io/enforce label") {
		t.Errorf("create-pod evidence = %q", e.Evidence)
	}
}

// TestIdentityFixes: a grant edge's fix names the binding, where it is and the
// subject to remove; when no single subject cuts the capability, every subject
// needed is named and the cost counts them.
func TestIdentityFixes(t *testing.T) {
	g := Build(load(t, "testdata/identity.yaml"), Options{})
	cases := []struct {
		from, kind, to string
		object, path   string
		cost           int
		change         string
	}{
		{"identity:user:alice", "member", "capability:impersonate@cluster", "ClusterRoleBinding/alice-impersonates", "subjects[0]", 1, "remove subjects[0] (user:alice)"},
		// Either half of bind cuts it: the first binding's subject.
		{"identity:user:bob", "member", "capability:bind@cluster", "ClusterRoleBinding/bob-binds", "subjects[0]", 1, "bob-binds"},
		{"serviceaccount:dev/db", "grant", "capability:secrets@dev", "RoleBinding/dev/db-secrets", "subjects[1]", 1, "sa:dev:db"},
		// The account holds it through its namespace's group.
		{"serviceaccount:ops/agent", "grant", "capability:nodes-proxy@cluster", "ClusterRoleBinding/ops-node-proxy", "subjects[0]", 1, "group:system:serviceaccounts:ops"},
		// Two bindings each give erin the capability: both subjects go, the one
		// that gives more needs first.
		{"identity:user:erin", "member", "capability:secrets@cluster", "ClusterRoleBinding/erin-lists-too", "subjects[1]", 2, "; remove subjects[0] (user:erin) from ClusterRoleBinding/erin-lists"},
		{"capability:pods@dev", "create-pod", "node", "Namespace/dev", "metadata.labels", 1, "pod-security.kubernetes.io/enforce=baseline"},
		{"secrets:dev", "secret-token", "serviceaccount:dev/db", "Secret/dev/db-token", "", 1, "delete the legacy token Secret dev/db-token"},
		{"workload:web/Deployment/api", "token", "serviceaccount:web/api", "Deployment/web/api", "spec.template.spec.automountServiceAccountToken", 1, "automountServiceAccountToken: false"},
	}
	for _, c := range cases {
		e := edge(g, c.from, c.kind, c.to)
		if e == nil {
			t.Fatalf("no edge %s -%s-> %s", c.from, c.kind, c.to)
		}
		f := e.Fix
		if f == nil || f.Object == nil || f.Location == nil || f.Location.Line == 0 {
			t.Errorf("%s -> %s: fix %+v has no object or location", c.from, c.to, f)
			continue
		}
		if f.Object.String() != c.object || f.Path != c.path || f.Cost != c.cost || !strings.Contains(f.Change, c.change) {
			t.Errorf("%s -> %s: fix = %s %q cost %d %q, want %s %q cost %d ~%q", c.from, c.to, f.Object, f.Path, f.Cost, f.Change, c.object, c.path, c.cost, c.change)
		}
	}
	// Inherent edges have no fix.
	if e := edge(g, "capability:impersonate@cluster", "escalate", "cluster-admin"); e.Fix != nil {
		t.Errorf("escalate fix = %+v", e.Fix)
	}
}

// TestIdentityPaths: identities are entries; a path from one crosses no workload
// and is cut at the binding.
func TestIdentityPaths(t *testing.T) {
	g := Build(load(t, "testdata/identity.yaml"), Options{})
	paths, err := g.Paths(Query{From: []string{"identity:user:alice"}, To: []string{ClusterAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 1 || paths[0].Text() != "User alice -> impersonate users or groups cluster-wide -> cluster-admin" {
		for _, p := range paths {
			t.Log(p.Text())
		}
		t.Fatalf("alice: %d paths", len(paths))
	}
	if f := paths[0].Fix; f == nil || f.Path != "subjects[0]" || f.Hop != 0 {
		t.Errorf("alice's fix = %+v", f)
	}
	// ci/deployer takes a node through dev or lab (not prod), and reads dev's
	// secrets by mounting them in a pod.
	paths, err = g.Paths(Query{From: []string{"identity:sa:ci:deployer"}, To: []string{HostNode, "secrets:dev"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range paths {
		got = append(got, p.Text())
	}
	all := strings.Join(got, "\n")
	if !strings.Contains(all, "ServiceAccount ci/deployer -> create pods in namespace dev -> a node (root on the host)") &&
		!strings.Contains(all, "ServiceAccount ci/deployer -> create pods in namespace lab -> a node (root on the host)") {
		t.Errorf("no path to the node:\n%s", all)
	}
	if strings.Contains(all, "namespace prod -> a node") {
		t.Errorf("a path through prod:\n%s", all)
	}
	if !strings.Contains(all, "ServiceAccount ci/deployer -> create pods in namespace dev -> the secrets of namespace dev") {
		t.Errorf("no path to dev's secrets:\n%s", all)
	}
}

// TestTokenSecretNeedsType: only Secrets of type kubernetes.io/service-account-token
// naming an account lead to it.
func TestTokenSecretNeedsType(t *testing.T) {
	g := Build(load(t, "testdata/tokens.yaml"), Options{})
	if edge(g, "secrets:a", "secret-token", "serviceaccount:a/real") == nil {
		dump(t, g)
		t.Errorf("no edge to a/real")
	}
	for _, n := range []string{"serviceaccount:a/opaque", "serviceaccount:a/"} {
		if edge(g, "secrets:a", "secret-token", n) != nil {
			t.Errorf("edge to %s", n)
		}
	}
}

// TestIdentityEntryIDs: the IDs of identity nodes are what ParseEntry makes of
// `--from identity:...`, colons in names included.
func TestIdentityEntryIDs(t *testing.T) {
	g := Build(load(t, "testdata/identity.yaml"), Options{})
	for _, from := range []string{"identity:group:system:serviceaccounts:ops", "identity:sa:ops:agent", "identity:user:carol"} {
		id, err := ParseEntry(from)
		if err != nil {
			t.Fatal(err)
		}
		if g.Node(id) == nil {
			t.Errorf("%s: no node %s", from, id)
		}
		paths, err := g.Paths(Query{From: []string{from}})
		if err != nil || len(paths) == 0 {
			t.Errorf("%s: %d paths, %v", from, len(paths), err)
		}
	}
}
