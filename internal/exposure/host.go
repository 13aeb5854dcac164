package exposure

// Host access: what the pods hold of their node, as internal/workload records it
// while the pod template is decoded (workload.PodHostFact, with the effective
// hostProcess of each container): a container that can take the node over scores 3,
// one that reaches into it 2, the host network alone 1 (see the package doc).

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
func hostAccess(h *workload.PodHost) ([]string, int) {
	if h == nil {
		return nil, 0
	}
	var why []string
	score := 0
	add := func(s int, reason string) {
		why = append(why, reason)
		score = max(score, s)
	}
	if h.HostPID {
		add(3, "hostPID")
	}
	if h.HostIPC {
		add(2, "hostIPC")
	}
	if h.HostNetwork {
		add(1, "hostNetwork")
	}
	for _, c := range h.Containers {
		if c.Privileged {
			add(3, "privileged container "+c.Name)
		}
		if c.HostProcess {
			add(3, "Windows HostProcess container "+c.Name)
		}
		for _, cp := range c.AddedCapabilities {
			name := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(cp)), "CAP_")
			switch {
			case nodeCapabilities[name]:
				add(3, "capability "+name+" added to container "+c.Name)
			case reachCapabilities[name]:
				add(2, "capability "+name+" added to container "+c.Name)
			}
		}
	}
	for _, v := range h.HostPaths {
		p := path.Clean("/" + v.Path)
		reason := "hostPath " + p
		if v.ReadOnly {
			// A read-only mount still reads the node's secrets: the score stays.
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
