package vap

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/policy/generic"
	"k8s.io/apiserver/pkg/admission/plugin/policy/matching"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/endpoints/filters"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	listersv1 "k8s.io/client-go/listers/core/v1"
)

// excludedResources are the resources no policy sees: the admission configuration
// resources (generic plugin's admissionResources, excluded from API-defined
// policies) and the non-persisted review resources kube-apiserver excludes from
// every policy.
var excludedResources = map[schema.GroupResource]bool{
	{Group: "admissionregistration.k8s.io", Resource: "validatingadmissionpolicies"}:       true,
	{Group: "admissionregistration.k8s.io", Resource: "validatingadmissionpolicybindings"}: true,
	{Group: "admissionregistration.k8s.io", Resource: "mutatingadmissionpolicies"}:         true,
	{Group: "admissionregistration.k8s.io", Resource: "mutatingadmissionpolicybindings"}:   true,
	{Group: "authentication.k8s.io", Resource: "tokenreviews"}:                             true,
	{Group: "authentication.k8s.io", Resource: "selfsubjectreviews"}:                       true,
	{Group: "authorization.k8s.io", Resource: "subjectaccessreviews"}:                      true,
	{Group: "authorization.k8s.io", Resource: "selfsubjectaccessreviews"}:                  true,
	{Group: "authorization.k8s.io", Resource: "localsubjectaccessreviews"}:                 true,
	{Group: "authorization.k8s.io", Resource: "selfsubjectrulesreviews"}:                   true,
}

func excluded(gr schema.GroupResource) bool { return excludedResources[gr] }

// Evaluate decides a request as the API server's ValidatingAdmissionPolicy plugin
// would: matching, matchConditions, params, variables, validations, audit
// annotations, failure policy and validation actions, with the API server's cost
// budget. ctx bounds it.
//
// The verdict, warnings and audit annotations are those of the API server's own
// dispatcher (validating.NewDispatcher(...).Dispatch), run on the compiled hooks;
// Failures are recorded from the same run (every failed check, not only the first).
// An error is returned for a request that cannot be evaluated (no object, an object
// that does not decode into its kind, a Namespace lookup that fails other than
// NotFound, ctx done), never a verdict.
func (s *Set) Evaluate(ctx context.Context, req Request, env Env) (d Decision, err error) {
	defer func() {
		// The libraries recover their own panics; this is the last guard: hostile
		// input is an error of this request, never a crash of the scan or webhook.
		if r := recover(); r != nil {
			d, err = Decision{}, fmt.Errorf("vap: evaluating %s %s/%s: panic: %v", req.Kind.Kind, req.Namespace, req.Name, r)
		}
	}()
	if err := ctx.Err(); err != nil {
		return Decision{}, err
	}
	if excluded(req.Resource.GroupResource()) || len(s.hooks) == 0 {
		return Decision{Allowed: true}, nil
	}
	obj, err := s.typed(req.Object, req.Kind)
	if err != nil {
		return Decision{}, fmt.Errorf("object: %w", err)
	}
	old, err := s.typed(req.OldObject, req.Kind)
	if err != nil {
		return Decision{}, fmt.Errorf("oldObject: %w", err)
	}
	if obj == nil && (req.Operation == admission.Create || req.Operation == admission.Update) {
		return Decision{}, fmt.Errorf("%s request without object", req.Operation)
	}
	opts, err := typedOptions(req.Options)
	if err != nil {
		return Decision{}, fmt.Errorf("options: %w", err)
	}
	u := req.User
	if u == nil {
		u = &user.DefaultInfo{}
	}
	rec := &recorder{set: s}
	attrs := &recordingAttributes{
		Attributes: admission.NewAttributesRecord(obj, old, req.Kind, req.Namespace, req.Name, req.Resource, req.SubResource, req.Operation, opts, req.DryRun, u),
		rec:        rec,
	}
	nsLister := &namespaceLister{get: env.Namespace, rec: rec}
	pm := &recordingMatcher{PolicyMatcher: generic.NewPolicyMatcher(matching.NewMatcher(nsLister, namespaceClient{l: nsLister})), rec: rec}
	var authz authorizer.UnconditionalAuthorizer = noAuthorizer{}
	if env.Authorizer != nil {
		authz = env.Authorizer
	}
	hooks := make([]validating.PolicyHook, len(s.hooks))
	for i := range s.hooks {
		h := &s.hooks[i]
		hooks[i] = validating.PolicyHook{
			Policy:             h.policy,
			Bindings:           h.bindings,
			ParamInformer:      h.paramInformer,
			ParamScope:         h.paramScope,
			Evaluator:          &recordingValidator{Validator: h.validator, rec: rec},
			ConfigurationError: h.configErr,
		}
	}
	dispatcher := validating.NewDispatcher(authz, pm)

	// The API server's deduplicating, truncating warning recorder (its HTTP
	// filter), on a response writer that keeps only headers.
	var dispatchErr error
	w := headerWriter{}
	filters.WithWarningRecorder(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		dispatchErr = dispatcher.Dispatch(r.Context(), attrs, s.objects, hooks)
	})).ServeHTTP(w, (&http.Request{Header: http.Header{}}).WithContext(ctx))
	if err := ctx.Err(); err != nil {
		return Decision{}, err
	}
	d = Decision{Allowed: true, Failures: rec.failures, Matched: rec.matched, AuditAnnotations: attrs.annotations}
	for _, h := range w.Header().Values("Warning") {
		ws, errs := utilnet.ParseWarningHeaders([]string{h})
		if len(errs) > 0 {
			continue
		}
		for _, x := range ws {
			d.Warnings = append(d.Warnings, x.Text)
		}
	}
	if dispatchErr != nil {
		var status *apierrors.StatusError
		if rec.nsErr != nil && errors.Is(dispatchErr, rec.nsErr) || !errors.As(dispatchErr, &status) {
			return Decision{}, fmt.Errorf("namespace %q: %w", req.Namespace, dispatchErr)
		}
		d.Allowed = false
		d.Message = status.ErrStatus.Message
		d.Reason = status.ErrStatus.Reason
		d.Code = status.ErrStatus.Code
	}
	return d, nil
}

