package auditrules

// An ephemeral container is added to a running pod through its ephemeralcontainers
// subresource (kubectl debug): a new container, with an image of the requester's
// choosing, inside the pod's namespaces, next to its volumes and token. With
// --profile=sysadmin it is privileged. It is exec without the image's limits, and
// it stays in the pod's spec until the pod goes.

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
			ID: "PAL-904", Title: "Ephemeral container added to a running pod", Severity: finding.Medium, Category: catAudit,
			Rationale: "kubectl debug adds an ephemeral container to a running pod: any image, in the pod's network and process namespaces, with its volumes and service-account token at hand. It is an exec that brings its own tools, and with the sysadmin profile a privileged container. " +
				"The finding names the container and image when the log holds the request body, and is high when the new container is privileged or the pod has host access (known from its creation in the log or the current state), with the pod's creation in the chain.",
			Remediation: "Check that the debugging session was expected. Grant pods/ephemeralcontainers only to the people who debug, and enforce a Pod Security Standard in the namespace (it applies to ephemeral containers too, so --profile=sysadmin is refused under baseline).",
			References:  []string{refAuditing, "https://kubernetes.io/docs/concepts/workloads/pods/ephemeral-containers/", "https://attack.mitre.org/techniques/T1609/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1609", "T1610"}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, []audit.Need{{Verbs: []string{"update", "patch"}, Resources: []string{"pods/ephemeralcontainers"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete}},
		func(*audit.Setup) audit.Detector { return ephemeralDetector{} })
}

type ephemeralDetector struct{}

func (ephemeralDetector) Event(c *audit.Context) {
	ev := c.Event()
	if !changed(ev, "update", "patch") || ev.ObjectRef.Resource != "pods" || ev.ObjectRef.Subresource != "ephemeralcontainers" {
		return
	}
	ref := ev.ObjectRef
	msg := "ephemeral container added to pod " + nsName(ref.Namespace, ref.Name)
	var why []string
	// The request body is the pod (update) or a patch of its ephemeralContainers:
	// both list the containers; the last is the one added.
	if body, _ := c.Body(); body != nil {
		if f := audit.PodFactsOf("Pod", "v1", body); f != nil && f.Privileged {
			why = append(why, "a privileged container")
		}
		if spec, ok := body["spec"].(map[string]any); ok {
			if cs, ok := spec["ephemeralContainers"].([]any); ok && len(cs) > 0 {
				if cm, ok := cs[len(cs)-1].(map[string]any); ok {
					name, _ := cm["name"].(string)
					image, _ := cm["image"].(string)
					msg += ": " + name + " (" + image + ")"
				}
			}
		}
	}
	var chain []*auditlog.Event
	if pod, ok := c.Object("pods", ref.Namespace, ref.Name); ok {
		if h := pod.Pod.HostAccess(); len(h) > 0 {
			why = append(why, "a pod with "+strings.Join(h, ", "))
			if pod.Created != nil {
				chain = append(chain, pod.Created)
			}
		}
	}
	if len(why) == 0 {
		c.Reportf(nil, "%s", msg)
		return
	}
	c.Report(audit.Report{Chain: chain, Severity: finding.High, HasSeverity: true, Message: msg + " (" + strings.Join(why, "; ") + ")"})
}
