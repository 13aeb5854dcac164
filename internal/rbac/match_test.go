package rbac

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// TestRuleAllowsSemantics pins the RBAC authorizer's matching of one policy rule
// (k8s.io/kubernetes/pkg/apis/rbac/v1 evaluation helpers), which both `palisade rbac`
// and the role rules PAL-311..323 use: verbs and API groups exactly or "*";
// resources "*", exactly ("pods" does not cover "pods/log"), or "*/SUB" for a
// subresource ("pods/*" matches nothing); resourceNames, when set, only a request
// carrying one of them; non-resource URLs "*", exactly, or by a prefix ending in "*".
func TestRuleAllowsSemantics(t *testing.T) {
	res := func(verb, group, resource, sub, name string) Attributes {
		return Attributes{Verb: verb, ResourceRequest: true, APIGroup: group, Resource: resource, Subresource: sub, Name: name}
	}
	url := func(verb, path string) Attributes { return Attributes{Verb: verb, Path: path} }
	rule := func(verbs, groups, resources, names []string) *rbacv1.PolicyRule {
		return &rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources, ResourceNames: names}
	}
	l := func(s ...string) []string { return s }
	core := l("")
	for _, tc := range []struct {
		name string
		rule *rbacv1.PolicyRule
		req  Attributes
		want bool
	}{
		{"verb listed", rule(l("get"), core, l("pods"), nil), res("get", "", "pods", "", "p"), true},
		{"verb not listed", rule(l("get"), core, l("pods"), nil), res("list", "", "pods", "", ""), false},
		{"verb star", rule(l("*"), core, l("pods"), nil), res("escalate", "", "pods", "", "p"), true},
		{"verbs are case-sensitive", rule(l("GET"), core, l("pods"), nil), res("get", "", "pods", "", "p"), false},
		{"no verb aliases", rule(l("update"), core, l("pods"), nil), res("patch", "", "pods", "", "p"), false},
		{"core group is empty", rule(l("get"), core, l("pods"), nil), res("get", "", "pods", "", "p"), true},
		{"other group", rule(l("get"), l("apps"), l("pods"), nil), res("get", "", "pods", "", "p"), false},
		{"group star", rule(l("get"), l("*"), l("deployments"), nil), res("get", "apps", "deployments", "", "d"), true},
		{"group star is not a prefix", rule(l("get"), l("apps*"), l("deployments"), nil), res("get", "apps", "deployments", "", "d"), false},
		{"resource star covers subresources", rule(l("create"), core, l("*"), nil), res("create", "", "pods", "exec", "p"), true},
		{"resource does not cover its subresource", rule(l("get"), core, l("pods"), nil), res("get", "", "pods", "log", "p"), false},
		{"subresource named", rule(l("get"), core, l("pods/log"), nil), res("get", "", "pods", "log", "p"), true},
		{"subresource does not cover the resource", rule(l("get"), core, l("pods/log"), nil), res("get", "", "pods", "", "p"), false},
		{"star subresource", rule(l("get"), core, l("*/log"), nil), res("get", "", "pods", "log", "p"), true},
		{"star subresource is exact", rule(l("get"), core, l("*/log"), nil), res("get", "", "pods", "logs", "p"), false},
		{"star subresource not the resource", rule(l("get"), core, l("*/log"), nil), res("get", "", "pods", "", "p"), false},
		{"resource slash star matches nothing", rule(l("create"), core, l("pods/*"), nil), res("create", "", "pods", "exec", "p"), false},
		{"resources are case-sensitive", rule(l("get"), core, l("Pods"), nil), res("get", "", "pods", "", "p"), false},
		{"no resourceNames: every name", rule(l("get"), core, l("secrets"), nil), res("get", "", "secrets", "", "s"), true},
		{"resourceNames: listed name", rule(l("get"), core, l("secrets"), l("a", "b")), res("get", "", "secrets", "", "b"), true},
		{"resourceNames: other name", rule(l("get"), core, l("secrets"), l("a")), res("get", "", "secrets", "", "c"), false},
		{"resourceNames: request without name", rule(l("create"), core, l("secrets"), l("a")), res("create", "", "secrets", "", ""), false},
		{"resourceNames: empty name listed", rule(l("create"), core, l("secrets"), l("", "a")), res("create", "", "secrets", "", ""), true},
		{"resourceNames: list by name", rule(l("list"), core, l("secrets"), l("a")), res("list", "", "secrets", "", "a"), true},
		{"resourceNames on a subresource", rule(l("create"), core, l("pods/exec"), l("p")), res("create", "", "pods", "exec", "p"), true},
		{"resource rule, non-resource request", rule(l("get"), l("*"), l("*"), nil), url("get", "/healthz"), false},
		{"url exact", &rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("/healthz")}, url("get", "/healthz"), true},
		{"url exact only", &rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("/healthz")}, url("get", "/healthz/etcd"), false},
		{"url prefix star", &rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("/healthz/*")}, url("get", "/healthz/etcd"), true},
		{"url prefix star without slash", &rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("/healthz*")}, url("get", "/healthzz"), true},
		{"url prefix star is a prefix", &rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("/healthz/*")}, url("get", "/healthz"), false},
		{"url star", &rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("*")}, url("get", "/metrics"), true},
		{"url verb", &rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("*")}, url("post", "/metrics"), false},
		{"url rule, resource request", &rbacv1.PolicyRule{Verbs: l("*"), NonResourceURLs: l("*")}, res("get", "", "pods", "", "p"), false},
	} {
		if got := RuleAllows(tc.req, tc.rule); got != tc.want {
			t.Errorf("%s: RuleAllows = %v, want %v", tc.name, got, tc.want)
		}
	}
}
