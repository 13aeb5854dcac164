package admission

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/kubernetes/scheme"

	_ "github.com/palisade-k8s/palisade/internal/checks/all"
	"github.com/palisade-k8s/palisade/internal/checks/identity"
	"github.com/palisade-k8s/palisade/internal/checks/images"
	"github.com/palisade-k8s/palisade/internal/checks/namespaces"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/engine"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/pss"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/signature"
	"github.com/palisade-k8s/palisade/internal/suppress"
	"github.com/palisade-k8s/palisade/internal/vap"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// Origin is the File of the location of every object a review evaluates.
const Origin = "admission"

// Cluster is what a review reads from the cluster. The webhook server implements it
// with informer caches (and a direct read when the cache misses).
type Cluster interface {
	// NamespaceLabels returns a namespace's labels; ok is false when the namespace
	// does not exist.
	NamespaceLabels(ctx context.Context, name string) (labels map[string]string, ok bool, err error)
	// Pod returns a pod; a pod that does not exist is an error apierrors.IsNotFound
	// recognises.
	Pod(ctx context.Context, namespace, name string) (*corev1.Pod, error)
}

// admissionIndexes are the inventory indexes a review can fill: the namespace's Pod
// Security labels, and the roles equivalent to cluster-admin (none, from one object:
// PAL-307 then goes by the role's name). A rule that targets rules.Admission needs
// no other index. The images' signature verdicts (PAL-115, PAL-116) are set on the
// review's inventory before the rules run (nil: nothing verified).
var admissionIndexes = map[inventory.AnyIndex]bool{namespaces.IndexNamespacePodSecurity: true, identity.IndexAdminRoles: true, images.IndexImageTrust: true}

// Evaluator reviews requests under one configuration. It is safe for concurrent use.
type Evaluator struct {
	cfg    *config.Config
	finder *workload.Finder
	decode func(apiVersion, kind string) bool
	// engine is the plan of every review; each review is a run of it.
	engine *engine.Plan
	// images is the plan of image reviews.
	images       *engine.Plan
	imagesDecode func(apiVersion, kind string) bool
	rules        map[string]*rules.Rule
	actions      map[string]config.Action
	exemptions   []exemption
	controllers  []string
	enforceOwned bool
	limits       Limits
	// signatures verifies the images of pod templates (nil: none are).
	signatures ImageVerifier
	// known are the kinds the rules read or an endpoint reviews.
	known map[string]bool
	// suppress applies the configuration's exemptions to findings made outside the
	// engine (the policies').
	suppress *suppress.Suppressor
	// policies are the ValidatingAdmissionPolicies applied (nil: none), with their
	// names and the authorizer of their CEL authorizer library (nil: its checks fail).
	policies    policyEvaluator
	policyNames map[string]bool
	authorizer  authorizer.Authorizer
}

// New prepares an Evaluator for a configuration (nil for the defaults), with the
// default limits.
func New(cfg *config.Config) (*Evaluator, error) { return NewWithLimits(cfg, DefaultLimits) }

// NewWithLimits prepares an Evaluator for a configuration (nil for the defaults)
// whose reviews stay within limits (unset ones take their default).
func NewWithLimits(cfg *config.Config, limits Limits) (*Evaluator, error) {
	return NewWithOptions(cfg, Options{Limits: limits})
}

// Options are what an Evaluator needs besides its configuration.
type Options struct {
	// Limits bound each review (unset ones take their default).
	Limits Limits
	// Signatures verifies the images of the pod templates and image reviews
	// (nil: none are, and PAL-115 and PAL-116 report nothing). It is used only when
	// one of those rules runs.
	Signatures ImageVerifier
	// Policies are the ValidatingAdmissionPolicies of the configuration generation,
	// compiled once (nil or empty: none are applied; policies.go), and PolicyNames
	// their names.
	Policies    *vap.Set
	PolicyNames []string
	// Authorizer answers the policies' CEL authorizer library (nil: every check is
	// an error, never an allow).
	Authorizer authorizer.Authorizer
}

