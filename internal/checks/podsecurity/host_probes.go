package podsecurity

// Probe and lifecycle handlers with a host field make the kubelet connect to any
// address, including node-local services: a server-side request forgery from the
// kubelet (PSS baseline since 1.34 forbids any non-empty host).

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-028", Title: "Probe or lifecycle handler targets another host", Severity: high, Category: catHost,
			Rationale:   "A host in an httpGet or tcpSocket probe or lifecycle handler makes the kubelet connect to that address from the node, reaching services the pod itself could not.",
			Remediation: "Remove the host field so the kubelet targets the pod's own IP.",
			References:  []string{refPSS},
			Frameworks:  baseline("hostProbesAndHostLifecycle"),
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			ok := func(h string) bool { return h == "" }
			for _, c := range w.Containers {
				probe := func(name string, pr *corev1.Probe) {
					if pr == nil {
						return
					}
					if pr.HTTPGet != nil && !ok(pr.HTTPGet.Host) {
						p.Report(c.Field(name+".httpGet.host"), c.Name, "container %q %s targets host %q", c.Name, name, pr.HTTPGet.Host)
					}
					if pr.TCPSocket != nil && !ok(pr.TCPSocket.Host) {
						p.Report(c.Field(name+".tcpSocket.host"), c.Name, "container %q %s targets host %q", c.Name, name, pr.TCPSocket.Host)
					}
				}
				probe("livenessProbe", c.LivenessProbe)
				probe("readinessProbe", c.ReadinessProbe)
				probe("startupProbe", c.StartupProbe)
				if c.Lifecycle != nil {
					for name, h := range map[string]*corev1.LifecycleHandler{"lifecycle.postStart": c.Lifecycle.PostStart, "lifecycle.preStop": c.Lifecycle.PreStop} {
						if h == nil {
							continue
						}
						if h.HTTPGet != nil && !ok(h.HTTPGet.Host) {
							p.Report(c.Field(name+".httpGet.host"), c.Name, "container %q %s targets host %q", c.Name, name, h.HTTPGet.Host)
						}
						if h.TCPSocket != nil && !ok(h.TCPSocket.Host) {
							p.Report(c.Field(name+".tcpSocket.host"), c.Name, "container %q %s targets host %q", c.Name, name, h.TCPSocket.Host)
						}
					}
				}
			}
		},
	})
}
