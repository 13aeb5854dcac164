package rbac

import (
	"testing"
)

func labelled(name, labels, rules string) string {
	return "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: " + name + "\n  labels:\n" + labels + "rules:\n" + rules
}

func aggregated(name, labels, selectors, rules string) string {
	s := "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: " + name + "\n"
	if labels != "" {
		s += "  labels:\n" + labels
	}
	s += "aggregationRule:\n  clusterRoleSelectors:\n" + selectors
	if rules != "" {
		s += "rules:\n" + rules
	}
	return s
}

func TestAggregation(t *testing.T) {
	m, problems := build(t,
		labelled("pods-view", "    agg/view: 'true'\n", "- apiGroups: ['']\n  resources: ['pods']\n  verbs: ['get']\n"),
		labelled("cm-view", "    agg/view: 'true'\n", "- apiGroups: ['']\n  resources: ['configmaps']\n  verbs: ['get']\n- apiGroups: ['']\n  resources: ['pods']\n  verbs: ['get']\n"),
		labelled("secrets-edit", "    agg/edit: 'true'\n", "- apiGroups: ['']\n  resources: ['secrets']\n  verbs: ['update']\n"),
		// view aggregates the *-view roles; edit aggregates view (itself aggregated) and
		// secrets-edit: a two-level fixpoint. view's own rule is replaced.
		aggregated("view", "    agg/edit: 'true'\n", "  - matchLabels:\n      agg/view: 'true'\n", "- apiGroups: ['']\n  resources: ['nodes']\n  verbs: ['get']\n"),
		aggregated("edit", "", "  - matchExpressions:\n    - {key: agg/edit, operator: In, values: ['true']}\n", ""),
		// A cycle: a and b aggregate each other and nothing else: no rules.
		aggregated("cyc-a", "    cyc: a\n", "  - matchLabels: {cyc: b}\n", ""),
		aggregated("cyc-b", "    cyc: b\n", "  - matchLabels: {cyc: a}\n", ""),
		// A role whose selector matches itself does not aggregate its own rules.
		aggregated("self", "    me: 'yes'\n", "  - matchLabels: {me: 'yes'}\n", "- apiGroups: ['']\n  resources: ['services']\n  verbs: ['get']\n"),
		bind("", "v", "ClusterRole", "view", "User:viewer"),
		bind("ns", "e", "ClusterRole", "edit", "User:editor"),
		bind("", "c", "ClusterRole", "cyc-a", "User:cyc"),
		bind("", "s", "ClusterRole", "self", "User:self"),
	)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	u := func(n string) UserInfo { return UserInfo{Name: n} }
	checkAuth(t, m, []authCase{
		{"view gets pods", res(u("viewer"), "get", "", "pods", "", "ns", "p"), true},
		{"view gets configmaps", res(u("viewer"), "get", "", "configmaps", "", "", "c"), true},
		{"view's own rule is replaced", res(u("viewer"), "get", "", "nodes", "", "", "n"), false},
		{"view does not get secrets", res(u("viewer"), "update", "", "secrets", "", "ns", "s"), false},
		{"edit gets view's aggregated pods", res(u("editor"), "get", "", "pods", "", "ns", "p"), true},
		{"edit gets secrets", res(u("editor"), "update", "", "secrets", "", "ns", "s"), true},
		{"edit is bound in ns only", res(u("editor"), "update", "", "secrets", "", "other", "s"), false},
		{"cycle has no rules", res(u("cyc"), "get", "", "pods", "", "ns", "p"), false},
		{"self-selection has no rules", res(u("self"), "get", "", "services", "", "ns", "p"), false},
	})
	// The union is de-duplicated as the controller does, and sources name the role
	// the rule was written in.
	rules := m.RulesFor(u("viewer"), "")
	if len(rules) != 2 {
		t.Fatalf("view has %d rules, want 2 (pods get is in two roles): %+v", len(rules), rules)
	}
	if rules[0].Grant.Source.Name != "cm-view" || rules[0].Grant.Role.Name != "view" || rules[0].Grant.RuleIndex != 0 {
		t.Errorf("first rule: %+v (want source cm-view, the first role by name)", rules[0].Grant)
	}
	d := m.Authorize(res(u("editor"), "get", "", "pods", "", "ns", "p"))
	if len(d.Grants) != 1 || d.Grants[0].Source.Name != "cm-view" || d.Grants[0].Role.Name != "edit" || d.Grants[0].Namespace != "ns" {
		t.Errorf("editor grants: %+v", d.Grants)
	}
}
