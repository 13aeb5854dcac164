package rbac

import (
	"errors"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// Attributes mirror the authorizer's request attributes (k8s.io/apiserver
// authorizer.Attributes).
type Attributes struct {
	User            UserInfo `json:"user,omitzero"`
	Verb            string   `json:"verb"`
	ResourceRequest bool     `json:"resourceRequest"`
	APIGroup        string   `json:"apiGroup,omitempty"`
	Resource        string   `json:"resource,omitempty"`
	Subresource     string   `json:"subresource,omitempty"`
	// Namespace "" is a cluster-wide request: only ClusterRoleBindings apply.
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	// Path is the URL of a non-resource request.
	Path string `json:"path,omitempty"`
}

// Ref names a Role, ClusterRole or binding and where it was written.
type Ref struct {
	Kind      string           `json:"kind"`
	Namespace string           `json:"namespace,omitempty"`
	Name      string           `json:"name"`
	Location  finding.Location `json:"location"`
}

// String is KIND/NAME or KIND/NAMESPACE/NAME.
func (r Ref) String() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// Grant is one link of a chain: subject -> binding -> role -> rule.
type Grant struct {
	// Subject is as written in the binding (a service account without namespace in a
	// RoleBinding gets the binding's namespace).
	Subject Subject `json:"subject"`
	Binding Ref     `json:"binding"`
	// Role is the role the binding references.
	Role Ref `json:"role"`
	// Source is the role whose rule it is: Role itself, or, through aggregation, the
	// ClusterRole the rule was aggregated from.
	Source    Ref               `json:"source"`
	RuleIndex int               `json:"ruleIndex"`
	Rule      rbacv1.PolicyRule `json:"rule"`
	// Namespace is "" for a cluster-wide grant (ClusterRoleBinding), else the
	// RoleBinding's namespace.
	Namespace string `json:"namespace,omitempty"`
	// Default is set when the binding belongs to the bootstrap policy (labelled
	// kubernetes.io/bootstrapping=rbac-defaults): Kubernetes' own grants.
	Default bool `json:"default,omitempty"`
	// SubjectIndex is the subject's position in the binding's subjects list.
	SubjectIndex int `json:"subjectIndex"`
}

// Decision is the authorizer's answer to one request.
type Decision struct {
	Allowed bool `json:"allowed"`
	// Reason is human text: "system:masters bypasses RBAC", "no RBAC rule allows it".
	Reason string `json:"reason"`
	// Grants are every grant that allows the request.
	Grants []Grant `json:"grants,omitempty"`
}

// ExtraAuthorizer is an authorizer that runs next to RBAC (the union, as with
// --authorization-mode=RBAC,ABAC): an ABAC policy file.
type ExtraAuthorizer interface {
	// Authorize says whether the authorizer allows the request, and why.
	Authorize(Attributes) (bool, string)
	// WhoCan lists the subjects the authorizer allows the request (a.User ignored).
	WhoCan(Attributes) []Answer
}

// Options say what goes into the model besides the input objects.
type Options struct {
	// IncludeDefaults adds the bootstrap ClusterRoles and ClusterRoleBindings of
	// KubeVersion (registered with RegisterDefaults by internal/rbac/bootstrap).
	IncludeDefaults bool
	// KubeVersion picks the bootstrap policy ("" = newest embedded).
	KubeVersion string
	// Extra is an authorizer consulted after RBAC (ABAC), or nil.
	Extra ExtraAuthorizer
	// Finder recognises the objects that run pods (nil: the built-in kinds).
	Finder *workload.Finder
}

// Problem is something in the input that makes part of it grant nothing.
type Problem struct {
	Ref     Ref    `json:"ref"`
	Message string `json:"message"`
}

func (p Problem) String() string { return p.Ref.String() + ": " + p.Message }

// Answer is one subject a who-can query allows, with every grant that allows it and
// the workloads whose pods run as it.
type Answer struct {
	Subject Subject `json:"subject"`
	// Grants are the chains that allow the request (none when Reason says why instead).
	Grants []Grant `json:"grants,omitempty"`
	// Reason explains an answer that no binding grants ("system:masters bypasses
	// RBAC", an ABAC policy line).
	Reason string `json:"reason,omitempty"`
	// Workloads run pods as the subject (for a service account) or as members of it
	// (for system:serviceaccounts:NS and the like).
	Workloads []WorkloadRef `json:"workloads,omitempty"`
}

// WorkloadRef is an object that runs pods as a service account.
type WorkloadRef struct {
	Kind      string           `json:"kind"`
	Namespace string           `json:"namespace"`
	Name      string           `json:"name"`
	Location  finding.Location `json:"location"`
	// ServiceAccount is the account the pods run as.
	ServiceAccount string `json:"serviceAccount"`
	// Token is false when the pods get no API token (automountServiceAccountToken
	// false on the pod, or on the service account and not overridden by the pod, and
	// no projected token volume): they cannot act as the account.
	Token bool `json:"token"`
}

// EffectiveRule is one rule a user holds in a namespace, with the grant it comes from.
type EffectiveRule struct {
	Rule  rbacv1.PolicyRule `json:"rule"`
	Grant Grant             `json:"grant"`
}

var defaultsFunc func(kubeVersion string) ([]*inventory.Object, error)

// RegisterDefaults installs the source of the bootstrap policy (internal/rbac/bootstrap
// calls it from init): the ClusterRoles and ClusterRoleBindings the API server creates,
// for a Kubernetes version.
func RegisterDefaults(f func(kubeVersion string) ([]*inventory.Object, error)) { defaultsFunc = f }

var abacLoader func(path string) (ExtraAuthorizer, error)

// RegisterABAC installs the reader of ABAC policy files (abac.go calls it from init).
func RegisterABAC(f func(path string) (ExtraAuthorizer, error)) { abacLoader = f }

// LoadABACFile reads an ABAC policy file (one JSON policy per line) as an authorizer
// for Options.Extra.
func LoadABACFile(path string) (ExtraAuthorizer, error) {
	if abacLoader == nil {
		return nil, errors.New("ABAC policy files are not supported by this build")
	}
	return abacLoader(path)
}

// The label that marks the objects of the bootstrap policy, and its value.
const (
	LabelBootstrapping         = "kubernetes.io/bootstrapping"
	LabelBootstrappingDefaults = "rbac-defaults"
)
