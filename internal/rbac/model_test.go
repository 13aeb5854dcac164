package rbac

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/source"
)

// build loads YAML documents (joined with ---) through the scan loader and builds the
// model.
func build(t testing.TB, docs ...string) (*Model, []Problem) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "in.yaml")
	if err := os.WriteFile(p, []byte(strings.Join(docs, "\n---\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	m, problems, errs, err := fromSource(&source.Files{Paths: []string{p}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) > 0 {
		t.Fatalf("input errors: %v", errs)
	}
	return m, problems
}

func clusterRole(name, rules string) string {
	return "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: " + name + "\nrules:\n" + rules
}

func nsRole(ns, name, rules string) string {
	return "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\nrules:\n" + rules
}

// bind writes a ClusterRoleBinding (ns "") or RoleBinding; subjects are KIND:NAME or
// ServiceAccount:NS:NAME (NS may be empty).
func bind(ns, name, roleKind, roleName string, subjects ...string) string {
	kind, meta := "ClusterRoleBinding", "  name: "+name+"\n"
	if ns != "" {
		kind, meta = "RoleBinding", meta+"  namespace: "+ns+"\n"
	}
	s := "apiVersion: rbac.authorization.k8s.io/v1\nkind: " + kind + "\nmetadata:\n" + meta +
		"roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: " + roleKind + "\n  name: " + roleName + "\nsubjects:\n"
	for _, sub := range subjects {
		parts := strings.Split(sub, ":")
		switch parts[0] {
		case "ServiceAccount":
			s += "- kind: ServiceAccount\n  name: " + parts[2] + "\n"
			if parts[1] != "" {
				s += "  namespace: " + parts[1] + "\n"
			}
		default:
			s += "- kind: " + parts[0] + "\n  apiGroup: rbac.authorization.k8s.io\n  name: " + strings.Join(parts[1:], ":") + "\n"
		}
	}
	return s
}

func res(user UserInfo, verb, group, resource, sub, ns, name string) Attributes {
	return Attributes{User: user, Verb: verb, ResourceRequest: true, APIGroup: group, Resource: resource, Subresource: sub, Namespace: ns, Name: name}
}

func url(user UserInfo, verb, path string) Attributes {
	return Attributes{User: user, Verb: verb, Path: path}
}

var alice = UserInfo{Name: "alice", Groups: []string{GroupAuthenticated}}

type authCase struct {
	name string
	a    Attributes
	want bool
}

func checkAuth(t *testing.T, m *Model, cases []authCase) {
	t.Helper()
	for _, c := range cases {
		d := m.Authorize(c.a)
		if d.Allowed != c.want {
			t.Errorf("%s: Authorize(%+v) = %v (%s), want %v", c.name, c.a, d.Allowed, d.Reason, c.want)
		}
		// WhoCan must agree with Authorize for the user.
		found := false
		for _, ans := range m.WhoCan(c.a) {
			for _, g := range ans.Grants {
				if applies(ans.Subject, c.a.User) && g.Subject == ans.Subject {
					found = true
				}
			}
		}
		if found != (c.want && len(d.Grants) > 0) {
			t.Errorf("%s: WhoCan lists the user: %v, Authorize grants: %d", c.name, found, len(d.Grants))
		}
	}
}

func applies(s Subject, u UserInfo) bool {
	if s.Kind == KindGroup {
		return has(u.Groups, s.Name)
	}
	return s.Username() == u.Name
}

func TestWildcardsAndSubresources(t *testing.T) {
	m, problems := build(t,
		clusterRole("star", "- apiGroups: ['*']\n  resources: ['*']\n  verbs: ['*']\n"),
		clusterRole("pods", "- apiGroups: ['']\n  resources: ['pods']\n  verbs: ['get', 'list']\n"),
		clusterRole("scale", "- apiGroups: ['*']\n  resources: ['*/scale']\n  verbs: ['update']\n"),
		clusterRole("logs", "- apiGroups: ['']\n  resources: ['pods/log']\n  verbs: ['get']\n"),
		clusterRole("apps", "- apiGroups: ['apps']\n  resources: ['deployments']\n  verbs: ['*']\n"),
		bind("", "star", "ClusterRole", "star", "User:root"),
		bind("", "pods", "ClusterRole", "pods", "User:alice"),
		bind("", "scale", "ClusterRole", "scale", "User:scaler"),
		bind("", "logs", "ClusterRole", "logs", "User:logger"),
		bind("", "apps", "ClusterRole", "apps", "User:deployer"),
	)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	u := func(n string) UserInfo { return UserInfo{Name: n, Groups: []string{GroupAuthenticated}} }
	checkAuth(t, m, []authCase{
		{"* matches any group/resource/verb", res(u("root"), "escalate", "rbac.authorization.k8s.io", "clusterroles", "", "", "x"), true},
		{"* matches subresources", res(u("root"), "create", "", "pods", "exec", "ns", "p"), true},
		{"pods matches pods", res(alice, "get", "", "pods", "", "ns", "p"), true},
		{"pods does not match pods/status", res(alice, "get", "", "pods", "status", "ns", "p"), false},
		{"pods does not match pods/log", res(alice, "get", "", "pods", "log", "ns", "p"), false},
		{"verb must match", res(alice, "delete", "", "pods", "", "ns", "p"), false},
		{"group must match", res(alice, "get", "apps", "pods", "", "ns", "p"), false},
		{"*/scale matches deployments/scale", res(u("scaler"), "update", "apps", "deployments", "scale", "ns", "d"), true},
		{"*/scale matches replicationcontrollers/scale", res(u("scaler"), "update", "", "replicationcontrollers", "scale", "ns", "d"), true},
		{"*/scale does not match the resource", res(u("scaler"), "update", "apps", "deployments", "", "ns", "d"), false},
		{"*/scale does not match other subresources", res(u("scaler"), "update", "apps", "deployments", "status", "ns", "d"), false},
		{"pods/log matches", res(u("logger"), "get", "", "pods", "log", "ns", "p"), true},
		{"pods/log does not match pods", res(u("logger"), "get", "", "pods", "", "ns", "p"), false},
		{"* verb", res(u("deployer"), "deletecollection", "apps", "deployments", "", "ns", ""), true},
		{"nobody", res(u("bob"), "get", "", "pods", "", "ns", "p"), false},
	})
}

func TestResourceNames(t *testing.T) {
	m, _ := build(t,
		clusterRole("named", "- apiGroups: ['']\n  resources: ['configmaps']\n  resourceNames: ['cfg']\n  verbs: ['get', 'list', 'watch', 'create', 'delete', 'deletecollection', 'update']\n"),
		bind("", "named", "ClusterRole", "named", "User:alice"),
	)
	checkAuth(t, m, []authCase{
		{"get by name", res(alice, "get", "", "configmaps", "", "ns", "cfg"), true},
		{"get other name", res(alice, "get", "", "configmaps", "", "ns", "other"), false},
		{"update by name", res(alice, "update", "", "configmaps", "", "ns", "cfg"), true},
		{"list without name", res(alice, "list", "", "configmaps", "", "ns", ""), false},
		{"watch without name", res(alice, "watch", "", "configmaps", "", "ns", ""), false},
		{"create without name", res(alice, "create", "", "configmaps", "", "ns", ""), false},
		{"deletecollection without name", res(alice, "deletecollection", "", "configmaps", "", "ns", ""), false},
		{"list with fieldSelector name (request carries the name)", res(alice, "list", "", "configmaps", "", "ns", "cfg"), true},
	})
}

func TestNonResourceURLs(t *testing.T) {
	m, _ := build(t,
		clusterRole("exact", "- nonResourceURLs: ['/healthz']\n  verbs: ['get']\n"),
		clusterRole("prefix", "- nonResourceURLs: ['/apis/*']\n  verbs: ['get']\n"),
		clusterRole("all", "- nonResourceURLs: ['*']\n  verbs: ['get']\n"),
		bind("", "exact", "ClusterRole", "exact", "User:alice"),
		bind("", "prefix", "ClusterRole", "prefix", "User:bob"),
		bind("", "all", "ClusterRole", "all", "User:carol"),
	)
	bob := UserInfo{Name: "bob"}
	carol := UserInfo{Name: "carol"}
	checkAuth(t, m, []authCase{
		{"exact", url(alice, "get", "/healthz"), true},
		{"exact is not a prefix", url(alice, "get", "/healthz/etcd"), false},
		{"exact verb", url(alice, "post", "/healthz"), false},
		{"prefix", url(bob, "get", "/apis/apps/v1"), true},
		{"prefix itself", url(bob, "get", "/apis/"), true},
		{"prefix without slash", url(bob, "get", "/apis"), false},
		{"prefix elsewhere", url(bob, "get", "/api/v1"), false},
		{"star", url(carol, "get", "/metrics"), true},
		{"url rule does not grant resources", res(carol, "get", "", "pods", "", "", ""), false},
	})
}

func TestBindingScopes(t *testing.T) {
	m, problems := build(t,
		clusterRole("reader", "- apiGroups: ['']\n  resources: ['secrets', 'nodes']\n  verbs: ['get']\n"),
		nsRole("a", "local", "- apiGroups: ['']\n  resources: ['configmaps', 'nodes']\n  verbs: ['get']\n"),
		nsRole("b", "local", "- apiGroups: ['']\n  resources: ['pods']\n  verbs: ['get']\n"),
		bind("a", "rb-cr", "ClusterRole", "reader", "User:alice"),
		bind("a", "rb-role", "Role", "local", "User:bob"),
		bind("b", "rb-role", "Role", "local", "User:bob"),
		bind("c", "rb-missing", "Role", "local", "User:carol"),
		bind("", "crb-missing", "ClusterRole", "nope", "User:carol"),
	)
	bob := UserInfo{Name: "bob"}
	checkAuth(t, m, []authCase{
		{"RoleBinding to ClusterRole grants in its namespace", res(alice, "get", "", "secrets", "", "a", "s"), true},
		{"... not in another", res(alice, "get", "", "secrets", "", "b", "s"), false},
		{"... not cluster-wide", res(alice, "get", "", "secrets", "", "", "s"), false},
		{"Role looked up in the binding's namespace", res(bob, "get", "", "configmaps", "", "a", "c"), true},
		{"same-named Role of another namespace", res(bob, "get", "", "configmaps", "", "b", "c"), false},
		{"b's Role in b", res(bob, "get", "", "pods", "", "b", "p"), true},
		{"cluster-scoped resource via RoleBinding matches a namespaced request", res(bob, "get", "", "nodes", "", "a", "n"), true},
		{"... but not the cluster-wide request", res(bob, "get", "", "nodes", "", "", "n"), false},
		{"missing Role grants nothing", res(UserInfo{Name: "carol"}, "get", "", "pods", "", "c", "p"), false},
	})
	want := []string{"RoleBinding/c/rb-missing", "ClusterRoleBinding/crb-missing"}
	for _, w := range want {
		found := false
		for _, p := range problems {
			found = found || p.Ref.String() == w
		}
		if !found {
			t.Errorf("no problem reported for %s: %v", w, problems)
		}
	}
}

func TestSubjects(t *testing.T) {
	m, problems := build(t,
		clusterRole("r", "- apiGroups: ['']\n  resources: ['pods']\n  verbs: ['get']\n"),
		bind("", "crb-sa", "ClusterRole", "r", "ServiceAccount:ns1:app"),
		bind("", "crb-sa-nons", "ClusterRole", "r", "ServiceAccount::orphan"),
		bind("ns2", "rb-sa-nons", "ClusterRole", "r", "ServiceAccount::worker"),
		bind("", "crb-group", "ClusterRole", "r", "Group:devs"),
		bind("", "crb-sas-ns", "ClusterRole", "r", "Group:system:serviceaccounts:ns3"),
		bind("", "crb-sa-user", "ClusterRole", "r", "User:system:serviceaccount:ns4:robot"),
	)
	sa := func(ns, name string) UserInfo {
		return UserInfoFor(Subject{Kind: KindServiceAccount, Namespace: ns, Name: name}, nil)
	}
	checkAuth(t, m, []authCase{
		{"sa in crb", res(sa("ns1", "app"), "get", "", "pods", "", "x", "p"), true},
		{"other sa", res(sa("ns1", "other"), "get", "", "pods", "", "x", "p"), false},
		{"sa without ns in crb matches nothing", res(sa("", "orphan"), "get", "", "pods", "", "x", "p"), false},
		{"sa without ns in crb: default ns", res(sa("default", "orphan"), "get", "", "pods", "", "x", "p"), false},
		{"sa without ns in rb is the binding's ns", res(sa("ns2", "worker"), "get", "", "pods", "", "ns2", "p"), true},
		{"... not another namespace's sa", res(sa("ns1", "worker"), "get", "", "pods", "", "ns2", "p"), false},
		{"group", res(UserInfo{Name: "x", Groups: []string{"devs"}}, "get", "", "pods", "", "y", "p"), true},
		{"implicit system:serviceaccounts:NS", res(sa("ns3", "any"), "get", "", "pods", "", "y", "p"), true},
		{"implicit group of another ns", res(sa("ns1", "any"), "get", "", "pods", "", "y", "p"), false},
		{"User system:serviceaccount:NS:NAME is the sa", res(sa("ns4", "robot"), "get", "", "pods", "", "y", "p"), true},
		{"system:masters bypasses", res(UserInfo{Name: "admin", Groups: []string{GroupMasters}}, "delete", "", "nodes", "", "", "n"), true},
	})
	if len(problems) != 1 || !strings.Contains(problems[0].Message, "no namespace") {
		t.Errorf("problems = %v, want the namespace-less service account of crb-sa-nons", problems)
	}
}

func TestUserInfoFor(t *testing.T) {
	u := UserInfoFor(Subject{Kind: KindServiceAccount, Namespace: "ns", Name: "app"}, nil)
	if u.Name != "system:serviceaccount:ns:app" || strings.Join(u.Groups, ",") != "system:serviceaccounts,system:serviceaccounts:ns,system:authenticated" {
		t.Errorf("sa: %+v", u)
	}
	u = UserInfoFor(Subject{Kind: KindUser, Name: "alice"}, []string{"devs"})
	if strings.Join(u.Groups, ",") != "devs,system:authenticated" {
		t.Errorf("user: %+v", u)
	}
	u = UserInfoFor(Subject{Kind: KindUser, Name: UserAnonymous}, nil)
	if strings.Join(u.Groups, ",") != GroupUnauthenticated {
		t.Errorf("anonymous: %+v", u)
	}
	// A group stands for any of its members: they are all in system:authenticated, and
	// the members of system:serviceaccounts:NS in system:serviceaccounts too.
	for _, c := range []struct{ group, want string }{
		{"devs", "devs,system:authenticated"},
		{"system:serviceaccounts:ns", "system:serviceaccounts:ns,system:serviceaccounts,system:authenticated"},
		{GroupServiceAccounts, "system:serviceaccounts,system:authenticated"},
		{GroupAuthenticated, "system:authenticated"},
		{GroupUnauthenticated, "system:unauthenticated"},
	} {
		if u := UserInfoFor(Subject{Kind: KindGroup, Name: c.group}, nil); strings.Join(u.Groups, ",") != c.want || u.Name != "" {
			t.Errorf("group %s: %+v, want groups %s", c.group, u, c.want)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"sa:ns:app", "sa:ns:app"}, {"serviceaccount:ns:app", "sa:ns:app"}, {"system:serviceaccount:ns:app", "sa:ns:app"},
		{"user:alice", "user:alice"}, {"user:system:serviceaccount:a:b", "sa:a:b"}, {"group:system:masters", "group:system:masters"},
	} {
		s, err := ParseSubject(c.in)
		if err != nil || s.String() != c.want {
			t.Errorf("ParseSubject(%q) = %v, %v; want %s", c.in, s, err, c.want)
		}
	}
	for _, bad := range []string{"alice", "sa:ns", "sa::x", "robot:x", "user:", "sa:a:b:c"} {
		if _, err := ParseSubject(bad); err == nil {
			t.Errorf("ParseSubject(%q) accepted", bad)
		}
	}
}
