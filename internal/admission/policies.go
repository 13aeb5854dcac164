package admission

// ValidatingAdmissionPolicies at admission.
//
// With a compiled policy set (Options.Policies), every review also runs the
// ValidatingAdmissionPolicies of the configuration generation, with the API server's
// own evaluation (internal/vap): on every operation the webhook receives (CREATE,
// UPDATE, DELETE, CONNECT) and on subresources, where Palisade's own rules do not
// run. The object is the one the API server sends, already defaulted and mutated:
// it is evaluated as it is, never prepared again.
//
// What the policies read from the cluster. The request's Namespace comes from the
// Cluster when it is a NamespaceReader (the webhook's informer cache); without one
// (webhook serve --no-cluster) reading it is an error, which the API server's code
// turns into a configuration error under the policy's failurePolicy for a
// namespaceSelector, and into a failed review for a matched policy of a namespaced
// request (which the API server would give its namespace object): never a silent
// pass. The CEL authorizer library asks Options.Authorizer (SubjectAccessReviews
// against the API server, cached); without one, every authorizer check is an
// error. Parameter resources come from the policy files, not from the cluster.
//
// What a failed check does. Each failure is a finding: PAL-800 when its binding's
// validationActions include Deny, PAL-801 for Warn, PAL-802 for Audit, PAL-803 for
// a policy that cannot be applied (under failurePolicy Fail). The finding's action
// is the rule's configured one (webhook.actions; by default deny, warn, audit and
// deny), and the configuration's exemptions and webhook.exemptions apply to it as
// to any finding; the controller-owned and update ratchets do not, since the
// policy's own matching decides where it applies. A finding that stays at deny
// refuses the request with the API server's message, reason and code (the
// ValidatingAdmissionPolicy plugin runs before webhooks, so its refusal is the one
// the client sees); at warn it returns the API server's warning; audit findings
// and the policies' auditAnnotations are returned as the response's audit
// annotations.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"

	"github.com/palisade-k8s/palisade/internal/checks/admissionpolicy"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/vap"
)

// NamespaceReader is a Cluster that also returns whole Namespace objects, as
// ValidatingAdmissionPolicies read them (namespaceSelector, namespaceObject). A
// namespace that does not exist is an error apierrors.IsNotFound recognises.
type NamespaceReader interface {
	Namespace(ctx context.Context, name string) (*corev1.Namespace, error)
}

// policyEvaluator is a compiled policy set (*vap.Set).
type policyEvaluator interface {
	Evaluate(ctx context.Context, req vap.Request, env vap.Env) (vap.Decision, error)
}

// ErrNoNamespaces is the error of a policy's namespace read when the webhook has no
// cluster access to read namespaces from.
var ErrNoNamespaces = errors.New("the webhook has no cluster access to read namespaces from (webhook serve --no-cluster)")

// PolicyOutcome is what the ValidatingAdmissionPolicies did with one review.
type PolicyOutcome struct {
	// Matched is the number of (policy, binding) pairs that matched the request.
	Matched int
	// Elapsed is the time the evaluation took.
	Elapsed time.Duration
	// Status is the API server's refusal when a policy's denial stands (nil
	// otherwise); the response carries it as it is.
	Status *metav1.Status
	// Warnings are the policies' warnings, worded as the API server words them.
	Warnings []string
	// AuditAnnotations are the response's audit annotations: the policies'
	// auditAnnotations ("<policy>.<key>") and the failures of the Audit action
	// (validation_failure), with keys the API server accepts from a webhook
	// (PolicyAnnotationKey).
	AuditAnnotations map[string]string
}

// PolicyErrorRule is the rule of a policy that cannot be applied to a request.
const PolicyErrorRule = admissionpolicy.ConfigRuleID

// Policy rules by what a failure does.
func policyRule(f *vap.Failure) string {
	if f.Kind != vap.Validation {
		return admissionpolicy.ConfigRuleID
	}
	switch {
	case hasAction(f.Actions, admissionregistrationv1.Deny):
		return admissionpolicy.DenyRuleID
	case hasAction(f.Actions, admissionregistrationv1.Warn):
		return admissionpolicy.WarnRuleID
	}
	return admissionpolicy.AuditRuleID
}

func hasAction(actions []admissionregistrationv1.ValidationAction, a admissionregistrationv1.ValidationAction) bool {
	for _, x := range actions {
		if x == a {
			return true
		}
	}
	return false
}

