package podsecurity

// runAsUser: 0 runs the process as root whatever the image says, and defeats
// runAsNonRoot's intent (PSS restricted forbids it at pod and container level).

import (
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-004", Title: "Container runs as UID 0", Severity: high, Category: catSecurityContext,
			Rationale:   "runAsUser: 0 explicitly runs the process as root, so any container escape or writable host mount is exercised with root's rights.",
			Remediation: "Set runAsUser to a non-zero UID (for example 10001) at pod or container level, or remove it and let a non-root image user apply.",
			References:  []string{refPSS, refSC},
			Frameworks:  rules.Frameworks{PSS: "restricted", PSSCheck: "runAsUser", CIS: []string{"5.2.7"}, NSA: []string{nsaNonRoot}, Layer: layerContainer},
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			if sc := w.Spec.SecurityContext; sc != nil && sc.RunAsUser != nil && *sc.RunAsUser == 0 {
				p.Report(w.SpecField("securityContext.runAsUser"), "", "pod sets securityContext.runAsUser=0")
			}
			for _, c := range w.Containers {
				if sc := c.SecurityContext; sc != nil && sc.RunAsUser != nil && *sc.RunAsUser == 0 {
					p.Report(c.Field("securityContext.runAsUser"), c.Name, "container %q sets securityContext.runAsUser=0", c.Name)
				}
			}
		},
	})
}
