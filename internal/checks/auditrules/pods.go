package auditrules

// Pods that hold their node: privileged containers (PAL-905), sensitive host paths
// and runtime sockets (PAL-906), the node's namespaces (PAL-907). The scan rules of
// podsecurity judge manifests before they are applied; these judge what was
// actually created or changed in the cluster, by whom, from the request body, for
// pods and for every pod controller (Deployment, DaemonSet, StatefulSet, ReplicaSet,
// ReplicationController, Job, CronJob): a single-event rule on pods alone misses the
// DaemonSet an attacker creates, and sees only the controller's pods, made by a
// system identity. Pods made by a controller from its template are not judged
// again (the controller was), nor kubelets' mirror pods.
//
// An update or patch is reported when it adds the property (the containers or paths
// differ from what was last reported for the object); the same property kept
// across updates is reported once.

import (
	"path"
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/checks/catalog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// podNeeds are the events the pod detections read: writes of pods and controllers,
// with their bodies.
var podNeeds = []audit.Need{
	{Verbs: writeVerbs, Resources: []string{"pods", "replicationcontrollers"}, Level: auditlog.LevelRequest, Stage: auditlog.StageResponseComplete},
	{Verbs: writeVerbs, APIGroup: "apps", Resources: []string{"deployments", "daemonsets", "statefulsets", "replicasets"}, Level: auditlog.LevelRequest, Stage: auditlog.StageResponseComplete},
	{Verbs: writeVerbs, APIGroup: "batch", Resources: []string{"jobs", "cronjobs"}, Level: auditlog.LevelRequest, Stage: auditlog.StageResponseComplete},
}

const refPrivileged = "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline"

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-905", Title: "Privileged pod or workload created", Severity: finding.High, Category: catAudit,
			Rationale: "A privileged container (or a Windows HostProcess container) has every capability and the node's devices: it is root on the node, one mount away from the host's filesystem. Creating one is the shortest escape from a pod to its node, and a DaemonSet does it on every node at once. " +
				"Palisade judges the pod template of every controller, not only pods, skips the pods controllers make from templates it already judged, and reports an update only when it makes a container privileged.",
			Remediation: "Check who created the workload and why it must be privileged. Enforce the baseline Pod Security Standard (or an admission policy) in every namespace where people or CI deploy, and grant the exceptions per namespace.",
			References:  []string{refAuditing, refPrivileged, "https://attack.mitre.org/techniques/T1611/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1610", "T1611"}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, podNeeds, func(s *audit.Setup) audit.Detector { return &privilegedDetector{memo: newMemo(s)} })

	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-906", Title: "Pod or workload mounting a sensitive host path created", Severity: finding.High, Category: catAudit,
			Rationale: "A hostPath volume of a system directory (/, /etc, /proc, /var/lib/kubelet, /etc/kubernetes, ...) hands the pod the node's credentials, kubelet state or kernel interfaces; a container runtime socket hands it an API that starts privileged containers on the node. Either is an escape to the host. " +
				"The paths are those of the scan rules PAL-022 and PAL-023; a runtime socket is critical. Pods and every pod controller are judged from the request body; other host paths are scan findings (PAL-021), not alerts.",
			Remediation: "Check who created the workload and why it needs the node's files. Do not mount system directories or runtime sockets; enforce the baseline Pod Security Standard, which forbids hostPath volumes, where people and CI deploy.",
			References:  []string{refAuditing, "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath", "https://attack.mitre.org/techniques/T1611/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1611", "T1610"}, Layer: layerCluster},
			Params: []rules.Param{
				{Name: "paths", Syntax: rules.Path, Description: "Sensitive host paths (a mount of the path, of anything inside it, or of an ancestor matches; \"/\" matches only itself). Default: PAL-022's list.", Default: catalog.SensitiveHostPaths},
				{Name: "sockets", Syntax: rules.Path, Description: "Container runtime sockets and state directories (critical). Default: PAL-023's list.", Default: catalog.RuntimeSockets},
			},
		},
		Targets: rules.Audit,
	}, podNeeds, func(s *audit.Setup) audit.Detector {
		return &hostPathDetector{memo: newMemo(s), paths: cleanAll(s.Strings("paths")), sockets: cleanAll(s.Strings("sockets"))}
	})

	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-907", Title: "Pod or workload sharing the node's namespaces created", Severity: finding.High, Category: catAudit,
			Rationale: "hostPID shows the pod every process of the node (and, with ptrace or a privileged container, lets it enter them); hostIPC shares the node's shared memory; hostNetwork puts the pod on the node's interfaces, where it reaches loopback-only services and can sniff traffic. Each breaks the pod/node boundary. " +
				"Pods and every pod controller are judged from the request body; hostNetwork alone is medium, hostPID or hostIPC high.",
			Remediation: "Check who created the workload and why it shares the node's namespaces; only node agents should. Enforce the baseline Pod Security Standard where people and CI deploy.",
			References:  []string{refAuditing, refPrivileged, "https://attack.mitre.org/techniques/T1611/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1611", "T1610"}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, podNeeds, func(s *audit.Setup) audit.Detector { return &hostNSDetector{memo: newMemo(s)} })
}