// typed returns the object as the API server's admission sees it: a built-in kind
// as its typed external version (unknown fields dropped), a custom resource as
// unstructured.
func (s *Set) typed(u *unstructured.Unstructured, gvk schema.GroupVersionKind) (runtime.Object, error) {
	if u == nil {
		return nil, nil
	}
	ogvk := u.GroupVersionKind()
	if ogvk.Empty() {
		ogvk = gvk
	}
	if s.res.isCustom(ogvk.GroupKind()) || !clientgoscheme.Scheme.Recognizes(ogvk) {
		c := u.DeepCopy()
		c.SetGroupVersionKind(ogvk)
		return c, nil
	}
	t, err := clientgoscheme.Scheme.New(ogvk)
	if err != nil {
		return nil, err
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, t); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", ogvk.Kind, err)
	}
	t.GetObjectKind().SetGroupVersionKind(ogvk)
	return t, nil
}

// typedOptions returns the operation's options as the API server passes them
// (metav1.CreateOptions, UpdateOptions, DeleteOptions, PatchOptions).
func typedOptions(u *unstructured.Unstructured) (runtime.Object, error) {
	if u == nil {
		return nil, nil
	}
	var t runtime.Object
	switch u.GetKind() {
	case "CreateOptions":
		t = &metav1.CreateOptions{}
	case "UpdateOptions":
		t = &metav1.UpdateOptions{}
	case "DeleteOptions":
		t = &metav1.DeleteOptions{}
	case "PatchOptions":
		t = &metav1.PatchOptions{}
	default:
		return u.DeepCopy(), nil
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, t); err != nil {
		return nil, err
	}
	return t, nil
}

// recorder collects, from one Dispatch, what the dispatcher does not return:
// every failure, in order, and the number of matched (policy, binding) pairs.
type recorder struct {
	set      *Set
	hook     *hook
	binding  *admissionregistrationv1.ValidatingAdmissionPolicyBinding
	params   []string                // names of the params CollectParams returned, in order
	kind     schema.GroupVersionKind // the kind the current policy matched
	failures []Failure
	matched  int
	nsErr    error
}

func (r *recorder) hookFor(name string) *hook {
	for i := range r.set.hooks {
		if r.set.hooks[i].policy.Name == name {
			return &r.set.hooks[i]
		}
	}
	return nil
}

