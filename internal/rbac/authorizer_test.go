package rbac

import (
	"context"
	"testing"

	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// TestAuthorizer holds the API server's interface to the model's answers: an allowed
// request is DecisionAllow with RBAC's empty reason, anything else NoOpinion.
func TestAuthorizer(t *testing.T) {
	m, _ := build(t,
		nsRole("team", "deployer", "- apiGroups: [apps]\n  resources: [deployments]\n  verbs: [create]\n"),
		bind("team", "deployer", "Role", "deployer", "User:alice"),
		clusterRole("metrics", "- nonResourceURLs: [/metrics]\n  verbs: [get]\n"),
		bind("", "metrics", "ClusterRole", "metrics", "Group:ops"))
	az := m.Authorizer()
	alice := &user.DefaultInfo{Name: "alice"}
	bob := &user.DefaultInfo{Name: "bob", Groups: []string{"ops"}}
	for _, c := range []struct {
		name  string
		attrs authorizer.AttributesRecord
		want  authorizer.Decision
	}{
		{"allowed in the namespace", authorizer.AttributesRecord{User: alice, Verb: "create", APIGroup: "apps", Resource: "deployments", Namespace: "team", ResourceRequest: true}, authorizer.DecisionAllow},
		{"other namespace", authorizer.AttributesRecord{User: alice, Verb: "create", APIGroup: "apps", Resource: "deployments", Namespace: "prod", ResourceRequest: true}, authorizer.DecisionNoOpinion},
		{"other verb", authorizer.AttributesRecord{User: alice, Verb: "delete", APIGroup: "apps", Resource: "deployments", Namespace: "team", ResourceRequest: true}, authorizer.DecisionNoOpinion},
		{"group, non-resource", authorizer.AttributesRecord{User: bob, Verb: "get", Path: "/metrics"}, authorizer.DecisionAllow},
		{"masters", authorizer.AttributesRecord{User: &user.DefaultInfo{Name: "x", Groups: []string{"system:masters"}}, Verb: "delete", Resource: "nodes", ResourceRequest: true}, authorizer.DecisionAllow},
		{"no user", authorizer.AttributesRecord{Verb: "get", Path: "/metrics"}, authorizer.DecisionNoOpinion},
	} {
		d, reason, err := az.Authorize(context.Background(), c.attrs)
		if err != nil || d != c.want || reason != "" {
			t.Errorf("%s: got %v %q %v, want %v", c.name, d, reason, err, c.want)
		}
	}
}
