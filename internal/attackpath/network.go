package attackpath

// Network edges: the internet and pods of other namespaces to the workloads they
// reach (exposure's levels for now), and workload to workload through the
// NetworkPolicy matrix (Lateral).

import (
	"github.com/palisade-k8s/palisade/internal/exposure"
	"github.com/palisade-k8s/palisade/internal/finding"
)

func (b *builder) network() {
	internet := b.g.Add(Node{ID: Internet, Kind: KindInternet, Label: "the internet"})
	pod := b.g.Add(Node{ID: AnyPod, Kind: KindPod, Label: "a pod in another namespace"})
	for _, n := range b.g.Workloads() {
		e := exposure.Image(b.inv, []finding.ObjectRef{*n.Object})
		if e == nil || len(e.Workloads) == 0 {
			continue
		}
		w := e.Workloads[0]
		switch w.Network {
		case exposure.Internet:
			b.g.Connect(Edge{From: internet, To: n, Kind: EdgeExposed, Analyzer: ByExposure, Evidence: w.NetworkWhy,
				Fix: &finding.PathFix{Change: "stop exposing " + n.Label + " outside the cluster, or isolate its pods for ingress", Cost: 3}})
			fallthrough
		case exposure.Cluster:
			b.g.Connect(Edge{From: pod, To: n, Kind: EdgeNetwork, Analyzer: ByNetpol, Evidence: w.NetworkWhy,
				Fix: &finding.PathFix{Change: "add a NetworkPolicy that admits only the pods " + n.Label + " serves", Cost: 2}})
		}
	}
}
