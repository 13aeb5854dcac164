package network

// An Ingress publishes HTTP routes on the cluster's edge. Without TLS, credentials,
// cookies and data cross the network in clear text and can be read or changed on the
// way; a route without a host (or the "*" host, or a default backend) answers for any
// Host header, so the application is served to scanners probing the bare IP address,
// under names nobody vetted, and can capture traffic meant for other Ingresses.

import (
	"fmt"
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// ingressDoc is the part of an Ingress these rules read. It is decoded into a local
// type, not networking/v1.Ingress, so that the extensions/v1beta1 and
// networking.k8s.io/v1beta1 shapes of archived manifests (spec.backend with
// serviceName/servicePort) decode as well.
type ingressDoc struct {
	Spec struct {
		DefaultBackend map[string]any `json:"defaultBackend,omitempty"`
		// Backend is the v1beta1 spelling of defaultBackend.
		Backend map[string]any `json:"backend,omitempty"`
		TLS     []struct {
			Hosts []string `json:"hosts,omitempty"`
		} `json:"tls,omitempty"`
		Rules []struct {
			Host string `json:"host,omitempty"`
		} `json:"rules,omitempty"`
	} `json:"spec"`
}

// isIngressGroup reports whether an object of kind Ingress is the Kubernetes Ingress
// (networking.k8s.io, or extensions in archived manifests).
func isIngressGroup(o *inventory.Object) bool {
	g := o.Group()
	return g == "networking.k8s.io" || g == "extensions"
}

func decodeIngress(p *rules.Pass, o *inventory.Object) (*ingressDoc, bool) {
	if !isIngressGroup(o) {
		return nil, false
	}
	var ing ingressDoc
	if err := o.Decode(&ing); err != nil {
		p.Fail(err)
		return nil, false
	}
	return &ing, true
}

// defaultBackend returns the path and target of the Ingress's default backend, if any.
func (ing *ingressDoc) defaultBackend() (path, target string, ok bool) {
	switch {
	case ing.Spec.DefaultBackend != nil:
		return "spec.defaultBackend", ingressBackendName(ing.Spec.DefaultBackend), true
	case ing.Spec.Backend != nil:
		return "spec.backend", ingressBackendName(ing.Spec.Backend), true
	}
	return "", "", false
}

// ingressBackendName describes a backend in any API version: "service web:80".
func ingressBackendName(b map[string]any) string {
	str := func(m map[string]any, k string) string {
		if v, ok := m[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	if svc, ok := b["service"].(map[string]any); ok {
		name := str(svc, "name")
		if port, ok := svc["port"].(map[string]any); ok {
			if n := str(port, "number"); n != "" {
				return "service " + name + ":" + n
			}
			if n := str(port, "name"); n != "" {
				return "service " + name + ":" + n
			}
		}
		return "service " + name
	}
	if name := str(b, "serviceName"); name != "" {
		if port := str(b, "servicePort"); port != "" {
			return "service " + name + ":" + port
		}
		return "service " + name
	}
	if res, ok := b["resource"].(map[string]any); ok {
		return str(res, "kind") + " " + str(res, "name")
	}
	return "a backend"
}

// tlsCovers reports whether a TLS section with these host lists serves host over
// TLS. An entry without hosts takes the controller's default certificate for every
// host, as the API documents, so it covers everything (including rules without a
// host); a wildcard entry "*.example.com" covers exactly one label in front of
// example.com, as certificate matching does. Host names compare case-insensitively.
func tlsCovers(tls [][]string, host string) bool {
	host = strings.ToLower(strings.TrimSpace(host))
	for _, hosts := range tls {
		if len(hosts) == 0 {
			return true
		}
		if host == "" {
			continue
		}
		for _, h := range hosts {
			h = strings.ToLower(strings.TrimSpace(h))
			if h == host {
				return true
			}
			if suffix, ok := strings.CutPrefix(h, "*."); ok {
				if first, rest, ok := strings.Cut(host, "."); ok && first != "" && first != "*" && rest == suffix {
					return true
				}
			}
		}
	}
	return false
}

// defaultTLSAnnotations give an Ingress TLS without spec.tls: the certificate is
// attached by the cloud load balancer or the controller for every host.
var defaultTLSAnnotations = []string{
	"alb.ingress.kubernetes.io/certificate-arn",
	"networking.gke.io/managed-certificates",
	"ingress.gcp.kubernetes.io/pre-shared-cert",
	"appgw.ingress.kubernetes.io/appgw-ssl-certificate",
	"traefik.ingress.kubernetes.io/router.tls=true",
}

func ingressRulePath(i int) string { return "spec.rules" + indexSuffix(i) }

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-405", Title: "Ingress without TLS", Severity: medium, Category: catNetworkExposure,
			Rationale: "An Ingress without spec.tls, or with a host that no spec.tls entry lists, serves that host over plain HTTP: " +
				"passwords, session cookies, tokens and data can be read and altered by anyone on the network path. " +
				"A spec.tls entry without hosts uses the controller's default certificate and counts as covering every host; " +
				"a wildcard entry covers one DNS label. An Ingress whose controller attaches a certificate through an annotation " +
				"(AWS ALB certificate-arn, GKE managed or pre-shared certificates, Azure Application Gateway, Traefik router.tls) is not reported.",
			Remediation: "Add a spec.tls entry listing every host of spec.rules with a certificate Secret (cert-manager can issue and renew it), " +
				"and redirect HTTP to HTTPS.",
			References: []string{refIngressTLS},
			Frameworks: exposureFrameworks(nsaNetEncryption),
			Params: []rules.Param{{Name: "tlsAnnotations",
				Description: "Annotations that give the Ingress TLS for every host without spec.tls, as key=value (value compared " +
					"case-insensitively) or a bare key (any value except empty and \"false\").",
				Default: defaultTLSAnnotations}},
		},
		Kinds: []string{"Ingress"},
		Object: func(p *rules.Pass, o *inventory.Object) {
			ing, ok := decodeIngress(p, o)
			if !ok || annotationListMatches(p.Strings("tlsAnnotations"), o.Annotations) {
				return
			}
			if len(ing.Spec.TLS) == 0 {
				var served []string
				seen := map[string]bool{}
				anyHost := false
				for _, r := range ing.Spec.Rules {
					h := strings.TrimSpace(r.Host)
					switch {
					case h == "" || h == "*":
						anyHost = true
					case !seen[strings.ToLower(h)]:
						seen[strings.ToLower(h)] = true
						served = append(served, h)
					}
				}
				if _, _, ok := ing.defaultBackend(); ok {
					anyHost = true
				}
				if len(served) == 0 && !anyHost {
					return
				}
				what, verb := "requests for any host", "are"
				switch {
				case len(served) == 1 && !anyHost:
					what, verb = "host "+served[0], "is"
				case len(served) == 1:
					what = "host " + served[0] + " and requests for any host"
				case len(served) > 1 && !anyHost:
					what = "hosts " + exposureJoin(served)
				case len(served) > 1:
					what = "hosts " + strings.Join(served, ", ") + " and requests for any host"
				}
				p.Report("spec.tls", "", "the Ingress has no spec.tls: %s %s served over plain HTTP", what, verb)
				return
			}
			tls := make([][]string, len(ing.Spec.TLS))
			for i, t := range ing.Spec.TLS {
				tls[i] = t.Hosts
			}
			seen := map[string]bool{}
			for i, r := range ing.Spec.Rules {
				h := strings.TrimSpace(r.Host)
				key := strings.ToLower(h)
				if seen[key] || tlsCovers(tls, h) {
					continue
				}
				seen[key] = true
				if h == "" {
					p.Report(ingressRulePath(i), "", "%s has no host and no spec.tls entry without hosts covers it: it is served over plain HTTP", ingressRulePath(i))
					continue
				}
				p.Report(ingressRulePath(i)+".host", "", "%s.host %s is not listed in any spec.tls[].hosts: it is served over plain HTTP", ingressRulePath(i), h)
			}
		},
	})

	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-406", Title: "Ingress answers for any host", Severity: low, Category: catNetworkExposure,
			Rationale: "A rule without a host, a \"*\" host or a default backend (spec.defaultBackend, spec.backend in v1beta1) makes the Ingress answer " +
				"requests for any Host header. The application is then served to anyone who reaches the controller by its IP address or by an unvetted " +
				"DNS name, is easier to find by scanning, and can capture traffic that no other Ingress claims. Wildcard hosts such as *.example.com " +
				"are bounded to one domain and are not reported.",
			Remediation: "Give every rule the host name it serves and remove spec.defaultBackend; leave unmatched requests to the controller's own default backend.",
			References:  []string{refIngress, "https://kubernetes.io/docs/concepts/services-networking/ingress/#default-backend"},
			Frameworks:  exposureFrameworks(nsaNetSeparation),
		},
		Kinds: []string{"Ingress"},
		Object: func(p *rules.Pass, o *inventory.Object) {
			ing, ok := decodeIngress(p, o)
			if !ok {
				return
			}
			for i, r := range ing.Spec.Rules {
				switch strings.TrimSpace(r.Host) {
				case "":
					p.Report(ingressRulePath(i), "", "%s has no host: it answers requests for any host name", ingressRulePath(i))
				case "*":
					p.Report(ingressRulePath(i)+".host", "", "%s.host is \"*\": it answers requests for any host name", ingressRulePath(i))
				}
			}
			if path, target, ok := ing.defaultBackend(); ok {
				p.Report(path, "", "%s sends requests for any host and path that no rule matches to %s", path, target)
			}
		},
	})
}

// sortedAnnotationKeys returns annotation keys in order.
func sortedAnnotationKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
