package rbac

import (
	"context"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/source"
)

func FuzzParseSubject(f *testing.F) {
	for _, s := range []string{"sa:ns:app", "user:alice", "group:system:masters", "system:serviceaccount:a:b", "sa::", "x", ":", "user:system:serviceaccount:a:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sub, err := ParseSubject(s)
		if err != nil {
			return
		}
		again, err := ParseSubject(sub.String())
		if err != nil || again != sub {
			t.Errorf("%q -> %v -> %q -> %v, %v", s, sub, sub.String(), again, err)
		}
	})
}

func FuzzParseResource(f *testing.F) {
	for _, s := range []string{"pods", "po/exec", "deployments.apps/scale", "widgets.example.com", "/", "a/b/c", "*", "DEPLOY"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseResource(s)
		if err != nil {
			return
		}
		if r.Resource == "" || strings.Contains(r.Subresource, "/") {
			t.Errorf("%q -> %+v", s, r)
		}
	})
}

// FuzzBuild feeds arbitrary manifests through the loader and the model: no input may
// crash it, and Authorize must agree with WhoCan.
func FuzzBuild(f *testing.F) {
	f.Add(clusterRole("r", "- apiGroups: ['*']\n  resources: ['*']\n  verbs: ['get']\n") + "\n---\n" + bind("", "b", "ClusterRole", "r", "User:u"))
	f.Add(aggregated("a", "    x: y\n", "  - matchLabels: {x: y}\n", "") + "\n---\n" + bind("ns", "b", "ClusterRole", "a", "ServiceAccount::s"))
	f.Add("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: n}\nrules: [{verbs: 3}]\n")
	f.Add("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: n}\nroleRef: 7\nsubjects: [1, {kind: 2}]\n")
	f.Add("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: a}\naggregationRule: {clusterRoleSelectors: [{matchExpressions: [{key: k, operator: Bad}]}, 5]}\n")
	f.Fuzz(func(t *testing.T, doc string) {
		res, _ := (&source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(doc)}).Read(context.Background(), source.Needs{Kinds: Kinds})
		m, _, err := Build(res.Inventory.Objects, Options{})
		if err != nil {
			t.Fatal(err)
		}
		a := Attributes{Verb: "get", ResourceRequest: true, Resource: "pods", Namespace: "n", Name: "x"}
		for _, ans := range m.WhoCan(a) {
			if ans.Subject.Kind == KindGroup {
				continue
			}
			a.User = UserInfo{Name: ans.Subject.Username()}
			if len(ans.Grants) > 0 && !m.Authorize(a).Allowed {
				t.Errorf("WhoCan names %s, Authorize denies", ans.Subject)
			}
		}
		m.Grants()
		m.Subjects()
		m.RulesForAnyNamespace(UserInfo{Name: "u"})
		// The risk analysis on the same model: every risk it reports is allowed.
		ra := m.AnalyzeRisks([]RiskClass{{ID: "pods", Needs: []Need{{Name: "get pods", Any: []Probe{{Verb: "get", Resource: "pods", Name: "x"}}}}}})
		for _, r := range ra.Risks() {
			u := UserInfoFor(r.Subject, nil)
			ns := "n"
			if !r.Reach.ClusterWide {
				ns = r.Reach.Namespaces[0]
			}
			if d := m.Authorize(Attributes{User: u, Verb: "get", ResourceRequest: true, Resource: "pods", Namespace: ns, Name: "x"}); !d.Allowed {
				t.Errorf("risk of %s %s, Authorize denies", r.Subject, r.Reach.Text())
			}
		}
		for _, s := range ra.ServiceAccountsWithWorkloads() {
			ra.Holds(s)
		}
	})
}
