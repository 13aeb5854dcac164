package podsecurity

// SELinux labels confine containers to their own files. Setting a custom type, user or
// role can lift that confinement; PSS baseline allows only the standard container
// types and forbids user and role.

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-015", Title: "Custom SELinux options", Severity: high, Category: catSecurityContext,
			Rationale:   "A custom SELinux type, user or role can run the container outside the confinement the node's policy gives containers.",
			Remediation: "Remove seLinuxOptions.user and .role, and use only container_t, container_init_t, container_kvm_t or container_engine_t as type.",
			References:  []string{refPSS},
			Frameworks:  baseline("seLinuxOptions"),
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			check := func(o *corev1.SELinuxOptions, path, container, who string) {
				if o == nil {
					return
				}
				// The type allow-list changed over versions (container_engine_t from
				// 1.31): the official check judges the type alone.
				typeOnly := &corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{SELinuxOptions: &corev1.SELinuxOptions{Type: o.Type}}}
				if !p.PSSAllows("seLinuxOptions", typeOnly) {
					p.Report(path+".type", container, "%s sets seLinuxOptions.type=%q", who, o.Type)
				}
				if o.User != "" {
					p.Report(path+".user", container, "%s sets seLinuxOptions.user=%q", who, o.User)
				}
				if o.Role != "" {
					p.Report(path+".role", container, "%s sets seLinuxOptions.role=%q", who, o.Role)
				}
			}
			if sc := w.Spec.SecurityContext; sc != nil {
				check(sc.SELinuxOptions, w.SpecField("securityContext.seLinuxOptions"), "", "pod")
			}
			for _, c := range w.Containers {
				if sc := c.SecurityContext; sc != nil {
					check(sc.SELinuxOptions, c.Field("securityContext.seLinuxOptions"), c.Name, "container \""+c.Name+"\"")
				}
			}
		},
	})
}
