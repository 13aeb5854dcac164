package netpol

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/source"
)

// Policies the API server rejects become input errors at the offending field's line,
// and select nothing; the rest of the input is still analysed.
func TestCompileErrors(t *testing.T) {
	cases := []struct {
		name string
		spec string
		// want is a fragment of the error message; line the text on its line.
		want, line string
	}{
		{"bad CIDR", "podSelector: {}\n  egress:\n  - to:\n    - ipBlock: {cidr: 10.0.0/8}", "not a valid CIDR", "cidr: 10.0.0/8"},
		{"except outside cidr", "podSelector: {}\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n        except: [192.168.0.0/16]", "must be a strict subset of `cidr`", "except: [192.168.0.0/16]"},
		{"except equal to cidr", "podSelector: {}\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n        except: [10.0.0.0/8]", "must be a strict subset of `cidr`", "except: [10.0.0.0/8]"},
		{"bad selector operator", "podSelector:\n    matchExpressions: [{key: app, operator: Like, values: [x]}]", "operator", "matchExpressions"},
		{"In without values", "podSelector:\n    matchExpressions: [{key: app, operator: In}]", "values", "matchExpressions"},
		{"bad label value in peer", "podSelector: {}\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: \"no spaces\"}}", "spec.ingress[0].from[0].podSelector.matchLabels", "matchLabels: {app:"},
		{"peer with ipBlock and selector", "podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8}\n      podSelector: {}", "may not specify both ipBlock and another peer", "- ipBlock:"},
		{"empty peer", "podSelector: {}\n  ingress:\n  - from:\n    - {}", "must specify a peer", "- {}"},
		{"lowercase protocol", "podSelector: {}\n  ingress:\n  - ports:\n    - {port: 80, protocol: tcp}", "Unsupported value: \"tcp\"", "protocol: tcp"},
		{"port out of range", "podSelector: {}\n  ingress:\n  - ports:\n    - port: 70000", "between 1 and 65535", "port: 70000"},
		{"endPort below port", "podSelector: {}\n  ingress:\n  - ports:\n    - {port: 90, endPort: 80}", "must be greater than or equal to `port`", "endPort: 80"},
		{"endPort with a named port", "podSelector: {}\n  ingress:\n  - ports:\n    - {port: http, endPort: 90}", "may not be specified when `port` is non-numeric", "endPort: 90"},
		{"quoted number is a bad port name", "podSelector: {}\n  ingress:\n  - ports:\n    - port: \"80\"", "must contain at least one letter", "port: \"80\""},
		{"unknown policy type", "podSelector: {}\n  policyTypes: [Ingres]", "Unsupported value: \"Ingres\"", "policyTypes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			input := "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x, labels: {app: a}}\nspec:\n  containers: [{name: c, image: i}]\n---\n" +
				"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: x}\nspec:\n  " + tc.spec + "\n"
			src := &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(input)}
			m, errs, err := fromSource(src, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(errs) == 0 {
				t.Fatalf("no input error for %s", tc.name)
			}
			e := errs[0]
			if !strings.Contains(e.Message, tc.want) || !strings.Contains(e.Message, "NetworkPolicy x/bad") {
				t.Errorf("message %q, want it to name the policy and contain %q", e.Message, tc.want)
			}
			if want := lineContaining(t, input, tc.line); e.Location.Line != want || e.Location.File != "<stdin>" {
				t.Errorf("error at %s line %d, want <stdin> line %d (%q): %s", e.Location.File, e.Location.Line, want, tc.line, e.Message)
			}
			if len(m.Policies) != 0 || len(m.Namespace("x").Invalid) != 1 {
				t.Errorf("invalid policy kept: %d policies, invalid %v", len(m.Policies), m.Namespace("x").Invalid)
			}
			if w := m.Workload("x", "pod", "a"); w == nil || len(w.Class.Isolating[Ingress]) != 0 {
				t.Errorf("the pod should be in the model and not isolated by the invalid policy")
			}
		})
	}
}

func lineContaining(t *testing.T, text, frag string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, frag) {
			return i + 1
		}
	}
	t.Fatalf("%q not in input", frag)
	return 0
}

func TestCompileAcceptsWhatTheAPIServerAccepts(t *testing.T) {
	for _, spec := range []string{
		`{"podSelector": {}}`,
		`{"podSelector": {}, "ingress": [{}], "egress": [{}]}`,
		`{"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "2001:db8::/32", "except": ["2001:db8::/64"]}}]}]}`,
		`{"podSelector": {}, "ingress": [{"ports": [{"port": 1, "endPort": 65535, "protocol": "SCTP"}, {"protocol": "UDP"}, {"port": "dns-tcp"}]}]}`,
		`{"podSelector": {"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, "policyTypes": ["Egress", "Ingress"]}`,
	} {
		var s networkingv1.NetworkPolicySpec
		if err := json.Unmarshal([]byte(spec), &s); err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if _, errs := CompileSpec("x", "p", &s); len(errs) > 0 {
			t.Errorf("%s: %v", spec, errs)
		}
	}
}

