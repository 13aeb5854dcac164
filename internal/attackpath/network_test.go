package attackpath

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/netpol"
	"github.com/palisade-k8s/palisade/internal/source"
)

const netdata = "testdata/network/"

// buildWith builds the graph of the base network input plus extra manifests.
func buildWith(t testing.TB, extra string, files ...string) *Graph {
	t.Helper()
	paths := append([]string{netdata + "base.yaml"}, files...)
	if extra != "" {
		p := filepath.Join(t.TempDir(), "extra.yaml")
		if err := os.WriteFile(p, []byte(extra), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return Build(load(t, paths...), Options{})
}

// edge returns the stored edge of a kind between two nodes (nil if none).
func edge(g *Graph, from, to string, kind EdgeKind) *Edge {
	f := g.Node(from)
	if f == nil {
		return nil
	}
	for _, e := range g.Out(f) {
		if e.To.ID == to && e.Kind == kind {
			return e
		}
	}
	return nil
}

const (
	web    = "workload:shop/Deployment/web"
	api    = "workload:shop/Deployment/api"
	db     = "workload:shop/StatefulSet/db"
	client = "workload:tools/Deployment/client"
)

func service(typ, selector, ports string, extra ...string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata:
  name: svc
  namespace: shop
spec:
  type: %s
  selector:
    app: %s
  ports:
%s
%s
`, typ, selector, ports, strings.Join(extra, "\n"))
}

const ingressToSvc = `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: shop
spec:
  rules:
    - host: shop.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: svc
                port:
                  name: web
`

const denyAll = `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny
  namespace: shop
spec:
  podSelector: {}
`

func TestExposedRoutes(t *testing.T) {
	for _, c := range []struct {
		name, input string
		files       []string
		// want are substrings of the evidence; none: no edge.
		want []string
		// fix is a substring of the edge's fix and its cost.
		fix  string
		cost int
	}{
		{name: "NodePort, named target port", input: service("NodePort", "web", "    - port: 80\n      targetPort: http\n      nodePort: 30080"),
			want: []string{"NodePort Service shop/svc port 80 (nodePort 30080) -> TCP/8080; no NetworkPolicy isolates its pods for ingress"},
			fix:  "add a NetworkPolicy in namespace shop that isolates the pods of Deployment shop/web", cost: 2},
		{name: "named target port the pods do not declare", input: service("NodePort", "web", "    - port: 80\n      targetPort: https")},
		{name: "UDP target port", input: service("NodePort", "web", "    - port: 53\n      protocol: UDP"),
			want: []string{"-> UDP/53"}},
		{name: "ClusterIP", input: service("ClusterIP", "web", "    - port: 80\n      targetPort: 8080")},
		{name: "Service selecting other pods", input: service("LoadBalancer", "nothing", "    - port: 80")},
		{name: "externalIPs", input: service("ClusterIP", "web", "    - port: 80\n      targetPort: 8080", "  externalIPs: [203.0.113.7]"),
			want: []string{"Service shop/svc externalIPs 203.0.113.7 port 80 -> TCP/8080"}},
		{name: "headless externalIPs", input: service("ClusterIP", "web", "    - port: 80\n      targetPort: 8080", "  clusterIP: None\n  externalIPs: [203.0.113.7]")},
		{name: "policy admits the target port", input: service("LoadBalancer", "web", "    - port: 443\n      targetPort: 8080"), files: []string{netdata + "policies.yaml"},
			want: []string{"LoadBalancer Service shop/svc port 443 -> TCP/8080; NetworkPolicy shop/web ingress rule 0 (spec.ingress[0]) admits"},
			fix:  "narrow NetworkPolicy shop/web ingress rule 0 (spec.ingress[0])", cost: 2},
		{name: "policy admits another port only", input: service("LoadBalancer", "web", "    - port: 9090\n      targetPort: metrics"), files: []string{netdata + "policies.yaml"}},
		{name: "source ranges outside what the policy admits", input: service("LoadBalancer", "web", "    - port: 80\n      targetPort: 8080", "  loadBalancerSourceRanges: [10.0.0.0/8]") + `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: office
  namespace: shop
spec:
  podSelector: {}
  ingress:
    - from:
        - ipBlock:
            cidr: 192.168.0.0/16
`},
		{name: "source ranges the policy admits", input: service("LoadBalancer", "web", "    - port: 80\n      targetPort: 8080", "  loadBalancerSourceRanges: [192.168.1.0/24]") + `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: office
  namespace: shop
spec:
  podSelector: {}
  ingress:
    - from:
        - ipBlock:
            cidr: 192.168.0.0/16
`, want: []string{"(source ranges 192.168.1.0/24) -> TCP/8080; NetworkPolicy shop/office ingress rule 0 (spec.ingress[0]) admits 192.168.1.0/24"}},
		{name: "Ingress by port name, no policy", input: service("ClusterIP", "web", "    - name: web\n      port: 80\n      targetPort: http") + ingressToSvc,
			want: []string{"Ingress shop/shop (host shop.example.com, path /) -> Service shop/svc port 80 (web) -> TCP/8080; no NetworkPolicy"}},
		{name: "Ingress to a port the Service lacks", input: service("ClusterIP", "web", "    - name: other\n      port: 80\n      targetPort: http") + ingressToSvc},
		{name: "Ingress, controller's namespace admitted", input: service("ClusterIP", "web", "    - name: web\n      port: 80\n      targetPort: http") + ingressToSvc + `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: from-ingress
  namespace: shop
spec:
  podSelector: {}
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: ingress-nginx
`, want: []string{"NetworkPolicy shop/from-ingress ingress rule 0 (spec.ingress[0]) admits from[0]"}},
		{name: "Ingress, only the namespace's own pods admitted", input: service("ClusterIP", "web", "    - name: web\n      port: 80\n      targetPort: http") + ingressToSvc + `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: same-namespace
  namespace: shop
spec:
  podSelector: {}
  ingress:
    - from:
        - podSelector: {}
`},
		{name: "two routes, one change cuts both", input: service("NodePort", "web", "    - name: web\n      port: 80\n      targetPort: http") + ingressToSvc,
			want: []string{"NodePort Service", "Ingress shop/shop"}, fix: "add a NetworkPolicy", cost: 2},
		{name: "host port", input: hostPortPod(false, ""),
			want: []string{"host port 8443/TCP (container proxy) -> TCP/443; no NetworkPolicy"}, fix: "remove hostPort 8443 from container proxy", cost: 1},
		{name: "host port, policy denies", input: hostPortPod(false, "") + denyAll},
		{name: "host network, policy denies", input: hostPortPod(true, "") + denyAll,
			want: []string{"hostNetwork: the pods listen on the node's addresses"}, fix: "remove hostNetwork: true", cost: 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := buildWith(t, c.input, c.files...)
			target := web
			if strings.Contains(c.input, "name: proxy") {
				target = "workload:shop/DaemonSet/proxy"
			}
			e := edge(g, Internet, target, EdgeExposed)
			if len(c.want) == 0 {
				if e != nil {
					t.Fatalf("edge internet -> %s: %q, want none", target, e.Evidence)
				}
				return
			}
			if e == nil {
				t.Fatalf("no edge internet -> %s", target)
			}
			ev := strings.Join(e.Evidence, "\n")
			for _, w := range c.want {
				if !strings.Contains(ev, w) {
					t.Errorf("evidence:\n%s\nwant %q", ev, w)
				}
			}
			if c.fix != "" {
				if e.Fix == nil || !strings.Contains(e.Fix.Change, c.fix) || e.Fix.Cost != c.cost {
					t.Errorf("fix = %+v, want %q cost %d", e.Fix, c.fix, c.cost)
				}
			}
			if e.Fix == nil {
				t.Errorf("exposed edge without a fix")
			} else if e.Fix.Cost == 1 && (e.Fix.Path == "" || e.Fix.Location == nil || e.Fix.Location.Line == 0) {
				t.Errorf("fix of a field without its path and line: %+v", e.Fix)
			}
		})
	}
}

func hostPortPod(hostNetwork bool, _ string) string {
	return fmt.Sprintf(`---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: proxy
  namespace: shop
spec:
  selector:
    matchLabels:
      app: proxy
  template:
    metadata:
      labels:
        app: proxy
    spec:
      hostNetwork: %v
      containers:
        - name: proxy
          image: registry.example.com/shop/proxy:1
          ports:
            - containerPort: 443
              hostPort: 8443
`, hostNetwork)
}

// TestExposedFixLocation: a fix names the object and the field to change, at its
// line.
func TestExposedFixLocation(t *testing.T) {
	g := buildWith(t, "", netdata+"policies.yaml", netdata+"exposed.yaml")
	e := edge(g, Internet, web, EdgeExposed)
	if e == nil || e.Fix == nil {
		t.Fatalf("edge = %+v", e)
	}
	f := e.Fix
	if f.Object == nil || f.Object.Kind != "NetworkPolicy" || f.Object.Name != "web" || f.Path != "spec.ingress[0]" || f.Location == nil || f.Location.Line == 0 {
		t.Errorf("fix = %+v (object %+v, location %+v)", f, f.Object, f.Location)
	}
}

func TestPodEntry(t *testing.T) {
	g := buildWith(t, "")
	for _, id := range []string{web, api, db, client} {
		e := edge(g, AnyPod, id, EdgeNetwork)
		if e == nil || !strings.Contains(strings.Join(e.Evidence, "\n"), "no NetworkPolicy isolates its pods for ingress") {
			t.Errorf("no policies: pod -> %s = %+v", id, e)
		}
	}
	g = buildWith(t, "", netdata+"policies.yaml")
	e := edge(g, AnyPod, web, EdgeNetwork)
	if e == nil {
		t.Fatal("pod -> web: no edge (rule 1 admits namespace tools)")
	}
	if ev := strings.Join(e.Evidence, "\n"); !strings.Contains(ev, "NetworkPolicy shop/web ingress rule 1 (spec.ingress[1]) admits from[0] pods of namespace tools on all ports") ||
		strings.Contains(ev, "rule 0") {
		t.Errorf("evidence: %s", ev)
	}
	if e.Fix == nil || e.Fix.Path != "spec.ingress[1]" || e.Fix.Object == nil || e.Fix.Object.Name != "web" {
		t.Errorf("fix = %+v", e.Fix)
	}
	for _, id := range []string{api, db} {
		if e := edge(g, AnyPod, id, EdgeNetwork); e != nil {
			t.Errorf("pod -> %s: %q, want none (only pods of shop admitted)", id, e.Evidence)
		}
	}
	if e := edge(g, AnyPod, client, EdgeNetwork); e == nil {
		t.Errorf("pod -> client: no edge (not isolated)")
	}
}

// TestLateralAgreesWithReach: a lateral edge exists exactly when netpol reach
// allows some port, and its evidence names the rules Reach names.
func TestLateralAgreesWithReach(t *testing.T) {
	for _, files := range [][]string{nil, {netdata + "policies.yaml"}} {
		inv := load(t, append([]string{netdata + "base.yaml"}, files...)...)
		g := Build(inv, Options{})
		m := inventory.Get(inv, netpol.Index)
		if g.Lateral == nil {
			t.Fatal("no lateral edges")
		}
		pairs := 0
		for _, a := range g.Workloads() {
			out := map[string]*Edge{}
			for _, e := range g.Out(a) {
				if e.Kind == EdgeNetwork && e.To.Kind == KindWorkload {
					out[e.To.ID] = e
				}
			}
			for _, b := range g.Workloads() {
				if a == b {
					continue
				}
				wa := m.Workload(a.Object.Namespace, a.Object.Kind, a.Object.Name)
				wb := m.Workload(b.Object.Namespace, b.Object.Kind, b.Object.Name)
				v, err := m.Reach(netpol.Endpoint{Workload: wa}, netpol.Endpoint{Workload: wb}, netpol.AllPorts())
				if err != nil {
					t.Fatal(err)
				}
				e := out[b.ID]
				if (e != nil) != !v.Denied() {
					t.Errorf("%v: %s -> %s: edge %v, reach %s", files, a.ID, b.ID, e != nil, v.Status())
				}
				if e != nil {
					pairs++
					ep := &Path{Edges: []*Edge{e}}
					g.Explain(ep)
					e = ep.Edges[0]
					if len(e.Evidence) == 0 || !strings.Contains(e.Evidence[0], "on "+v.Ports.String()) {
						t.Errorf("%s -> %s evidence %q, want the ports %s", a.ID, b.ID, e.Evidence, v.Ports)
					}
				}
			}
		}
		if pairs == 0 {
			t.Errorf("%v: no lateral edge at all", files)
		}
	}
}

func TestLateralPath(t *testing.T) {
	g := buildWith(t, "", netdata+"policies.yaml", netdata+"exposed.yaml")
	paths, err := g.Paths(Query{From: []string{Internet}, To: []string{db}})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 1 {
		t.Fatalf("paths = %d, want 1", len(paths))
	}
	p := paths[0]
	if got := p.Text(); got != "the internet -> Deployment shop/web -> Deployment shop/api -> StatefulSet shop/db" {
		t.Errorf("path = %s", got)
	}
	g.Explain(p)
	last := p.Edges[2]
	ev := strings.Join(last.Evidence, "\n")
	for _, w := range []string{
		"Deployment shop/api reaches StatefulSet shop/db on TCP/5432",
		"egress of shop/Deployment/api: no NetworkPolicy isolates its pods for egress",
		"NetworkPolicy shop/db ingress rule 0 (spec.ingress[0]) allows from[0] pods of the policy's namespace with labels {app=api} on TCP/5432",
	} {
		if !strings.Contains(ev, w) {
			t.Errorf("evidence:\n%s\nwant %q", ev, w)
		}
	}
	if last.Fix == nil || last.Fix.Object == nil || last.Fix.Object.Name != "db" || last.Fix.Path != "spec.ingress[0]" {
		t.Errorf("fix = %+v", last.Fix)
	}
	if p.Fix == nil || p.Fix.Cost != 2 || p.Fix.Object == nil || p.Fix.Path == "" {
		t.Errorf("path fix = %+v", p.Fix)
	}
	// web is admitted on 8080 from the internet, but the db only from api: no path
	// from the internet straight to it.
	if e := edge(g, Internet, db, EdgeExposed); e != nil {
		t.Errorf("internet -> db: %q", e.Evidence)
	}
}

// BenchmarkNetwork builds the network part of the graph of a generated cluster
// (Services, Ingresses, policies) and walks every lateral edge once.
func BenchmarkNetwork(b *testing.B) {
	var sb strings.Builder
	for ns := 0; ns < 20; ns++ {
		fmt.Fprintf(&sb, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns%d\n  labels:\n    tier: t%d\n---\n", ns, ns%3)
		fmt.Fprintf(&sb, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: ns%d\nspec:\n  podSelector:\n    matchLabels:\n      role: r0\n  ingress:\n    - from:\n        - namespaceSelector:\n            matchLabels:\n              tier: t1\n      ports:\n        - port: http\n---\n", ns)
		for w := 0; w < 25; w++ {
			fmt.Fprintf(&sb, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w%d\n  namespace: ns%d\nspec:\n  selector:\n    matchLabels:\n      app: w%d\n  template:\n    metadata:\n      labels:\n        app: w%d\n        role: r%d\n    spec:\n      containers:\n        - name: c\n          image: x\n          ports:\n            - name: http\n              containerPort: 8080\n---\n", w, ns, w, w, w%4)
			if w%5 == 0 {
				fmt.Fprintf(&sb, "apiVersion: v1\nkind: Service\nmetadata:\n  name: w%d\n  namespace: ns%d\nspec:\n  type: NodePort\n  selector:\n    app: w%d\n  ports:\n    - port: 80\n      targetPort: http\n---\n", w, ns, w)
			}
		}
	}
	p := filepath.Join(b.TempDir(), "cluster.yaml")
	if err := os.WriteFile(p, []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	inv := load(b, p)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g := Build(inv, Options{})
		n := 0
		for _, w := range g.Workloads() {
			n += len(g.Out(w))
		}
		if n == 0 {
			b.Fatal("no edges")
		}
	}
}

// TestOutUnseen: the same edges as Out, less those to seen nodes.
func TestOutUnseen(t *testing.T) {
	g := buildWith(t, "", netdata+"policies.yaml", netdata+"exposed.yaml")
	for _, n := range g.Nodes {
		seen := map[*Node]bool{}
		var want []string
		for i, e := range g.Out(n) {
			if i%2 == 0 {
				seen[e.To] = true
			} else {
				want = append(want, string(e.Kind)+">"+e.To.ID)
			}
		}
		var got []string
		for _, e := range g.OutUnseen(n, func(x *Node) bool { return seen[x] }) {
			if e.From != n {
				t.Errorf("%s: edge from %s", n.ID, e.From.ID)
			}
			got = append(got, string(e.Kind)+">"+e.To.ID)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: OutUnseen = %v, want %v", n.ID, got, want)
		}
	}
}

// BenchmarkLateralOpen: a search over an open cluster of workloads that all talk
// to each other (no policies, every workload its own class).
func BenchmarkLateralOpen(b *testing.B) {
	var sb strings.Builder
	for w := 0; w < 2000; w++ {
		fmt.Fprintf(&sb, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p%d\n  namespace: ns%d\n  labels:\n    app: p%d\nspec:\n  containers:\n    - name: c\n      image: x\n---\n", w, w%10, w)
	}
	p := filepath.Join(b.TempDir(), "cluster.yaml")
	if err := os.WriteFile(p, []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	g := Build(load(b, p), Options{})
	start := g.Workloads()[0]
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		seen := map[*Node]bool{start: true}
		queue := []*Node{start}
		for len(queue) > 0 {
			n := queue[0]
			queue = queue[1:]
			for _, e := range g.OutUnseen(n, func(x *Node) bool { return seen[x] }) {
				seen[e.To] = true
				queue = append(queue, e.To)
			}
		}
		workloads := 0
		for n := range seen {
			if n.Kind == KindWorkload {
				workloads++
			}
		}
		if workloads != 2000 {
			b.Fatalf("reached %d workloads", workloads)
		}
	}
}

// TestHostPortField: with the workload's body kept, the host port's fix names its
// field and line; without it, the recorded facts still give the route.
func TestHostPortField(t *testing.T) {
	p := filepath.Join(t.TempDir(), "proxy.yaml")
	if err := os.WriteFile(p, []byte(hostPortPod(false, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := (&source.Files{Paths: []string{p}}).Read(context.Background(), source.Needs{Kinds: append(indexKinds(), "DaemonSet"), PodFacts: true})
	if err != nil {
		t.Fatal(err)
	}
	g := Build(res.Inventory, Options{})
	e := edge(g, Internet, "workload:shop/DaemonSet/proxy", EdgeExposed)
	if e == nil || e.Fix == nil {
		t.Fatalf("edge = %+v", e)
	}
	if e.Fix.Path != "spec.template.spec.containers[0].ports[0].hostPort" || e.Fix.Location == nil || e.Fix.Location.Line != 22 || e.Fix.Cost != 1 {
		t.Errorf("fix = %+v at %+v", e.Fix, e.Fix.Location)
	}
	if !strings.Contains(strings.Join(e.Evidence, "\n"), "host port 8443/TCP (container proxy) -> TCP/443") {
		t.Errorf("evidence = %q", e.Evidence)
	}
}

func FuzzIngressBackends(f *testing.F) {
	for _, s := range []string{
		`{"spec":{"defaultBackend":{"service":{"name":"a","port":{"number":80}}}}}`,
		`{"spec":{"backend":{"serviceName":"a","servicePort":"http"}}}`,
		`{"spec":{"rules":[{"host":"x","http":{"paths":[{"path":"/","backend":{"service":{"name":"b","port":{"name":"web"}}}}]}}]}}`,
		`{"spec":{"rules":[null,{"http":{"paths":[1,{"backend":{"serviceName":"c","servicePort":8080}}]}}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var body map[string]any
		if json.Unmarshal(data, &body) != nil {
			return
		}
		o := &inventory.Object{Body: body}
		for _, r := range ingressBackends(o) {
			if r.service == "" || (r.portNum <= 0 && r.portName == "") || !strings.HasPrefix(r.path, "spec.") {
				t.Fatalf("backend %+v", r)
			}
		}
	})
}

// TestNetworkCorpus builds the network edges of the real-world corpus (charts and
// install bundles): every internet edge has evidence and a fix, one admitted from
// outside addresses only is one netpol's matrix admits from outside, and the
// lateral edges of a sample of workloads agree with netpol reach.
func TestNetworkCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("shared corpus not available")
	}
	if testing.Short() {
		t.Skip("corpus skipped in -short mode")
	}
	res, err := (&source.Files{Paths: []string{dir}}).Read(context.Background(), source.Needs{Kinds: indexKinds(), PodFacts: true})
	if err != nil {
		t.Fatal(err)
	}
	inv := res.Inventory
	g := Build(inv, Options{})
	m := inventory.Get(inv, netpol.Index)
	x := m.Matrix()
	exposed, pods := 0, 0
	for _, n := range g.Workloads() {
		w := m.Workload(n.Object.Namespace, n.Object.Kind, n.Object.Name)
		if e := edge(g, Internet, n.ID, EdgeExposed); e != nil {
			exposed++
			if len(e.Evidence) == 0 || e.Fix == nil || e.Fix.Change == "" || e.Fix.Cost < 1 {
				t.Errorf("%s: evidence %q, fix %+v", n.ID, e.Evidence, e.Fix)
			}
			ev := strings.Join(e.Evidence, "\n")
			if !strings.Contains(ev, "hostNetwork") && !strings.Contains(ev, "Ingress ") && x.FromOutside(w.Class).IsEmpty() {
				t.Errorf("%s: exposed (%s), but nothing outside the cluster is admitted", n.ID, ev)
			}
			routes := g.Routes(n)
			if len(routes) != len(e.Evidence) {
				t.Errorf("%s: %d routes, %d evidence lines", n.ID, len(routes), len(e.Evidence))
			}
			for _, r := range routes {
				if r.FromPods || r.HostNetwork {
					continue
				}
				allowed := false
				for _, a := range r.Addresses {
					v, err := m.Reach(netpol.Endpoint{Addresses: a}, netpol.Endpoint{Workload: w}, r.Ports)
					if err != nil {
						t.Fatal(err)
					}
					allowed = allowed || !v.Denied()
				}
				if !allowed {
					t.Errorf("%s: route %s admitted, reach denies", n.ID, r.Text)
				}
			}
		}
		if e := edge(g, AnyPod, n.ID, EdgeNetwork); e != nil {
			pods++
			if len(e.Evidence) == 0 || e.Fix == nil {
				t.Errorf("%s: pod edge evidence %q, fix %+v", n.ID, e.Evidence, e.Fix)
			}
		}
	}
	if exposed == 0 || pods == 0 {
		t.Errorf("%d exposed workloads, %d admitting other namespaces", exposed, pods)
	}
	checked := 0
	for i, a := range g.Workloads() {
		if i%37 != 0 {
			continue
		}
		wa := m.Workload(a.Object.Namespace, a.Object.Kind, a.Object.Name)
		for j, e := range g.Out(a) {
			if e.Kind != EdgeNetwork || j%11 != 0 {
				continue
			}
			wb := m.Workload(e.To.Object.Namespace, e.To.Object.Kind, e.To.Object.Name)
			v, err := m.Reach(netpol.Endpoint{Workload: wa}, netpol.Endpoint{Workload: wb}, netpol.AllPorts())
			if err != nil {
				t.Fatal(err)
			}
			if v.Denied() {
				t.Errorf("%s -> %s: lateral edge, reach denies", a.ID, e.To.ID)
			}
			ep := &Path{Edges: []*Edge{e}}
			g.Explain(ep)
			e = ep.Edges[0]
			if len(e.Evidence) < 2 || e.Fix == nil {
				t.Errorf("%s -> %s: evidence %q, fix %+v", a.ID, e.To.ID, e.Evidence, e.Fix)
			}
			checked++
		}
	}
	t.Logf("%d workloads: %d exposed to the internet, %d admitting other namespaces; %d lateral edges checked", len(g.Workloads()), exposed, pods, checked)
}

// TestHostPortFacts: without the workload's body (a scan drops it once its facts
// are recorded), the host port's route and field come from the facts and the line
// table.
func TestHostPortFacts(t *testing.T) {
	for _, named := range []bool{false, true} {
		input := hostPortPod(false, "")
		if named {
			input = strings.Replace(input, "- containerPort: 443", "- name: tls\n              containerPort: 443", 1)
			input = strings.Replace(input, "          ports:\n", "          ports:\n            - name: other\n              containerPort: 80\n", 1)
		}
		p := filepath.Join(t.TempDir(), "proxy.yaml")
		if err := os.WriteFile(p, []byte(input), 0o600); err != nil {
			t.Fatal(err)
		}
		inv := load(t, p)
		for _, o := range inv.Objects {
			if o.Ref.Kind == "DaemonSet" {
				o.Body = nil
			}
		}
		g := Build(inv, Options{})
		e := edge(g, Internet, "workload:shop/DaemonSet/proxy", EdgeExposed)
		if e == nil || e.Fix == nil {
			t.Fatalf("named %v: edge = %+v", named, e)
		}
		want := "spec.template.spec.containers[0].ports[0].hostPort"
		if named {
			want = "spec.template.spec.containers[0].ports[1].hostPort"
		}
		if e.Fix.Path != want || e.Fix.Location == nil || e.Fix.Location.Line == 0 {
			t.Errorf("named %v: fix = %+v, want path %s", named, e.Fix, want)
		}
		if ev := strings.Join(e.Evidence, "\n"); !strings.Contains(ev, "host port 8443/TCP (container proxy) -> TCP/443;") {
			t.Errorf("named %v: evidence %q", named, ev)
		}
	}
}

// TestRoutesAgreeWithReach: each admitted route from outside addresses is one
// netpol reach allows (from those addresses, on its ports).
func TestRoutesAgreeWithReach(t *testing.T) {
	inv := load(t, netdata+"base.yaml", netdata+"policies.yaml", netdata+"exposed.yaml")
	g := Build(inv, Options{})
	m := inventory.Get(inv, netpol.Index)
	n := 0
	for _, w := range g.Workloads() {
		for _, r := range g.Routes(w) {
			if r.FromPods || r.HostNetwork {
				continue
			}
			nw := m.Workload(w.Object.Namespace, w.Object.Kind, w.Object.Name)
			allowed := false
			for _, a := range r.Addresses {
				v, err := m.Reach(netpol.Endpoint{Addresses: a}, netpol.Endpoint{Workload: nw}, r.Ports)
				if err != nil {
					t.Fatal(err)
				}
				allowed = allowed || !v.Denied()
			}
			if !allowed {
				t.Errorf("%s: route %s (%s) admitted, reach from %v denies", w.ID, r.Text, r.Admission, r.Addresses)
			}
			n++
		}
	}
	if n == 0 {
		t.Error("no route checked")
	}
}

// TestLateralConcurrent: rules query one graph at once (run with -race).
func TestLateralConcurrent(t *testing.T) {
	g := buildWith(t, "", netdata+"policies.yaml", netdata+"exposed.yaml")
	done := make(chan []string)
	for i := 0; i < 4; i++ {
		go func() {
			var out []string
			paths, err := g.Paths(Query{From: []string{Internet, AnyPod}, To: []string{db, api}})
			if err != nil {
				t.Error(err)
			}
			for _, p := range paths {
				g.Explain(p)
				ev := p.Evidence()
				out = append(out, fmt.Sprint(p.Text(), ev.Hops[len(ev.Hops)-1].Evidence, ev.Fix.Change))
			}
			done <- out
		}()
	}
	first := <-done
	if len(first) == 0 {
		t.Fatal("no paths")
	}
	for i := 1; i < 4; i++ {
		if got := <-done; strings.Join(got, "\n") != strings.Join(first, "\n") {
			t.Errorf("run %d:\n%s\nwant\n%s", i, strings.Join(got, "\n"), strings.Join(first, "\n"))
		}
	}
}
