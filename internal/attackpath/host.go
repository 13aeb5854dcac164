package attackpath

// Host edges: a workload whose pods can take their node over (privileged, hostPID,
// node-level capabilities, a hostPath of a sensitive node directory) reaches the
// node.

import (
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/workload"
)

func (b *builder) host() {
	node := b.g.Add(Node{ID: HostNode, Kind: KindNode, Label: "a node (root on the host)"})
	for _, n := range b.g.Workloads() {
		o := b.objects[*n.Object]
		if o == nil {
			continue
		}
		h, ok := workload.PodHostFact.Of(o)
		if !ok || h == nil {
			continue
		}
		for i, c := range h.Containers {
			if !c.Privileged {
				continue
			}
			_ = i
			b.g.Connect(Edge{From: n, To: node, Kind: EdgeHost, Analyzer: ByWorkload,
				Evidence: []string{"container " + c.Name + " is privileged"},
				Fix:      &finding.PathFix{Change: "set privileged: false on container " + c.Name, Object: n.Object, Location: n.Location, Cost: 1}})
		}
	}
}
