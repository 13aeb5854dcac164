// Package rules defines what a rule is (metadata plus a pure check function) and the
// registry that every rule joins. Rules report through a Pass; they never print.
package rules

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// Frameworks maps a rule to the guidance it implements.
type Frameworks struct {
	// PSS is the Pod Security Standards level ("baseline" or "restricted"), empty if none.
	PSS string `json:"pss,omitempty"`
	// PSSCheck is the pod-security-admission check ID that decides this rule.
	PSSCheck string `json:"pssCheck,omitempty"`
	// CIS lists CIS Kubernetes Benchmark v1.12 recommendation IDs ("5.2.2").
	CIS []string `json:"cis,omitempty"`
	// NSA lists NSA/CISA Kubernetes Hardening Guide sections.
	NSA []string `json:"nsa,omitempty"`
	// Layer is the 4C layer: cloud, cluster, container or code.
	Layer string `json:"layer"`
}

// Tags renders the frameworks as short tags for findings ("pss:baseline").
func (f Frameworks) Tags() []string {
	var t []string
	if f.PSS != "" {
		t = append(t, "pss:"+f.PSS)
	}
	for _, c := range f.CIS {
		t = append(t, "cis:"+c)
	}
	for _, n := range f.NSA {
		t = append(t, "nsa:"+n)
	}
	if f.Layer != "" {
		t = append(t, "4c:"+f.Layer)
	}
	return t
}

// Param is a tunable parameter of a rule, settable in .palisade.yaml.
type Param struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Default is a string or a list of strings.
	Default any `json:"default"`
	// Required marks a list the rule cannot work without (an allow-list): while it
	// is empty the rule checks nothing.
	Required bool `json:"required,omitempty"`
	// Values are the values a string parameter accepts (empty: any); the
	// configuration is checked against them.
	Values []string `json:"values,omitempty"`
}

// Meta is everything about a rule except its logic.
type Meta struct {
	ID          string           `json:"id"`
	Title       string           `json:"title"`
	Severity    finding.Severity `json:"severity"`
	Category    string           `json:"category"`
	Rationale   string           `json:"rationale"`
	Remediation string           `json:"remediation"`
	References  []string         `json:"references,omitempty"`
	Frameworks  Frameworks       `json:"frameworks"`
	Params      []Param          `json:"params,omitempty"`
}

// AnyKind, listed in Rule.Kinds, makes an object rule run on every object of the input.
// Bodies are decoded only for the other kinds the rule lists (and kinds that run pods);
// for every other kind the rule reads the header alone, like a HeaderOnly rule. A rule
// with AnyKind cannot have Needs.
const AnyKind = "*"

// Rule is a registered rule. At least one of Workload and Object is set. A rule that
// sets both looks at the pod template of every workload and at the objects of its
// Kinds (a secrets detector reads container environment values, ConfigMap data and
// annotations alike); on an object that is both, Workload runs first.
type Rule struct {
	Meta
	// Workload checks each object that runs pods.
	Workload func(p *Pass, w *workload.Workload)
	// Object checks each object of the kinds listed in Kinds.
	Object func(p *Pass, o *inventory.Object)
	// Kinds lists the kinds Object applies to (and that must be fully decoded), or
	// includes AnyKind.
	Kinds []string
	// Needs names the inventory-wide indexes the rule reads (see inventory.Index).
	// A rule with needs runs after the whole input is loaded and sees Pass.Inventory;
	// a rule without runs while each object is parsed, with Pass.Inventory nil.
	Needs []string
	// Deferred marks a workload rule with Needs that reads the inventory only through
	// Pass.ReportUnless or Pass.ReportSettled. It runs while objects are parsed, like a single-object rule,
	// and the engine settles its findings once the indexes exist, so workload bodies
	// need not be kept for it.
	Deferred bool
	// HeaderOnly marks an object rule that reads only headers (kind, name,
	// namespace, labels, annotations) of its Kinds: their bodies need not be decoded
	// or kept for it. Its findings point at the object's first line.
	HeaderOnly bool
	// CoveredBy names a stricter rule that reports the same concern. This rule runs
	// only when that one does not (disabled, excluded, or left out by the scan's Pod
	// Security level), so one weakness is never reported twice.
	CoveredBy string
	// OptIn marks a rule that runs only when selected by name: matched by an
	// --include pattern or enabled in the configuration. The subject-level RBAC rules
	// are opt-in in a scan, where they would repeat what the role rules say; `palisade
	// rbac risks` runs them.
	OptIn bool
	// Scoped marks a rule that applies to only some of the objects it is handed (the
	// control-plane components among all pods): it calls Pass.InScope for each object
	// it applies to, and compliance views count only those as evaluated.
	Scoped bool

	tags []string
}

