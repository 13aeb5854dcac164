// Package apidefaults holds the API server's scheme defaults for the parts of a pod
// that two packages apply: internal/workload (the pod a rule judges, with where each
// default came from) and internal/vap (the object validating admission sees). One
// copy, so the two cannot drift; each is a SetDefaults_* function of
// k8s.io/kubernetes/pkg/apis/core/v1, which is not importable.
package apidefaults

import (
	_ "crypto/sha256" // digest algorithms the image reference parser accepts,
	_ "crypto/sha512" // as in the API server (pkg/util/parsers)
	"sync"
	"sync/atomic"

	"github.com/distribution/reference"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// Probes applies the defaults of a container's probes and lifecycle handlers:
// timeoutSeconds 1, periodSeconds 10, successThreshold 1, failureThreshold 3, an
// HTTP GET's path and scheme, a gRPC probe's service "".
func Probes(c *corev1.Container) {
	for _, p := range [...]*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		if p == nil {
			continue
		}
		if p.TimeoutSeconds == 0 {
			p.TimeoutSeconds = 1
		}
		if p.PeriodSeconds == 0 {
			p.PeriodSeconds = 10
		}
		if p.SuccessThreshold == 0 {
			p.SuccessThreshold = 1
		}
		if p.FailureThreshold == 0 {
			p.FailureThreshold = 3
		}
		HTTPGet(p.HTTPGet)
		if p.GRPC != nil && p.GRPC.Service == nil {
			p.GRPC.Service = ptr.To("")
		}
	}
	if l := c.Lifecycle; l != nil {
		if l.PostStart != nil {
			HTTPGet(l.PostStart.HTTPGet)
		}
		if l.PreStop != nil {
			HTTPGet(l.PreStop.HTTPGet)
		}
	}
}

// HTTPGet is SetDefaults_HTTPGetAction: path "/", scheme HTTP.
func HTTPGet(a *corev1.HTTPGetAction) {
	if a == nil {
		return
	}
	if a.Path == "" {
		a.Path = "/"
	}
	if a.Scheme == "" {
		a.Scheme = corev1.URISchemeHTTP
	}
}

// RoundUp is SetDefaults_ResourceList: every quantity rounded up to a milli-unit.
func RoundUp(l corev1.ResourceList) {
	for k, v := range l {
		if !v.RoundUp(-3) {
			l[k] = v
		}
	}
}

// maxPullPolicies bounds the cache of default pull policies: image references come
// from the input (and from admission requests), so the cache must not grow with it.
const maxPullPolicies = 4096

var (
	pullPolicies  sync.Map // image reference -> corev1.PullPolicy
	pullPolicyLen atomic.Int64
)

// PullPolicy is the imagePullPolicy SetDefaults_Container gives a reference that
// names none: Always when the tag is latest or the reference has neither tag nor
// digest, IfNotPresent otherwise, including for a reference that does not parse.
func PullPolicy(image string) corev1.PullPolicy {
	if v, ok := pullPolicies.Load(image); ok {
		return v.(corev1.PullPolicy)
	}
	pol := corev1.PullIfNotPresent
	if named, err := reference.ParseNormalizedNamed(image); err == nil {
		tag := ""
		if t, ok := named.(reference.Tagged); ok {
			tag = t.Tag()
		}
		_, digested := named.(reference.Digested)
		if tag == "latest" || (tag == "" && !digested) {
			pol = corev1.PullAlways
		}
	}
	if pullPolicyLen.Load() < maxPullPolicies {
		if _, loaded := pullPolicies.LoadOrStore(image, pol); !loaded {
			pullPolicyLen.Add(1)
		}
	}
	return pol
}
