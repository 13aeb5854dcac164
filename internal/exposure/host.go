package exposure

// Host access: what the pods hold of their node, read from the pod as the API server
// stores it and each container's effective settings (internal/workload): a container
// that can take the node over scores 3, one that reaches into it 2, the host network
// alone 1 (see the package doc).

import (
	"path"
	"strings"

	"github.com/palisade-k8s/palisade/internal/workload"
)

const maxHost = 3

// nodeCapabilities are added capabilities that let a container take its node over;
// reachCapabilities those that reach into the node or other containers.
var (
	nodeCapabilities  = map[string]bool{"ALL": true, "SYS_ADMIN": true, "SYS_MODULE": true, "SYS_RAWIO": true, "DAC_READ_SEARCH": true, "BPF": true}
	reachCapabilities = map[string]bool{"NET_ADMIN": true, "SYS_PTRACE": true, "SYS_BOOT": true, "SYS_TIME": true, "PERFMON": true, "SYSLOG": true, "SYS_RESOURCE": true}
)

// nodeDirs are the node directories whose hostPath mount gives the node away: its
// configuration and credentials, kernel interfaces, runtime sockets and state, the
// kubelet's directory and the logs it follows symlinks in.
var nodeDirs = []string{"/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/run", "/var/run",
	"/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd", "/var/lib/etcd", "/var/log"}

// hostAccess lists the workload's host access and scores it (nothing when its pod
// template was not read).
func hostAccess(w *workload.Workload) ([]string, int) {
	if w == nil {
		return nil, 0
	}
	var why []string
	score := 0
	add := func(s int, reason string) {
		why = append(why, reason)
		score = max(score, s)
	}
	spec := w.Spec
	if spec.HostPID {
		add(3, "hostPID")
	}
	if spec.HostIPC {
		add(2, "hostIPC")
	}
	if spec.HostNetwork {
		add(1, "hostNetwork")
	}
	for _, c := range w.Containers {
		e := &c.Effective
		if e.Privileged.Value {
			add(3, "privileged container "+c.Name)
		}
		if e.HostProcess.Value {
			add(3, "Windows HostProcess container "+c.Name)
		}
		for _, cp := range e.Capabilities.Add {
			name := strings.TrimPrefix(strings.ToUpper(string(cp)), "CAP_")
			switch {
			case nodeCapabilities[name]:
				add(3, "capability "+name+" added to container "+c.Name)
			case reachCapabilities[name]:
				add(2, "capability "+name+" added to container "+c.Name)
			}
		}
	}
	for _, v := range spec.Volumes {
		if v.HostPath == nil {
			continue
		}
		p := path.Clean("/" + v.HostPath.Path)
		reason := "hostPath " + p
		if readOnlyEverywhere(w, v.Name) {
			reason += " (read-only)"
		}
		if nodeDir(p) {
			add(3, reason)
		} else {
			add(2, reason)
		}
	}
	return why, min(score, maxHost)
}

// nodeDir reports whether a host path is the root or a sensitive node directory (or
// a file under one, such as /var/run/docker.sock).
func nodeDir(p string) bool {
	if p == "/" {
		return true
	}
	for _, d := range nodeDirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// readOnlyEverywhere reports whether every container that mounts a volume mounts it
// read-only (and some does). A read-only mount still reads the node's secrets, so it
// does not lower the score; the reason says so.
func readOnlyEverywhere(w *workload.Workload, volume string) bool {
	mounted := false
	for _, c := range w.Containers {
		for _, m := range c.VolumeMounts {
			if m.Name != volume {
				continue
			}
			if !m.ReadOnly {
				return false
			}
			mounted = true
		}
	}
	return mounted
}
