package podsecurity

// AppArmor confines what files, capabilities and network operations a process may use.
// PSS baseline forbids the unconfined profile, whether set through the
// appArmorProfile fields (pod or container) or the older per-container annotation.

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-014", Title: "AppArmor profile unconfined", Severity: high, Category: catSecurityContext,
			Rationale:   "An unconfined AppArmor profile removes the mandatory access control the node applies to containers by default.",
			Remediation: "Remove the Unconfined profile; use RuntimeDefault or a Localhost profile in securityContext.appArmorProfile.",
			References:  []string{refPSS, "https://kubernetes.io/docs/tutorials/security/apparmor/"},
			Frameworks:  baseline("appArmorProfile"),
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			// Each profile is judged alone by the official check, so values other
			// than Unconfined that it rejects are caught too.
			allowed := func(prof *corev1.AppArmorProfile) bool {
				return prof == nil || p.PSSAllows("appArmorProfile", &corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{AppArmorProfile: prof}})
			}
			if sc := w.Spec.SecurityContext; sc != nil && !allowed(sc.AppArmorProfile) {
				p.Report(w.SpecField("securityContext.appArmorProfile.type"), "", "pod sets appArmorProfile.type=%s", sc.AppArmorProfile.Type)
			}
			for _, c := range w.Containers {
				if sc := c.SecurityContext; sc != nil && !allowed(sc.AppArmorProfile) {
					if _, fromAnnotation := c.Defaulted("securityContext.appArmorProfile"); fromAnnotation {
						continue // the annotation is reported below
					}
					p.Report(c.Field("securityContext.appArmorProfile.type"), c.Name, "container %q sets appArmorProfile.type=%s", c.Name, sc.AppArmorProfile.Type)
				}
			}
			// The annotation is checked for any name, as PSS does, not only for
			// containers that exist.
			for k, v := range w.Meta.Annotations {
				if strings.HasPrefix(k, workload.AppArmorAnnotationPrefix) && v != "" && v != "runtime/default" && !strings.HasPrefix(v, "localhost/") {
					name := strings.TrimPrefix(k, workload.AppArmorAnnotationPrefix)
					p.Report(w.MetaPath+".annotations['"+k+"']", name, "annotation %s is %q; only runtime/default and localhost/* are allowed", k, v)
				}
			}
		},
	})
}
