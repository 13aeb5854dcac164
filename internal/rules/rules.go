// Package rules defines what a rule is (metadata plus a pure check function) and the
// registry that every rule joins. Rules report through a Pass; they never print.
package rules

import (
	"errors"
	"fmt"
	"math"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
	// MITRE lists MITRE ATT&CK technique IDs of the Containers matrix that the rule
	// detects ("T1609", "T1611", "T1098.006"): the audit-log detections carry them.
	MITRE []string `json:"mitre,omitempty"`
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
	for _, m := range f.MITRE {
		t = append(t, "mitre:"+m)
	}
	if f.Layer != "" {
		t = append(t, "4c:"+f.Layer)
	}
	return t
}

// Param is a tunable parameter of a rule, settable in .palisade.yaml. Its Default
// says its type: a list of strings, or one string. The configuration is checked
// against the declaration (CheckValue), so a value of the wrong type or syntax is an
// error that names its line instead of a rule silently checking something else.
type Param struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Default is a string or a list of strings.
	Default any `json:"default"`
	// Required marks a list the rule cannot work without (an allow-list): while it
	// is empty the rule checks nothing.
	Required bool `json:"required,omitempty"`
	// Values are the values the parameter, or each item of a list, accepts (empty:
	// any).
	Values []string `json:"values,omitempty"`
	// Syntax is what the value, or each item of a list, must be (Text: anything).
	Syntax Syntax `json:"syntax,omitempty"`
	// Valid, if set, checks each value further (a syntax of the rule's own).
	Valid func(string) error `json:"-"`
}

// Syntax is the form of a parameter's values.
type Syntax string

// Syntaxes of parameter values.
const (
	// Text is any text.
	Text Syntax = ""
	// Glob is a shell pattern (path.Match syntax: *, ?, [a-z], \ escapes).
	Glob Syntax = "glob"
	// KeyGlob is a key alone, or key=pattern with the value a shell pattern.
	KeyGlob Syntax = "key=glob"
	// Regexp is a regular expression (RE2 syntax).
	Regexp Syntax = "regexp"
	// Integer is a whole number, 0 or more.
	Integer Syntax = "integer"
	// Number is a decimal number, 0 or more.
	Number Syntax = "number"
	// Port is a port number, 1 to 65535.
	Port Syntax = "port"
	// Path is an absolute path.
	Path Syntax = "path"
)

// IsList reports whether the parameter is a list (its default is a list).
func (p Param) IsList() bool {
	_, ok := p.Default.([]string)
	return ok
}

// ItemError is a wrong item of a list parameter: Index counts from 0.
type ItemError struct {
	Index int
	Err   error
}

func (e *ItemError) Error() string { return fmt.Sprintf("item %d: %v", e.Index+1, e.Err) }
func (e *ItemError) Unwrap() error { return e.Err }

// CheckValue checks a configured value of the parameter (as YAML decodes it) against
// its declaration and returns it in the form rules read: a []string for a list, a
// string for one value. A list needs a YAML list of strings (a single string is an
// error: "/etc, /root" is not two paths); numbers are accepted as numbers where the
// syntax is numeric. A wrong item of a list is an *ItemError.
func (p Param) CheckValue(v any) (any, error) {
	if !p.IsList() {
		s, err := p.scalar(v)
		if err != nil {
			return nil, err
		}
		return s, p.checkItem(s)
	}
	switch l := v.(type) {
	case nil:
		return nil, errors.New("no value (write [] for an empty list)")
	case []string:
		out := append([]string{}, l...)
		for i, s := range out {
			if err := p.checkItem(s); err != nil {
				return nil, &ItemError{i, err}
			}
		}
		return out, nil
	case []any:
		out := make([]string, len(l))
		for i, e := range l {
			s, err := p.scalar(e)
			if err == nil {
				err = p.checkItem(s)
			}
			if err != nil {
				return nil, &ItemError{i, err}
			}
			out[i] = s
		}
		return out, nil
	case string:
		return nil, fmt.Errorf("want a list, not the string %q: write the items as [a, b], or one \"- item\" per line", l)
	}
	return nil, fmt.Errorf("want a list of %s, not %s", p.describe(), kindOf(v))
}

