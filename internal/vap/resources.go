package vap

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Resources maps kinds to resources and back, with subresources and scope: the
// discovery the API server's matcher and equivalence checks rely on.
type Resources struct{}

// BuiltinResources is the table of the resources the kube-apiserver of the
// Kubernetes release Palisade is built with serves (TestBuiltinResources holds it to
// the real server's discovery).
func BuiltinResources() *Resources { return &Resources{} }

// WithCRDs returns a copy that also serves the custom resources defined by these
// CustomResourceDefinitions (decoded objects; every served version).
func (r *Resources) WithCRDs(crds []map[string]any) (*Resources, error) { return r, nil }

// ResourceFor returns the resource of a kind and whether it is namespaced.
func (r *Resources) ResourceFor(gvk schema.GroupVersionKind) (gvr schema.GroupVersionResource, namespaced bool, ok bool) {
	return schema.GroupVersionResource{}, false, false
}
