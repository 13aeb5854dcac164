package rbac_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/rbac"
)

func readABAC(t testing.TB, path string) *rbac.ABACPolicy {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := rbac.ParseABAC(f, path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func parseABAC(t testing.TB, text string) *rbac.ABACPolicy {
	t.Helper()
	p, err := rbac.ParseABAC(strings.NewReader(text), "policy.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestABACParseForms(t *testing.T) {
	p := readABAC(t, "testdata/abac-policy.jsonl")
	if len(p.Policies) != 16 {
		t.Fatalf("%d policies, want 16 (comments and blank lines skipped): %+v", len(p.Policies), p.Policies)
	}
	want := map[int]rbac.ABACRule{
		// "*" user becomes the group system:authenticated
		6: {Line: 6, Group: "system:authenticated", NonResourcePath: "*", Readonly: true},
		// legacy: every field empty is a wildcard, all API groups
		14: {Line: 14, User: "legacy-admin", Namespace: "*", Resource: "*", APIGroup: "*", NonResourcePath: "*"},
		15: {Line: 15, User: "legacy-reader", Readonly: true, Namespace: "legacy", Resource: "*", APIGroup: "*"},
		// a YAML line is read too
		16: {Line: 16, User: "yaml-user", Namespace: "*", Resource: "*", APIGroup: "*", NonResourcePath: "*"},
		// kind without apiVersion is the legacy form
		17: {Line: 17, User: "kind-only", Namespace: "*", Resource: "widgets", APIGroup: "*"},
		// an explicit v0 without kind
		18: {Line: 18, User: "v0-user", Namespace: "legacy", Resource: "*", APIGroup: "*"},
		// group "*" replaces the user with system:authenticated
		19: {Line: 19, Group: "system:authenticated", Resource: "widgets", Namespace: "*", APIGroup: "example.com", Readonly: true},
		// "User" is not "user"
		20: {Line: 20, Group: "case-group", Namespace: "*", Resource: "*", APIGroup: "*"},
	}
	for _, r := range p.Policies {
		if w, ok := want[r.Line]; ok && !reflect.DeepEqual(r, w) {
			t.Errorf("line %d: got %+v, want %+v", r.Line, r, w)
		}
	}
}

func TestABACParseLegacyConversions(t *testing.T) {
	for _, c := range []struct {
		line string
		want rbac.ABACRule
	}{
		{`{}`, rbac.ABACRule{Line: 1, Group: "system:authenticated", Namespace: "*", Resource: "*", APIGroup: "*", NonResourcePath: "*"}},
		{`null`, rbac.ABACRule{Line: 1, Group: "system:authenticated", Namespace: "*", Resource: "*", APIGroup: "*", NonResourcePath: "*"}},
		{`{"group": "*", "resource": "pods"}`, rbac.ABACRule{Line: 1, Group: "system:authenticated", Namespace: "*", Resource: "pods", APIGroup: "*"}},
		{`{"user": "*", "group": "devs", "namespace": "a"}`, rbac.ABACRule{Line: 1, Group: "system:authenticated", Namespace: "a", Resource: "*", APIGroup: "*"}},
		{`{"kind": "Policy", "user": "u"}`, rbac.ABACRule{Line: 1, User: "u", Namespace: "*", Resource: "*", APIGroup: "*", NonResourcePath: "*"}},
		{`{"apiVersion": "abac.authorization.kubernetes.io/v0", "kind": "Policy", "user": "u", "resource": "pods"}`, rbac.ABACRule{Line: 1, User: "u", Namespace: "*", Resource: "pods", APIGroup: "*"}},
		{`{"apiVersion": "abac.authorization.kubernetes.io/v0", "user": "u", "namespace": "n"}`, rbac.ABACRule{Line: 1, User: "u", Namespace: "n", Resource: "*", APIGroup: "*"}},
		// v1beta1: group "*" also becomes system:authenticated and drops the user
		{`{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"user": "u", "group": "*", "resource": "pods"}}`, rbac.ABACRule{Line: 1, Group: "system:authenticated", Resource: "pods"}},
		// field names are case-sensitive; unknown fields are ignored
		{`{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"User": "u", "resource": "pods", "extra": 1}}`, rbac.ABACRule{Line: 1, Resource: "pods"}},
		{`{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": null}`, rbac.ABACRule{Line: 1}},
	} {
		p := parseABAC(t, c.line)
		if len(p.Policies) != 1 || !reflect.DeepEqual(p.Policies[0], c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.line, p.Policies, c.want)
		}
	}
}

func TestABACParseErrors(t *testing.T) {
	text := strings.Join([]string{
		`# fine`,
		`{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"user": "a"}}`,
		`{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"readonly": "yes"}}`, // 3: wrong type
		`{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"user": "a"}`,        // 4: truncated
		`{"apiVersion": "v1", "kind": "Policy"}`,                                            // 5: unknown version
		`{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "spec": {"user": "a"}}`, // 6: no kind
		`[1, 2]`,      // 7: not an object
		`just words`,  // 8: a YAML string
		`{"user": 5}`, // 9: wrong type, legacy
		`{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Role", "spec": {}}`, // 10: unknown kind
	}, "\n")
	_, err := rbac.ParseABAC(strings.NewReader(text), "bad.jsonl")
	var pe *rbac.ABACParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v, want *ABACParseError", err)
	}
	var lines []int
	for _, e := range pe.Errors {
		if e.Location.File != "bad.jsonl" {
			t.Errorf("error %v does not name the file", e)
		}
		lines = append(lines, e.Location.Line)
	}
	if want := []int{3, 4, 5, 6, 7, 8, 9, 10}; !reflect.DeepEqual(lines, want) {
		t.Errorf("error lines %v, want %v:\n%v", lines, want, err)
	}
	if !strings.Contains(err.Error(), "bad.jsonl:5: ") {
		t.Errorf("message %q does not say file:line", err)
	}
}

func TestABACParseLongLine(t *testing.T) {
	long := `{"user": "` + strings.Repeat("x", 70000) + `"}`
	_, err := rbac.ParseABAC(strings.NewReader("{}\n"+long+"\n"), "long.jsonl")
	if err == nil || !strings.Contains(err.Error(), "long.jsonl:2: ") {
		t.Fatalf("error %v, want one at long.jsonl:2", err)
	}
}

func user(name string, groups ...string) rbac.UserInfo {
	return rbac.UserInfo{Name: name, Groups: groups}
}

func res(u rbac.UserInfo, verb, group, resource, sub, ns, name string) rbac.Attributes {
	return rbac.Attributes{User: u, Verb: verb, ResourceRequest: true, APIGroup: group, Resource: resource, Subresource: sub, Namespace: ns, Name: name}
}

func nonRes(u rbac.UserInfo, verb, path string) rbac.Attributes {
	return rbac.Attributes{User: u, Verb: verb, Path: path}
}

func TestABACAuthorize(t *testing.T) {
	p := readABAC(t, "testdata/abac-policy.jsonl")
	authn := "system:authenticated"
	alice := user("alice", authn)
	bob := user("bob", authn)
	kubelet := user("kubelet", authn)
	anon := user("system:anonymous", "system:unauthenticated")
	carol := user("carol", authn)
	carolOps := user("carol", "ops", authn)
	deployer := user("system:serviceaccount:ci:deployer", "system:serviceaccounts", "system:serviceaccounts:ci", authn)
	ksys := user("system:serviceaccount:kube-system:x", "system:serviceaccounts", "system:serviceaccounts:kube-system", authn)
	legacyReader := user("legacy-reader", authn)
	nobody := user("nobody", authn)
	for _, c := range []struct {
		name string
		a    rbac.Attributes
		want bool
	}{
		{"alice anything", res(alice, "delete", "apps", "deployments", "", "x", "d"), true},
		{"alice cluster-scoped", res(alice, "create", "", "nodes", "", "", ""), true},
		{"alice non-resource: v1beta1 without nonResourcePath", nonRes(alice, "post", "/apis"), false},
		{"alice reads non-resource by the * line", nonRes(alice, "get", "/apis"), true},
		{"anonymous gets no * line", nonRes(anon, "get", "/version"), false},
		{"anonymous /healthz by group", nonRes(anon, "get", "/healthz"), true},
		{"anonymous /healthz/x not exact", nonRes(anon, "get", "/healthz/etcd"), false},
		{"kubelet reads pods", res(kubelet, "watch", "", "pods", "", "a", ""), true},
		{"kubelet cannot write pods", res(kubelet, "create", "", "pods", "", "a", ""), false},
		{"apiGroup empty on v1beta1 matches only core", res(kubelet, "get", "apps", "pods", "", "a", ""), false},
		{"subresources are not looked at", res(kubelet, "get", "", "pods", "log", "a", "p"), true},
		{"kubelet writes events (core only)", res(kubelet, "create", "", "events", "", "a", ""), true},
		{"kubelet events.k8s.io events", res(kubelet, "create", "events.k8s.io", "events", "", "a", ""), false},
		{"kubelet events in all namespaces (namespace *)", res(kubelet, "list", "", "events", "", "", ""), true},
		{"bob in projectCaribou", res(bob, "get", "", "pods", "", "projectCaribou", "p"), true},
		{"bob elsewhere", res(bob, "get", "", "pods", "", "other", "p"), false},
		{"bob all namespaces", res(bob, "list", "", "pods", "", "", ""), false},
		{"bob cannot patch", res(bob, "patch", "", "pods", "", "projectCaribou", "p"), false},
		{"kube-system SAs configmaps", res(ksys, "update", "", "configmaps", "", "kube-system", "c"), true},
		{"kube-system SAs configmaps elsewhere", res(ksys, "update", "", "configmaps", "", "default", "c"), false},
		{"deployer", res(deployer, "create", "apps", "deployments", "", "ci", ""), true},
		{"deployer scale subresource", res(deployer, "update", "apps", "deployments", "scale", "ci", "d"), true},
		{"deployer core group", res(deployer, "create", "", "deployments", "", "ci", ""), false},
		{"carol not in ops", nonRes(carol, "post", "/metrics"), false},
		{"carol in ops", nonRes(carolOps, "post", "/metrics/cadvisor"), true},
		{"carol in ops prefix", nonRes(carolOps, "put", "/metricsfoo"), true},
		{"carol in ops other path", nonRes(carolOps, "put", "/api"), false},
		{"legacy reader", res(legacyReader, "get", "batch", "jobs", "", "legacy", "j"), true},
		{"legacy reader writes", res(legacyReader, "delete", "batch", "jobs", "", "legacy", "j"), false},
		{"legacy reader elsewhere", res(legacyReader, "get", "batch", "jobs", "", "x", "j"), false},
		{"legacy reader non-resource: namespace was set", nonRes(legacyReader, "get", "/foo"), true}, // via the * read-only line
		{"legacy reader posts non-resource", nonRes(legacyReader, "post", "/foo"), false},
		{"legacy admin everything", nonRes(user("legacy-admin"), "delete", "/x"), true},
		{"yaml user", res(user("yaml-user"), "escalate", "rbac.authorization.k8s.io", "clusterroles", "", "", "x"), true},
		{"nobody", res(nobody, "get", "", "secrets", "", "a", "s"), false},
		{"no groups, no * line", nonRes(user("nobody"), "get", "/version"), false},
	} {
		got, reason := p.Authorize(c.a)
		if got != c.want {
			t.Errorf("%s: Authorize = %v (%s), want %v", c.name, got, reason, c.want)
		}
		if got && !strings.HasPrefix(reason, "allowed by ABAC policy testdata/abac-policy.jsonl:") {
			t.Errorf("%s: reason %q does not cite the line", c.name, reason)
		}
	}
}

func TestABACNonResourcePrefix(t *testing.T) {
	p := parseABAC(t, strings.Join([]string{
		`{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":{"user":"a","nonResourcePath":"/logs**"}}`,
		`{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":{"user":"b","nonResourcePath":"**"}}`,
		`{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":{"user":"c","nonResourcePath":"/x/*/y"}}`,
		`{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":{"user":"d","resource":"*","namespace":"*","apiGroup":"*"}}`,
	}, "\n"))
	for _, c := range []struct {
		a    rbac.Attributes
		want bool
	}{
		{nonRes(user("a"), "get", "/logs/kube"), true},
		{nonRes(user("a"), "get", "/log"), false},
		{nonRes(user("b"), "get", "/anything"), true},
		{nonRes(user("c"), "get", "/x/1/y"), false},
		{nonRes(user("c"), "get", "/x/*/y"), true},
		{nonRes(user("d"), "get", "/api"), false}, // resource policies never match non-resource requests
		{res(user("a"), "get", "", "pods", "", "", ""), false},
	} {
		if got, _ := p.Authorize(c.a); got != c.want {
			t.Errorf("%+v: %v, want %v", c.a, got, c.want)
		}
	}
}

func TestABACWhoCan(t *testing.T) {
	p := readABAC(t, "testdata/abac-policy.jsonl")
	names := func(as []rbac.Answer) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Subject.String())
			if !strings.Contains(a.Reason, "testdata/abac-policy.jsonl:") {
				t.Errorf("answer %v does not cite a line", a)
			}
		}
		return out
	}
	got := names(p.WhoCan(res(rbac.UserInfo{}, "create", "apps", "deployments", "", "ci", "")))
	want := []string{"user:alice", "sa:ci:deployer", "user:legacy-admin", "user:yaml-user", "group:case-group"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("who can create deployments in ci: %v, want %v", got, want)
	}
	got = names(p.WhoCan(nonRes(rbac.UserInfo{}, "get", "/healthz")))
	want = []string{"group:system:authenticated", "group:system:unauthenticated", "user:legacy-admin", "user:yaml-user"}
	// (case-group's line has no nonResourcePath)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("who can get /healthz: %v, want %v", got, want)
	}
	as := p.WhoCan(nonRes(rbac.UserInfo{}, "post", "/metrics"))
	if len(as) != 3 || as[0].Subject.String() != "user:carol" || !strings.Contains(as[0].Reason, "group ops") {
		t.Errorf("who can post /metrics: %+v, want carol (in ops) first", as)
	}
	// Every subject WhoCan names is allowed by Authorize, as that subject.
	for _, a := range []rbac.Attributes{
		res(rbac.UserInfo{}, "get", "", "pods", "", "projectCaribou", "p"),
		res(rbac.UserInfo{}, "update", "", "configmaps", "", "kube-system", "c"),
		nonRes(rbac.UserInfo{}, "get", "/version"),
	} {
		for _, ans := range p.WhoCan(a) {
			a.User = rbac.UserInfoFor(ans.Subject, nil)
			if ans.Subject.Kind == rbac.KindGroup && ans.Subject.Name == "system:unauthenticated" {
				a.User = rbac.UserInfoFor(rbac.Subject{Kind: rbac.KindUser, Name: "system:anonymous"}, nil)
			}
			if ok, _ := p.Authorize(a); !ok {
				t.Errorf("WhoCan names %v for %+v, but Authorize denies", ans.Subject, a)
			}
		}
	}
}

