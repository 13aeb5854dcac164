package auditrules

// Roles written with wildcards or with the permissions that lead to everything
// else. A wildcard grants what exists today and every resource and verb added
// later (CRDs, subresources); escalate, bind and impersonate step around RBAC's
// own escalation checks; pods/exec reaches every secret a pod mounts; reading
// secrets reads every token stored in them. The scan rules PAL-3xx judge the
// roles in manifests; these detections say when one was written, and by whom.
// Roles the API server reconciles (system:apiserver) and that controllers write
// (system identities: the aggregation controller fills aggregated roles) are not
// reported: the finding belongs to the role that was aggregated.

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/rules"
)

const aggregateToPrefix = "rbac.authorization.k8s.io/aggregate-to-"

var roleWriteNeed = []audit.Need{{Verbs: []string{"create", "update", "patch"}, APIGroup: rbacGroup, Resources: []string{"roles", "clusterroles"}, Level: auditlog.LevelRequest, Stage: auditlog.StageResponseComplete}}

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-921", Title: "Role or ClusterRole with wildcards written", Severity: finding.Medium, Category: catAudit,
			Rationale: "A rule with '*' in verbs, resources or apiGroups grants every current and future match: new resources, subresources such as pods/exec, verbs such as escalate and bind. A role with '*' verbs on '*' resources of '*' groups is cluster-admin under another name, and a binding to it does not look like one (MITRE T1098.006). " +
				"High for such a role, for a ClusterRole labelled rbac.authorization.k8s.io/aggregate-to-* (its rules flow into admin, edit or view and to everyone bound to them), and for an aggregationRule with an empty selector (it aggregates every ClusterRole, cluster-admin included).",
			Remediation: "Replace the wildcards with the verbs, groups and resources the subject uses (palisade audit rbac lists them from the log). Never label a role with wildcards for aggregation.",
			References:  []string{refRBAC, refRBACGood, "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#aggregated-clusterroles", mitreURL("T1098.006")},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1098.006"}, CIS: []string{"5.1.3"}, NSA: []string{nsaRBAC}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, roleWriteNeed, func(*audit.Setup) audit.Detector { return wildcardRole{} })

	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-922", Title: "Role granting exec, escalate, bind, impersonate or secret reads written", Severity: finding.Medium, Category: catAudit,
			Rationale: "Some permissions are worth more than they say: create on pods/exec runs commands in any pod it reaches, with its token and mounts; escalate and bind let a subject write or bind roles with permissions it does not hold; impersonate lets it act as any user, group or service account; get, list or watch on secrets reads every service-account token and credential stored in the namespace (or the cluster). A role granting one of them, without resourceNames restricting it, is a step to more (MITRE T1098.006). " +
				"High for escalate, bind and impersonate. A rule with '*' everywhere is PAL-921's.",
			Remediation: "Grant these permissions only to the administrators and controllers that need them, restricted with resourceNames where the API allows it (bind on named roles, impersonate on named users), and only in the namespaces they need.",
			References:  []string{refRBAC, refRBACGood, "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping", mitreURL("T1098.006")},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1098.006"}, CIS: []string{"5.1.2", "5.1.8"}, NSA: []string{nsaRBAC}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, roleWriteNeed, func(*audit.Setup) audit.Detector { return riskyRole{} })
}

// roleWritten returns the body of a role a human or an application wrote, nil
// otherwise.
func roleWritten(c *audit.Context) map[string]any {
	ev := c.Event()
	if !isRBACWrite(ev, "roles", "clusterroles") {
		return nil
	}
	if a := c.Actor(); a.System || a.User == apiServerUser {
		return nil
	}
	return writtenObject(c)
}

func roleName(c *audit.Context, body map[string]any) string {
	o := c.Event().ObjectRef
	name := str(body, "metadata", "name")
	if name == "" {
		name = o.Name
	}
	if o.Namespace != "" {
		return audit.KindOf(o.Resource) + " " + o.Namespace + "/" + name
	}
	return audit.KindOf(o.Resource) + " " + name
}

type wildcardRole struct{}