// configFailure records a configuration error as the dispatcher's addConfigError
// handles it: a denial under failurePolicy Fail, nothing under Ignore.
func (r *recorder) configFailure(h *hook, b *admissionregistrationv1.ValidatingAdmissionPolicyBinding, err error) {
	if h == nil || h.policy.Spec.FailurePolicy != nil && *h.policy.Spec.FailurePolicy == admissionregistrationv1.Ignore {
		return
	}
	f := Failure{Policy: h.policy.Name, Index: -1, Kind: Configuration,
		Actions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}, Reason: metav1.StatusReasonInvalid}
	if b == nil {
		f.Message = fmt.Errorf("failed to configure policy: %w", err).Error()
	} else {
		f.Binding = b.Name
		f.Message = fmt.Errorf("failed to configure binding: %w", err).Error()
	}
	r.failures = append(r.failures, f)
}

// recordingMatcher is the API server's policy matcher, watched: it tells the
// recorder which policy and binding the dispatcher is at, and records the
// configuration errors the dispatcher turns into denials.
type recordingMatcher struct {
	generic.PolicyMatcher
	rec *recorder
}

func (m *recordingMatcher) DefinitionMatches(a admission.Attributes, o admission.ObjectInterfaces, def generic.PolicyAccessor) (bool, schema.GroupVersionResource, schema.GroupVersionKind, error) {
	ok, gvr, gvk, err := m.PolicyMatcher.DefinitionMatches(a, o, def)
	h := m.rec.hookFor(def.GetName())
	m.rec.hook, m.rec.binding, m.rec.kind = h, nil, gvk
	switch {
	case err != nil:
		m.rec.configFailure(h, nil, err)
	case ok && h != nil && h.configErr != nil:
		m.rec.configFailure(h, nil, h.configErr)
	}
	return ok, gvr, gvk, err
}

func (m *recordingMatcher) BindingMatches(a admission.Attributes, o admission.ObjectInterfaces, b generic.BindingAccessor) (bool, error) {
	ok, err := m.PolicyMatcher.BindingMatches(a, o, b)
	h := m.rec.hook
	m.rec.binding, m.rec.params = nil, nil
	if h == nil {
		return ok, err
	}
	for _, bd := range h.bindings {
		if bd.Name == b.GetName() {
			m.rec.binding = bd
		}
	}
	if err != nil {
		m.rec.configFailure(h, m.rec.binding, err)
		return ok, err
	}
	if !ok || m.rec.binding == nil {
		return ok, err
	}
	m.rec.matched++
	// The dispatcher collects the params next; collect the same ones (the lists
	// are ordered) to name them and to record a failure to collect them.
	params, perr := generic.CollectParams(h.policy.Spec.ParamKind, h.paramInformer, h.paramScope, m.rec.binding.Spec.ParamRef, a.GetNamespace(), nil, nil)
	if perr != nil {
		m.rec.configFailure(h, m.rec.binding, perr)
		return ok, err
	}
	if len(params) > 0 && m.rec.kind != a.GetKind() {
		// The dispatcher converts the object to the matched kind next.
		if _, cerr := admission.NewVersionedAttributes(a, m.rec.kind, o); cerr != nil {
			m.rec.configFailure(h, m.rec.binding, fmt.Errorf("failed to convert object version: %w", cerr))
			return ok, err
		}
	}
	for _, p := range params {
		name := ""
		if p != nil {
			if acc, aerr := meta.Accessor(p); aerr == nil {
				name = acc.GetName()
				if ns := acc.GetNamespace(); ns != "" {
					name = ns + "/" + name
				}
			}
		}
		m.rec.params = append(m.rec.params, name)
	}
	return ok, err
}

// recordingValidator is a policy's compiled validator, watched: each result is
// recorded as failures of the current binding and param.
type recordingValidator struct {
	validating.Validator
	rec *recorder
}