func FuzzParseABAC(f *testing.F) {
	data, err := os.ReadFile("testdata/abac-policy.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	for _, s := range []string{"", "{}", "null", "#", "{\"spec\":[]}", "user: [", "\x00", "{\"apiVersion\":\"abac.authorization.kubernetes.io/v1beta1\",\"kind\":\"Policy\",\"spec\":{\"nonResourcePath\":\"*\"}}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := rbac.ParseABAC(strings.NewReader(string(data)), "fuzz")
		if err != nil {
			var pe *rbac.ABACParseError
			if !errors.As(err, &pe) || len(pe.Errors) == 0 {
				t.Fatalf("error %v is not an ABACParseError with lines", err)
			}
			for _, e := range pe.Errors {
				if e.Location.Line < 1 {
					t.Fatalf("error without a line: %v", e)
				}
			}
			return
		}
		a := rbac.Attributes{User: rbac.UserInfo{Name: "u", Groups: []string{"system:authenticated"}}, Verb: "get", Path: "/x"}
		p.Authorize(a)
		p.WhoCan(a)
	})
}

func TestLoadABACFile(t *testing.T) {
	a, err := rbac.LoadABACFile("testdata/abac-policy.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := a.Authorize(res(user("alice", "system:authenticated"), "delete", "", "secrets", "", "x", "s")); !ok {
		t.Error("the policy read through LoadABACFile does not allow alice")
	}
	if a, err := rbac.LoadABACFile("testdata/missing.jsonl"); err == nil || a != nil {
		t.Errorf("missing file: %v, %v", a, err)
	}
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	if err := os.WriteFile(bad, []byte("{}\n{\"user\": 1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := rbac.LoadABACFile(bad); err == nil || !strings.Contains(err.Error(), bad+":2: ") {
		t.Errorf("bad file: error %v, want one at %s:2", err, bad)
	}
}
