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
	utiljson "k8s.io/apimachinery/pkg/util/json"

	"github.com/palisade-k8s/palisade/internal/checks"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/engine"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/pss"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/suppress"
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
// PAL-307 then goes by the role's name). Rules that need any other index do not run
// at admission.
var admissionIndexes = map[string]bool{checks.IndexNamespacePodSecurity: true, checks.IndexAdminRoles: true}

// imageRules answer ImageReviews: the image rules whose input an ImageReview carries.
var imageRules = map[string]bool{"PAL-101": true, "PAL-102": true, "PAL-103": true, "PAL-105": true, "PAL-106": true}

// Evaluator reviews requests under one configuration. It is safe for concurrent use.
type Evaluator struct {
	cfg    *config.Config
	finder *workload.Finder
	decode func(apiVersion, kind string) bool
	engine *engine.Engine
	// images is the engine of image reviews.
	images       *engine.Engine
	imagesDecode func(apiVersion, kind string) bool
	rules        map[string]*rules.Rule
	actions      map[string]config.Action
	exemptions   []exemption
	controllers  []string
	enforceOwned bool
}

// New prepares an Evaluator for a configuration (nil for the defaults).
func New(cfg *config.Config) (*Evaluator, error) {
	if cfg == nil {
		cfg = &config.Config{}
	}
	ev, err := pss.New(cfg.PSSVersion)
	if err != nil {
		return nil, err
	}
	enabled, err := scan.EnabledRules(cfg, nil, nil)
	if err != nil {
		return nil, err
	}
	e := &Evaluator{
		cfg: cfg, finder: workload.NewFinder(cfg.PodTemplatePaths),
		rules: map[string]*rules.Rule{}, actions: map[string]config.Action{},
		enforceOwned: cfg.Webhook.ControllerOwned == "enforce",
		controllers:  cfg.Webhook.ControllerUsers,
	}
	if e.controllers == nil {
		e.controllers = config.DefaultControllerUsers
	}
	var here, images []*rules.Rule
	for _, r := range enabled {
		if !atAdmission(r) {
			continue
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
		if imageRules[r.ID] {
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
	opts := engine.Options{Rules: here, Params: params, PSS: ev, Finder: e.finder, Suppress: sup.Apply, Workers: 1}
	e.engine = engine.New(opts)
	e.decode = engine.Decoder(here, e.finder)
	opts.Rules = images
	e.images = engine.New(opts)
	e.imagesDecode = engine.Decoder(images, e.finder)
	e.exemptions = compileExemptions(&cfg.Webhook)
	return e, nil
}

// Config is the configuration the Evaluator was built from.
func (e *Evaluator) Config() *config.Config { return e.cfg }

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

// atAdmission reports whether a rule can judge one object with its namespace.
func atAdmission(r *rules.Rule) bool {
	for _, n := range r.Needs {
		if !admissionIndexes[n] {
			return false
		}
	}
	return true
}

// actionFor resolves a rule's action: an exact rule entry, else the first matching
// glob (in sorted order), else the severity's action, else the default.
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
	for k, v := range a.Severity {
		if s, err := finding.ParseSeverity(k); err == nil && s == r.Severity {
			return config.ParseAction(v)
		}
	}
	return config.DefaultSeverityActions[r.Severity], nil
}

// Review decides an AdmissionReview request of /validate: CREATE and UPDATE of
// objects are evaluated; other operations, and requests for subresources, admitted.
func (e *Evaluator) Review(ctx context.Context, req *admissionv1.AdmissionRequest, c Cluster) *Decision {
	d := newDecision(req)
	// Subresources (status, scale, binding) change no template a rule reads; exec,
	// attach and ephemeral containers go to ReviewExec.
	if (req.Operation != admissionv1.Create && req.Operation != admissionv1.Update) || req.SubResource != "" {
		d.Allowed = true
		return d
	}
	obj, err := requestObject(&req.Object, req)
	if err != nil {
		return d.fail(fmt.Errorf("decode %s: %w", d.Object, err))
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
	fs, err := e.evaluate(e.engine, e.decode, obj, ns, nsLabels, nsKnown)
	if err != nil {
		return d.fail(err)
	}
	var before map[string]bool
	if req.Operation == admissionv1.Update && (len(req.OldObject.Raw) > 0 || req.OldObject.Object != nil) && hasDeny(e, fs) {
		if old, err := requestObject(&req.OldObject, req); err == nil {
			if ofs, err := e.evaluate(e.engine, e.decode, old, ns, nsLabels, nsKnown); err == nil {
				before = map[string]bool{}
				for _, f := range ofs {
					before[f.Fingerprint] = true
				}
			}
		}
	}
	owner := ""
	if !e.enforceOwned {
		owner = e.trustedOwner(req, obj)
	}
	for _, f := range fs {
		v := Verdict{Finding: f, Action: e.actions[f.RuleID]}
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
		case before[f.Fingerprint] && v.Action == config.Deny:
			v.Action, v.Note = config.Warn, "already present before this update"
		}
		d.Verdicts = append(d.Verdicts, v)
	}
	d.settle()
	return d
}

func hasDeny(e *Evaluator, fs []finding.Finding) bool {
	for _, f := range fs {
		if e.actions[f.RuleID] == config.Deny {
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

// evaluate runs the rules of eng on obj, with its namespace when known, and returns
// the findings on obj.
func (e *Evaluator) evaluate(eng *engine.Engine, decode func(string, string) bool, obj *inventory.Object, ns string, nsLabels map[string]string, nsKnown bool) ([]finding.Finding, error) {
	inv := &inventory.Inventory{Objects: make([]*inventory.Object, 0, 2)}
	if nsKnown {
		inv.Objects = append(inv.Objects, &inventory.Object{
			Ref:    finding.ObjectRef{APIVersion: "v1", Kind: "Namespace", Name: ns},
			Labels: nsLabels, Origin: finding.Location{File: Origin},
		})
	}
	inv.Objects = append(inv.Objects, obj)
	if !decode(obj.Ref.APIVersion, obj.Ref.Kind) {
		obj.Body = nil
	}
	run := eng.Fresh()
	run.Visit(obj)
	res := run.Finish(inv)
	if len(res.Errors) > 0 || len(res.Internal) > 0 {
		// A rule that could not check the object, or that failed on it, leaves the
		// review undecided: an error, which failurePolicy settles, never an allow.
		var msgs []string
		for _, ie := range res.Errors {
			msgs = append(msgs, ie.Message)
		}
		for _, ie := range res.Internal {
			msgs = append(msgs, "internal error: "+ie.Error())
		}
		return nil, errors.New(strings.Join(msgs, "; "))
	}
	out := res.Findings[:0]
	for _, f := range res.Findings {
		if f.Object == obj.Ref {
			out = append(out, f)
		}
	}
	return out, nil
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

// requestObject turns an object of a request into an inventory object. Rules never
// modify bodies, so the body is shared with the request.
func requestObject(ext *runtime.RawExtension, req *admissionv1.AdmissionRequest) (*inventory.Object, error) {
	body, err := objectBody(ext)
	if err != nil {
		return nil, err
	}
	md, _ := body["metadata"].(map[string]any)
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	o := &inventory.Object{
		Ref: finding.ObjectRef{
			APIVersion: str(body, "apiVersion"), Kind: str(body, "kind"),
			Namespace: str(md, "namespace"), Name: str(md, "name"),
		},
		Labels: stringMap(md["labels"]), Annotations: stringMap(md["annotations"]),
		Origin: finding.Location{File: Origin},
		Body:   body,
	}
	if o.Ref.Kind == "" {
		o.Ref.APIVersion, o.Ref.Kind = apiVersion(req.Kind.Group, req.Kind.Version), req.Kind.Kind
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
	return o, nil
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
