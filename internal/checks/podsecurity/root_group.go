package podsecurity

// Group 0 owns many files on the host and in images; a process in the root group can
// read and write them. runAsGroup, fsGroup and supplementalGroups should all avoid 0.

import (
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-005", Title: "Container runs with the root group", Severity: medium, Category: catSecurityContext,
			Rationale:   "GID 0 grants access to every file the root group can read or write, in the image and on any mounted host path, even when the UID is not root.",
			Remediation: "Set runAsGroup and fsGroup to a non-zero GID and remove 0 from supplementalGroups.",
			References:  []string{refSC},
			Frameworks:  rules.Frameworks{CIS: []string{"5.6.3"}, NSA: []string{nsaNonRoot}, Layer: layerContainer},
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			if sc := w.Spec.SecurityContext; sc != nil {
				if sc.FSGroup != nil && *sc.FSGroup == 0 {
					p.Report(w.SpecField("securityContext.fsGroup"), "", "pod sets securityContext.fsGroup=0")
				}
				for i, g := range sc.SupplementalGroups {
					if g == 0 {
						p.Report(w.SpecField("securityContext.supplementalGroups")+indexSuffix(i), "", "pod adds supplemental group 0")
					}
				}
			}
			for _, c := range w.Containers {
				if e := c.Effective.RunAsGroup; e.Set && e.Value == 0 {
					if e.FromPod {
						p.Report(e.Path, c.Name, "container %q inherits securityContext.runAsGroup=0 from the pod", c.Name)
					} else {
						p.Report(e.Path, c.Name, "container %q sets securityContext.runAsGroup=0", c.Name)
					}
				}
			}
		},
	})
}
