package network_test

import (
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

// npWeb is a web Deployment that declares an "http" port, and an api Pod in the same
// namespace declaring "grpc" over TCP and "metrics" over UDP.
const npWeb = npDeploy + `apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
spec:
  containers:
  - name: c
    image: api
    ports:
    - {name: grpc, containerPort: 9000}
    - {name: metrics, containerPort: 9100, protocol: UDP}
---
`

func npPolicy(name, spec string) string {
	return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " + name + ", namespace: shop}\nspec:\n" + spec + "---\n"
}

func TestNetworkPolicyEgressAnywhere(t *testing.T) {
	rules := []string{"PAL-428"}
	runCases(t, []ruleCase{
		{
			name:  "no peers on some ports, /0 with excepts, /0 on ports",
			rules: rules,
			yaml: npWeb + npPolicy("egress", `  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - ports: [{port: 443}]
  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]
  - to: [{podSelector: {}}, {ipBlock: {cidr: "::/0"}}]
    ports: [{port: 80}, {port: http}]
`),
			want:  []string{"PAL-428 - spec.egress[0]", "PAL-428 - spec.egress[1].to[0]", "PAL-428 - spec.egress[2].to[1]"},
			lines: map[string]string{"spec.egress[1].to[0]": "except: [10.0.0.0/8]"},
		},
		{
			name:  "DNS anywhere, the PAL-426 case, narrow blocks and ingress are not reported",
			rules: rules,
			yaml: npWeb + npPolicy("egress", `  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{ipBlock: {cidr: 0.0.0.0/0}}]
    ports: [{port: 80}]
  egress:
  - ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
  - to: [{ipBlock: {cidr: 10.0.0.0/8}}]
    ports: [{port: 443}]
`),
		},
		{
			name:  "egress rules of a policy without Egress in effect are ignored",
			rules: rules,
			yaml: npWeb + npPolicy("ingress-only", `  podSelector: {}
  policyTypes: [Ingress]
  egress:
  - ports: [{port: 443}]
`),
		},
	})
}

func TestNetworkPolicyDNS(t *testing.T) {
	rules := []string{"PAL-429"}
	deny := npPolicy("default-deny", "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n")
	runCases(t, []ruleCase{
		{
			name:  "default deny egress without DNS",
			rules: rules,
			yaml:  npWeb + deny,
			want:  []string{"PAL-429 - " + npTmpl, "PAL-429 - metadata"},
		},
		{
			name:  "a DNS rule in another policy selecting all pods",
			rules: rules,
			yaml: npWeb + deny + npPolicy("dns", `  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]
    ports: [{port: 53, protocol: UDP}]
`),
		},
		{
			name:  "DNS allowed only to web; TCP 53 alone is not enough; a port range covering 53 is",
			rules: rules,
			yaml: npWeb + deny + npPolicy("dns-web", `  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - ports: [{port: 1, endPort: 1024, protocol: UDP}]
`) + npPolicy("dns-api", `  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress:
  - ports: [{port: 53, protocol: TCP}]
`),
			want: []string{"PAL-429 - metadata"},
		},
		{
			name:  "a named port that resolves to UDP 53 on the destination",
			rules: rules,
			yaml: npWeb + `apiVersion: v1
kind: Pod
metadata: {name: dns, namespace: shop, labels: {app: dns}}
spec:
  containers: [{name: c, image: coredns, ports: [{name: dns, containerPort: 53, protocol: UDP}]}]
---
` + deny + npPolicy("dns", `  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: dns}}}]
    ports: [{port: dns, protocol: UDP}]
`),
		},
		{
			name:  "ingress-only isolation leaves DNS alone",
			rules: rules,
			yaml:  npWeb + npPolicy("deny-in", "  podSelector: {}\n"),
		},
	})
}

func TestNetworkPolicyNamedPorts(t *testing.T) {
	rules := []string{"PAL-430"}
	runCases(t, []ruleCase{
		{
			name:  "ingress names a port the selected pods lack; egress names one with the wrong protocol",
			rules: rules,
			yaml: npWeb + npPolicy("web", `  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports: [{port: https}]
  egress:
  - to: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: grpc}, {port: metrics, protocol: TCP}]
`),
			want:  []string{"PAL-430 - spec.ingress[0].ports[0].port", "PAL-430 - spec.egress[0].ports[1].port"},
			lines: map[string]string{"spec.ingress[0].ports[0].port": "port: https"},
		},
		{
			name:  "declared ports, and rules whose destinations are not in the input",
			rules: rules,
			yaml: npWeb + npPolicy("api", `  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress, Egress]
  ingress:
  - ports: [{port: grpc}, {port: metrics, protocol: UDP}]
  egress:
  - to: [{namespaceSelector: {matchLabels: {team: other}}}]
    ports: [{port: anything}]
`) + npPolicy("nobody", `  podSelector: {matchLabels: {app: nobody}}
  ingress:
  - ports: [{port: whatever}]
`),
		},
	})
}

