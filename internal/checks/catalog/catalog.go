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

// SensitiveHostPaths are the host directories whose mount exposes node credentials,
// kubelet state or kernel interfaces (the default of PAL-022, and of the audit
// detection PAL-906). A mount of one of them, of anything inside it or of an
// ancestor matches ("/" matches only itself).
var SensitiveHostPaths = []string{
	"/", "/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/home", "/lib/modules",
	"/usr", "/bin", "/sbin", "/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd",
	"/var/lib/etcd", "/etc/kubernetes", "/var/run", "/run", "/var/log",
}

// RuntimeSockets are the container runtimes' sockets and state directories (the
// default of PAL-023, and of PAL-906).
var RuntimeSockets = []string{
	"/var/run/docker.sock", "/run/docker.sock", "/var/run/docker",
	"/var/run/containerd/containerd.sock", "/run/containerd/containerd.sock", "/run/containerd", "/var/run/containerd",
	"/var/run/crio/crio.sock", "/run/crio/crio.sock", "/var/run/crio", "/run/crio",
	"/var/run/cri-dockerd.sock", "/run/cri-dockerd.sock",
	"/run/k3s/containerd/containerd.sock", "/var/run/podman/podman.sock", "/run/podman/podman.sock",
}
