package identity

// Wildcards in RBAC rules grant more than their author can see: "*" covers every
// resource, verb and API group that exists now and every one a CRD or an upgrade adds
// later, including secrets, escalation verbs and subresources such as pods/exec. Each
// wildcard field is its own rule; a rule granting everything ("*" in all three) is
// reported once, by PAL-301, instead of by the three field rules and by every
// permission class it implies (see rbac.go for the reporting design).

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/palisade-k8s/palisade/internal/rules"
)

// fullWildcard reports whether pr grants every verb on every resource of every group.
func fullWildcard(pr *rbacv1.PolicyRule) bool {
	return contains(pr.Verbs, rbacv1.VerbAll) && contains(pr.Resources, rbacv1.ResourceAll) &&
		contains(pr.APIGroups, rbacv1.APIGroupAll)
}

// allURLs reports whether pr grants every verb on every non-resource URL, which
// PAL-306 reports alone (unless it is configured with no sensitive path).
func allURLs(pr *rbacv1.PolicyRule) bool {
	return contains(pr.Verbs, rbacv1.VerbAll) && contains(pr.NonResourceURLs, rbacv1.NonResourceAll)
}

func verbsText(verbs []string) string {
	if contains(verbs, rbacv1.VerbAll) {
		return `every verb ("*")`
	}
	return strings.Join(verbs, ", ")
}

func groupsText(groups []string) string {
	switch {
	case contains(groups, rbacv1.APIGroupAll):
		return `every API group ("*")`
	case len(groups) == 1:
		return groupName(groups[0])
	}
	return "API groups " + quoteList(groups)
}

func resourcesText(pr *rbacv1.PolicyRule) string {
	if len(pr.Resources) == 0 {
		return "non-resource URLs " + quoteList(pr.NonResourceURLs)
	}
	return quoteList(pr.Resources)
}

func namesText(pr *rbacv1.PolicyRule) string {
	if len(pr.ResourceNames) == 0 {
		return ""
	}
	return " (only objects named " + quoteList(pr.ResourceNames) + ")"
}

func isResourceWildcard(r string) bool {
	return r == rbacv1.ResourceAll || strings.HasPrefix(r, "*/")
}

