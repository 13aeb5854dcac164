package attackpath

// Host edges: a workload whose pods can take their node over reaches the node. The
// settings are those exposure scores 3 on the host term (internal/exposure: hostPID,
// a privileged or Windows HostProcess container, an added capability ALL,
// SYS_ADMIN, SYS_MODULE, SYS_RAWIO, DAC_READ_SEARCH or BPF, a hostPath of / or of
// a sensitive node directory), read from workload.PodHostFact with their field
// paths and lines. hostIPC, other hostPaths and the other capabilities reach into
// the node without taking it over: no edge.

import (
	"fmt"
	"path"
	"strings"

	"github.com/palisade-k8s/palisade/internal/exposure"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// hostAccess is one setting that gives the node away, and how to remove it.
type hostAccess struct {
	why, field, change string
}

// takeovers lists the settings of a pod template that let its pods take their node
// over, in template order.
func takeovers(h *workload.PodHost) []hostAccess {
	var out []hostAccess
	spec := h.SpecPath
	if h.HostPID {
		out = append(out, hostAccess{"hostPID: the pods share the node's process namespace", spec + ".hostPID", "remove hostPID: true"})
	}
	for _, c := range h.Containers {
		if c.Privileged {
			out = append(out, hostAccess{"container " + c.Name + " is privileged", c.Path + ".securityContext.privileged",
				"set privileged: false on container " + c.Name})
		}
		if c.HostProcess {
			field := c.Path + ".securityContext.windowsOptions.hostProcess"
			if _, own := h.Lines[field]; !own && h.Lines != nil {
				// Inherited from the pod.
				if _, pod := h.Lines[spec+".securityContext.windowsOptions.hostProcess"]; pod {
					field = spec + ".securityContext.windowsOptions.hostProcess"
				}
			}
			out = append(out, hostAccess{"container " + c.Name + " is a Windows HostProcess container", field,
				"remove windowsOptions.hostProcess: true (container " + c.Name + ")"})
		}
		for j, cp := range c.AddedCapabilities {
			if name, ok := exposure.NodeCapability(cp); ok {
				out = append(out, hostAccess{"capability " + name + " added to container " + c.Name,
					fmt.Sprintf("%s.securityContext.capabilities.add[%d]", c.Path, j),
					"drop capability " + name + " from container " + c.Name})
			}
		}
	}
	for _, v := range h.HostPaths {
		p := path.Clean("/" + v.Path)
		if !exposure.NodeDir(p) {
			continue
		}
		why := "hostPath volume " + v.Name + " mounts the node's " + p
		if v.ReadOnly {
			why += " (read-only: the node's credentials are still read)"
		}
		out = append(out, hostAccess{why, v.Field + ".hostPath.path", "remove hostPath volume " + v.Name + " (" + p + ")"})
	}
	return out
}

func (b *builder) host() {
	node := b.hostNode()
	for _, n := range b.g.Workloads() {
		o := b.objects[*n.Object]
		if o == nil {
			continue
		}
		h, ok := workload.PodHostFact.Of(o)
		if !ok || h == nil {
			continue
		}
		access := takeovers(h)
		if len(access) == 0 {
			continue
		}
		var ev, changes []string
		for _, a := range access {
			line := h.Lines[a.field]
			if line > 0 {
				ev = append(ev, fmt.Sprintf("%s (%s, line %d)", a.why, a.field, line))
			} else {
				ev = append(ev, fmt.Sprintf("%s (%s)", a.why, a.field))
			}
			changes = append(changes, a.change)
		}
		// One fix removes every setting: removing one leaves the others.
		loc := o.Origin
		if line := h.Lines[access[0].field]; line > 0 {
			loc.Line = line
		}
		fix := &finding.PathFix{Change: strings.Join(changes, "; "), Object: n.Object, Location: &loc, Path: access[0].field, Cost: len(access)}
		b.g.Connect(Edge{From: n, To: node, Kind: EdgeHost, Analyzer: ByWorkload, Evidence: ev, Fix: fix})
	}
}