// NewWithOptions prepares an Evaluator for a configuration (nil for the defaults).
func NewWithOptions(cfg *config.Config, o Options) (*Evaluator, error) {
	limits := o.Limits
	if cfg == nil {
		cfg = &config.Config{}
	}
	ev, err := pss.New(cfg.PSSVersion)
	if err != nil {
		return nil, err
	}
	enabled, err := config.EnabledRules(cfg, nil, nil)
	if err != nil {
		return nil, err
	}
	e := &Evaluator{
		cfg: cfg, finder: workload.NewFinder(cfg.PodTemplatePaths),
		rules: map[string]*rules.Rule{}, actions: map[string]config.Action{},
		enforceOwned: cfg.Webhook.ControllerOwned == "enforce",
		controllers:  cfg.Webhook.ControllerUsers,
		limits:       limits.orDefault(),
		signatures:   o.Signatures,
		known: map[string]bool{
			"Namespace": true, "ImageReview": true, "PodExecOptions": true, "PodAttachOptions": true,
		},
	}
	for _, tp := range append(append([]workload.TemplatePath{}, workload.BuiltinTemplatePaths...), cfg.PodTemplatePaths...) {
		e.known[tp.Kind] = true
	}
	if e.controllers == nil {
		e.controllers = config.DefaultControllerUsers
	}
	var here, images []*rules.Rule
	for _, r := range enabled {
		if !atAdmission(r) {
			continue
		}
		for _, n := range r.Needs {
			if !admissionIndexes[n] {
				return nil, fmt.Errorf("rule %s targets admission but needs the index %s, which a review cannot fill", r.ID, n.Name())
			}
		}
		a, err := actionFor(cfg.Webhook.Actions, r)
		if err != nil {
			return nil, err
		}
		e.actions[r.ID] = a
		if a == config.Ignore {
			continue
		}
		e.rules[r.ID] = r
		here = append(here, r)
		for _, k := range r.Kinds {
			if k != rules.AnyKind {
				e.known[k] = true
			}
		}
		if r.RunsIn(rules.ImageReview) {
			images = append(images, r)
		}
	}
	params := map[string]map[string]any{}
	for id, rc := range cfg.Rules {
		if len(rc.Params) > 0 {
			params[id] = rc.Params
		}
	}
	sup := &suppress.Suppressor{Exemptions: cfg.Exemptions, NoAnnotations: true}
	e.suppress = sup
	if o.Policies != nil && !o.Policies.Empty() {
		e.policies, e.authorizer = o.Policies, o.Authorizer
		e.policyNames = make(map[string]bool, len(o.PolicyNames))
		for _, n := range o.PolicyNames {
			e.policyNames[n] = true
		}
	}
	opts := engine.Options{Rules: here, Params: params, PSS: ev, Finder: e.finder, Suppress: sup.Apply, Workers: 1,
		MaxFindings: e.limits.MaxFindings}
	e.engine = engine.Compile(opts)
	e.decode = e.engine.Decode
	opts.Rules = images
	e.images = engine.Compile(opts)
	e.imagesDecode = e.images.Decode
	e.exemptions = compileExemptions(&cfg.Webhook)
	return e, nil
}

// Config is the configuration the Evaluator was built from.
func (e *Evaluator) Config() *config.Config { return e.cfg }

// Limits are the limits of the Evaluator's reviews.
func (e *Evaluator) Limits() Limits { return e.limits }

// Known reports whether kind is one the rules read, one that runs pods, or one an
// endpoint reviews (Namespace, ImageReview, PodExecOptions, PodAttachOptions): a
// bounded set, fixed by the configuration, that metrics may use as label values.
func (e *Evaluator) Known(kind string) bool { return e.known[kind] }

