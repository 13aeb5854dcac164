// Package celrule compiles the custom rules of .palisade.yaml (customRules): rules
// written in CEL by the user, with the Kubernetes CEL environment and cost limits of
// the API server (k8s.io/apiserver/pkg/cel), each compiled once into a rules.Rule
// that runs like a built-in one in scan, cluster and the webhook.
//
// A rule's expression is a ValidatingAdmissionPolicy validation: true means
// compliant. The variables are object (the whole object, as written: dyn, as in a
// ValidatingAdmissionPolicy) and, for rules that match workloads, podSpec and
// podMetadata (the pod template as the API server stores it: defaulted, converted to
// unstructured). namespaceObject is not offered: the rules run while each object is
// parsed, without the rest of the input.
//
// An expression that cannot be evaluated on an object (a missing field, the cost
// limit) is never a pass: it is a finding at the rule's severity that says so.
package celrule

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/compliance"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// Spec is one custom rule as written in the configuration.
type Spec struct {
	// ID names the rule (letters, digits and dashes, starting with a letter; not the
	// PAL- prefix of the built-in rules).
	ID       string           `yaml:"id"`
	Title    string           `yaml:"title"`
	Severity finding.Severity `yaml:"severity"`
	// Category groups the rule in reports ("custom" when unset).
	Category string `yaml:"category"`
	Match    Match  `yaml:"match"`
	// Expression must evaluate to true for a compliant object (as a
	// ValidatingAdmissionPolicy validation).
	Expression string `yaml:"expression"`
	// MessageExpression, if set, words the finding (a string expression).
	MessageExpression string `yaml:"messageExpression"`
	// Message is the finding's message when there is no MessageExpression.
	Message string `yaml:"message"`
	// Frameworks maps framework names (cis-1.12, nsa, pss, layer) to control IDs.
	Frameworks  map[string][]string `yaml:"frameworks"`
	Rationale   string              `yaml:"rationale"`
	Remediation string              `yaml:"remediation"`
	References  []string            `yaml:"references"`
	// Line is where the rule starts in the configuration file (0: unknown).
	Line int `yaml:"-"`
	// Lines are the lines of the rule's keys ("expression", "match", ...), so that
	// an error names the line of its field (Line when a key is not listed).
	Lines map[string]int `yaml:"-"`
}

// Match says which objects a custom rule runs on.
type Match struct {
	// Kinds lists object kinds ("Deployment", or "apps/v1/Deployment").
	Kinds []string `yaml:"kinds"`
	// Workloads runs the rule on every pod template (every kind that runs pods,
	// including custom kinds of podTemplatePaths).
	Workloads bool `yaml:"workloads"`
}

// Limits of a configuration's custom rules.
const (
	// MaxRules is the number of custom rules one configuration may define.
	MaxRules = 500
	// MaxExpressionLength bounds an expression and a message expression (bytes).
	MaxExpressionLength = 16 << 10
	// DefaultCategory is the category of a rule that names none.
	DefaultCategory = "custom"
	// DefaultLayer is the 4C layer of a rule that names none.
	DefaultLayer = "cluster"
)

