package admission

import (
	"testing"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// The object of a request is located in the request, by its typed provenance.
func TestRequestObjectProvenance(t *testing.T) {
	e := evaluator(t, "")
	req := request(t, admissionv1.Create, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: shop}\n", "alice")
	o, err := e.requestObject(&req.Object, req)
	if err != nil {
		t.Fatal(err)
	}
	if o.Origin.Provenance != finding.FromAdmission || o.Origin.File != Origin {
		t.Errorf("origin %+v, want the admission request", o.Origin)
	}
}
