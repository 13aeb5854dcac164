package auditrules

// Admission webhooks and policies see, and can change or refuse, every object
// they match: a mutating webhook an attacker registers injects a container into
// every new pod and receives every Secret it matches; deleting or loosening a
// validating webhook or policy turns off the guard the cluster relies on. Changes
// to them are rare and always worth a look; a deletion is high.
//
// Certificate rotation (cert-manager's cainjector patching caBundle) changes
// nothing that matters: an update is reported when the webhooks' names, targets,
// rules or failure policies change, or when the log holds no body to tell.

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

var admissionResources = map[string]bool{
	"mutatingwebhookconfigurations": true, "validatingwebhookconfigurations": true,
	"validatingadmissionpolicies": true, "validatingadmissionpolicybindings": true,
	"mutatingadmissionpolicies": true, "mutatingadmissionpolicybindings": true,
}

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-914", Title: "Admission webhook or policy created, changed or deleted", Severity: finding.Medium, Category: catAudit,
			Rationale: "A mutating webhook sees and rewrites every object it matches (an attacker's injects a sidecar into every pod, or receives every Secret written); a validating webhook or admission policy is a guard, and deleting or loosening it (failurePolicy Ignore, fewer rules) turns the guard off before the next step. " +
				"Creations and changes are medium, deletions high; updates that only rotate a CA bundle are not reported when the log holds the body.",
			Remediation: "Check who changed the admission configuration and why. Restrict write access to admissionregistration.k8s.io to the cluster's administrators and the installers of the webhooks, and watch the policies that enforce security (Pod Security, image policy) as code.",
			References:  []string{refAuditing, "https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/", "https://attack.mitre.org/techniques/T1562/001/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1562.001", "T1552.007"}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, []audit.Need{{Verbs: []string{"create", "update", "patch", "delete", "deletecollection"}, APIGroup: "admissionregistration.k8s.io",
		Resources: []string{"mutatingwebhookconfigurations", "validatingwebhookconfigurations", "validatingadmissionpolicies", "validatingadmissionpolicybindings", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings"},
		Level:     auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete}},
		func(s *audit.Setup) audit.Detector { return &admissionDetector{memo: newMemo(s)} })
}

type admissionDetector struct{ memo memo }

func (d *admissionDetector) Event(c *audit.Context) {
	ev := c.Event()
	if !changed(ev, "create", "update", "patch", "delete", "deletecollection") || !admissionResources[ev.ObjectRef.Resource] || ev.ObjectRef.Subresource != "" {
		return
	}
	body := bodyOf(c)
	ref := objectRef(c, body)
	what := ref.Kind + " " + ref.Name
	if ev.Verb == "delete" || ev.Verb == "deletecollection" {
		d.memo.forget(ref)
		c.Report(audit.Report{Object: ref, Severity: finding.High, HasSeverity: true, Message: what + " " + verbText(ev.Verb)})
		return
	}
	sig := admissionSignature(body)
	if sig != "" && !d.memo.fresh(ref, ev.Verb, sig) {
		return
	}
	msg := what + " " + verbText(ev.Verb)
	if ignore := failOpen(body); len(ignore) > 0 {
		msg += " (failurePolicy Ignore: " + strings.Join(ignore, ", ") + ")"
	}
	c.Report(audit.Report{Object: ref, Message: msg})
}

// admissionSignature summarises what matters of a webhook configuration or policy:
// its body without CA bundles, status and metadata ("" without a body).
func admissionSignature(body map[string]any) string {
	if body == nil {
		return ""
	}
	cp := map[string]any{}
	for k, v := range body {
		if k != "metadata" && k != "status" && k != "apiVersion" && k != "kind" {
			cp[k] = v
		}
	}
	if whs, ok := cp["webhooks"].([]any); ok {
		out := make([]any, 0, len(whs))
		for _, w := range whs {
			wm, ok := w.(map[string]any)
			if !ok {
				continue
			}
			x := map[string]any{}
			for k, v := range wm {
				x[k] = v
			}
			if cc, ok := x["clientConfig"].(map[string]any); ok {
				y := map[string]any{}
				for k, v := range cc {
					if k != "caBundle" {
						y[k] = v
					}
				}
				x["clientConfig"] = y
			}
			out = append(out, x)
		}
		cp["webhooks"] = out
	}
	b, err := json.Marshal(cp) // map keys are sorted
	if err != nil {
		return ""
	}
	return string(b)
}

// failOpen lists the webhooks (or the policy) that fail open.
func failOpen(body map[string]any) []string {
	var out []string
	whs, _ := body["webhooks"].([]any)
	for _, w := range whs {
		if wm, ok := w.(map[string]any); ok && wm["failurePolicy"] == "Ignore" {
			n, _ := wm["name"].(string)
			out = append(out, n)
		}
	}
	if spec, ok := body["spec"].(map[string]any); ok && spec["failurePolicy"] == "Ignore" {
		out = append(out, "the policy")
	}
	sort.Strings(out)
	if len(out) > 8 {
		out = out[:8]
	}
	return out
}
