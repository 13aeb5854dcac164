package vap

import (
	"fmt"
	"sort"
	"sync"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/matchconditions"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/predicates/rules"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/cel/environment"
	"k8s.io/client-go/informers"
)

// hook is one policy with its bindings, compiled: what the API server's policy
// source hands its dispatcher (generic.PolicyHook).
type hook struct {
	policy    *admissionregistrationv1.ValidatingAdmissionPolicy
	bindings  []*admissionregistrationv1.ValidatingAdmissionPolicyBinding
	validator validating.Validator
	// paramInformer and paramScope serve the policy's paramKind (nil without one,
	// or when the kind is not served: configErr then says so).
	paramInformer informers.GenericInformer
	paramScope    meta.RESTScope
	configErr     error
}

// baseEnvSet is the API server's composition environment template
// (validating/plugin.go's getCompositionEnvTemplateWithStrictCost), built once.
var baseEnvSet = sync.OnceValue(func() *environment.EnvSet {
	return environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion())
})

// compilePolicy is validating/plugin.go's compilePolicy (unexported there), wired
// the same way with the same exported pieces; it also returns the compile errors
// the API server would report at admission.
func compilePolicy(policy *admissionregistrationv1.ValidatingAdmissionPolicy) (validating.Validator, []error) {
	hasParam := policy.Spec.ParamKind != nil
	optionalVars := cel.OptionalVariableDeclarations{HasParams: hasParam, HasAuthorizer: true}
	expressionOptionalVars := cel.OptionalVariableDeclarations{HasParams: hasParam, HasAuthorizer: false}
	failurePolicy := policy.Spec.FailurePolicy
	var matcher matchconditions.Matcher
	compiler, err := cel.NewCompositedCompiler(baseEnvSet())
	if err != nil {
		return validating.NewValidator(nil, nil, nil, nil, failurePolicy, err), []error{err}
	}
	var errs []error
	for i, v := range policy.Spec.Variables {
		r := compiler.CompileAndStoreVariable(&validating.Variable{Name: v.Name, Expression: v.Expression}, optionalVars, environment.StoredExpressions)
		if r.Error != nil {
			errs = append(errs, fmt.Errorf("spec.variables[%d] (%s): %w", i, v.Name, r.Error))
		}
	}
	collect := func(field string, e cel.ConditionEvaluator) cel.ConditionEvaluator {
		for _, err := range e.CompilationErrors() {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
		}
		return e
	}
	if conds := policy.Spec.MatchConditions; len(conds) > 0 {
		accessors := make([]cel.ExpressionAccessor, len(conds))
		for i := range conds {
			accessors[i] = (*matchconditions.MatchCondition)(&conds[i])
		}
		matcher = matchconditions.NewMatcher(collect("spec.matchConditions", compiler.CompileCondition(accessors, optionalVars, environment.StoredExpressions)), failurePolicy, "policy", "validate", policy.Name)
	}
	validations := make([]cel.ExpressionAccessor, len(policy.Spec.Validations))
	messages := make([]cel.ExpressionAccessor, len(policy.Spec.Validations))
	for i, v := range policy.Spec.Validations {
		validations[i] = &validating.ValidationCondition{Expression: v.Expression, Message: v.Message, Reason: v.Reason}
		if v.MessageExpression != "" {
			messages[i] = &validating.MessageExpressionCondition{MessageExpression: v.MessageExpression}
		}
	}
	annotations := make([]cel.ExpressionAccessor, len(policy.Spec.AuditAnnotations))
	for i, a := range policy.Spec.AuditAnnotations {
		annotations[i] = &validating.AuditAnnotationCondition{Key: a.Key, ValueExpression: a.ValueExpression}
	}
	v := validating.NewValidator(
		collect("spec.validations", compiler.CompileCondition(validations, optionalVars, environment.StoredExpressions)),
		matcher,
		collect("spec.auditAnnotations", compiler.CompileCondition(annotations, optionalVars, environment.StoredExpressions)),
		collect("spec.validations[*].messageExpression", compiler.CompileCondition(messages, expressionOptionalVars, environment.StoredExpressions)),
		failurePolicy,
		nil,
	)
	return v, errs
}

