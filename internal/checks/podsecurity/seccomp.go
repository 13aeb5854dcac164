package podsecurity

// Seccomp filters the system calls a container may make; RuntimeDefault blocks the
// rarely needed, historically exploitable ones. PSS baseline forbids Unconfined; PSS
// restricted requires RuntimeDefault or Localhost for every container, set at pod
// level (inherited) or per container.

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const seccompPodAnnotation = "seccomp.security.alpha.kubernetes.io/pod"
const seccompContainerAnnotationPrefix = "container.seccomp.security.alpha.kubernetes.io/"

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-012", Title: "Seccomp profile Unconfined", Severity: high, Category: catSecurityContext,
			Rationale:   "An Unconfined seccomp profile lets the container call every system call, including those behind many kernel privilege-escalation exploits.",
			Remediation: "Set securityContext.seccompProfile.type to RuntimeDefault (or a Localhost profile) instead of Unconfined.",
			References:  []string{refPSS, "https://kubernetes.io/docs/tutorials/security/seccomp/"},
			Frameworks:  baseline("seccompProfile_baseline", "5.6.2"),
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			if sc := w.Spec.SecurityContext; sc != nil && sc.SeccompProfile != nil && sc.SeccompProfile.Type == corev1.SeccompProfileTypeUnconfined {
				p.Report(w.SpecField("securityContext.seccompProfile.type"), "", "pod sets seccompProfile.type=Unconfined")
			}
			if v, ok := w.Meta.Annotations[seccompPodAnnotation]; ok && v == "unconfined" {
				p.Report(w.MetaPath+".annotations['"+seccompPodAnnotation+"']", "", "pod annotation %s is unconfined", seccompPodAnnotation)
			}
			for _, c := range w.Containers {
				if sc := c.SecurityContext; sc != nil && sc.SeccompProfile != nil && sc.SeccompProfile.Type == corev1.SeccompProfileTypeUnconfined {
					p.Report(c.Field("securityContext.seccompProfile.type"), c.Name, "container %q sets seccompProfile.type=Unconfined", c.Name)
				}
				key := seccompContainerAnnotationPrefix + c.Name
				if v, ok := w.Meta.Annotations[key]; ok && v == "unconfined" {
					p.Report(w.MetaPath+".annotations['"+key+"']", c.Name, "annotation %s is unconfined", key)
				}
			}
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-013", Title: "Seccomp profile not set", Severity: medium, Category: catSecurityContext,
			Rationale:   "Without a seccomp profile, most runtimes run the container Unconfined: every system call is allowed.",
			Remediation: "Set securityContext.seccompProfile.type: RuntimeDefault on the pod so every container inherits it.",
			References:  []string{refPSS, "https://kubernetes.io/docs/tutorials/security/seccomp/"},
			Frameworks:  restricted("seccompProfile_restricted", "5.6.2"),
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			for _, c := range w.Containers {
				if e := c.Effective.SeccompProfile; !e.Set {
					p.Report(e.Path, c.Name, "container %q has no seccompProfile, and the pod sets none to inherit", c.Name)
				}
			}
		},
	})
}
