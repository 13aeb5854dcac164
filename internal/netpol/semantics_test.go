package netpol

// Points of the NetworkPolicy semantics that the e2e-derived tables do not reach,
// because every e2e pod declares the same ports and the suite's ipBlocks hold pod IPs:
// named ports resolved on each destination pod by name and protocol, the TCP default
// of a port entry, ipBlocks against the pod network (--pod-cidr), namespaces implied
// by the objects in them, and pods taking the labels of their workload's template.

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// podYAML renders a bare Pod with labels and a containers section in YAML block style
// (two-space indent under spec).
func podYAML(ns, name, labels, spec string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {name: %s, namespace: %s, labels: %s}\nspec:\n%s---\n", name, ns, labels, spec)
}

// reachPorts returns what gets through from one workload to another, asking for
// every port.
func reachPorts(t *testing.T, m *Model, from, to *Workload) string {
	t.Helper()
	v, err := m.Reach(Endpoint{Workload: from}, Endpoint{Workload: to}, AllPorts())
	if err != nil {
		t.Fatal(err)
	}
	if got, viaMatrix := v.Ports.String(), m.Matrix().Ports(from.Class, to.Class).String(); got != viaMatrix {
		t.Errorf("%s -> %s: reach says %s, matrix says %s", from.Name(), to.Name(), got, viaMatrix)
	}
	return v.Ports.String()
}

// namedPortPods are a client and servers that all name a port "http", each
// differently: another number, another protocol, a restartable init container.
const namedPortPods = `apiVersion: v1
kind: Namespace
metadata: {name: x}
---
` + `apiVersion: v1
kind: Pod
metadata: {name: client, namespace: x, labels: {role: client}}
spec:
  containers: [{name: c, image: agnhost}]
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels: {role: server}}
spec:
  containers: [{name: c, image: agnhost, ports: [{name: http, containerPort: 8080}, {name: dns, containerPort: 53, protocol: UDP}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: x, labels: {role: server}}
spec:
  containers:
  - {name: c1, image: agnhost, ports: [{name: metrics, containerPort: 9100}]}
  - {name: c2, image: agnhost, ports: [{name: http, containerPort: 9090}]}
---
apiVersion: v1
kind: Pod
metadata: {name: d, namespace: x, labels: {role: server}}
spec:
  containers: [{name: c, image: agnhost, ports: [{name: http, containerPort: 8080, protocol: UDP}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: e, namespace: x, labels: {role: server}}
spec:
  initContainers: [{name: proxy, image: agnhost, restartPolicy: Always, ports: [{name: http, containerPort: 7070}]}]
  containers: [{name: c, image: agnhost}]
---
`

func TestNamedPortsResolvePerDestination(t *testing.T) {
	cases := []struct {
		name   string
		policy string
		// want is what the client gets through to b, c, d and e.
		want map[string]string
	}{
		{
			name:   "ingress, protocol defaulting to TCP",
			policy: policy("x", "servers", `{podSelector: {matchLabels: {role: server}}, ingress: [{ports: [{port: http}]}]}`),
			want:   map[string]string{"b": "TCP/8080", "c": "TCP/9090", "d": "", "e": "TCP/7070"},
		},
		{
			name:   "ingress, UDP",
			policy: policy("x", "servers", `{podSelector: {matchLabels: {role: server}}, ingress: [{ports: [{port: http, protocol: UDP}, {port: dns, protocol: UDP}]}]}`),
			want:   map[string]string{"b": "UDP/53", "c": "", "d": "UDP/8080", "e": ""},
		},
		{
			name:   "a name with another protocol does not resolve",
			policy: policy("x", "servers", `{podSelector: {matchLabels: {role: server}}, ingress: [{ports: [{port: dns, protocol: TCP}, {port: metrics, protocol: SCTP}]}]}`),
			want:   map[string]string{"b": "", "c": "", "d": "", "e": ""},
		},
		{
			name:   "egress resolves on the destination, not on the source",
			policy: policy("x", "client", `{podSelector: {matchLabels: {role: client}}, policyTypes: [Egress], egress: [{ports: [{port: http}, {port: metrics}]}]}`),
			want:   map[string]string{"b": "TCP/8080", "c": "TCP/9090, TCP/9100", "d": "", "e": "TCP/7070"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := modelOf(t, namedPortPods+tc.policy, Options{})
			client := podOf(t, m, "x/client")
			for _, s := range []string{"b", "c", "d", "e"} {
				got := reachPorts(t, m, client, podOf(t, m, "x/"+s))
				if got == "none" {
					got = ""
				}
				if got != tc.want[s] {
					t.Errorf("x/client -> x/%s: %q gets through, want %q", s, got, tc.want[s])
				}
			}
		})
	}

	// A named port never matches an address outside the cluster.
	m := modelOf(t, namedPortPods+policy("x", "client", `{podSelector: {matchLabels: {role: client}}, policyTypes: [Egress], egress: [{ports: [{port: http}, {port: 443}]}]}`), Options{})
	v, err := m.Reach(Endpoint{Workload: podOf(t, m, "x/client")}, Endpoint{Addresses: netip.MustParsePrefix("203.0.113.7/32")}, AllPorts())
	if err != nil {
		t.Fatal(err)
	}
	if got := v.External.String(); got != "203.0.113.7/32 on TCP/443" {
		t.Errorf("x/client -> 203.0.113.7: %s gets through, want TCP/443 only", got)
	}
}