// nonResourceCovers reports whether the wildcard URL entry w ("*" or "/prefix*")
// matches some URL at or under path.
func nonResourceCovers(w, path string) bool {
	if w == rbacv1.NonResourceAll {
		return true
	}
	if !strings.HasSuffix(w, "*") {
		return false
	}
	prefix := strings.TrimSuffix(w, "*")
	return strings.HasPrefix(path, prefix) || strings.HasPrefix(prefix, strings.TrimSuffix(path, "/")+"/")
}

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-301", Title: "RBAC rule grants every permission", Severity: critical, Category: catRBAC,
			Rationale:   `A rule with "*" verbs on "*" resources in "*" API groups is cluster-admin by another name (in a Role, admin of the namespace): it includes reading every secret, creating pods, binding and escalating roles and impersonating service accounts, and it grows with every CRD installed. It is tagged with the CIS controls that such a grant always violates and reported once, not once per permission it implies.` + rbacScopeNote,
			Remediation: "List the API groups, resources and verbs the subject needs; if it truly needs everything, bind the built-in cluster-admin role explicitly so that the grant is visible and reviewable.",
			References:  []string{refRBAC, refRBACGood},
			Frameworks:  rbacFrameworks("5.1.2", "5.1.3", "5.1.4", "5.1.8", "5.1.13"),
		},
		Kinds: roleKinds,
		Object: roleRule(func(p *rules.Pass, r *roleView, i int, pr *rbacv1.PolicyRule) {
			if !fullWildcard(pr) {
				return
			}
			j := indexOf(pr.Resources, rbacv1.ResourceAll)
			scope := "cluster-admin"
			if !r.cluster {
				scope = "the admin of its namespace"
			}
			r.report(p, rulePath(i)+".resources"+indexSuffix(j),
				`%s %s grants every verb on every resource in every API group ("*" in verbs, resources[%d] and apiGroups)%s, the same access as %s%s`,
				r.kind(), rulePath(i), j, namesText(pr), scope, impliedSuffix(pr, r.cluster))
		}),
	})

	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-302", Title: "RBAC resource wildcard reaches sensitive permissions", Severity: high, Category: catRBAC,
			Rationale:   `A resources entry "*" matches every resource and subresource of the listed API groups, including ones added later: with the verbs of the rule it reaches permissions that are reported on their own when named (secrets read, pods/exec, nodes/proxy, workload creation, ...). The finding lists them; they are not reported again separately.` + rbacScopeNote,
			Remediation: "Replace the wildcard with the resources the subject needs.",
			References:  []string{refRBAC, refRBACGood},
			Frameworks:  rbacFrameworks("5.1.3"),
		},
		Kinds: roleKinds,
		Object: roleRule(func(p *rules.Pass, r *roleView, i int, pr *rbacv1.PolicyRule) {
			if len(impliedClasses(pr, r.cluster)) > 0 {
				reportResourceWildcard(p, r, i, pr, impliedSuffix(pr, r.cluster))
			}
		}),
	})

	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-303", Title: "RBAC resource wildcard", Severity: low, Category: catRBAC,
			Rationale:   `A resources entry "*" matches every resource of the listed API groups, and "*/<sub>" that subresource of every resource, including any a CRD or an upgrade adds later. This rule reports the wildcards that reach none of the sensitive permissions Palisade knows of; PAL-302 reports the others.` + rbacScopeNote,
			Remediation: "Replace the wildcard with the resources the subject needs.",
			References:  []string{refRBAC, refRBACGood},
			Frameworks:  rbacFrameworks("5.1.3"),
		},
		Kinds: roleKinds,
		Object: roleRule(func(p *rules.Pass, r *roleView, i int, pr *rbacv1.PolicyRule) {
			if len(impliedClasses(pr, r.cluster)) == 0 {
				reportResourceWildcard(p, r, i, pr, "")
			}
		}),
	})

	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-304", Title: "RBAC rule grants every verb", Severity: medium, Category: catRBAC,
			Rationale:   `A verbs entry "*" grants every verb, including delete, deletecollection and the special verbs escalate, bind, impersonate and approve, on the listed resources, and any verb a future version adds. A rule that also has "*" resources and API groups is reported by PAL-301 instead, and "*" verbs on every non-resource URL by PAL-306.` + rbacScopeNote,
			Remediation: "List the verbs the subject needs, usually get, list and watch for readers.",
			References:  []string{refRBAC, refRBACGood},
			Frameworks:  rbacFrameworks("5.1.3"),
		},
		Kinds: roleKinds,
		Object: roleRule(func(p *rules.Pass, r *roleView, i int, pr *rbacv1.PolicyRule) {
			j := indexOf(pr.Verbs, rbacv1.VerbAll)
			if j < 0 || fullWildcard(pr) || (allURLs(pr) && len(p.StringsOf("PAL-306", "sensitivePaths")) > 0) {
				return
			}
			where := ""
			if len(pr.Resources) > 0 {
				where = " in " + groupsText(pr.APIGroups)
			}
			r.report(p, rulePath(i)+".verbs"+indexSuffix(j),
				`%s %s grants every verb ("*" at verbs[%d]) on %s%s%s`,
				r.kind(), rulePath(i), j, resourcesText(pr), where, namesText(pr))
		}),
	})

	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-305", Title: "RBAC rule matches every API group", Severity: low, Category: catRBAC,
			Rationale:   `An apiGroups entry "*" applies the rule's resource names to every API group, including groups a CRD adds later that happen to reuse a name ("secrets", "policies", "configs").` + rbacScopeNote,
			Remediation: `List the API groups that serve the resources ("" for the core group).`,
			References:  []string{refRBAC, refRBACGood},
			Frameworks:  rbacFrameworks("5.1.3"),
		},
		Kinds: roleKinds,
		Object: roleRule(func(p *rules.Pass, r *roleView, i int, pr *rbacv1.PolicyRule) {
			j := indexOf(pr.APIGroups, rbacv1.APIGroupAll)
			if j < 0 || fullWildcard(pr) {
				return
			}
			r.report(p, rulePath(i)+".apiGroups"+indexSuffix(j),
				`%s %s grants %s on resources %s in every API group ("*" at apiGroups[%d])%s`,
				r.kind(), rulePath(i), verbsText(pr.Verbs), resourcesText(pr), j, namesText(pr))
		}),
	})

	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-306", Title: "Wildcard non-resource URL covers sensitive endpoints", Severity: low, Category: catRBAC,
			Rationale:   `A nonResourceURLs wildcard ("*" or a "/prefix*" entry) reaches API server endpoints outside the resource model, among them the control plane's log files (/logs) and its profiling and debug handlers (/debug), which disclose internals and can change the server's behaviour. Only wildcards that cover one of the configured sensitive paths are reported; explicit URLs such as /metrics or /healthz are deliberate grants.` + rbacScopeNote,
			Remediation: `List the exact non-resource URLs needed (for example "/metrics").`,
			References:  []string{refRBAC},
			Frameworks:  rbacFrameworks("5.1.3"),
			Params: []rules.Param{{Name: "sensitivePaths", Syntax: rules.Path,
				Description: "API server paths a non-resource URL wildcard must not cover.",
				Default:     []string{"/logs", "/debug"}}},
		},
		Kinds: []string{"ClusterRole"},
		Object: roleRule(func(p *rules.Pass, r *roleView, i int, pr *rbacv1.PolicyRule) {
			sensitive := p.Strings("sensitivePaths")
			for j, u := range pr.NonResourceURLs {
				var covered []string
				for _, s := range sensitive {
					if nonResourceCovers(u, s) {
						covered = append(covered, s)
					}
				}
				if len(covered) > 0 {
					r.report(p, rulePath(i)+".nonResourceURLs"+indexSuffix(j),
						"%s %s grants %s on non-resource URL %q (nonResourceURLs[%d]), which covers %s",
						r.kind(), rulePath(i), verbsText(pr.Verbs), u, j, strings.Join(covered, ", "))
					return
				}
			}
		}),
	})
}

// reportResourceWildcard reports the resources wildcards of pr (PAL-302, PAL-303),
// unless pr grants everything (PAL-301).
func reportResourceWildcard(p *rules.Pass, r *roleView, i int, pr *rbacv1.PolicyRule, suffix string) {
	if fullWildcard(pr) {
		return
	}
	first := -1
	var entries []string
	for j, res := range pr.Resources {
		if isResourceWildcard(res) {
			if first < 0 {
				first = j
			}
			entries = append(entries, fmt.Sprintf("resources[%d] %q", j, res))
		}
	}
	if first < 0 {
		return
	}
	r.report(p, rulePath(i)+".resources"+indexSuffix(first),
		"%s %s grants %s on wildcard resources (%s) in %s%s%s",
		r.kind(), rulePath(i), verbsText(pr.Verbs), strings.Join(entries, ", "), groupsText(pr.APIGroups),
		namesText(pr), suffix)
}

func indexOf(list []string, s string) int {
	for i, e := range list {
		if e == s {
			return i
		}
	}
	return -1
}
