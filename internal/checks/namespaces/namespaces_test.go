package namespaces_test

import (
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

const plainContainers = "      containers:\n      - name: app\n        image: nginx:1.27\n"

func TestDefaultNamespace(t *testing.T) {
	runCases(t, []ruleCase{
		{
			name:  "explicit default",
			rules: []string{"PAL-601"},
			yaml:  nsDeployment("web", "  namespace: default\n", "", plainContainers),
			want:  []string{"PAL-601 - metadata.namespace"},
			lines: map[string]string{"metadata.namespace": "namespace: default"},
		},
		{
			name:  "no namespace: deployed wherever -n says",
			rules: []string{"PAL-601"},
			yaml:  nsDeployment("web", "", "", plainContainers),
		},
		{
			name:  "own namespace",
			rules: []string{"PAL-601"},
			yaml:  nsDeployment("web", "  namespace: shop\n", "", plainContainers),
		},
	})
}

func TestKubeSystem(t *testing.T) {
	runCases(t, []ruleCase{
		{
			name:  "user workload in kube-system",
			rules: []string{"PAL-602"},
			yaml:  nsDeployment("my-app", "  namespace: kube-system\n", "", plainContainers),
			want:  []string{"PAL-602 - metadata.namespace"},
			lines: map[string]string{"metadata.namespace": "namespace: kube-system"},
		},
		{
			name:  "known component by name",
			rules: []string{"PAL-602"},
			yaml:  nsDeployment("coredns", "  namespace: kube-system\n", "", plainContainers),
		},
		{
			name:  "known component by label",
			rules: []string{"PAL-602"},
			yaml:  nsDeployment("my-addon", "  namespace: kube-system\n", "  labels:\n    addonmanager.kubernetes.io/mode: Reconcile\n", plainContainers),
		},
		{
			name:  "label with another value does not match",
			rules: []string{"PAL-602"},
			yaml:  nsDeployment("my-addon", "  namespace: kube-system\n", "  labels:\n    kubernetes.io/cluster-service: \"false\"\n", plainContainers),
			want:  []string{"PAL-602 - metadata.namespace"},
		},
		{
			name:  "elsewhere",
			rules: []string{"PAL-602"},
			yaml:  nsDeployment("my-app", "  namespace: shop\n", "", plainContainers),
		},
	})
	// Defaulted into kube-system by --namespace: the user chose it.
	got := findingsOf(t, nsDeployment("my-app", "", "", plainContainers), scan.Options{Source: &source.Files{Namespace: "kube-system"}}, "PAL-602")
	if len(got) != 1 {
		t.Errorf("--namespace kube-system: findings %v, want one", keysOf(got))
	}
	// The parameter replaces the default list.
	cfg := &config.Config{Rules: map[string]config.RuleConfig{"PAL-602": {Params: map[string]any{"allowedNames": []any{"my-*"}}}}}
	got = findingsOf(t, nsDeployment("my-app", "  namespace: kube-system\n", "", plainContainers)+"---\n"+
		nsDeployment("coredns", "  namespace: kube-system\n", "", plainContainers), scan.Options{Config: cfg}, "PAL-602")
	if len(got) != 1 {
		t.Errorf("allowedNames [my-*]: findings %v, want only coredns", keysOf(got))
	}
	for _, f := range got {
		if f.Object.Name != "coredns" {
			t.Errorf("allowedNames [my-*]: finding on %s, want coredns", f.Object)
		}
	}
}

func TestNamespacePodSecurityLabels(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
		line       map[string]string
	}{
		{name: "no labels", yaml: namespaceYAML("shop", "", ""), want: []string{"PAL-603 - metadata"}},
		{name: "warn only", yaml: namespaceYAML("shop", "    pod-security.kubernetes.io/warn: restricted\n", ""),
			want: []string{"PAL-603 - metadata.labels"}},
		{name: "restricted", yaml: namespaceYAML("shop", "    pod-security.kubernetes.io/enforce: restricted\n    pod-security.kubernetes.io/enforce-version: v1.30\n", "")},
		{name: "baseline latest", yaml: namespaceYAML("shop", "    pod-security.kubernetes.io/enforce: baseline\n    pod-security.kubernetes.io/enforce-version: latest\n", "")},
		{name: "privileged", yaml: namespaceYAML("shop", "    pod-security.kubernetes.io/enforce: privileged\n", ""),
			want: []string{"PAL-604 - metadata.labels['pod-security.kubernetes.io/enforce']"},
			line: map[string]string{"PAL-604": "enforce: privileged"}},
		{name: "kube-system exempt by default", yaml: namespaceYAML("kube-system", "    pod-security.kubernetes.io/enforce: privileged\n", "")},
		{name: "invalid level and version", yaml: namespaceYAML("shop",
			"    pod-security.kubernetes.io/enforce: Restricted\n    pod-security.kubernetes.io/enforce-version: \"1.30\"\n    pod-security.kubernetes.io/audit: strict\n    pod-security.kubernetes.io/warn-version: v2.0\n", ""),
			want: []string{
				"PAL-605 - metadata.labels['pod-security.kubernetes.io/enforce']",
				"PAL-605 - metadata.labels['pod-security.kubernetes.io/enforce-version']",
				"PAL-605 - metadata.labels['pod-security.kubernetes.io/audit']",
				"PAL-605 - metadata.labels['pod-security.kubernetes.io/warn-version']",
			},
		},
		{name: "ignored keys", yaml: namespaceYAML("shop",
			"    pod-security.kubernetes.io/enforce: restricted\n    pod-security.kubernetes.io/enforce-level: baseline\n",
			"    pod-security.kubernetes.io/warn: restricted\n    pod-security.kubernetes.io/enforce: restricted\n    other/x: y\n"),
			want: []string{
				"PAL-607 - metadata.labels['pod-security.kubernetes.io/enforce-level']",
				"PAL-607 - metadata.annotations['pod-security.kubernetes.io/warn']",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := findingsOf(t, tc.yaml, scan.Options{}, "PAL-603", "PAL-604", "PAL-605", "PAL-607")
			want := map[string]bool{}
			for _, w := range tc.want {
				want[w] = true
				if _, ok := got[w]; !ok {
					t.Errorf("missing finding %s (got %v)", w, keysOf(got))
				}
			}
			for k, f := range got {
				if !want[k] {
					t.Errorf("unexpected finding %s: %s", k, f.Message)
				}
			}
			if text, ok := tc.line["PAL-604"]; ok {
				l := lineOf(t, tc.yaml, text)
				for _, f := range got {
					if f.Location.Line != l {
						t.Errorf("%s on line %d, want %d", f.RuleID, f.Location.Line, l)
					}
				}
			}
			// Label and annotation findings point at their own line.
			for k, f := range got {
				i := strings.Index(k, "['")
				if i < 0 {
					continue
				}
				section := "labels:"
				if strings.Contains(k, ".annotations[") {
					section = "annotations:"
				}
				if want := keyLine(tc.yaml, section, k[i+2:len(k)-2]); want == 0 || f.Location.Line != want {
					t.Errorf("%s on line %d, want %d", k, f.Location.Line, want)
				}
			}
		})
	}
	// exemptNamespaces replaces the default list.
	cfg := &config.Config{Rules: map[string]config.RuleConfig{"PAL-604": {Params: map[string]any{"exemptNamespaces": []any{}}}}}
	got := findingsOf(t, namespaceYAML("kube-system", "    pod-security.kubernetes.io/enforce: privileged\n", ""), scan.Options{Config: cfg}, "PAL-604")
	if len(got) != 1 {
		t.Errorf("no exemptions: findings %v, want PAL-604 on kube-system", keysOf(got))
	}
}

