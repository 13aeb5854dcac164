// Package rbac analyses Kubernetes RBAC authorization (and, through ExtraAuthorizer,
// ABAC): who can make a request, what a subject can do, and the chain binding -> role
// -> rule behind every answer. It is the engine of `palisade rbac`.
//
// # Model
//
// Build reads Roles, ClusterRoles, RoleBindings, ClusterRoleBindings, ServiceAccounts
// and every object that runs pods (internal/workload's kinds, configured custom kinds
// included). Rules, subjects and role references are read straight from the decoded
// bodies; malformed fields are Problems, never panics. Each workload records the
// service account its pods run as (serviceAccountName, else the deprecated
// serviceAccount, else "default") and whether they hold its token
// (automountServiceAccountToken of the pod, else of the ServiceAccount, else true; a
// projected serviceAccountToken volume always gives one).
//
// At Build time the model indexes bindings by user name (service accounts by their
// username system:serviceaccount:NS:NAME), by group and by role, and the rules of bound
// roles by each resource entry ("pods", "pods/log", "*", "*/scale") and non-resource
// URL, so that WhoCan looks at the few rules that can match instead of all of them.
//
// # Semantics
//
// They are those of the API server's RBAC authorizer (k8s.io/kubernetes
// plugin/pkg/auth/authorizer/rbac and pkg/apis/rbac/v1 evaluation helpers), written
// anew here:
//
//   - A rule matches a resource request when it lists the verb or "*", the API group or
//     "*", and the resource: "*" (every resource and subresource), the exact
//     RESOURCE or RESOURCE/SUBRESOURCE ("pods" does not cover "pods/status"), or
//     "*/SUBRESOURCE" (any resource's SUBRESOURCE). resourceNames restrict by name:
//     a request without a name (create, list, watch, deletecollection) never matches
//     a rule that lists names. nonResourceURLs match exactly, by "*", or by the prefix
//     before a trailing "*".
//   - A ClusterRoleBinding grants everywhere, including cluster-wide requests
//     (namespace ""); a RoleBinding only for requests in its own namespace. A
//     RoleBinding to a Role reads the Role of the binding's namespace. The authorizer
//     does not know resource scopes: a Role granting "nodes" allows a request for
//     nodes that carries its namespace (the API server never makes one).
//   - Subjects: a User matches the user name, a Group one of the user's groups, a
//     ServiceAccount the username system:serviceaccount:NS:NAME; a ServiceAccount
//     without namespace takes a RoleBinding's namespace and, in a ClusterRoleBinding,
//     matches nothing (the API server also refuses to store it). UserInfoFor adds the
//     groups the authenticator gives: system:serviceaccounts,
//     system:serviceaccounts:NS and system:authenticated for service accounts,
//     system:authenticated for users (system:unauthenticated for system:anonymous).
//     A group subject stands for any member: the groups all of them are in are added
//     (system:authenticated; system:serviceaccounts for system:serviceaccounts:NS).
//   - Members of system:masters are allowed everything before RBAC is asked.
//   - A binding whose role is missing (or whose roleRef kind is not Role or
//     ClusterRole, or a ClusterRoleBinding naming a Role) grants nothing and is a
//     Problem.
//   - Aggregation: a ClusterRole with an aggregationRule gets, as the
//     clusterrole-aggregation controller computes it, the de-duplicated union of the
//     rules of every other ClusterRole its selectors match (selectors in order, roles
//     by name), replacing its own rules; aggregated roles can be aggregated in turn,
//     so this is repeated to a fixpoint. Starting from empty rules gives the least
//     fixpoint, which is what the controller reaches from roles as written (only
//     cycles, which the controller resolves by event order, could differ). Each
//     aggregated rule keeps its Source: the role it was written in.
//   - With Options.Extra (ABAC) a request RBAC denies is asked there too, as with
//     --authorization-mode=RBAC,ABAC.
//
// # How this was verified
//
// Unit tests (model_test.go, aggregate_test.go, workloads_test.go) cover each point
// above and check that WhoCan agrees with Authorize on every case. server_test.go
// creates roles and bindings covering each point in a real kube-apiserver v1.37.2
// (internal/kubetest), reads them back through the live source with the server's
// bootstrap policy, and compares Authorize with SubjectAccessReview for 2,176
// requests (16 subjects, 20 resource requests in two namespaces and cluster-wide,
// with and without a name, and 16 non-resource requests): zero differences. It also
// checks that the server refuses a ClusterRoleBinding to a namespace-less service
// account. Aggregation cannot be compared that way (the test server runs no
// controller manager): its rules follow the controller's source
// (pkg/controller/clusterroleaggregation in k8s.io/kubernetes v1.37.2), read for this
// purpose. The large randomized differential test lives next to this file
// (*_diff_test.go). The risk analysis (risks.go) is checked against Authorize for
// every subject and class of generated RBAC (risks_ext_test.go).
package rbac
