package network

// ingress-nginx copies snippet annotations of an Ingress verbatim into the
// configuration of the shared NGINX that serves every tenant. Whoever can write an
// Ingress can then run Lua and read files in the controller, whose service account
// can read every Secret in the cluster (CVE-2021-25742), and the same configuration
// injection drives the IngressNightmare family (CVE-2025-1974 and its siblings). The
// controller refuses snippets unless its ConfigMap sets allow-snippet-annotations.
//
// Other annotations are meant to hold a URL, a method, a regular expression or a
// name, but the controller writes their values into nginx.conf too, and a value that
// ends the directive (a line break, a quote, ";", "{" or "}", a "#" comment, a
// trailing backslash) injects configuration just like a snippet: auth-url
// (CVE-2025-24514), auth-tls-match-cn (CVE-2025-1097), mirror-target and mirror-host
// (CVE-2025-1098), auth-method (CVE-2026-1580), rewrite-target (CVE-2026-3288),
// permanent-redirect (CVE-2023-5044), and the annotations templated the same way
// beside them. So does an Ingress path (CVE-2026-24512, CVE-2021-25745), which the
// controller writes between double quotes. PAL-407 reports such values too: the
// controller versions that validate annotation values reject them, older ones are
// exploited by them, so either way the value has no legitimate use. The value itself
// is never printed, only the character that ends the directive. An annotation that
// names a ConfigMap (auth-proxy-set-headers, CVE-2025-15566) carries the injection in
// that ConfigMap and is not judged here.

import (
	"fmt"
	"path"
	"strings"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
)

var defaultSnippetAnnotations = []string{
	"nginx.ingress.kubernetes.io/*-snippet",
	"nginx.org/server-snippets",
	"nginx.org/location-snippets",
}

// defaultValueAnnotations are the ingress-nginx annotations whose values the
// controller writes into nginx.conf as a directive argument or a quoted string.
var defaultValueAnnotations = []string{
	"nginx.ingress.kubernetes.io/auth-url",
	"nginx.ingress.kubernetes.io/auth-signin",
	"nginx.ingress.kubernetes.io/auth-signin-redirect-param",
	"nginx.ingress.kubernetes.io/auth-method",
	"nginx.ingress.kubernetes.io/auth-request-redirect",
	"nginx.ingress.kubernetes.io/auth-cache-key",
	"nginx.ingress.kubernetes.io/auth-tls-match-cn",
	"nginx.ingress.kubernetes.io/mirror-target",
	"nginx.ingress.kubernetes.io/mirror-host",
	"nginx.ingress.kubernetes.io/rewrite-target",
	"nginx.ingress.kubernetes.io/app-root",
	"nginx.ingress.kubernetes.io/permanent-redirect",
	"nginx.ingress.kubernetes.io/temporal-redirect",
	"nginx.ingress.kubernetes.io/proxy-redirect-from",
	"nginx.ingress.kubernetes.io/proxy-redirect-to",
	"nginx.ingress.kubernetes.io/upstream-vhost",
	"nginx.ingress.kubernetes.io/x-forwarded-prefix",
}

// nginxBreakout finds the first character of an annotation value that ends the NGINX
// directive or string it is written into, and describes it; ok is false when there
// is none. As NGINX's configuration tokenizer reads it: a line break (or any other
// control character), a quote, ";" and "{" end a directive or string; "}" closes a
// block; "#" at the start of a word comments out the rest of the line; a backslash at
// the very end escapes the quote that closes the string. "${name}" is a variable, not
// a block.
func nginxBreakout(v string) (what string, at int, ok bool) {
	inVar := false
	for i, r := range v {
		switch {
		case r == '\n' || r == '\r':
			return "a line break", i, true
		case r < 0x20 || r == 0x7f:
			return "a control character", i, true
		case r == '"':
			return "a double quote", i, true
		case r == '\'':
			return "a single quote", i, true
		case r == ';':
			return `";"`, i, true
		case r == '{':
			if i > 0 && v[i-1] == '$' {
				inVar = true
				continue
			}
			return `"{"`, i, true
		case r == '}':
			if inVar {
				inVar = false
				continue
			}
			return `"}"`, i, true
		case r == '#' && (i == 0 || v[i-1] == ' '):
			return `a "#" comment`, i, true
		case r == '\\' && i == len(v)-1:
			return "a trailing backslash", i, true
		}
	}
	return "", 0, false
}

// pathBreakout is nginxBreakout for an Ingress path, which ingress-nginx writes
// between double quotes (escaping them in fixed versions): regular-expression paths
// legitimately hold ";", braces and "#", so only what ends the quoted string counts.
func pathBreakout(v string) (what string, at int, ok bool) {
	for i, r := range v {
		switch {
		case r == '\n' || r == '\r':
			return "a line break", i, true
		case r < 0x20 || r == 0x7f:
			return "a control character", i, true
		case r == '"':
			return "a double quote", i, true
		case r == '\\' && i == len(v)-1:
			return "a trailing backslash", i, true
		}
	}
	return "", 0, false
}

