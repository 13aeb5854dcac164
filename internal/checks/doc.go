// Package checks is the home of Palisade's built-in rules, one package per rule
// family, by rule ID range:
//
//	podsecurity   PAL-0xx  container and pod security settings (Pod Security Standards)
//	images        PAL-1xx  image references and pull policy
//	resources     PAL-2xx  requests, limits, LimitRanges and ResourceQuotas
//	identity      PAL-3xx  RBAC roles, bindings and risks; service accounts (PAL-35x)
//	network       PAL-4xx  Services, Ingresses, NetworkPolicies
//	credentials   PAL-5xx  hardcoded secrets and Secret usage
//	namespaces    PAL-6xx  namespaces and their Pod Security admission labels
//	controlplane  PAL-7xx  control plane static pods and their configuration files
//
// Package all imports every family for its side effect; importers of the rules
// (scan, admission, tests needing the whole registry) import checks/all. Within a
// family, each file holds one rule or a few related ones (a file per control, or per
// group of controls sharing one analysis, such as the RBAC permission classes), opens
// with why the controls exist, and declares each rule as metadata plus a pure function,
// registered at init. Rules tagged with a Pod Security Standards check run only when
// the official check fails, and then point at the offending fields.
//
// Package catalog holds the vocabulary several families share (severities,
// categories, layers, NSA/CISA controls, references, the PSS framework constructors);
// each family's vocabulary.go aliases what it uses under short unexported names.
// Package checktest runs manifests through the whole pipeline for the families' tests.
package checks