// deniesAtAPIServer reports whether the API server refuses a request for this
// failure: a validation whose binding denies, or an error under failurePolicy Fail
// (the only errors Failures list).
func deniesAtAPIServer(f *vap.Failure) bool {
	return f.Kind != vap.Validation || hasAction(f.Actions, admissionregistrationv1.Deny)
}

// The keys of the audit annotations of the ValidatingAdmissionPolicy plugin.
const (
	validationFailureKey = "validation.policy.admission.k8s.io/validation_failure"
	// ValidationFailureAnnotation is the key of the response's audit annotation
	// listing the failures of the Audit action (the API server records it as
	// "<webhook name>/validation_failure").
	ValidationFailureAnnotation = "validation_failure"
	// maxValidationFailures is the API server's bound on the failures the
	// annotation lists.
	maxValidationFailures = 50
	// maxPolicyWarning bounds one policy warning.
	maxPolicyWarning = 4 << 10
)

// validationFailure is the API server's JSON of one entry of validation_failure
// (k8s.io/apiserver validating.ValidationFailureValue).
type validationFailure struct {
	Message           string                                     `json:"message"`
	Policy            string                                     `json:"policy"`
	Binding           string                                     `json:"binding"`
	ExpressionIndex   int                                        `json:"expressionIndex"`
	ValidationActions []admissionregistrationv1.ValidationAction `json:"validationActions"`
}

// PolicyAnnotationKey is the key under which the webhook returns the audit
// annotation key of a policy. The API server records a webhook's annotation as
// "<webhook name>/<key>" and accepts it only as a qualified name: the key may hold
// no "/" and at most 63 characters of [A-Za-z0-9._-], starting and ending
// alphanumeric. The policy's "<policy>/<key>" becomes "<policy>.<key>"; a longer
// one keeps the key and as much of the policy's name as fits, with a digest of the
// whole so that two policies never share a key.
func PolicyAnnotationKey(policy, key string) string {
	const maxAnnotationName = 63
	name := policy + "." + key
	if len(name) <= maxAnnotationName && len(validation.IsQualifiedName(name)) == 0 {
		return name
	}
	sum := sha256.Sum256([]byte(policy + "/" + key))
	digest := hex.EncodeToString(sum[:4])
	keep := func(s string, n int) string {
		if n <= 0 {
			return ""
		}
		if len(s) > n {
			s = s[:n]
		}
		return strings.TrimRight(s, "-_.")
	}
	key = keep(strings.Map(annotationRune, key), maxAnnotationName-len(digest)-1)
	p := keep(strings.Map(annotationRune, policy), maxAnnotationName-len(digest)-len(key)-2)
	name = digest
	if p != "" {
		name = p + "-" + digest
	}
	if key != "" {
		name += "." + key
	}
	return name
}

func annotationRune(r rune) rune {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		return r
	}
	return '-'
}

// policyRequest is the vap.Request of an AdmissionReview request, with its objects
// as the API server sent them.
func (e *Evaluator) policyRequest(req *admissionv1.AdmissionRequest) (vap.Request, error) {
	obj, err := e.policyObject(&req.Object, "object")
	if err != nil {
		return vap.Request{}, err
	}
	old, err := e.policyObject(&req.OldObject, "old object")
	if err != nil {
		return vap.Request{}, err
	}
	opts, err := e.policyObject(&req.Options, "options")
	if err != nil {
		return vap.Request{}, err
	}
	u := &user.DefaultInfo{Name: req.UserInfo.Username, UID: req.UserInfo.UID, Groups: req.UserInfo.Groups}
	if len(req.UserInfo.Extra) > 0 {
		u.Extra = make(map[string][]string, len(req.UserInfo.Extra))
		for k, v := range req.UserInfo.Extra {
			u.Extra[k] = []string(v)
		}
	}
	return vap.Request{
		Operation:   admission.Operation(req.Operation),
		Kind:        schema.GroupVersionKind{Group: req.Kind.Group, Version: req.Kind.Version, Kind: req.Kind.Kind},
		Resource:    schema.GroupVersionResource{Group: req.Resource.Group, Version: req.Resource.Version, Resource: req.Resource.Resource},
		SubResource: req.SubResource,
		Name:        req.Name,
		Namespace:   req.Namespace,
		Object:      obj,
		OldObject:   old,
		Options:     opts,
		DryRun:      req.DryRun != nil && *req.DryRun,
		User:        u,
	}, nil
}

