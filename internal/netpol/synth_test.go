package netpol

import (
	"flag"
	"fmt"
	"math/rand"
	"net/netip"
	"os"
	"strings"
	"testing"
)

// synthetic describes a generated cluster: namespaces with team and environment
// labels, workloads whose pod labels are all distinct (app=<role>-<n>, role, tier,
// team), so that every pod template is its own class (the worst case for the matrix),
// and policies of eight kinds spread over the namespaces: default deny ingress, default
// deny egress with DNS and same-namespace allowances, same-namespace tier rules on
// named ports, cross-namespace rules by team and environment labels, a monitoring
// scrape rule on a named port, egress by port range and to the internet except private
// ranges, and ipBlock sources.
type synthetic struct {
	namespaces, pods, policies int
	seed                       int64
}

var roles = []struct {
	name, tier, portName, proto string
	port                        int
}{
	{"web", "frontend", "http", "TCP", 8080},
	{"api", "backend", "https", "TCP", 8443},
	{"db", "data", "postgres", "TCP", 5432},
	{"cache", "data", "redis", "TCP", 6379},
	{"queue", "data", "amqp", "TCP", 5672},
	{"worker", "backend", "metrics", "TCP", 9090},
	{"gateway", "frontend", "grpc", "TCP", 9000},
	{"stats", "backend", "statsd", "UDP", 8125},
}

// yaml renders the cluster as one multi-document manifest.
func (s synthetic) yaml() string {
	r := rand.New(rand.NewSource(s.seed))
	var b strings.Builder
	b.Grow(s.pods * 600)
	envs := []string{"prod", "staging", "dev"}
	teams := s.namespaces / 20
	if teams < 2 {
		teams = 2
	}
	for i := 0; i < s.namespaces; i++ {
		fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-%03d\n  labels: {team: team-%d, env: %s}\n---\n", i, i%teams, envs[i%3])
	}
	for i := 0; i < s.pods; i++ {
		ns := i % s.namespaces
		role := roles[(i/s.namespaces)%len(roles)]
		fmt.Fprintf(&b, `apiVersion: apps/v1
kind: Deployment
metadata: {name: %s-%d, namespace: ns-%03d}
spec:
  selector: {matchLabels: {app: %s-%d}}
  template:
    metadata:
      labels: {app: %s-%d, role: %s, tier: %s, team: team-%d}
    spec:
      containers:
      - name: main
        image: registry.example.com/%s:1.0
        ports:
        - {name: %s, containerPort: %d, protocol: %s}
        - {name: health, containerPort: 8081}
---
`, role.name, i, ns, role.name, i, role.name, i, role.name, role.tier, ns%teams, role.name, role.portName, role.port, role.proto)
	}
	perNS := s.policies / s.namespaces
	extra := s.policies % s.namespaces
	for i := 0; i < s.namespaces; i++ {
		n := perNS
		if i < extra {
			n++
		}
		for k := 0; k < n; k++ {
			b.WriteString(s.policy(r, i, k, teams))
		}
	}
	return b.String()
}