// Set is a compiled bundle: what one run (or one webhook configuration
// generation) evaluates every request with. It is safe for concurrent use.
type Set struct {
	res        *Resources
	hooks      []hook
	problems   []error
	policies   int
	bindings   int
	paramKinds []schema.GroupVersionKind
	objects    admission.ObjectInterfaces
}

// Compile compiles every policy once. A policy that does not compile is kept: as in
// the API server, its error is a configuration error reported at admission under the
// policy's failurePolicy (and listed by Problems). Errors here are only for
// malformed input the API server would never have stored (a failed validation of
// the object itself, as its create would have been refused), each naming its source.
//
// Policies are evaluated in name order and a policy's bindings in name order (the
// API server's order is that of its informer caches, which is unspecified: when two
// policies deny the same request, which one's message it returns is not defined;
// Palisade's is the first by name).
func Compile(b Bundle, opts Options) (*Set, []error) {
	res := opts.Resources
	if res == nil {
		res = BuiltinResources()
	}
	s := &Set{res: res, objects: newObjectInterfaces(res)}
	var errs []error
	src := func(o any) Source { return b.Sources[o] }

	policies := map[string]*admissionregistrationv1.ValidatingAdmissionPolicy{}
	for _, p := range b.Policies {
		if p == nil {
			continue
		}
		if errs2 := validatePolicy(p); len(errs2) > 0 {
			errs = append(errs, fmt.Errorf("%s: ValidatingAdmissionPolicy %q is invalid: %v", src(p), p.Name, errs2))
			continue
		}
		if prev, dup := policies[p.Name]; dup {
			errs = append(errs, fmt.Errorf("%s: ValidatingAdmissionPolicy %q is also defined at %s (the first is used)", src(p), p.Name, src(prev)))
			continue
		}
		defaultPolicy(p)
		policies[p.Name] = p
	}
	bound := map[string][]*admissionregistrationv1.ValidatingAdmissionPolicyBinding{}
	bindingNames := map[string]*admissionregistrationv1.ValidatingAdmissionPolicyBinding{}
	for _, bd := range b.Bindings {
		if bd == nil {
			continue
		}
		if errs2 := validateBinding(bd); len(errs2) > 0 {
			errs = append(errs, fmt.Errorf("%s: ValidatingAdmissionPolicyBinding %q is invalid: %v", src(bd), bd.Name, errs2))
			continue
		}
		if prev, dup := bindingNames[bd.Name]; dup {
			errs = append(errs, fmt.Errorf("%s: ValidatingAdmissionPolicyBinding %q is also defined at %s (the first is used)", src(bd), bd.Name, src(prev)))
			continue
		}
		if bd.Spec.MatchResources != nil {
			defaultMatchResources(bd.Spec.MatchResources)
		}
		bindingNames[bd.Name] = bd
		if _, ok := policies[bd.Spec.PolicyName]; !ok {
			s.problems = append(s.problems, fmt.Errorf("%s: ValidatingAdmissionPolicyBinding %q binds policy %q, which is not defined: ignored, as the API server ignores it", src(bd), bd.Name, bd.Spec.PolicyName))
			continue
		}
		bound[bd.Spec.PolicyName] = append(bound[bd.Spec.PolicyName], bd)
	}
	s.policies, s.bindings = len(policies), len(bindingNames)

	params := newParamStore(b.Params, res, b.Sources)
	names := make([]string, 0, len(policies))
	for n := range policies {
		names = append(names, n)
	}
	sort.Strings(names)
	kinds := map[schema.GroupVersionKind]bool{}
	for _, n := range names {
		p := policies[n]
		bindings := bound[n]
		if len(bindings) == 0 {
			continue // the API server makes no hook of an unbound policy
		}
		sort.Slice(bindings, func(i, j int) bool { return bindings[i].Name < bindings[j].Name })
		v, compileErrs := compilePolicy(p)
		for _, err := range compileErrs {
			s.problems = append(s.problems, fmt.Errorf("%s: ValidatingAdmissionPolicy %q: %w", src(p), p.Name, err))
		}
		h := hook{policy: p, bindings: bindings, validator: v}
		if pk := p.Spec.ParamKind; pk != nil {
			gv, _ := schema.ParseGroupVersion(pk.APIVersion) // validated
			gvk := gv.WithKind(pk.Kind)
			kinds[gvk] = true
			h.paramInformer, h.paramScope, h.configErr = params.informerFor(gvk)
			if h.configErr != nil {
				s.problems = append(s.problems, fmt.Errorf("%s: ValidatingAdmissionPolicy %q: paramKind %s is not a resource the API server serves (give its CustomResourceDefinition): every request it matches fails with %q", src(p), p.Name, gvk, h.configErr))
			}
		}
		s.hooks = append(s.hooks, h)
	}
	s.problems = append(s.problems, params.problems...)
	for k := range kinds {
		s.paramKinds = append(s.paramKinds, k)
	}
	sort.Slice(s.paramKinds, func(i, j int) bool { return s.paramKinds[i].String() < s.paramKinds[j].String() })
	return s, errs
}

