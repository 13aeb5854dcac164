// Package catalog is the vocabulary the built-in rules' metadata is written in: the
// severities, categories, layers, NSA/CISA control names and references that several
// rule families share, the Pod Security Standards framework constructors, and the
// conventions of field paths and messages (IndexSuffix, QuoteList). Each family
// package under internal/checks aliases what it uses under short unexported names.
// A term only one family uses stays in that family.
package catalog

import (
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// Categories shared by several families.
const (
	CatSecurityContext = "security-context"
	CatHost            = "host-isolation"
	CatCapabilities    = "capabilities"
	CatVolumes         = "volumes"
)

// Layers: where a control applies.
const (
	LayerContainer = "container"
	LayerCluster   = "cluster"
)

// NSA/CISA Kubernetes Hardening Guide controls shared by several families.
const (
	NSANonRoot       = "Pod security: non-root containers"
	NSAImmutable     = "Pod security: immutable container file systems"
	NSAHardening     = "Pod security: hardening container environments"
	NSAPodSec        = "Pod security: pod security enforcement"
	NSASATokens      = "Pod security: protecting pod service account tokens"
	NSANetControl    = "Network separation and hardening: control plane hardening"
	NSANetEncryption = "Network separation and hardening: encryption"
)

// References shared by several families.
const (
	RefPSS     = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
	RefSC      = "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"
	RefSAAdmin = "https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/"
)

// Severities.
const (
	Low      = finding.Low
	Medium   = finding.Medium
	High     = finding.High
	Critical = finding.Critical
)

// Baseline tags a container rule with the Pod Security Standards baseline check it
// pinpoints (the rule runs only when that official check fails) and CIS controls.
func Baseline(check string, cis ...string) rules.Frameworks {
	return rules.Frameworks{PSS: "baseline", PSSCheck: check, CIS: cis, NSA: []string{NSAPodSec}, Layer: LayerContainer}
}

// Restricted is Baseline for a check of the restricted level.
func Restricted(check string, cis ...string) rules.Frameworks {
	return rules.Frameworks{PSS: "restricted", PSSCheck: check, CIS: cis, NSA: []string{NSAPodSec}, Layer: LayerContainer}
}
