package admission

import (
	"encoding/json"
	"errors"
	"fmt"

	sigsjson "sigs.k8s.io/json"

	admissionv1 "k8s.io/api/admission/v1"
	imagepolicyv1alpha1 "k8s.io/api/imagepolicy/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// DecodeReview is DefaultLimits.DecodeReview.
func DecodeReview(data []byte) (*admissionv1.AdmissionReview, error) {
	return DefaultLimits.DecodeReview(data)
}

// DecodeReview reads an admission.k8s.io/v1 AdmissionReview with a request. The
// request's object and old object are decoded in the same pass into
// *unstructured.Unstructured values in RawExtension.Object (Raw stays empty), with
// integers kept as int64, as the API server's own decoder does: a review's JSON is
// read once. A body past the size or value limits of l is a LimitError, found
// before anything is decoded.
func (l Limits) DecodeReview(data []byte) (*admissionv1.AdmissionReview, error) {
	if err := l.check(data, "AdmissionReview"); err != nil {
		return nil, err
	}
	var w wireReview
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(data, &w); err != nil {
		return nil, fmt.Errorf("decode AdmissionReview: %w", err)
	}
	if w.APIVersion != "admission.k8s.io/v1" || w.Kind != "AdmissionReview" {
		return nil, fmt.Errorf("got %.100q %.100q, want an admission.k8s.io/v1 AdmissionReview", w.APIVersion, w.Kind)
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

// DecodeImageReview is DefaultLimits.DecodeImageReview.
func DecodeImageReview(data []byte) (*imagepolicyv1alpha1.ImageReview, error) {
	return DefaultLimits.DecodeImageReview(data)
}

// DecodeImageReview reads an imagepolicy.k8s.io/v1alpha1 ImageReview (the request of
// the ImagePolicyWebhook admission plugin), within the size and value limits of l
// and with at most MaxContainers images. Field names are case-sensitive and a field
// may not appear twice; fields this version does not know are ignored, as newer API
// servers may send them.
func (l Limits) DecodeImageReview(data []byte) (*imagepolicyv1alpha1.ImageReview, error) {
	if err := l.check(data, "ImageReview"); err != nil {
		return nil, err
	}
	var rev imagepolicyv1alpha1.ImageReview
	strict, err := sigsjson.UnmarshalStrict(data, &rev, sigsjson.DisallowDuplicateFields)
	if err != nil {
		return nil, fmt.Errorf("decode ImageReview: %w", err)
	}
	if len(strict) > 0 {
		return nil, fmt.Errorf("decode ImageReview: %w", errors.Join(strict...))
	}
	if rev.APIVersion != "imagepolicy.k8s.io/v1alpha1" || rev.Kind != "ImageReview" {
		return nil, fmt.Errorf("got %.100q %.100q, want an imagepolicy.k8s.io/v1alpha1 ImageReview", rev.APIVersion, rev.Kind)
	}
	if max := l.orDefault().MaxContainers; len(rev.Spec.Containers) > max {
		return nil, &LimitError{What: "images in the ImageReview", Got: len(rev.Spec.Containers), Max: max, Flag: "max-containers"}
	}
	return &rev, nil
}

// EncodeResponse writes the AdmissionReview answering uid with resp.
func EncodeResponse(resp *admissionv1.AdmissionResponse) ([]byte, error) {
	return json.Marshal(&admissionv1.AdmissionReview{
		TypeMeta: admissionReviewType,
		Response: resp,
	})
}

var admissionReviewType = metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}