// idPattern is the syntax of a custom rule's ID: upper-case words of letters and
// digits joined by dashes, at least two (ACME-001, TEAM-NET-7).
var idPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$`)

// kindPattern is a kind's name (Deployment, MyResource).
var kindPattern = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)

// frameworkKeys are the keys of frameworks, in the order errors list them.
var frameworkKeys = []string{"cis-1.12", "nsa", "pss", "layer"}

var layers = []string{"cloud", "cluster", "container", "code"}

// Compile checks and compiles the specs. Every problem is reported (joined), each
// naming the rule's line: a bad ID or a clash, a missing field, a CEL syntax or type
// error, an expression that is not a bool (or a message expression not a string), an
// estimated cost above the API server's limit.
func Compile(specs []Spec) ([]*rules.Rule, error) {
	if len(specs) == 0 {
		return nil, nil
	}
	var errs []error
	if len(specs) > MaxRules {
		return nil, fmt.Errorf("line %d: customRules: %d rules, more than the limit of %d", specs[MaxRules].Line, len(specs), MaxRules)
	}
	seen := map[string]int{}
	var out []*rules.Rule
	for i := range specs {
		s := &specs[i]
		r, es := compileOne(s, seen)
		errs = append(errs, es...)
		if r != nil {
			out = append(out, r)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// specError is a problem of one field of a rule.
func specError(s *Spec, field, format string, args ...any) error {
	line := s.Line
	if l := s.Lines[strings.SplitN(field, ".", 2)[0]]; l != 0 {
		line = l
	}
	id := s.ID
	if id == "" {
		id = "?"
	}
	msg := fmt.Sprintf(format, args...)
	if field != "" {
		msg = field + ": " + msg
	}
	return fmt.Errorf("line %d: customRules[%s]: %s", line, id, msg)
}

// compileOne checks one spec and builds its rule (nil when it has problems).
func compileOne(s *Spec, seen map[string]int) (*rules.Rule, []error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, specError(s, field, format, args...))
	}
	switch up := strings.ToUpper(s.ID); {
	case s.ID == "":
		bad("id", "missing")
	case strings.HasPrefix(up, "PAL-"):
		bad("id", "%q: the PAL- prefix is reserved for Palisade's own rules", s.ID)
	case !idPattern.MatchString(s.ID):
		bad("id", "%q is not a rule ID: upper-case letters and digits in two or more parts joined by dashes, starting with a letter (ACME-001)", s.ID)
	default:
		if _, ok := rules.Get(s.ID); ok {
			bad("id", "%s is a rule of Palisade already", s.ID)
		} else if line, ok := seen[up]; ok {
			bad("id", "%s is defined twice (first at line %d)", s.ID, line)
		} else {
			seen[up] = s.Line
		}
	}
	for _, f := range []struct{ name, value string }{
		{"title", s.Title}, {"expression", s.Expression}, {"rationale", s.Rationale}, {"remediation", s.Remediation},
	} {
		if strings.TrimSpace(f.value) == "" {
			bad(f.name, "missing")
		}
	}
	if s.Severity == finding.Info && s.Lines["severity"] == 0 {
		// Info is the zero severity: a rule that says none was given none.
		bad("severity", "missing (one of %s)", severityNames())
	}
	kinds, kerrs := matchKinds(s)
	errs = append(errs, kerrs...)
	fw, ferrs := frameworks(s)
	errs = append(errs, ferrs...)
	for i, ref := range s.References {
		if u, err := url.Parse(ref); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad(fmt.Sprintf("references[%d]", i), "%q is not an http(s) URL", ref)
		}
	}
	var c *compiled
	if strings.TrimSpace(s.Expression) != "" {
		var cerrs []error
		c, cerrs = compileExpressions(s)
		errs = append(errs, cerrs...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	c.kinds = kinds
	category := s.Category
	if strings.TrimSpace(category) == "" {
		category = DefaultCategory
	}
	r := &rules.Rule{
		Meta: rules.Meta{
			ID: s.ID, Title: strings.TrimSpace(s.Title), Severity: s.Severity, Category: category,
			Rationale: strings.TrimSpace(s.Rationale), Remediation: strings.TrimSpace(s.Remediation),
			References: slices.Clone(s.References), Frameworks: fw,
		},
	}
	if s.Match.Workloads {
		r.Workload = c.checkWorkload
	}
	if len(kinds) > 0 {
		r.Object = c.checkObject
		for _, k := range kinds {
			if !slices.Contains(r.Kinds, k.kind) {
				r.Kinds = append(r.Kinds, k.kind)
			}
		}
	}
	if err := rules.Validate(r); err != nil {
		return nil, []error{specError(s, "", "%v", err)}
	}
	return r, nil
}

func severityNames() string {
	var names []string
	for _, s := range finding.Severities() {
		names = append(names, s.String())
	}
	return strings.Join(names, ", ")
}

// kindMatch is one entry of match.kinds: a kind, and the group and version it must
// have ("*" for any).
type kindMatch struct {
	group, version, kind string
}

// matches reports whether an object of apiVersion matches.
func (k kindMatch) matches(apiVersion string) bool {
	if k.group == "*" && k.version == "*" {
		return true
	}
	group, version, found := strings.Cut(apiVersion, "/")
	if !found {
		group, version = "", apiVersion
	}
	return (k.group == "*" || k.group == group) && (k.version == "*" || k.version == version)
}

// matchKinds reads match: kinds "Kind", "version/Kind" (the core group: v1/Pod) or
// "group/version/Kind", the version "*" for any.
func matchKinds(s *Spec) ([]kindMatch, []error) {
	var errs []error
	if len(s.Match.Kinds) == 0 && !s.Match.Workloads {
		errs = append(errs, specError(s, "match", "missing: list kinds, or set workloads: true to check every pod template"))
	}
	var out []kindMatch
	for i, k := range s.Match.Kinds {
		parts := strings.Split(strings.TrimSpace(k), "/")
		m := kindMatch{group: "*", version: "*", kind: parts[len(parts)-1]}
		switch len(parts) {
		case 1:
		case 2:
			m.group, m.version = "", parts[0]
		case 3:
			m.group, m.version = parts[0], parts[1]
		default:
			m.kind = ""
		}
		validGV := !strings.ContainsAny(m.group, " *?[]") || m.group == "*"
		if m.version == "" || strings.ContainsAny(m.version, " ?[]") || (strings.Contains(m.version, "*") && m.version != "*") {
			validGV = false
		}
		if !kindPattern.MatchString(m.kind) || !validGV {
			errs = append(errs, specError(s, fmt.Sprintf("match.kinds[%d]", i), "%q is not a kind: write Kind, version/Kind (core group: v1/Pod) or group/version/Kind (apps/v1/Deployment; version * for any)", k))
			continue
		}
		out = append(out, m)
	}
	return out, errs
}

// frameworks reads the frameworks mapping: cis-1.12 recommendation IDs, NSA/CISA
// sections (a control ID of `palisade rules --framework nsa-cisa` or its tag),
// the Pod Security Standards level and the 4C layer.
func frameworks(s *Spec) (rules.Frameworks, []error) {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, specError(s, "frameworks."+key, format, args...))
	}
	fw := rules.Frameworks{Layer: DefaultLayer}
	keys := make([]string, 0, len(s.Frameworks))
	for k := range s.Frameworks {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		ids := s.Frameworks[key]
		switch key {
		case "cis-1.12":
			cis, _ := compliance.Get("cis-1.12")
			for _, id := range ids {
				if _, ok := cis.Control(strings.TrimSpace(id)); !ok {
					bad(key, "%q is not a recommendation of the CIS Kubernetes Benchmark v1.12 (see `palisade rules --framework cis-1.12`)", id)
					continue
				}
				fw.CIS = append(fw.CIS, strings.TrimSpace(id))
			}
		case "nsa", "nsa-cisa":
			nsa, _ := compliance.Get("nsa-cisa")
			for _, id := range ids {
				if c, ok := nsa.Control(strings.TrimSpace(id)); ok {
					fw.NSA = append(fw.NSA, c.Tag)
					continue
				}
				if ctl, _ := nsa.Claims(&rules.Rule{Meta: rules.Meta{Frameworks: rules.Frameworks{NSA: []string{id}}}}); len(ctl) == 1 {
					fw.NSA = append(fw.NSA, strings.TrimSpace(id))
					continue
				}
				bad(key, "%q is not a section of the NSA/CISA Kubernetes Hardening Guidance (a control ID such as pod-security.non-root, or its tag \"Pod security: non-root containers\"; see `palisade rules --framework nsa-cisa`)", id)
			}
		case "pss":
			if len(ids) != 1 || (ids[0] != "baseline" && ids[0] != "restricted") {
				bad(key, "want one level, [baseline] or [restricted], not %v", ids)
				continue
			}
			fw.PSS = ids[0]
		case "layer":
			if len(ids) != 1 || !slices.Contains(layers, ids[0]) {
				bad(key, "want one 4C layer (%s), not %v", strings.Join(layers, ", "), ids)
				continue
			}
			fw.Layer = ids[0]
		default:
			bad(key, "unknown framework (want %s)", strings.Join(frameworkKeys, ", "))
		}
	}
	return fw, errs
}