// scalar reads one value: a string, or a number where the syntax is numeric.
func (p Param) scalar(v any) (string, error) {
	numeric := p.Syntax == Integer || p.Syntax == Number || p.Syntax == Port
	switch x := v.(type) {
	case string:
		return x, nil
	case int:
		if numeric {
			return strconv.Itoa(x), nil
		}
	case int64:
		if numeric {
			return strconv.FormatInt(x, 10), nil
		}
	case uint64:
		if numeric {
			return strconv.FormatUint(x, 10), nil
		}
	case float64:
		if numeric {
			return strconv.FormatFloat(x, 'f', -1, 64), nil
		}
	case nil:
		return "", fmt.Errorf("no value (want %s)", p.describe())
	}
	if _, isList := v.([]any); isList {
		return "", fmt.Errorf("want one value (%s), not a list", p.describe())
	}
	if numeric {
		return "", fmt.Errorf("want %s, not %s", p.describe(), kindOf(v))
	}
	return "", fmt.Errorf("want a string, not %s %v (quote it: \"%v\")", kindOf(v), v, v)
}

// checkItem checks one value against the syntax, the values and Valid.
func (p Param) checkItem(s string) error {
	if len(p.Values) > 0 && !slices.Contains(p.Values, s) {
		return fmt.Errorf("%q is not one of %s", s, strings.Join(p.Values, ", "))
	}
	bad := func(err error) error {
		if err != nil {
			return fmt.Errorf("%q is not %s: %v", s, p.describe(), err)
		}
		return nil
	}
	switch p.Syntax {
	case Glob:
		return bad(CheckGlob(s))
	case KeyGlob:
		k, v, found := strings.Cut(s, "=")
		switch {
		case strings.TrimSpace(k) == "":
			return bad(errors.New("no key"))
		case found:
			return bad(CheckGlob(strings.TrimSpace(v)))
		}
	case Regexp:
		_, err := regexp.Compile(s)
		return bad(err)
	case Integer:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err == nil && n < 0 {
			err = errors.New("negative")
		}
		return bad(err)
	case Number:
		n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err == nil && (n < 0 || math.IsNaN(n) || math.IsInf(n, 0)) {
			err = errors.New("negative or not finite")
		}
		return bad(err)
	case Port:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err == nil && (n < 1 || n > 65535) {
			err = errors.New("out of range")
		}
		return bad(err)
	case Path:
		if !strings.HasPrefix(s, "/") {
			return bad(errors.New("not absolute"))
		}
	}
	if p.Valid != nil {
		if err := p.Valid(s); err != nil {
			return fmt.Errorf("%q: %v", s, err)
		}
	}
	return nil
}

// TypeText says what the configuration must give the parameter: "a list of shell
// patterns", "a whole number", "one of skip, report".
func (p Param) TypeText() string {
	what := p.describe()
	if len(p.Values) > 0 {
		what = "one of " + strings.Join(p.Values, ", ")
	}
	if !p.IsList() {
		if what == "strings" {
			return "a string"
		}
		return what
	}
	switch {
	case len(p.Values) > 0:
		return "a list, each item " + what
	case what == "strings":
		return "a list of strings"
	}
	// "a shell pattern" -> "shell patterns"
	what = strings.TrimPrefix(strings.TrimPrefix(what, "a "), "an ")
	if strings.HasSuffix(what, "key=pattern") {
		return "a list of keys or key=pattern"
	}
	return "a list of " + what + "s"
}

// describe names what a value must be.
func (p Param) describe() string {
	switch p.Syntax {
	case Glob:
		return "a shell pattern"
	case KeyGlob:
		return "a key or key=pattern"
	case Regexp:
		return "a regular expression"
	case Integer:
		return "a whole number"
	case Number:
		return "a number"
	case Port:
		return "a port number"
	case Path:
		return "an absolute path"
	}
	return "strings"
}

// CheckGlob reports a malformed shell pattern (path.Match syntax), which would never
// match anything.
func CheckGlob(pattern string) error {
	if _, err := path.Match(pattern, ""); err != nil {
		return errors.New("malformed pattern (path.Match syntax: *, ?, [a-z], \\ to escape)")
	}
	return nil
}

