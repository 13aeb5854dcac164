package admission

import (
	"context"
	"encoding/json"
	"strings"
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
	f.Add(review("", "v1", "Pod", `"spec":"notamap"`))
	f.Add([]byte(strings.Replace(string(review("", "v1", "Pod", `"spec":{}`)), `"kind":"Pod","metadata"`, `"kind":"Deployment","metadata"`, 1)))
	f.Add(review("apps", "v1", "Deployment", `"spec":{"template":{"spec":{"containers":[`+list(`{"name":"c%d"}`, 12)+`]}}}`))
	e, err := NewWithLimits(nil, Limits{MaxContainers: 10, MaxFindings: 20, MaxListed: 5})
	if err != nil {
		f.Fatal(err)
	}
	c := newCluster()
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := e.Limits().DecodeReview(data)
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
			if len(d.Message) > maxMessage || len(d.Warnings) > e.Limits().MaxListed+1 {
				t.Errorf("message of %d bytes, %d warnings", len(d.Message), len(d.Warnings))
			}
		}
	})
}

// FuzzDecodeImageReview: no body panics the ImageReview decoder or the review of
// what it accepts, which is within the limits.
func FuzzDecodeImageReview(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"imagepolicy.k8s.io/v1alpha1","kind":"ImageReview","spec":{"containers":[{"image":"evil.io/miner:1"}],"namespace":"team"}}`))
	f.Add([]byte(`{"apiVersion":"imagepolicy.k8s.io/v1alpha1","kind":"ImageReview","spec":{"containers":[` + list(`{"image":"a%d"}`, 12) + `]}}`))
	f.Add([]byte(`{"apiVersion":"imagepolicy.k8s.io/v1alpha1","kind":"ImageReview","spec":{"namespace":"a","namespace":"b"}}`))
	e, err := NewWithLimits(nil, Limits{MaxContainers: 10, MaxListed: 5})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rev, err := e.Limits().DecodeImageReview(data)
		if err != nil {
			return
		}
		if len(rev.Spec.Containers) > 10 {
			t.Fatalf("%d images accepted", len(rev.Spec.Containers))
		}
		d := e.ReviewImages(context.Background(), &rev.Spec)
		if d.Err != nil && d.Allowed {
			t.Errorf("decision both failed and allowed: %v", d.Err)
		}
		if st := d.ImageReviewStatus(); !st.Allowed && d.Err == nil && st.Reason == "" {
			t.Error("denial without a reason")
		}
	})
}

// FuzzCountValues: the count of values read without decoding is never below the
// number of values of JSON that decodes, so the value limit holds for what is
// decoded.
func FuzzCountValues(f *testing.F) {
	for _, s := range []string{`0`, `[0,[1,{}],"a,b"]`, `{"a\"":[{"b":null}]}`, `"\u005b"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		if n, c := values(v), CountValues(data); n > c {
			t.Errorf("%d values, counted %d", n, c)
		}
	})
}

func values(v any) int {
	n := 1
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			n += values(e)
		}
	case map[string]any:
		for _, e := range v {
			n += values(e)
		}
	}
	return n
}
