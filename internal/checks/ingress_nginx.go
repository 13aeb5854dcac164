package checks

// ingress-nginx copies snippet annotations of an Ingress verbatim into the
// configuration of the shared NGINX that serves every tenant. Whoever can write an
// Ingress can then run Lua and read files in the controller, whose service account
// can read every Secret in the cluster (CVE-2021-25742), and the same configuration
// injection drives the IngressNightmare family (CVE-2025-1974 and its siblings). The
// controller refuses snippets unless its ConfigMap sets allow-snippet-annotations.

import (
	"fmt"
	"path"
	"strings"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/load"
	"github.com/palisade-k8s/palisade/internal/rules"
)

var defaultSnippetAnnotations = []string{
	"nginx.ingress.kubernetes.io/*-snippet",
	"nginx.org/server-snippets",
	"nginx.org/location-snippets",
}

const (
	refSnippetCVE    = "https://github.com/kubernetes/ingress-nginx/issues/7837"
	refNightmareCVE  = "https://kubernetes.io/blog/2025/03/24/ingress-nginx-cve-2025-1974/"
	refAllowSnippets = "https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/configmap/#allow-snippet-annotations"
	keyAllowSnippets = "allow-snippet-annotations"
)

// matchesAnnotationPattern reports whether an annotation key matches one of the
// patterns: exact keys or path.Match globs ("*" stays within the part after the
// prefix's "/").
func matchesAnnotationPattern(patterns []string, key string) bool {
	for _, pat := range patterns {
		pat = strings.TrimSpace(pat)
		if pat == key {
			return true
		}
		if ok, err := path.Match(pat, key); err == nil && ok {
			return true
		}
	}
	return false
}

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-407", Title: "ingress-nginx snippet annotation", Severity: high, Category: catNetworkExposure,
			Rationale: "Snippet annotations (configuration-snippet, server-snippet, auth-snippet, stream-snippet, modsecurity-snippet, and NGINX Inc's " +
				"nginx.org/*-snippets) paste raw NGINX configuration into the controller shared by every Ingress. They can read the controller's " +
				"service account token and files and run code in the controller, which in a default installation can read all Secrets of the cluster " +
				"(CVE-2021-25742; the IngressNightmare configuration injections, CVE-2025-1974, exploit the same trust). " +
				"Annotations with an empty value inject nothing and are not reported.",
			Remediation: "Replace the snippet with the dedicated ingress-nginx annotation or ConfigMap option for the feature, or move the configuration " +
				"to the controller's ConfigMap under administrator control; keep allow-snippet-annotations false.",
			References: []string{refSnippetCVE, refNightmareCVE, refAllowSnippets},
			Frameworks: exposureFrameworks(nsaNetSeparation),
			Params: []rules.Param{{Name: "annotations", Syntax: rules.Glob,
				Description: "Annotation keys that inject raw controller configuration; exact keys or globs (path.Match syntax).",
				Default:     defaultSnippetAnnotations}},
		},
		Kinds: []string{"Ingress"},
		Object: func(p *rules.Pass, o *inventory.Object) {
			if !isIngressGroup(o) {
				return
			}
			pats := p.Strings("annotations")
			for _, k := range sortedAnnotationKeys(o.Annotations) {
				if strings.TrimSpace(o.Annotations[k]) == "" || !matchesAnnotationPattern(pats, k) {
					continue
				}
				p.Report(load.FieldPath("metadata.annotations", k), "",
					"annotation %s injects raw NGINX configuration into the shared ingress controller", k)
			}
		},
	})

	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-408", Title: "ingress-nginx allows snippet annotations", Severity: high, Category: catNetworkExposure,
			Rationale: "With allow-snippet-annotations set to \"true\" in its ConfigMap, ingress-nginx applies the snippet annotations of every Ingress, " +
				"so anyone allowed to create an Ingress in any namespace can inject configuration into the controller and read all Secrets it can read " +
				"(CVE-2021-25742). The option defaults to false since controller v1.9; only an explicit \"true\" is reported.",
			Remediation: "Set allow-snippet-annotations to \"false\" (controller.allowSnippetAnnotations=false in the Helm chart) and put shared " +
				"configuration in the ConfigMap's own http-snippet, server-snippet or location-snippet keys, which only administrators can edit.",
			References: []string{refAllowSnippets, refSnippetCVE},
			Frameworks: exposureFrameworks(nsaNetSeparation),
		},
		Kinds: []string{"ConfigMap"},
		Object: func(p *rules.Pass, o *inventory.Object) {
			if o.Group() != "" {
				return
			}
			data, _ := o.Body["data"].(map[string]any)
			v, ok := data[keyAllowSnippets]
			// An unquoted YAML true is not a valid ConfigMap value, but it says the same.
			if !ok || v == nil || !strings.EqualFold(strings.TrimSpace(fmt.Sprint(v)), "true") {
				return
			}
			p.Report(load.FieldPath("data", keyAllowSnippets), "",
				"data.%s is %q: ingress-nginx applies snippet annotations from every Ingress", keyAllowSnippets, fmt.Sprint(v))
		},
	})
}
