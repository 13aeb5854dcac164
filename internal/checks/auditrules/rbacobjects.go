package auditrules

// Reading the RBAC objects a write carried: the rules of a Role or ClusterRole,
// the roleRef and subjects of a binding. Bounded: a role with more rules than
// maxRules is judged on its first maxRules.

import (
	"strconv"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/rbac"
)

const maxRules = 1000

// isRBACWrite reports whether an event is a completed, successful write of one
// of the resources (of rbac.authorization.k8s.io).
func isRBACWrite(ev *auditlog.Event, resources ...string) bool {
	o := ev.ObjectRef
	return completed(ev) && ev.Succeeded() && o != nil && o.APIGroup == rbacGroup && o.Subresource == "" &&
		isWrite(ev.Verb) && contains(resources, o.Resource) && !isDryRun(ev)
}

// policyRules decodes the rules of a role body.
func policyRules(body map[string]any) []rbacv1.PolicyRule {
	l, _ := body["rules"].([]any)
	if len(l) > maxRules {
		l = l[:maxRules]
	}
	out := make([]rbacv1.PolicyRule, 0, len(l))
	for _, x := range l {
		m, _ := x.(map[string]any)
		out = append(out, rbacv1.PolicyRule{
			Verbs: strs(m["verbs"]), APIGroups: strs(m["apiGroups"]), Resources: strs(m["resources"]),
			ResourceNames: strs(m["resourceNames"]), NonResourceURLs: strs(m["nonResourceURLs"]),
		})
	}
	return out
}

// everything is the request only a rule granting every verb on every resource of
// every group allows.
var everything = rbac.Attributes{Verb: "*", ResourceRequest: true, APIGroup: "*", Resource: "*"}

// grantsEverything reports whether one of the rules allows every verb on every
// resource (cluster-admin's rule).
func grantsEverything(rs []rbacv1.PolicyRule) bool {
	for i := range rs {
		if rbac.RuleAllows(everything, &rs[i]) {
			return true
		}
	}
	return false
}

// subjectsText names the subjects of a binding body ("user:alice,
// serviceaccount:ns/sa"); at most 10, then the count.
func subjectsText(body map[string]any, bindingNS string) string {
	l, _ := body["subjects"].([]any)
	var parts []string
	for i, x := range l {
		if i == 10 {
			parts = append(parts, "and "+strconv.Itoa(len(l)-10)+" more")
			break
		}
		m, _ := x.(map[string]any)
		kind, name, ns := str(m, "kind"), str(m, "name"), str(m, "namespace")
		switch kind {
		case "ServiceAccount":
			if ns == "" {
				ns = bindingNS
			}
			parts = append(parts, "serviceaccount:"+ns+"/"+name)
		default:
			parts = append(parts, strings.ToLower(kind)+":"+name)
		}
	}
	if len(parts) == 0 {
		return "no subjects"
	}
	return strings.Join(parts, ", ")
}

// broadSubject reports whether a binding body names a group every user or every
// service account is in, or the anonymous user.
func broadSubject(body map[string]any) string {
	l, _ := body["subjects"].([]any)
	for _, x := range l {
		m, _ := x.(map[string]any)
		switch n := str(m, "name"); n {
		case "system:anonymous", "system:unauthenticated", "system:authenticated", "system:serviceaccounts":
			return n
		}
	}
	return ""
}

// roleKey names a role in the detectors' memory.
func roleKey(kind, namespace, name string) string {
	if kind == "ClusterRole" {
		return "ClusterRole/" + name
	}
	return "Role/" + namespace + "/" + name
}