// Rules returns the IDs of the rules that run at admission, in order.
func (e *Evaluator) Rules() []string {
	ids := make([]string, 0, len(e.rules))
	for id := range e.rules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Action returns the action of a rule's findings ("" if the rule does not run).
func (e *Evaluator) Action(ruleID string) config.Action { return e.actions[ruleID] }

// atAdmission reports whether a rule judges one object with its namespace: it
// targets rules.Admission.
func atAdmission(r *rules.Rule) bool { return r.RunsIn(rules.Admission) }

// ruleDefaults are the actions of rules whose default is not their severity's:
// an image whose signatures could not be checked (the registry failed, the
// verification's deadline passed) is denied unless webhook.actions.rules says
// otherwise ("audit": admit it and audit), since admitting it would let whoever
// can disturb the registry past the signature policy.
var ruleDefaults = map[string]config.Action{"PAL-116": config.Deny}

// actionFor resolves a rule's action: an exact rule entry, else the first matching
// glob (in sorted order), else the rule's own default (ruleDefaults), else the
// severity's action, else the default.
func actionFor(a config.Actions, r *rules.Rule) (config.Action, error) {
	if v, ok := a.Rules[r.ID]; ok {
		return config.ParseAction(v)
	}
	globs := make([]string, 0, len(a.Rules))
	for k := range a.Rules {
		globs = append(globs, k)
	}
	sort.Strings(globs)
	for _, g := range globs {
		if ok, _ := path.Match(strings.ToUpper(g), r.ID); ok {
			return config.ParseAction(a.Rules[g])
		}
	}
	if act, ok := ruleDefaults[r.ID]; ok {
		return act, nil
	}
	for k, v := range a.Severity {
		if s, err := finding.ParseSeverity(k); err == nil && s == r.Severity {
			return config.ParseAction(v)
		}
	}
	return config.DefaultSeverityActions[r.Severity], nil
}

// Review decides an AdmissionReview request of /validate: CREATE and UPDATE of
// objects are evaluated; other operations, and requests for subresources, admitted.
// An object that is not what the API server sends for the request's kind fails the
// review (ErrInvalid), as does one past the evaluator's limits (a LimitError); when
// ctx ends, the evaluation stops and the review fails with ctx's error.
func (e *Evaluator) Review(ctx context.Context, req *admissionv1.AdmissionRequest, c Cluster) *Decision {
	d := newDecision(req)
	// Subresources (status, scale, binding) change no template a rule reads; exec,
	// attach and ephemeral containers go to ReviewExec.
	if (req.Operation != admissionv1.Create && req.Operation != admissionv1.Update) || req.SubResource != "" {
		if e.policies != nil {
			return e.reviewPolicies(ctx, req, c, d)
		}
		d.Allowed = true
		return d
	}
	obj, err := e.requestObject(&req.Object, req)
	if err != nil {
		return d.fail(err)
	}
	d.Object = obj.Ref
	ns := namespaceOf(req, obj)
	var nsLabels map[string]string
	nsKnown := false
	if ns != "" && c != nil {
		nsLabels, nsKnown, err = c.NamespaceLabels(ctx, ns)
		if err != nil {
			return d.fail(fmt.Errorf("namespace %s: %w", ns, err))
		}
	}
	now := time.Now()
	scope := requestScope{req: req, ns: ns, nsLabels: nsLabels, kind: obj.Ref.Kind, name: obj.Ref.Name, labels: obj.Labels}
	if ex := e.exemptAll(scope, now); ex != nil {
		d.Allowed, d.Exempt = true, ex.describe()
		return d
	}
	trust := e.imageTrust(ctx, obj, nil)
	d.Images = imageVerdicts(trust)
	fs, omitted, err := e.evaluate(ctx, e.engine, e.decode, obj, ns, nsLabels, nsKnown, trust)
	if err != nil {
		return d.fail(err)
	}
	var before map[string]bool
	if req.Operation == admissionv1.Update && (len(req.OldObject.Raw) > 0 || req.OldObject.Object != nil) && hasDeny(e, fs, omitted) {
		// An old object that does not decode, or past the limits, earns no ratchet.
		if old, err := e.requestObject(&req.OldObject, req); err == nil {
			ofs, _, err := e.evaluate(ctx, e.engine, e.decode, old, ns, nsLabels, nsKnown, e.imageTrust(ctx, old, trust))
			if err == nil {
				before = map[string]bool{}
				for _, f := range ofs {
					before[f.Fingerprint] = true
				}
			} else if ctx.Err() != nil {
				return d.fail(err)
			}
		}
	}
	owner := ""
	if !e.enforceOwned {
		owner = e.trustedOwner(req, obj)
	}
	verdict := func(f finding.Finding, count int) Verdict {
		v := Verdict{Finding: f, Action: e.actions[f.RuleID], Count: count}
		var ex *exemption
		if f.Suppressed == nil {
			ex = e.exemptRule(scope, f.RuleID, now)
		}
		switch {
		case f.Suppressed != nil:
			v.Action, v.Note = config.Ignore, "exempt by configuration: "+f.Suppressed.Reason
		case ex != nil:
			v.Action, v.Note = config.Ignore, "exempt: "+ex.describe()
		case owner != "" && (v.Action == config.Deny || v.Action == config.Warn):
			v.Action, v.Note = config.Audit, "created by a controller from the template of "+owner+", which was reviewed"
		case count == 1 && before[f.Fingerprint] && v.Action == config.Deny:
			v.Action, v.Note = config.Warn, "already present before this update"
		}
		return v
	}
	for _, f := range fs {
		d.Verdicts = append(d.Verdicts, verdict(f, 1))
	}
	// Findings past MaxFindings decide like the first of their rule, without the
	// update ratchet, which needs each one.
	for _, o := range omitted {
		d.Verdicts = append(d.Verdicts, verdict(o.Finding, o.Count))
	}
	if err := e.applyPolicies(ctx, d, req, scope, c, now); err != nil {
		return d.fail(err)
	}
	d.settle(e.limits.MaxListed)
	return d
}

// reviewPolicies decides a request that only the ValidatingAdmissionPolicies judge:
// an operation other than CREATE and UPDATE, or a subresource. Webhook exemptions
// apply, matched with the object's labels (the old object's for a DELETE).
func (e *Evaluator) reviewPolicies(ctx context.Context, req *admissionv1.AdmissionRequest, c Cluster, d *Decision) *Decision {
	var labels map[string]string
	for _, ext := range []*runtime.RawExtension{&req.Object, &req.OldObject} {
		if u, err := e.policyObject(ext, "object"); err != nil {
			return d.fail(err)
		} else if u != nil {
			labels = u.GetLabels()
			break
		}
	}
	var nsLabels map[string]string
	if req.Namespace != "" && c != nil {
		l, _, err := c.NamespaceLabels(ctx, req.Namespace)
		if err != nil {
			return d.fail(fmt.Errorf("namespace %s: %w", req.Namespace, err))
		}
		nsLabels = l
	}
	now := time.Now()
	scope := requestScope{req: req, ns: req.Namespace, nsLabels: nsLabels, kind: req.Kind.Kind, name: req.Name, labels: labels}
	if ex := e.exemptAll(scope, now); ex != nil {
		d.Allowed, d.Exempt = true, ex.describe()
		return d
	}
	if err := e.applyPolicies(ctx, d, req, scope, c, now); err != nil {
		return d.fail(err)
	}
	d.settle(e.limits.MaxListed)
	return d
}

func hasDeny(e *Evaluator, fs []finding.Finding, omitted []engine.Omitted) bool {
	for _, f := range fs {
		if e.actions[f.RuleID] == config.Deny {
			return true
		}
	}
	for _, o := range omitted {
		if e.actions[o.RuleID] == config.Deny {
			return true
		}
	}
	return false
}

// trustedOwner names the controller owner of obj when its template is one the
// webhook reviews and the request comes from a controller identity; "" otherwise.
func (e *Evaluator) trustedOwner(req *admissionv1.AdmissionRequest, obj *inventory.Object) string {
	if !globAny(e.controllers, req.UserInfo.Username) {
		return ""
	}
	md, _ := obj.Body["metadata"].(map[string]any)
	refs, _ := md["ownerReferences"].([]any)
	for _, r := range refs {
		m, _ := r.(map[string]any)
		if c, _ := m["controller"].(bool); !c {
			continue
		}
		apiVersion, _ := m["apiVersion"].(string)
		kind, _ := m["kind"].(string)
		name, _ := m["name"].(string)
		if _, ok := e.finder.Lookup(apiVersion, kind); ok {
			return kind + "/" + name
		}
	}
	return ""
}

// evaluate runs the rules of eng on obj, with its namespace when known and the
// signature verdicts of its images, and returns the findings on obj, kept and
// omitted. The evaluation stops when ctx ends.
func (e *Evaluator) evaluate(ctx context.Context, eng *engine.Plan, decode func(string, string) bool, obj *inventory.Object, ns string, nsLabels map[string]string, nsKnown bool, trust map[string]*signature.Result) ([]finding.Finding, []engine.Omitted, error) {
	inv := &inventory.Inventory{Objects: make([]*inventory.Object, 0, 2), ImageTrust: trust}
	if nsKnown {
		inv.Objects = append(inv.Objects, &inventory.Object{
			Ref:    finding.ObjectRef{APIVersion: "v1", Kind: "Namespace", Name: ns},
			Labels: nsLabels, Origin: finding.Location{File: Origin, Provenance: finding.FromAdmission},
		})
	}
	inv.Objects = append(inv.Objects, obj)
	if !decode(obj.Ref.APIVersion, obj.Ref.Kind) {
		obj.Body = nil
	}
	run := eng.NewRun(ctx)
	run.Visit(obj)
	res := run.Finish(inv)
	if res.Stopped != nil {
		return nil, nil, fmt.Errorf("evaluation of %s stopped: %w", obj.Ref, res.Stopped)
	}
	if len(res.Errors) > 0 || len(res.Internal) > 0 {
		// A rule that could not check the object, or that failed on it, leaves the
		// review undecided: an error, which failurePolicy settles, never an allow.
		var msgs []string
		invalid := false
		for _, ie := range res.Errors {
			msgs = append(msgs, ie.Message)
			// The engine decodes the pod template, which checkObject leaves to it.
			invalid = invalid || strings.HasPrefix(ie.Message, obj.Ref.String()+": pod template: ")
		}
		for _, ie := range res.Internal {
			msgs = append(msgs, "internal error: "+ie.Error())
		}
		if invalid {
			return nil, nil, fmt.Errorf("%w: %s", ErrInvalid, strings.Join(msgs, "; "))
		}
		return nil, nil, errors.New(strings.Join(msgs, "; "))
	}
	out := res.Findings[:0]
	for _, f := range res.Findings {
		if f.Object == obj.Ref {
			out = append(out, f)
		}
	}
	var omitted []engine.Omitted
	for _, o := range res.Omitted {
		if o.Object == obj.Ref {
			omitted = append(omitted, o)
		}
	}
	return out, omitted, nil
}

// objectBody returns the generic body of an object of a request: decoded already by
// DecodeReview, or decoded here from its raw JSON. Numbers decode as int64 where
// they are integers, as the API server's own decoder does.
func objectBody(ext *runtime.RawExtension) (map[string]any, error) {
	if u, ok := ext.Object.(*unstructured.Unstructured); ok && u.Object != nil {
		return u.Object, nil
	}
	if len(ext.Raw) == 0 {
		return nil, errors.New("request has no object")
	}
	var body map[string]any
	if err := utiljson.Unmarshal(ext.Raw, &body); err != nil {
		return nil, err
	}
	if body == nil {
		return nil, errors.New("object is not a JSON object")
	}
	return body, nil
}

// requestObject turns an object of a request into an inventory object, once
// checkObject accepts it. Rules never modify bodies, so the body is shared with the
// request.
func (e *Evaluator) requestObject(ext *runtime.RawExtension, req *admissionv1.AdmissionRequest) (*inventory.Object, error) {
	if len(ext.Raw) > 0 {
		if err := e.limits.check(ext.Raw, "object"); err != nil {
			return nil, err
		}
	}
	body, err := objectBody(ext)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	md, _ := body["metadata"].(map[string]any)
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	o := &inventory.Object{
		Ref: finding.ObjectRef{
			APIVersion: str(body, "apiVersion"), Kind: str(body, "kind"),
			Namespace: str(md, "namespace"), Name: str(md, "name"),
		},
		Labels: stringMap(md["labels"]), Annotations: stringMap(md["annotations"]),
		Origin: finding.Location{File: Origin, Provenance: finding.FromAdmission},
		Body:   body,
	}
	if o.Ref.Namespace == "" {
		o.Ref.Namespace = req.Namespace
	}
	if o.Ref.Name == "" {
		o.Ref.Name = req.Name
	}
	if o.Ref.Name == "" {
		if g := str(md, "generateName"); g != "" {
			o.Ref.Name = g + "*"
		}
	}
	if err := e.checkObject(o, req); err != nil {
		return nil, err
	}
	return o, nil
}

// checkObject accepts only the objects the API server sends: of the request's
// group, version and kind; for the kinds the rules read, decoding strictly into
// their typed object (a field of the wrong type is an error, where the rules'
// generic reads would skip it); with a pod template where the kind keeps it, of at
// most MaxContainers containers. Fields unknown to this version's types are
// allowed, as a newer API server sends them. The pod template itself is decoded
// once, by the engine, which fails the review (ErrInvalid) when it does not decode.
func (e *Evaluator) checkObject(o *inventory.Object, req *admissionv1.AdmissionRequest) error {
	want := apiVersion(req.Kind.Group, req.Kind.Version)
	if o.Ref.APIVersion != want || o.Ref.Kind != req.Kind.Kind {
		return fmt.Errorf("%w: the object is %.100q %.100q, the request is for %.100q %.100q", ErrInvalid,
			o.Ref.APIVersion, o.Ref.Kind, want, req.Kind.Kind)
	}
	body := o.Body
	if tp, ok := e.finder.Lookup(o.Ref.APIVersion, o.Ref.Kind); ok {
		if err := e.checkTemplate(o, tp); err != nil {
			return err
		}
		body = without(body, strings.Split(tp.Path, "."))
		_, spec := o.Body["spec"].(map[string]any)
		_, meta := o.Body["metadata"].(map[string]any)
		if tp.PodSpec && spec && meta {
			// The engine decodes a Pod's metadata with its spec.
			body = without(body, []string{"metadata"})
		}
	}
	if !e.decode(o.Ref.APIVersion, o.Ref.Kind) {
		return nil
	}
	gvk := schema.GroupVersionKind{Group: req.Kind.Group, Version: req.Kind.Version, Kind: req.Kind.Kind}
	typed, err := scheme.Scheme.New(gvk)
	if err != nil {
		// Not a built-in kind (a CRD that runs pods): its template is decoded, and
		// checked, with the workload.
		return nil
	}
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		// One top-level field at a time, to name the field that does not decode.
		if err := fromUnstructured(map[string]any{k: body[k]}, typed); err != nil {
			return fmt.Errorf("%w: %s: %.100q: %v", ErrInvalid, o.Ref, k, err)
		}
	}
	return nil
}

