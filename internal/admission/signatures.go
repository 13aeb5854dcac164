package admission

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/signature"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// Image signatures at admission. When the configuration has an images.verify policy,
// a review of a pod, of a kind that runs pods (a Deployment, a CronJob...), or an
// ImageReview verifies every image of the pod template before the rules run:
// Inventory.ImageTrust holds each reference's verdict, which PAL-115 (not signed by
// a trusted identity) and PAL-116 (signatures could not be checked) report, with
// their actions from webhook.actions like every rule. A tag is resolved to its
// digest through the registry, and the digest is what is verified (and what the
// kubelet should pull: pin it). Verdicts are cached by digest and policy generation
// (signature.Cache), so a digest seen once costs no registry request for the next
// pod; concurrent reviews of one digest wait for one verification.
//
// The verification of a review's images has its own deadline (Signatures.Deadline,
// webhook serve --image-deadline), below the review's: an image not verified in
// time is Unchecked, a PAL-116 finding, and its verification goes on in the
// background so that the retried request finds the verdict. What PAL-116 does is
// configurable as for any rule: deny by default (its severity), or
// webhook.actions.rules: {PAL-116: audit} to admit and audit when the registry
// cannot be reached.

// trustRules are the rules that read Inventory.ImageTrust: a review verifies
// signatures only when one of them runs.
var trustRules = []string{"PAL-115", "PAL-116"}

// ImageVerifier judges the signatures of a review's images.
type ImageVerifier interface {
	// VerifyImages returns a verdict for each reference (Unchecked when it could
	// not be checked before ctx ended).
	VerifyImages(ctx context.Context, refs []string) map[string]*signature.Result
}

// Signatures is the ImageVerifier of the webhook: a compiled policy (a
// signature.Verifier) and a store of signatures (the registries), through a cache
// shared by every review and kept across configuration reloads.
type Signatures struct {
	Checker signature.Checker
	Store   signature.Store
	// Cache, if set, serves and keeps verdicts.
	Cache *signature.Cache
	// Deadline bounds the verification of one review's images (none: the review's
	// own deadline).
	Deadline time.Duration
	// Parallel bounds the images of one review verified at once (4 by default).
	Parallel int
}

// VerifyImages verifies each distinct reference, Parallel at a time, within
// Deadline.
func (s *Signatures) VerifyImages(ctx context.Context, refs []string) map[string]*signature.Result {
	if s.Deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, s.Deadline, fmt.Errorf("image verification deadline (%v) passed", s.Deadline))
		defer cancel()
	}
	par := s.Parallel
	if par <= 0 {
		par = 4
	}
	var distinct []string
	seen := make(map[string]bool, len(refs))
	for _, ref := range refs {
		if !seen[ref] {
			seen[ref] = true
			distinct = append(distinct, ref)
		}
	}
	results := make([]*signature.Result, len(distinct))
	var wg sync.WaitGroup
	slots := make(chan struct{}, par)
	for i, ref := range distinct {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case slots <- struct{}{}:
			default:
				select {
				case slots <- struct{}{}:
				case <-ctx.Done():
					results[i] = &signature.Result{Ref: ref, Unchecked: &signature.Failure{Reason: signature.Unreachable,
						Detail: fmt.Sprintf("not verified in time (%v)", context.Cause(ctx))}}
					return
				}
			}
			// A free slot is taken even past the deadline: the cache may hold the
			// verdict, or start the verification for the next review.
			results[i] = s.verify(ctx, ref)
			<-slots
		}()
	}
	wg.Wait()
	out := make(map[string]*signature.Result, len(distinct))
	for i, ref := range distinct {
		out[ref] = results[i]
	}
	return out
}

func (s *Signatures) verify(ctx context.Context, ref string) *signature.Result {
	if s.Cache != nil {
		return s.Cache.Verify(ctx, s.Checker, s.Store, ref)
	}
	if r := s.Checker.Verify(ctx, s.Store, ref, ""); r != nil {
		return r
	}
	return &signature.Result{Ref: ref, Unchecked: &signature.Failure{Reason: signature.Unreachable, Detail: "internal error: no result"}}
}