// kindOf names the YAML type of a decoded value.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "the boolean"
	case int, int64, uint64, float64:
		return "the number"
	case []any:
		return "a list"
	case map[string]any, map[any]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
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
	// Needs lists the inventory-wide indexes the rule reads (inventory.Index, read
	// with inventory.Get).
	// A rule with needs runs after the whole input is loaded and sees Pass.Inventory
	// (phase Inventory, or Settled with Deferred); a rule without runs while each
	// object is parsed, with Pass.Inventory nil (phase Local).
	Needs []inventory.AnyIndex
	// Deferred puts a workload rule with Needs in the Settled phase: it reads the
	// inventory only through Pass.ReportUnless or Pass.ReportSettled. It runs while
	// objects are parsed, like a Local rule, and the engine settles its findings once
	// the indexes exist, so workload bodies need not be kept for it. Its Object, if
	// any, runs on its Kinds while they are parsed too, under the same terms.
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
	// Targets says where the rule runs (Scan, Admission, ImageReview, RBACRisks).
	// Zero means the default: Scan, and Admission too for a Local rule, which
	// judges one object alone. A rule that needs an index the admission webhook
	// can fill from one review says so with Scan | Admission.
	Targets Targets
	// Scoped marks a rule that applies to only some of the objects it is handed (the
	// control-plane components among all pods): it calls Pass.InScope for each object
	// it applies to, and compliance views count only those as evaluated.
	Scoped bool
	// PerRun marks a registered entry that documents a rule whose checking instance
	// is built for each run from input the registry cannot know at init time (the
	// ValidatingAdmissionPolicy rules of internal/checks/admissionpolicy, built from
	// the policies of the run). The registered entry carries the metadata (docs,
	// explain, compliance, selection); it has no Workload or Object and the engine
	// refuses to run it: the front end replaces it with the run's instance (same ID).
	PerRun bool

	tags []string
}

// Phase is when the engine runs a rule. A rule's shape decides it (Rule.Phase, the
// one place that does): the engine compiles its plan from the phases, and a rule
// author picks a phase by picking a shape.
//
//	shape                                  phase      runs                 bodies kept after the parse
//	Workload and/or Object, no Needs       Local      in the parse workers none (dropped per object)
//	Workload (+ Object), Needs, Deferred   Settled    in the parse workers the kinds its indexes read
//	Workload and/or Object, Needs          Inventory  after the load       its Kinds (not HeaderOnly), its
//	                                                                       indexes' kinds, workloads if Workload
type Phase uint8

// The phases, in the order the engine runs them.
const (
	// Local rules judge one object alone (Pass.Inventory is nil). They run inside
	// the parse workers while the object's body is decoded.
	Local Phase = iota
	// Settled rules are workload rules whose answer also depends on other objects,
	// through indexes only: they run like Local rules and report through
	// Pass.ReportUnless or Pass.ReportSettled; the engine settles those findings
	// once the whole input is loaded and the indexes exist. Workload bodies are not
	// kept for them.
	Settled
	// Inventory rules read the whole inventory (Pass.Inventory and the indexes of
	// Needs). They run once the input is loaded, so the bodies they read are kept.
	Inventory
)

var phaseNames = [...]string{Local: "local", Settled: "settled", Inventory: "inventory"}

func (ph Phase) String() string { return phaseNames[ph] }

// Phase returns the phase the rule runs in (see Phase).
func (r *Rule) Phase() Phase {
	switch {
	case len(r.Needs) == 0:
		return Local
	case r.Deferred:
		return Settled
	}
	return Inventory
}

// Targets is a set of the front ends a rule runs in.
type Targets uint8

