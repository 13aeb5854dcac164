package admission

import (
	"encoding/json"
	"errors"
	"fmt"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MaxReviewBytes bounds the body of a review; the API server's own request limit
// is 3 MiB, and an AdmissionReview carries the object twice on update.
const MaxReviewBytes = 7 << 20

// DecodeReview reads an admission.k8s.io/v1 AdmissionReview with a request.
func DecodeReview(data []byte) (*admissionv1.AdmissionReview, error) {
	if len(data) > MaxReviewBytes {
		return nil, fmt.Errorf("review of %d bytes is larger than %d", len(data), MaxReviewBytes)
	}
	var r admissionv1.AdmissionReview
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode AdmissionReview: %w", err)
	}
	if r.APIVersion != "admission.k8s.io/v1" || r.Kind != "AdmissionReview" {
		return nil, fmt.Errorf("got %s %s, want an admission.k8s.io/v1 AdmissionReview", r.APIVersion, r.Kind)
	}
	if r.Request == nil {
		return nil, errors.New("AdmissionReview has no request")
	}
	if r.Request.UID == "" {
		return nil, errors.New("AdmissionReview request has no uid")
	}
	return &r, nil
}

// EncodeResponse writes the AdmissionReview answering uid with resp.
func EncodeResponse(resp *admissionv1.AdmissionResponse) ([]byte, error) {
	return json.Marshal(&admissionv1.AdmissionReview{
		TypeMeta: admissionReviewType,
		Response: resp,
	})
}

var admissionReviewType = metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}