// Idle reports whether the rule checks nothing with these parameter values: a
// Required parameter is empty.
func (r *Rule) Idle(params map[string]any) bool {
	for _, p := range r.Params {
		if p.Required && len(StringList(params[p.Name])) == 0 {
			return true
		}
	}
	return false
}

// Pass is what a rule sees while checking one object.
type Pass struct {
	Rule      *Rule
	Object    *inventory.Object
	Inventory *inventory.Inventory
	// Params holds the rule's parameter values (defaults overlaid by configuration).
	Params map[string]any
	// PSS runs single Pod Security Standards checks (nil when PSS is off).
	PSS PSSChecker
	// ParamsOf returns another rule's parameter values (nil outside an engine run).
	ParamsOf func(ruleID string) map[string]any
	// Enabled reports whether another rule runs in this scan (nil outside an engine
	// run). A rule whose concern a broader rule reports for the same object stays
	// silent only when that rule runs.
	Enabled func(ruleID string) bool
	// OnError receives errors a rule cannot check past (nil: ignored).
	OnError      func(error)
	report       func(finding.Finding)
	inScope      func()
	deferFinding func(finding.Finding, Settle)
	memo         *Memo
}

// Memo holds what rules computed about one object while the engine evaluates it, so
// that rules sharing one analysis (several detectors reading one scan of an object's
// strings) compute it once. It lives for one evaluation of one object: the engine
// gives every pass over that object the same Memo and drops it afterwards.
type Memo struct{ m map[string]any }

// SetMemo makes the pass share m with the other passes over the same object; the
// engine sets it. A pass without a memo computes every Memo value afresh.
func (p *Pass) SetMemo(m *Memo) { p.memo = m }

// Memo returns the value stored under key for the pass's object, calling compute to
// produce it on first use. Keys are namespaced by the rules that share them.
func (p *Pass) Memo(key string, compute func() any) any {
	if p.memo == nil {
		return compute()
	}
	if v, ok := p.memo.m[key]; ok {
		return v
	}
	v := compute()
	if p.memo.m == nil {
		p.memo.m = map[string]any{}
	}
	p.memo.m[key] = v
	return v
}

// Settle decides a deferred finding once the whole input is loaded and the rule's
// indexes exist: it may complete the finding (its message, its severity) and
// reports whether the finding stands.
type Settle func(inv *inventory.Inventory, f *finding.Finding) bool

// ReportUnless records a finding that stands unless covered, evaluated once the
// whole input is loaded and the rule's indexes exist, says otherwise; note is
// appended to the message of a finding that stands. Deferred rules use it to decide
// during the parse what only the full inventory can settle (for example a namespace
// LimitRange that supplies a missing default).
func (p *Pass) ReportUnless(covered func(inv *inventory.Inventory) (bool, string), path, container, format string, args ...any) {
	p.ReportSettled(func(inv *inventory.Inventory, f *finding.Finding) bool {
		ok, note := covered(inv)
		f.Message += note
		return !ok
	}, path, container, format, args...)
}

// ReportSettled records a finding that settle decides once the whole input is
// loaded (see Settle): the general form of ReportUnless, for a deferred rule whose
// message or severity the inventory decides.
func (p *Pass) ReportSettled(settle Settle, path, container, format string, args ...any) {
	if p.deferFinding == nil {
		saved := p.report
		p.report = func(f finding.Finding) {
			if p.Inventory == nil || settle(p.Inventory, &f) {
				saved(f)
			}
		}
		p.Report(path, container, format, args...)
		p.report = saved
		return
	}
	saved := p.report
	p.report = func(f finding.Finding) { p.deferFinding(f, settle) }
	p.Report(path, container, format, args...)
	p.report = saved
}

// InScope records that a Scoped rule applies to the object under check.
func (p *Pass) InScope() {
	if p.inScope != nil {
		p.inScope()
	}
}

// SetInScope makes InScope call fn; the engine counts with it.
func (p *Pass) SetInScope(fn func()) { p.inScope = fn }

// SetDefer makes ReportUnless and ReportSettled hand findings to fn instead of
// settling them now; the engine uses it while objects are parsed.
func (p *Pass) SetDefer(fn func(f finding.Finding, settle Settle)) {
	p.deferFinding = fn
}

// Fail records that the rule could not check the object (for example its body does
// not decode into the API type). The object is reported as not fully checked.
func (p *Pass) Fail(err error) {
	if p.OnError != nil {
		p.OnError(fmt.Errorf("rule %s: %w", p.Rule.ID, err))
	}
}

