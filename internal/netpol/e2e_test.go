package netpol

// Truth tables derived from the scenarios of the Kubernetes network policy e2e suite
// (test/e2e/network/netpol): namespaces x, y and z; pods a, b and c labelled pod=<name>,
// each serving ports 80 and 81 on TCP, UDP and SCTP through containers whose ports are
// named serve-<port>-<protocol>. Every case starts from "everything reaches
// everything" and states what the policies change, in the words of the scenario; the
// model must agree for every ordered pair of distinct pods (traffic of a pod to itself
// is left out, as the suite leaves it out), both through the matrix and through reach.

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/source"
)

// truth is an expected connectivity table over pods "ns/name".
type truth struct {
	pods    []string
	allowed map[[2]string]bool
}

func newTruth(pods []string) *truth {
	t := &truth{pods: pods, allowed: map[[2]string]bool{}}
	for _, f := range pods {
		for _, to := range pods {
			t.allowed[[2]string{f, to}] = true
		}
	}
	return t
}

// matches reports whether a pod is chosen by a peer spec: "" any pod, "x" any pod of
// namespace x, "x/a" one pod.
func matchesSpec(spec, pod string) bool {
	if spec == "" || spec == pod {
		return true
	}
	return !strings.Contains(spec, "/") && strings.HasPrefix(pod, spec+"/")
}

// peer sets every pair from a pod matching from to a pod matching to.
func (t *truth) peer(from, to string, v bool) *truth {
	for _, f := range t.pods {
		for _, d := range t.pods {
			if matchesSpec(from, f) && matchesSpec(to, d) {
				t.allowed[[2]string{f, d}] = v
			}
		}
	}
	return t
}

func (t *truth) allIngress(pod string, v bool) *truth { return t.peer("", pod, v) }
func (t *truth) allEgress(pod string, v bool) *truth  { return t.peer(pod, "", v) }

// probe is one port and protocol checked against a table.
type probe struct {
	port  int
	proto Protocol
	want  *truth
}

type e2eCase struct {
	name string
	pods []string
	// labels are more labels of some pods, as the scenarios that update a pod's labels
	// set them: "x/b": "pod2: updated".
	labels map[string]string
	extra  string // more objects: policies, relabelled namespaces
	probes []probe
}

// e2eInput renders namespaces x, y, z (labelled ns=<name>, unless extra redefines
// them), the pods (labelled pod=<name>, plus their entry in labels) and the extra
// objects.
func e2eInput(pods []string, labels map[string]string, extra string) string {
	var b strings.Builder
	for _, ns := range []string{"x", "y", "z"} {
		if strings.Contains(extra, "kind: Namespace\nmetadata: {name: "+ns+",") {
			continue
		}
		fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata: {name: %s, labels: {ns: %s}}\n---\n", ns, ns)
	}
	for _, p := range pods {
		ns, name, _ := strings.Cut(p, "/")
		more := ""
		if l := labels[p]; l != "" {
			more = ", " + l
		}
		fmt.Fprintf(&b, "apiVersion: v1\nkind: Pod\nmetadata: {name: %s, namespace: %s, labels: {pod: %s%s}}\nspec:\n  containers:\n", name, ns, name, more)
		for _, port := range []int{80, 81} {
			for _, proto := range []string{"TCP", "UDP", "SCTP"} {
				fmt.Fprintf(&b, "  - name: cont-%d-%s\n    image: agnhost\n    ports: [{containerPort: %d, name: serve-%d-%s, protocol: %s}]\n",
					port, strings.ToLower(proto), port, port, strings.ToLower(proto), proto)
			}
		}
		b.WriteString("---\n")
	}
	b.WriteString(extra)
	return b.String()
}

// policy renders a NetworkPolicy whose spec is given in YAML flow style.
func policy(ns, name, spec string) string {
	return fmt.Sprintf("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: %s, namespace: %s}\nspec: %s\n---\n", name, ns, spec)
}

func modelOf(t *testing.T, input string, opts Options) *Model {
	t.Helper()
	src := &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(input)}
	m, errs, err := fromSource(src, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("input error: %s", e.Error())
	}
	return m
}

