package auditpolicy

import (
	"fmt"
	"slices"
	"strings"

	apiaudit "k8s.io/apiserver/pkg/apis/audit"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/palisade-k8s/palisade/internal/audit"
)

// Status is how well a policy serves a detection.
type Status string

// The statuses, from best to worst.
const (
	// Covered: every request the detection reads is logged at its level and stage.
	Covered Status = "covered"
	// Degraded: the requests are logged, but below the level the detection needs
	// (Metadata where it reads the request body): it sees who did what, not how.
	Degraded Status = "degraded"
	// Blind: some request the detection reads is not logged (level None, or the
	// stage it reads omitted).
	Blind Status = "blind"
)

func (s Status) worse(than Status) bool { return rank(s) > rank(than) }

func rank(s Status) int {
	switch s {
	case Blind:
		return 2
	case Degraded:
		return 1
	}
	return 0
}

// Probe is one request a detection reads, as the policy evaluator sees it.
type Probe struct {
	User, Verb, Namespace, APIGroup, Resource, Subresource, Path string
	Groups                                                       []string
}

func (p Probe) String() string {
	who := p.User
	if p.Path != "" {
		return fmt.Sprintf("%s %s by %s", p.Verb, p.Path, who)
	}
	res := p.Resource
	if p.Subresource != "" {
		res += "/" + p.Subresource
	}
	if p.APIGroup != "" {
		res += "." + p.APIGroup
	}
	where := ""
	if p.Namespace != "" {
		where = " in " + p.Namespace
	}
	return fmt.Sprintf("%s %s%s by %s", p.Verb, res, where, who)
}

func (p Probe) attributes() authorizer.AttributesRecord {
	a := authorizer.AttributesRecord{User: &user.DefaultInfo{Name: p.User, Groups: p.Groups}, Verb: p.Verb}
	if p.Path != "" {
		a.Path = p.Path
		return a
	}
	a.ResourceRequest = true
	a.Namespace, a.APIGroup, a.Resource, a.Subresource = p.Namespace, p.APIGroup, p.Resource, p.Subresource
	return a
}

// Decision is what the policy does with one request: the level and omitted stages
// of the rule that matched it (Rule -1: none did, level None).
type Decision struct {
	Rule       int
	Level      string
	OmitStages []string
}

// Decide evaluates the policy for one request with the API server's evaluator.
func (p *Policy) Decide(pr Probe) Decision {
	attrs := pr.attributes()
	cfg := p.eval.EvaluatePolicyRule(attrs)
	d := Decision{Rule: -1, Level: string(cfg.Level)}
	for _, s := range cfg.OmitStages {
		d.OmitStages = append(d.OmitStages, string(s))
	}
	slices.Sort(d.OmitStages)
	for i, e := range p.single {
		if e.EvaluatePolicyRule(attrs).Level != apiaudit.LevelNone {
			d.Rule = i
			break
		}
	}
	if d.Rule < 0 && d.Level == "" {
		d.Level = string(apiaudit.LevelNone)
	}
	return d
}

// NeedCoverage is the verdict of one Need of a detection: the worst of its probes,
// with the probe and rule that made it.
type NeedCoverage struct {
	Need   audit.Need `json:"-"`
	Status Status     `json:"status"`
	// Probe is the request that got the worst verdict; Decision what the policy
	// did with it.
	Probe    string   `json:"request"`
	Decision Decision `json:"decision"`
	Reason   string   `json:"reason,omitempty"`
}

// Coverage is the verdict for one detection.
type Coverage struct {
	Rule   string         `json:"rule"`
	Title  string         `json:"title"`
	Status Status         `json:"status"`
	Needs  []NeedCoverage `json:"needs"`
}

// Worst is the need that decided the detection's status.
func (c Coverage) Worst() NeedCoverage {
	w := c.Needs[0]
	for _, n := range c.Needs[1:] {
		if n.Status.worse(w.Status) {
			w = n
		}
	}
	return w
}

// Leak is a sensitive request the policy logs with its bodies: the credentials end
// up in the log.
type Leak struct {
	Resource string   `json:"resource"`
	Verbs    []string `json:"verbs"`
	Level    string   `json:"level"`
	Rule     int      `json:"rule"`
	Why      string   `json:"why"`
}

// Report is the coverage of the detections by a policy and what it leaks.
type Report struct {
	File       string     `json:"file"`
	Detections []Coverage `json:"detections"`
	Leaks      []Leak     `json:"leaks"`
	Warnings   []string   `json:"warnings,omitempty"`
	// Lines are the lines of the policy's rules in File (by rule index).
	Lines []int `json:"ruleLines,omitempty"`
}

