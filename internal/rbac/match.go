package rbac

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// RuleAllows reports whether a rule allows a request, exactly as the RBAC authorizer
// matches: a resource request needs the verb, the API group, the resource (with its
// subresource) and the name to match; a non-resource request the verb and the path.
func RuleAllows(a Attributes, r *rbacv1.PolicyRule) bool {
	if !VerbMatches(r, a.Verb) {
		return false
	}
	if !a.ResourceRequest {
		return URLMatches(r, a.Path)
	}
	return GroupMatches(r, a.APIGroup) && ResourceMatches(r, a.Resource, a.Subresource) && NameMatches(r, a.Name)
}

// VerbMatches: the rule lists the verb or "*".
func VerbMatches(r *rbacv1.PolicyRule, verb string) bool {
	for _, v := range r.Verbs {
		if v == rbacv1.VerbAll || v == verb {
			return true
		}
	}
	return false
}

// GroupMatches: the rule lists the API group ("" is the core group) or "*".
func GroupMatches(r *rbacv1.PolicyRule, group string) bool {
	for _, g := range r.APIGroups {
		if g == rbacv1.APIGroupAll || g == group {
			return true
		}
	}
	return false
}

// ResourceMatches: the rule lists "*" (every resource and subresource), the resource
// as requested ("pods", or "pods/log" for a subresource: "pods" alone does not cover
// it), or "*/SUB" for the subresource SUB of any resource.
func ResourceMatches(r *rbacv1.PolicyRule, resource, subresource string) bool {
	for _, res := range r.Resources {
		if ResourceEntryMatches(res, resource, subresource) {
			return true
		}
	}
	return false
}

// ResourceEntryMatches reports whether one entry of a rule's resources matches the
// request, as ResourceMatches does for the whole list ("pods/*" matches nothing).
func ResourceEntryMatches(entry, resource, subresource string) bool {
	if entry == rbacv1.ResourceAll {
		return true
	}
	if subresource == "" {
		return entry == resource
	}
	if entry == resource+"/"+subresource {
		return true
	}
	return len(entry) == len(subresource)+2 && strings.HasPrefix(entry, "*/") && strings.HasSuffix(entry, subresource)
}

// NameMatches: the rule lists no resourceNames, or lists the requested name. A request
// without a name (create, list, watch, deletecollection) matches no rule that
// restricts names.
func NameMatches(r *rbacv1.PolicyRule, name string) bool {
	if len(r.ResourceNames) == 0 {
		return true
	}
	for _, n := range r.ResourceNames {
		if n == name {
			return true
		}
	}
	return false
}

// URLMatches: the rule lists "*", the path, or a prefix of it ending in "*".
func URLMatches(r *rbacv1.PolicyRule, path string) bool {
	for _, u := range r.NonResourceURLs {
		if u == rbacv1.NonResourceAll || u == path {
			return true
		}
		if strings.HasSuffix(u, "*") && strings.HasPrefix(path, strings.TrimRight(u, "*")) {
			return true
		}
	}
	return false
}
