package identity

import (
	"reflect"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/palisade-k8s/palisade/internal/rbac"
)

// TestGrantsFollowRuleAllows pins what a policy rule grants of a sensitive permission
// (allows) to the authorizer's semantics in package rbac: a verb is granted when
// rbac.RuleAllows allows it on some object (on no object for create and
// deletecollection of a top-level resource), and the resource entry named in the
// finding is the first that matches other than by "*".
func TestGrantsFollowRuleAllows(t *testing.T) {
	l := func(s ...string) []string { return s }
	secretsRead := probe{group: "", resource: "secrets", verbs: readVerbs}
	secretsWrite := probe{group: "", resource: "secrets", verbs: putVerbs}
	exec := probe{group: "", resource: "pods/exec", verbs: streamVerbs}
	nodesProxy := probe{group: "", resource: "nodes/proxy", cluster: true}
	for _, tc := range []struct {
		name    string
		rule    rbacv1.PolicyRule
		pb      probe
		role    bool // a Role, not a ClusterRole
		verbs   []string
		res     int
		granted bool
	}{
		{name: "verbs in the rule's order", rule: rbacv1.PolicyRule{Verbs: l("watch", "get"), APIGroups: l(""), Resources: l("secrets")}, pb: secretsRead, verbs: l("watch", "get"), res: 0, granted: true},
		{name: "verbs case-sensitive", rule: rbacv1.PolicyRule{Verbs: l("GET"), APIGroups: l(""), Resources: l("secrets")}, pb: secretsRead},
		{name: "star verbs expand to the probe's", rule: rbacv1.PolicyRule{Verbs: l("*"), APIGroups: l(""), Resources: l("configmaps", "secrets")}, pb: secretsRead, verbs: readVerbs, res: 1, granted: true},
		{name: "star verbs, any-verb probe", rule: rbacv1.PolicyRule{Verbs: l("*"), APIGroups: l(""), Resources: l("nodes/proxy")}, pb: nodesProxy, verbs: l("*"), res: 0, granted: true},
		{name: "other group", rule: rbacv1.PolicyRule{Verbs: l("get"), APIGroups: l("apps"), Resources: l("secrets")}, pb: secretsRead},
		{name: "star group", rule: rbacv1.PolicyRule{Verbs: l("get"), APIGroups: l("*"), Resources: l("secrets")}, pb: secretsRead, verbs: l("get"), res: 0, granted: true},
		{name: "through star resources", rule: rbacv1.PolicyRule{Verbs: l("get"), APIGroups: l(""), Resources: l("*", "secrets")}, pb: secretsRead, verbs: l("get"), res: 1, granted: true},
		{name: "only star resources", rule: rbacv1.PolicyRule{Verbs: l("get"), APIGroups: l(""), Resources: l("*")}, pb: secretsRead, verbs: l("get"), res: -1, granted: true},
		{name: "star subresource", rule: rbacv1.PolicyRule{Verbs: l("create"), APIGroups: l(""), Resources: l("*/exec")}, pb: exec, verbs: l("create"), res: 0, granted: true},
		{name: "resource slash star", rule: rbacv1.PolicyRule{Verbs: l("create"), APIGroups: l(""), Resources: l("pods/*")}, pb: exec},
		{name: "resource does not cover subresource", rule: rbacv1.PolicyRule{Verbs: l("create"), APIGroups: l(""), Resources: l("pods")}, pb: exec},
		{name: "names: create carries none", rule: rbacv1.PolicyRule{Verbs: l("create", "update"), APIGroups: l(""), Resources: l("secrets"), ResourceNames: l("a")}, pb: secretsWrite, verbs: l("update"), res: 0, granted: true},
		{name: "names: empty name allows create", rule: rbacv1.PolicyRule{Verbs: l("create"), APIGroups: l(""), Resources: l("secrets"), ResourceNames: l("", "a")}, pb: secretsWrite, verbs: l("create"), res: 0, granted: true},
		{name: "names: list narrowed like get", rule: rbacv1.PolicyRule{Verbs: l("list"), APIGroups: l(""), Resources: l("secrets"), ResourceNames: l("a")}, pb: secretsRead, verbs: l("list"), res: 0, granted: true},
		{name: "names: subresource create names the pod", rule: rbacv1.PolicyRule{Verbs: l("create"), APIGroups: l(""), Resources: l("pods/exec"), ResourceNames: l("p")}, pb: exec, verbs: l("create"), res: 0, granted: true},
		{name: "star verbs with names", rule: rbacv1.PolicyRule{Verbs: l("*"), APIGroups: l(""), Resources: l("secrets"), ResourceNames: l("a")}, pb: secretsWrite, verbs: l("update", "patch"), res: 0, granted: true},
		{name: "non-resource rule", rule: rbacv1.PolicyRule{Verbs: l("*"), NonResourceURLs: l("*")}, pb: secretsRead},
		{name: "cluster resource in a Role", rule: rbacv1.PolicyRule{Verbs: l("*"), APIGroups: l(""), Resources: l("nodes/proxy")}, pb: nodesProxy, role: true},
	} {
		g, ok := allows(&tc.rule, tc.pb, !tc.role)
		if ok != tc.granted || ok && (!reflect.DeepEqual(g.verbs, tc.verbs) || g.res != tc.res) {
			t.Errorf("%s: allows = %v %v res %d, want %v %v res %d", tc.name, ok, g.verbs, g.res, tc.granted, tc.verbs, tc.res)
		}
		if tc.role || tc.pb.verbs == nil {
			continue
		}
		// Every verb granted is one rbac.RuleAllows allows, and no other verb of the
		// probe is allowed on any object (or on none, for the nameless verbs).
		granted := map[string]bool{}
		for _, v := range g.verbs {
			granted[v] = true
		}
		res, sub := tc.pb.split()
		for _, v := range tc.pb.verbs {
			names := append(l("object", ""), tc.rule.ResourceNames...)
			if sub == "" && (v == "create" || v == "deletecollection") {
				names = l("")
			}
			some := false
			for _, n := range names {
				a := rbac.Attributes{Verb: v, ResourceRequest: true, APIGroup: tc.pb.group, Resource: res, Subresource: sub, Name: n}
				some = some || rbac.RuleAllows(a, &tc.rule)
			}
			if some != granted[v] {
				t.Errorf("%s: verb %s granted %v, rbac.RuleAllows on some object %v", tc.name, v, granted[v], some)
			}
		}
	}
}