func (tc e2eCase) run(t *testing.T) {
	m := modelOf(t, e2eInput(tc.pods, tc.labels, tc.extra), Options{})
	x := m.Matrix()
	for _, pr := range tc.probes {
		var wrong []string
		got := newTruth(tc.pods)
		for _, f := range tc.pods {
			for _, d := range tc.pods {
				if f == d {
					continue
				}
				wf, wd := podOf(t, m, f), podOf(t, m, d)
				viaMatrix := x.Ports(wf.Class, wd.Class).Contains(pr.proto, pr.port)
				v, err := m.Reach(Endpoint{Workload: wf}, Endpoint{Workload: wd}, SinglePort(pr.proto, pr.port))
				if err != nil {
					t.Fatal(err)
				}
				if viaMatrix != v.Allowed() {
					t.Errorf("%d/%s %s -> %s: matrix says %v, reach says %v", pr.port, pr.proto, f, d, viaMatrix, v.Allowed())
				}
				got.allowed[[2]string{f, d}] = viaMatrix
				if want := pr.want.allowed[[2]string{f, d}]; viaMatrix != want {
					wrong = append(wrong, fmt.Sprintf("%s -> %s: got %v, want %v", f, d, viaMatrix, want))
				}
			}
		}
		if len(wrong) > 0 {
			t.Errorf("%d/%s: %d pairs differ:\n  %s\ngot:\n%swant:\n%s", pr.port, pr.proto, len(wrong),
				strings.Join(wrong, "\n  "), got.table(), pr.want.table())
		}
	}
}

