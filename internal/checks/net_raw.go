package checks

// NET_RAW lets a process craft raw packets: ARP and DNS spoofing on the pod network.
// Runtimes grant it by default, so a container keeps it unless it drops it (or ALL).
// Adding it explicitly is outside the PSS baseline set and reported by PAL-008.

import (
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-011", Title: "NET_RAW capability kept", Severity: low, Category: catCapabilities,
			Rationale:   "NET_RAW allows raw sockets, which enable ARP spoofing and DNS poisoning of neighbours on the pod network; container runtimes grant it by default.",
			Remediation: "Drop ALL capabilities (or at least NET_RAW) in securityContext.capabilities.drop, and do not add NET_RAW.",
			References:  []string{"https://man7.org/linux/man-pages/man7/capabilities.7.html"},
			Frameworks:  rules.Frameworks{CIS: []string{"5.2.8"}, NSA: []string{nsaHardening}, Layer: layerContainer},
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			for _, c := range w.Containers {
				added := false
				for _, a := range c.Effective.Capabilities.Add {
					added = added || capName(string(a)) == "NET_RAW"
				}
				if !added && !dropsAll(c) && !dropsCap(c, "NET_RAW") {
					p.Report(c.Field("securityContext.capabilities.drop"), c.Name, "container %q keeps the default NET_RAW capability (drop NET_RAW or ALL)", c.Name)
				}
			}
		},
	})
}

func dropsCap(c *workload.Container, name string) bool {
	for _, d := range c.Effective.Capabilities.Drop {
		if capName(string(d)) == name {
			return true
		}
	}
	return false
}
