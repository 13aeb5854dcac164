package podsecurity

// Linux capabilities split root's power into pieces. PSS baseline allows adding only
// the container runtime's default set; PSS restricted requires dropping ALL and allows
// adding back only NET_BIND_SERVICE. Four rules here point at the exact list entries:
// dangerous additions, other non-default additions, additions restricted forbids, and
// a missing drop of ALL.

import (
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// baselineCaps is the PSS baseline allow-list: the default set of container runtimes.
var baselineCaps = []string{
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

var defaultDangerousCaps = []string{
	"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO", "SYS_BOOT",
	"SYS_TIME", "BPF", "PERFMON", "DAC_READ_SEARCH", "MAC_ADMIN", "MAC_OVERRIDE",
	"SYSLOG", "LINUX_IMMUTABLE", "SYS_RESOURCE",
}

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-007", Title: "Dangerous capability added", Severity: critical, Category: catCapabilities,
			Rationale:   "Capabilities such as SYS_ADMIN, NET_ADMIN, SYS_MODULE or SYS_PTRACE let a process load kernel modules, reconfigure the host network, mount filesystems or inspect other processes: each is a known container-escape path.",
			Remediation: "Remove the capability from securityContext.capabilities.add; redesign the workload so it does not need it, or run it on dedicated, isolated nodes.",
			References:  []string{refPSS, "https://man7.org/linux/man-pages/man7/capabilities.7.html"},
			Frameworks:  baseline("capabilities_baseline", "5.2.9"),
			Params: []rules.Param{{Name: "dangerous", Description: "Capabilities (without CAP_) treated as dangerous.",
				Default: defaultDangerousCaps}},
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			dangerous := p.Strings("dangerous")
			forEachAdd(w, func(c *workload.Container, i int, name, _ string) {
				if containsFold(dangerous, name) {
					p.Report(c.Field("securityContext.capabilities.add")+indexSuffix(i), c.Name,
						"container %q adds dangerous capability %s", c.Name, name)
				}
			})
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-008", Title: "Capability added beyond the runtime default set", Severity: high, Category: catCapabilities,
			Rationale:   "The Pod Security Standards baseline allows adding only capabilities container runtimes grant by default; anything else widens the kernel attack surface.",
			Remediation: "Remove the capability from securityContext.capabilities.add.",
			References:  []string{refPSS},
			Frameworks:  baseline("capabilities_baseline", "5.2.9"),
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			dangerous := p.StringsOf("PAL-007", "dangerous")
			forEachAdd(w, func(c *workload.Container, i int, name, raw string) {
				// The official check compares names exactly: "chown" or "CAP_CHOWN"
				// is not the default CHOWN.
				if !contains(baselineCaps, raw) && !containsFold(dangerous, name) {
					p.Report(c.Field("securityContext.capabilities.add")+indexSuffix(i), c.Name,
						"container %q adds capability %s, which is outside the baseline default set", c.Name, name)
				}
			})
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-009", Title: "Capabilities not dropped", Severity: medium, Category: catCapabilities,
			Rationale:   "Containers start with the runtime's default capabilities (including NET_RAW, CHOWN, SETUID); few applications need any of them. Dropping ALL removes that attack surface.",
			Remediation: "Set securityContext.capabilities.drop: [\"ALL\"] and add back only NET_BIND_SERVICE if the process binds a port below 1024.",
			References:  []string{refPSS},
			Frameworks:  restricted("capabilities_restricted", "5.2.9"),
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			for _, c := range w.Containers {
				switch {
				case dropsAllExact(c):
				case dropsAll(c):
					// The runtime accepts "all" or "CAP_ALL", but the official check
					// compares the exact string, so the restricted profile rejects it.
					p.Report(c.Field("securityContext.capabilities.drop"), c.Name,
						"container %q drops all capabilities with a spelling other than \"ALL\", which the restricted profile does not accept", c.Name)
				default:
					p.Report(c.Field("securityContext.capabilities.drop"), c.Name,
						"container %q does not drop ALL capabilities", c.Name)
				}
			}
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-010", Title: "Capability added that the restricted profile forbids", Severity: medium, Category: catCapabilities,
			Rationale:   "The Pod Security Standards restricted profile allows adding back only NET_BIND_SERVICE after dropping ALL; every other default capability is a privilege the workload keeps without need.",
			Remediation: "Remove the capability from securityContext.capabilities.add; only NET_BIND_SERVICE may be added.",
			References:  []string{refPSS},
			Frameworks:  restricted("capabilities_restricted", "5.2.9"),
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forEachAdd(w, func(c *workload.Container, i int, name, raw string) {
				// Non-default and dangerous additions are reported by PAL-007/008, once.
				if contains(baselineCaps, raw) && raw != "NET_BIND_SERVICE" {
					p.Report(c.Field("securityContext.capabilities.add")+indexSuffix(i), c.Name,
						"container %q adds capability %s; the restricted profile allows only NET_BIND_SERVICE", c.Name, name)
				}
			})
		},
	})
}

// forEachAdd calls fn for every added capability with its normalised and raw name.
func forEachAdd(w *workload.Workload, fn func(c *workload.Container, i int, name, raw string)) {
	for _, c := range w.Containers {
		for i, a := range c.Effective.Capabilities.Add {
			fn(c, i, capName(string(a)), string(a))
		}
	}
}

// dropsAllExact reports whether the container drops "ALL" spelled exactly as the Pod
// Security Standards require.
func dropsAllExact(c *workload.Container) bool {
	for _, d := range c.Effective.Capabilities.Drop {
		if d == "ALL" {
			return true
		}
	}
	return false
}

// dropsAll reports whether the container drops all capabilities as the container
// runtime reads the list (case-insensitive, CAP_ prefix optional).
func dropsAll(c *workload.Container) bool {
	for _, d := range c.Effective.Capabilities.Drop {
		if capName(string(d)) == "ALL" {
			return true
		}
	}
	return false
}
