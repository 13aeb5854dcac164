package podsecurity

// The default /proc mount masks paths such as /proc/kcore and /proc/sysrq-trigger.
// procMount: Unmasked exposes them to the container. PSS baseline forbids it, except
// (since 1.35) in pods with their own user namespace (hostUsers: false); PSS
// restricted forbids it always. PAL-016 reports the baseline violation, PAL-029 the
// restricted one that baseline lets through, so each pod is reported once.

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
			reportUnmasked(p, w)
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-029", Title: "Unmasked /proc mount in a user-namespace pod", Severity: medium, Category: catSecurityContext,
			Rationale:   "A user namespace (hostUsers: false) limits what an unmasked /proc exposes, so the baseline profile allows it, but the restricted profile still requires the default mask: the kernel interfaces stay reachable.",
			Remediation: "Remove securityContext.procMount or set it to Default.",
			References:  []string{refPSS, "https://kubernetes.io/docs/concepts/workloads/pods/user-namespaces/"},
			Frameworks:  restricted("procMount_restricted"),
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			if !p.PSSAllows("procMount", w.Spec) {
				return // PAL-016 reports it.
			}
			reportUnmasked(p, w)
		},
	})
}

func reportUnmasked(p *rules.Pass, w *workload.Workload) {
	for _, c := range w.Containers {
		if e := c.Effective.ProcMount; e.Set && e.Value != corev1.DefaultProcMount {
			p.Report(e.Path, c.Name, "container %q sets securityContext.procMount=%s", c.Name, e.Value)
		}
	}
}
