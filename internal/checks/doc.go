// Package checks holds Palisade's built-in rules, one file per rule. Each file opens
// with why the control exists; each rule is metadata plus a pure function over the
// workload view, registered at init. Rules tagged with a Pod Security Standards check
// run only when the official check fails, and then point at the offending fields.
package checks

import (
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

const (
	catSecurityContext = "security-context"
	catHost            = "host-isolation"
	catCapabilities    = "capabilities"
	catVolumes         = "volumes"

	layerContainer = "container"
	layerCluster   = "cluster"

	nsaNonRoot   = "Pod security: non-root containers"
	nsaImmutable = "Pod security: immutable container file systems"
	nsaHardening = "Pod security: hardening container environments"
	nsaPodSec    = "Pod security: pod security enforcement"

	refPSS = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
	refSC  = "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"
)

// Severities, shortened for the rule tables below.
const (
	low      = finding.Low
	medium   = finding.Medium
	high     = finding.High
	critical = finding.Critical
)

func baseline(check string, cis ...string) rules.Frameworks {
	return rules.Frameworks{PSS: "baseline", PSSCheck: check, CIS: cis, NSA: []string{nsaPodSec}, Layer: layerContainer}
}

func restricted(check string, cis ...string) rules.Frameworks {
	return rules.Frameworks{PSS: "restricted", PSSCheck: check, CIS: cis, NSA: []string{nsaPodSec}, Layer: layerContainer}
}
