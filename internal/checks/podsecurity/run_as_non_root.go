package podsecurity

// runAsNonRoot makes the kubelet refuse to start a container whose user is root, which
// protects against images that run as root by default. It is inherited from the pod's
// securityContext unless a container overrides it (PSS restricted).

import (
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-003", Title: "Container may run as root", Severity: medium, Category: catSecurityContext,
			Rationale:   "Without runAsNonRoot: true, a container runs as whatever user its image names, which is root for most images; root in a container is one kernel bug away from root on the node.",
			Remediation: "Set securityContext.runAsNonRoot: true on the pod (inherited by every container) and run the image as a non-zero UID.",
			References:  []string{refPSS, refSC},
			Frameworks:  rules.Frameworks{PSS: "restricted", PSSCheck: "runAsNonRoot", CIS: []string{"5.2.7"}, NSA: []string{nsaNonRoot}, Layer: layerContainer},
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			inherited := false
			for _, c := range w.Containers {
				e := c.Effective.RunAsNonRoot
				switch {
				case e.Set && !e.Value && e.FromPod:
					inherited = true
					p.Report(e.Path, c.Name, "container %q inherits securityContext.runAsNonRoot=false from the pod", c.Name)
				case e.Set && !e.Value:
					p.Report(e.Path, c.Name, "container %q sets securityContext.runAsNonRoot=false", c.Name)
				case !e.Set:
					p.Report(e.Path, c.Name, "container %q does not set securityContext.runAsNonRoot=true, and neither does the pod", c.Name)
				}
			}
			// The restricted profile forbids runAsNonRoot=false on the pod even when
			// every container overrides it.
			if sc := w.Spec.SecurityContext; !inherited && sc != nil && sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot {
				p.Report(w.SpecField("securityContext.runAsNonRoot"), "", "pod sets securityContext.runAsNonRoot=false")
			}
		},
	})
}