func (v *recordingValidator) Validate(ctx context.Context, matchedResource schema.GroupVersionResource, versionedAttr *admission.VersionedAttributes, versionedParams runtime.Object, namespace *corev1.Namespace, runtimeCELCostBudget int64, authz authorizer.UnconditionalAuthorizer) validating.ValidateResult {
	res := v.Validator.Validate(ctx, matchedResource, versionedAttr, versionedParams, namespace, runtimeCELCostBudget, authz)
	r := v.rec
	param := ""
	if len(r.params) > 0 {
		param, r.params = r.params[0], r.params[1:]
	}
	if r.hook == nil || r.binding == nil {
		return res
	}
	perValidation := len(res.Decisions) == len(r.hook.policy.Spec.Validations)
	for i, d := range res.Decisions {
		if d.Action != validating.ActionDeny {
			continue
		}
		f := Failure{Policy: r.hook.policy.Name, Binding: r.binding.Name, Index: i, Param: param, Kind: Validation,
			Actions: r.binding.Spec.ValidationActions, Message: d.Message, Reason: d.Reason}
		if !perValidation {
			f.Index = -1
		}
		if d.Evaluation == validating.EvalError && (!perValidation || strings.HasPrefix(d.Message, "compilation error: ")) {
			f.Kind = Configuration
		}
		if f.Reason == "" {
			f.Reason = metav1.StatusReasonInvalid
		}
		r.failures = append(r.failures, f)
	}
	for i, a := range res.AuditAnnotations {
		if a.Action != validating.AuditAnnotationActionError {
			continue
		}
		r.failures = append(r.failures, Failure{Policy: r.hook.policy.Name, Binding: r.binding.Name, Index: i, Param: param,
			Kind: AuditAnnotation, Actions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
			Message: a.Error, Reason: metav1.StatusReasonInvalid})
	}
	return res
}

// recordingAttributes are the request's admission attributes, keeping the audit
// annotations the dispatcher adds (after the record accepted them).
type recordingAttributes struct {
	admission.Attributes
	rec         *recorder
	annotations map[string]string
}

func (a *recordingAttributes) AddAnnotation(key, value string) error {
	if err := a.Attributes.AddAnnotation(key, value); err != nil {
		return err
	}
	if a.annotations == nil {
		a.annotations = map[string]string{}
	}
	a.annotations[key] = value
	return nil
}

// namespaceLister answers the matcher's and dispatcher's Namespace lookups from
// Env.Namespace.
type namespaceLister struct {
	get func(string) (*corev1.Namespace, error)
	rec *recorder
}

func (l *namespaceLister) Get(name string) (*corev1.Namespace, error) {
	var ns *corev1.Namespace
	var err error
	if l.get == nil {
		err = apierrors.NewNotFound(corev1.Resource("namespaces"), name)
	} else {
		ns, err = l.get(name)
	}
	if err == nil && ns == nil {
		err = apierrors.NewNotFound(corev1.Resource("namespaces"), name)
	}
	if err != nil {
		l.rec.nsErr = err
		return nil, err
	}
	return ns, nil
}

func (l *namespaceLister) List(labels.Selector) ([]*corev1.Namespace, error) {
	return nil, errors.New("vap: namespaces are not listed")
}

var _ listersv1.NamespaceLister = (*namespaceLister)(nil)

// namespaceClient is the client the namespace matcher falls back to when its
// lister misses (the API server reads storage then): the same answers. Only
// CoreV1().Namespaces().Get is ever called; the embedded nil interfaces would
// panic on anything else.
type namespaceClient struct {
	kubernetes.Interface
	l *namespaceLister
}

type namespaceCoreV1 struct {
	typedcorev1.CoreV1Interface
	l *namespaceLister
}

type namespaceGetter struct {
	typedcorev1.NamespaceInterface
	l *namespaceLister
}

func (c namespaceClient) CoreV1() typedcorev1.CoreV1Interface { return namespaceCoreV1{l: c.l} }
func (c namespaceCoreV1) Namespaces() typedcorev1.NamespaceInterface {
	return namespaceGetter{l: c.l}
}
func (g namespaceGetter) Get(_ context.Context, name string, _ metav1.GetOptions) (*corev1.Namespace, error) {
	return g.l.Get(name)
}

// noAuthorizer answers the CEL authorizer library when no authorizer is given:
// an error, never an allow.
type noAuthorizer struct{}

func (noAuthorizer) Authorize(context.Context, authorizer.Attributes) (authorizer.Decision, string, error) {
	return authorizer.DecisionNoOpinion, "", errors.New("no authorizer is configured (give Palisade the RBAC objects or a cluster to answer authorizer checks)")
}

// headerWriter is an http.ResponseWriter that keeps only headers.
type headerWriter http.Header

func (w headerWriter) Header() http.Header         { return http.Header(w) }
func (w headerWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w headerWriter) WriteHeader(int)             {}
