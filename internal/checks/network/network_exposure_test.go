package network_test

import (
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

func svcYAML(meta, spec string) string {
	return "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: shop\n" + meta + "spec:\n" + spec
}

const svcPorts = `  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: 8080
`

func TestServiceNodePort(t *testing.T) {
	r := []string{"PAL-401"}
	runObjCases(t, []objCase{
		{
			name: "NodePort", rules: r,
			yaml:  svcYAML("", "  type: NodePort\n"+svcPorts+"    nodePort: 30080\n"),
			want:  []string{"PAL-401 - spec.type"},
			lines: map[string]string{"spec.type": "type: NodePort"},
			msgs:  map[string]string{"spec.type": "80/TCP (http) on node port 30080"},
		},
		{name: "ClusterIP", rules: r, yaml: svcYAML("", "  type: ClusterIP\n"+svcPorts)},
		{name: "type defaults to ClusterIP", rules: r, yaml: svcYAML("", svcPorts)},
		{name: "LoadBalancer is not PAL-401", rules: r, yaml: svcYAML("", "  type: LoadBalancer\n"+svcPorts)},
		{
			name: "a Service kind of another API group", rules: []string{"PAL-401", "PAL-402", "PAL-403", "PAL-404"},
			yaml: "apiVersion: example.com/v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  type: NodePort\n  externalIPs: [1.2.3.4]\n  ports:\n  - port: 22\n",
		},
		{
			name: "Service that does not decode", rules: r,
			yaml:       svcYAML("", "  type: NodePort\n  ports: eighty\n"),
			inputError: "not fully checked",
		},
	})
}

func TestServiceLoadBalancerSourceRanges(t *testing.T) {
	r := []string{"PAL-402"}
	lb := func(meta, extra string) string { return svcYAML(meta, "  type: LoadBalancer\n"+extra+svcPorts) }
	ann := func(kv ...string) string {
		s := "  annotations:\n"
		for i := 0; i < len(kv); i += 2 {
			s += "    " + kv[i] + ": " + kv[i+1] + "\n"
		}
		return s
	}
	annRanges := "metadata.annotations['service.beta.kubernetes.io/load-balancer-source-ranges']"
	runObjCases(t, []objCase{
		{
			name: "no source ranges", rules: r, yaml: lb("", ""),
			want:  []string{"PAL-402 - spec.type"},
			lines: map[string]string{"spec.type": "type: LoadBalancer"},
			msgs:  map[string]string{"spec.type": "port 80/TCP (http) from any address"},
		},
		{
			name: "empty source ranges", rules: r, yaml: lb("", "  loadBalancerSourceRanges: []\n"),
			want:  []string{"PAL-402 - spec.loadBalancerSourceRanges"},
			lines: map[string]string{"spec.loadBalancerSourceRanges": "loadBalancerSourceRanges: []"},
		},
		{
			name: "open ranges among restricted ones", rules: r,
			yaml: lb("", "  loadBalancerSourceRanges:\n  - 10.0.0.0/8\n  - 0.0.0.0/0\n  - ' ::/0'\n"),
			want: []string{"PAL-402 - spec.loadBalancerSourceRanges[1]", "PAL-402 - spec.loadBalancerSourceRanges[2]"},
			lines: map[string]string{
				"spec.loadBalancerSourceRanges[1]": "- 0.0.0.0/0",
				"spec.loadBalancerSourceRanges[2]": "::/0",
			},
			msgs: map[string]string{"spec.loadBalancerSourceRanges[1]": "spec.loadBalancerSourceRanges[1] is 0.0.0.0/0"},
		},
		{name: "restricted ranges", rules: r, yaml: lb("", "  loadBalancerSourceRanges:\n  - 203.0.113.0/24\n  - 2001:db8::/32\n")},
		{name: "restricted by the annotation", rules: r, yaml: lb(ann("service.beta.kubernetes.io/load-balancer-source-ranges", `"10.0.0.0/8,192.168.0.0/16"`), "")},
		{
			name: "annotation admitting everyone", rules: r,
			yaml:  lb(ann("service.beta.kubernetes.io/load-balancer-source-ranges", `"10.0.0.0/8, 0.0.0.0/0"`), ""),
			want:  []string{"PAL-402 - " + annRanges},
			lines: map[string]string{annRanges: "load-balancer-source-ranges"},
		},
		{
			name: "the field wins over the annotation", rules: r,
			yaml: lb(ann("service.beta.kubernetes.io/load-balancer-source-ranges", "0.0.0.0/0"), "  loadBalancerSourceRanges: [10.0.0.0/8]\n"),
		},
		{name: "AWS internal true", rules: r, yaml: lb(ann("service.beta.kubernetes.io/aws-load-balancer-internal", `"true"`), "")},
		{name: "AWS internal with a legacy CIDR value", rules: r, yaml: lb(ann("service.beta.kubernetes.io/aws-load-balancer-internal", "0.0.0.0/0"), "")},
		{
			name: "AWS internal false", rules: r, yaml: lb(ann("service.beta.kubernetes.io/aws-load-balancer-internal", `"false"`), ""),
			want: []string{"PAL-402 - spec.type"},
		},
		{name: "GKE internal", rules: r, yaml: lb(ann("networking.gke.io/load-balancer-type", "Internal"), "")},
		{name: "GKE legacy internal", rules: r, yaml: lb(ann("cloud.google.com/load-balancer-type", `"internal"`), "")},
		{name: "Azure internal", rules: r, yaml: lb(ann("service.beta.kubernetes.io/azure-load-balancer-internal", `"true"`), "")},
		{
			name: "Azure internal false", rules: r, yaml: lb(ann("service.beta.kubernetes.io/azure-load-balancer-internal", `"false"`), ""),
			want: []string{"PAL-402 - spec.type"},
		},
		{name: "AWS Load Balancer Controller defaults to internal", rules: r, yaml: lb(ann("service.beta.kubernetes.io/aws-load-balancer-type", "external"), "")},
		{name: "AWS LBC by loadBalancerClass", rules: r, yaml: lb("", "  loadBalancerClass: service.k8s.aws/nlb\n")},
		{
			name: "AWS LBC internet-facing", rules: r,
			yaml: lb(ann("service.beta.kubernetes.io/aws-load-balancer-type", "external", "service.beta.kubernetes.io/aws-load-balancer-scheme", "internet-facing"), ""),
			want: []string{"PAL-402 - spec.type"},
		},
		{
			name: "AWS in-tree NLB is internet-facing", rules: r, yaml: lb(ann("service.beta.kubernetes.io/aws-load-balancer-type", "nlb"), ""),
			want: []string{"PAL-402 - spec.type"},
		},
		{
			name: "configured internal annotations replace the defaults", rules: r,
			params: map[string]map[string]any{"PAL-402": {"internalAnnotations": []any{"example.com/private=yes"}}},
			yaml:   lb(ann("networking.gke.io/load-balancer-type", "Internal"), ""),
			want:   []string{"PAL-402 - spec.type"},
		},
		{
			name: "configured internal annotation", rules: r,
			params: map[string]map[string]any{"PAL-402": {"internalAnnotations": []any{"example.com/private=yes"}}},
			yaml:   lb(ann("example.com/private", "YES"), ""),
		},
		{name: "NodePort is not PAL-402", rules: r, yaml: svcYAML("", "  type: NodePort\n"+svcPorts)},
	})
}

func TestServiceExternalIPs(t *testing.T) {
	r := []string{"PAL-403"}
	runObjCases(t, []objCase{
		{
			name: "ClusterIP with externalIPs", rules: r,
			yaml:  svcYAML("", "  externalIPs:\n  - 198.51.100.7\n  - 198.51.100.8\n"+svcPorts),
			want:  []string{"PAL-403 - spec.externalIPs"},
			lines: map[string]string{"spec.externalIPs": "- 198.51.100.7"},
			msgs:  map[string]string{"spec.externalIPs": "[198.51.100.7, 198.51.100.8]"},
		},
		{
			name: "LoadBalancer with externalIPs", rules: r,
			yaml: svcYAML("", "  type: LoadBalancer\n  externalIPs: [198.51.100.7]\n"+svcPorts),
			want: []string{"PAL-403 - spec.externalIPs"},
		},
		{name: "empty externalIPs", rules: r, yaml: svcYAML("", "  externalIPs: []\n"+svcPorts)},
		{name: "headless Service: kube-proxy ignores it", rules: r, yaml: svcYAML("", "  clusterIP: None\n  externalIPs: [198.51.100.7]\n"+svcPorts)},
		{name: "ExternalName Service: kube-proxy ignores it", rules: r, yaml: svcYAML("", "  type: ExternalName\n  externalName: db.example.com\n  externalIPs: [198.51.100.7]\n")},
		{name: "no externalIPs", rules: r, yaml: svcYAML("", svcPorts)},
	})
}

func TestSensitivePortExposed(t *testing.T) {
	r := []string{"PAL-404"}
	ports := func(lines ...string) string {
		return "  selector:\n    app: db\n  ports:\n" + strings.Join(lines, "\n") + "\n"
	}
	runObjCases(t, []objCase{
		{
			name: "Redis on a NodePort", rules: r,
			yaml:  svcYAML("", "  type: NodePort\n"+ports("  - name: redis", "    port: 6379", "    nodePort: 31379")),
			want:  []string{"PAL-404 - spec.ports[0].port"},
			lines: map[string]string{"spec.ports[0].port": "port: 6379"},
			msgs:  map[string]string{"spec.ports[0].port": "spec.ports[0].port 6379 (Redis) is exposed outside the cluster through a NodePort"},
		},
		{
			name: "PostgreSQL behind port 80 of a load balancer", rules: r,
			yaml:  svcYAML("", "  type: LoadBalancer\n"+ports("  - port: 80", "    targetPort: 5432", "  - port: 443", "    targetPort: 8443")),
			want:  []string{"PAL-404 - spec.ports[0].targetPort"},
			lines: map[string]string{"spec.ports[0].targetPort": "targetPort: 5432"},
			msgs:  map[string]string{"spec.ports[0].targetPort": "targetPort 5432 (PostgreSQL) is exposed outside the cluster as port 80 through a load balancer"},
		},
		{
			name: "port and targetPort both sensitive: one finding", rules: r,
			yaml: svcYAML("", "  type: LoadBalancer\n"+ports("  - port: 2379", "    targetPort: 2379")),
			want: []string{"PAL-404 - spec.ports[0].port"},
		},
		{
			name: "a numeric string targetPort", rules: r,
			yaml: svcYAML("", "  type: LoadBalancer\n"+ports("  - port: 8080", `    targetPort: "10250"`)),
			want: []string{"PAL-404 - spec.ports[0].targetPort"},
		},
		{
			name: "internal load balancers are still outside the cluster", rules: r,
			yaml: svcYAML("  annotations:\n    networking.gke.io/load-balancer-type: Internal\n", "  type: LoadBalancer\n"+ports("  - port: 3306")),
			want: []string{"PAL-404 - spec.ports[0].port"},
			msgs: map[string]string{"spec.ports[0].port": "through an internal load balancer"},
		},
		{
			name: "SSH on external IPs", rules: r,
			yaml: svcYAML("", "  externalIPs: [198.51.100.7]\n"+ports("  - port: 22")),
			want: []string{"PAL-404 - spec.ports[0].port"},
			msgs: map[string]string{"spec.ports[0].port": "through external IPs 198.51.100.7"},
		},
		{name: "database on ClusterIP", rules: r, yaml: svcYAML("", ports("  - port: 5432", "  - port: 27017"))},
		{name: "headless database with externalIPs", rules: r, yaml: svcYAML("", "  clusterIP: None\n  externalIPs: [198.51.100.7]\n"+ports("  - port: 5432"))},
		{name: "API server port is not sensitive", rules: r, yaml: svcYAML("", "  type: LoadBalancer\n"+ports("  - port: 6443"))},
		{
			name: "named targetPort is matched by the Service port only", rules: r,
			yaml: svcYAML("", "  type: LoadBalancer\n"+ports("  - port: 80", "    targetPort: redis")),
		},
		{
			name: "configured sensitive ports replace the defaults", rules: r,
			params: map[string]map[string]any{"PAL-404": {"sensitivePorts": []any{8080, "not-a-port"}}},
			yaml:   svcYAML("", "  type: NodePort\n"+ports("  - port: 22", "  - port: 80", "    targetPort: 8080")),
			want:   []string{"PAL-404 - spec.ports[1].targetPort"},
			msgs:   map[string]string{"spec.ports[1].targetPort": "8080 (sensitive port)"},
		},
	})
}

func ingressYAML(apiVersion, meta, spec string) string {
	return "apiVersion: " + apiVersion + "\nkind: Ingress\nmetadata:\n  name: web\n  namespace: shop\n" + meta + "spec:\n" + spec
}

const ingV1 = "networking.k8s.io/v1"

func ingRule(host string) string {
	h := ""
	if host != "" {
		h = "  - host: " + host + "\n    http:\n"
	} else {
		h = "  - http:\n"
	}
	return h + `      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              number: 80
`
}

func TestIngressWithoutTLS(t *testing.T) {
	r := []string{"PAL-405"}
	runObjCases(t, []objCase{
		{
			name: "no tls at all", rules: r,
			yaml: ingressYAML(ingV1, "", "  rules:\n"+ingRule("a.example.com")+ingRule("b.example.com")+ingRule("A.example.com")+ingRule("")),
			want: []string{"PAL-405 - spec.tls"},
			// A missing field is reported where its parent's content starts.
			lines: map[string]string{"spec.tls": "  rules:"},
			msgs:  map[string]string{"spec.tls": "no spec.tls: hosts a.example.com, b.example.com and requests for any host are served over plain HTTP"},
		},
		{
			name: "a host missing from tls", rules: r,
			yaml: ingressYAML(ingV1, "", "  tls:\n  - hosts: [a.example.com]\n    secretName: a\n  rules:\n"+
				ingRule("a.example.com")+ingRule("b.example.com")+ingRule("B.example.com")),
			want:  []string{"PAL-405 - spec.rules[1].host"},
			lines: map[string]string{"spec.rules[1].host": "host: b.example.com"},
			msgs:  map[string]string{"spec.rules[1].host": "spec.rules[1].host b.example.com is not listed in any spec.tls[].hosts"},
		},
		{
			name: "wildcard certificate covers one label", rules: r,
			yaml: ingressYAML(ingV1, "", "  tls:\n  - hosts: ['*.example.com']\n  rules:\n"+
				ingRule("a.example.com")+ingRule("x.y.example.com")+ingRule("example.com")+ingRule("B.Example.COM")),
			want: []string{"PAL-405 - spec.rules[1].host", "PAL-405 - spec.rules[2].host"},
		},
		{
			name: "host names compare case-insensitively", rules: r,
			yaml: ingressYAML(ingV1, "", "  tls:\n  - hosts: [A.Example.com]\n  rules:\n"+ingRule("a.example.COM")),
		},
		{
			name: "a tls entry without hosts covers every host", rules: r,
			yaml: ingressYAML(ingV1, "", "  tls:\n  - secretName: default-cert\n  rules:\n"+ingRule("a.example.com")+ingRule("")),
		},
		{
			name: "hostless rule next to a tls entry with hosts", rules: r,
			yaml: ingressYAML(ingV1, "", "  tls:\n  - hosts: [a.example.com]\n  rules:\n"+ingRule("a.example.com")+ingRule("")),
			want: []string{"PAL-405 - spec.rules[1]"},
		},
		{
			name: "archived extensions/v1beta1 Ingress with a default backend", rules: r,
			yaml: ingressYAML("extensions/v1beta1", "", "  backend:\n    serviceName: web\n    servicePort: 80\n"),
			want: []string{"PAL-405 - spec.tls"},
			msgs: map[string]string{"spec.tls": "requests for any host are served over plain HTTP"},
		},
		{
			name: "TLS attached by an ALB annotation", rules: r,
			yaml: ingressYAML(ingV1, "  annotations:\n    alb.ingress.kubernetes.io/certificate-arn: arn:aws:acm:eu-west-1:123456789012:certificate/x\n", "  rules:\n"+ingRule("a.example.com")),
		},
		{
			name: "Traefik router.tls false", rules: r,
			yaml: ingressYAML(ingV1, "  annotations:\n    traefik.ingress.kubernetes.io/router.tls: \"false\"\n", "  rules:\n"+ingRule("a.example.com")),
			want: []string{"PAL-405 - spec.tls"},
			msgs: map[string]string{"spec.tls": "host a.example.com is served over plain HTTP"},
		},
		{name: "Ingress that serves nothing", rules: r, yaml: ingressYAML(ingV1, "", "  ingressClassName: nginx\n")},
		{
			name: "an Ingress kind of another API group", rules: []string{"PAL-405", "PAL-406", "PAL-407"},
			yaml: "apiVersion: example.com/v1\nkind: Ingress\nmetadata:\n  name: x\n  annotations:\n    nginx.ingress.kubernetes.io/server-snippet: x\nspec:\n  rules:\n  - http: {}\n",
		},
	})
}

func TestIngressCatchAll(t *testing.T) {
	r := []string{"PAL-406"}
	runObjCases(t, []objCase{
		{
			name: "hostless rule, * host and default backend", rules: r,
			yaml: ingressYAML(ingV1, "", "  defaultBackend: {service: {name: fallback, port: {number: 8080}}}\n  rules:\n"+
				ingRule("")+ingRule(`"*"`)+ingRule("a.example.com")),
			want: []string{"PAL-406 - spec.rules[0]", "PAL-406 - spec.rules[1].host", "PAL-406 - spec.defaultBackend"},
			lines: map[string]string{
				"spec.rules[0]":       "- http:",
				"spec.rules[1].host":  `host: "*"`,
				"spec.defaultBackend": "name: fallback",
			},
			msgs: map[string]string{"spec.defaultBackend": "to service fallback:8080"},
		},
		{
			name: "v1beta1 default backend", rules: r,
			yaml: ingressYAML("networking.k8s.io/v1beta1", "", "  backend:\n    serviceName: web\n    servicePort: http\n"),
			want: []string{"PAL-406 - spec.backend"},
			msgs: map[string]string{"spec.backend": "to service web:http"},
		},
		{
			name: "named and wildcard hosts", rules: r,
			yaml: ingressYAML(ingV1, "", "  rules:\n"+ingRule("a.example.com")+ingRule(`"*.example.com"`)),
		},
	})
}

func TestIngressNginxSnippets(t *testing.T) {
	r := []string{"PAL-407"}
	cfgSnippet := "metadata.annotations['nginx.ingress.kubernetes.io/configuration-snippet']"
	srvSnippet := "metadata.annotations['nginx.ingress.kubernetes.io/server-snippet']"
	meta := `  annotations:
    nginx.ingress.kubernetes.io/rewrite-target: /
    nginx.ingress.kubernetes.io/server-snippet: |
      location /x { return 200; }
    nginx.ingress.kubernetes.io/configuration-snippet: 'more_set_headers "X: y";'
    nginx.ingress.kubernetes.io/auth-snippet: ""
`
	runObjCases(t, []objCase{
		{
			name: "server and configuration snippets", rules: r,
			yaml: ingressYAML(ingV1, meta, "  rules:\n"+ingRule("a.example.com")),
			want: []string{"PAL-407 - " + cfgSnippet, "PAL-407 - " + srvSnippet},
			lines: map[string]string{
				cfgSnippet: "configuration-snippet:",
				srvSnippet: "server-snippet:",
			},
			msgs: map[string]string{srvSnippet: "annotation nginx.ingress.kubernetes.io/server-snippet injects raw NGINX configuration"},
		},
		{
			name: "NGINX Inc location snippets on an archived Ingress", rules: r,
			yaml: ingressYAML("extensions/v1beta1", "  annotations:\n    nginx.org/location-snippets: add_header X y;\n", "  backend:\n    serviceName: web\n    servicePort: 80\n"),
			want: []string{"PAL-407 - metadata.annotations['nginx.org/location-snippets']"},
		},
		{
			name: "configured annotation list", rules: r,
			params: map[string]map[string]any{"PAL-407": {"annotations": []any{"nginx.ingress.kubernetes.io/server-snippet"}}},
			yaml:   ingressYAML(ingV1, meta, "  rules:\n"+ingRule("a.example.com")),
			want:   []string{"PAL-407 - " + srvSnippet},
		},
		{
			name: "other nginx annotations", rules: r,
			yaml: ingressYAML(ingV1, "  annotations:\n    nginx.ingress.kubernetes.io/ssl-redirect: \"true\"\n    nginx.ingress.kubernetes.io/auth-url: https://auth.example.com\n", "  rules:\n"+ingRule("a.example.com")),
		},
	})
}

// TestIngressNginxValueInjection: the IngressNightmare family injects configuration
// through annotations meant to hold a URL, a method or a regular expression, and
// through paths; PAL-407 reports a value that ends the NGINX directive it is written
// into, never the value itself, and leaves ordinary values (NGINX variables, capture
// groups, URL fragments) alone.
func TestIngressNginxValueInjection(t *testing.T) {
	r := []string{"PAL-407"}
	ann := func(k string) string { return "metadata.annotations['nginx.ingress.kubernetes.io/" + k + "']" }
	// The published proofs of concept, in shape.
	hostile := `  annotations:
    nginx.ingress.kubernetes.io/auth-url: "http://example.com/#;\ninjection_point"
    nginx.ingress.kubernetes.io/auth-tls-match-cn: "CN=abc #(\n){}\n }}\nssl_engine foobar;#"
    nginx.ingress.kubernetes.io/mirror-target: 'https://mirror.example.com/" ; load_module /tmp/x.so; "'
    nginx.ingress.kubernetes.io/auth-method: "GET\nproxy_pass http://evil"
    nginx.ingress.kubernetes.io/rewrite-target: "/$1\\"
    nginx.ingress.kubernetes.io/permanent-redirect: "https://example.com/ {"
    nginx.ingress.kubernetes.io/app-root: "/app}"
`
	benign := `  annotations:
    nginx.ingress.kubernetes.io/auth-url: "https://$host/oauth2/auth"
    nginx.ingress.kubernetes.io/auth-signin: "https://$host/oauth2/start?rd=$escaped_request_uri"
    nginx.ingress.kubernetes.io/auth-cache-key: "$remote_user$http_authorization"
    nginx.ingress.kubernetes.io/rewrite-target: "/${1}/$2"
    nginx.ingress.kubernetes.io/auth-tls-match-cn: "CN=(client|admin)\\.example\\.com"
    nginx.ingress.kubernetes.io/permanent-redirect: "https://example.com/docs#install"
    nginx.ingress.kubernetes.io/mirror-target: ""
    nginx.ingress.kubernetes.io/cors-allow-headers: "X-Token; evil"
`
	pathRule := func(path string) string {
		return "  rules:\n  - http:\n      paths:\n      - path: " + path + "\n        pathType: ImplementationSpecific\n" +
			"        backend: {service: {name: web, port: {number: 80}}}\n"
	}
	runObjCases(t, []objCase{
		{
			name: "annotation values that end the directive", rules: r,
			yaml: ingressYAML(ingV1, hostile, "  rules:\n"+ingRule("a.example.com")),
			want: []string{
				"PAL-407 - " + ann("auth-url"), "PAL-407 - " + ann("auth-tls-match-cn"), "PAL-407 - " + ann("mirror-target"),
				"PAL-407 - " + ann("auth-method"), "PAL-407 - " + ann("rewrite-target"), "PAL-407 - " + ann("permanent-redirect"),
				"PAL-407 - " + ann("app-root"),
			},
			lines: map[string]string{ann("auth-url"): "auth-url:", ann("mirror-target"): "mirror-target:"},
			msgs: map[string]string{
				ann("auth-url"):           `annotation nginx.ingress.kubernetes.io/auth-url has ";" in its value (at byte 20)`,
				ann("auth-tls-match-cn"):  `has a "#" comment in its value (at byte 7)`,
				ann("mirror-target"):      "has a double quote",
				ann("auth-method"):        "has a line break",
				ann("rewrite-target"):     "has a trailing backslash",
				ann("permanent-redirect"): `has "{"`,
				ann("app-root"):           `has "}"`,
			},
		},
		{name: "ordinary values", rules: r, yaml: ingressYAML(ingV1, benign, "  rules:\n"+ingRule("a.example.com"))},
		{
			name: "value checks configured off", rules: r,
			params: map[string]map[string]any{"PAL-407": {"valueAnnotations": []any{}}},
			yaml:   ingressYAML(ingV1, hostile, "  rules:\n"+ingRule("a.example.com")),
		},
		{
			// CVE-2026-24512: the path is written between double quotes.
			name: "path that ends the quoted location", rules: r,
			yaml:  ingressYAML(ingV1, "", pathRule(`'/x" { return 200; } location "/y'`)),
			want:  []string{"PAL-407 - spec.rules[0].http.paths[0].path"},
			lines: map[string]string{"spec.rules[0].http.paths[0].path": "- path:"},
			msgs:  map[string]string{"spec.rules[0].http.paths[0].path": "path has a double quote (at byte 2)"},
		},
		{name: "regular-expression path", rules: r, yaml: ingressYAML(ingV1, "", pathRule(`'/api/v[0-9]{1,2}/(.*);?#?'`))},
	})
	// The value is never printed: only the character that ends the directive.
	res, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(ingressYAML(ingV1, hostile, "  rules:\n"+ingRule("a.example.com")))}, FailOn: "none"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Report.Findings {
		for _, s := range []string{"injection_point", "ssl_engine", "load_module", "proxy_pass"} {
			if strings.Contains(f.Message, s) {
				t.Errorf("%s message prints the value: %q", f.RuleID, f.Message)
			}
		}
	}
}

func TestIngressNginxAllowSnippets(t *testing.T) {
	r := []string{"PAL-408"}
	cm := func(data string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ingress-nginx-controller\n  namespace: ingress-nginx\ndata:\n" + data
	}
	runObjCases(t, []objCase{
		{
			name: "snippets allowed", rules: r,
			yaml:  cm("  use-forwarded-headers: \"true\"\n  allow-snippet-annotations: \"true\"\n"),
			want:  []string{"PAL-408 - data.allow-snippet-annotations"},
			lines: map[string]string{"data.allow-snippet-annotations": "allow-snippet-annotations"},
			msgs:  map[string]string{"data.allow-snippet-annotations": `data.allow-snippet-annotations is "true"`},
		},
		{name: "snippets refused", rules: r, yaml: cm("  allow-snippet-annotations: \"false\"\n")},
		{name: "option absent", rules: r, yaml: cm("  http-snippet: |\n    server_tokens off;\n")},
		{
			name: "a Secret is not the ConfigMap", rules: r,
			yaml: "apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\nstringData:\n  allow-snippet-annotations: \"true\"\n",
		},
	})
}
