// Package vap evaluates admissionregistration.k8s.io/v1 ValidatingAdmissionPolicies
// and their bindings offline, with the API server's own code: the admission CEL
// compiler, matcher, parameter collection and validator of k8s.io/apiserver
// (pkg/admission/plugin/policy/...). What the API server reads from its stores (the
// namespace of the request, the parameter resources, the authorizer) comes from the
// caller: the scanned objects, the live cluster, or the admission review.
//
// vap is a leaf: it knows unstructured objects and k8s.io types, not Palisade's
// inventory. internal/checks/admissionpolicy turns its decisions into findings;
// internal/admission applies it in the webhook.
//
// # What is exact
//
// Compile wires each policy as the API server's compilePolicy does (same CEL
// environment, variables, matchConditions, validations, messageExpressions and
// audit annotations, same compatibility version). Evaluate runs the API server's
// own dispatcher (validating.NewDispatcher(...).Dispatch) with its policy matcher
// (generic.NewPolicyMatcher over matching.NewMatcher: namespace and object
// selectors, resource rules, excludeResourceRules, matchPolicy Equivalent through
// an EquivalentResourceMapper built from Resources), generic.CollectParams over the
// bundle's parameters, and its warning recorder; so the verdict, the Status message,
// reason and code, the warnings and the audit annotations are the API server's,
// byte for byte, for the same policies, bindings, params, namespace and object.
// A built-in object is evaluated in its typed form, as the API server's admission
// sees it; a built-in parameter as a typed informer serves it. Policies and
// bindings are defaulted as the API server defaults them on create. Resources is
// the real kube-apiserver's discovery (TestBuiltinResources).
//
// # What is not
//
//   - Order: the API server visits policies, bindings and selected params in the
//     order of its informer caches (unspecified); Palisade in name order. When
//     several deny, the API server's message may name another one.
//   - The object: RequestFor hands Prepare's object (see Prepare) to admission;
//     where Prepare is approximate (kinds it cannot default), so is the verdict.
//   - Conversion: a rule matched only through an equivalent resource of another
//     version (matchPolicy Equivalent) needs the object converted; custom resources
//     convert as with strategy None, built-in kinds only where client-go's scheme
//     can (it cannot convert e.g. autoscaling/v1 to v2: a configuration failure
//     "failed to convert object version" where the API server would evaluate).
//     Conversion webhooks are not called.
//   - Stores: the namespace, params and authorizer answers are the caller's;
//     the API server's live state may differ. The API server's excluded resources
//     (admission configuration and review resources) are listed in excludedResources.
//   - Create-time validation of the policy objects is partial (Bundle.Add lists the
//     checks); a policy the API server would refuse for another reason is evaluated.
package vap

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// Source says where an object of a Bundle was read, for errors ("file:line").
type Source struct {
	File string
	Line int
}

// Bundle is what a Set is compiled from: the policies, their bindings and the
// resources their bindings' paramRefs may select, each with where it was read.
type Bundle struct {
	Policies []*admissionregistrationv1.ValidatingAdmissionPolicy
	Bindings []*admissionregistrationv1.ValidatingAdmissionPolicyBinding
	// Params are candidate parameter resources (any kind; selected by the policy's
	// paramKind and the binding's paramRef).
	Params []*unstructured.Unstructured
	// Sources maps each object above (by pointer) to where it was read.
	Sources map[any]Source

	bytes int // encoded size of what Add added (bounded)
}

// Options tune compilation.
type Options struct {
	// Resources maps kinds to resources (and back) for matching; nil is the
	// built-in table of the Kubernetes release Palisade is built with
	// (BuiltinResources) with no custom resources.
	Resources *Resources
}

// Request is one admission request as the API server would have it after decoding,
// defaulting and mutation: an offline scan makes a CREATE of each object
// (RequestFor); the webhook makes one from its AdmissionReview.
type Request struct {
	Operation   admission.Operation
	Kind        schema.GroupVersionKind
	Resource    schema.GroupVersionResource
	SubResource string
	Name        string
	Namespace   string
	Object      *unstructured.Unstructured
	OldObject   *unstructured.Unstructured
	// Options is the operation's options object (CreateOptions, UpdateOptions,
	// DeleteOptions), nil for none.
	Options *unstructured.Unstructured
	DryRun  bool
	User    user.Info
}

// Env answers what the API server reads from its stores during admission.
type Env struct {
	// Namespace returns the request's Namespace object (namespaceSelector,
	// namespaceObject). A namespace it does not know: (nil, NotFound error), as the
	// API server's lister (nil Namespace: every namespace is unknown). Then, as in
	// the API server, a policy with a namespaceSelector fails to configure, and a
	// matching policy without one makes Evaluate return the NotFound error (the API
	// server refuses the request with it). A scan should answer a label-less
	// Namespace for a namespace its manifests use but do not define.
	Namespace func(name string) (*corev1.Namespace, error)
	// Authorizer answers the CEL authorizer library (nil: every check is an error
	// saying no authorizer is configured, never an allow).
	Authorizer authorizer.Authorizer
}

// Action is what a failed validation does under its binding.
type Action string

// Validation actions.
const (
	Deny  Action = "Deny"
	Warn  Action = "Warn"
	Audit Action = "Audit"
)

// FailureKind says what failed.
type FailureKind uint8

// Failure kinds.
const (
	// Validation: a validation evaluated to false (or failed to evaluate and the
	// failurePolicy is Fail).
	Validation FailureKind = iota
	// Configuration: the policy or binding could not be applied (compile error,
	// missing param, binding to a missing policy), under failurePolicy Fail.
	Configuration
	// AuditAnnotation: an audit annotation's expression failed under Fail.
	AuditAnnotation
)

// Failure is one failed check of one policy, binding and parameter.
type Failure struct {
	Policy, Binding string
	// Index is the validation's index in spec.validations (-1 for other kinds).
	Index int
	// Param is "namespace/name" of the parameter resource, "" without paramKind.
	Param   string
	Kind    FailureKind
	Actions []admissionregistrationv1.ValidationAction
	// Message is the validation's message as the API server words it (message,
	// messageExpression, or the default "failed expression: ...").
	Message string
	Reason  metav1.StatusReason
}

// Decision is the outcome of one request, as the API server would decide it.
type Decision struct {
	// Allowed is false when the API server would refuse the request.
	Allowed bool
	// Message, Reason and Code are the API server's refusal, empty when allowed:
	// the Status it returns for the first denying failure, e.g. message
	// `deployments.apps "web" is forbidden: ValidatingAdmissionPolicy 'p' with
	// binding 'b' denied request: ...` (Reason Invalid and Code 422 unless the
	// validation's reason says otherwise).
	Message string
	Reason  metav1.StatusReason
	Code    int32
	// Warnings are the warnings the API server would return (Warn action), in order.
	Warnings []string
	// AuditAnnotations are the audit annotations the API server would record
	// ("policyname/key": value), including validation_failure for Audit.
	AuditAnnotations map[string]string
	// Failures lists every failed check (not only the first), in policy, binding,
	// param and validation order: each becomes a finding.
	Failures []Failure
	// Matched is the number of (policy, binding) pairs that matched the request.
	Matched int
}