// without returns body without the field at path, copying only the objects on the
// path (checkTemplate found them to be objects).
func without(body map[string]any, path []string) map[string]any {
	v, ok := body[path[0]]
	if !ok {
		return body
	}
	out := make(map[string]any, len(body))
	for k, v := range body {
		out[k] = v
	}
	if len(path) == 1 {
		delete(out, path[0])
	} else if m, ok := v.(map[string]any); ok {
		out[path[0]] = without(m, path[1:])
	}
	return out
}

// checkTemplate checks that the path to the pod template holds objects, and counts
// its containers.
func (e *Evaluator) checkTemplate(o *inventory.Object, tp workload.TemplatePath) error {
	at := strings.Split(tp.Path, ".")
	if !tp.PodSpec {
		at = append(at, "spec")
	}
	cur := o.Body
	for i, part := range at {
		v, ok := cur[part]
		if !ok || v == nil {
			return nil
		}
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%w: %s: %s is %s, not an object", ErrInvalid, o.Ref, strings.Join(at[:i+1], "."), jsonType(v))
		}
		cur = m
	}
	n := 0
	for _, k := range []string{"initContainers", "containers", "ephemeralContainers"} {
		switch l := cur[k].(type) {
		case nil:
		case []any:
			n += len(l)
		default:
			return fmt.Errorf("%w: %s: %s.%s is %s, not a list", ErrInvalid, o.Ref, strings.Join(at, "."), k, jsonType(l))
		}
	}
	if n > e.limits.MaxContainers {
		return &LimitError{What: "containers in the pod template of " + clip(o.Ref.String(), 300), Got: n, Max: e.limits.MaxContainers, Flag: "max-containers"}
	}
	return nil
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case nil:
		return "null"
	}
	return "a number"
}

// fromUnstructured decodes a generic body into a typed object; a body that does not
// fit is an error, never a panic.
func fromUnstructured(body map[string]any, out any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot decode: %v", r)
		}
	}()
	return runtime.DefaultUnstructuredConverter.FromUnstructured(body, out)
}

func apiVersion(group, version string) string {
	if group == "" {
		return version
	}
	return group + "/" + version
}

func stringMap(v any) map[string]string {
	m, _ := v.(map[string]any)
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// namespaceOf is the namespace a request's object lives in ("" for cluster-scoped
// objects).
func namespaceOf(req *admissionv1.AdmissionRequest, o *inventory.Object) string {
	if req.Namespace != "" {
		return req.Namespace
	}
	if o != nil {
		return o.Ref.Namespace
	}
	return ""
}