// table renders a truth table the way the e2e suite logs it (. allowed, X denied,
// the diagonal blank).
func (t *truth) table() string {
	var b strings.Builder
	b.WriteString("     ")
	for _, d := range t.pods {
		fmt.Fprintf(&b, "%-5s", d)
	}
	b.WriteString("\n")
	for _, f := range t.pods {
		fmt.Fprintf(&b, "%-5s", f)
		for _, d := range t.pods {
			c := "X"
			switch {
			case f == d:
				c = " "
			case t.allowed[[2]string{f, d}]:
				c = "."
			}
			fmt.Fprintf(&b, "%-5s", c)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func podOf(t *testing.T, m *Model, pod string) *Workload {
	t.Helper()
	ns, name, _ := strings.Cut(pod, "/")
	w := m.Workload(ns, "Pod", name)
	if w == nil {
		t.Fatalf("pod %s not in the model", pod)
	}
	return w
}

func all(pods ...string) []string { return pods }

const (
	podA = `{matchLabels: {pod: a}}`
	podB = `{matchLabels: {pod: b}}`
)

func TestE2ETruthTables(t *testing.T) {
	tcp80 := func(tr *truth) []probe { return []probe{{80, TCP, tr}} }
	pods4 := all("x/a", "x/b", "y/a", "y/b")
	cases := []e2eCase{
		{
			name: "default-deny-ingress", pods: pods4,
			extra:  policy("x", "deny-ingress", `{podSelector: {}, policyTypes: [Ingress]}`),
			probes: tcp80(newTruth(pods4).peer("", "x", false)),
		},
		{
			name: "default-deny-all", pods: all("x/a", "x/b", "y/a"),
			extra:  policy("x", "deny-all", `{podSelector: {}, policyTypes: [Ingress, Egress]}`),
			probes: tcp80(newTruth(all("x/a", "x/b", "y/a")).peer("", "x", false).peer("x", "", false)),
		},
		{
			name: "allow traffic from pods within server namespace based on PodSelector", pods: all("x/a", "x/b", "x/c", "y/a"),
			extra:  policy("x", "x-a-allows-x-b", `{podSelector: `+podA+`, ingress: [{from: [{podSelector: `+podB+`}]}]}`),
			probes: tcp80(newTruth(all("x/a", "x/b", "x/c", "y/a")).allIngress("x/a", false).peer("x/b", "x/a", true)),
		},
		{
			name: "allow ingress traffic for a target", pods: all("x/a", "x/b", "y/a"),
			extra: policy("x", "deny-all", `{podSelector: {}, policyTypes: [Ingress]}`) +
				policy("x", "allow-all-to-a", `{podSelector: `+podA+`, ingress: [{from: [{podSelector: {}, namespaceSelector: {}}]}]}`),
			probes: tcp80(newTruth(all("x/a", "x/b", "y/a")).allIngress("x/a", true).allIngress("x/b", false)),
		},
		{
			name: "allow ingress traffic from pods in all namespaces", pods: all("x/a", "x/b", "y/a", "z/a"),
			extra:  policy("x", "allow-from-another-ns", `{podSelector: `+podA+`, ingress: [{from: [{namespaceSelector: {matchLabels: {}}}]}]}`),
			probes: tcp80(newTruth(all("x/a", "x/b", "y/a", "z/a"))),
		},
		{
			name: "allow traffic only from a different namespace, based on NamespaceSelector", pods: all("x/a", "x/b", "y/a", "z/a"),
			extra:  policy("x", "allow-client-a-via-ns-selector", `{podSelector: `+podA+`, ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}}]}]}`),
			probes: tcp80(newTruth(all("x/a", "x/b", "y/a", "z/a")).peer("x", "x/a", false).peer("z", "x/a", false)),
		},
		{
			name: "PodSelector with MatchExpressions", pods: all("x/a", "x/b", "y/a"),
			extra:  policy("x", "x-a-allows-x-b", `{podSelector: `+podA+`, ingress: [{from: [{podSelector: {matchExpressions: [{key: pod, operator: In, values: [b]}]}}]}]}`),
			probes: tcp80(newTruth(all("x/a", "x/b", "y/a")).allIngress("x/a", false).peer("x/b", "x/a", true)),
		},
		{
			name: "NamespaceSelector with MatchExpressions", pods: all("x/a", "x/b", "y/a", "z/a"),
			extra:  policy("x", "allow-ns-y-match-selector", `{podSelector: `+podA+`, ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [y]}]}}]}]}`),
			probes: tcp80(newTruth(all("x/a", "x/b", "y/a", "z/a")).peer("x", "x/a", false).peer("z", "x/a", false)),
		},
		{
			name: "PodSelector or NamespaceSelector (separate peers are ORed)", pods: all("x/a", "x/b", "x/c", "y/a"),
			extra: policy("x", "allow-ns-y-match-selector", `{podSelector: `+podA+`, ingress: [{from: [
  {namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [x]}]}},
  {podSelector: `+podB+`}]}]}`),
			probes: tcp80(newTruth(all("x/a", "x/b", "x/c", "y/a")).peer("x/c", "x/a", false)),
		},
		{
			name: "PodSelector and NamespaceSelector (one peer is ANDed)", pods: all("x/a", "x/b", "y/a", "y/b", "z/b"),
			extra: policy("x", "allow-ns-y-podselector-and-nsselector", `{podSelector: `+podA+`, ingress: [{from: [
  {namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [x]}]}, podSelector: `+podB+`}]}]}`),
			probes: tcp80(newTruth(all("x/a", "x/b", "y/a", "y/b", "z/b")).allIngress("x/a", false).peer("y/b", "x/a", true).peer("z/b", "x/a", true)),
		},
		{
			name: "multiple PodSelectors and NamespaceSelectors", pods: all("x/a", "x/b", "y/a", "y/b", "y/c"),
			extra: policy("x", "allow-ns-y-z-pod-b-c", `{podSelector: `+podA+`, ingress: [{from: [
  {namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [x]}]},
   podSelector: {matchExpressions: [{key: pod, operator: In, values: [b, c]}]}}]}]}`),
			probes: tcp80(newTruth(all("x/a", "x/b", "y/a", "y/b", "y/c")).peer("x", "x/a", false).peer("y/a", "x/a", false)),
		},
		{
			name: "any PodSelectors", pods: all("x/a", "x/b", "x/c"),
			extra:  policy("x", "allow-ns-x-pod-b-c", `{podSelector: `+podA+`, ingress: [{from: [{podSelector: `+podB+`}, {podSelector: {matchLabels: {pod: c}}}]}]}`),
			probes: tcp80(newTruth(all("x/a", "x/b", "x/c")).allIngress("x/a", false).peer("x/b", "x/a", true).peer("x/c", "x/a", true)),
		},
		{
			name: "only from a pod in a different namespace based on PodSelector and NamespaceSelector", pods: all("x/a", "x/b", "y/a", "y/b", "z/a"),
			extra:  policy("x", "allow-ns-y-pod-a", `{podSelector: `+podA+`, ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}, podSelector: `+podA+`}]}]}`),
			probes: tcp80(newTruth(all("x/a", "x/b", "y/a", "y/b", "z/a")).allIngress("x/a", false).peer("y/a", "x/a", true)),
		},
		{
			name: "policy based on Ports", pods: all("x/a", "x/b", "y/a", "y/b", "z/a"),
			extra: policy("x", "allow-client-a-via-ns-selector", `{podSelector: `+podA+`, ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}}],
  ports: [{port: 81, protocol: TCP}]}]}`),
			probes: []probe{
				{81, TCP, newTruth(all("x/a", "x/b", "y/a", "y/b", "z/a")).peer("x", "x/a", false).peer("z", "x/a", false)},
				{80, TCP, newTruth(all("x/a", "x/b", "y/a", "y/b", "z/a")).allIngress("x/a", false)},
			},
		},
		{
			name: "multiple, stacked policies with overlapping podSelectors", pods: all("x/a", "x/b", "y/a", "y/b", "z/a"),
			extra: policy("x", "allow-81", `{podSelector: `+podA+`, ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}}], ports: [{port: 81, protocol: TCP}]}]}`) +
				policy("x", "allow-80", `{podSelector: `+podA+`, ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}}], ports: [{port: 80, protocol: TCP}]}]}`),
			probes: []probe{
				{81, TCP, newTruth(all("x/a", "x/b", "y/a", "y/b", "z/a")).peer("x", "x/a", false).peer("z", "x/a", false)},
				{80, TCP, newTruth(all("x/a", "x/b", "y/a", "y/b", "z/a")).peer("x", "x/a", false).peer("z", "x/a", false)},
			},
		},
		{
			name: "allow-all policy", pods: all("x/a", "x/b", "y/a"),
			extra:  policy("x", "allow-all", `{podSelector: {}, ingress: [{}]}`),
			probes: []probe{{80, TCP, newTruth(all("x/a", "x/b", "y/a"))}, {81, TCP, newTruth(all("x/a", "x/b", "y/a"))}},
		},
		{
			name: "ingress access on one named port", pods: all("x/a", "x/b", "y/a"),
			extra: policy("x", "allow-81", `{podSelector: {}, ingress: [{ports: [{port: serve-81-tcp}]}]}`),
			probes: []probe{
				{81, TCP, newTruth(all("x/a", "x/b", "y/a"))},
				{80, TCP, newTruth(all("x/a", "x/b", "y/a")).peer("", "x", false)},
			},
		},
		{
			name: "ingress access from namespace on one named port", pods: all("x/a", "x/b", "y/a", "z/a"),
			extra: policy("x", "allow-80-from-y", `{podSelector: `+podA+`, ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}}], ports: [{port: serve-80-tcp, protocol: TCP}]}]}`),
			probes: []probe{
				{80, TCP, newTruth(all("x/a", "x/b", "y/a", "z/a")).peer("x", "x/a", false).peer("z", "x/a", false)},
				{81, TCP, newTruth(all("x/a", "x/b", "y/a", "z/a")).allIngress("x/a", false)},
			},
		},
		{
			name: "egress access on one named port", pods: all("x/a", "y/a"),
			extra: policy("x", "allow-egress", `{podSelector: {}, policyTypes: [Egress], egress: [{ports: [{port: serve-80-tcp}]}]}`),
			probes: []probe{
				{80, TCP, newTruth(all("x/a", "y/a"))},
				{81, TCP, newTruth(all("x/a", "y/a")).peer("x", "", false)},
			},
		},
		{
			name: "updated policy, before: allow all", pods: all("x/a", "y/a"),
			extra:  policy("x", "allow-all-mutate-to-deny-all", `{podSelector: {}, ingress: [{}]}`),
			probes: []probe{{81, TCP, newTruth(all("x/a", "y/a"))}},
		},
		{
			name: "updated policy, after: ingress: [] denies all", pods: all("x/a", "y/a"),
			extra:  policy("x", "allow-all-mutate-to-deny-all", `{podSelector: {}, ingress: []}`),
			probes: []probe{{81, TCP, newTruth(all("x/a", "y/a")).peer("", "x", false)}},
		},
		{
			name: "ingress from updated namespace, before the label", pods: all("x/a", "y/a"),
			extra:  policy("x", "allow-client-a-via-ns-selector", `{podSelector: `+podA+`, ingress: [{from: [{namespaceSelector: {matchLabels: {ns2: updated}}}]}]}`),
			probes: tcp80(newTruth(all("x/a", "y/a")).allIngress("x/a", false)),
		},
		{
			name: "ingress from updated namespace, after the label", pods: all("x/a", "y/a"),
			extra: "apiVersion: v1\nkind: Namespace\nmetadata: {name: y, labels: {ns: y, ns2: updated}}\n---\n" +
				policy("x", "allow-client-a-via-ns-selector", `{podSelector: `+podA+`, ingress: [{from: [{namespaceSelector: {matchLabels: {ns2: updated}}}]}]}`),
			probes: tcp80(newTruth(all("x/a", "y/a")).allIngress("x/a", false).peer("y", "", true)),
		},
		{
			name: "ingress from updated pod, before the label", pods: all("x/a", "x/b"),
			extra:  policy("x", "allow-client-a-via-pod-selector", `{podSelector: `+podA+`, ingress: [{from: [{podSelector: {matchLabels: {pod: b, pod2: updated}}}]}]}`),
			probes: tcp80(newTruth(all("x/a", "x/b")).allIngress("x/a", false)),
		},
		{
			name: "ingress from updated pod, after the label", pods: all("x/a", "x/b"),
			labels: map[string]string{"x/b": "pod2: updated"},
			extra:  policy("x", "allow-client-a-via-pod-selector", `{podSelector: `+podA+`, ingress: [{from: [{podSelector: {matchLabels: {pod: b, pod2: updated}}}]}]}`),
			probes: tcp80(newTruth(all("x/a", "x/b"))),
		},
		{
			name: "deny ingress from pods on other namespaces", pods: all("x/a", "x/b", "y/a", "z/a"),
			extra:  policy("x", "deny-empty-policy", `{podSelector: {}, ingress: [{from: [{podSelector: {matchLabels: {}}}]}]}`),
			probes: tcp80(newTruth(all("x/a", "x/b", "y/a", "z/a")).peer("y", "x", false).peer("z", "x", false)),
		},
		{
			name: "deny ingress access to updated pod, before the label", pods: all("x/a", "y/a"),
			extra:  policy("x", "deny-ingress-via-label-selector", `{podSelector: {matchLabels: {target: isolated}}, policyTypes: [Ingress]}`),
			probes: tcp80(newTruth(all("x/a", "y/a"))),
		},
		{
			name: "deny ingress access to updated pod, after the label", pods: all("x/a", "y/a"),
			labels: map[string]string{"x/a": "target: isolated"},
			extra:  policy("x", "deny-ingress-via-label-selector", `{podSelector: {matchLabels: {target: isolated}}, policyTypes: [Ingress]}`),
			probes: tcp80(newTruth(all("x/a", "y/a")).allIngress("x/a", false)),
		},
		{
			name: "deny egress from pods based on PodSelector", pods: all("x/a", "x/b", "y/a"),
			extra:  policy("x", "deny-egress-pod-a", `{podSelector: `+podA+`, policyTypes: [Egress]}`),
			probes: tcp80(newTruth(all("x/a", "x/b", "y/a")).allEgress("x/a", false)),
		},
		{
			name: "deny egress from all pods in a namespace", pods: all("x/a", "x/b", "y/a"),
			extra:  policy("x", "deny-egress-ns-x", `{podSelector: {}, policyTypes: [Egress]}`),
			probes: tcp80(newTruth(all("x/a", "x/b", "y/a")).peer("x", "", false)),
		},
		{
			name: "Ingress, Egress specified together", pods: all("x/a", "x/b", "x/c", "y/a"),
			extra: policy("x", "allow-client-a-via-pod-selector", `{podSelector: `+podA+`, policyTypes: [Egress, Ingress],
  ingress: [{from: [{podSelector: `+podB+`}]}], egress: [{ports: [{port: 80}]}]}`),
			probes: []probe{
				{80, TCP, newTruth(all("x/a", "x/b", "x/c", "y/a")).allIngress("x/a", false).peer("x/b", "x/a", true)},
				{81, TCP, newTruth(all("x/a", "x/b", "x/c", "y/a")).allIngress("x/a", false).allEgress("x/a", false).peer("x/b", "x/a", true)},
			},
		},
		{
			name: "deny egress on the client side even if the server allows it", pods: all("x/a", "y/a", "y/b"),
			extra: policy("x", "allow-to-ns-y-pod-a", `{podSelector: `+podA+`, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}, podSelector: `+podA+`}]}]}`) +
				policy("y", "allow-from-xa-on-ya", `{podSelector: `+podA+`, ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: x}}, podSelector: `+podA+`}]}]}`) +
				policy("y", "allow-from-xa-on-yb", `{podSelector: `+podB+`, ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: x}}, podSelector: `+podA+`}]}]}`),
			probes: tcp80(newTruth(all("x/a", "y/a", "y/b")).peer("x/a", "", false).peer("", "y/a", false).peer("x/a", "y/a", true).peer("", "y/b", false)),
		},
		{
			name: "egress to a server in a different namespace based on PodSelector and NamespaceSelector", pods: all("x/a", "y/a", "y/b"),
			extra:  policy("x", "allow-to-ns-y-pod-a", `{podSelector: `+podA+`, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}, podSelector: `+podA+`}]}]}`),
			probes: tcp80(newTruth(all("x/a", "y/a", "y/b")).allEgress("x/a", false).peer("x/a", "y/a", true)),
		},
		{
			name: "ingress on any port of a specific protocol", pods: all("x/a", "y/a"),
			extra: policy("x", "allow-ingress-by-proto", `{podSelector: `+podA+`, ingress: [{ports: [{protocol: TCP}]}]}`),
			probes: []probe{
				{80, TCP, newTruth(all("x/a", "y/a"))},
				{80, UDP, newTruth(all("x/a", "y/a")).allIngress("x/a", false)},
			},
		},
		{
			name: "multiple ingress policies, allow-all taking precedence", pods: all("x/a", "y/a"),
			extra: policy("x", "allow-ingress-port-80", `{podSelector: {}, ingress: [{ports: [{port: 80}]}]}`) +
				policy("x", "allow-ingress", `{podSelector: {}, ingress: [{}]}`),
			probes: []probe{{81, TCP, newTruth(all("x/a", "y/a"))}},
		},
		{
			name: "multiple ingress policies, before the allow-all", pods: all("x/a", "y/a"),
			extra:  policy("x", "allow-ingress-port-80", `{podSelector: {}, ingress: [{ports: [{port: 80}]}]}`),
			probes: []probe{{81, TCP, newTruth(all("x/a", "y/a")).peer("", "x", false)}},
		},
		{
			name: "multiple egress policies, allow-all taking precedence", pods: all("x/a", "y/a"),
			extra: policy("x", "allow-egress-port-80", `{podSelector: {}, policyTypes: [Egress], egress: [{ports: [{port: 80}]}]}`) +
				policy("x", "allow-egress", `{podSelector: {}, policyTypes: [Egress], egress: [{}]}`),
			probes: []probe{{81, TCP, newTruth(all("x/a", "y/a"))}},
		},
		{
			name: "multiple egress policies, before the allow-all", pods: all("x/a", "y/a"),
			extra:  policy("x", "allow-egress-port-80", `{podSelector: {}, policyTypes: [Egress], egress: [{ports: [{port: 80}]}]}`),
			probes: []probe{{81, TCP, newTruth(all("x/a", "y/a")).peer("x", "", false)}},
		},
		{
			name: "no policies (after they are deleted)", pods: all("x/a", "y/a"),
			probes: tcp80(newTruth(all("x/a", "y/a"))),
		},
		{
			name: "ingress and egress controlled independently", pods: all("x/a", "x/b", "y/a"),
			extra: policy("x", "allow-egress-for-target", `{podSelector: `+podA+`, policyTypes: [Egress], egress: [{}]}`) +
				policy("x", "deny-ingress-via-label-selector", `{podSelector: `+podA+`, policyTypes: [Ingress]}`),
			probes: tcp80(newTruth(all("x/a", "x/b", "y/a")).allIngress("x/a", false)),
		},
		{
			name: "protocol SCTP is not TCP", pods: all("x/a", "y/a"),
			extra: policy("x", "deny-ingress", `{podSelector: {}, policyTypes: [Ingress]}`) +
				policy("x", "allow-only-sctp-ingress-on-port-81", `{podSelector: `+podA+`, ingress: [{ports: [{port: 81, protocol: SCTP}]}]}`),
			probes: []probe{
				{81, TCP, newTruth(all("x/a", "y/a")).peer("", "x", false)},
				{81, SCTP, newTruth(all("x/a", "y/a"))},
			},
		},
		{
			name: "a policy allowing SCTP isolates the pod for TCP", pods: all("x/a", "y/a"),
			extra:  policy("x", "allow-only-sctp-ingress-on-port-80", `{podSelector: `+podA+`, ingress: [{ports: [{port: 80, protocol: SCTP}]}]}`),
			probes: []probe{{81, TCP, newTruth(all("x/a", "y/a")).allIngress("x/a", false)}},
		},
		{
			name: "no TCP access when a policy specifies only UDP", pods: all("x/a", "y/a"),
			extra: policy("x", "allow-only-udp-ingress-on-port-81", `{podSelector: `+podA+`, ingress: [{ports: [{port: 81, protocol: UDP}]}]}`),
			probes: []probe{
				{81, TCP, newTruth(all("x/a", "y/a")).allIngress("x/a", false)},
				{81, UDP, newTruth(all("x/a", "y/a"))},
			},
		},
		{
			name: "NamespaceSelector with MatchLabels using the default namespace label", pods: all("x/a", "x/b", "y/a", "z/a"),
			extra:  policy("x", "allow-client-a-via-ns-selector-for-immutable-ns-label", `{podSelector: `+podA+`, ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}}]}]}`),
			probes: tcp80(newTruth(all("x/a", "x/b", "y/a", "z/a")).peer("x", "x/a", false).peer("z", "x/a", false)),
		},
		{
			name: "NamespaceSelector with MatchExpressions using the default namespace label (egress)", pods: all("x/a", "x/b", "y/a", "z/a"),
			extra:  policy("x", "allow-ns-y-match-selector-for-immutable-ns-label", `{podSelector: `+podA+`, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [y]}]}}]}]}`),
			probes: tcp80(newTruth(all("x/a", "x/b", "y/a", "z/a")).peer("x/a", "y", false)),
		},
		{
			name: "UDP: default-deny-ingress", pods: pods4,
			extra:  policy("x", "deny-all", `{podSelector: {}, policyTypes: [Ingress]}`),
			probes: []probe{{80, UDP, newTruth(pods4).peer("", "x", false)}},
		},
		{
			name: "UDP: policy based on Ports", pods: all("x/a", "x/b", "y/a", "z/a"),
			extra:  policy("x", "allow-ingress-on-port-81-ns-x", `{podSelector: `+podA+`, ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}}], ports: [{port: 81, protocol: UDP}]}]}`),
			probes: []probe{{81, UDP, newTruth(all("x/a", "x/b", "y/a", "z/a")).peer("x", "x/a", false).peer("z", "x/a", false)}},
		},
		{
			name: "UDP: only from a pod in a different namespace based on PodSelector and NamespaceSelector", pods: all("x/a", "x/b", "y/a"),
			extra:  policy("x", "allow-ns-y-pod-a", `{podSelector: `+podA+`, ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}, podSelector: `+podA+`}]}]}`),
			probes: []probe{{80, UDP, newTruth(all("x/a", "x/b", "y/a")).allIngress("x/a", false).peer("y/a", "x/a", true)}},
		},
		{
			name: "SCTP: default-deny-ingress", pods: pods4,
			extra:  policy("x", "deny-all", `{podSelector: {}, policyTypes: [Ingress]}`),
			probes: []probe{{80, SCTP, newTruth(pods4).peer("", "x", false)}},
		},
		{
			name: "SCTP: policy based on Ports", pods: all("x/a", "x/b", "y/a", "z/a"),
			extra: policy("x", "allow-ingress-on-port-81-ns-x", `{podSelector: `+podA+`, ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}}], ports: [{port: 81, protocol: SCTP}]}]}`),
			probes: []probe{
				{81, SCTP, newTruth(all("x/a", "x/b", "y/a", "z/a")).peer("x", "x/a", false).peer("z", "x/a", false)},
				{80, SCTP, newTruth(all("x/a", "x/b", "y/a", "z/a")).allIngress("x/a", false)},
			},
		},
		{
			name: "SCTP: only from a pod in a different namespace based on PodSelector and NamespaceSelector", pods: all("x/a", "x/b", "y/a"),
			extra:  policy("x", "allow-ns-y-pod-a", `{podSelector: `+podA+`, ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}, podSelector: `+podA+`}]}]}`),
			probes: []probe{{80, SCTP, newTruth(all("x/a", "x/b", "y/a")).allIngress("x/a", false).peer("y/a", "x/a", true)}},
		},
		{
			name: "endPort: a range of ports", pods: all("x/a", "y/a"),
			extra: policy("x", "allow-80-81", `{podSelector: `+podA+`, ingress: [{ports: [{port: 79, endPort: 80}]}]}`),
			probes: []probe{
				{80, TCP, newTruth(all("x/a", "y/a"))},
				{81, TCP, newTruth(all("x/a", "y/a")).allIngress("x/a", false)},
			},
		},
		{
			name: "egress: [] alone does not isolate egress (policyTypes defaulting)", pods: all("x/a", "y/a"),
			extra:  policy("x", "empty-egress", `{podSelector: {}, egress: []}`),
			probes: tcp80(newTruth(all("x/a", "y/a")).peer("", "x", false)),
		},
		{
			name: "egress rules without policyTypes isolate ingress too (policyTypes defaulting)", pods: all("x/a", "y/a"),
			extra:  policy("x", "egress-defaulted", `{podSelector: {}, egress: [{}]}`),
			probes: tcp80(newTruth(all("x/a", "y/a")).peer("", "x", false)),
		},
		{
			name: "policyTypes [Egress] ignores ingress rules", pods: all("x/a", "y/a"),
			extra:  policy("x", "egress-only", `{podSelector: {}, policyTypes: [Egress], ingress: [{from: [{podSelector: `+podB+`}]}], egress: [{}]}`),
			probes: tcp80(newTruth(all("x/a", "y/a"))),
		},
		{
			name: "ipBlock peers do not select pods by label", pods: all("x/a", "y/a"),
			extra:  policy("x", "cidr-only", `{podSelector: `+podA+`, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}]}]}`),
			probes: tcp80(newTruth(all("x/a", "y/a")).allEgress("x/a", false)),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, tc.run)
	}
}

// The e2e suite's CIDR cases put a pod's IP in an ipBlock. Manifests carry no pod IPs,
// so the model treats ipBlocks as addresses outside the cluster: the same truth holds
// for an outside address standing where the pod's IP was.
func TestE2EIPBlocks(t *testing.T) {
	server := netip.MustParsePrefix("10.1.2.3/32")
	other := netip.MustParsePrefix("10.1.9.9/32")
	cases := []struct {
		name   string
		extra  string
		allow  []netip.Prefix
		denied []netip.Prefix
	}{
		{
			name:   "egress access to server in CIDR block",
			extra:  policy("x", "allow-client-a-via-cidr-egress-rule", `{podSelector: `+podA+`, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 10.1.2.3/32}}]}]}`),
			allow:  []netip.Prefix{server},
			denied: []netip.Prefix{other},
		},
		{
			name:   "except clause while egress access to server in CIDR block",
			extra:  policy("x", "allow-client-a-via-cidr-egress-rule", `{podSelector: `+podA+`, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 10.1.0.0/16, except: [10.1.2.3/32]}}]}]}`),
			allow:  []netip.Prefix{other},
			denied: []netip.Prefix{server},
		},
		{
			name: "an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed by another policy",
			extra: policy("x", "allow-client-a-via-cidr-egress-rule", `{podSelector: `+podA+`, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 10.1.0.0/16, except: [10.1.2.3/32]}}]}]}`) +
				policy("x", "allow-client-a-to-b", `{podSelector: `+podA+`, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 10.1.2.3/32}}]}]}`),
			allow: []netip.Prefix{server, other},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := modelOf(t, e2eInput(all("x/a", "x/b", "x/c"), nil, tc.extra), Options{})
			a := podOf(t, m, "x/a")
			check := func(p netip.Prefix, want bool) {
				v, err := m.Reach(Endpoint{Workload: a}, Endpoint{Addresses: p}, SinglePort(TCP, 80))
				if err != nil {
					t.Fatal(err)
				}
				if v.Allowed() != want {
					t.Errorf("x/a -> %s: allowed %v, want %v (%s)", p, v.Allowed(), want, v.External)
				}
				to := m.Matrix().ToOutside(a.Class).Intersect(ExternalOf([]netip.Prefix{p}, SinglePort(TCP, 80)))
				if got := !to.IsEmpty(); got != want {
					t.Errorf("matrix x/a -> %s: allowed %v, want %v", p, got, want)
				}
			}
			for _, p := range tc.allow {
				check(p, true)
			}
			for _, p := range tc.denied {
				check(p, false)
			}
			// Egress is isolated: the other pods stay unreachable from x/a.
			b := podOf(t, m, "x/b")
			if v, _ := m.Reach(Endpoint{Workload: a}, Endpoint{Workload: b}, SinglePort(TCP, 80)); !v.Denied() {
				t.Errorf("x/a -> x/b allowed through an ipBlock-only egress policy")
			}
		})
	}
}