// Problems lists the compile and configuration errors of the set's policies and
// bindings (a binding naming a missing policy, a paramKind no resource of the
// bundle has), each naming its source: what `palisade scan --policy` prints as input
// errors besides evaluating.
func (s *Set) Problems() []error { return append([]error(nil), s.problems...) }

// Empty reports whether the set has no policy with a binding (nothing to evaluate).
func (s *Set) Empty() bool { return len(s.hooks) == 0 }

// Policies returns the number of policies and bindings.
func (s *Set) Policies() (policies, bindings int) { return s.policies, s.bindings }

// ParamKinds are the kinds the policies take parameters of.
func (s *Set) ParamKinds() []schema.GroupVersionKind {
	return append([]schema.GroupVersionKind(nil), s.paramKinds...)
}

// Matches reports whether some policy's matchConstraints resource rules (with the
// binding's matchResources) could match objects of this kind, judged on the kind
// alone: the scan keeps decoded only such objects. It errs on the side of yes:
// selectors, excludeResourceRules, resourceNames and matchConditions are not
// consulted, and every operation counts.
func (s *Set) Matches(gvk schema.GroupVersionKind) bool {
	if len(s.hooks) == 0 {
		return false
	}
	gvr, namespaced, ok := s.res.ResourceFor(gvk)
	if !ok {
		return false
	}
	if excluded(gvr.GroupResource()) {
		return false
	}
	ns := ""
	if namespaced {
		ns = "ns"
	}
	var attrs []admission.Attributes
	for _, op := range []admission.Operation{admission.Create, admission.Update, admission.Delete, admission.Connect} {
		attrs = append(attrs, admission.NewAttributesRecord(nil, nil, gvk, ns, "", gvr, "", op, nil, false, &user.DefaultInfo{}))
	}
	for _, h := range s.hooks {
		if !s.rulesMatch(h.policy.Spec.MatchConstraints, attrs, true) {
			continue
		}
		for _, b := range h.bindings {
			if s.rulesMatch(b.Spec.MatchResources, attrs, false) {
				return true
			}
		}
	}
	return false
}

// rulesMatch reports whether the resource rules of m match one of attrs, directly
// or (matchPolicy Equivalent) through an equivalent resource.
func (s *Set) rulesMatch(m *admissionregistrationv1.MatchResources, attrs []admission.Attributes, required bool) bool {
	if m == nil || len(m.ResourceRules) == 0 {
		return !required || m == nil
	}
	equivalent := m.MatchPolicy == nil || *m.MatchPolicy == admissionregistrationv1.Equivalent
	for _, a := range attrs {
		candidates := []schema.GroupVersionResource{a.GetResource()}
		if equivalent {
			candidates = s.objects.GetEquivalentResourceMapper().EquivalentResourcesFor(a.GetResource(), "")
		}
		for _, gvr := range candidates {
			o := &attrWithResource{Attributes: a, resource: gvr}
			for _, r := range m.ResourceRules {
				if (&rules.Matcher{Rule: r.RuleWithOperations, Attr: o}).Matches() {
					return true
				}
			}
		}
	}
	return false
}

type attrWithResource struct {
	admission.Attributes
	resource schema.GroupVersionResource
}

func (a *attrWithResource) GetResource() schema.GroupVersionResource { return a.resource }
