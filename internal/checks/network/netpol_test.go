package network_test

import "testing"

var netpolRules = []string{"PAL-421", "PAL-422", "PAL-423", "PAL-424", "PAL-425", "PAL-426"}

const npDeploy = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web, tier: front}
    spec:
      containers:
      - name: app
        image: nginx
---
`

const npTmpl = "spec.template.metadata"

func TestNetworkPolicies(t *testing.T) {
	runCases(t, []ruleCase{
		{
			name:  "no policy at all",
			rules: netpolRules,
			yaml:  npDeploy,
			want: []string{
				"PAL-421 - " + npTmpl, "PAL-422 - " + npTmpl,
				"PAL-423 - metadata.namespace", "PAL-424 - metadata.namespace",
			},
			lines: map[string]string{"metadata.namespace": "namespace: shop"},
		},
		{
			name:  "default deny both via empty podSelector and explicit types",
			rules: netpolRules,
			yaml: npDeploy + `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
`,
		},
		{
			name:  "defaulted policyTypes: ingress only when egress is empty",
			rules: netpolRules,
			yaml: npDeploy + `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec:
  podSelector: {}
`,
			want: []string{"PAL-422 - " + npTmpl, "PAL-424 - metadata.namespace"},
		},
		{
			name:  "defaulted policyTypes include egress when egress rules exist",
			rules: netpolRules,
			yaml: npDeploy + `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dns, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  egress:
  - ports: [{port: 53, protocol: UDP}]
`,
			// Selected for both (Ingress always, Egress since rules exist), but the
			// selector is not empty: no default deny.
			want: []string{"PAL-423 - metadata.namespace", "PAL-424 - metadata.namespace"},
		},
		{
			name:  "selector that does not match, and a policy of another namespace",
			rules: netpolRules,
			yaml: npDeploy + `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: other, namespace: shop}
spec:
  podSelector:
    matchExpressions: [{key: app, operator: NotIn, values: [web]}]
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: elsewhere}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
`,
			want: []string{
				"PAL-421 - " + npTmpl, "PAL-422 - " + npTmpl,
				"PAL-423 - metadata.namespace", "PAL-424 - metadata.namespace",
			},
		},
		{
			name:  "matchExpressions select the pod; egress-only type",
			rules: netpolRules,
			yaml: npDeploy + `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: front, namespace: shop}
spec:
  podSelector:
    matchExpressions: [{key: tier, operator: In, values: [front]}]
  policyTypes: [Egress]
`,
			want: []string{"PAL-421 - " + npTmpl, "PAL-423 - metadata.namespace", "PAL-424 - metadata.namespace"},
		},
		{
			name:  "namespace object carries the namespace findings; exempt namespace",
			rules: netpolRules,
			yaml: `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
` + npDeploy + `apiVersion: v1
kind: Pod
metadata: {name: dns, namespace: kube-system}
spec:
  containers: [{name: c, image: coredns}]
`,
			want: []string{
				"PAL-421 - " + npTmpl, "PAL-422 - " + npTmpl,
				"PAL-423 - metadata.name", "PAL-424 - metadata.name",
			},
			lines: map[string]string{"metadata.name": "name: shop"},
		},
		{
			name:  "allow-all rules",
			rules: []string{"PAL-425", "PAL-426"},
			yaml: npDeploy + `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: open, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress:
  - {}
  - from: [{podSelector: {matchLabels: {app: x}}}, {namespaceSelector: {}}]
  - from: [{namespaceSelector: {}}]
    ports: [{port: 80}]
  - from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: x}}}]
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}}]
`,
			want: []string{
				"PAL-425 - spec.ingress[0]",
				"PAL-425 - spec.ingress[1].from[1]",
				"PAL-426 - spec.egress[0].to[0]",
			},
			lines: map[string]string{"spec.egress[0].to[0]": "cidr: 0.0.0.0/0}}]"},
		},
		{
			name:  "ingress rules ignored when Ingress is not in effect",
			rules: []string{"PAL-425", "PAL-426"},
			yaml: npDeploy + `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: open, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  ingress:
  - {}
  egress:
  - {}
`,
			want: []string{"PAL-426 - spec.egress[0]"},
		},
	})
}

func TestNetworkPolicySelectsNothing(t *testing.T) {
	rules := []string{"PAL-427"}
	runCases(t, []ruleCase{
		{
			name:  "selector matches no pod template of its namespace",
			rules: rules,
			yaml: npDeploy + `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: typo, namespace: shop}
spec:
  podSelector:
    matchLabels: {app: wbe}
`,
			want:  []string{"PAL-427 - spec.podSelector"},
			lines: map[string]string{"spec.podSelector": "matchLabels: {app: wbe}"},
		},
		{
			name:  "matchExpressions NotIn excludes the only pod",
			rules: rules,
			yaml: npDeploy + `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: not-in, namespace: shop}
spec:
  podSelector:
    matchExpressions: [{key: tier, operator: NotIn, values: [front]}]
`,
			want: []string{"PAL-427 - spec.podSelector"},
		},
		{
			name:  "matching selectors, empty selector, and namespaces without workloads",
			rules: rules,
			yaml: npDeploy + `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector:
    matchExpressions: [{key: tier, operator: Exists}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: all, namespace: shop}
spec:
  podSelector: {}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: elsewhere, namespace: other}
spec:
  podSelector:
    matchLabels: {app: nothing}
`,
		},
		{
			name:  "a pod of another namespace does not count",
			rules: rules,
			yaml: npDeploy + `apiVersion: v1
kind: Pod
metadata: {name: db, namespace: data, labels: {app: db}}
spec:
  containers: [{name: c, image: postgres}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector:
    matchLabels: {app: db}
`,
			want:  []string{"PAL-427 - spec.podSelector"},
			lines: map[string]string{"spec.podSelector": "matchLabels: {app: db}"},
		},
	})
}