// The targets of a rule.
const (
	// Scan is `palisade scan` and `palisade cluster` (an OptIn rule only when
	// selected by name).
	Scan Targets = 1 << iota
	// Admission is the admission webhook's review of one object, with its
	// namespace.
	Admission
	// ImageReview is the webhook's ImageReview: the rule's input is the image
	// references alone.
	ImageReview
	// RBACRisks is `palisade rbac risks`.
	RBACRisks
	// History is `palisade scan --git-history`: the files commits added, read as
	// documents alone (Local rules only: no other object is in view). Never a
	// default: a rule runs on history only when it says so.
	History
	// Audit is `palisade audit` and the webhook's /audit endpoint: the rule judges
	// audit events, not objects. Its logic is a detector registered with
	// internal/audit (audit.Register), so the Rule has no Workload or Object; it
	// runs only there (never a default, never in another target).
	Audit
	// Paths is `palisade paths`: the attack-path rules (PAL-470..PAL-476), which
	// run in a scan too.
	Paths
)

// RunsIn reports whether the rule runs in every target of t (see Rule.Targets).
func (r *Rule) RunsIn(t Targets) bool {
	have := r.Targets
	if have == 0 {
		have = Scan
		if r.Phase() == Local {
			have |= Admission
		}
	}
	return have&t == t
}

// IDsFor returns the IDs of the registered rules that run in target t, in order.
func IDsFor(t Targets) []string {
	var ids []string
	for _, r := range All() {
		if r.RunsIn(t) {
			ids = append(ids, r.ID)
		}
	}
	return ids
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

// Pass is what a rule sees while checking one object. The engine makes it
// (NewPass) with the Hooks that receive its findings; a rule only reads it and
// reports through it.
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

	hooks Hooks
}

// Hooks connect a pass to the engine run that made it. They are fixed when the
// pass is made: nothing a rule calls swaps them.
type Hooks struct {
	// Report receives each finding that stands.
	Report func(finding.Finding)
	// Defer, if set, receives the findings of ReportUnless and ReportSettled with
	// their Settle function, to be decided once the whole input is loaded (the
	// Settled phase). Unset, they are settled at once against Pass.Inventory.
	Defer func(finding.Finding, Settle)
	// InScope counts the objects a Scoped rule says it applies to (nil: not counted).
	InScope func()
	// Memo is shared by the passes over one object (nil: every Memo value is
	// computed afresh).
	Memo *Memo
	// Fail receives the errors of Pass.Fail, which a rule cannot check past (nil:
	// ignored).
	Fail func(error)
	// Unknown receives the checks of Pass.ReportUnknown (nil: ignored).
	Unknown func(finding.CoverageGap)
}

// NewPass prepares a pass of rule r over o. inv is nil for the rules that run while
// objects are parsed (phases Local and Settled).
func NewPass(r *Rule, o *inventory.Object, inv *inventory.Inventory, params map[string]any, h Hooks) Pass {
	return Pass{Rule: r, Object: o, Inventory: inv, Params: params, hooks: h}
}

// Memo holds what rules computed about one object while the engine evaluates it, so
// that rules sharing one analysis (several detectors reading one scan of an object's
// strings) compute it once. It lives for one evaluation of one object: the engine
// gives every pass over that object the same Memo and drops it afterwards.
type Memo struct{ m map[string]any }

// Memo returns the value stored under key for the pass's object, calling compute to
// produce it on first use. Keys are namespaced by the rules that share them.
func (p *Pass) Memo(key string, compute func() any) any {
	m := p.hooks.Memo
	if m == nil {
		return compute()
	}
	if v, ok := m.m[key]; ok {
		return v
	}
	v := compute()
	if m.m == nil {
		m.m = map[string]any{}
	}
	m.m[key] = v
	return v
}

// Settle decides a deferred finding once the whole input is loaded and the rule's
// indexes exist: it may complete the finding (its message, its severity) and
// reports whether the finding stands.
type Settle func(inv *inventory.Inventory, f *finding.Finding) bool

// ReportUnless records a finding that stands unless covered, evaluated once the
// whole input is loaded and the rule's indexes exist, says otherwise; note is
// appended to the message of a finding that stands. Settled rules use it to decide
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
// loaded (see Settle): the general form of ReportUnless, for a settled rule whose
// message or severity the inventory decides. The finding is built once, here; in
// the Settled phase the engine keeps it with settle until the indexes exist.
func (p *Pass) ReportSettled(settle Settle, path, container, format string, args ...any) {
	f := p.finding(p.Rule.Severity, path, container, format, args)
	switch {
	case p.hooks.Defer != nil:
		p.hooks.Defer(f, settle)
	case p.Inventory == nil || settle(p.Inventory, &f):
		p.hooks.Report(f)
	}
}