type privilegedDetector struct{ memo memo }

func (d *privilegedDetector) Event(c *audit.Context) {
	w := podWriteOf(c)
	if w == nil {
		return
	}
	h := w.Host()
	if h == nil {
		return
	}
	var names []string
	field := ""
	for _, ct := range h.Containers {
		switch {
		case ct.Privileged:
			names = append(names, ct.Name)
			if field == "" {
				field = w.containerPath(ct.Name) + ".securityContext.privileged"
			}
		case ct.HostProcess:
			names = append(names, ct.Name+" (HostProcess)")
			if field == "" {
				field = w.Spec + ".securityContext.windowsOptions.hostProcess"
				if p := w.containerPath(ct.Name); p != "" {
					field = p + ".securityContext.windowsOptions.hostProcess"
				}
			}
		}
	}
	if len(names) == 0 || !d.memo.fresh(w.Ref, w.Verb, strings.Join(names, ",")) {
		return
	}
	c.Report(audit.Report{Object: w.Ref, Path: field,
		Message: w.What() + " " + verbText(w.Verb) + " with privileged container" + plural(len(names)) + " " + strings.Join(names, ", ")})
}

type hostPathDetector struct {
	memo           memo
	paths, sockets []string
}

func (d *hostPathDetector) Event(c *audit.Context) {
	w := podWriteOf(c)
	if w == nil || len(w.Facts.HostPaths) == 0 {
		return
	}
	var found []string
	socket := false
	field := ""
	for _, p := range w.Facts.HostPaths {
		class := hostPathClass(p, d.paths, d.sockets)
		switch class {
		case 2:
			socket = true
			found = append(found, p+" (container runtime socket)")
		case 1:
			found = append(found, p)
		}
		if class > 0 && field == "" {
			field = w.volumePath(p)
		}
	}
	if len(found) == 0 || !d.memo.fresh(w.Ref, w.Verb, strings.Join(found, ",")) {
		return
	}
	r := audit.Report{Object: w.Ref, Path: field,
		Message: w.What() + " " + verbText(w.Verb) + " mounting host path" + plural(len(found)) + " " + strings.Join(found, ", ")}
	if socket {
		r.Severity, r.HasSeverity = finding.Critical, true
	}
	c.Report(r)
}

type hostNSDetector struct{ memo memo }

func (d *hostNSDetector) Event(c *audit.Context) {
	w := podWriteOf(c)
	if w == nil {
		return
	}
	var ns []string
	if w.Facts.HostPID {
		ns = append(ns, "hostPID")
	}
	if w.Facts.HostIPC {
		ns = append(ns, "hostIPC")
	}
	if w.Facts.HostNetwork {
		ns = append(ns, "hostNetwork")
	}
	if len(ns) == 0 || !d.memo.fresh(w.Ref, w.Verb, strings.Join(ns, ",")) {
		return
	}
	r := audit.Report{Object: w.Ref, Path: w.Spec + "." + ns[0], Message: w.What() + " " + verbText(w.Verb) + " with " + strings.Join(ns, ", ")}
	if !w.Facts.HostPID && !w.Facts.HostIPC {
		r.Severity, r.HasSeverity = finding.Medium, true
	}
	c.Report(r)
}

// hostPathClass is 2 for a runtime socket, 1 for a sensitive path, 0 otherwise,
// compared as PAL-022 and PAL-023 compare them.
func hostPathClass(p string, paths, sockets []string) int {
	p = cleanPath(p)
	if p == "" {
		return 0
	}
	for _, s := range sockets {
		if p == s || strings.HasPrefix(p, s+"/") {
			return 2
		}
	}
	base := path.Base(p)
	if strings.HasSuffix(base, ".sock") && (strings.Contains(base, "docker") || strings.Contains(base, "containerd") || strings.Contains(base, "crio") || strings.Contains(base, "podman")) {
		return 2
	}
	for _, dir := range paths {
		if p == dir || (dir != "/" && strings.HasPrefix(p, dir+"/")) || (p != "/" && strings.HasPrefix(dir, strings.TrimSuffix(p, "/")+"/")) {
			return 1
		}
	}
	return 0
}

func cleanPath(p string) string {
	if p == "" {
		return p
	}
	return path.Clean("/" + strings.TrimSpace(p))
}

func cleanAll(ps []string) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		if p = cleanPath(p); p != "" {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
