package auditpolicy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	apiaudit "k8s.io/apiserver/pkg/apis/audit"
	"k8s.io/apiserver/pkg/apis/audit/validation"
	k8saudit "k8s.io/apiserver/pkg/audit"
	"k8s.io/apiserver/pkg/audit/policy"
	sigyaml "sigs.k8s.io/yaml"

	"github.com/palisade-k8s/palisade/internal/safetext"
	"github.com/palisade-k8s/palisade/internal/yamlpos"
)

// Bounds of a policy: a policy file is small (the API server's own are a few KB);
// anything past these is refused, not judged.
const (
	MaxPolicyBytes = 4 << 20
	MaxRules       = 10_000
)

// Policy is a decoded audit Policy, ready to be evaluated.
type Policy struct {
	// File names the policy in errors and reports.
	File string
	// Lines are the 1-based lines of each rule in File (0 when unknown: the policy
	// came from an object without positions).
	Lines []int
	// Warnings are problems the API server accepts (it falls back to lenient
	// decoding: unknown fields are ignored).
	Warnings []string

	policy *apiaudit.Policy
	// eval is the API server's evaluator of the whole policy; single evaluates
	// one rule alone (to tell which rule decided).
	eval   k8saudit.PolicyRuleEvaluator
	single []k8saudit.PolicyRuleEvaluator
}

// Error is a policy that cannot be decoded or is invalid, at a line of its file.
type Error struct {
	File string
	Line int
	Err  error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

var policyGV = schema.GroupVersion{Group: "audit.k8s.io", Version: "v1"}

// Parse decodes an audit Policy (YAML or JSON, audit.k8s.io/v1) with the API server's
// own scheme, strictly first and, as kube-apiserver does, leniently when only the
// strict checks fail (a warning then), and validates it as kube-apiserver does
// (validation.ValidatePolicy; a policy without rules is refused too). Errors name the
// file and, where it can be told, the line.
func Parse(data []byte, file string) (*Policy, error) {
	if len(data) > MaxPolicyBytes {
		return nil, &Error{File: file, Err: fmt.Errorf("policy of %d bytes is larger than the limit of %d", len(data), MaxPolicyBytes)}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		line, msg := yamlpos.Split(err)
		return nil, &Error{File: file, Line: line, Err: errors.New(safetext.Escape(msg))}
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: doc.Line, Err: errors.New("not an audit Policy: a mapping is expected")}
	}
	lines := ruleLines(doc)
	if len(lines) > MaxRules {
		return nil, &Error{File: file, Err: fmt.Errorf("policy has %d rules, more than the limit of %d", len(lines), MaxRules)}
	}
	js, err := sigyaml.YAMLToJSON(data)
	if err != nil {
		line, msg := yamlpos.Split(err)
		return nil, &Error{File: file, Line: line, Err: errors.New(safetext.Escape(msg))}
	}
	return decode(js, file, lines, doc)
}

// decode decodes the JSON form of a policy.
func decode(js []byte, file string, lines []int, doc *yaml.Node) (*Policy, error) {
	p := &Policy{File: file, Lines: lines}
	internal := &apiaudit.Policy{}
	strict := serializer.NewCodecFactory(k8saudit.Scheme, serializer.EnableStrict).UniversalDecoder(policyGV)
	_, gvk, err := strict.Decode(js, nil, internal)
	if err != nil {
		if !runtime.IsStrictDecodingError(err) {
			return nil, &Error{File: file, Err: fmt.Errorf("not an audit.k8s.io/v1 Policy: %s", safetext.Escape(err.Error()))}
		}
		p.Warnings = append(p.Warnings, "kube-apiserver ignores what it does not know in this policy: "+safetext.Escape(err.Error()))
		internal = &apiaudit.Policy{}
		lenient := k8saudit.Codecs.UniversalDecoder(policyGV)
		if _, gvk, err = lenient.Decode(js, nil, internal); err != nil {
			return nil, &Error{File: file, Err: fmt.Errorf("not an audit.k8s.io/v1 Policy: %s", safetext.Escape(err.Error()))}
		}
	}
	if gvk == nil || gvk.GroupVersion() != policyGV || gvk.Kind != "Policy" {
		return nil, &Error{File: file, Err: fmt.Errorf("not an audit.k8s.io/v1 Policy (%v)", gvk)}
	}
	if errs := validation.ValidatePolicy(internal); len(errs) > 0 {
		e := errs[0]
		return nil, &Error{File: file, Line: fieldLine(doc, e.Field), Err: errors.New(safetext.Escape(e.Error()))}
	}
	if len(internal.Rules) == 0 {
		return nil, &Error{File: file, Err: errors.New("the policy has no rules (kube-apiserver refuses it)")}
	}
	if len(internal.Rules) > MaxRules {
		return nil, &Error{File: file, Err: fmt.Errorf("policy has %d rules, more than the limit of %d", len(internal.Rules), MaxRules)}
	}
	for len(p.Lines) < len(internal.Rules) {
		p.Lines = append(p.Lines, 0)
	}
	p.policy = internal
	p.compile()
	return p, nil
}

// FromJSON decodes a policy given as JSON (an inventory object's body), without
// line positions.
func FromJSON(js []byte, file string) (*Policy, error) {
	if len(js) > MaxPolicyBytes {
		return nil, &Error{File: file, Err: fmt.Errorf("policy of %d bytes is larger than the limit of %d", len(js), MaxPolicyBytes)}
	}
	return decode(js, file, nil, nil)
}

// compile builds the evaluators: the API server's for the policy, and one per rule
// (its level forced above None) to tell which rule matched a request.
func (p *Policy) compile() {
	whole := p.policy.DeepCopy()
	p.eval = policy.NewPolicyRuleEvaluator(whole)
	p.single = make([]k8saudit.PolicyRuleEvaluator, len(p.policy.Rules))
	for i, r := range p.policy.Rules {
		one := r.DeepCopy()
		one.Level = apiaudit.LevelRequestResponse
		p.single[i] = policy.NewPolicyRuleEvaluator(&apiaudit.Policy{Rules: []apiaudit.PolicyRule{*one}})
	}
}

// Rules is the number of rules of the policy.
func (p *Policy) Rules() int { return len(p.policy.Rules) }

// Line is the line of rule i in the policy's file (0 when unknown).
func (p *Policy) Line(i int) int {
	if i >= 0 && i < len(p.Lines) {
		return p.Lines[i]
	}
	return 0
}

// ruleLines returns the line of each item of the top-level rules list.
func ruleLines(doc *yaml.Node) []int {
	rules := mapValue(doc, "rules")
	if rules == nil || rules.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]int, len(rules.Content))
	for i, n := range rules.Content {
		out[i] = n.Line
	}
	return out
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// fieldLine finds the line of a field path of a validation error ("rules[2].level").
func fieldLine(doc *yaml.Node, path string) int {
	if doc == nil {
		return 0
	}
	n, line := doc, doc.Line
	for _, part := range strings.Split(path, ".") {
		name, idx := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 && strings.HasSuffix(part, "]") {
			name = part[:i]
			if v, err := strconv.Atoi(part[i+1 : len(part)-1]); err == nil {
				idx = v
			}
		}
		if name != "" {
			n = mapValue(n, name)
			if n == nil {
				return line
			}
			line = n.Line
		}
		if idx >= 0 {
			if n.Kind != yaml.SequenceNode || idx >= len(n.Content) {
				return line
			}
			n = n.Content[idx]
			line = n.Line
		}
	}
	return line
}
