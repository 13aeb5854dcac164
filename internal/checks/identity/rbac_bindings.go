package identity

// A binding is where a permission reaches an identity. Binding cluster-admin hands out
// everything; binding anything to the built-in groups that mean "everyone"
// (system:unauthenticated, system:authenticated, all service accounts) hands it to
// identities nobody vetted; and system:masters bypasses authorization altogether, so
// credentials in it can be neither limited nor revoked through RBAC.
//
// Subjects match as the authorizer matches them: by kind and exact name. Anonymous
// requests are the User system:anonymous in the Group system:unauthenticated; a Group
// named system:anonymous or a User named system:authenticated matches nobody and is
// not reported.

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// indexAdminRoles names the roles of the input that are cluster-admin by another
// name: "ClusterRole/NAME" or "Role/NAMESPACE/NAME" for each role with a rule granting
// every verb on every resource of every API group (the built-in cluster-admin itself
// is matched by name).
var indexAdminRoles = inventory.NewIndex("cluster-admin-equivalent-roles", roleKinds, buildAdminRoles)

// IndexAdminRoles is indexAdminRoles for the admission webhook: built from a review's
// one object it is empty (or names the role under review), so PAL-307 then judges a
// binding by its role's name, as a single object allows.
var IndexAdminRoles = indexAdminRoles

func buildAdminRoles(inv *inventory.Inventory) map[string]bool {
	out := map[string]bool{}
	for _, o := range inv.Objects {
		if o.Group() != rbacGroup || (o.Ref.Kind != "Role" && o.Ref.Kind != "ClusterRole") || o.Body == nil || builtinRBAC(o) {
			continue
		}
		var r rbacv1.ClusterRole // a Role's fields are a subset
		if err := o.Decode(&r); err != nil {
			continue
		}
		for i := range r.Rules {
			if fullWildcard(&r.Rules[i]) {
				key := "ClusterRole/" + o.Ref.Name
				if o.Ref.Kind == "Role" {
					key = "Role/" + o.Ref.Namespace + "/" + o.Ref.Name
				}
				out[key] = true
				break
			}
		}
	}
	return out
}

// bindingView is a RoleBinding or ClusterRoleBinding.
type bindingView struct {
	kind      string
	namespace string
	roleRef   rbacv1.RoleRef
	subjects  []rbacv1.Subject
}

func decodeBinding(p *rules.Pass, o *inventory.Object) *bindingView {
	if o.Group() != rbacGroup || builtinRBAC(o) {
		return nil
	}
	b := &bindingView{kind: o.Ref.Kind, namespace: o.Ref.Namespace}
	switch o.Ref.Kind {
	case "ClusterRoleBinding":
		var crb rbacv1.ClusterRoleBinding
		if err := o.Decode(&crb); err != nil {
			p.Fail(err)
			return nil
		}
		b.roleRef, b.subjects = crb.RoleRef, crb.Subjects
	case "RoleBinding":
		var rb rbacv1.RoleBinding
		if err := o.Decode(&rb); err != nil {
			p.Fail(err)
			return nil
		}
		b.roleRef, b.subjects = rb.RoleRef, rb.Subjects
	default:
		return nil
	}
	return b
}

func (b *bindingView) roleText() string {
	return fmt.Sprintf("%s %q", b.roleRef.Kind, b.roleRef.Name)
}

// scopeText says where the binding's grant applies.
func (b *bindingView) scopeText() string {
	if b.kind == "ClusterRoleBinding" {
		return "in every namespace and at cluster scope"
	}
	return fmt.Sprintf("in namespace %q", b.namespace)
}

func subjectText(s rbacv1.Subject) string {
	if s.Kind == rbacv1.ServiceAccountKind && s.Namespace != "" {
		return fmt.Sprintf("ServiceAccount %s/%s", s.Namespace, s.Name)
	}
	return fmt.Sprintf("%s %s", s.Kind, s.Name)
}

// bindsClusterRole reports whether the binding's role is the ClusterRole name.
func (b *bindingView) bindsClusterRole(names []string) bool {
	return b.roleRef.Kind == "ClusterRole" && contains(names, b.roleRef.Name)
}