// Blind lists the detections the policy leaves blind.
func (r *Report) Blind() []Coverage {
	var out []Coverage
	if r == nil {
		return nil
	}
	for _, c := range r.Detections {
		if c.Status == Blind {
			out = append(out, c)
		}
	}
	return out
}

// The identities and namespaces a Need is probed with when it does not name them:
// an ordinary user, a service account, in an ordinary namespace and in kube-system
// (policies often treat it apart).
var (
	probeIdentities = []struct {
		user   string
		groups []string
	}{
		{"palisade-probe-user", []string{"system:authenticated"}},
		{"system:serviceaccount:default:palisade-probe", []string{"system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"}},
	}
	probeNamespaces = []string{"default", "kube-system"}
	// probeVerbs are the verbs of a Need that names none.
	probeVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	// probePaths are the non-resource URLs of a Need that reads them.
	probePaths = []string{"/api", "/apis", "/version"}
)

// clusterScoped are the built-in cluster-scoped resources (probed without a
// namespace: a policy rule naming namespaces never matches them).
var clusterScoped = map[string]bool{
	"nodes": true, "namespaces": true, "persistentvolumes": true, "componentstatuses": true,
	"clusterroles": true, "clusterrolebindings": true,
	"mutatingwebhookconfigurations": true, "validatingwebhookconfigurations": true,
	"validatingadmissionpolicies": true, "validatingadmissionpolicybindings": true,
	"mutatingadmissionpolicies": true, "mutatingadmissionpolicybindings": true,
	"certificatesigningrequests": true, "clustertrustbundles": true,
	"customresourcedefinitions": true, "apiservices": true,
	"tokenreviews": true, "selfsubjectreviews": true, "selfsubjectaccessreviews": true,
	"selfsubjectrulesreviews": true, "subjectaccessreviews": true,
	"storageclasses": true, "csidrivers": true, "csinodes": true, "volumeattachments": true,
	"priorityclasses": true, "runtimeclasses": true, "ingressclasses": true,
	"flowschemas": true, "prioritylevelconfigurations": true,
}

// Probes expands a Need into the requests it reads. A resource "*" is probed as a
// resource no rule names specifically ("*" matches only rules for any resource). A
// Need without resources that is not NonResource reads any request: it is probed
// with non-resource URLs and with pods.
func Probes(n audit.Need) []Probe {
	type ident struct {
		user   string
		groups []string
	}
	var ids []ident
	switch {
	case len(n.Users) > 0:
		for _, u := range n.Users {
			ids = append(ids, ident{u, n.Groups})
		}
	case len(n.Groups) > 0:
		ids = append(ids, ident{"palisade-probe-user", n.Groups})
	default:
		for _, id := range probeIdentities {
			ids = append(ids, ident{id.user, id.groups})
		}
	}
	verbs := n.Verbs
	if len(verbs) == 0 {
		verbs = probeVerbs
	}
	var out []Probe
	resources := n.Resources
	if !n.NonResource && len(resources) == 0 {
		// Any request: a resource request (pods of the Need's group) and
		// non-resource URLs alike.
		resources = []string{"pods"}
	}
	if n.NonResource || len(n.Resources) == 0 {
		for _, id := range ids {
			for _, v := range verbs {
				for _, path := range probePaths {
					out = append(out, Probe{User: id.user, Groups: id.groups, Verb: v, Path: path})
				}
			}
		}
		if n.NonResource {
			return out
		}
	}
	for _, id := range ids {
		for _, v := range verbs {
			for _, r := range resources {
				res, sub, _ := strings.Cut(r, "/")
				namespaces := probeNamespaces
				if clusterScoped[res] {
					namespaces = []string{""}
				}
				for _, ns := range namespaces {
					out = append(out, Probe{User: id.user, Groups: id.groups, Verb: v, Namespace: ns, APIGroup: n.APIGroup, Resource: res, Subresource: sub})
				}
			}
		}
	}
	return out
}

// levelRank orders the audit levels.
func levelRank(l string) int {
	switch apiaudit.Level(l) {
	case apiaudit.LevelMetadata:
		return 1
	case apiaudit.LevelRequest:
		return 2
	case apiaudit.LevelRequestResponse:
		return 3
	}
	return 0
}

// judge says what a decision means for a need.
func judge(n audit.Need, d Decision) (Status, string) {
	if levelRank(d.Level) == 0 {
		if d.Rule < 0 {
			return Blind, "no rule matches: not logged"
		}
		return Blind, fmt.Sprintf("rule %d logs it at level None", d.Rule)
	}
	stage := n.Stage
	if stage == "" {
		stage = "ResponseComplete"
	}
	if slices.Contains(d.OmitStages, stage) {
		return Blind, fmt.Sprintf("rule %d omits stage %s", d.Rule, stage)
	}
	need := n.Level
	if need == "" {
		need = string(apiaudit.LevelMetadata)
	}
	if levelRank(d.Level) < levelRank(need) {
		return Degraded, fmt.Sprintf("rule %d logs it at level %s, the detection reads %s", d.Rule, d.Level, need)
	}
	return Covered, ""
}

