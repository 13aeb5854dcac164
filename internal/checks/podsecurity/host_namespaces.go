package podsecurity

// Sharing the host's network, PID or IPC namespace removes the isolation between the
// container and the node: host interfaces and localhost services, every host process,
// host shared memory. PSS baseline forbids all three.

import (
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

func init() {
	hostNS := func(id, title, field, cis, rationale string, get func(w *workload.Workload) bool) {
		rules.Register(&rules.Rule{
			Meta: rules.Meta{
				ID: id, Title: title, Severity: high, Category: catHost,
				Rationale:   rationale,
				Remediation: "Remove spec." + field + " (or set it to false).",
				References:  []string{refPSS},
				Frameworks:  baseline("hostNamespaces", cis),
			},
			Workload: func(p *rules.Pass, w *workload.Workload) {
				if get(w) {
					p.Report(w.SpecField(field), "", "pod sets %s=true", field)
				}
			},
		})
	}
	hostNS("PAL-018", "Host network namespace", "hostNetwork", "5.2.5",
		"With hostNetwork the pod sees every interface of the node, can bind host ports, reach services listening on the node's localhost and bypass NetworkPolicy.",
		func(w *workload.Workload) bool { return w.Spec.HostNetwork })
	hostNS("PAL-019", "Host PID namespace", "hostPID", "5.2.3",
		"With hostPID the pod sees every process on the node, can signal them and, with ptrace, read their memory and environment.",
		func(w *workload.Workload) bool { return w.Spec.HostPID })
	hostNS("PAL-020", "Host IPC namespace", "hostIPC", "5.2.4",
		"With hostIPC the pod shares System V IPC and POSIX shared memory with every process on the node.",
		func(w *workload.Workload) bool { return w.Spec.HostIPC })
}