const (
	refSnippetCVE       = "https://github.com/kubernetes/ingress-nginx/issues/7837"
	refNightmareCVE     = "https://kubernetes.io/blog/2025/03/24/ingress-nginx-cve-2025-1974/"
	refAllowSnippets    = "https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/configmap/#allow-snippet-annotations"
	keyAllowSnippets    = "allow-snippet-annotations"
	refNightmareAuthURL = "https://github.com/kubernetes/kubernetes/issues/131006"
	refNightmarePath    = "https://github.com/kubernetes/kubernetes/issues/136678"
)

// forEachIngressPath calls fn with the field path and value of every
// spec.rules[].http.paths[].path of a decoded Ingress.
func forEachIngressPath(o *inventory.Object, fn func(path, value string)) {
	spec, _ := o.Body["spec"].(map[string]any)
	rs, _ := spec["rules"].([]any)
	for i, r := range rs {
		rm, _ := r.(map[string]any)
		http, _ := rm["http"].(map[string]any)
		ps, _ := http["paths"].([]any)
		for j, pa := range ps {
			pm, _ := pa.(map[string]any)
			if v, ok := pm["path"].(string); ok {
				fn(fmt.Sprintf("spec.rules[%d].http.paths[%d].path", i, j), v)
			}
		}
	}
}

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
			ID: "PAL-407", Title: "ingress-nginx configuration injection", Severity: high, Category: catNetworkExposure,
			Rationale: "Snippet annotations (configuration-snippet, server-snippet, auth-snippet, stream-snippet, modsecurity-snippet, and NGINX Inc's " +
				"nginx.org/*-snippets) paste raw NGINX configuration into the controller shared by every Ingress. They can read the controller's " +
				"service account token and files and run code in the controller, which in a default installation can read all Secrets of the cluster " +
				"(CVE-2021-25742). The IngressNightmare configuration injections do the same through annotations meant to hold a URL, a method or a " +
				"regular expression, whose values the controller also writes into nginx.conf: auth-url (CVE-2025-24514), auth-tls-match-cn (CVE-2025-1097), " +
				"mirror-target and mirror-host (CVE-2025-1098), auth-method (CVE-2026-1580), rewrite-target (CVE-2026-3288), permanent-redirect (CVE-2023-5044) " +
				"and their siblings; and through an Ingress path (CVE-2026-24512). Such a value, or path, is reported when it holds a character that ends " +
				"the NGINX directive or string it is written into (a line break or other control character, a quote, \";\", \"{\" or \"}\" outside a " +
				"${variable}, a \"#\" starting a word, a trailing backslash; for paths only line breaks, control characters, double quotes and a trailing " +
				"backslash). Annotations with an empty value inject nothing and are not reported.",
			Remediation: "Replace the snippet with the dedicated ingress-nginx annotation or ConfigMap option for the feature, or move the configuration " +
				"to the controller's ConfigMap under administrator control; keep allow-snippet-annotations false. Remove the injected characters from " +
				"other annotation values and paths, run a controller version that validates annotations (enable-annotation-validation, the default since v1.12) " +
				"and find out who wrote the Ingress.",
			References: []string{refSnippetCVE, refNightmareCVE, refAllowSnippets, refNightmareAuthURL, refNightmarePath},
			Frameworks: exposureFrameworks(nsaNetSeparation),
			Params: []rules.Param{
				{Name: "annotations", Syntax: rules.Glob,
					Description: "Annotation keys that inject raw controller configuration; exact keys or globs (path.Match syntax).",
					Default:     defaultSnippetAnnotations},
				{Name: "valueAnnotations", Syntax: rules.Glob,
					Description: "Annotation keys whose values the controller writes into its configuration, reported when a value ends the directive; exact keys or globs (path.Match syntax).",
					Default:     defaultValueAnnotations},
			},
		},
		Kinds: []string{"Ingress"},
		Object: func(p *rules.Pass, o *inventory.Object) {
			if !isIngressGroup(o) {
				return
			}
			snippets, values := p.Strings("annotations"), p.Strings("valueAnnotations")
			for _, k := range sortedAnnotationKeys(o.Annotations) {
				v := o.Annotations[k]
				if strings.TrimSpace(v) == "" {
					continue
				}
				if matchesAnnotationPattern(snippets, k) {
					p.Report(inventory.FieldPath("metadata.annotations", k), "",
						"annotation %s injects raw NGINX configuration into the shared ingress controller", k)
					continue
				}
				if !matchesAnnotationPattern(values, k) {
					continue
				}
				if what, at, ok := nginxBreakout(v); ok {
					p.Report(inventory.FieldPath("metadata.annotations", k), "",
						"annotation %s has %s in its value (at byte %d), which ends the NGINX directive the controller writes it into: configuration injection into the shared ingress controller", k, what, at)
				}
			}
			forEachIngressPath(o, func(path, value string) {
				if what, at, ok := pathBreakout(value); ok {
					p.Report(path, "", "path has %s (at byte %d), which ends the quoted NGINX location ingress-nginx writes it into: configuration injection into the shared ingress controller", what, at)
				}
			})
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
			p.Report(inventory.FieldPath("data", keyAllowSnippets), "",
				"data.%s is %q: ingress-nginx applies snippet annotations from every Ingress", keyAllowSnippets, fmt.Sprint(v))
		},
	})
}