// policyObject is an object of a request as policies see it (nil when the request
// has none), within the review's limits.
func (e *Evaluator) policyObject(ext *runtime.RawExtension, what string) (*unstructured.Unstructured, error) {
	if len(ext.Raw) == 0 && ext.Object == nil {
		return nil, nil
	}
	if len(ext.Raw) > 0 {
		if err := e.limits.check(ext.Raw, what); err != nil {
			return nil, err
		}
	}
	body, err := objectBody(ext)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, what, err)
	}
	return &unstructured.Unstructured{Object: body}, nil
}

// policyEnv is what the policies of one review read from the cluster.
func (e *Evaluator) policyEnv(ctx context.Context, c Cluster) vap.Env {
	env := vap.Env{Authorizer: e.authorizer}
	if nr, ok := c.(NamespaceReader); ok && c != nil {
		env.Namespace = func(name string) (*corev1.Namespace, error) { return nr.Namespace(ctx, name) }
	} else {
		env.Namespace = func(name string) (*corev1.Namespace, error) {
			return nil, fmt.Errorf("namespace %s: %w", name, ErrNoNamespaces)
		}
	}
	return env
}

// applyPolicies evaluates the policies on the request and adds their findings to
// d, with their actions; settle then words the response.
func (e *Evaluator) applyPolicies(ctx context.Context, d *Decision, req *admissionv1.AdmissionRequest, scope requestScope, c Cluster, now time.Time) error {
	if e.policies == nil {
		return nil
	}
	vreq, err := e.policyRequest(req)
	if err != nil {
		return err
	}
	start := time.Now()
	vd, err := e.policies.Evaluate(ctx, vreq, e.policyEnv(ctx, c))
	out := &PolicyOutcome{Matched: vd.Matched, Elapsed: time.Since(start)}
	d.Policies = out
	if err != nil {
		return fmt.Errorf("ValidatingAdmissionPolicies: %w", err)
	}
	// The object the configuration's exemptions match.
	body := vreq.Object
	if body == nil {
		body = vreq.OldObject
	}
	o := &inventory.Object{Ref: d.Object, Origin: finding.Location{File: Origin, Provenance: finding.FromAdmission}}
	if body != nil {
		o.Labels, o.Annotations = body.GetLabels(), body.GetAnnotations()
	}
	var (
		denials  []*vap.Failure
		audited  []validationFailure
		apiFirst = -1 // the failure the API server's message is about
	)
	for i := range vd.Failures {
		f := &vd.Failures[i]
		if apiFirst < 0 && deniesAtAPIServer(f) {
			apiFirst = i
		}
		id := policyRule(f)
		action, ok := e.actions[id]
		if !ok {
			continue // the rule is not enabled
		}
		v := Verdict{Finding: e.policyFinding(f, id, d.Object), Action: action, Count: 1}
		if e.suppress != nil {
			e.suppress.Apply(o, &v.Finding)
		}
		if v.Finding.Suppressed != nil {
			v.Action, v.Note = config.Ignore, "exempt by configuration: "+v.Finding.Suppressed.Reason
		} else if ex := e.exemptRule(scope, id, now); ex != nil {
			v.Action, v.Note = config.Ignore, "exempt: "+ex.describe()
		}
		v.Finding.Policy.Denied = v.Action == config.Deny
		d.Verdicts = append(d.Verdicts, v)
		warn := func() {
			out.Warnings = append(out.Warnings, clip(fmt.Sprintf("Validation failed for ValidatingAdmissionPolicy '%s' with binding '%s': %s", f.Policy, f.Binding, f.Message), maxPolicyWarning))
		}
		audit := func() {
			if f.Kind == vap.Validation && len(audited) < maxValidationFailures {
				audited = append(audited, validationFailure{Message: f.Message, Policy: f.Policy, Binding: f.Binding, ExpressionIndex: f.Index, ValidationActions: f.Actions})
			}
		}
		switch v.Action {
		case config.Deny:
			denials = append(denials, f)
			if f.Kind == vap.Validation && hasAction(f.Actions, admissionregistrationv1.Warn) {
				warn()
			}
			if hasAction(f.Actions, admissionregistrationv1.Audit) {
				audit()
			}
		case config.Warn:
			warn()
			if hasAction(f.Actions, admissionregistrationv1.Audit) {
				audit()
			}
		case config.Audit:
			audit()
		}
		if len(denials) == 1 && denials[0] == f {
			out.Status = policyStatus(f, i == apiFirst, &vd, req)
		}
	}
	for k, val := range vd.AuditAnnotations {
		if k == validationFailureKey {
			continue // rebuilt from the failures that stay audited
		}
		if out.AuditAnnotations == nil {
			out.AuditAnnotations = map[string]string{}
		}
		policy, key, _ := strings.Cut(k, "/")
		out.AuditAnnotations[PolicyAnnotationKey(policy, key)] = val
	}
	if len(audited) > 0 {
		js, err := json.Marshal(audited)
		if err != nil {
			return fmt.Errorf("ValidatingAdmissionPolicies: audit annotation: %w", err)
		}
		if out.AuditAnnotations == nil {
			out.AuditAnnotations = map[string]string{}
		}
		out.AuditAnnotations[ValidationFailureAnnotation] = string(js)
	}
	return nil
}

