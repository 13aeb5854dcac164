package rbac_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-k8s/palisade/internal/kubetest"
	"github.com/palisade-k8s/palisade/internal/rbac"
	_ "github.com/palisade-k8s/palisade/internal/rbac/bootstrap" // Options.IncludeDefaults
)

// TestABACDifferential runs a kube-apiserver with --authorization-mode=Node,RBAC,ABAC
// and the policy file testdata/abac-policy.jsonl, and compares ParseABAC's authorizer
// with SubjectAccessReview on every combination of a set of users, verbs, resources,
// namespaces and non-resource paths chosen around the policy's lines. The server
// consults ABAC only when RBAC (its bootstrap policy) has no opinion, and then says
// so by an empty reason; requests RBAC allowed ("RBAC: allowed by ...") say nothing
// about ABAC and are counted, not compared with ABAC alone; every request is also
// compared with the whole model (bootstrap policy from internal/rbac/bootstrap, the
// policy as Options.Extra), which must answer as the server's authorizer chain. That the server starts at all shows that
// it accepts every line ParseABAC accepts in that file (comments, blank lines,
// legacy and YAML lines included).
func TestABACDifferential(t *testing.T) {
	policyPath, err := filepath.Abs("testdata/abac-policy.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	policy := readABAC(t, policyPath)
	c := kubetest.Own(t, kubetest.Options{APIServerArgs: []string{
		"--authorization-mode=ABAC",
		"--authorization-policy-file=" + policyPath,
	}})

	authn := "system:authenticated"
	users := []rbac.UserInfo{
		user("alice", authn), user("bob", authn), user("kubelet", authn),
		user("carol", authn), user("carol", "ops", authn), user("dave", "ops", authn),
		user("system:anonymous", "system:unauthenticated"),
		user("system:serviceaccount:ci:deployer", "system:serviceaccounts", "system:serviceaccounts:ci", authn),
		user("system:serviceaccount:kube-system:x", "system:serviceaccounts", "system:serviceaccounts:kube-system", authn),
		user("legacy-reader", authn), user("legacy-admin"), user("yaml-user", authn),
		user("nobody", authn), user("nobody"),
		user("kind-only", authn), user("v0-user", authn), user("anyone-by-group-star"),
		user("case-user", authn), user("someone", "case-group", authn),
	}
	type resource struct{ group, resource, sub string }
	resources := []resource{
		{"", "pods", ""}, {"", "pods", "log"}, {"apps", "deployments", ""}, {"apps", "deployments", "scale"},
		{"", "events", ""}, {"events.k8s.io", "events", ""}, {"", "configmaps", ""}, {"batch", "jobs", ""},
		{"", "nodes", ""}, {"rbac.authorization.k8s.io", "clusterroles", ""}, {"example.com", "widgets", ""},
	}
	namespaces := []string{"", "projectCaribou", "ci", "kube-system", "legacy", "other"}
	verbs := []string{"get", "list", "watch", "create", "delete", "escalate"}
	paths := []string{"/healthz", "/healthz/etcd", "/metrics", "/metrics/cadvisor", "/metricsfoo", "/api", "/version", "/logs/x", "/"}
	pathVerbs := []string{"get", "post", "put", "delete"}

	var reqs []rbac.Attributes
	for _, u := range users {
		for _, r := range resources {
			for _, ns := range namespaces {
				for _, v := range verbs {
					name := ""
					if v == "get" || v == "delete" {
						name = "x"
					}
					reqs = append(reqs, res(u, v, r.group, r.resource, r.sub, ns, name))
				}
			}
		}
		for _, p := range paths {
			for _, v := range pathVerbs {
				reqs = append(reqs, nonRes(u, v, p))
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	got, err := reviewAll(ctx, fastClient(t, c), reqs, 8)
	if err != nil {
		t.Fatal(err)
	}
	// The whole chain too: the model with the bootstrap policy and the ABAC file as its
	// extra authorizer must give the server's answer to every request.
	m, _, err := rbac.Build(nil, rbac.Options{IncludeDefaults: true, Extra: policy})
	if err != nil {
		t.Fatal(err)
	}
	compared, byRBAC, allowed, mismatches, unionMismatches := 0, 0, 0, 0, 0
	for i, a := range reqs {
		s := got[i]
		if d := m.Authorize(a); d.Allowed != s.Allowed {
			unionMismatches++
			if unionMismatches <= 30 {
				t.Errorf("%s: API server allowed=%v (%q), model (RBAC defaults + ABAC) allowed=%v (%s)", describe(a), s.Allowed, s.Reason, d.Allowed, d.Reason)
			}
		}
		if s.Allowed && strings.HasPrefix(s.Reason, "RBAC: ") {
			byRBAC++
			continue
		}
		compared++
		ok, reason := policy.Authorize(a)
		if ok {
			allowed++
		}
		if ok != s.Allowed {
			mismatches++
			if mismatches <= 30 {
				t.Errorf("%s: API server allowed=%v (%q), ParseABAC allowed=%v (%s)", describe(a), s.Allowed, s.Reason, ok, reason)
			}
		}
	}
	t.Logf("%d requests in %v: %d compared with ABAC alone (%d allowed by ABAC), %d allowed by RBAC first, %d mismatches; %d mismatches of the model with defaults and ABAC",
		len(reqs), time.Since(start).Round(time.Millisecond), compared, allowed, byRBAC, mismatches, unionMismatches)
	if allowed < 100 || compared-allowed < 100 {
		t.Errorf("too few allowed (%d) or denied (%d) requests to mean anything", allowed, compared-allowed)
	}
}
