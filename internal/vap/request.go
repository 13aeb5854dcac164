package vap

import (
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
)

// RequestFor is the CREATE request of an object read from a manifest: the kind's
// resource from the set's Resources, and the object prepared as the API server would
// pass it to validating admission (Prepare). namespace is where the object is
// created when it names none (ignored for cluster-scoped kinds); a name given only
// by metadata.generateName is the generated one, as the API server passes it.
func (s *Set) RequestFor(obj map[string]any, namespace string, u user.Info) (Request, error) {
	in := &unstructured.Unstructured{Object: obj}
	gvk := in.GroupVersionKind()
	if gvk.Kind == "" || gvk.Version == "" {
		return Request{}, errors.New("object without apiVersion or kind")
	}
	gvr, namespaced, ok := s.res.ResourceFor(gvk)
	if !ok {
		return Request{}, fmt.Errorf("%s is not a kind the API server serves (a custom resource needs its CustomResourceDefinition)", gvk)
	}
	ns := ""
	if namespaced {
		ns = in.GetNamespace()
		if ns == "" {
			ns = namespace
		}
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
	}
	prepared, err := prepareObject(obj, ns, namespaced)
	if err != nil {
		return Request{}, err
	}
	if u == nil {
		u = &user.DefaultInfo{}
	}
	opts, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&metav1.CreateOptions{TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "CreateOptions"}})
	if err != nil {
		return Request{}, err
	}
	return Request{
		Operation: admission.Create,
		Kind:      gvk,
		Resource:  gvr,
		Name:      prepared.GetName(),
		Namespace: ns,
		Object:    prepared,
		Options:   &unstructured.Unstructured{Object: opts},
		User:      u,
	}, nil
}

// prepareObject is Prepare, with the namespace of a cluster-scoped object left out.
func prepareObject(obj map[string]any, ns string, namespaced bool) (*unstructured.Unstructured, error) {
	if !namespaced {
		ns = ""
	}
	out, _, err := Prepare(obj, ns)
	if err != nil {
		return nil, err
	}
	return out, nil
}
