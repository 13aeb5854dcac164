package scan

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/palisade-k8s/palisade/internal/checks/admissionpolicy"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/engine"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/source"
	"github.com/palisade-k8s/palisade/internal/vap"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// policyGroup is the API group of ValidatingAdmissionPolicies and their bindings.
const policyGroup = "admissionregistration.k8s.io"

// policies is the ValidatingAdmissionPolicy side of one scan.
//
// How the policies are known before their rules run: the policies of --policy and of
// the configuration are read first (a bundle), so the kinds they can match, their
// parameter kinds, the Namespaces, the RBAC objects and the CRDs are decoded and
// kept by the main read. The main read also keeps the bodies of every
// ValidatingAdmissionPolicy and binding it meets (they are small); a scan with
// neither pays nothing more than that kind test. After the read, the bundle
// (files, then the policies found among the scanned objects, with the parameter
// resources of both) is compiled once and its instances of PAL-800..803 run over
// the inventory in an engine of their own (Finish only, Inventory phase). When the
// main read dropped bodies they need (policies found among the scanned objects that
// match kinds nothing kept, custom resources), the files are read a second time,
// decoding only those kinds: that costs a second parse, and only in scans whose
// input itself holds the policies.
type policies struct {
	bundle vap.Bundle
	// explicit is set when files gave policies or bindings.
	explicit bool
	// keep are the kinds the main read decodes and keeps for the policies.
	keep map[string]bool
	// objectsOfCRDs is set when a policy may match CustomResourceDefinitions
	// themselves: their bodies are then kept whole, else only what discovery reads.
	objectsOfCRDs bool
	errs          []finding.InputError
}

// Policy-related scan options, in Options: Policies, User, IncludeDefaults.

// loadPolicies reads the policy files (--policy, then the configuration's policies:
// relative to the configuration file) through the input layer.
func loadPolicies(ctx context.Context, opts Options, cfg *config.Config) (*policies, error) {
	p := &policies{keep: map[string]bool{}}
	for _, k := range source.PolicyKinds {
		p.keep[k] = true
	}
	paths := append([]string(nil), opts.Policies...)
	for _, c := range cfg.Policies {
		if !filepath.IsAbs(c) && cfg.Path != "" {
			c = filepath.Join(filepath.Dir(cfg.Path), c)
		}
		paths = append(paths, c)
	}
	if len(paths) == 0 {
		return p, nil
	}
	in, err := (&source.Files{Paths: paths}).Read(ctx, source.Needs{Decode: func(string, string) bool { return true }})
	if err != nil {
		return nil, err
	}
	p.errs = append(p.errs, in.Errors...)
	for _, o := range in.Inventory.Objects {
		if o.Ref.IsPseudo() || o.Body == nil {
			continue
		}
		if err := p.bundle.Add(o.Body, vap.Source{File: o.Origin.File, Line: o.Origin.Line}); err != nil {
			p.errs = append(p.errs, objectError(o, err))
		}
	}
	p.explicit = len(p.bundle.Policies)+len(p.bundle.Bindings) > 0
	if !p.explicit && len(p.errs) == 0 {
		p.errs = append(p.errs, finding.InputError{Location: finding.Location{File: source.Describe(paths)},
			Message: "no ValidatingAdmissionPolicy or ValidatingAdmissionPolicyBinding found in the policy files"})
	}
	if p.explicit {
		if set, _ := vap.Compile(p.bundle, vap.Options{}); set != nil {
			for _, k := range admissionpolicy.MatchedKinds(set, nil) {
				p.keep[k] = true
				if k == "CustomResourceDefinition" {
					p.objectsOfCRDs = true
				}
			}
			for _, gvk := range set.ParamKinds() {
				p.keep[gvk.Kind] = true
			}
		}
		p.keep["CustomResourceDefinition"] = true
		for _, k := range admissionpolicy.EnvKinds {
			p.keep[k] = true
		}
	}
	return p, nil
}

