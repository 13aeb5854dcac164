package rbac

import (
	"github.com/palisade-k8s/palisade/internal/inventory"
)

// Model is the authorization state of a set of RBAC objects, indexed for queries.
type Model struct {
}

// Build reads Roles, ClusterRoles, their bindings, ServiceAccounts and the objects
// that run pods. Problems are parts of the input that grant nothing (a binding to a
// missing role); err is set only when the options cannot be honoured.
func Build(objs []*inventory.Object, opts Options) (*Model, []Problem, error) {
	return &Model{}, nil, nil
}

// Authorize answers a request as the API server's authorizers do.
func (m *Model) Authorize(a Attributes) Decision { return Decision{} }

// WhoCan lists every subject allowed the request (a.User is ignored).
func (m *Model) WhoCan(a Attributes) []Answer { return nil }

// RulesFor lists the rules a user holds in a namespace (cluster-wide ones included),
// like SelfSubjectRulesReview and kubectl auth can-i --list.
func (m *Model) RulesFor(u UserInfo, namespace string) []EffectiveRule { return nil }

// Grants lists every flattened grant.
func (m *Model) Grants() []Grant { return nil }

// WorkloadsOf lists the workloads whose pods run as a service account.
func (m *Model) WorkloadsOf(sa Subject) []WorkloadRef { return nil }

// Subjects lists every subject some binding names.
func (m *Model) Subjects() []Subject { return nil }
