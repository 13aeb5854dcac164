// Package leastpriv derives least privilege from evidence: from the allowed
// requests of an audit log, the permissions each user and service account actually
// used over the window, compared with what the RBAC model grants them; the grants
// never used are findings, and the minimal Roles, ClusterRoles and bindings that
// cover what was used are written as YAML ready to apply.
package leastpriv