// kinds are the kinds a live read lists for the policies.
func (p *policies) kinds() []string {
	out := make([]string, 0, len(p.keep))
	for k := range p.keep {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// decoder and retainer widen the engine's decisions with the kinds the policies keep.
func (p *policies) decoder(d func(apiVersion, kind string) bool) func(apiVersion, kind string) bool {
	return func(apiVersion, kind string) bool { return p.keep[kind] || d(apiVersion, kind) }
}

func (p *policies) retainer(r func(o *inventory.Object) bool) func(o *inventory.Object) bool {
	return func(o *inventory.Object) bool {
		if r(o) {
			return true
		}
		if !p.keep[o.Ref.Kind] {
			return false
		}
		// A CRD kept only for discovery keeps only what discovery reads: its
		// schemas are most of its bytes, and nothing else reads them.
		if o.Ref.Kind == "CustomResourceDefinition" && !p.objectsOfCRDs && o.Body != nil {
			o.Body = vap.CRDDiscovery(o.Body)
		}
		return true
	}
}

// isPolicy reports whether o is a ValidatingAdmissionPolicy or binding.
func isPolicy(o *inventory.Object) bool {
	return o.Group() == policyGroup && slices.Contains(source.PolicyKinds, o.Ref.Kind)
}

// policyResult is what evaluating the policies added to a scan.
type policyResult struct {
	findings  []finding.Finding
	errs      []finding.InputError
	notices   []finding.Notice
	internal  []finding.InternalError
	evaluated map[string]int
	// active is set when some policy had a binding: PAL-800..803 checked something.
	active bool
}

// evaluate compiles the policies of the files and of the inventory and runs their
// rules over the inventory (or a second read of src, see policies).
func (p *policies) evaluate(ctx context.Context, opts Options, src source.Source, in *source.Result, enabled []*rules.Rule, params map[string]map[string]any, finder *workload.Finder, sup func(*inventory.Object, *finding.Finding)) (*policyResult, error) {
	res := &policyResult{errs: p.errs}
	inv := in.Inventory
	var found []*inventory.Object
	for _, o := range inv.Objects {
		if isPolicy(o) && o.Body != nil {
			found = append(found, o)
		}
	}
	if !p.explicit && len(found) == 0 {
		return res, nil
	}
	set, needed := p.compile(inv, found, res)
	missing := false
	for _, o := range inv.Objects {
		if needed[o.Ref.Kind] && o.Body == nil && !o.Ref.IsPseudo() {
			missing = true
			break
		}
	}
	if missing {
		f, files := src.(*source.Files)
		_, live := src.(*source.Cluster)
		switch {
		case files && !slices.Contains(f.Paths, "-") || live:
			kinds := make([]string, 0, len(needed))
			for k := range needed {
				kinds = append(kinds, k)
			}
			again, err := src.Read(ctx, source.Needs{Kinds: kinds, Decode: func(_, kind string) bool { return needed[kind] }, Finder: finder, Workers: opts.Workers})
			if err != nil {
				return nil, err
			}
			inv = again.Inventory
			// The second read sees the same files: its errors and notices are those of
			// the first. The policies and parameters are read from it again.
			found = found[:0]
			for _, o := range inv.Objects {
				if isPolicy(o) && o.Body != nil {
					found = append(found, o)
				}
			}
			res.errs = p.errs
			set, _ = p.compile(inv, found, res)
		default:
			res.notices = append(res.notices, finding.Notice{Location: finding.Location{File: src.Describe()},
				Message: "some objects the ValidatingAdmissionPolicies match were not kept for them and this input cannot be read twice (standard input): pass the policies with --policy to evaluate every object"})
		}
	}
	if set == nil || set.Empty() {
		return res, nil
	}
	res.active = true
	var gvks []schema.GroupVersionKind
	seen := map[string]bool{}
	for _, o := range inv.Objects {
		if !seen[o.Ref.APIVersion+"/"+o.Ref.Kind] && !o.Ref.IsPseudo() {
			seen[o.Ref.APIVersion+"/"+o.Ref.Kind] = true
			gvks = append(gvks, schema.FromAPIVersionAndKind(o.Ref.APIVersion, o.Ref.Kind))
		}
	}
	var instances []*rules.Rule
	var mu sync.Mutex
	for _, r := range admissionpolicy.Rules(set, admissionpolicy.Options{
		User: opts.User, IncludeDefaults: opts.IncludeDefaults, Kinds: gvks, Context: ctx,
		Notice: func(n finding.Notice) {
			mu.Lock()
			res.notices = append(res.notices, n)
			mu.Unlock()
		},
	}, enabled) {
		if admissionpolicy.IsInstance(r) {
			instances = append(instances, r)
		}
	}
	if len(instances) == 0 {
		return res, nil
	}
	er := engine.New(engine.Options{Rules: instances, Params: params, Finder: finder, Suppress: sup, Workers: opts.Workers}).Finish(inv)
	res.findings = er.Findings
	res.errs = append(res.errs, er.Errors...)
	res.internal = er.Internal
	res.evaluated = er.Evaluated
	return res, nil
}

// compile makes the run's set from the files' bundle and the policies found in inv,
// with the parameter resources among inv's objects and the CRDs of inv, and
// returns it with the kinds it needs decoded. Its problems are input errors.
func (p *policies) compile(inv *inventory.Inventory, found []*inventory.Object, res *policyResult) (*vap.Set, map[string]bool) {
	b := p.bundle
	b.Policies = slices.Clone(b.Policies)
	b.Bindings = slices.Clone(b.Bindings)
	b.Params = slices.Clone(b.Params)
	b.Sources = map[any]vap.Source{}
	for k, v := range p.bundle.Sources {
		b.Sources[k] = v
	}
	for _, o := range found {
		if err := b.Add(o.Body, vap.Source{File: o.Origin.File, Line: o.Origin.Line}); err != nil {
			res.errs = append(res.errs, objectError(o, err))
		}
	}
	var crds []map[string]any
	for _, o := range inv.ByKind()["CustomResourceDefinition"] {
		if o.Body != nil {
			crds = append(crds, o.Body)
		}
	}
	resources := vap.BuiltinResources()
	if len(crds) > 0 {
		r, err := resources.WithCRDs(crds)
		if err != nil {
			res.errs = append(res.errs, finding.InputError{Location: finding.Location{File: "CustomResourceDefinitions"}, Message: err.Error()})
		} else {
			resources = r
		}
	}
	pre, _ := vap.Compile(b, vap.Options{Resources: resources})
	paramKinds := map[schema.GroupVersionKind]bool{}
	if pre != nil {
		for _, gvk := range pre.ParamKinds() {
			paramKinds[gvk] = true
		}
	}
	if len(paramKinds) > 0 {
		for _, o := range inv.Objects {
			if o.Body != nil && !isPolicy(o) && paramKinds[schema.FromAPIVersionAndKind(o.Ref.APIVersion, o.Ref.Kind)] {
				_ = b.Add(o.Body, vap.Source{File: o.Origin.File, Line: o.Origin.Line})
			}
		}
	}
	set, errs := vap.Compile(b, vap.Options{Resources: resources})
	for _, err := range errs {
		res.errs = append(res.errs, inputError(err))
	}
	if set == nil {
		return nil, nil
	}
	for _, err := range set.Problems() {
		res.errs = append(res.errs, inputError(err))
	}
	needed := map[string]bool{}
	for _, k := range admissionpolicy.EnvKinds {
		needed[k] = true
	}
	for gvk := range paramKinds {
		needed[gvk.Kind] = true
	}
	for _, k := range source.PolicyKinds {
		needed[k] = true
	}
	needed["CustomResourceDefinition"] = true
	seen := map[string]bool{}
	for _, o := range inv.Objects {
		key := o.Ref.APIVersion + "/" + o.Ref.Kind
		if seen[key] || o.Ref.IsPseudo() {
			continue
		}
		seen[key] = true
		if set.Matches(schema.FromAPIVersionAndKind(o.Ref.APIVersion, o.Ref.Kind)) {
			needed[o.Ref.Kind] = true
		}
	}
	return set, needed
}

// sourceAt reads the "file:line: " an error of the policies starts with.
var sourceAt = regexp.MustCompile(`^(.+?):([0-9]+): `)

// inputError is a compile or configuration error of the policies as an input
// error at the file and line it names.
func inputError(err error) finding.InputError {
	msg := err.Error()
	if m := sourceAt.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[2])
		return finding.InputError{Location: finding.Location{File: m[1], Line: line}, Message: msg[len(m[0]):]}
	}
	return finding.InputError{Location: finding.Location{File: "policies"}, Message: fmt.Sprint(msg)}
}

// objectError is an error of the policies about an object: at the file and line it
// names, else at the object.
func objectError(o *inventory.Object, err error) finding.InputError {
	if e := inputError(err); e.Location.Line > 0 {
		return e
	}
	return finding.InputError{Location: o.Origin, Message: err.Error()}
}

// manifests is the source of the objects under a source that adds images to them
// (--images): a second read for the policies reads the objects alone.
func manifests(src source.Source) source.Source {
	if w, ok := src.(*source.WorkloadImages); ok {
		return w.Source
	}
	return src
}