// PSSChecker runs one official Pod Security Standards check on a pod.
type PSSChecker interface {
	Check(id string, meta *metav1.ObjectMeta, spec *corev1.PodSpec) (allowed, ok bool)
}

// PSSAllows reports whether the official check id allows spec at the configured
// version. Rules use it to judge one field at a time with the official semantics.
func (p *Pass) PSSAllows(id string, spec *corev1.PodSpec) bool {
	if p.PSS == nil {
		return true
	}
	allowed, _ := p.PSS.Check(id, &metav1.ObjectMeta{}, spec)
	return allowed
}

// NewPass prepares a pass; report receives each finding.
func NewPass(r *Rule, o *inventory.Object, inv *inventory.Inventory, params map[string]any, report func(finding.Finding)) *Pass {
	return &Pass{Rule: r, Object: o, Inventory: inv, Params: params, report: report}
}

// Report records a finding at a field path of the pass's object. container may be "".
func (p *Pass) Report(path, container, format string, args ...any) {
	p.report(finding.Finding{
		RuleID:      p.Rule.ID,
		Title:       p.Rule.Title,
		Severity:    p.Rule.Severity,
		Category:    p.Rule.Category,
		Object:      p.Object.Ref,
		Container:   container,
		Path:        path,
		Location:    p.Object.LocationOf(path),
		Message:     fmt.Sprintf(format, args...),
		Remediation: p.Rule.Remediation,
		Frameworks:  p.Rule.tagList(),
	})
}

// ReportSeverity records a finding like Report, with a severity of the rule's own
// choosing (a reach-dependent one, derived from Rule.Severity so that configured
// severities still count).
func (p *Pass) ReportSeverity(sev finding.Severity, path, container, format string, args ...any) {
	saved := p.report
	p.report = func(f finding.Finding) {
		f.Severity = sev
		saved(f)
	}
	p.Report(path, container, format, args...)
	p.report = saved
}

// Strings returns a list parameter.
func (p *Pass) Strings(name string) []string {
	return StringList(p.Params[name])
}

// StringsOf returns a list parameter of another rule, as configured. Rules that split
// one space of values between them (dangerous vs other capabilities, sensitive vs
// other host paths) use it to agree on where the line is.
func (p *Pass) StringsOf(ruleID, name string) []string {
	if p.ParamsOf != nil {
		if v := StringList(p.ParamsOf(ruleID)[name]); v != nil {
			return v
		}
	}
	if r, ok := Get(ruleID); ok {
		for _, prm := range r.Params {
			if prm.Name == name {
				return StringList(prm.Default)
			}
		}
	}
	return nil
}

// StringList reads a list parameter value: a list, or one string (an empty string is
// an empty list).
func StringList(v any) []string {
	switch v := v.(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			out = append(out, fmt.Sprint(e))
		}
		return out
	case string:
		if v != "" {
			return []string{v}
		}
	}
	return nil
}

var registry = map[string]*Rule{}

// Register adds a rule. It panics on a duplicate or malformed rule: registration runs
// at init time and a bad rule is a programming error.
func Register(r *Rule) {
	switch {
	case r.ID == "" || r.Title == "" || r.Rationale == "" || r.Remediation == "" || r.Category == "":
		panic("rules: incomplete metadata for " + r.ID)
	case r.Workload == nil && r.Object == nil:
		panic("rules: " + r.ID + " must set Workload or Object")
	case r.AnyKind() && len(r.Needs) > 0:
		panic("rules: " + r.ID + " runs on any kind and cannot have Needs")
	case registry[r.ID] != nil:
		panic("rules: duplicate rule " + r.ID)
	case r.Frameworks.Layer == "":
		panic("rules: " + r.ID + " has no 4C layer")
	}
	r.tags = r.Frameworks.Tags()
	registry[r.ID] = r
}

// AnyKind reports whether the rule's object check runs on every object.
func (r *Rule) AnyKind() bool {
	for _, k := range r.Kinds {
		if k == AnyKind {
			return true
		}
	}
	return false
}

// tagList returns the framework tags, computed once at registration. Findings share
// the slice; nobody modifies it.
func (r *Rule) tagList() []string {
	if r.tags == nil {
		return r.Frameworks.Tags()
	}
	return r.tags
}

// All returns every registered rule, ordered by ID.
func All() []*Rule {
	out := make([]*Rule, 0, len(registry))
	for _, r := range registry {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Get returns a rule by ID (case-insensitive).
func Get(id string) (*Rule, bool) {
	r, ok := registry[strings.ToUpper(id)]
	return r, ok
}
