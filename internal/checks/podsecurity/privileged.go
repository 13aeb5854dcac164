package podsecurity

// A privileged container runs with all capabilities and with the host's devices; it
// is root on the node in all but name. PSS baseline forbids securityContext.privileged.

import (
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-001", Title: "Privileged container", Severity: critical, Category: catSecurityContext,
			Rationale:   "A privileged container has every Linux capability and full access to the host's devices; a compromise of it is a compromise of the node.",
			Remediation: "Remove securityContext.privileged or set it to false; grant only the specific capabilities the process needs.",
			References:  []string{refPSS, refSC},
			Frameworks:  baseline("privileged", "5.2.2"),
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			for _, c := range w.Containers {
				if e := c.Effective.Privileged; e.Set && e.Value {
					p.Report(e.Path, c.Name, "container %q sets securityContext.privileged=true", c.Name)
				}
			}
		},
	})
}
