package admissionpolicy

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/vap"
)

// DefaultUser is the requesting user of the policies when the scan names none (--as):
// an authenticated user in no group of its own, so that request.userInfo and the
// authorizer library see a user RBAC grants nothing unless the input binds it.
const DefaultUser = "palisade:scan"

// DefaultUserInfo is DefaultUser with the group every authenticated user has.
func DefaultUserInfo() user.Info {
	return &user.DefaultInfo{Name: DefaultUser, Groups: []string{user.AllAuthenticated}}
}

// Options are what the run's instances need besides the policies.
type Options struct {
	// User is the requesting user the policies see (request.userInfo and the
	// authorizer's subject): --as and --as-group. Nil is DefaultUserInfo.
	User user.Info
	// IncludeDefaults adds Kubernetes' bootstrap RBAC policy to the RBAC of the
	// input that answers the authorizer library (--include-defaults, as `palisade
	// rbac` does); KubeVersion picks its release ("" for the newest embedded).
	IncludeDefaults bool
	KubeVersion     string
	// Kinds are the kinds of objects the input can hold (group, version, kind): the
	// instances run on the kinds of those the set can match. Nil: every kind the
	// kube-apiserver serves built in (custom resources then need Kinds).
	Kinds []schema.GroupVersionKind
	// Context bounds every evaluation (nil: none but the CEL cost budget).
	Context context.Context
	// Notice receives, once each, what the run should say beside its findings: a
	// namespace the policies read that is not among the scanned objects, a kind
	// Palisade could not default as the API server would. Nil: dropped.
	Notice func(finding.Notice)
}

// Rules returns the run's instances of PAL-800 to PAL-803 for a compiled set,
// replacing the registered PerRun entries of the same IDs among enabled (only those
// enabled). A nil or empty set leaves enabled as it is: the entries then check
// nothing (the engine drops them).
//
// An instance is an Inventory-phase object rule over the kinds the set can match
// (Options.Kinds); it needs the scanned Namespaces (namespaceSelector,
// namespaceObject) and the RBAC model of the input (the authorizer library). Each
// object is evaluated once per run, whichever of the four rules asks first, and
// every failure of the decision becomes a finding of the rule of its action: Deny
// PAL-800, else Warn PAL-801, else Audit PAL-802 (one finding per failed
// validation, its evidence listing every action of the binding); a configuration
// or audit annotation error PAL-803.
func Rules(set *vap.Set, opts Options, enabled []*rules.Rule) []*rules.Rule {
	if set == nil || set.Empty() {
		return enabled
	}
	if opts.User == nil {
		opts.User = DefaultUserInfo()
	}
	if opts.Context == nil {
		opts.Context = context.Background()
	}
	run := &run{set: set, opts: opts}
	kinds := MatchedKinds(set, opts.Kinds)
	out := make([]*rules.Rule, 0, len(enabled))
	for _, r := range enabled {
		switch r.ID {
		case DenyRuleID, WarnRuleID, AuditRuleID, ConfigRuleID:
			if r.PerRun {
				if run.failer == "" || r.ID < run.failer {
					run.failer = r.ID
				}
				in := *r
				in.PerRun = false
				in.Kinds = kinds
				in.Needs = run.needs()
				in.Object = run.check
				r = &in
			}
		}
		out = append(out, r)
	}
	return out
}

// IsInstance reports whether r is a run's instance of PAL-800..803 (not the
// registered entry).
func IsInstance(r *rules.Rule) bool {
	switch r.ID {
	case DenyRuleID, WarnRuleID, AuditRuleID, ConfigRuleID:
		return !r.PerRun && r.Object != nil
	}
	return false
}

// EnvKinds are the kinds whose bodies the instances' indexes read: the Namespaces
// and the RBAC objects.
var EnvKinds = append([]string{"Namespace"}, rbac.Kinds...)

// IDs are the rules of ValidatingAdmissionPolicies, in order.
var IDs = []string{DenyRuleID, WarnRuleID, AuditRuleID, ConfigRuleID}

// run is the state the instances of one run share: each object is evaluated once
// and its findings handed to the rule that asks for them.
type run struct {
	set  *vap.Set
	opts Options

	// failer is the first enabled instance: the one that reports an object that
	// could not be evaluated.
	failer string

	mu        sync.Mutex
	decisions map[*inventory.Object]*outcome
	noticed   map[string]bool
}

// outcome is the findings of one object, by rule.
type outcome struct {
	once     sync.Once
	findings map[string][]finding.Finding
	err      error
}

