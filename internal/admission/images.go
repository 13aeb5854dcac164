package admission

import (
	"context"
	"fmt"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	imagepolicyv1alpha1 "k8s.io/api/imagepolicy/v1alpha1"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/signature"
)

// ReviewImages decides an ImageReview of the ImagePolicyWebhook admission plugin:
// the images of a pod are judged by the image rules (allow-list, deprecated
// registries, tags and digests) with their configured actions; a deny finding
// refuses the pod. Namespace exemptions apply (an ImageReview names no user), and
// the review's annotations never exempt anything: the pod's author writes them.
//
// The review fails past MaxContainers images (a LimitError), and when ctx ends
// before it is decided.
func (e *Evaluator) ReviewImages(ctx context.Context, spec *imagepolicyv1alpha1.ImageReviewSpec) *Decision {
	d := &Decision{Kind: "ImageReview", Operation: "CREATE",
		Object: finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: spec.Namespace, Name: "(image review)"}}
	if n := len(spec.Containers); n > e.limits.MaxContainers {
		return d.fail(&LimitError{What: "images in the ImageReview", Got: n, Max: e.limits.MaxContainers, Flag: "max-containers"})
	}
	scope := requestScope{req: &admissionv1.AdmissionRequest{}, ns: spec.Namespace, kind: "Pod"}
	now := time.Now()
	if ex := e.exemptAll(scope, now); ex != nil && len(ex.Users)+len(ex.Groups)+len(ex.ServiceAccounts)+len(ex.Labels)+len(ex.NamespaceLabels)+len(ex.Names) == 0 {
		d.Allowed, d.Exempt = true, ex.describe()
		return d
	}
	containers := make([]any, len(spec.Containers))
	for i, c := range spec.Containers {
		containers[i] = map[string]any{"name": fmt.Sprintf("container-%d", i), "image": c.Image}
	}
	obj := &inventory.Object{
		Ref:    d.Object,
		Origin: finding.Location{File: Origin, Provenance: finding.FromAdmission},
		Body: map[string]any{
			"apiVersion": "v1", "kind": "Pod",
			"metadata": map[string]any{"name": d.Object.Name, "namespace": spec.Namespace},
			"spec":     map[string]any{"containers": containers},
		},
	}
	var refs []string
	for _, c := range spec.Containers {
		refs = append(refs, c.Image)
	}
	var trust map[string]*signature.Result
	if e.verifiesImages() {
		trust = e.verifyRefs(ctx, refs, nil)
		d.Images = imageVerdicts(trust)
	}
	fs, omitted, err := e.evaluate(ctx, e.images, e.imagesDecode, obj, spec.Namespace, nil, false, trust)
	if err != nil {
		return d.fail(err)
	}
	verdict := func(f finding.Finding, count int) {
		v := Verdict{Finding: f, Action: e.actions[f.RuleID], Count: count}
		// The synthetic container names mean nothing to the reader: name the image.
		v.Finding.Container = ""
		if f.Suppressed != nil {
			v.Action, v.Note = config.Ignore, "exempt by configuration: "+f.Suppressed.Reason
		} else if ex := e.exemptRule(scope, f.RuleID, now); ex != nil {
			v.Action, v.Note = config.Ignore, "exempt: "+ex.Reason
		}
		d.Verdicts = append(d.Verdicts, v)
	}
	for _, f := range fs {
		verdict(f, 1)
	}
	for _, o := range omitted {
		verdict(o.Finding, o.Count)
	}
	d.settle(e.limits.MaxListed)
	return d
}

// ImageReviewStatus is the answer to an ImageReview.
func (d *Decision) ImageReviewStatus() imagepolicyv1alpha1.ImageReviewStatus {
	st := imagepolicyv1alpha1.ImageReviewStatus{Allowed: d.Allowed}
	if !d.Allowed {
		st.Reason = strings.ReplaceAll(d.Message, "container \"container-", "container \"#")
	}
	return st
}