// InScope records that a Scoped rule applies to the object under check.
func (p *Pass) InScope() {
	if p.hooks.InScope != nil {
		p.hooks.InScope()
	}
}

// Fail records that the rule could not check the object (for example its body does
// not decode into the API type). The object is reported as not fully checked.
func (p *Pass) Fail(err error) {
	if p.hooks.Fail != nil {
		p.hooks.Fail(fmt.Errorf("rule %s: %w", p.Rule.ID, err))
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

// Report records a finding at a field path of the pass's object. container may be "".
func (p *Pass) Report(path, container, format string, args ...any) {
	p.hooks.Report(p.finding(p.Rule.Severity, path, container, format, args))
}

// ReportSecret records a finding like Report on hard-coded secrets, with the digest
// of each (secrets.Match.Digest), which tells the same secret apart in a git history
// and in the working tree.
func (p *Pass) ReportSecret(digests [][32]byte, path, container, format string, args ...any) {
	f := p.finding(p.Rule.Severity, path, container, format, args)
	f.SecretDigests = digests
	p.hooks.Report(f)
}

// ReportImage records a finding on a container image (an object of
// inventory.ImageKind) at a place inside it (ImageInfo.Location): the finding's
// Location is the object's origin with Image set, and its Path is the file (or the
// configuration field), so that findings on different files stay apart. digests are
// those of the secrets it reports (nil otherwise).
func (p *Pass) ReportImage(at finding.ImageLocation, digests [][32]byte, format string, args ...any) {
	f := p.finding(p.Rule.Severity, "", "", format, args)
	f.Location = p.Object.Origin
	f.Location.Image = &at
	f.Path = at.Path
	if f.Path == "" {
		f.Path = at.Field
	}
	f.SecretDigests = digests
	p.hooks.Report(f)
}

// ReportVulnerability records a known-vulnerability finding in an image: at is the
// package's file and layer, sev the severity the rule derived from the advisory, v the
// evidence and exposure (nil when no workload runs the image) what the cluster
// exposes of it.
func (p *Pass) ReportVulnerability(at finding.ImageLocation, sev finding.Severity, v *finding.Vulnerability, exposure *finding.Exposure, format string, args ...any) {
	f := p.finding(sev, "", "", format, args)
	f.Location = p.Object.Origin
	f.Location.Image = &at
	f.Path = at.Path
	if f.Path == "" {
		f.Path = at.Field
	}
	f.Vulnerability, f.Exposure = v, exposure
	p.hooks.Report(f)
}

// ReportPolicy records a finding like Report with the evidence of the
// ValidatingAdmissionPolicy that judged the object (the rules of
// internal/checks/admissionpolicy).
func (p *Pass) ReportPolicy(ev *finding.PolicyEvidence, path, format string, args ...any) {
	f := p.finding(p.Rule.Severity, path, "", format, args)
	f.Policy = ev
	p.hooks.Report(f)
}

// ReportPath records an attack-path finding (internal/attackpath) with its evidence,
// at a severity of the rule's choosing (derived from Rule.Severity).
func (p *Pass) ReportPath(sev finding.Severity, ev *finding.PathEvidence, path, format string, args ...any) {
	f := p.finding(sev, path, "", format, args)
	f.AttackPath = ev
	p.hooks.Report(f)
}

// ReportNode records a node check's finding (internal/checks/nodes) with its
// evidence: the setting or file judged, its value and where it came from.
func (p *Pass) ReportNode(ev *finding.NodeEvidence, path, format string, args ...any) {
	f := p.finding(p.Rule.Severity, path, "", format, args)
	f.Node = ev
	p.hooks.Report(f)
}

// ReportUnknown records that the rule could not decide on the pass's object for lack
// of evidence (a file the check names was not found or could not be read, a
// component was not running): the check is unknown, reported in the coverage
// section with the paths tried, and never a failure or a pass.
func (p *Pass) ReportUnknown(reason string, tried ...string) {
	if p.hooks.Unknown == nil {
		return
	}
	p.hooks.Unknown(finding.CoverageGap{
		Kind: p.Object.Ref.Kind, APIVersion: p.Object.Ref.APIVersion, Namespace: p.Object.Ref.Namespace,
		Rule: p.Rule.ID, Name: p.Object.Ref.Name, Tried: tried, Reason: reason,
	})
}

// ReportSeverity records a finding like Report, with a severity of the rule's own
// choosing (a reach-dependent one, derived from Rule.Severity so that configured
// severities still count).
func (p *Pass) ReportSeverity(sev finding.Severity, path, container, format string, args ...any) {
	p.hooks.Report(p.finding(sev, path, container, format, args))
}

// finding builds a finding of the pass's rule on its object.
func (p *Pass) finding(sev finding.Severity, path, container, format string, args []any) finding.Finding {
	return finding.Finding{
		RuleID:      p.Rule.ID,
		Title:       p.Rule.Title,
		Severity:    sev,
		Category:    p.Rule.Category,
		Object:      p.Object.Ref,
		Container:   container,
		Path:        path,
		Location:    p.Object.LocationOf(path),
		Message:     fmt.Sprintf(format, args...),
		Remediation: p.Rule.Remediation,
		Frameworks:  p.Rule.tagList(),
	}
}

// String returns a parameter of one value ("" when unset).
func (p *Pass) String(name string) string {
	s, _ := p.Params[name].(string)
	return s
}

// Int returns a numeric parameter (syntax Integer or Port), or def when it is unset.
// The configuration checked its syntax when it was loaded (Param.CheckValue), so
// it reads as a whole number; a value given to the engine directly may also be a
// YAML number.
func (p *Pass) Int(name string, def int) int {
	switch v := p.Params[name].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		return int(v)
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			return n
		}
	}
	return def
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
	if err := Validate(r); err != nil {
		panic("rules: " + err.Error())
	}
	if registry[r.ID] != nil {
		panic("rules: duplicate rule " + r.ID)
	}
	r.tags = r.Frameworks.Tags()
	registry[r.ID] = r
}

