package auditrules

// Objects that open the cluster to the network: a NodePort or LoadBalancer Service
// (PAL-910) listens on every node or on a cloud load balancer, past the
// NetworkPolicies of the namespace it fronts; an Ingress without TLS (PAL-912)
// serves its hosts in clear text, credentials and session cookies included.

import (
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-910", Title: "NodePort or LoadBalancer Service created", Severity: finding.Medium, Category: catAudit,
			Rationale: "A NodePort Service opens a port on every node; a LoadBalancer Service asks the cloud for an address, usually public. Either exposes pods beyond the cluster network, a way in for an attacker and a way out for a tunnel planted in a compromised pod. " +
				"Creations are reported, and updates or patches that change a Service's type to one of them.",
			Remediation: "Check that the Service was meant to be reachable from outside. Prefer ClusterIP behind an Ingress or gateway with TLS and authentication; restrict who may create such Services (an admission policy on spec.type).",
			References:  []string{refAuditing, "https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types", "https://attack.mitre.org/techniques/T1133/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1133"}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, []audit.Need{{Verbs: writeVerbs, Resources: []string{"services"}, Level: auditlog.LevelRequest, Stage: auditlog.StageResponseComplete}},
		func(s *audit.Setup) audit.Detector { return &serviceDetector{memo: newMemo(s)} })

	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-912", Title: "Ingress without TLS created", Severity: finding.Medium, Category: catAudit,
			Rationale: "An Ingress without a tls section serves its hosts over plain HTTP: passwords, tokens and cookies cross the network in clear text, readable and alterable on the way. " +
				"Creations are reported, and updates or patches of an Ingress whose request body has rules but no tls.",
			Remediation: "Add a tls section with a certificate for each host (cert-manager issues them), and redirect HTTP to HTTPS at the controller.",
			References:  []string{refAuditing, "https://kubernetes.io/docs/concepts/services-networking/ingress/#tls", "https://attack.mitre.org/techniques/T1133/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1133"}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, []audit.Need{{Verbs: writeVerbs, APIGroup: "networking.k8s.io", Resources: []string{"ingresses"}, Level: auditlog.LevelRequest, Stage: auditlog.StageResponseComplete}},
		func(s *audit.Setup) audit.Detector { return &ingressDetector{memo: newMemo(s)} })
}

// bodyOf returns the object a write stored (the response body) or, without one,
// the request body.
func bodyOf(c *audit.Context) map[string]any {
	if b, _ := c.ResponseBody(); b != nil {
		if _, ok := b["spec"]; ok {
			return b
		}
		if _, ok := b["data"]; ok {
			return b
		}
	}
	b, _ := c.Body()
	return b
}

// objectRef is the event's object, named from the body when the URI had no name (a
// create).
func objectRef(c *audit.Context, body map[string]any) finding.ObjectRef {
	ref := audit.RefOf(c.Event())
	if ref.Name == "*" {
		if md, ok := body["metadata"].(map[string]any); ok {
			if n, ok := md["name"].(string); ok && n != "" {
				ref.Name = n
			}
		}
	}
	return ref
}

type serviceDetector struct{ memo memo }

func (d *serviceDetector) Event(c *audit.Context) {
	ev := c.Event()
	if !changed(ev, writeVerbs...) || ev.ObjectRef.Resource != "services" || ev.ObjectRef.Subresource != "" {
		return
	}
	body := bodyOf(c)
	spec, _ := body["spec"].(map[string]any)
	typ, _ := spec["type"].(string)
	if typ != "NodePort" && typ != "LoadBalancer" {
		return
	}
	ref := objectRef(c, body)
	var ports []string
	if ps, ok := spec["ports"].([]any); ok {
		for _, p := range ps {
			if pm, ok := p.(map[string]any); ok {
				if np, ok := pm["nodePort"].(float64); ok && np > 0 {
					ports = append(ports, itoa(int(np)))
				}
			}
		}
	}
	if !d.memo.fresh(ref, ev.Verb, typ) {
		return
	}
	msg := typ + " Service " + nsName(ref.Namespace, ref.Name) + " " + verbText(ev.Verb)
	if len(ports) > 0 && len(ports) <= 16 {
		msg += " (node ports " + strings.Join(ports, ", ") + ")"
	}
	if typ == "LoadBalancer" {
		if src, ok := spec["loadBalancerSourceRanges"].([]any); !ok || len(src) == 0 {
			msg += ", open to any source address"
		}
	}
	c.Report(audit.Report{Object: ref, Path: "spec.type", Message: msg})
}

type ingressDetector struct{ memo memo }

func (d *ingressDetector) Event(c *audit.Context) {
	ev := c.Event()
	if !changed(ev, writeVerbs...) || ev.ObjectRef.Resource != "ingresses" || ev.ObjectRef.Subresource != "" {
		return
	}
	body := bodyOf(c)
	spec, ok := body["spec"].(map[string]any)
	if !ok {
		return
	}
	if tls, ok := spec["tls"].([]any); ok && len(tls) > 0 {
		d.memo.fresh(objectRef(c, body), ev.Verb, "tls")
		return
	}
	if _, ok := spec["rules"]; !ok && ev.Verb == "patch" {
		return // a patch of something else
	}
	ref := objectRef(c, body)
	var hosts []string
	if rs, ok := spec["rules"].([]any); ok {
		for _, r := range rs {
			if rm, ok := r.(map[string]any); ok {
				if h, ok := rm["host"].(string); ok && h != "" && len(hosts) < 8 {
					hosts = append(hosts, h)
				}
			}
		}
	}
	sort.Strings(hosts)
	if !d.memo.fresh(ref, ev.Verb, "plain") {
		return
	}
	msg := "Ingress " + nsName(ref.Namespace, ref.Name) + " " + verbText(ev.Verb) + " without TLS"
	if len(hosts) > 0 {
		msg += " (hosts " + strings.Join(hosts, ", ") + ")"
	}
	c.Report(audit.Report{Object: ref, Path: "spec.tls", Message: msg})
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
