package rbac

import (
	"context"

	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// Authorizer returns the model as the API server's authorizer interface
// (k8s.io/apiserver/pkg/authorization/authorizer), for code that asks questions the
// API server's way: the CEL authorizer library of ValidatingAdmissionPolicies
// (internal/vap). It answers as the API server's authorizer chain with RBAC (and the
// model's extra authorizer, if any): DecisionAllow with an empty reason when a rule
// allows the request (as the RBAC authorizer words it), DecisionNoOpinion otherwise,
// which the API server's union authorizer turns into a denial. It never errs.
func (m *Model) Authorizer() authorizer.Authorizer { return authorizer.AuthorizerFunc(m.authorize) }

func (m *Model) authorize(_ context.Context, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	var u UserInfo
	if usr := attrs.GetUser(); usr != nil {
		u = UserInfo{Name: usr.GetName(), Groups: usr.GetGroups()}
	}
	d := m.Authorize(Attributes{
		User: u, Verb: attrs.GetVerb(), ResourceRequest: attrs.IsResourceRequest(),
		APIGroup: attrs.GetAPIGroup(), Resource: attrs.GetResource(), Subresource: attrs.GetSubresource(),
		Namespace: attrs.GetNamespace(), Name: attrs.GetName(), Path: attrs.GetPath(),
	})
	if d.Allowed {
		return authorizer.DecisionAllow, "", nil
	}
	return authorizer.DecisionNoOpinion, "", nil
}
