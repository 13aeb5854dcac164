package vap

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	sigsjson "sigs.k8s.io/json"
)

// Bounds on what a Bundle holds: the API server refuses request bodies over 3 MiB,
// and a policy set of more objects than this is not one a person wrote.
const (
	maxBundleObjects = 10000
	maxObjectBytes   = 3 << 20
	maxBundleBytes   = 64 << 20
)

const admissionGroup = admissionregistrationv1.GroupName

func (s Source) String() string {
	if s.File == "" {
		return "<input>"
	}
	if s.Line > 0 {
		return fmt.Sprintf("%s:%d", s.File, s.Line)
	}
	return s.File
}

// Add decodes objects (as read: apiVersion, kind and body) into the bundle: VAPs and
// bindings of admissionregistration.k8s.io/v1 (v1beta1/v1alpha1 are an error naming
// the version), every other object a candidate parameter. An object that does not
// decode strictly is an error naming src.
//
// Policies and bindings are defaulted as the API server defaults them on create
// (failurePolicy Fail, matchPolicy Equivalent, empty namespace and object
// selectors, rule scope "*") and refused, with an error naming src, when the API
// server's create validation would refuse them for one of these reasons:
//   - metadata.name missing;
//   - policy: spec.matchConstraints or its resourceRules missing; neither
//     validations nor auditAnnotations; a validation without expression or with an
//     unsupported reason; an audit annotation without key or valueExpression; a
//     variable or match condition without name or expression, or a repeated name;
//     failurePolicy other than Fail/Ignore; matchPolicy other than Exact/Equivalent;
//     a rule without operations, apiGroups, apiVersions or resources, or with an
//     unknown operation or scope; paramKind without apiVersion or kind;
//   - binding: spec.policyName missing; validationActions empty, repeated, unknown,
//     or both Deny and Warn; paramRef with both or neither of name and selector, or
//     without parameterNotFoundAction (Allow or Deny); rules as above.
//
// Other create validations (name formats, label selector syntax, CEL cost
// estimates) are not repeated: such a policy is evaluated as stored and its errors
// surface as the API server would surface them at admission.
func (b *Bundle) Add(obj map[string]any, src Source) error {
	if len(b.Policies)+len(b.Bindings)+len(b.Params) >= maxBundleObjects {
		return fmt.Errorf("%s: more than %d policy objects", src, maxBundleObjects)
	}
	data, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	if len(data) > maxObjectBytes {
		return fmt.Errorf("%s: object of %d bytes is larger than the API server accepts (%d)", src, len(data), maxObjectBytes)
	}
	if b.bytes+len(data) > maxBundleBytes {
		return fmt.Errorf("%s: policy objects larger than %d bytes in all", src, maxBundleBytes)
	}
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	if apiVersion == "" || kind == "" {
		return fmt.Errorf("%s: object without apiVersion or kind", src)
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	if b.Sources == nil {
		b.Sources = map[any]Source{}
	}
	if gv.Group == admissionGroup {
		switch kind {
		case "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding":
			if gv.Version != "v1" {
				return fmt.Errorf("%s: %s %s is not supported: write it as %s/v1 (the API version kube-apiserver serves it as since v1.30)", src, apiVersion, kind, admissionGroup)
			}
		case "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding":
			return fmt.Errorf("%s: %s is not supported: Palisade evaluates ValidatingAdmissionPolicies only", src, kind)
		}
	}
	switch {
	case gv.Group == admissionGroup && kind == "ValidatingAdmissionPolicy":
		p := &admissionregistrationv1.ValidatingAdmissionPolicy{}
		if err := strictDecode(data, p); err != nil {
			return fmt.Errorf("%s: ValidatingAdmissionPolicy %s: %w", src, nameOf(obj), err)
		}
		if errs := validatePolicy(p); len(errs) > 0 {
			return fmt.Errorf("%s: ValidatingAdmissionPolicy %q is invalid: %s", src, p.Name, strings.Join(errs, "; "))
		}
		defaultPolicy(p)
		b.Policies = append(b.Policies, p)
		b.Sources[p] = src
	case gv.Group == admissionGroup && kind == "ValidatingAdmissionPolicyBinding":
		p := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{}
		if err := strictDecode(data, p); err != nil {
			return fmt.Errorf("%s: ValidatingAdmissionPolicyBinding %s: %w", src, nameOf(obj), err)
		}
		if errs := validateBinding(p); len(errs) > 0 {
			return fmt.Errorf("%s: ValidatingAdmissionPolicyBinding %q is invalid: %s", src, p.Name, strings.Join(errs, "; "))
		}
		if p.Spec.MatchResources != nil {
			defaultMatchResources(p.Spec.MatchResources)
		}
		b.Bindings = append(b.Bindings, p)
		b.Sources[p] = src
	default:
		var m map[string]any
		if err := sigsjson.UnmarshalCaseSensitivePreserveInts(data, &m); err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		u := &unstructured.Unstructured{Object: m}
		b.Params = append(b.Params, u)
		b.Sources[u] = src
	}
	b.bytes += len(data)
	return nil
}

func nameOf(obj map[string]any) string {
	if md, ok := obj["metadata"].(map[string]any); ok {
		if n, ok := md["name"].(string); ok {
			return fmt.Sprintf("%q", n)
		}
	}
	return "(unnamed)"
}

// strictDecode decodes as the API server decodes a create: case-sensitive, with
// unknown and duplicate fields an error.
func strictDecode(data []byte, into any) error {
	strict, err := sigsjson.UnmarshalStrict(data, into)
	if err != nil {
		return err
	}
	if len(strict) > 0 {
		return fmt.Errorf("strict decoding: %w", errors.Join(strict...))
	}
	return nil
}

var (
	validReasons = map[metav1.StatusReason]bool{
		metav1.StatusReasonUnauthorized: true, metav1.StatusReasonForbidden: true,
		metav1.StatusReasonInvalid: true, metav1.StatusReasonRequestEntityTooLarge: true,
	}
	validOperations = map[admissionregistrationv1.OperationType]bool{
		admissionregistrationv1.OperationAll: true, admissionregistrationv1.Create: true,
		admissionregistrationv1.Update: true, admissionregistrationv1.Delete: true,
		admissionregistrationv1.Connect: true,
	}
	validScopes = map[admissionregistrationv1.ScopeType]bool{
		admissionregistrationv1.AllScopes: true, admissionregistrationv1.ClusterScope: true,
		admissionregistrationv1.NamespacedScope: true,
	}
)

func validatePolicy(p *admissionregistrationv1.ValidatingAdmissionPolicy) []string {
	var errs []string
	add := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if p.Name == "" {
		add("metadata.name: Required value")
	}
	s := p.Spec
	if s.MatchConstraints == nil {
		add("spec.matchConstraints: Required value")
	} else {
		if len(s.MatchConstraints.ResourceRules) == 0 {
			add("spec.matchConstraints.resourceRules: Required value")
		}
		errs = append(errs, validateMatchResources(s.MatchConstraints, "spec.matchConstraints")...)
	}
	if len(s.Validations) == 0 && len(s.AuditAnnotations) == 0 {
		add("spec.validations: Required value: validations or auditAnnotations must contain at least one item")
	}
	for i, v := range s.Validations {
		if strings.TrimSpace(v.Expression) == "" {
			add("spec.validations[%d].expression: Required value", i)
		}
		if v.Reason != nil && !validReasons[*v.Reason] {
			add("spec.validations[%d].reason: Unsupported value: %q", i, *v.Reason)
		}
	}
	for i, a := range s.AuditAnnotations {
		if a.Key == "" {
			add("spec.auditAnnotations[%d].key: Required value", i)
		}
		if strings.TrimSpace(a.ValueExpression) == "" {
			add("spec.auditAnnotations[%d].valueExpression: Required value", i)
		}
	}
	seen := map[string]bool{}
	for i, v := range s.Variables {
		if v.Name == "" {
			add("spec.variables[%d].name: Required value", i)
		} else if seen[v.Name] {
			add("spec.variables[%d].name: Duplicate value: %q", i, v.Name)
		}
		seen[v.Name] = true
		if strings.TrimSpace(v.Expression) == "" {
			add("spec.variables[%d].expression: Required value", i)
		}
	}
	seen = map[string]bool{}
	for i, c := range s.MatchConditions {
		if c.Name == "" {
			add("spec.matchConditions[%d].name: Required value", i)
		} else if seen[c.Name] {
			add("spec.matchConditions[%d].name: Duplicate value: %q", i, c.Name)
		}
		seen[c.Name] = true
		if strings.TrimSpace(c.Expression) == "" {
			add("spec.matchConditions[%d].expression: Required value", i)
		}
	}
	if f := s.FailurePolicy; f != nil && *f != admissionregistrationv1.Fail && *f != admissionregistrationv1.Ignore {
		add("spec.failurePolicy: Unsupported value: %q", *f)
	}
	if k := s.ParamKind; k != nil {
		if k.APIVersion == "" {
			add("spec.paramKind.apiVersion: Required value")
		} else if _, err := schema.ParseGroupVersion(k.APIVersion); err != nil {
			add("spec.paramKind.apiVersion: Invalid value: %q", k.APIVersion)
		}
		if k.Kind == "" {
			add("spec.paramKind.kind: Required value")
		}
	}
	return errs
}

func validateBinding(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) []string {
	var errs []string
	add := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if b.Name == "" {
		add("metadata.name: Required value")
	}
	s := b.Spec
	if s.PolicyName == "" {
		add("spec.policyName: Required value")
	}
	if len(s.ValidationActions) == 0 {
		add("spec.validationActions: Required value")
	}
	seen := map[admissionregistrationv1.ValidationAction]bool{}
	for i, a := range s.ValidationActions {
		switch a {
		case admissionregistrationv1.Deny, admissionregistrationv1.Warn, admissionregistrationv1.Audit:
		default:
			add("spec.validationActions[%d]: Unsupported value: %q", i, a)
		}
		if seen[a] {
			add("spec.validationActions[%d]: Duplicate value: %q", i, a)
		}
		seen[a] = true
	}
	if seen[admissionregistrationv1.Deny] && seen[admissionregistrationv1.Warn] {
		add("spec.validationActions: Invalid value: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)")
	}
	if r := s.ParamRef; r != nil {
		if r.Name != "" && r.Selector != nil {
			add("spec.paramRef.name: Forbidden: name and selector are mutually exclusive")
		}
		if r.Name == "" && r.Selector == nil {
			add("spec.paramRef: Required value: one of name or selector must be specified")
		}
		if r.ParameterNotFoundAction == nil {
			add("spec.paramRef.parameterNotFoundAction: Required value")
		} else if a := *r.ParameterNotFoundAction; a != admissionregistrationv1.AllowAction && a != admissionregistrationv1.DenyAction {
			add("spec.paramRef.parameterNotFoundAction: Unsupported value: %q", a)
		}
	}
	if s.MatchResources != nil {
		errs = append(errs, validateMatchResources(s.MatchResources, "spec.matchResources")...)
	}
	return errs
}

func validateMatchResources(m *admissionregistrationv1.MatchResources, path string) []string {
	var errs []string
	add := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if p := m.MatchPolicy; p != nil && *p != admissionregistrationv1.Exact && *p != admissionregistrationv1.Equivalent {
		add("%s.matchPolicy: Unsupported value: %q", path, *p)
	}
	for field, rules := range map[string][]admissionregistrationv1.NamedRuleWithOperations{
		"resourceRules": m.ResourceRules, "excludeResourceRules": m.ExcludeResourceRules,
	} {
		for i, r := range rules {
			at := fmt.Sprintf("%s.%s[%d]", path, field, i)
			if len(r.Operations) == 0 {
				add("%s.operations: Required value", at)
			}
			for _, op := range r.Operations {
				if !validOperations[op] {
					add("%s.operations: Unsupported value: %q", at, op)
				}
			}
			if len(r.APIGroups) == 0 {
				add("%s.apiGroups: Required value", at)
			}
			if len(r.APIVersions) == 0 {
				add("%s.apiVersions: Required value", at)
			}
			if len(r.Resources) == 0 {
				add("%s.resources: Required value", at)
			}
			if r.Scope != nil && !validScopes[*r.Scope] {
				add("%s.scope: Unsupported value: %q", at, *r.Scope)
			}
		}
	}
	return errs
}

// defaultPolicy applies the API server's create-time defaults
// (pkg/apis/admissionregistration/v1/defaults.go).
func defaultPolicy(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
	if p.Spec.FailurePolicy == nil {
		f := admissionregistrationv1.Fail
		p.Spec.FailurePolicy = &f
	}
	if p.Spec.MatchConstraints != nil {
		defaultMatchResources(p.Spec.MatchConstraints)
	}
}

func defaultMatchResources(m *admissionregistrationv1.MatchResources) {
	if m.MatchPolicy == nil {
		e := admissionregistrationv1.Equivalent
		m.MatchPolicy = &e
	}
	if m.NamespaceSelector == nil {
		m.NamespaceSelector = &metav1.LabelSelector{}
	}
	if m.ObjectSelector == nil {
		m.ObjectSelector = &metav1.LabelSelector{}
	}
	for _, rules := range [][]admissionregistrationv1.NamedRuleWithOperations{m.ResourceRules, m.ExcludeResourceRules} {
		for i := range rules {
			if rules[i].Scope == nil {
				s := admissionregistrationv1.AllScopes
				rules[i].Scope = &s
			}
		}
	}
}