// New objects must spell CIDRs strictly (Kubernetes 1.33 and later); objects read
// from a cluster may have been stored before and are read as the API server still
// reads them.
func TestLegacyCIDRs(t *testing.T) {
	for cidr, want := range map[string]string{
		"10.0.0.1/8":          "must not have bits set beyond the prefix length",
		"010.000.0.0/8":       "must not have leading 0s in IP or prefix length",
		"::ffff:10.0.0.0/104": "must not have an IPv4-mapped IPv6 address",
	} {
		var s networkingv1.NetworkPolicySpec
		if err := json.Unmarshal([]byte(`{"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "`+cidr+`"}}]}]}`), &s); err != nil {
			t.Fatal(err)
		}
		if _, errs := CompileSpec("x", "p", &s); len(errs) != 1 || !strings.Contains(errs[0].Error(), want) {
			t.Errorf("%s: strict errors %v, want %q", cidr, errs, want)
		}
		body := map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
			"metadata": map[string]any{"name": "p", "namespace": "x"},
			"spec":     map[string]any{"podSelector": map[string]any{}, "egress": []any{map[string]any{"to": []any{map[string]any{"ipBlock": map[string]any{"cidr": cidr}}}}}}}
		o := &inventory.Object{Ref: finding.ObjectRef{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: "x", Name: "p"},
			Origin: finding.Location{File: "cluster", Provenance: finding.FromCluster}, Body: body}
		p, errs := Compile(o)
		if len(errs) > 0 {
			t.Fatalf("%s from a cluster: %v", cidr, errs)
		}
		// A manifest file that happens to be named "cluster" is still a manifest:
		// where an object came from is its typed provenance, not its file name.
		file := &inventory.Object{Ref: o.Ref, Origin: finding.Location{File: "cluster", Line: 1}, Body: body}
		if _, errs := Compile(file); len(errs) != 1 {
			t.Errorf("%s in a file named cluster: errors %v, want the strict one", cidr, errs)
		}
		if got := p.Rules[Egress][0].Peers[0].IPBlock.CIDR.String(); got != "10.0.0.0/8" {
			t.Errorf("%s from a cluster reads as %s, want 10.0.0.0/8", cidr, got)
		}
	}
}

func TestPortSets(t *testing.T) {
	a := PortRange(TCP, 80, 90).Union(SinglePort(UDP, 53)).Union(PortRange(TCP, 91, 100))
	if got := a.String(); got != "TCP/80-100, UDP/53" {
		t.Errorf("union = %s", got)
	}
	if got := a.Subtract(PortRange(TCP, 85, 86)).String(); got != "TCP/80-84, TCP/87-100, UDP/53" {
		t.Errorf("subtract = %s", got)
	}
	if got := a.Intersect(PortRange(TCP, 95, 200).Union(AllOf(UDP))).String(); got != "TCP/95-100, UDP/53" {
		t.Errorf("intersect = %s", got)
	}
	if !AllPorts().IsAll() || AllPorts().Subtract(AllOf(SCTP)).IsAll() || !(PortSet{}).IsEmpty() {
		t.Error("all/empty")
	}
	if got := AllPorts().Subtract(AllOf(SCTP)).String(); got != "all TCP, all UDP" {
		t.Errorf("all minus SCTP = %s", got)
	}
	if !a.Contains(TCP, 100) || a.Contains(TCP, 101) || a.Contains(SCTP, 53) {
		t.Error("contains")
	}
	for in, want := range map[string]string{"443": "TCP/443", "53/udp": "UDP/53", "8000-8080/TCP": "TCP/8000-8080"} {
		if p, err := ParsePort(in); err != nil || p.String() != want {
			t.Errorf("ParsePort(%q) = %s, %v", in, p, err)
		}
	}
	for _, bad := range []string{"0", "65536", "http", "80/ICMP", "90-80"} {
		if _, err := ParsePort(bad); err == nil {
			t.Errorf("ParsePort(%q) accepted", bad)
		}
	}
}

func TestExternalSets(t *testing.T) {
	pfx := func(s ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, p := range s {
			out = append(out, netip.MustParsePrefix(p))
		}
		return out
	}
	internet := ExternalOf(pfx("0.0.0.0/0"), SinglePort(TCP, 443)).Subtract(ExternalOf(pfx("10.0.0.0/8", "192.168.0.0/16"), AllPorts()))
	if got := internet.String(); !strings.Contains(got, "0.0.0.0/5") || strings.Contains(got, "10.0.0.0") || !strings.HasSuffix(got, "on TCP/443") {
		t.Errorf("internet = %s", got)
	}
	// 10.0.0.0/8 plus the rest is everything again, and merges to one range.
	all := internet.Union(ExternalOf(pfx("10.0.0.0/8", "192.168.0.0/16"), SinglePort(TCP, 443)))
	if got := all.String(); got != "0.0.0.0/0 on TCP/443" {
		t.Errorf("union = %s", got)
	}
	// IPv6 is a separate space.
	if !ExternalOf(pfx("::/0"), AllPorts()).Intersect(ExternalOf(pfx("10.0.0.1/32"), AllPorts())).IsEmpty() {
		t.Error("::/0 contains an IPv4 address")
	}
	if !AllExternal().IsAll() || ExternalOf(pfx("0.0.0.0/0"), AllPorts()).IsAll() {
		t.Error("IsAll")
	}
	mixed := ExternalOf(pfx("10.0.0.0/8"), SinglePort(TCP, 80)).Union(ExternalOf(pfx("10.1.0.0/16"), SinglePort(UDP, 53)))
	gs := mixed.Groups()
	if len(gs) != 2 || gs[0].PortSet.String() != "TCP/80" || gs[1].PortSet.String() != "TCP/80, UDP/53" || strings.Join(gs[1].CIDRs, " ") != "10.1.0.0/16" {
		t.Errorf("groups = %+v", gs)
	}
	if got := strings.Join(gs[0].CIDRs, " "); got != "10.0.0.0/16 10.2.0.0/15 10.4.0.0/14 10.8.0.0/13 10.16.0.0/12 10.32.0.0/11 10.64.0.0/10 10.128.0.0/9" {
		t.Errorf("10/8 minus 10.1/16 = %s", got)
	}
}
