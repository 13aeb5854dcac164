package auditrules

// Exec into a container is the administrator's shell and the attacker's: whoever
// can create pods/exec runs any command inside any container it reaches, with that
// container's token and mounts. What matters is which pod: an exec into a
// privileged pod, or one with host namespaces or host paths, is a shell on the node.
// Single-event engines cannot tell; the audit engine remembers the pod (created in
// the log, or given as the current state) and says so in one finding.
//
// Attach (PAL-902) and port-forward (PAL-903) are the same kind of session on a
// pod's subresource and share the detector.
//
// When: the API server writes a session (a connection upgrade) at ResponseStarted,
// when the stream opens, and again at ResponseComplete, when it closes, which for a
// shell can be hours later. The finding comes at the first of the two the log holds
// (ResponseStarted unless the audit Policy omits that stage), once per request
// (audit ID). kubectl sends the request as a POST (verb create) over SPDY, or as a
// GET (verb get) with an upgrade over WebSockets (kubectl 1.30 and later): both
// count. An allowed session that then failed (no kubelet, the container gone) is
// still reported, with its code: the identity was allowed to open it.

import (
	"fmt"
	"strings"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

func init() {
	sessionNeeds := func(sub string) []audit.Need {
		// ResponseComplete is the stage it needs (every policy keeps it); with
		// ResponseStarted too, the finding comes when the session opens.
		return []audit.Need{{Verbs: []string{"create", "get"}, Resources: []string{"pods/" + sub}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete}}
	}
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-901", Title: "Command executed in a container (pods/exec)", Severity: finding.Medium, Category: catAudit,
			Rationale: "An exec request runs a command inside a running container with the container's identity, token and mounts. It is how administrators debug, and how an attacker with pods/exec moves into a workload, reads its secrets or, when the pod is privileged or shares the node's namespaces or paths, reaches the node itself. " +
				"The finding is high when the pod the command ran in has host access (known from the pod's creation in the log, or from the current state given with -f or read from the cluster); the chain then includes the event that created the pod. The message names the container and the command (from the request URI).",
			Remediation: "Check that the exec was expected (who, which pod, which command). Grant pods/exec only to the people who need it, in the namespaces they need it, and prefer kubectl debug with an ephemeral container under a restricted profile; never run privileged pods where people exec.",
			References:  []string{refAuditing, "https://attack.mitre.org/techniques/T1609/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1609"}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, sessionNeeds("exec"), func(s *audit.Setup) audit.Detector { return newSession(s, "exec", "exec into") })

	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-902", Title: "Attached to a running container (pods/attach)", Severity: finding.Medium, Category: catAudit,
			Rationale: "Attach connects to the standard input and output of a container's main process: with a shell or an interactive program as that process it is an exec without a new process, and it reads whatever the process prints (credentials included). " +
				"The finding is high when the pod has host access (from its creation in the log or the current state), with the pod's creation in the chain.",
			Remediation: "Check that the attach was expected. pods/attach is granted with pods/exec in most roles: grant neither outside the people who debug, and run interactive containers (stdin, tty) only where needed.",
			References:  []string{refAuditing, "https://attack.mitre.org/techniques/T1609/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1609"}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, sessionNeeds("attach"), func(s *audit.Setup) audit.Detector { return newSession(s, "attach", "attach to") })

	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-903", Title: "Port forwarded to a pod (pods/portforward)", Severity: finding.Low, Category: catAudit,
			Rationale: "Port-forward tunnels the requester's connections through the API server and the kubelet into the pod's network namespace, past NetworkPolicies and Services: databases and admin ports that nothing exposes become reachable. " +
				"The finding is high when the pod uses the node's network (hostNetwork, known from its creation in the log or the current state): the tunnel then reaches every port the node listens on, its loopback-only services included (etcd on a control-plane node, the kubelet's local ports).",
			Remediation: "Check that the tunnel was expected. Grant pods/portforward only to the people who need it; never to identities that can reach hostNetwork pods.",
			References:  []string{refAuditing, "https://kubernetes.io/docs/tasks/access-application-cluster/port-forward-access-application-cluster/", "https://attack.mitre.org/techniques/T1609/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1609"}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, sessionNeeds("portforward"), func(s *audit.Setup) audit.Detector { return newSession(s, "portforward", "port-forward to") })
}

// session detects one kind of session on a pod (exec, attach, portforward).
type session struct {
	sub, what string
	// started holds the audit IDs reported at ResponseStarted, so that their
	// ResponseComplete stays quiet.
	started *audit.LRU[[32]byte, struct{}]
}

func newSession(s *audit.Setup, sub, what string) *session {
	return &session{sub: sub, what: what, started: audit.NewLRU[[32]byte, struct{}](s.Limits.MaxIdentities)}
}

func (d *session) Event(c *audit.Context) {
	ev := c.Event()
	ref := ev.ObjectRef
	if ref == nil || ref.Resource != "pods" || ref.Subresource != d.sub || !ev.Allowed() {
		return
	}
	switch ev.Stage {
	case auditlog.StageResponseStarted:
		if ev.AuditID == "" {
			return // reported at completion: nothing ties the two stages
		}
		d.started.Put(digest(ev.AuditID), struct{}{})
	case auditlog.StageResponseComplete:
		if _, ok := d.started.Get(digest(ev.AuditID)); ok && ev.AuditID != "" {
			d.started.Delete(digest(ev.AuditID))
			return
		}
	default:
		return
	}
	msg := d.what + " pod " + nsName(ref.Namespace, ref.Name) + d.detail(ev)
	pod, known := c.Object("pods", ref.Namespace, ref.Name)
	var host []string
	if known {
		host = pod.Pod.HostAccess()
		if d.sub == "portforward" && !pod.Pod.HostNetwork {
			host = nil
		}
	}
	if len(host) == 0 {
		c.Reportf(nil, "%s", msg)
		return
	}
	var chain []*auditlog.Event
	if pod.Created != nil {
		chain = append(chain, pod.Created)
	}
	c.Report(audit.Report{
		Chain: chain, Severity: finding.High, HasSeverity: true,
		Message: msg + " (the pod has " + strings.Join(host, ", ") + ")",
	})
}

// detail renders the container, command or ports and a failure code.
func (d *session) detail(ev *auditlog.Event) string {
	q := queryOf(ev.RequestURI)
	var s string
	if c := q.Get("container"); c != "" {
		s += ", container " + c
	}
	switch d.sub {
	case "exec":
		s += commandOf(ev.RequestURI)
	case "portforward":
		if p := q["ports"]; len(p) > 0 && len(p) <= 16 {
			s += ", ports " + strings.Join(p, ",")
		}
	}
	if code := ev.Code(); code >= 400 {
		s += fmt.Sprintf(" (allowed, then failed with code %d)", code)
	}
	return s
}
