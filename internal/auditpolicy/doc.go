// Package auditpolicy judges an audit Policy (audit.k8s.io/v1, the file of
// kube-apiserver's --audit-policy-file) against the detections of internal/audit:
// which detections it leaves blind (the events they need dropped by a None rule,
// logged at too low a level or at an omitted stage), and what it leaks (Secrets
// logged with their bodies). The policy is evaluated with the API server's own rule
// evaluator (k8s.io/apiserver/pkg/audit/policy), so a rule matches exactly the
// requests it matches in the API server.
package auditpolicy