func (wildcardRole) Event(c *audit.Context) {
	body := roleWritten(c)
	if body == nil {
		return
	}
	rs := policyRules(body)
	sev := finding.Medium
	var found []string
	path := ""
	for i := range rs {
		r := &rs[i]
		var w []string
		for _, f := range []struct {
			name string
			l    []string
		}{{"verbs", r.Verbs}, {"apiGroups", r.APIGroups}, {"resources", r.Resources}, {"nonResourceURLs", r.NonResourceURLs}} {
			if contains(f.l, "*") {
				w = append(w, f.name)
			}
		}
		if len(w) == 0 {
			continue
		}
		if path == "" {
			path = fmt.Sprintf("rules[%d]", i)
		}
		if rbac.RuleAllows(everything, r) {
			sev = finding.High
		}
		found = append(found, fmt.Sprintf("rules[%d] '*' in %s", i, strings.Join(w, ", ")))
	}
	var agg []string
	for k, v := range field(body, "metadata", "labels") {
		if strings.HasPrefix(k, aggregateToPrefix) && v == "true" {
			agg = append(agg, strings.TrimPrefix(k, aggregateToPrefix))
		}
	}
	emptySelector := false
	sels, _ := field(body, "aggregationRule")["clusterRoleSelectors"].([]any)
	for _, s := range sels {
		m, _ := s.(map[string]any)
		ml, _ := m["matchLabels"].(map[string]any)
		me, _ := m["matchExpressions"].([]any)
		if len(ml) == 0 && len(me) == 0 {
			emptySelector = true
		}
	}
	if len(found) == 0 && !emptySelector {
		return
	}
	msg := roleName(c, body) + " written with " + strings.Join(found, "; ")
	if len(found) == 0 {
		msg = roleName(c, body) + " written"
	}
	if len(found) > 0 && len(agg) > 0 {
		sev = finding.High
		msg += "; aggregated into every role selecting aggregate-to-" + strings.Join(sorted(agg), ", aggregate-to-")
	}
	if emptySelector {
		sev = finding.High
		msg += "; its aggregationRule has an empty selector, which aggregates every ClusterRole (cluster-admin included)"
		if path == "" {
			path = "aggregationRule.clusterRoleSelectors"
		}
	}
	c.Report(audit.Report{Path: path, Severity: sev, HasSeverity: true, Message: msg})
}

// riskyPermission is a permission PAL-922 reports, with the requests that prove it.
type riskyPermission struct {
	name   string
	high   bool
	probes []rbac.Attributes
}

func probe(verb, group, resource, sub string) rbac.Attributes {
	return rbac.Attributes{Verb: verb, ResourceRequest: true, APIGroup: group, Resource: resource, Subresource: sub}
}

var riskyPermissions = []riskyPermission{
	{name: "create pods/exec", probes: []rbac.Attributes{probe("create", "", "pods", "exec")}},
	{name: "escalate roles", high: true, probes: []rbac.Attributes{probe("escalate", rbacGroup, "roles", ""), probe("escalate", rbacGroup, "clusterroles", "")}},
	{name: "bind roles", high: true, probes: []rbac.Attributes{probe("bind", rbacGroup, "roles", ""), probe("bind", rbacGroup, "clusterroles", "")}},
	{name: "impersonate", high: true, probes: []rbac.Attributes{probe("impersonate", "", "users", ""), probe("impersonate", "", "groups", ""), probe("impersonate", "", "serviceaccounts", "")}},
	{name: "read secrets", probes: []rbac.Attributes{probe("get", "", "secrets", ""), probe("list", "", "secrets", ""), probe("watch", "", "secrets", "")}},
}

type riskyRole struct{}

func (riskyRole) Event(c *audit.Context) {
	body := roleWritten(c)
	if body == nil {
		return
	}
	rs := policyRules(body)
	sev := finding.Medium
	var found []string
	path := ""
	for _, p := range riskyPermissions {
		for i := range rs {
			r := &rs[i]
			if rbac.RuleAllows(everything, r) {
				continue
			}
			if anyAllows(p.probes, r) {
				found = append(found, fmt.Sprintf("%s (rules[%d])", p.name, i))
				if path == "" {
					path = fmt.Sprintf("rules[%d]", i)
				}
				if p.high {
					sev = finding.High
				}
				break
			}
		}
	}
	if len(found) == 0 {
		return
	}
	c.Report(audit.Report{Path: path, Severity: sev, HasSeverity: true, Message: roleName(c, body) + " grants " + strings.Join(found, ", ")})
}

func anyAllows(ps []rbac.Attributes, r *rbacv1.PolicyRule) bool {
	for _, p := range ps {
		if rbac.RuleAllows(p, r) {
			return true
		}
	}
	return false
}
