package webhook

import (
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	authzwebhook "k8s.io/apiserver/plugin/pkg/authorizer/webhook"
	authzmetrics "k8s.io/apiserver/plugin/pkg/authorizer/webhook/metrics"
	"k8s.io/client-go/kubernetes"
)

// DefaultAuthorizerTTL is how long NewSARAuthorizer believes an answer.
const DefaultAuthorizerTTL = 10 * time.Second

// NewSARAuthorizer answers the CEL authorizer library of ValidatingAdmissionPolicies
// (authorizer.group(...).resource(...).check(verb)) with SubjectAccessReviews to the
// API server: k8s.io/apiserver's webhook authorizer (the API server's own
// SubjectAccessReview client), over client. Answers, allowed or not, are cached for
// ttl (at most 8,192 of them, least recently used dropped first); a failed review
// is an error of the check, never an allow. Each check not in the cache is one
// request to the API server within the review's deadline, retried at most once.
func NewSARAuthorizer(client kubernetes.Interface, ttl time.Duration) (authorizer.Authorizer, error) {
	if ttl <= 0 {
		ttl = DefaultAuthorizerTTL
	}
	backoff := wait.Backoff{Duration: 50 * time.Millisecond, Factor: 2, Steps: 2}
	return authzwebhook.NewFromInterface(client.AuthorizationV1(), ttl, ttl, backoff, authorizer.DecisionNoOpinion,
		authzmetrics.NoopAuthorizerMetrics{}, nil)
}
