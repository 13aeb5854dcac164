package checks

// The default /proc mount masks paths such as /proc/kcore and /proc/sysrq-trigger.
// procMount: Unmasked exposes them to the container (PSS baseline).

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-016", Title: "Unmasked /proc mount", Severity: high, Category: catSecurityContext,
			Rationale:   "procMount: Unmasked exposes kernel interfaces under /proc that the default mask hides, such as /proc/kcore and /proc/sysrq-trigger.",
			Remediation: "Remove securityContext.procMount or set it to Default.",
			References:  []string{refPSS},
			Frameworks:  baseline("procMount"),
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			for _, c := range w.Containers {
				if e := c.Effective.ProcMount; e.Set && e.Value != corev1.DefaultProcMount {
					p.Report(e.Path, c.Name, "container %q sets securityContext.procMount=%s", c.Name, e.Value)
				}
			}
		},
	})
}
