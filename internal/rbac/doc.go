// Package rbac analyses Kubernetes RBAC authorization (and, through ExtraAuthorizer,
// ABAC): who can do what, the effective rules of a subject, and the chain of binding
// and role behind every answer, with the same semantics as the API server's RBAC
// authorizer.
package rbac
