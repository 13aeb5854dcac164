package podsecurity

// Sysctls that are not namespaced change the whole node. PSS baseline allows only a
// short, version-dependent list of safe ones. The allow-list is the official one: each
// sysctl is judged by the PSS check itself at the configured version.

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-017", Title: "Unsafe sysctl", Severity: high, Category: catHost,
			Rationale:   "Sysctls outside the safe set can affect every pod on the node or the node itself, and can be used to disable kernel protections.",
			Remediation: "Remove the sysctl from spec.securityContext.sysctls, or set it on the node by other means if it is really required.",
			References:  []string{refPSS, "https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/"},
			Frameworks:  baseline("sysctls"),
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			sc := w.Spec.SecurityContext
			if sc == nil {
				return
			}
			for i, s := range sc.Sysctls {
				if !p.PSSAllows("sysctls", &corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{Sysctls: []corev1.Sysctl{s}}}) {
					p.Report(w.SpecField("securityContext.sysctls")+indexSuffix(i)+".name", "", "pod sets unsafe sysctl %s", s.Name)
				}
			}
		},
	})
}