// Validate checks a rule's shape and metadata as Register does, without registering
// it: rules built at run time (custom CEL rules of the configuration, the run's
// instances of PerRun rules) are checked with it before the engine sees them.
func Validate(r *Rule) error {
	switch {
	case r.ID == "" || r.Title == "" || r.Rationale == "" || r.Remediation == "" || r.Category == "":
		return fmt.Errorf("incomplete metadata for %s", r.ID)
	case r.Targets == Audit && (r.Workload != nil || r.Object != nil):
		return fmt.Errorf("%s judges audit events: its logic is an audit detector, not Workload or Object", r.ID)
	case r.Targets&Audit != 0 && r.Targets != Audit:
		return fmt.Errorf("%s: an audit rule runs in no other target", r.ID)
	case r.Workload == nil && r.Object == nil && !r.PerRun && r.Targets != Audit:
		return fmt.Errorf("%s must set Workload or Object", r.ID)
	case r.AnyKind() && len(r.Needs) > 0:
		return fmt.Errorf("%s runs on any kind and cannot have Needs", r.ID)
	case r.Deferred && (r.Workload == nil || len(r.Needs) == 0):
		return fmt.Errorf("%s is Deferred: it must be a workload rule with Needs", r.ID)
	case r.Frameworks.Layer == "":
		return fmt.Errorf("%s has no 4C layer", r.ID)
	}
	// A parameter's default is a value of its own declaration, checked like a
	// configured one: a rule never reads a value its configuration would refuse.
	for _, prm := range r.Params {
		if _, err := prm.CheckValue(prm.Default); err != nil {
			return fmt.Errorf("%s parameter %s default: %v", r.ID, prm.Name, err)
		}
	}
	return nil
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

// ParamsOf returns the parameters a registered rule declares (nil for an unknown
// rule): what the configuration checks rule parameters against.
func ParamsOf(id string) []Param {
	if r, ok := Get(id); ok {
		return r.Params
	}
	return nil
}

// Get returns a rule by ID (case-insensitive).
func Get(id string) (*Rule, bool) {
	r, ok := registry[strings.ToUpper(id)]
	return r, ok
}
