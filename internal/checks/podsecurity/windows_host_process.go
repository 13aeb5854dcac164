package podsecurity

// A Windows HostProcess container runs directly on the Windows node with the host's
// privileges: the Windows equivalent of a privileged container (PSS baseline).

import (
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-026", Title: "Windows HostProcess container", Severity: critical, Category: catHost,
			Rationale:   "A HostProcess container runs as a process on the Windows node with access to the host network, filesystem and accounts.",
			Remediation: "Remove securityContext.windowsOptions.hostProcess (and hostNetwork) unless this is a vetted node-management workload.",
			References:  []string{refPSS, "https://kubernetes.io/docs/tasks/configure-pod-container/create-hostprocess-pod/"},
			Frameworks:  baseline("windowsHostProcess", "5.2.10"),
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			if sc := w.Spec.SecurityContext; sc != nil && sc.WindowsOptions != nil && sc.WindowsOptions.HostProcess != nil && *sc.WindowsOptions.HostProcess {
				p.Report(w.SpecField("securityContext.windowsOptions.hostProcess"), "", "pod sets windowsOptions.hostProcess=true")
			}
			for _, c := range w.Containers {
				if sc := c.SecurityContext; sc != nil && sc.WindowsOptions != nil && sc.WindowsOptions.HostProcess != nil && *sc.WindowsOptions.HostProcess {
					p.Report(c.Field("securityContext.windowsOptions.hostProcess"), c.Name, "container %q sets windowsOptions.hostProcess=true", c.Name)
				}
			}
		},
	})
}
