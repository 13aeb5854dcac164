package webhook

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// sarServer is a fake API server on loopback answering SubjectAccessReviews: alice
// may create deployments, nobody else anything; it counts the reviews.
func sarServer(t *testing.T) (*httptest.Server, *atomic.Int64, *atomic.Value) {
	t.Helper()
	var n atomic.Int64
	var last atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/apis/authorization.k8s.io/v1/subjectaccessreviews" {
			http.NotFound(w, r)
			return
		}
		n.Add(1)
		var sar authorizationv1.SubjectAccessReview
		if err := json.NewDecoder(r.Body).Decode(&sar); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		last.Store(sar.Spec)
		ra := sar.Spec.ResourceAttributes
		sar.Status.Allowed = sar.Spec.User == "alice" && ra != nil && ra.Verb == "create" && ra.Group == "apps" && ra.Resource == "deployments"
		if !sar.Status.Allowed {
			sar.Status.Reason = "no RBAC rule"
		}
		sar.APIVersion, sar.Kind = "authorization.k8s.io/v1", "SubjectAccessReview"
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(&sar)
	}))
	t.Cleanup(srv.Close)
	return srv, &n, &last
}

// TestSARAuthorizer: checks are SubjectAccessReviews with the user's name, groups,
// UID and extra, answered from a cache the second time.
func TestSARAuthorizer(t *testing.T) {
	srv, n, last := sarServer(t)
	client, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewSARAuthorizer(client, 0)
	if err != nil {
		t.Fatal(err)
	}
	alice := &user.DefaultInfo{Name: "alice", UID: "u1", Groups: []string{"dev"}, Extra: map[string][]string{"scopes": {"x"}}}
	attrs := authorizer.AttributesRecord{User: alice, Verb: "create", APIGroup: "apps", Resource: "deployments", Namespace: "team", ResourceRequest: true}
	for i := 0; i < 2; i++ {
		d, _, err := a.Authorize(context.Background(), attrs)
		if err != nil || d != authorizer.DecisionAllow {
			t.Fatalf("alice: %v, %v", d, err)
		}
	}
	if n.Load() != 1 {
		t.Errorf("%d reviews for one check asked twice, want 1 (cached)", n.Load())
	}
	spec := last.Load().(authorizationv1.SubjectAccessReviewSpec)
	if spec.User != "alice" || spec.UID != "u1" || len(spec.Groups) != 1 || len(spec.Extra["scopes"]) != 1 || spec.ResourceAttributes.Namespace != "team" {
		t.Errorf("review spec %+v", spec)
	}
	attrs.User = &user.DefaultInfo{Name: "bob"}
	if d, reason, err := a.Authorize(context.Background(), attrs); err != nil || d == authorizer.DecisionAllow || reason != "no RBAC rule" {
		t.Errorf("bob: %v %q %v", d, reason, err)
	}
	// A failing API server is an error, never an allow.
	srv.Close()
	attrs.User = &user.DefaultInfo{Name: "carol"}
	if d, _, err := a.Authorize(context.Background(), attrs); err == nil || d == authorizer.DecisionAllow {
		t.Errorf("server down: %v %v", d, err)
	}
}
