package controlplane

// The audit log is the API server's record of who did what: the only way to tell
// after the fact which credential read a Secret or created a privileged pod.
// kube-apiserver records nothing unless it has both a policy (--audit-policy-file,
// which says what to record and at which level) and a backend (--audit-log-path for a
// file, or --audit-webhook-config-file). A log file needs rotation and retention
// settings, or it either fills the disk or is gone before anyone looks. The policy
// itself can leak what it records: at Request or RequestResponse level the bodies of
// Secrets, ConfigMaps and TokenReviews, that is the credentials themselves, end up in
// the log. CIS 1.2.16 to 1.2.19, 3.2.1 and 3.2.2.

import (
	"fmt"
	"strings"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const refAudit = "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/"

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-711", Title: "API server audit logging disabled", Severity: high, Category: catControlPlane,
			Rationale: "Without an audit policy (--audit-policy-file) kube-apiserver records no audit events at all, and without a backend (--audit-log-path, or a webhook in --audit-webhook-config-file) it has nowhere to write them. A cluster without an audit log cannot answer which credential did what during an incident. " +
				"A webhook backend instead of a log file is accepted for --audit-log-path. CIS 3.2.1 (a minimal audit policy) is a Manual recommendation; the flag is what can be checked from the manifest, and an audit Policy in the input is checked by PAL-713.",
			Remediation: "Set --audit-policy-file to an audit Policy (at least Metadata level for all requests) and --audit-log-path to a file on a mounted host path (or configure --audit-webhook-config-file), with the retention flags of PAL-712.",
			References:  []string{refAudit, refAPIServerFlags},
			Frameworks:  cpFrameworks([]string{"1.2.16", "3.2.1"}, nsaAuditLog),
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binAPIServer}, checkAuditEnabled)
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-712", Title: "API server audit log retention not set", Severity: low, Category: catControlPlane,
			Rationale: "When kube-apiserver writes its audit log to a file, --audit-log-maxsize decides when the file is rotated, and --audit-log-maxage and --audit-log-maxbackup how many days and how many rotated files are kept. For those two, 0 (the default) means no limit: rotated files are kept until the disk fills and auditing fails; for --audit-log-maxsize, 0 means the log library's default of 100 MB. CIS asks for at least 30 days, 10 files and 100 MB, or whatever the organisation's retention policy requires: the parameters set the minimums. " +
				"Not checked when the log goes to standard output (--audit-log-path=-), where the container runtime rotates it.",
			Remediation: "Set --audit-log-maxage, --audit-log-maxbackup and --audit-log-maxsize on kube-apiserver to at least the minimums (for example 30, 10 and 100), and ship the log off the node.",
			References:  []string{refAudit, refAPIServerFlags},
			Frameworks:  cpFrameworks([]string{"1.2.17", "1.2.18", "1.2.19"}, nsaAuditLog),
			Params: []rules.Param{
				{Name: "minMaxAge", Syntax: rules.Integer, Description: "Smallest acceptable --audit-log-maxage, in days.", Default: "30"},
				{Name: "minMaxBackup", Syntax: rules.Integer, Description: "Smallest acceptable --audit-log-maxbackup, in files.", Default: "10"},
				{Name: "minMaxSize", Syntax: rules.Integer, Description: "Smallest acceptable --audit-log-maxsize, in megabytes.", Default: "100"},
			},
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binAPIServer}, checkAuditRetention)
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-713", Title: "Audit policy records the contents of secrets", Severity: medium, Category: catControlPlane,
			Rationale: "An audit Policy (audit.k8s.io) applies the level of the first rule that matches a request. At Request or RequestResponse level the request and response bodies are written to the audit log, so for Secrets, ConfigMaps and TokenReviews the log then holds the credentials themselves, readable by everyone who can read the log and copied to wherever logs are shipped. CIS 3.2.2 (Manual) asks to log only Metadata for these resources. " +
				"A rule that matches only some users, verbs or namespaces is reported and the search goes on to the next rules, since requests it does not match fall through to them. A resource no rule matches is not logged at all, which is not reported here.",
			Remediation: "Put a rule at level Metadata for the sensitive resources (group \"\": secrets, configmaps; group authentication.k8s.io: tokenreviews) before any rule that logs them at Request or RequestResponse level.",
			References:  []string{refAudit, "https://kubernetes.io/docs/reference/config-api/apiserver-audit.v1/"},
			Frameworks:  cpFrameworks([]string{"3.2.2"}, nsaAuditLog),
			Params: []rules.Param{{Name: "resources",
				Description: "Resources whose bodies must not be logged, as resource or resource.group.",
				Default:     []string{"secrets", "configmaps", "tokenreviews.authentication.k8s.io"}}},
		},
		Kinds:  []string{"Policy"},
		Scoped: true,
		Object: checkAuditPolicy,
	})
}

func checkAuditEnabled(_ *rules.Pass, cp *component) []issue {
	var out []issue
	if _, ok := cp.get("audit-log-path"); !ok {
		if _, hook := cp.get("audit-webhook-config-file"); !hook {
			out = append(out, issue{cp.missing("audit-log-path"), "1.2.16",
				"--audit-log-path is not set (nor --audit-webhook-config-file): audit events are written nowhere"})
		}
	}
	out = append(out, requireSet(cp, "audit-policy-file", "3.2.1", "without an audit policy the API server records no audit events")...)
	return out
}

