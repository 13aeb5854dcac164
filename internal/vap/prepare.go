package vap

import (
	"errors"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Prepare returns the object the API server would hand to validating admission for
// a CREATE of this manifest: decoded into its typed form where Palisade knows the
// kind (unknown fields dropped as the API server drops them), defaulted as the
// API server's scheme defaults it (docs/DEFAULTING.md lists what is applied), with
// the fields the create sets before admission. For a kind Palisade does not know
// (a custom resource), the object is used as written and Approximate says so.
func Prepare(obj map[string]any, namespace string) (out *unstructured.Unstructured, approximate bool, err error) {
	return nil, false, errors.New("vap: not implemented")
}
