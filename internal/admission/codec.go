package admission

import (
	"encoding/json"
	"errors"
	"fmt"

	sigsjson "sigs.k8s.io/json"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// MaxReviewBytes bounds the body of a review; the API server's own request limit
// is 3 MiB, and an AdmissionReview carries the object twice on update.
const MaxReviewBytes = 7 << 20

// DecodeReview reads an admission.k8s.io/v1 AdmissionReview with a request. The
// request's object and old object are decoded in the same pass into
// *unstructured.Unstructured values in RawExtension.Object (Raw stays empty), with
// integers kept as int64, as the API server's own decoder does: a review's JSON is
// read once.
func DecodeReview(data []byte) (*admissionv1.AdmissionReview, error) {
	if len(data) > MaxReviewBytes {
		return nil, fmt.Errorf("review of %d bytes is larger than %d", len(data), MaxReviewBytes)
	}
	var w wireReview
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(data, &w); err != nil {
		return nil, fmt.Errorf("decode AdmissionReview: %w", err)
	}
	if w.APIVersion != "admission.k8s.io/v1" || w.Kind != "AdmissionReview" {
		return nil, fmt.Errorf("got %s %s, want an admission.k8s.io/v1 AdmissionReview", w.APIVersion, w.Kind)
	}
	if w.Request == nil {
		return nil, errors.New("AdmissionReview has no request")
	}
	if w.Request.UID == "" {
		return nil, errors.New("AdmissionReview request has no uid")
	}
	r := &admissionv1.AdmissionReview{TypeMeta: admissionReviewType, Request: &w.Request.AdmissionRequest}
	if w.Request.Object != nil {
		r.Request.Object.Object = &unstructured.Unstructured{Object: w.Request.Object}
	}
	if w.Request.OldObject != nil {
		r.Request.OldObject.Object = &unstructured.Unstructured{Object: w.Request.OldObject}
	}
	return r, nil
}

// wireReview is an AdmissionReview whose objects decode into generic values; its
// Object and OldObject shadow the embedded request's RawExtensions.
type wireReview struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Request    *wireRequest `json:"request"`
}

type wireRequest struct {
	admissionv1.AdmissionRequest
	Object    map[string]any `json:"object"`
	OldObject map[string]any `json:"oldObject"`
}

// EncodeResponse writes the AdmissionReview answering uid with resp.
func EncodeResponse(resp *admissionv1.AdmissionResponse) ([]byte, error) {
	return json.Marshal(&admissionv1.AdmissionReview{
		TypeMeta: admissionReviewType,
		Response: resp,
	})
}

var admissionReviewType = metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}
