package admission

import (
	"context"
	"testing"

	"sigs.k8s.io/yaml"
)

// FuzzDecodeReview: no body, however malformed, panics the decoder or a review of
// what it accepts; an accepted review is always answered or failed, never both.
func FuzzDecodeReview(f *testing.F) {
	js, _ := yaml.YAMLToJSON([]byte(privilegedPod))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","namespace":"team","object":` + string(js) + `}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"group":"apps","version":"v1","kind":"Deployment"},"operation":"UPDATE","object":{"kind":"Deployment","apiVersion":"apps/v1","spec":{"template":{"spec":{"containers":[{"name":"a","securityContext":{"privileged":"yes"}}]}}}},"oldObject":[]}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","operation":"CONNECT","subResource":"exec","name":"p","namespace":"team"}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`))
	f.Add([]byte(`[]`))
	e, err := New(nil)
	if err != nil {
		f.Fatal(err)
	}
	c := newCluster()
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeReview(data, DefaultLimits)
		if err != nil {
			return
		}
		for _, d := range []*Decision{e.Review(context.Background(), r.Request, c), e.ReviewExec(context.Background(), r.Request, c)} {
			if d.Err != nil && d.Allowed {
				t.Errorf("decision both failed and allowed: %v", d.Err)
			}
			if d.Err == nil && !d.Allowed && d.Message == "" {
				t.Error("denial without a message")
			}
			if _, err := EncodeResponse(d.Response()); err != nil {
				t.Error(err)
			}
		}
	})
}
