package vap

import (
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/informers"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/cache"
)

// paramStore serves the bundle's parameter resources to generic.CollectParams as
// the API server's param informers serve the stored ones: a built-in kind as typed
// objects without TypeMeta (a typed informer's), a custom resource as unstructured
// objects of the paramKind's version (a dynamic informer's).
type paramStore struct {
	res    *Resources
	params []*unstructured.Unstructured
	byKind map[schema.GroupVersionKind]*paramInformer
	// sources names the params in problems; problems are params of a paramKind
	// that the API server would not have stored as written.
	sources  map[any]Source
	problems []error
}

func newParamStore(params []*unstructured.Unstructured, res *Resources, sources map[any]Source) *paramStore {
	return &paramStore{res: res, params: params, byKind: map[schema.GroupVersionKind]*paramInformer{}, sources: sources}
}

// informerFor returns the informer and scope of a paramKind, or the error the API
// server's policy source records when the kind is not served.
func (p *paramStore) informerFor(gvk schema.GroupVersionKind) (informers.GenericInformer, meta.RESTScope, error) {
	gvr, namespaced, ok := p.res.ResourceFor(gvk)
	if !ok {
		return nil, nil, fmt.Errorf("failed to find resource referenced by paramKind: '%v'", gvk)
	}
	scope := meta.RESTScopeRoot
	if namespaced {
		scope = meta.RESTScopeNamespace
	}
	if inf, ok := p.byKind[gvk]; ok {
		return inf, scope, nil
	}
	inf := &paramInformer{resource: gvr.GroupResource(), namespaced: namespaced}
	typed := !p.res.isCustom(gvk.GroupKind()) && clientgoscheme.Scheme.Recognizes(gvk)
	for _, u := range p.params {
		ugvk := u.GroupVersionKind()
		if ugvk.GroupKind() != gvk.GroupKind() {
			continue
		}
		if ugvk.Version != gvk.Version && (typed || !p.res.isCustom(gvk.GroupKind())) {
			// A built-in kind written in another version would need the
			// API server's conversion: not offered to this paramKind.
			continue
		}
		prepared, err := prepareObject(u.Object, u.GetNamespace(), namespaced)
		if err != nil {
			p.problems = append(p.problems, fmt.Errorf("%s: parameter %s %q is not used: %w", p.sources[u], ugvk.Kind, u.GetName(), err))
			continue
		}
		if !namespaced {
			prepared.SetNamespace("")
		}
		var obj runtime.Object = prepared
		if typed {
			t, err := clientgoscheme.Scheme.New(gvk)
			if err != nil {
				continue
			}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(prepared.Object, t); err != nil {
				p.problems = append(p.problems, fmt.Errorf("%s: parameter %s %q is not used: %w", p.sources[u], ugvk.Kind, u.GetName(), err))
				continue
			}
			t.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
			obj = t
		} else {
			prepared.SetAPIVersion(gvk.GroupVersion().String())
		}
		m, err := meta.Accessor(obj)
		if err != nil {
			continue
		}
		inf.items = append(inf.items, paramItem{namespace: m.GetNamespace(), name: m.GetName(), labels: m.GetLabels(), obj: obj})
	}
	sort.SliceStable(inf.items, func(i, j int) bool {
		a, b := inf.items[i], inf.items[j]
		if a.namespace != b.namespace {
			return a.namespace < b.namespace
		}
		return a.name < b.name
	})
	p.byKind[gvk] = inf
	return inf, scope, nil
}

type paramItem struct {
	namespace, name string
	labels          map[string]string
	obj             runtime.Object
}

// paramInformer is an informers.GenericInformer over a fixed, synced list: what
// generic.CollectParams reads (Lister, and Informer().HasSynced). Lists come out in
// namespace and name order (the API server's come out in its cache's order).
type paramInformer struct {
	resource   schema.GroupResource
	namespaced bool
	items      []paramItem
}

func (p *paramInformer) Informer() cache.SharedIndexInformer { return syncedInformer{} }
func (p *paramInformer) Lister() cache.GenericLister         { return paramLister{p: p, all: true} }

// syncedInformer answers HasSynced, the only method CollectParams calls; the
// others are never called (a nil embedded interface would panic, by design).
type syncedInformer struct{ cache.SharedIndexInformer }

func (syncedInformer) HasSynced() bool { return true }

type paramLister struct {
	p         *paramInformer
	all       bool
	namespace string
}

func (l paramLister) List(selector labels.Selector) ([]runtime.Object, error) {
	var out []runtime.Object
	for _, it := range l.p.items {
		if !l.all && it.namespace != l.namespace {
			continue
		}
		if selector.Matches(labels.Set(it.labels)) {
			out = append(out, it.obj)
		}
	}
	return out, nil
}

func (l paramLister) Get(name string) (runtime.Object, error) {
	for _, it := range l.p.items {
		if it.name != name {
			continue
		}
		if l.all && it.namespace == "" || !l.all && it.namespace == l.namespace {
			return it.obj, nil
		}
	}
	return nil, apierrors.NewNotFound(l.p.resource, name)
}

func (l paramLister) ByNamespace(namespace string) cache.GenericNamespaceLister {
	return paramLister{p: l.p, namespace: namespace}
}

var _ informers.GenericInformer = (*paramInformer)(nil)