// verifiesImages reports whether reviews verify image signatures: a verifier is set
// and a rule that reads the verdicts runs.
func (e *Evaluator) verifiesImages() bool {
	if e.signatures == nil {
		return false
	}
	for _, id := range trustRules {
		if e.rules[id] != nil {
			return true
		}
	}
	return false
}

// imageTrust verifies the images of obj's pod template (none if its kind runs no
// pods), adding to trust (made when nil) the references it does not hold yet.
func (e *Evaluator) imageTrust(ctx context.Context, obj *inventory.Object, trust map[string]*signature.Result) map[string]*signature.Result {
	if !e.verifiesImages() || obj == nil || obj.Body == nil {
		return trust
	}
	tp, ok := e.finder.Lookup(obj.Ref.APIVersion, obj.Ref.Kind)
	if !ok {
		return trust
	}
	return e.verifyRefs(ctx, templateImages(obj.Body, tp), trust)
}

// verifyRefs verifies the references trust does not hold yet.
func (e *Evaluator) verifyRefs(ctx context.Context, refs []string, trust map[string]*signature.Result) map[string]*signature.Result {
	var todo []string
	for _, r := range refs {
		if _, ok := trust[r]; !ok {
			todo = append(todo, r)
		}
	}
	if len(todo) == 0 {
		return trust
	}
	if trust == nil {
		trust = make(map[string]*signature.Result, len(todo))
	}
	for ref, r := range e.signatures.VerifyImages(ctx, todo) {
		trust[ref] = r
	}
	return trust
}

// templateImages lists the distinct images of the containers (init, regular,
// ephemeral) of the pod template at tp in body, in order. Anything that is not where
// a pod template keeps it is skipped: checkTemplate has already refused it.
func templateImages(body map[string]any, tp workload.TemplatePath) []string {
	at := strings.Split(tp.Path, ".")
	if !tp.PodSpec {
		at = append(at, "spec")
	}
	cur := body
	for _, part := range at {
		m, ok := cur[part].(map[string]any)
		if !ok {
			return nil
		}
		cur = m
	}
	var out []string
	seen := map[string]bool{}
	for _, k := range []string{"initContainers", "containers", "ephemeralContainers"} {
		l, _ := cur[k].([]any)
		for _, c := range l {
			m, _ := c.(map[string]any)
			if img, _ := m["image"].(string); img != "" && !seen[img] {
				seen[img] = true
				out = append(out, img)
			}
		}
	}
	return out
}

// ImageVerdict is the signature verdict of one image of a review, for the decision
// log.
type ImageVerdict struct {
	Image, Digest string
	// Verdict is "verified", "allowed" (no requirement matched, the default
	// admits), "refused" or "unchecked".
	Verdict string
	// Reason is the first reason of a refusal or of an unchecked image.
	Reason signature.Reason `json:",omitempty"`
}

// imageVerdicts summarises trust for the decision log, sorted by image.
func imageVerdicts(trust map[string]*signature.Result) []ImageVerdict {
	if len(trust) == 0 {
		return nil
	}
	out := make([]ImageVerdict, 0, len(trust))
	for ref, r := range trust {
		if r == nil {
			continue
		}
		v := ImageVerdict{Image: ref, Digest: r.Digest}
		switch {
		case r.Unchecked != nil:
			v.Verdict, v.Reason = "unchecked", r.Unchecked.Reason
		case r.Allowed && r.Defaulted:
			v.Verdict = "allowed"
		case r.Allowed:
			v.Verdict = "verified"
		default:
			v.Verdict, v.Reason = "refused", FirstReason(r)
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Image < out[j].Image })
	return out
}

// FirstReason is the reason a result refuses its image: that of its unchecked
// failure, or the first failure of the first requirement that failed
// (signature.NotMatched for a refusal by the policy's default); "" when it admits.
func FirstReason(r *signature.Result) signature.Reason {
	switch {
	case r.Unchecked != nil:
		return r.Unchecked.Reason
	case r.Allowed:
		return ""
	case r.Defaulted:
		return signature.NotMatched
	}
	for _, rr := range r.Requirements {
		if !rr.OK && len(rr.Failures) > 0 {
			return rr.Failures[0].Reason
		}
	}
	return signature.NoSignature
}