// MatchedKinds are the names of the kinds among cands that the set can match (nil
// cands: every kind the kube-apiserver serves built in).
func MatchedKinds(s *vap.Set, cands []schema.GroupVersionKind) []string {
	if cands == nil {
		for gvk := range scheme.Scheme.AllKnownTypes() {
			if gvk.Version != runtime.APIVersionInternal && !strings.HasSuffix(gvk.Kind, "List") && !strings.HasSuffix(gvk.Kind, "Options") {
				cands = append(cands, gvk)
			}
		}
	}
	set := map[string]bool{}
	for _, gvk := range cands {
		if s.Matches(gvk) {
			set[gvk.Kind] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// The indexes the instances read: the scanned Namespaces, and the RBAC of the input
// as an authorizer (without and with the bootstrap policy).
var (
	indexNamespaces = inventory.NewIndex("vap-namespaces", []string{"Namespace"}, buildNamespaces)
	indexRBAC       = inventory.NewIndex("vap-authorizer", rbac.Kinds, func(inv *inventory.Inventory) authz {
		return buildAuthorizer(inv, false, "")
	})
	indexRBACDefaults = inventory.NewIndex("vap-authorizer-defaults", rbac.Kinds, func(inv *inventory.Inventory) authz {
		return buildAuthorizer(inv, true, "")
	})
)

func (r *run) needs() []inventory.AnyIndex {
	if r.opts.IncludeDefaults {
		return []inventory.AnyIndex{indexNamespaces, indexRBACDefaults}
	}
	return []inventory.AnyIndex{indexNamespaces, indexRBAC}
}

// authz is an authorizer, or why there is none.
type authz struct {
	a   authorizer.Authorizer
	err error
}

func buildAuthorizer(inv *inventory.Inventory, defaults bool, kubeVersion string) authz {
	var objs []*inventory.Object
	for _, o := range inv.Objects {
		if slices.Contains(rbac.Kinds, o.Ref.Kind) {
			objs = append(objs, o)
		}
	}
	m, _, err := rbac.Build(objs, rbac.Options{IncludeDefaults: defaults, KubeVersion: kubeVersion})
	if err != nil {
		return authz{err: err}
	}
	return authz{a: m.Authorizer()}
}

// buildNamespaces decodes the scanned Namespace objects.
func buildNamespaces(inv *inventory.Inventory) map[string]*corev1.Namespace {
	out := map[string]*corev1.Namespace{}
	// An index builder runs under the inventory's lock: it reads the objects, not
	// other indexes.
	for _, o := range inv.Objects {
		if o.Ref.Kind != "Namespace" || o.Group() != "" || o.Body == nil {
			continue
		}
		ns := &corev1.Namespace{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Body, ns); err != nil {
			continue
		}
		if ns.Labels == nil {
			ns.Labels = map[string]string{}
		}
		// The API server labels every namespace with its name.
		ns.Labels[corev1.LabelMetadataName] = ns.Name
		out[ns.Name] = ns
	}
	return out
}

// check is the Object function of every instance.
func (r *run) check(p *rules.Pass, o *inventory.Object) {
	gvk := schema.FromAPIVersionAndKind(o.Ref.APIVersion, o.Ref.Kind)
	if o.Body == nil || !r.set.Matches(gvk) {
		return
	}
	r.mu.Lock()
	if r.decisions == nil {
		r.decisions = map[*inventory.Object]*outcome{}
	}
	oc := r.decisions[o]
	if oc == nil {
		oc = &outcome{}
		r.decisions[o] = oc
	}
	r.mu.Unlock()
	oc.once.Do(func() { oc.findings, oc.err = r.evaluate(p, o, gvk) })
	if oc.err != nil {
		// One instance says the object could not be checked.
		if p.Rule.ID == r.failer {
			p.Fail(oc.err)
		}
		return
	}
	for _, f := range oc.findings[p.Rule.ID] {
		p.ReportPolicy(f.Policy, "", "%s", f.Message)
	}
}

// evaluate decides one object and returns its findings by rule.
func (r *run) evaluate(p *rules.Pass, o *inventory.Object, gvk schema.GroupVersionKind) (map[string][]finding.Finding, error) {
	req, err := r.set.RequestFor(o.Body, o.Ref.Namespace, r.opts.User)
	if err != nil {
		return nil, fmt.Errorf("cannot make the admission request of %s: %w", o.Ref.Kind, err)
	}
	if !scheme.Scheme.Recognizes(gvk) {
		r.notice(o, "approx/"+gvk.String(), fmt.Sprintf("%s is not a built-in kind: ValidatingAdmissionPolicies see it as written, without the defaults its CustomResourceDefinition's schema would add (the verdict is approximate for fields left out)", gvk.Kind))
	}
	namespaces := inventory.Get(p.Inventory, indexNamespaces)
	var az authz
	if r.opts.IncludeDefaults {
		az = inventory.Get(p.Inventory, indexRBACDefaults)
	} else {
		az = inventory.Get(p.Inventory, indexRBAC)
	}
	if az.err != nil {
		return nil, az.err
	}
	env := vap.Env{
		Authorizer: az.a,
		Namespace: func(name string) (*corev1.Namespace, error) {
			if ns, ok := namespaces[name]; ok {
				return ns, nil
			}
			// Not among the scanned objects: the API server would have it (a create in
			// a missing namespace is refused before admission), with at least the
			// label it sets on every namespace. Labels the policies select on are
			// unknown: said once per namespace.
			r.notice(o, "ns/"+name, fmt.Sprintf("namespace %q is not among the scanned objects: ValidatingAdmissionPolicies saw it with only its name label (%s=%s); a namespaceSelector or namespaceObject reading other labels may decide otherwise in the cluster (scan its Namespace object too)", name, corev1.LabelMetadataName, name))
			ns := &corev1.Namespace{}
			ns.APIVersion, ns.Kind = "v1", "Namespace"
			ns.Name, ns.Labels = name, map[string]string{corev1.LabelMetadataName: name}
			return ns, nil
		},
	}
	d, err := r.set.Evaluate(r.opts.Context, req, env)
	if err != nil {
		return nil, fmt.Errorf("ValidatingAdmissionPolicies could not be evaluated: %w", err)
	}
	out := map[string][]finding.Finding{}
	for _, fl := range d.Failures {
		id := RuleFor(fl)
		out[id] = append(out[id], finding.Finding{Message: Message(fl), Policy: Evidence(fl)})
	}
	return out, nil
}

// notice says something once per key.
func (r *run) notice(o *inventory.Object, key, msg string) {
	if r.opts.Notice == nil {
		return
	}
	r.mu.Lock()
	if r.noticed == nil {
		r.noticed = map[string]bool{}
	}
	first := !r.noticed[key]
	r.noticed[key] = true
	r.mu.Unlock()
	if first {
		r.opts.Notice(finding.Notice{Location: o.Origin, Message: msg})
	}
}

// RuleFor is the rule of a failure: PAL-803 for a configuration or audit annotation
// error, else the strongest action of its binding (Deny PAL-800, Warn PAL-801, Audit
// PAL-802).
func RuleFor(fl vap.Failure) string {
	if fl.Kind != vap.Validation {
		return ConfigRuleID
	}
	switch {
	case slices.Contains(fl.Actions, admissionregistrationv1.Deny):
		return DenyRuleID
	case slices.Contains(fl.Actions, admissionregistrationv1.Warn):
		return WarnRuleID
	}
	return AuditRuleID
}

// Message words a failure as the API server does: the refusal of a Deny ("...
// denied request: ..."), the warning of a Warn ("Validation failed for ..."), the
// same words for an Audit record.
func Message(fl vap.Failure) string {
	denied := slices.Contains(fl.Actions, admissionregistrationv1.Deny)
	switch {
	case denied && fl.Binding == "":
		return fmt.Sprintf("ValidatingAdmissionPolicy '%s' denied request: %s", fl.Policy, fl.Message)
	case denied:
		return fmt.Sprintf("ValidatingAdmissionPolicy '%s' with binding '%s' denied request: %s", fl.Policy, fl.Binding, fl.Message)
	}
	return fmt.Sprintf("Validation failed for ValidatingAdmissionPolicy '%s' with binding '%s': %s", fl.Policy, fl.Binding, fl.Message)
}

// Evidence is the finding's account of a failure.
func Evidence(fl vap.Failure) *finding.PolicyEvidence {
	ev := &finding.PolicyEvidence{
		Policy: fl.Policy, Binding: fl.Binding, Validation: fl.Index, Param: fl.Param,
		Reason: string(fl.Reason), Denied: slices.Contains(fl.Actions, admissionregistrationv1.Deny),
	}
	if fl.Kind != vap.Validation {
		ev.Validation = -1
	}
	for _, a := range fl.Actions {
		ev.Actions = append(ev.Actions, string(a))
	}
	return ev
}
