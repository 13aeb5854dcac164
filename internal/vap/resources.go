package vap

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	sigsjson "sigs.k8s.io/json"
)

// builtinJSON is the discovery of the kube-apiserver Palisade is built with (its
// served resources of every enabled group version), written by
// `go test ./internal/vap -run TestBuiltinResources -update` and held to the real
// server by that test.
//
//go:embed resources.json
var builtinJSON []byte

// resourceEntry is one served resource of one group version, as discovery lists it.
type resourceEntry struct {
	Group        string        `json:"group"`
	Version      string        `json:"version"`
	Resource     string        `json:"resource"`
	Kind         string        `json:"kind"`
	Namespaced   bool          `json:"namespaced"`
	Subresources []subresource `json:"subresources,omitempty"`
}

// subresource is a subresource of a resource and the kind it takes and returns.
type subresource struct {
	Name    string `json:"name"`
	Group   string `json:"group"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
}

// equivalentGroups lists the resources the kube-apiserver stores together under two
// groups (its storage factory's cohabitating resources): matchPolicy Equivalent
// treats them as one. Within one group every version of a resource is equivalent.
var equivalentGroups = [][2]schema.GroupResource{
	{{Group: "", Resource: "events"}, {Group: "events.k8s.io", Resource: "events"}},
}

// Resources maps kinds to resources and back, with subresources and scope: the
// discovery the API server's matcher and equivalence checks rely on.
type Resources struct {
	entries  []resourceEntry
	byKind   map[schema.GroupVersionKind]int
	byGVR    map[schema.GroupVersionResource]int
	custom   map[schema.GroupKind]bool
	registry runtime.EquivalentResourceRegistry
}

// BuiltinResources is the table of the resources the kube-apiserver of the
// Kubernetes release Palisade is built with serves (TestBuiltinResources holds it to
// the real server's discovery).
func BuiltinResources() *Resources {
	var entries []resourceEntry
	if err := json.Unmarshal(builtinJSON, &entries); err != nil {
		panic(fmt.Sprintf("vap: embedded resources.json: %v", err)) // a build defect, caught by every test
	}
	return newResources(entries, nil)
}

func newResources(entries []resourceEntry, custom map[schema.GroupKind]bool) *Resources {
	r := &Resources{
		entries: entries,
		byKind:  make(map[schema.GroupVersionKind]int, len(entries)),
		byGVR:   make(map[schema.GroupVersionResource]int, len(entries)),
		custom:  custom,
	}
	identity := map[schema.GroupResource]string{}
	for _, pair := range equivalentGroups {
		identity[pair[1]] = pair[0].String()
	}
	r.registry = runtime.NewEquivalentResourceRegistryWithIdentity(func(gr schema.GroupResource) string {
		if id, ok := identity[gr]; ok {
			return id
		}
		return gr.String()
	})
	for i, e := range entries {
		gvk := schema.GroupVersionKind{Group: e.Group, Version: e.Version, Kind: e.Kind}
		gvr := schema.GroupVersionResource{Group: e.Group, Version: e.Version, Resource: e.Resource}
		// The first resource of a kind is its main one (discovery lists e.g.
		// "pods" before a hypothetical second resource of kind Pod).
		if _, dup := r.byKind[gvk]; !dup {
			r.byKind[gvk] = i
		}
		r.byGVR[gvr] = i
		r.registry.RegisterKindFor(gvr, "", gvk)
		for _, s := range e.Subresources {
			r.registry.RegisterKindFor(gvr, s.Name, schema.GroupVersionKind{Group: s.Group, Version: s.Version, Kind: s.Kind})
		}
	}
	return r
}

// WithCRDs returns a copy that also serves the custom resources defined by these
// CustomResourceDefinitions (decoded objects; every served version).
func (r *Resources) WithCRDs(crds []map[string]any) (*Resources, error) {
	entries := append([]resourceEntry(nil), r.entries...)
	custom := map[schema.GroupKind]bool{}
	for gk := range r.custom {
		custom[gk] = true
	}
	for i, obj := range crds {
		data, err := json.Marshal(CRDDiscovery(obj))
		if err != nil {
			return nil, fmt.Errorf("CustomResourceDefinition %d: %w", i, err)
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := sigsjson.UnmarshalCaseSensitivePreserveInts(data, &crd); err != nil {
			return nil, fmt.Errorf("CustomResourceDefinition %d: %w", i, err)
		}
		s := crd.Spec
		if s.Group == "" || s.Names.Plural == "" || s.Names.Kind == "" {
			return nil, fmt.Errorf("CustomResourceDefinition %q: spec.group, spec.names.plural and spec.names.kind are required", crd.Name)
		}
		for _, v := range s.Versions {
			if !v.Served || v.Name == "" {
				continue
			}
			e := resourceEntry{Group: s.Group, Version: v.Name, Resource: s.Names.Plural, Kind: s.Names.Kind,
				Namespaced: s.Scope != apiextensionsv1.ClusterScoped}
			if v.Subresources != nil {
				if v.Subresources.Status != nil {
					e.Subresources = append(e.Subresources, subresource{Name: "status", Group: s.Group, Version: v.Name, Kind: s.Names.Kind})
				}
				if v.Subresources.Scale != nil {
					e.Subresources = append(e.Subresources, subresource{Name: "scale", Group: "autoscaling", Version: "v1", Kind: "Scale"})
				}
			}
			entries = append(entries, e)
		}
		custom[schema.GroupKind{Group: s.Group, Kind: s.Names.Kind}] = true
	}
	return newResources(entries, custom), nil
}

// CRDDiscovery is the part of a CustomResourceDefinition that discovery, and so
// WithCRDs, reads (name, group, names, scope, and each version's name, served flag
// and subresources): the schemas, often most of a CRD's bytes, are left out. A scan
// that keeps CRDs only for WithCRDs keeps this.
func CRDDiscovery(obj map[string]any) map[string]any {
	out := map[string]any{}
	if md, ok := obj["metadata"].(map[string]any); ok {
		out["metadata"] = map[string]any{"name": md["name"]}
	}
	spec, ok := obj["spec"].(map[string]any)
	if !ok {
		return out
	}
	s := map[string]any{}
	for _, k := range []string{"group", "names", "scope"} {
		if v, ok := spec[k]; ok {
			s[k] = v
		}
	}
	if vs, ok := spec["versions"].([]any); ok {
		versions := make([]any, 0, len(vs))
		for _, v := range vs {
			vm, ok := v.(map[string]any)
			if !ok {
				versions = append(versions, v)
				continue
			}
			slim := map[string]any{}
			for _, k := range []string{"name", "served", "storage", "subresources"} {
				if x, ok := vm[k]; ok {
					slim[k] = x
				}
			}
			versions = append(versions, slim)
		}
		s["versions"] = versions
	} else if v, ok := spec["versions"]; ok {
		s["versions"] = v
	}
	out["spec"] = s
	return out
}

// ResourceFor returns the resource of a kind and whether it is namespaced.
func (r *Resources) ResourceFor(gvk schema.GroupVersionKind) (gvr schema.GroupVersionResource, namespaced bool, ok bool) {
	i, ok := r.byKind[gvk]
	if !ok {
		return schema.GroupVersionResource{}, false, false
	}
	e := r.entries[i]
	return schema.GroupVersionResource{Group: e.Group, Version: e.Version, Resource: e.Resource}, e.Namespaced, true
}

// kindFor returns the kind of a resource (and subresource) and whether it is
// namespaced.
func (r *Resources) kindFor(gvr schema.GroupVersionResource, sub string) (schema.GroupVersionKind, bool, bool) {
	i, ok := r.byGVR[gvr]
	if !ok {
		return schema.GroupVersionKind{}, false, false
	}
	e := r.entries[i]
	if sub == "" {
		return schema.GroupVersionKind{Group: e.Group, Version: e.Version, Kind: e.Kind}, e.Namespaced, true
	}
	for _, s := range e.Subresources {
		if s.Name == sub {
			return schema.GroupVersionKind{Group: s.Group, Version: s.Version, Kind: s.Kind}, e.Namespaced, true
		}
	}
	return schema.GroupVersionKind{}, false, false
}

// isCustom reports whether a kind is served by a CustomResourceDefinition.
func (r *Resources) isCustom(gk schema.GroupKind) bool { return r.custom[gk] }

// String lists the table, one resource a line (for tests and diffs).
func (r *Resources) String() string {
	lines := make([]string, 0, len(r.entries))
	for _, e := range r.entries {
		scope := "cluster"
		if e.Namespaced {
			scope = "namespaced"
		}
		subs := make([]string, 0, len(e.Subresources))
		for _, s := range e.Subresources {
			subs = append(subs, fmt.Sprintf("%s=%s", s.Name, schema.GroupVersionKind{Group: s.Group, Version: s.Version, Kind: s.Kind}.String()))
		}
		sort.Strings(subs)
		lines = append(lines, fmt.Sprintf("%s/%s %s %s %s [%s]", e.Group, e.Version, e.Resource, e.Kind, scope, strings.Join(subs, " ")))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