// Evaluate judges the policy against the detections (audit.Detections() when nil)
// and lists what it leaks. A nil policy is an API server without one (no
// --audit-policy-file): it logs nothing, every detection is blind.
func Evaluate(p *Policy, dets []audit.Registered) *Report {
	if dets == nil {
		dets = audit.Detections()
	}
	r := &Report{Detections: []Coverage{}, Leaks: []Leak{}}
	if p == nil {
		for _, det := range dets {
			c := Coverage{Rule: det.Rule.ID, Title: det.Rule.Title, Status: Blind}
			for _, n := range det.Needs {
				c.Needs = append(c.Needs, NeedCoverage{Need: n, Status: Blind, Decision: Decision{Rule: -1, Level: "None"},
					Reason: "kube-apiserver has no --audit-policy-file: it logs nothing"})
			}
			if len(c.Needs) > 0 {
				r.Detections = append(r.Detections, c)
			}
		}
		return r
	}
	r.File, r.Warnings, r.Lines = p.File, p.Warnings, p.Lines
	for _, det := range dets {
		c := Coverage{Rule: det.Rule.ID, Title: det.Rule.Title, Status: Covered}
		for _, n := range det.Needs {
			nc := NeedCoverage{Need: n, Status: Covered}
			first := true
			for _, pr := range Probes(n) {
				d := p.Decide(pr)
				st, why := judge(n, d)
				if first || st.worse(nc.Status) {
					nc.Status, nc.Reason, nc.Probe, nc.Decision = st, why, pr.String(), d
					first = false
				}
			}
			if nc.Status.worse(c.Status) {
				c.Status = nc.Status
			}
			c.Needs = append(c.Needs, nc)
		}
		if len(c.Needs) > 0 {
			r.Detections = append(r.Detections, c)
		}
	}
	r.Leaks = leaks(p)
	return r
}

// sensitive are the requests whose bodies carry credentials, and the level from
// which the log holds them: a Secret or ConfigMap written (Request) or read
// (RequestResponse), a TokenReview's token (in its request), a TokenRequest's token
// (in its response).
var sensitive = []struct {
	group, resource, sub string
	verbs                []string
	level                string
	why                  string
}{
	{"", "secrets", "", []string{"create", "update", "patch"}, "Request", "Secret data written"},
	{"", "secrets", "", []string{"get", "list", "watch", "create", "update", "patch"}, "RequestResponse", "Secret data read"},
	{"", "configmaps", "", []string{"create", "update", "patch"}, "Request", "ConfigMap data (often credentials) written"},
	{"", "configmaps", "", []string{"get", "list", "watch", "create", "update", "patch"}, "RequestResponse", "ConfigMap data (often credentials) read"},
	{"authentication.k8s.io", "tokenreviews", "", []string{"create"}, "Request", "the bearer token under review"},
	{"", "serviceaccounts", "token", []string{"create"}, "RequestResponse", "the service-account token issued"},
}

// leaks lists the sensitive requests logged with their bodies, one per resource,
// level and deciding rule.
func leaks(p *Policy) []Leak {
	var out []Leak
	seen := map[string]int{}
	for _, s := range sensitive {
		res := s.resource
		if s.sub != "" {
			res += "/" + s.sub
		}
		if s.group != "" {
			res += "." + s.group
		}
		for _, v := range s.verbs {
			for _, id := range probeIdentities {
				for _, ns := range probeNamespaces {
					d := p.Decide(Probe{User: id.user, Groups: id.groups, Verb: v, Namespace: ns, APIGroup: s.group, Resource: s.resource, Subresource: s.sub})
					if levelRank(d.Level) < levelRank(s.level) {
						continue
					}
					key := fmt.Sprintf("%s|%d", res, d.Rule)
					if i, ok := seen[key]; ok {
						if !slices.Contains(out[i].Verbs, v) {
							out[i].Verbs = append(out[i].Verbs, v)
						}
						if !strings.Contains(out[i].Why, s.why) {
							out[i].Why += "; " + s.why
						}
						continue
					}
					seen[key] = len(out)
					out = append(out, Leak{Resource: res, Verbs: []string{v}, Level: d.Level, Rule: d.Rule, Why: s.why})
				}
			}
		}
	}
	return out
}
