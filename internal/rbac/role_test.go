package rbac

import "testing"

func TestRoleRules(t *testing.T) {
	m, _ := build(t,
		labelled("pods-view", "    agg/view: 'true'\n", "- apiGroups: ['']\n  resources: ['pods']\n  verbs: ['get']\n"),
		aggregated("view", "", "  - matchLabels:\n      agg/view: 'true'\n", ""),
		nsRole("dev", "secrets", "- apiGroups: ['']\n  resources: ['secrets']\n  verbs: ['get']\n"),
	)
	// An aggregated ClusterRole has the rules it aggregated.
	if rs, ok := m.RoleRules("ClusterRole", "", "view"); !ok || len(rs) != 1 || rs[0].Resources[0] != "pods" {
		t.Errorf("view: %v %v", rs, ok)
	}
	if rs, ok := m.RoleRules("Role", "dev", "secrets"); !ok || len(rs) != 1 || rs[0].Resources[0] != "secrets" {
		t.Errorf("dev/secrets: %v %v", rs, ok)
	}
	for _, q := range [][3]string{{"Role", "prod", "secrets"}, {"ClusterRole", "", "secrets"}, {"ClusterRole", "", "missing"}, {"Pod", "", "view"}} {
		if _, ok := m.RoleRules(q[0], q[1], q[2]); ok {
			t.Errorf("%v found", q)
		}
	}
}
