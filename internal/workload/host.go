package workload

import (
	"fmt"

	"github.com/palisade-k8s/palisade/internal/inventory"
)

// PodHostFact holds what the pods of an object that runs pods hold of their node
// (host namespaces, privileged and HostProcess containers, added capabilities, host
// ports, hostPath volumes), for the exposure of the images they run
// (internal/exposure), so that workload bodies need not be kept for it; nil when it
// has no pod template. Finder.Record records it with the other pod facts.
var PodHostFact = inventory.NewFact[*PodHost]("pod-host")

// PodHost is the host access of a pod template, with the effective values of the
// settings a container inherits from the pod (windowsOptions.hostProcess); the
// others (privileged, capabilities) exist on containers only.
type PodHost struct {
	HostPID, HostIPC, HostNetwork bool
	// SpecPath is the field path of the PodSpec ("spec.template.spec").
	SpecPath string
	// Lines are the lines of the PodSpec and of the fields that give host access
	// (hostPID, a container's securityContext.privileged, a volume's
	// hostPath.path, ...), by full field path, when the object's line table was kept while it was read:
	// findings and fixes point at them after the body is dropped.
	Lines map[string]int
	// Containers are the init, regular and ephemeral containers that hold something
	// of the node, in that order.
	Containers []ContainerHost
	// HostPaths are the hostPath volumes, in order.
	HostPaths []HostPathVolume
}

// ContainerHost is what one container holds of its node.
type ContainerHost struct {
	Name string
	// Path is the container's field path ("spec.template.spec.containers[0]").
	Path                    string
	Privileged, HostProcess bool
	// AddedCapabilities is securityContext.capabilities.add as written.
	AddedCapabilities []string
	// HostPorts are the declared ports with a hostPort (Port is the hostPort).
	HostPorts []PodPort
}

// HostPathVolume is a hostPath volume.
type HostPathVolume struct {
	Name, Path string
	// Field is the volume's field path ("spec.template.spec.volumes[0]").
	Field string
	// ReadOnly is set when some container mounts it and every one that does mounts
	// it read-only.
	ReadOnly bool
}

// PodHost returns the host access of an object that runs pods, read from its decoded
// body without decoding the template (nil when the object runs no pods, its body was
// not decoded or it has no pod template). Malformed entries are skipped: such a
// template does not decode anyway.
func (f *Finder) PodHost(o *inventory.Object) *PodHost {
	spec, specPath := f.podSpecAt(o)
	if spec == nil {
		return nil
	}
	h := &PodHost{SpecPath: specPath}
	line := func(path string) {
		if o.Lines == nil {
			return
		}
		if h.Lines == nil {
			h.Lines = map[string]int{}
		}
		h.Lines[path] = o.LineOf(path)
	}
	line(specPath)
	h.HostPID, _ = spec["hostPID"].(bool)
	h.HostIPC, _ = spec["hostIPC"].(bool)
	h.HostNetwork, _ = spec["hostNetwork"].(bool)
	for _, set := range []struct {
		on    bool
		field string
	}{{h.HostPID, "hostPID"}, {h.HostIPC, "hostIPC"}, {h.HostNetwork, "hostNetwork"}} {
		if set.on {
			line(specPath + "." + set.field)
		}
	}
	podHostProcess := false
	if sc, _ := spec["securityContext"].(map[string]any); sc != nil {
		if wo, _ := sc["windowsOptions"].(map[string]any); wo != nil {
			if podHostProcess, _ = wo["hostProcess"].(bool); podHostProcess {
				line(specPath + ".securityContext.windowsOptions.hostProcess")
			}
		}
	}
	mounts := map[string][2]int{} // volume name -> mounts, read-only mounts
	for _, list := range []ContainerKind{Init, Regular, Ephemeral} {
		cs, _ := spec[string(list)].([]any)
		for i, c := range cs {
			cm, _ := c.(map[string]any)
			if cm == nil {
				continue
			}
			path := fmt.Sprintf("%s.%s[%d]", specPath, list, i)
			ch := ContainerHost{HostProcess: podHostProcess, Path: path}
			ch.Name, _ = cm["name"].(string)
			if sc, _ := cm["securityContext"].(map[string]any); sc != nil {
				if ch.Privileged, _ = sc["privileged"].(bool); ch.Privileged {
					line(path + ".securityContext.privileged")
				}
				if wo, _ := sc["windowsOptions"].(map[string]any); wo != nil {
					if v, set := wo["hostProcess"].(bool); set {
						ch.HostProcess = v
						if v {
							line(path + ".securityContext.windowsOptions.hostProcess")
						}
					}
				}
				if caps, _ := sc["capabilities"].(map[string]any); caps != nil {
					add, _ := caps["add"].([]any)
					for j, a := range add {
						if s, ok := a.(string); ok {
							ch.AddedCapabilities = append(ch.AddedCapabilities, s)
							line(fmt.Sprintf("%s.securityContext.capabilities.add[%d]", path, j))
						}
					}
				}
			}
			ports, _ := cm["ports"].([]any)
			for _, p := range ports {
				pm, _ := p.(map[string]any)
				hp := IntValue(pm["hostPort"])
				if hp < 1 || hp > 65535 {
					continue
				}
				name, _ := pm["name"].(string)
				proto, _ := pm["protocol"].(string)
				ch.HostPorts = append(ch.HostPorts, PodPort{Name: name, Protocol: proto, Port: int32(hp)})
			}
			vms, _ := cm["volumeMounts"].([]any)
			for _, vm := range vms {
				m, _ := vm.(map[string]any)
				name, _ := m["name"].(string)
				ro, _ := m["readOnly"].(bool)
				n := mounts[name]
				n[0]++
				if ro {
					n[1]++
				}
				mounts[name] = n
			}
			if ch.Privileged || ch.HostProcess || len(ch.AddedCapabilities) > 0 || len(ch.HostPorts) > 0 {
				h.Containers = append(h.Containers, ch)
			}
		}
	}
	vols, _ := spec["volumes"].([]any)
	for i, v := range vols {
		vm, _ := v.(map[string]any)
		hp, _ := vm["hostPath"].(map[string]any)
		if hp == nil {
			continue
		}
		name, _ := vm["name"].(string)
		path, _ := hp["path"].(string)
		field := fmt.Sprintf("%s.volumes[%d]", specPath, i)
		line(field + ".hostPath.path")
		n := mounts[name]
		h.HostPaths = append(h.HostPaths, HostPathVolume{Name: name, Path: path, Field: field, ReadOnly: n[0] > 0 && n[0] == n[1]})
	}
	return h
}

// IntValue reads a decoded number (YAML gives int64, JSON float64).
func IntValue(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	case int:
		return int64(n)
	}
	return 0
}
