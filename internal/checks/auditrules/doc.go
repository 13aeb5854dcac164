// Package auditrules holds the audit-log detections (PAL-9xx): rules whose logic is
// an audit.Detector, judging the events of `palisade audit` and of the webhook's
// /audit endpoint. Each maps to the MITRE ATT&CK techniques (Containers matrix) it
// detects; docs/audit-detections.md, generated from peers.go, maps them to Falco's
// k8saudit rules and Sigma's Kubernetes audit rules, rule by rule.
//
// ID ranges:
//
//	PAL-900..919  acts on workloads and objects (exec, attach, port-forward,
//	              ephemeral containers, risky pods, objects in kube-system, RBAC
//	              objects, admission webhooks, CSRs, events deleted, ...)
//	PAL-920..949  identities and behaviour (anonymous, system:masters,
//	              impersonation, token requests, secrets read by unusual readers,
//	              forbidden bursts, chains across events, new source addresses)
//	PAL-950..959  least privilege from evidence (palisade audit rbac)
//	PAL-960..969  audit Policy coverage (detections the policy leaves blind)
package auditrules
