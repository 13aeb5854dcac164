package podsecurity

// hostPath volumes mount the node's filesystem into the pod. Any hostPath breaks the
// pod/node boundary (PSS baseline forbids them); system directories and container
// runtime sockets are how containers escape to the node ("never nest Docker in
// Docker"), and writable mounts let the pod change the node. Each volume gets the most
// specific of PAL-021/022/023; writability is reported per mount by PAL-024.

import (
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-k8s/palisade/internal/checks/catalog"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// The lists of PAL-022 and PAL-023 are the catalog's, shared with the audit
// detection of pods mounting them (PAL-906).
var (
	defaultSensitivePaths = catalog.SensitiveHostPaths
	defaultRuntimeSockets = catalog.RuntimeSockets
)

type hostPathClass int

const (
	hostPathPlain hostPathClass = iota
	hostPathSensitive
	hostPathSocket
)

func classifyHostPath(p *rules.Pass, hp string) hostPathClass {
	hp = cleanHostPath(hp)
	for _, s := range p.StringsOf("PAL-023", "sockets") {
		if hp == s || strings.HasPrefix(hp, s+"/") {
			return hostPathSocket
		}
	}
	base := path.Base(hp)
	if strings.HasSuffix(base, ".sock") && (strings.Contains(base, "docker") || strings.Contains(base, "containerd") || strings.Contains(base, "crio") || strings.Contains(base, "podman")) {
		return hostPathSocket
	}
	for _, s := range p.StringsOf("PAL-022", "paths") {
		if pathCovers(hp, s) {
			return hostPathSensitive
		}
	}
	return hostPathPlain
}

func forEachHostPath(w *workload.Workload, fn func(i int, v *corev1.Volume)) {
	for i := range w.Spec.Volumes {
		if v := &w.Spec.Volumes[i]; v.HostPath != nil {
			fn(i, v)
		}
	}
}

func init() {
	volPath := func(w *workload.Workload, i int) string {
		return w.SpecField("volumes") + indexSuffix(i) + ".hostPath.path"
	}
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-021", Title: "hostPath volume", Severity: medium, Category: catVolumes,
			Rationale:   "A hostPath volume gives the pod a view of the node's filesystem, ties it to one node and bypasses storage isolation.",
			Remediation: "Use emptyDir, a ConfigMap/Secret, a projected volume or a PersistentVolumeClaim instead of hostPath.",
			References:  []string{refPSS, "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath"},
			Frameworks:  baseline("hostPathVolumes", "5.2.11"),
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forEachHostPath(w, func(i int, v *corev1.Volume) {
				if classifyHostPath(p, v.HostPath.Path) == hostPathPlain {
					p.Report(volPath(w, i), "", "volume %q mounts host path %s", v.Name, v.HostPath.Path)
				}
			})
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-022", Title: "Sensitive host path mounted", Severity: high, Category: catVolumes,
			Rationale:   "Mounting system directories such as /, /etc, /proc, /var/lib/kubelet or /etc/kubernetes exposes node credentials, kubelet state and kernel interfaces; with write access it is a direct node takeover.",
			Remediation: "Do not mount system directories; if a node agent truly needs one, mount the narrowest path read-only and isolate the agent.",
			References:  []string{refPSS},
			Frameworks:  baseline("hostPathVolumes", "5.2.11"),
			Params: []rules.Param{{Name: "paths", Syntax: rules.Path, Description: "Host paths that are sensitive; a mount of the path, anything inside it, or any ancestor of it matches (\"/\" matches only itself).",
				Default: defaultSensitivePaths}},
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forEachHostPath(w, func(i int, v *corev1.Volume) {
				if classifyHostPath(p, v.HostPath.Path) == hostPathSensitive {
					p.Report(volPath(w, i), "", "volume %q mounts sensitive host path %s", v.Name, v.HostPath.Path)
				}
			})
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-023", Title: "Container runtime socket mounted", Severity: critical, Category: catVolumes,
			Rationale:   "The Docker, containerd or CRI-O socket is an API for starting privileged containers on the node: whoever can reach it owns the node. Never nest Docker in Docker this way.",
			Remediation: "Remove the socket mount; build images with a daemonless builder (for example BuildKit rootless or kaniko) and talk to the cluster through its API.",
			References:  []string{refPSS},
			Frameworks:  baseline("hostPathVolumes", "5.2.11"),
			Params: []rules.Param{{Name: "sockets", Syntax: rules.Path, Description: "Runtime sockets and runtime state directories.",
				Default: defaultRuntimeSockets}},
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forEachHostPath(w, func(i int, v *corev1.Volume) {
				if classifyHostPath(p, v.HostPath.Path) == hostPathSocket {
					p.Report(volPath(w, i), "", "volume %q mounts container runtime socket %s", v.Name, v.HostPath.Path)
				}
			})
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-024", Title: "hostPath mounted writable", Severity: high, Category: catVolumes,
			Rationale:   "A writable hostPath mount lets the container change files on the node, which can plant binaries, alter kubelet or runtime configuration and persist beyond the pod.",
			Remediation: "Set readOnly: true on the volumeMount, or drop the hostPath volume.",
			References:  []string{refPSS},
			Frameworks:  baseline("hostPathVolumes", "5.2.11"),
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			hp := map[string]string{}
			forEachHostPath(w, func(i int, v *corev1.Volume) {
				if classifyHostPath(p, v.HostPath.Path) != hostPathSocket {
					hp[v.Name] = v.HostPath.Path
				}
			})
			if len(hp) == 0 {
				return
			}
			for _, c := range w.Containers {
				for i, m := range c.VolumeMounts {
					if host, ok := hp[m.Name]; ok && !m.ReadOnly {
						p.Report(c.Field("volumeMounts")+indexSuffix(i), c.Name,
							"container %q mounts host path %s writable at %s", c.Name, host, m.MountPath)
					}
				}
			}
		},
	})
}