// subjectRule reports each subject that match selects, unless the binding's role is
// a ClusterRole listed in the rule's allowedRoles parameter.
func subjectRule(match func(p *rules.Pass, s rbacv1.Subject) (string, bool)) func(*rules.Pass, *inventory.Object) {
	return func(p *rules.Pass, o *inventory.Object) {
		b := decodeBinding(p, o)
		if b == nil || b.bindsClusterRole(p.Strings("allowedRoles")) {
			return
		}
		for i, s := range b.subjects {
			who, ok := match(p, s)
			if !ok {
				continue
			}
			p.Report("subjects"+indexSuffix(i)+".name", "", "%s binds %s %s to %s (subjects[%d])",
				b.kind, b.roleText(), b.scopeText(), who, i)
		}
	}
}

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-307", Title: "Binding to cluster-admin", Severity: high, Category: catRBAC,
			Rationale:   "cluster-admin allows every action on every resource. Bound by a ClusterRoleBinding it makes the subject a superuser of the cluster; bound by a RoleBinding it gives full control of the namespace, its secrets and its RBAC. Controllers and people rarely need either. A role of the input whose rules grant every verb on every resource of every API group is cluster-admin under another name and is treated alike.",
			Remediation: "Bind a role that lists the permissions the subject needs (the built-in admin, edit or view roles for people, a dedicated role for controllers).",
			References:  []string{refRBAC, refRBACGood},
			Frameworks:  rbacFrameworks("5.1.1"),
		},
		Targets: rules.Scan | rules.Admission,
		Kinds:   bindingKinds,
		Needs:   []inventory.AnyIndex{indexAdminRoles},
		Object: func(p *rules.Pass, o *inventory.Object) {
			b := decodeBinding(p, o)
			if b == nil {
				return
			}
			what, like := `ClusterRole "cluster-admin"`, ""
			if !b.bindsClusterRole([]string{"cluster-admin"}) {
				key := b.roleRef.Kind + "/" + b.roleRef.Name
				if b.roleRef.Kind == "Role" {
					key = "Role/" + b.namespace + "/" + b.roleRef.Name
				}
				admins := inventory.Get(p.Inventory, indexAdminRoles)
				if !admins[key] {
					return
				}
				what, like = b.roleText(), ", which grants every permission like cluster-admin,"
			}
			who := make([]string, len(b.subjects))
			for i, s := range b.subjects {
				who[i] = subjectText(s)
			}
			if len(who) == 0 {
				who = []string{"no subject yet"}
			}
			p.Report("roleRef.name", "", `%s binds %s (roleRef.name)%s %s to %s`,
				b.kind, what, like, b.scopeText(), strings.Join(who, ", "))
		},
	})

	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-308", Title: "Binding grants access to unauthenticated users", Severity: critical, Category: catRBAC,
			Rationale:   "Every request without credentials is authenticated as the User system:anonymous in the Group system:unauthenticated (unless anonymous authentication is disabled). A binding to either gives its role to anyone who can reach the API server. Subjects match by kind: a Group named system:anonymous or a User named system:unauthenticated matches nobody and is not reported.",
			Remediation: "Remove the subject; give the permission to authenticated identities that need it.",
			References:  []string{refRBAC, "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests"},
			Frameworks:  rbacFrameworks(),
			Params: []rules.Param{{Name: "allowedRoles",
				Description: "ClusterRoles that may be bound to unauthenticated users (the built-in default binds only the health and version endpoints).",
				Default:     []string{"system:public-info-viewer"}}},
		},
		Kinds: bindingKinds,
		Object: subjectRule(func(p *rules.Pass, s rbacv1.Subject) (string, bool) {
			switch {
			case s.Kind == rbacv1.UserKind && s.Name == "system:anonymous":
				return "the anonymous user (User system:anonymous)", true
			case s.Kind == rbacv1.GroupKind && s.Name == "system:unauthenticated":
				return "every unauthenticated request (Group system:unauthenticated)", true
			}
			return "", false
		}),
	})

	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-309", Title: "Binding grants access to every authenticated identity", Severity: high, Category: catRBAC,
			Rationale:   "The Group system:authenticated holds every user and every service account of every namespace, and on managed clusters often every account of the cloud provider; system:serviceaccounts holds every service account. A binding to them gives its role to every workload and every person who can log in.",
			Remediation: "Bind the role to the users, groups or service accounts that need it.",
			References:  []string{refRBAC, refRBACGood},
			Frameworks:  rbacFrameworks(),
			Params: []rules.Param{
				{Name: "groups", Description: "Groups that stand for every authenticated identity.",
					Default: []string{"system:authenticated", "system:serviceaccounts"}},
				{Name: "allowedRoles", Description: "ClusterRoles that may be bound to those groups (the built-in discovery roles).",
					Default: []string{"system:basic-user", "system:discovery", "system:public-info-viewer", "system:service-account-issuer-discovery"}},
			},
		},
		Kinds: bindingKinds,
		Object: subjectRule(func(p *rules.Pass, s rbacv1.Subject) (string, bool) {
			if s.Kind == rbacv1.GroupKind && contains(p.Strings("groups"), s.Name) {
				return "every member of Group " + s.Name, true
			}
			return "", false
		}),
	})

	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-310", Title: "Binding to the system:masters group", Severity: medium, Category: catRBAC,
			Rationale:   "Members of system:masters bypass RBAC entirely: the API server allows their requests before any role is read, and their client certificates cannot be revoked short of rotating the cluster CA. A binding to the group adds nothing but shows that the group is in use, and makes it look as if RBAC limited it.",
			Remediation: "Do not issue credentials in system:masters; give administrators a dedicated group bound to the role they need, and keep a break-glass certificate offline.",
			References:  []string{refRBACGood},
			Frameworks:  rbacFrameworks("5.1.7"),
		},
		Kinds: bindingKinds,
		Object: subjectRule(func(p *rules.Pass, s rbacv1.Subject) (string, bool) {
			if s.Kind == rbacv1.GroupKind && s.Name == "system:masters" {
				return "Group system:masters, which bypasses authorization", true
			}
			return "", false
		}),
	})
}