func checkAuditRetention(p *rules.Pass, cp *component) []issue {
	logPath, ok := cp.get("audit-log-path")
	if !ok || logPath.value == "-" {
		return nil
	}
	var out []issue
	for _, f := range []struct {
		flag, param, cis, unit string
		def                    int64
		// zero is what 0 (the default) means; zeroIs its effective value, or -1 for
		// no limit.
		zero   string
		zeroIs int64
	}{
		{"audit-log-maxage", "minMaxAge", "1.2.17", "days", 30, "rotated files are kept whatever their age", -1},
		{"audit-log-maxbackup", "minMaxBackup", "1.2.18", "files", 10, "every rotated file is kept", -1},
		{"audit-log-maxsize", "minMaxSize", "1.2.19", "MB", 100, "the log is rotated at the default of 100 MB", 100},
	} {
		floor := paramInt(p, f.param, f.def)
		s, set := cp.get(f.flag)
		if set && s.unknown {
			continue
		}
		n, valid := int64(0), true
		if set {
			n, valid = parseFlagInt(s)
		}
		path, how := cp.missing(f.flag), "--"+f.flag+" is not set"
		if set {
			path, how = s.path, s.written
		}
		switch {
		case !valid:
			out = append(out, issue{path, f.cis, fmt.Sprintf("%s is not an integer; set it to at least %d %s", how, floor, f.unit)})
		case n == 0 && f.zeroIs < 0:
			out = append(out, issue{path, f.cis, fmt.Sprintf("%s (0: %s, until the disk fills); set it to at least %d %s", how, f.zero, floor, f.unit)})
		case n == 0 && f.zeroIs < floor:
			out = append(out, issue{path, f.cis, fmt.Sprintf("%s (0: %s), below the minimum of %d %s", how, f.zero, floor, f.unit)})
		case n > 0 && n < floor:
			out = append(out, issue{path, f.cis, fmt.Sprintf("%s is below the minimum of %d %s", how, floor, f.unit)})
		}
	}
	return out
}

// auditRule is the part of an audit policy rule that decides what it matches.
type auditRule struct {
	level     string
	resources []auditGroupResources
	// nonResource is set for rules that match only non-resource URLs.
	nonResource bool
	// partial is set when the rule matches only some requests (users, groups, verbs,
	// namespaces).
	partial bool
}

type auditGroupResources struct {
	group         string
	resources     []string
	resourceNames bool
}

// matches reports whether a rule matches requests for a resource of a group; partly
// is set when it matches only some of them.
func (r auditRule) matches(group, resource string) (matched, partly bool) {
	if r.nonResource {
		return false, false
	}
	if len(r.resources) == 0 {
		return true, r.partial
	}
	for _, gr := range r.resources {
		if gr.group != group {
			continue
		}
		if len(gr.resources) == 0 || contains(gr.resources, resource) || contains(gr.resources, "*") || contains(gr.resources, "*/*") {
			return true, r.partial || gr.resourceNames
		}
	}
	return false, false
}

func checkAuditPolicy(p *rules.Pass, o *inventory.Object) {
	if o.Group() != "audit.k8s.io" {
		return
	}
	p.InScope()
	raw, _ := o.Body["rules"].([]any)
	var rs []auditRule
	for _, e := range raw {
		m, _ := e.(map[string]any)
		r := auditRule{level: fmt.Sprint(m["level"])}
		for _, k := range []string{"users", "userGroups", "verbs", "namespaces"} {
			if l, _ := m[k].([]any); len(l) > 0 {
				r.partial = true
			}
		}
		urls, _ := m["nonResourceURLs"].([]any)
		res, _ := m["resources"].([]any)
		r.nonResource = len(urls) > 0 && len(res) == 0
		for _, g := range res {
			gm, _ := g.(map[string]any)
			gr := auditGroupResources{}
			if s, ok := gm["group"].(string); ok {
				gr.group = s
			}
			gr.resources = asList(gm["resources"])
			gr.resourceNames = len(asList(gm["resourceNames"])) > 0
			r.resources = append(r.resources, gr)
		}
		rs = append(rs, r)
	}
	logged := map[int][]string{}
	for _, spec := range p.Strings("resources") {
		resource, group, _ := strings.Cut(strings.TrimSpace(spec), ".")
		for i, r := range rs {
			matched, partly := r.matches(group, resource)
			if !matched {
				continue
			}
			if r.level == "Request" || r.level == "RequestResponse" {
				logged[i] = append(logged[i], spec)
			}
			if !partly {
				break
			}
		}
	}
	for i := range rs {
		if res := logged[i]; len(res) > 0 {
			p.Report(fmt.Sprintf("rules[%d].level", i), "", "CIS 3.2.2: audit policy rule %d logs %s at level %s, which writes their contents to the audit log", i, quoteList(res), rs[i].level)
		}
	}
}

// asList returns the strings of a decoded YAML list.
func asList(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