func TestNamespaceEnforce(t *testing.T) {
	restrictedNS := namespaceYAML("shop", "    pod-security.kubernetes.io/enforce: restricted\n", "") + "---\n"
	baselineNS := namespaceYAML("shop", "    pod-security.kubernetes.io/enforce: baseline\n", "") + "---\n"
	spec := "spec.template.spec"
	runCases(t, []ruleCase{
		{
			name:  "plain pod in a restricted namespace",
			rules: []string{"PAL-606"},
			yaml:  restrictedNS + nsDeployment("web", "  namespace: shop\n", "", plainContainers),
			want:  []string{"PAL-606 - " + spec},
		},
		{
			name:  "namespace after the workload",
			rules: []string{"PAL-606"},
			yaml:  nsDeployment("web", "  namespace: shop\n", "", plainContainers) + "---\n" + restrictedNS,
			want:  []string{"PAL-606 - " + spec},
		},
		{
			name:  "restricted pod in a restricted namespace",
			rules: []string{"PAL-606"},
			yaml:  restrictedNS + nsDeployment("web", "  namespace: shop\n", "", restrictedPod),
		},
		{
			name:  "plain pod in a baseline namespace",
			rules: []string{"PAL-606"},
			yaml:  baselineNS + nsDeployment("web", "  namespace: shop\n", "", plainContainers),
		},
		{
			name:  "privileged pod in a baseline namespace",
			rules: []string{"PAL-606"},
			yaml: baselineNS + nsDeployment("web", "  namespace: shop\n", "", plainContainers+
				"        securityContext:\n          privileged: true\n"),
			want: []string{"PAL-606 - " + spec},
		},
		{
			name:  "privileged namespace",
			rules: []string{"PAL-606"},
			yaml: namespaceYAML("shop", "    pod-security.kubernetes.io/enforce: privileged\n", "") + "---\n" +
				nsDeployment("web", "  namespace: shop\n", "", plainContainers+"        securityContext:\n          privileged: true\n"),
		},
		{
			name:  "namespace not in the input",
			rules: []string{"PAL-606"},
			yaml:  nsDeployment("web", "  namespace: other\n", "", plainContainers),
		},
		{
			name:  "workload without a namespace",
			rules: []string{"PAL-606"},
			yaml:  restrictedNS + nsDeployment("web", "", "", plainContainers),
		},
		{
			name:  "invalid enforce label is PAL-605's",
			rules: []string{"PAL-606"},
			yaml: namespaceYAML("shop", "    pod-security.kubernetes.io/enforce: strict\n", "") + "---\n" +
				nsDeployment("web", "  namespace: shop\n", "", plainContainers),
		},
	})
}

