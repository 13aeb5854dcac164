package rbac

import rbacv1 "k8s.io/api/rbac/v1"

// RoleRules returns the effective rules of a Role ("Role", namespace, name) or
// ClusterRole ("ClusterRole", "", name), aggregated rules included; false when the
// model holds no such role.
func (m *Model) RoleRules(kind, namespace, name string) ([]rbacv1.PolicyRule, bool) {
	var r *role
	switch kind {
	case "ClusterRole":
		r = m.clusterRoles[name]
	case "Role":
		r = m.nsRoles[namespace+"/"+name]
	}
	if r == nil {
		return nil, false
	}
	out := make([]rbacv1.PolicyRule, len(r.rules))
	for i, src := range r.rules {
		out[i] = *src.rule
	}
	return out, true
}
