package netpol

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/source"
)

// FuzzCompile feeds arbitrary policy specs through the loader, the compiler, the
// model, the matrix and reach: nothing may panic, a policy either compiles or becomes
// input errors with a location, and the matrix must agree with reach.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`{podSelector: {}, policyTypes: [Ingress, Egress]}`,
		`{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]}`,
		`{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [x]}]}, podSelector: {}}], ports: [{port: serve-80-tcp}]}]}`,
		`{podSelector: {}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}], ports: [{port: 80, endPort: 90, protocol: UDP}]}]}`,
		`{podSelector: {matchExpressions: [{key: pod, operator: In, values: [a, c]}]}, egress: [{ports: [{protocol: SCTP}]}, {}]}`,
		`{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: "::/0"}}]}]}`,
		`{podSelector: {}, egress: [{to: [{ipBlock: {cidr: 10.0.0/8}}]}]}`,
		`{podSelector: [}`,
		`{podSelector: {}, ingress: [{ports: [{port: 70000}, {port: true}]}]}`,
	} {
		f.Add(s)
	}
	pods := e2eInput(all("x/a", "x/b", "y/a"), nil, "")
	f.Fuzz(func(t *testing.T, spec string) {
		input := pods + "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\nspec: " + spec + "\n"
		src := &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(input)}
		m, errs, err := fromSource(src, Options{PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range errs {
			if e.Location.File == "" || e.Message == "" {
				t.Fatalf("input error without a location or message: %+v", e)
			}
		}
		x := m.Matrix()
		outside := netip.MustParsePrefix("0.0.0.0/0")
		for _, a := range m.Workloads {
			for _, b := range m.Workloads {
				v, err := m.Reach(Endpoint{Workload: a}, Endpoint{Workload: b}, AllPorts())
				if err != nil {
					t.Fatal(err)
				}
				if got := x.Ports(a.Class, b.Class); !got.Equal(v.Ports) {
					t.Fatalf("%s -> %s: matrix %s, reach %s", a.Name(), b.Name(), got, v.Ports)
				}
			}
			v, _ := m.Reach(Endpoint{Workload: a}, Endpoint{Addresses: outside}, AllPorts())
			if want := x.ToOutside(a.Class).Intersect(ExternalOf([]netip.Prefix{outside}, AllPorts())); !v.External.Equal(want) {
				t.Fatalf("%s -> outside: matrix %s, reach %s", a.Name(), want, v.External)
			}
		}
	})
}