// TestNamespaceEnforceVersion: the namespace's enforce-version decides, not the scan's
// PSS version. Unmasked /proc in a user-namespace pod is allowed by restricted from
// v1.29 only... and container_engine_t SELinux type from v1.31.
func TestNamespaceEnforceVersion(t *testing.T) {
	pod := func(version string) string {
		ns := namespaceYAML("shop", "    pod-security.kubernetes.io/enforce: baseline\n    pod-security.kubernetes.io/enforce-version: "+version+"\n", "")
		return ns + `---
apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: shop
spec:
  securityContext:
    seLinuxOptions:
      type: container_engine_t
  containers:
  - name: app
    image: nginx:1.27
`
	}
	got := findingsOf(t, pod("v1.30"), scan.Options{}, "PAL-606")
	if len(got) != 1 {
		t.Fatalf("baseline v1.30: findings %v, want PAL-606", keysOf(got))
	}
	for _, f := range got {
		for _, s := range []string{`"baseline:v1.30"`, "seLinuxOptions", `namespace "shop"`, "the pod"} {
			if !strings.Contains(f.Message, s) {
				t.Errorf("message %q lacks %s", f.Message, s)
			}
		}
	}
	if got := findingsOf(t, pod("v1.31"), scan.Options{}, "PAL-606"); len(got) != 0 {
		t.Errorf("baseline v1.31: findings %v, want none", keysOf(got))
	}
	if got := findingsOf(t, pod("latest"), scan.Options{PSSVersion: "1.30"}, "PAL-606"); len(got) != 0 {
		t.Errorf("baseline latest with --pss-version 1.30: findings %v, want none (the namespace decides)", keysOf(got))
	}
}

// keyLine returns the 1-based line of key under the metadata section (labels: or
// annotations:) of yaml, or 0.
func keyLine(yaml, section, key string) int {
	in := false
	for n, line := range strings.Split(yaml, "\n") {
		switch t := strings.TrimSpace(line); {
		case t == section:
			in = true
		case strings.HasSuffix(t, ":") && !strings.HasPrefix(line, "    "):
			in = false
		case in && strings.HasPrefix(t, key+":"):
			return n + 1
		}
	}
	return 0
}

// TestNamespaceFromOption: --namespace sets the namespace of objects that name none
// (README), so every namespace-aware rule judges such a workload in that namespace:
// PAL-606 against the input's Namespace labels, PAL-601 for default, and the
// per-namespace rules (quota, limit range, default-deny policies) anchor on it when
// the input has no Namespace object. Without --namespace the same workload lands
// wherever it is deployed and none of them reports it.
func TestNamespaceFromOption(t *testing.T) {
	restrictedNS := namespaceYAML("shop", "    pod-security.kubernetes.io/enforce: restricted\n", "") + "---\n"
	web := nsDeployment("web", "", "", plainContainers)
	perNamespace := []string{"PAL-206", "PAL-207", "PAL-423", "PAL-424"}
	tests := []struct {
		name, yaml, ns string
		rules          []string
		want           []string
	}{
		{name: "PAL-606 with --namespace", yaml: restrictedNS + web, ns: "shop", rules: []string{"PAL-606"},
			want: []string{"PAL-606 - spec.template.spec"}},
		{name: "PAL-606 without", yaml: restrictedNS + web, rules: []string{"PAL-606"}},
		{name: "PAL-601 with --namespace default", yaml: web, ns: "default", rules: []string{"PAL-601"},
			want: []string{"PAL-601 - metadata.namespace"}},
		{name: "PAL-601 without", yaml: web, rules: []string{"PAL-601"}},
		{name: "per-namespace rules with --namespace", yaml: web, ns: "shop", rules: perNamespace,
			want: []string{"PAL-206 - metadata.namespace", "PAL-207 - metadata.namespace", "PAL-423 - metadata.namespace", "PAL-424 - metadata.namespace"}},
		{name: "per-namespace rules without", yaml: web, rules: perNamespace},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := findingsOf(t, tc.yaml, scan.Options{Source: &source.Files{Namespace: tc.ns}}, tc.rules...)
			if g := keysOf(got); strings.Join(g, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("findings %q, want %q", g, tc.want)
			}
			for _, f := range got {
				if !strings.Contains(f.Message, `"`+tc.ns+`"`) && !strings.Contains(f.Message, "--namespace") {
					t.Errorf("%s: message %q names neither the namespace nor --namespace", f.RuleID, f.Message)
				}
			}
		})
	}
}
