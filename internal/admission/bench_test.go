package admission

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"encoding/json"

	admissionv1 "k8s.io/api/admission/v1"
)

// BenchmarkReviewDeployment reviews the load test's realistic Deployment
// (tools/webhookload/deployment.yaml) with the default configuration: decode,
// evaluation by every admission rule, decision.
func BenchmarkReviewDeployment(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "..", "tools", "webhookload", "deployment.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	t := &testing.T{}
	raw := request(t, admissionv1.Create, string(data), "system:serviceaccount:argocd:argocd-application-controller")
	// Decoded as the server decodes it: objects in the same pass.
	body, err := EncodeReview(raw)
	if err != nil {
		b.Fatal(err)
	}
	rev, err := DecodeReview(body)
	if err != nil {
		b.Fatal(err)
	}
	req := rev.Request
	e, err := New(nil)
	if err != nil {
		b.Fatal(err)
	}
	c := newCluster()
	c.namespaces["shop"] = map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}
	if d := e.Review(context.Background(), req, c); d.Err != nil || !d.Allowed {
		b.Fatalf("decision %+v", d)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Review(context.Background(), req, c)
	}
}

// EncodeReview writes a request as an AdmissionReview, as the API server sends it.
func EncodeReview(req *admissionv1.AdmissionRequest) ([]byte, error) {
	return json.Marshal(&admissionv1.AdmissionReview{TypeMeta: admissionReviewType, Request: req})
}
