package rbac_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/palisade-k8s/palisade/internal/kubetest"
	"github.com/palisade-k8s/palisade/internal/rbac"
)

// sarResult is the API server's answer to one SubjectAccessReview.
type sarResult struct {
	Allowed bool
	Reason  string
}

// sarFor turns request attributes into a SubjectAccessReview: the user and groups
// exactly as given (the API server adds no implicit group to a review).
func sarFor(a rbac.Attributes) *authorizationv1.SubjectAccessReview {
	spec := authorizationv1.SubjectAccessReviewSpec{User: a.User.Name, Groups: a.User.Groups}
	if a.ResourceRequest {
		spec.ResourceAttributes = &authorizationv1.ResourceAttributes{
			Namespace: a.Namespace, Verb: a.Verb, Group: a.APIGroup, Version: "*",
			Resource: a.Resource, Subresource: a.Subresource, Name: a.Name,
		}
	} else {
		spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Path: a.Path, Verb: a.Verb}
	}
	return &authorizationv1.SubjectAccessReview{Spec: spec}
}

// fastClient is an admin client without the harness's client-side rate limit
// (100 requests per second), which would dominate a differential test.
func fastClient(t testing.TB, c *kubetest.Cluster) kubernetes.Interface {
	t.Helper()
	cfg := c.Config()
	cfg.QPS, cfg.Burst = -1, 0 // no client-side limit
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// reviewAll asks the API server about every request, workers at a time, and returns
// the answers in order.
func reviewAll(ctx context.Context, client kubernetes.Interface, reqs []rbac.Attributes, workers int) ([]sarResult, error) {
	out := make([]sarResult, len(reqs))
	errs := make([]error, len(reqs))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if ctx.Err() != nil {
					errs[i] = ctx.Err()
					continue
				}
				r, err := client.AuthorizationV1().SubjectAccessReviews().Create(ctx, sarFor(reqs[i]), metav1.CreateOptions{})
				if err != nil {
					errs[i] = fmt.Errorf("SubjectAccessReview %s: %w", describe(reqs[i]), err)
					continue
				}
				reason := r.Status.Reason
				if r.Status.EvaluationError != "" {
					reason += " (evaluation error: " + r.Status.EvaluationError + ")"
				}
				out[i] = sarResult{Allowed: r.Status.Allowed, Reason: reason}
			}
		}()
	}
	for i := range reqs {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// describe writes a request like a one-line SubjectAccessReview.
func describe(a rbac.Attributes) string {
	who := fmt.Sprintf("user=%q groups=%q", a.User.Name, a.User.Groups)
	if !a.ResourceRequest {
		return fmt.Sprintf("%s %s %s", who, a.Verb, a.Path)
	}
	r := a.Resource
	if a.Subresource != "" {
		r += "/" + a.Subresource
	}
	if a.APIGroup != "" {
		r += "." + a.APIGroup
	}
	return fmt.Sprintf("%s %s %s name=%q namespace=%q", who, a.Verb, r, a.Name, a.Namespace)
}
