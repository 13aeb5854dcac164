package podsecurity

// A hostPort binds a port on the node's own address, exposing the container outside
// the Service and NetworkPolicy model and limiting scheduling (PSS baseline). A pod
// with hostNetwork: true has every containerPort as a hostPort too: the API server
// copies it (workload defaults), and the official check then fails as well.

import (
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-025", Title: "hostPort used", Severity: medium, Category: catHost,
			Rationale:   "A hostPort opens the port on the node's own IP address, outside the reach of Services and often of NetworkPolicy, and pins the pod to nodes with that port free.",
			Remediation: "Remove ports[].hostPort (and hostNetwork: true, which makes every containerPort a hostPort) and expose the container through a Service.",
			References:  []string{refPSS},
			Frameworks:  baseline("hostPorts", "5.2.12"),
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			for _, c := range w.Containers {
				for i, port := range c.Ports {
					if port.HostPort == 0 {
						continue
					}
					field := c.Field("ports") + indexSuffix(i) + ".hostPort"
					if _, defaulted := c.Defaulted("ports" + indexSuffix(i) + ".hostPort"); defaulted {
						p.Report(field, c.Name, "container %q binds host port %d: with hostNetwork: true the API server copies containerPort into hostPort", c.Name, port.HostPort)
						continue
					}
					p.Report(field, c.Name, "container %q binds host port %d", c.Name, port.HostPort)
				}
			}
		},
	})
}
