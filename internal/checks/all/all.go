// Package all registers every built-in rule: import it for its side effect, as the
// scanner, the admission evaluator and the tests that need the whole registry do.
// A new rule family is one more import here; TestEveryFamilyImported fails until it
// is. The built-in rules live under internal/checks, one package per rule family, by
// rule ID range:
//
//	podsecurity   PAL-0xx  container and pod security settings (Pod Security Standards)
//	images        PAL-1xx  image references and pull policy
//	resources     PAL-2xx  requests, limits, LimitRanges and ResourceQuotas
//	identity      PAL-3xx  RBAC roles, bindings and risks; service accounts (PAL-35x)
//	network       PAL-4xx  Services, Ingresses, NetworkPolicies
//	credentials   PAL-5xx  hardcoded secrets and Secret usage
//	namespaces    PAL-6xx  namespaces and their Pod Security admission labels
//	controlplane  PAL-7xx  control plane static pods and their configuration files
//	nodes         PAL-730..PAL-780  node facts: kubelet, kube-proxy, node files (CIS 1.1, 4)
//	admissionpolicy PAL-8xx what the cluster's ValidatingAdmissionPolicies would do (PerRun)
//	auditrules    PAL-9xx  audit-log detections (audit.Register; rules.Audit target)
//
// internal/checks itself holds no Go code, so an import of it cannot compile and
// silently register nothing. Within a family, each file holds one rule or a few
// related ones (a file per control, or per group of controls sharing one analysis,
// such as the RBAC permission classes), opens with why the controls exist, and declares each rule as metadata plus a pure function,
// registered at init. Rules tagged with a Pod Security Standards check run only when
// the official check fails, and then point at the offending fields.
//
// Package catalog holds the vocabulary several families share (severities,
// categories, layers, NSA/CISA controls, references, the PSS framework constructors);
// each family's vocabulary.go aliases what it uses under short unexported names.
// Package checktest runs each rule's YAML fixtures (testdata/PAL-xxx) and the
// families' case tables through the whole scan pipeline.
package all

import (
	_ "github.com/palisade-k8s/palisade/internal/checks/admissionpolicy" // PAL-8xx
	_ "github.com/palisade-k8s/palisade/internal/checks/attackpaths"     // PAL-47x
	_ "github.com/palisade-k8s/palisade/internal/checks/auditrules"      // PAL-9xx
	_ "github.com/palisade-k8s/palisade/internal/checks/controlplane"    // PAL-7xx
	_ "github.com/palisade-k8s/palisade/internal/checks/credentials"     // PAL-5xx
	_ "github.com/palisade-k8s/palisade/internal/checks/identity"        // PAL-3xx
	_ "github.com/palisade-k8s/palisade/internal/checks/images"          // PAL-1xx
	_ "github.com/palisade-k8s/palisade/internal/checks/namespaces"      // PAL-6xx
	_ "github.com/palisade-k8s/palisade/internal/checks/network"         // PAL-4xx
	_ "github.com/palisade-k8s/palisade/internal/checks/nodes"           // PAL-73x..PAL-78x
	_ "github.com/palisade-k8s/palisade/internal/checks/podsecurity"     // PAL-0xx
	_ "github.com/palisade-k8s/palisade/internal/checks/resources"       // PAL-2xx
)