func TestNetworkPolicyPeersSelectNothing(t *testing.T) {
	rules := []string{"PAL-431"}
	runCases(t, []ruleCase{
		{
			name:  "typo in a same-namespace peer; selectors ANDed in one peer",
			rules: rules,
			yaml: `apiVersion: v1
kind: Namespace
metadata: {name: front, labels: {team: front}}
---
apiVersion: v1
kind: Pod
metadata: {name: ui, namespace: front, labels: {app: ui}}
spec:
  containers: [{name: c, image: ui}]
---
` + npWeb + npPolicy("api", `  podSelector: {matchLabels: {app: api}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: wbe}}
    - namespaceSelector: {matchLabels: {team: front}}
      podSelector: {matchLabels: {app: web}}
    - namespaceSelector: {matchLabels: {team: front}}
    - podSelector: {matchLabels: {app: web}}
`),
			want:  []string{"PAL-431 - spec.ingress[0].from[0]", "PAL-431 - spec.ingress[0].from[1]"},
			lines: map[string]string{"spec.ingress[0].from[0]": "app: wbe"},
		},
		{
			name:  "namespaces outside the input, ipBlocks and rules not in effect are not judged",
			rules: rules,
			yaml: npWeb + npPolicy("api", `  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}
      podSelector: {matchLabels: {app: prometheus}}
    - ipBlock: {cidr: 10.0.0.0/8}
  egress:
  - to: [{podSelector: {matchLabels: {app: nothing}}}]
`),
		},
	})
}

func TestNetworkPolicyShadowedRules(t *testing.T) {
	rules := []string{"PAL-432"}
	runCases(t, []ruleCase{
		{
			name:  "a narrower rule in the same policy and in a policy selecting fewer pods",
			rules: rules,
			yaml: npWeb + npPolicy("all", `  podSelector: {}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: front}}}]
  - from: [{namespaceSelector: {matchLabels: {team: front}}, podSelector: {matchLabels: {app: ui}}}]
    ports: [{port: 8080}]
`) + npPolicy("web", `  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{namespaceSelector: {matchExpressions: [{key: team, operator: In, values: [front]}, {key: env, operator: Exists}]}}]
    ports: [{port: 443}, {port: http}]
  - from: [{ipBlock: {cidr: 10.0.0.0/8}}]
`),
			want: []string{"PAL-432 - spec.ingress[1]", "PAL-432 - spec.ingress[0]"},
		},
		{
			name:  "of two identical rules the later is reported; broader or different rules are not",
			rules: rules,
			yaml: npWeb + npPolicy("a", `  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: 80}]
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: 80}]
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: 80, protocol: UDP}]
  - from: [{podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [db]}]}}]
    ports: [{port: 81}]
  - from: [{podSelector: {}}]
    ports: [{port: 82}]
`) + npPolicy("b", `  podSelector: {matchLabels: {app: api}}
  ingress:
  - {}
`),
			want: []string{"PAL-432 - spec.ingress[1]"},
		},
	})
}

// A policy the API server would reject is an input error naming the field and its
// line, not a crash, and the other rules still run.
func TestNetworkPolicyInvalid(t *testing.T) {
	yaml := npWeb + npPolicy("bad", `  podSelector: {}
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/33}}]
`)
	res, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(yaml)}, FailOn: "none"})
	if err != nil {
		t.Fatal(err)
	}
	want := "spec.egress[0].to[0].ipBlock.cidr: Invalid value: \"10.0.0.0/33\": not a valid CIDR"
	checkInputErrors(t, res.Report.Errors, want)
	for _, e := range res.Report.Errors {
		if strings.Contains(e.Message, want) && !strings.Contains(e.Message, "(line 33)") {
			t.Errorf("error does not name the line of the CIDR: %s", e.Message)
		}
	}
	var sawNotSelected bool
	for _, f := range res.Report.Findings {
		if f.RuleID == "PAL-421" && strings.Contains(f.Message, `NetworkPolicy "bad" is invalid`) {
			sawNotSelected = true
		}
	}
	if !sawNotSelected {
		t.Error("workloads are not reported as unselected, with a note on the invalid policy")
	}
}