// policyStatus is the API server's refusal for failure f: vd's own when f is the
// failure it is about, else worded as the API server words it.
func policyStatus(f *vap.Failure, first bool, vd *vap.Decision, req *admissionv1.AdmissionRequest) *metav1.Status {
	if first && vd.Message != "" {
		code := vd.Code
		if code == 0 {
			code = reasonToCode(vd.Reason)
		}
		return &metav1.Status{Status: metav1.StatusFailure, Message: vd.Message, Reason: vd.Reason, Code: code}
	}
	msg := fmt.Sprintf("ValidatingAdmissionPolicy '%s' with binding '%s' denied request: %s", f.Policy, f.Binding, f.Message)
	if f.Binding == "" {
		msg = fmt.Sprintf("ValidatingAdmissionPolicy '%s' denied request: %s", f.Policy, f.Message)
	}
	// The API server wraps it as admission.NewForbidden does: the part before the
	// policy's words of the first refusal, or built alike.
	if i := strings.Index(vd.Message, "ValidatingAdmissionPolicy '"); i > 0 {
		msg = vd.Message[:i] + msg
	} else {
		name := req.Name
		gr := schema.GroupResource{Group: req.Resource.Group, Resource: req.Resource.Resource}
		msg = apierrors.NewForbidden(gr, name, errors.New(msg)).ErrStatus.Message
	}
	reason := f.Reason
	if reason == "" {
		reason = metav1.StatusReasonInvalid
	}
	return &metav1.Status{Status: metav1.StatusFailure, Message: msg, Reason: reason, Code: reasonToCode(reason)}
}

// reasonToCode is the API server's HTTP code for a validation's reason.
func reasonToCode(r metav1.StatusReason) int32 {
	switch r {
	case metav1.StatusReasonForbidden:
		return http.StatusForbidden
	case metav1.StatusReasonUnauthorized:
		return http.StatusUnauthorized
	case metav1.StatusReasonRequestEntityTooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusUnprocessableEntity
}

// policyFinding is the finding of one failure.
func (e *Evaluator) policyFinding(f *vap.Failure, id string, ref finding.ObjectRef) finding.Finding {
	fd := finding.Finding{RuleID: id, Object: ref, Message: f.Message,
		Location: finding.Location{File: Origin, Provenance: finding.FromAdmission}}
	if r, ok := e.cfg.Catalog().Get(id); ok {
		fd.Title, fd.Severity, fd.Category, fd.Remediation = r.Title, r.Severity, r.Category, r.Remediation
	}
	if r := e.rules[id]; r != nil {
		fd.Severity = r.Severity // as configured
	}
	actions := make([]string, len(f.Actions))
	for i, a := range f.Actions {
		actions[i] = string(a)
	}
	fd.Policy = &finding.PolicyEvidence{Policy: f.Policy, Binding: f.Binding, Validation: f.Index, Param: f.Param,
		Actions: actions, Reason: string(f.Reason)}
	if f.Kind != vap.Validation {
		fd.Policy.Validation = -1
	}
	fd.ComputeFingerprint()
	return fd
}

// KnownPolicy reports whether name is one of the configuration generation's
// policies: a bounded set that metrics may use as label values.
func (e *Evaluator) KnownPolicy(name string) bool { return e.policyNames[name] }

// HasPolicies reports whether the evaluator applies ValidatingAdmissionPolicies.
func (e *Evaluator) HasPolicies() bool { return e.policies != nil }

// PolicyCount is the number of ValidatingAdmissionPolicies applied.
func (e *Evaluator) PolicyCount() int { return len(e.policyNames) }
