package podsecurity

// An immutable root filesystem stops an intruder from dropping tools or changing
// binaries inside the container; writable state belongs in explicit volumes.

import (
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-006", Title: "Writable root filesystem", Severity: medium, Category: catSecurityContext,
			Rationale:   "A writable root filesystem lets an attacker who gains code execution install tools, modify binaries or persist inside the container.",
			Remediation: "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir for each path the application must write (for example /tmp).",
			References:  []string{refSC},
			Frameworks:  rules.Frameworks{CIS: []string{"5.6.3"}, NSA: []string{nsaImmutable}, Layer: layerContainer},
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			for _, c := range w.Containers {
				e := c.Effective.ReadOnlyRootFilesystem
				switch {
				case e.Set && !e.Value:
					p.Report(e.Path, c.Name, "container %q sets securityContext.readOnlyRootFilesystem=false", c.Name)
				case !e.Set:
					p.Report(e.Path, c.Name, "container %q does not set securityContext.readOnlyRootFilesystem=true", c.Name)
				}
			}
		},
	})
}
