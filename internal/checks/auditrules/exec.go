package auditrules

// Exec into a container is the administrator's shell and the attacker's: whoever
// can create pods/exec runs any command inside any container it reaches, with that
// container's token and mounts. What matters is which pod: an exec into a
// privileged pod, or one with host namespaces or host paths, is a shell on the node.
// Single-event engines cannot tell; the audit engine remembers the pod (created in
// the log, or given as the current state) and says so in one finding.

import (
	"strings"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-901", Title: "Command executed in a container (pods/exec)", Severity: finding.Medium, Category: catAudit,
			Rationale: "An exec request runs a command inside a running container with the container's identity, token and mounts. It is how administrators debug, and how an attacker with pods/exec moves into a workload, reads its secrets or, when the pod is privileged or shares the node's namespaces or paths, reaches the node itself. " +
				"The finding is high when the pod the command ran in has host access (known from the pod's creation in the log, or from the current state given with -f or read from the cluster); the chain then includes the event that created the pod.",
			Remediation: "Check that the exec was expected (who, which pod, which command). Grant pods/exec only to the people who need it, in the namespaces they need it, and prefer kubectl debug with an ephemeral container under a restricted profile; never run privileged pods where people exec.",
			References:  []string{refAuditing, "https://attack.mitre.org/techniques/T1609/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1609"}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, []audit.Need{{Verbs: []string{"create", "get"}, Resources: []string{"pods/exec"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete}},
		func(*audit.Setup) audit.Detector { return execDetector{} })
}

type execDetector struct{}

func (execDetector) Event(c *audit.Context) {
	ev := c.Event()
	// The API server writes an exec (a connection upgrade) at ResponseStarted and
	// again at ResponseComplete; one finding per request, at completion, for an
	// allowed request.
	if ev.Stage != auditlog.StageResponseComplete || ev.ObjectRef == nil || ev.ObjectRef.Resource != "pods" ||
		ev.ObjectRef.Subresource != "exec" || !ev.Allowed() {
		return
	}
	ref := ev.ObjectRef
	cmd := commandOf(ev.RequestURI)
	pod, known := c.Object("pods", ref.Namespace, ref.Name)
	if known && len(pod.Pod.HostAccess()) > 0 {
		var chain []*auditlog.Event
		if pod.Created != nil {
			chain = append(chain, pod.Created)
		}
		c.Report(audit.Report{
			Chain: chain, Severity: finding.High, HasSeverity: true,
			Message: "exec into pod " + ref.Namespace + "/" + ref.Name + " (" + strings.Join(pod.Pod.HostAccess(), ", ") + ")" + cmd,
		})
		return
	}
	c.Reportf(nil, "exec into pod %s/%s%s", ref.Namespace, ref.Name, cmd)
}