func TestPortProtocols(t *testing.T) {
	pods := podYAML("x", "a", "{pod: a}", "  containers: [{name: c, image: agnhost}]\n") +
		podYAML("x", "b", "{pod: b}", "  containers: [{name: c, image: agnhost}]\n")
	cases := []struct{ ports, want string }{
		{`[{port: 80}]`, "TCP/80"},                 // protocol defaults to TCP
		{`[{port: 80, endPort: 90}]`, "TCP/80-90"}, // endPort too
		{`[{port: 53, protocol: UDP}]`, "UDP/53"},  // UDP is not TCP
		{`[{port: 9, protocol: SCTP}]`, "SCTP/9"},  // nor is SCTP
		{`[{protocol: UDP}]`, "all UDP"},           // no port: every port of the protocol
		{`[{}]`, "all TCP"},                        // an empty entry: every TCP port
		{`[]`, "all ports"},                        // ports: [] is no ports: all ports
		{`[{port: 80}, {port: 80, protocol: UDP}]`, "TCP/80, UDP/80"},
	}
	for _, tc := range cases {
		t.Run(tc.ports, func(t *testing.T) {
			m := modelOf(t, pods+policy("x", "p", `{podSelector: {matchLabels: {pod: b}}, ingress: [{ports: `+tc.ports+`}]}`), Options{})
			if got := reachPorts(t, m, podOf(t, m, "x/a"), podOf(t, m, "x/b")); got != tc.want {
				t.Errorf("ports %s allow %s, want %s", tc.ports, got, tc.want)
			}
		})
	}
}

// Without pod ranges an ipBlock matches only addresses outside the cluster; with
// them, a block containing every range also matches every pod, and a block covering
// part of the pod network matches no pod (which pods it covers is not known).
func TestIPBlocksAndPodTraffic(t *testing.T) {
	pods := podYAML("x", "a", "{pod: a}", "  containers: [{name: c, image: agnhost}]\n") +
		podYAML("y", "b", "{pod: b}", "  containers: [{name: c, image: agnhost}]\n")
	podNet := []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("fd00:10:244::/56")}
	cases := []struct {
		block   string
		podCIDR []netip.Prefix
		want    bool
	}{
		{`{cidr: 10.0.0.0/8}`, nil, false},
		{`{cidr: 0.0.0.0/0}`, nil, false},
		{`{cidr: 10.0.0.0/8}`, podNet[:1], true},
		{`{cidr: 10.244.0.0/16}`, podNet[:1], true},
		{`{cidr: 10.244.0.0/17}`, podNet[:1], false},
		{`{cidr: 10.0.0.0/8, except: [10.244.1.0/24]}`, podNet[:1], false},
		{`{cidr: 10.0.0.0/8, except: [10.245.0.0/16]}`, podNet[:1], true},
		{`{cidr: 10.0.0.0/8}`, podNet, false}, // the IPv6 range is not in the block
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s with %v", tc.block, tc.podCIDR), func(t *testing.T) {
			m := modelOf(t, pods+policy("x", "p", `{podSelector: {}, policyTypes: [Egress], egress: [{to: [{ipBlock: `+tc.block+`}]}]}`), Options{PodCIDRs: tc.podCIDR})
			got := reachPorts(t, m, podOf(t, m, "x/a"), podOf(t, m, "y/b")) == "all ports"
			if got != tc.want {
				t.Errorf("x/a -> y/b through ipBlock %s: allowed %v, want %v", tc.block, got, tc.want)
			}
		})
	}
}

// Namespaces that no Namespace object defines exist through the objects in them,
// with the automatic name label only; pods carry their template's labels, not their
// workload's.
func TestImpliedNamespacesAndTemplateLabels(t *testing.T) {
	input := `apiVersion: v1
kind: Namespace
metadata: {name: x, labels: {team: x}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: x, labels: {tier: wrong}}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: c, image: agnhost}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: job, namespace: q}
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: job}}
        spec: {restartPolicy: Never, containers: [{name: c, image: agnhost}]}
---
`
	cases := []struct {
		name, spec string
		want       bool
	}{
		{"by the automatic name label of an implied namespace", `{podSelector: {matchLabels: {app: api}}, ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: q}}}]}]}`, true},
		{"an implied namespace has no other label", `{podSelector: {matchLabels: {app: api}}, ingress: [{from: [{namespaceSelector: {matchLabels: {team: q}}}]}]}`, false},
		{"an empty namespaceSelector is every namespace", `{podSelector: {matchLabels: {app: api}}, ingress: [{from: [{namespaceSelector: {}}]}]}`, true},
		{"pod labels come from the CronJob's pod template", `{podSelector: {matchLabels: {app: api}}, ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: job}}}]}]}`, true},
		{"a podSelector alone stays in the policy's namespace", `{podSelector: {matchLabels: {app: api}}, ingress: [{from: [{podSelector: {matchLabels: {app: job}}}]}]}`, false},
		{"the Deployment's own labels are not its pods'", `{podSelector: {matchLabels: {tier: wrong}}, ingress: []}`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := modelOf(t, input+policy("x", "p", tc.spec), Options{})
			job, api := m.Workload("q", "CronJob", "job"), m.Workload("x", "Deployment", "api")
			if job == nil || api == nil {
				t.Fatal("workloads missing from the model")
			}
			if got := reachPorts(t, m, job, api) == "all ports"; got != tc.want {
				t.Errorf("q/job -> x/api: allowed %v, want %v", got, tc.want)
			}
		})
	}
	m := modelOf(t, input, Options{})
	var names []string
	for _, n := range m.Namespaces {
		names = append(names, n.Name)
	}
	if got := strings.Join(names, ","); got != "q,x" {
		t.Errorf("namespaces %s, want q,x", got)
	}
}
