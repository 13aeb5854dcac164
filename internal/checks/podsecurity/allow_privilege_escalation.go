package podsecurity

// allowPrivilegeEscalation controls the no_new_privs flag: unless it is false, a
// process can gain more privileges than its parent through setuid binaries or file
// capabilities. It defaults to true, so it must be set explicitly (PSS restricted).

import (
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-002", Title: "Privilege escalation allowed", Severity: high, Category: catSecurityContext,
			Rationale:   "Unless allowPrivilegeEscalation is false, setuid binaries and file capabilities let a process gain privileges its parent did not have. The default is to allow it.",
			Remediation: "Set securityContext.allowPrivilegeEscalation: false on every container.",
			References:  []string{refPSS, refSC},
			Frameworks:  restricted("allowPrivilegeEscalation", "5.2.6"),
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			for _, c := range w.Containers {
				e := c.Effective.AllowPrivilegeEscalation
				switch {
				case e.Set && e.Value:
					p.Report(e.Path, c.Name, "container %q sets securityContext.allowPrivilegeEscalation=true", c.Name)
				case !e.Set:
					p.Report(e.Path, c.Name, "container %q does not set securityContext.allowPrivilegeEscalation=false (it defaults to true)", c.Name)
				}
			}
		},
	})
}