func (s synthetic) policy(r *rand.Rand, ns, k, teams int) string {
	head := fmt.Sprintf("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p%d, namespace: ns-%03d}\nspec:\n", k, ns)
	role := roles[r.Intn(len(roles))]
	other := roles[r.Intn(len(roles))]
	var spec string
	// Each namespace gets consecutive kinds, so that namespaces differ: some are open,
	// some deny ingress or egress by default, all have allowances.
	switch (ns + k) % 8 {
	case 0:
		spec = "  podSelector: {}\n  policyTypes: [Ingress]\n"
	case 1:
		spec = fmt.Sprintf("  podSelector: {matchLabels: {tier: %s}}\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {tier: frontend}}\n    ports: [{port: %s}]\n", role.tier, role.portName)
	case 2:
		spec = fmt.Sprintf("  podSelector: {matchLabels: {role: %s}}\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {team: team-%d}}\n      podSelector: {matchLabels: {role: %s}}\n    ports: [{port: %d, protocol: %s}]\n", role.name, r.Intn(teams), other.name, role.port, role.proto)
	case 3:
		spec = "  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {env: prod}}\n      podSelector: {matchLabels: {role: worker}}\n    ports: [{port: health}]\n"
	case 4:
		spec = fmt.Sprintf("  podSelector: {matchLabels: {tier: %s}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector: {matchExpressions: [{key: team, operator: In, values: [team-%d, team-%d]}]}\n      podSelector: {matchLabels: {tier: data}}\n    ports: [{port: 5000, endPort: 6500}]\n  - to:\n    - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]}\n    ports: [{port: 443}]\n", role.tier, r.Intn(teams), r.Intn(teams))
	case 5:
		spec = "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ns-000}}\n      podSelector: {matchLabels: {role: gateway}}\n    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]\n  - to:\n    - podSelector: {}\n"
	case 6:
		spec = fmt.Sprintf("  podSelector: {matchExpressions: [{key: app, operator: In, values: [%s-%d]}]}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.%d.0.0/16}\n  - from:\n    - podSelector: {matchLabels: {role: %s}}\n", role.name, r.Intn(s.pods), r.Intn(256), other.name)
	default:
		spec = fmt.Sprintf("  podSelector: {matchLabels: {role: %s}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - namespaceSelector: {matchExpressions: [{key: env, operator: NotIn, values: [dev]}]}\n", role.name)
	}
	return head + spec + "---\n"
}

var synthOut = flag.String("synth-out", "", "write the synthetic 10,000-pod cluster to this file (TestWriteSynthetic)")

// TestWriteSynthetic writes the benchmark cluster as a manifest for timing the CLI end
// to end: go test ./internal/netpol -run TestWriteSynthetic -synth-out /tmp/synth.yaml
func TestWriteSynthetic(t *testing.T) {
	if *synthOut == "" {
		t.Skip("no -synth-out")
	}
	if err := os.WriteFile(*synthOut, []byte(synthetic{500, 10000, 2000, 1}.yaml()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMatrixAgreesWithReach checks the bitset matrix against the direct evaluation of
// reach on generated clusters, for every pair of classes and the outside.
func TestMatrixAgreesWithReach(t *testing.T) {
	for seed := int64(1); seed <= 4; seed++ {
		s := synthetic{namespaces: 6, pods: 60, policies: 30 + int(seed)*7, seed: seed}
		m := modelOf(t, s.yaml(), Options{})
		x := m.Matrix()
		connections := 0
		for _, src := range m.Classes {
			for _, dst := range m.Classes {
				v, err := m.Reach(Endpoint{Workload: src.Workloads[0]}, Endpoint{Workload: dst.Workloads[0]}, AllPorts())
				if err != nil {
					t.Fatal(err)
				}
				if got := x.Ports(src, dst); !got.Equal(v.Ports) {
					t.Fatalf("seed %d: %s -> %s: matrix %s, reach %s", seed, src.Workloads[0].Name(), dst.Workloads[0].Name(), got, v.Ports)
				}
				if !v.Ports.IsEmpty() {
					connections++
				}
			}
			all := AllAddresses()[0]
			v, _ := m.Reach(Endpoint{Workload: src.Workloads[0]}, Endpoint{Addresses: all}, AllPorts())
			if want := x.ToOutside(src).Intersect(ExternalOf([]netip.Prefix{all}, AllPorts())); !v.External.Equal(want) {
				t.Fatalf("seed %d: %s -> outside: matrix %s, reach %s", seed, src.Workloads[0].Name(), want, v.External)
			}
			v, _ = m.Reach(Endpoint{Addresses: all}, Endpoint{Workload: src.Workloads[0]}, AllPorts())
			if want := x.FromOutside(src).Intersect(ExternalOf([]netip.Prefix{all}, AllPorts())); !v.External.Equal(want) {
				t.Fatalf("seed %d: outside -> %s: matrix %s, reach %s", seed, src.Workloads[0].Name(), want, v.External)
			}
		}
		if connections != x.Count() {
			t.Errorf("seed %d: %d connections by reach, %d in the matrix", seed, connections, x.Count())
		}
		if connections == 0 || connections == len(m.Classes)*len(m.Classes) {
			t.Errorf("seed %d: degenerate cluster (%d connections over %d classes)", seed, connections, len(m.Classes))
		}
	}
}
