package podsecurity

// NET_RAW lets a process craft raw packets: ARP and DNS spoofing on the pod network.
// PAL-011 answers CIS 5.2.8 for each container: does it hold NET_RAW once the runtime
// has applied its capability lists? containerd and CRI-O start from their default
// set (which grants NET_RAW), give every capability for an added ALL, clear the set
// for a dropped ALL, then add and finally drop single capabilities. So a container
// holds NET_RAW unless it drops NET_RAW by name, or drops ALL without adding NET_RAW
// back.
//
// An explicit add of NET_RAW is also outside the Pod Security baseline set, which
// PAL-008 (or PAL-007, when NET_RAW is configured as dangerous) reports at the same
// list entry. The two findings answer different controls (CIS 5.2.8 here, the baseline
// profile and CIS 5.2.9 there), so both are kept; their messages say which question
// each answers. Conversely a container that adds NET_RAW and also drops it holds no
// NET_RAW and PAL-011 is silent, while PAL-008 still reports the addition, as the
// official baseline check does. A privileged container (PAL-001) is not judged here.

import (
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-011", Title: "NET_RAW capability kept", Severity: low, Category: catCapabilities,
			Rationale: "NET_RAW allows raw sockets, which enable ARP spoofing and DNS poisoning of neighbours on the pod network; container runtimes grant it by default. " +
				"Reported for every container that ends up holding it: kept from the default set, or added back explicitly (an explicit add is also reported by PAL-008 as outside the Pod Security baseline).",
			Remediation: "Drop ALL capabilities (or at least NET_RAW) in securityContext.capabilities.drop, and do not add NET_RAW (or ALL).",
			References:  []string{"https://man7.org/linux/man-pages/man7/capabilities.7.html"},
			Frameworks:  rules.Frameworks{CIS: []string{"5.2.8"}, NSA: []string{nsaHardening}, Layer: layerContainer},
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			for _, c := range w.Containers {
				if dropsCap(c, "NET_RAW") {
					continue
				}
				if i := addsCap(c, "NET_RAW"); i >= 0 {
					p.Report(c.Field("securityContext.capabilities.add")+indexSuffix(i), c.Name,
						"container %q adds NET_RAW, which allows raw sockets on the pod network", c.Name)
					continue
				}
				if dropsAll(c) {
					continue
				}
				if i := addsCap(c, "ALL"); i >= 0 {
					p.Report(c.Field("securityContext.capabilities.add")+indexSuffix(i), c.Name,
						"container %q adds ALL capabilities, NET_RAW among them (drop NET_RAW or do not add ALL)", c.Name)
					continue
				}
				p.Report(c.Field("securityContext.capabilities.drop"), c.Name, "container %q keeps the default NET_RAW capability (drop NET_RAW or ALL)", c.Name)
			}
		},
	})
}

// dropsCap reports whether the container drops the capability by name, as the
// container runtime reads the list (case-insensitive, CAP_ prefix optional).
func dropsCap(c *workload.Container, name string) bool {
	for _, d := range c.Effective.Capabilities.Drop {
		if capName(string(d)) == name {
			return true
		}
	}
	return false
}

// addsCap returns the index of the first add entry naming the capability, or -1.
func addsCap(c *workload.Container, name string) int {
	for i, a := range c.Effective.Capabilities.Add {
		if capName(string(a)) == name {
			return i
		}
	}
	return -1
}
