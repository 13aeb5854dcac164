package attackpath

// Network edges.
//
// internet -> workload (exposed): each way traffic from outside the cluster network
// is routed to the pods (a route) names the ports it targets on them, resolved as
// kube-proxy and the Ingress controller do: a NodePort or LoadBalancer Service port
// or one on externalIPs, its targetPort (a number, a name resolved on the pods'
// declared ports, or the port itself); an Ingress backend's Service port (by number
// or name) and that port's target; a container's hostPort (to its containerPort);
// the host network (every port the pods open). A route counts when the pods'
// ingress admits its traffic on one of those ports: addresses outside the cluster
// (Matrix.FromOutside, rule by rule) for Services and host ports; for an Ingress the
// controller's pods, which run in another namespace (pods of another namespace
// admitted, as for the pod entry, or a namespaceSelector that does not match the
// pods' own namespace: the controller's, which the input may not have). Most network
// plugins do not apply NetworkPolicies to host-network pods, so the host network is
// a route whatever the policies say. Each admitted route is one line of evidence,
// with the rule that admits it.
//
// pod -> workload (network): the pods admit pods of another namespace, on some
// port: no NetworkPolicy isolates them for ingress, or a rule of one that does
// has no peers, an empty namespaceSelector, or one that matches another namespace
// of the input (exposure's "cluster" level; an ipBlock admits addresses outside the
// cluster, not pods, as the netpol model has it).
//
// workload -> workload (network): lateral, from the NetworkPolicy matrix (computed
// once, on the first search that leaves a workload), row by row (see lateral); the
// rules on each side (Model.Reach) are the evidence, filled in for the edges of
// reported paths only (Graph.Explain, to call before Path.Evidence). A search that
// uses Graph.OutUnseen instead of Graph.Out makes a lateral edge only for the
// workloads it has not reached yet.
//
// Fixes: a field (hostNetwork, a hostPort: cost 1), a NetworkPolicy (the one rule
// that admits the traffic, or one to add that isolates the pods: cost 2), the
// Service's type or externalIPs or the Ingress backend (cost 3); when no single
// change removes every route of an edge, the cheapest of each, together.
// Graph.Routes lists the routes behind an internet edge.

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/netpol"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// Fix costs (finding.PathFix.Cost).
const (
	costField   = 1
	costPolicy  = 2
	costService = 3
)

func (b *builder) network() {
	internet := b.g.Add(Node{ID: Internet, Kind: KindInternet, Label: "the internet"})
	pod := b.g.Add(Node{ID: AnyPod, Kind: KindPod, Label: "a pod in another namespace"})
	nb := &netBuilder{b: b, finder: b.opts.Finder, svcs: map[string][]*svcInfo{}, ingresses: map[string][]*ingressRoute{}}
	if nb.finder == nil {
		nb.finder = workload.NewFinder(nil)
	}
	nb.load()
	lat := &lateral{model: b.net, nodes: map[*Node]*netpol.Workload{}, classNodes: make([][]*Node, len(b.net.Classes))}
	for _, w := range b.net.Workloads {
		if w.Overridden || w.Class == nil {
			continue
		}
		n := b.g.Node(WorkloadID(w.Ref))
		if n == nil {
			continue
		}
		lat.nodes[n] = w
		lat.classNodes[w.Class.ID] = append(lat.classNodes[w.Class.ID], n)
	}
	for _, n := range b.g.Workloads() {
		w := lat.nodes[n]
		if w == nil {
			continue
		}
		if ev, fix, ok := nb.exposed(n, w, lat); ok {
			b.g.Connect(Edge{From: internet, To: n, Kind: EdgeExposed, Analyzer: ByExposure, Evidence: ev, Fix: fix})
		}
		if ev, fix, ok := nb.fromOtherNamespaces(n, w.Class); ok {
			b.g.Connect(Edge{From: pod, To: n, Kind: EdgeNetwork, Analyzer: ByNetpol, Evidence: ev, Fix: fix})
		}
	}
	if len(lat.nodes) > 0 {
		b.g.Lateral = lat
	}
}

// netBuilder holds the routes of the input.
type netBuilder struct {
	b      *builder
	finder *workload.Finder
	// svcs are the Services that select pods, by namespace.
	svcs map[string][]*svcInfo
	// ingresses are the Ingress backends, by namespace.
	ingresses map[string][]*ingressRoute
}

// svcInfo is a Service that selects pods.
type svcInfo struct {
	obj      *inventory.Object
	name     string // ns/name
	selector labels.Selector
	spec     corev1.ServiceSpec
}

// ingressRoute is one backend of an Ingress: a Service port by number or name.
type ingressRoute struct {
	obj      *inventory.Object
	path     string // field path of the backend
	where    string // "host example.com, path /api"
	service  string
	portNum  int
	portName string
}

func (nb *netBuilder) load() {
	last := map[finding.ObjectRef]*inventory.Object{}
	var order []finding.ObjectRef
	for _, o := range nb.b.inv.Objects {
		if (o.Ref.Kind == "Service" && o.Group() == "") || (o.Ref.Kind == "Ingress" && (o.Group() == "networking.k8s.io" || o.Group() == "extensions")) {
			key := finding.ObjectRef{Kind: o.Ref.Kind, Namespace: o.Ref.Namespace, Name: o.Ref.Name}
			if last[key] == nil {
				order = append(order, key)
			}
			last[key] = o // the last definition is the one applied
		}
	}
	for _, key := range order {
		o := last[key]
		if o.Body == nil {
			continue
		}
		if key.Kind == "Service" {
			var svc corev1.Service
			if o.Decode(&svc) != nil || len(svc.Spec.Selector) == 0 || svc.Spec.Type == corev1.ServiceTypeExternalName {
				continue
			}
			nb.svcs[key.Namespace] = append(nb.svcs[key.Namespace], &svcInfo{obj: o, name: key.Namespace + "/" + key.Name,
				selector: labels.SelectorFromSet(svc.Spec.Selector), spec: svc.Spec})
			continue
		}
		nb.ingresses[key.Namespace] = append(nb.ingresses[key.Namespace], ingressBackends(o)...)
	}
}

// ingressBackends lists the backends of an Ingress that name a Service
// (networking.k8s.io/v1 service.name and port.number or port.name; serviceName and
// servicePort of the older versions), with their field paths.
func ingressBackends(o *inventory.Object) []*ingressRoute {
	var out []*ingressRoute
	add := func(b any, path, where string) {
		bm, _ := b.(map[string]any)
		if bm == nil {
			return
		}
		r := &ingressRoute{obj: o, path: path, where: where}
		if svc, ok := bm["service"].(map[string]any); ok {
			r.service, _ = svc["name"].(string)
			port, _ := svc["port"].(map[string]any)
			r.portNum = int(workload.IntValue(port["number"]))
			r.portName, _ = port["name"].(string)
		} else {
			r.service, _ = bm["serviceName"].(string)
			switch p := bm["servicePort"].(type) {
			case string:
				if n, err := strconv.Atoi(p); err == nil {
					r.portNum = n
				} else {
					r.portName = p
				}
			default:
				r.portNum = int(workload.IntValue(p))
			}
		}
		if r.service != "" && (r.portNum > 0 || r.portName != "") {
			out = append(out, r)
		}
	}
	spec, _ := o.Body["spec"].(map[string]any)
	add(spec["defaultBackend"], "spec.defaultBackend", "default backend")
	add(spec["backend"], "spec.backend", "default backend")
	rules, _ := spec["rules"].([]any)
	for i, r := range rules {
		rm, _ := r.(map[string]any)
		host, _ := rm["host"].(string)
		if host == "" {
			host = "*"
		}
		http, _ := rm["http"].(map[string]any)
		paths, _ := http["paths"].([]any)
		for j, p := range paths {
			pm, _ := p.(map[string]any)
			path, _ := pm["path"].(string)
			if path == "" {
				path = "/"
			}
			add(pm["backend"], fmt.Sprintf("spec.rules[%d].http.paths[%d].backend", i, j), "host "+host+", path "+path)
		}
	}
	return out
}

// route is one way traffic is routed to a workload's pods.
type route struct {
	// why describes it ("NodePort Service shop/web port 80 (nodePort 30080) -> TCP/8080").
	why string
	// ports are the ports it targets on the pods; addrs the source addresses it
	// admits (every address but for a LoadBalancer's source ranges).
	ports netpol.PortSet
	addrs []netip.Prefix
	// viaPod: the traffic comes from the Ingress controller's pods; hostNet: the
	// pods use the node's network (policies are not applied).
	viaPod, hostNet bool
	// cut removes the route.
	cut cutOption
}

// cutOption is one change that removes a route or an admission, keyed so that the
// same change seen on several routes is recognised.
type cutOption struct {
	key string
	fix finding.PathFix
}

// routes lists the routes from outside the cluster to a workload's pods.
func (nb *netBuilder) routes(n *Node, w *netpol.Workload) []route {
	c := w.Class
	var out []route
	o := nb.b.objects[w.Ref]
	if w.HostNetwork {
		out = append(out, route{why: "hostNetwork: the pods listen on the node's addresses, on every port they open (most network plugins do not apply NetworkPolicies to host-network pods)",
			hostNet: true, ports: netpol.AllPorts(),
			cut: cutOption{key: "hostNetwork", fix: finding.PathFix{Change: "remove hostNetwork: true from the pod template of " + n.Label,
				Object: n.Object, Location: fieldLocation(o, nb.podSpecPath(o)+".hostNetwork", n.Location), Path: nb.podSpecPath(o) + ".hostNetwork", Cost: costField}}})
	}
	out = append(out, nb.hostPortRoutes(n, w, o)...)
	byName := map[string]*svcInfo{}
	for _, s := range nb.svcs[w.Ref.Namespace] {
		_, name, _ := strings.Cut(s.name, "/")
		byName[name] = s
		if !s.selector.Matches(c.Labels) {
			continue
		}
		external := s.spec.Type == corev1.ServiceTypeNodePort || s.spec.Type == corev1.ServiceTypeLoadBalancer
		extIPs := len(s.spec.ExternalIPs) > 0 && s.spec.ClusterIP != corev1.ClusterIPNone // kube-proxy ignores those of headless Services
		if !external && !extIPs {
			continue
		}
		for _, p := range s.spec.Ports {
			target, ok := targetPort(c, p)
			if !ok {
				continue
			}
			if external {
				kind, addrs, detail := "NodePort", netpol.AllAddresses(), ""
				if p.NodePort != 0 {
					detail = fmt.Sprintf(" (nodePort %d)", p.NodePort)
				}
				if s.spec.Type == corev1.ServiceTypeLoadBalancer {
					kind = "LoadBalancer"
					if len(s.spec.LoadBalancerSourceRanges) > 0 {
						addrs = nil
						for _, r := range s.spec.LoadBalancerSourceRanges {
							if pfx, err := netpol.ParseCIDR(strings.TrimSpace(r)); err == nil {
								addrs = append(addrs, pfx)
							}
						}
						detail += " (source ranges " + strings.Join(s.spec.LoadBalancerSourceRanges, ", ") + ")"
					}
				}
				out = append(out, route{why: fmt.Sprintf("%s Service %s port %s%s -> %s", kind, s.name, servicePortName(p), detail, target),
					ports: target, addrs: addrs,
					cut: cutOption{key: "type:" + s.name, fix: finding.PathFix{Change: fmt.Sprintf("make Service %s of type ClusterIP (it is %s)", s.name, s.spec.Type),
						Object: objRef(s.obj), Location: fieldLocation(s.obj, "spec.type", &s.obj.Origin), Path: "spec.type", Cost: costService}}})
			}
			if extIPs {
				out = append(out, route{why: fmt.Sprintf("Service %s externalIPs %s port %s -> %s", s.name, strings.Join(s.spec.ExternalIPs, ", "), servicePortName(p), target),
					ports: target, addrs: netpol.AllAddresses(),
					cut: cutOption{key: "externalIPs:" + s.name, fix: finding.PathFix{Change: "remove spec.externalIPs from Service " + s.name,
						Object: objRef(s.obj), Location: fieldLocation(s.obj, "spec.externalIPs", &s.obj.Origin), Path: "spec.externalIPs", Cost: costService}}})
			}
		}
	}
	for _, ing := range nb.ingresses[w.Ref.Namespace] {
		s := byName[ing.service]
		if s == nil || !s.selector.Matches(c.Labels) {
			continue
		}
		for _, p := range s.spec.Ports {
			if (ing.portNum > 0 && int(p.Port) != ing.portNum) || (ing.portName != "" && p.Name != ing.portName) {
				continue
			}
			target, ok := targetPort(c, p)
			if !ok {
				continue
			}
			name := "Ingress " + ing.obj.Ref.Namespace + "/" + ing.obj.Ref.Name
			out = append(out, route{why: fmt.Sprintf("%s (%s) -> Service %s port %s -> %s", name, ing.where, s.name, servicePortName(p), target),
				ports: target, viaPod: true,
				cut: cutOption{key: "ingress:" + name + ":" + ing.path, fix: finding.PathFix{Change: fmt.Sprintf("remove the backend %s of %s (it routes to Service %s)", ing.path, name, s.name),
					Object: objRef(ing.obj), Location: fieldLocation(ing.obj, ing.path, &ing.obj.Origin), Path: ing.path, Cost: costService}}})
		}
	}
	return out
}

// targetPort resolves a Service port's targetPort on a class's pods: a number, a
// named port the pods declare (with the port's protocol), or the port itself.
func targetPort(c *netpol.Class, p corev1.ServicePort) (netpol.PortSet, bool) {
	proto, ok := netpol.ParseProtocol(string(p.Protocol))
	if !ok {
		return netpol.PortSet{}, false
	}
	switch {
	case p.TargetPort.Type == intstr.String:
		n, ok := c.Resolve(p.TargetPort.StrVal, proto)
		if !ok {
			return netpol.PortSet{}, false // the pods declare no such port: no endpoint
		}
		return netpol.SinglePort(proto, n), true
	case p.TargetPort.IntVal > 0:
		return netpol.SinglePort(proto, int(p.TargetPort.IntVal)), true
	case p.Port > 0:
		return netpol.SinglePort(proto, int(p.Port)), true
	}
	return netpol.PortSet{}, false
}

func servicePortName(p corev1.ServicePort) string {
	s := strconv.Itoa(int(p.Port))
	if p.Name != "" {
		s += " (" + p.Name + ")"
	}
	return s
}

// hostPortRoutes are the routes of the pods' host ports: from the decoded body
// when it was kept (exact field paths), else from the recorded host facts.
func (nb *netBuilder) hostPortRoutes(n *Node, w *netpol.Workload, o *inventory.Object) []route {
	c := w.Class
	var out []route
	mk := func(container string, hostPort int, proto netpol.Protocol, target netpol.PortSet, path string) route {
		loc := n.Location
		if path != "" {
			loc = fieldLocation(o, path, n.Location)
		}
		return route{why: fmt.Sprintf("host port %d/%s (container %s) -> %s", hostPort, proto, container, target),
			ports: target, addrs: netpol.AllAddresses(),
			cut: cutOption{key: fmt.Sprintf("hostPort:%s:%d/%s", container, hostPort, proto), fix: finding.PathFix{
				Change: fmt.Sprintf("remove hostPort %d from container %s of %s", hostPort, container, n.Label),
				Object: n.Object, Location: loc, Path: path, Cost: costField}}}
	}
	if spec := nb.podSpec(o); spec != nil {
		base := nb.podSpecPath(o)
		for _, list := range []string{"initContainers", "containers"} {
			cs, _ := spec[list].([]any)
			for i, ci := range cs {
				cm, _ := ci.(map[string]any)
				name, _ := cm["name"].(string)
				ports, _ := cm["ports"].([]any)
				for j, pi := range ports {
					pm, _ := pi.(map[string]any)
					hp, cp := int(workload.IntValue(pm["hostPort"])), int(workload.IntValue(pm["containerPort"]))
					ps, _ := pm["protocol"].(string)
					proto, ok := netpol.ParseProtocol(ps)
					if hp < 1 || hp > 65535 || cp < 1 || cp > 65535 || !ok {
						continue
					}
					out = append(out, mk(name, hp, proto, netpol.SinglePort(proto, cp), fmt.Sprintf("%s.%s[%d].ports[%d].hostPort", base, list, i, j)))
				}
			}
		}
		return out
	}
	var h *workload.PodHost
	if o != nil {
		h, _ = workload.PodHostFact.Of(o)
	}
	if h == nil {
		return nil
	}
	paths := nb.hostPortPaths(o)
	k := -1
	for _, ch := range h.Containers {
		for _, hp := range ch.HostPorts {
			k++
			proto, ok := netpol.ParseProtocol(hp.Protocol)
			if !ok {
				continue
			}
			// The container port is one the pods declare: the named one, else any
			// unnamed one of the protocol (the body, which says which, was not kept).
			var target netpol.PortSet
			for _, p := range c.Ports {
				if p.Protocol == proto && p.Name == hp.Name {
					target = target.Union(netpol.SinglePort(proto, p.Port))
				}
			}
			if target.IsEmpty() {
				target = netpol.SinglePort(proto, int(hp.Port))
			}
			path := ""
			if len(paths) == countHostPorts(h) {
				path = paths[k]
			}
			out = append(out, mk(ch.Name, int(hp.Port), proto, target, path))
		}
	}
	return out
}

// hostPortPaths lists the field paths of the hostPorts a workload declares, in
// container order, from its line table (kept when its body is not): the same order
// as the recorded host facts list them.
func (nb *netBuilder) hostPortPaths(o *inventory.Object) []string {
	if o == nil || o.Lines == nil {
		return nil
	}
	has := func(path string, child string) bool {
		if _, ok := o.Lines.Line(path); ok {
			return true
		}
		_, ok := o.Lines.Line(path + "." + child)
		return ok
	}
	base := nb.podSpecPath(o)
	var out []string
	for _, list := range []string{"initContainers", "containers"} {
		for i := 0; has(fmt.Sprintf("%s.%s[%d]", base, list, i), "name"); i++ {
			for j := 0; ; j++ {
				port := fmt.Sprintf("%s.%s[%d].ports[%d]", base, list, i, j)
				if !has(port, "containerPort") {
					break
				}
				if _, ok := o.Lines.Line(port + ".hostPort"); ok {
					out = append(out, port+".hostPort")
				}
			}
		}
	}
	return out
}

func countHostPorts(h *workload.PodHost) int {
	n := 0
	for _, c := range h.Containers {
		n += len(c.HostPorts)
	}
	return n
}

// podSpec is the decoded PodSpec of a workload whose body was kept (nil otherwise).
func (nb *netBuilder) podSpec(o *inventory.Object) map[string]any {
	if o == nil || o.Body == nil {
		return nil
	}
	var cur any = o.Body
	for _, k := range strings.Split(nb.podSpecPath(o), ".") {
		m, _ := cur.(map[string]any)
		cur = m[k]
	}
	spec, _ := cur.(map[string]any)
	return spec
}

// podSpecPath is the field path of a workload's PodSpec ("spec.template.spec").
func (nb *netBuilder) podSpecPath(o *inventory.Object) string {
	if o == nil {
		return "spec.template.spec"
	}
	tp, ok := nb.finder.Lookup(o.Ref.APIVersion, o.Ref.Kind)
	if !ok {
		return "spec.template.spec"
	}
	if tp.PodSpec {
		return tp.Path
	}
	return tp.Path + ".spec"
}

// admission is what admits a route's traffic at the pods, with the changes that
// would stop it.
type admission struct {
	why  string
	cuts []cutOption
}

// admit says whether the pods admit a route's traffic, and by which rule.
func (nb *netBuilder) admit(n *Node, c *netpol.Class, r route) (admission, bool) {
	if r.hostNet {
		return admission{why: "no NetworkPolicy applies"}, true
	}
	isolating := c.Isolating[netpol.Ingress]
	if len(isolating) == 0 {
		return admission{why: "no NetworkPolicy isolates its pods for ingress", cuts: []cutOption{isolateCut(n)}}, true
	}
	var why []string
	var rules []*netpol.Rule
	addrs := netpol.ExternalOf(r.addrs, r.ports)
	for _, p := range isolating {
		for _, rule := range p.Rules[netpol.Ingress] {
			if r.viaPod {
				ports := rule.PortsFor(c).Intersect(r.ports)
				if ports.IsEmpty() {
					continue
				}
				if peers := nb.controllerPeers(rule, c); peers != "" {
					why = append(why, fmt.Sprintf("%s (%s) admits %s on %s", rule, rule.Path(), peers, ports))
					rules = append(rules, rule)
				}
				continue
			}
			if ext := rule.ExternalFor(c).Intersect(addrs); !ext.IsEmpty() {
				why = append(why, fmt.Sprintf("%s (%s) admits %s", rule, rule.Path(), ext))
				rules = append(rules, rule)
			}
		}
	}
	if len(rules) == 0 {
		return admission{}, false
	}
	a := admission{why: strings.Join(why, "; ")}
	if len(rules) == 1 {
		a.cuts = append(a.cuts, ruleCut(rules[0], "so that it no longer admits this traffic"))
	}
	return a, true
}

// controllerPeers describes the peers of an ingress rule that admit an Ingress
// controller's pods ("" if none): pods of another namespace.
func (nb *netBuilder) controllerPeers(r *netpol.Rule, c *netpol.Class) string {
	if r.AllPeers {
		return "every source"
	}
	var out []string
	for _, peer := range r.Peers {
		if peer.Namespaces == nil || peer.IPBlock != nil {
			continue
		}
		if peer.Namespaces.Empty() || !peer.Namespaces.Matches(c.Namespace.Labels) || len(nb.otherNamespaces(c.Namespace.Name, peer.Namespaces)) > 0 {
			out = append(out, fmt.Sprintf("from[%d] %s (the Ingress controller's namespace)", peer.Index, peer))
		}
	}
	return strings.Join(out, ", ")
}

// maxNamed bounds the namespaces an evidence line names.
const maxNamed = 3

// otherNamespaces lists the namespaces of the input other than own that a
// namespaceSelector matches.
func (nb *netBuilder) otherNamespaces(own string, sel labels.Selector) []string {
	var out []string
	for _, ns := range nb.b.net.Namespaces {
		if ns.Name != own && sel.Matches(ns.Labels) {
			out = append(out, ns.Name)
		}
	}
	sort.Strings(out)
	return out
}

func isolateCut(n *Node) cutOption {
	return cutOption{key: "isolate:" + n.ID, fix: finding.PathFix{
		Change: fmt.Sprintf("add a NetworkPolicy in namespace %s that isolates the pods of %s for ingress and admits only their clients", n.Namespace, n.Label),
		Cost:   costPolicy}}
}

func ruleCut(r *netpol.Rule, what string) cutOption {
	p := r.Policy
	c := cutOption{key: fmt.Sprintf("rule:%s/%s:%s", p.Namespace, p.Name, r.Path()), fix: finding.PathFix{
		Change: fmt.Sprintf("narrow %s (%s) %s", r, r.Path(), what), Path: r.Path(), Cost: costPolicy}}
	if p.Object != nil {
		c.fix.Object = objRef(p.Object)
		c.fix.Location = fieldLocation(p.Object, r.Path(), &p.Object.Origin)
	}
	return c
}

// exposed is the internet's edge to a workload: every admitted route as evidence,
// and the cheapest change that removes them all.
func (nb *netBuilder) exposed(n *Node, w *netpol.Workload, lat *lateral) ([]string, *finding.PathFix, bool) {
	var ev []string
	var cuts [][]cutOption
	for _, r := range nb.routes(n, w) {
		a, ok := nb.admit(n, w.Class, r)
		if !ok {
			continue
		}
		if lat.routes == nil {
			lat.routes = map[*Node][]Route{}
		}
		lat.routes[n] = append(lat.routes[n], Route{Text: r.why, Admission: a.why, Ports: r.ports, Addresses: r.addrs, FromPods: r.viaPod, HostNetwork: r.hostNet})
		ev = append(ev, r.why+"; "+a.why)
		cuts = append(cuts, append([]cutOption{r.cut}, a.cuts...))
	}
	if len(ev) == 0 {
		return nil, nil, false
	}
	return appendNew(nil, ev...), commonCut(cuts), true
}

// commonCut is the cheapest change that removes every one of several routes (each
// with its own options): one that all share, else the cheapest of each, together.
func commonCut(routes [][]cutOption) *finding.PathFix {
	var best *cutOption
	for i := range routes[0] {
		o := &routes[0][i]
		all := true
		for _, r := range routes[1:] {
			found := false
			for _, x := range r {
				if x.key == o.key {
					found = true
					break
				}
			}
			if !found {
				all = false
				break
			}
		}
		if all && (best == nil || o.fix.Cost < best.fix.Cost) {
			best = o
		}
	}
	if best != nil {
		f := best.fix
		return &f
	}
	seen := map[string]bool{}
	var parts []string
	var fix finding.PathFix
	for _, r := range routes {
		cheapest := r[0]
		for _, x := range r[1:] {
			if x.fix.Cost < cheapest.fix.Cost {
				cheapest = x
			}
		}
		if seen[cheapest.key] {
			continue
		}
		seen[cheapest.key] = true
		if len(parts) == 0 {
			fix = cheapest.fix
		}
		parts = append(parts, cheapest.fix.Change)
		if len(parts) > 1 {
			fix.Cost += cheapest.fix.Cost
		}
	}
	fix.Change = strings.Join(parts, "; and ")
	return &fix
}

// fromOtherNamespaces is the pod entry's edge to a workload: the rules that admit
// pods of another namespace, and the change that stops them.
func (nb *netBuilder) fromOtherNamespaces(n *Node, c *netpol.Class) ([]string, *finding.PathFix, bool) {
	isolating := c.Isolating[netpol.Ingress]
	if len(isolating) == 0 {
		cut := isolateCut(n)
		return []string{"no NetworkPolicy isolates its pods for ingress: pods of every namespace are admitted"}, &cut.fix, true
	}
	var ev []string
	var cuts []cutOption
	for _, p := range isolating {
		for _, r := range p.Rules[netpol.Ingress] {
			ports := r.PortsFor(c)
			if ports.IsEmpty() {
				continue
			}
			var peers []string
			if r.AllPeers {
				peers = append(peers, "every source")
			}
			for _, peer := range r.Peers {
				switch {
				case peer.IPBlock != nil, peer.Namespaces == nil:
				case peer.Namespaces.Empty():
					peers = append(peers, fmt.Sprintf("from[%d] pods of every namespace", peer.Index))
				default:
					if other := nb.otherNamespaces(c.Namespace.Name, peer.Namespaces); len(other) > 0 {
						if len(other) > maxNamed {
							other = append(other[:maxNamed], fmt.Sprintf("and %d more", len(other)-maxNamed))
						}
						peers = append(peers, fmt.Sprintf("from[%d] pods of namespace %s", peer.Index, strings.Join(other, ", ")))
					}
				}
			}
			if len(peers) == 0 {
				continue
			}
			ev = append(ev, fmt.Sprintf("%s (%s) admits %s on %s", r, r.Path(), strings.Join(peers, ", "), ports))
			cuts = append(cuts, ruleCut(r, "to pods of its own namespace or named clients"))
		}
	}
	if len(ev) == 0 {
		return nil, nil, false
	}
	routes := make([][]cutOption, len(cuts))
	for i := range cuts {
		routes[i] = cuts[i : i+1]
	}
	return ev, commonCut(routes), true
}

func objRef(o *inventory.Object) *finding.ObjectRef {
	r := o.Ref
	return &r
}

// fieldLocation is the location of a field of an object (its line when the input
// has it), else def.
func fieldLocation(o *inventory.Object, path string, def *finding.Location) *finding.Location {
	if o == nil {
		return def
	}
	if o.Lines != nil {
		if l := o.LocationOf(path); l.Line > 0 {
			return &l
		}
	}
	if def != nil {
		return def
	}
	loc := o.Origin
	return &loc
}

// lateral supplies the network edges between workloads from the NetworkPolicy
// matrix, computed on first use. Edges are made per call (a source's row may hold
// every workload of the cluster); their evidence is filled by Graph.Explain. The
// queries do not call From: they read a class's row as a set of classes
// (groupRow) and ask Edge for the few edges of the paths they report.
type lateral struct {
	model *netpol.Model
	// nodes are the workload nodes' NetworkPolicy workloads; classNodes the nodes
	// of each class.
	nodes      map[*Node]*netpol.Workload
	classNodes [][]*Node

	once   sync.Once
	matrix *netpol.Matrix

	mu    sync.Mutex
	fixes map[*Node]*finding.PathFix

	// explained are the explained copies of lateral edges (under explainMu).
	explained map[*Edge]*Edge
	// groupRows are the rows by class, made on first use (groupRow).
	groupRows [][]uint64

	// routes are the admitted routes from outside to each workload.
	routes map[*Node][]Route
}

// Route is one admitted way from outside the cluster to a workload's pods: the
// facts behind an internet -> workload edge, for tests that check them against
// netpol reach.
type Route struct {
	// Text says what routes the traffic; Admission what admits it at the pods.
	Text, Admission string
	// Ports are the ports the route targets on the pods.
	Ports netpol.PortSet
	// Addresses are the sources it carries (nil when FromPods or HostNetwork).
	Addresses []netip.Prefix
	// FromPods: the traffic arrives from an Ingress controller's pods (another
	// namespace), not from outside addresses.
	FromPods bool
	// HostNetwork: the pods use the node's network; policies are not applied.
	HostNetwork bool
}

// Routes lists the admitted routes from outside the cluster to a workload (those
// the internet -> workload edge stands for).
func (g *Graph) Routes(n *Node) []Route {
	if l, ok := g.Lateral.(*lateral); ok {
		return l.routes[n]
	}
	return nil
}

func (l *lateral) rows() *netpol.Matrix {
	l.once.Do(func() { l.matrix = l.model.Matrix() })
	return l.matrix
}

// From lists the workloads the pods of n reach, one edge each.
func (l *lateral) From(n *Node) []*Edge {
	var out []*Edge
	var block []Edge
	l.Targets(n, func(to *Node) {
		if len(block) == cap(block) {
			block = make([]Edge, 0, max(16, len(out)))
		}
		block = append(block, l.edge(n, to))
		out = append(out, &block[len(block)-1])
	})
	return out
}

// Targets calls fn for every workload the pods of n reach (but n), without making
// edges: a search that has seen most of them need not (Edge makes one).
func (l *lateral) Targets(n *Node, fn func(to *Node)) {
	w := l.nodes[n]
	if w == nil {
		return
	}
	l.rows().Each(w.Class, func(dst *netpol.Class, _ netpol.PortSet) {
		for _, to := range l.classNodes[dst.ID] {
			if to != n {
				fn(to)
			}
		}
	})
}

// Edge is the lateral edge from one workload to another (nil if n's pods do not
// reach to's).
func (l *lateral) Edge(from, to *Node) *Edge {
	a, b := l.nodes[from], l.nodes[to]
	if a == nil || b == nil || from == to || l.rows().Ports(a.Class, b.Class).IsEmpty() {
		return nil
	}
	e := l.edge(from, to)
	return &e
}

func (l *lateral) edge(from, to *Node) Edge {
	return Edge{From: from, To: to, Kind: EdgeNetwork, Analyzer: ByNetpol, Fix: l.destFix(to)}
}

// destFix is the first fix of an edge to a workload (shared by the edges to it):
// isolating its pods, or narrowing the rules that admit the source, which
// Graph.Explain names.
func (l *lateral) destFix(to *Node) *finding.PathFix {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f := l.fixes[to]; f != nil {
		return f
	}
	if l.fixes == nil {
		l.fixes = map[*Node]*finding.PathFix{}
	}
	var f finding.PathFix
	if w := l.nodes[to]; w != nil && len(w.Class.Isolating[netpol.Ingress]) == 0 {
		f = isolateCut(to).fix
	} else {
		f = finding.PathFix{Change: "narrow the ingress rules of the NetworkPolicies that isolate " + to.Label + " so that they no longer admit the source", Cost: costPolicy}
	}
	l.fixes[to] = &f
	return &f
}

// explain fills the evidence of a lateral edge (Model.Reach: the rules on each
// side) and names the rule its fix changes.
func (l *lateral) explain(e *Edge) {
	a, b := l.nodes[e.From], l.nodes[e.To]
	if a == nil || b == nil {
		return
	}
	v, err := l.model.Reach(netpol.Endpoint{Workload: a}, netpol.Endpoint{Workload: b}, netpol.AllPorts())
	if err != nil {
		e.Evidence = []string{err.Error()}
		return
	}
	ev := []string{fmt.Sprintf("%s reaches %s on %s", e.From.Label, e.To.Label, v.Ports)}
	ev = append(ev, sideEvidence(v.Egress, "egress", "destination")...)
	in := sideEvidence(v.Ingress, "ingress", "source")
	ev = append(ev, in...)
	e.Evidence = ev
	if len(v.Ingress.Isolating) > 0 {
		var rules []*netpol.Rule
		for _, g := range v.Ingress.Grants {
			if !g.Ports.IsEmpty() && (len(rules) == 0 || rules[len(rules)-1] != g.Rule) {
				rules = append(rules, g.Rule)
			}
		}
		var cuts [][]cutOption
		for _, r := range rules {
			cuts = append(cuts, []cutOption{ruleCut(r, "so that it no longer admits "+e.From.Label)})
		}
		if len(cuts) > 0 {
			e.Fix = commonCut(cuts)
		}
	}
}

// sideEvidence is one end of a connection in evidence lines: not isolated, or the
// rules that allow it.
func sideEvidence(s *netpol.Side, dir, peer string) []string {
	if s == nil {
		return nil
	}
	if len(s.Isolating) == 0 {
		return []string{fmt.Sprintf("%s of %s: no NetworkPolicy isolates its pods for %s, every %s is allowed", dir, s.Workload.Name(), dir, peer)}
	}
	var out []string
	for _, g := range s.Grants {
		if g.Ports.IsEmpty() {
			continue
		}
		what := "every " + peer
		if g.Peer != nil {
			field := "from"
			if s.Direction == netpol.Egress {
				field = "to"
			}
			what = fmt.Sprintf("%s[%d] %s", field, g.Peer.Index, g.Peer)
		}
		out = append(out, fmt.Sprintf("%s (%s) allows %s on %s", g.Rule, g.Rule.Path(), what, g.Ports))
	}
	return out
}

// explainMu serialises the filling of lateral edges' evidence (rules may explain
// paths concurrently), and the lateral source's explained copies.
var explainMu sync.Mutex

// Explain fills the evidence of the lateral network edges of a path (and of its
// other routes), which the search leaves empty because it makes them by the
// thousand; a fix of the path that an edge's explanation names more precisely is
// updated. Call it before Path.Evidence: every reader of a memoized path calls it
// first, so that its writes (once per path) happen before the reads. Safe for
// concurrent use.
func (g *Graph) Explain(p *Path) {
	l, ok := g.Lateral.(*lateral)
	if !ok {
		return
	}
	explainMu.Lock()
	defer explainMu.Unlock()
	if p.explained {
		// Another caller (the same memoized answer) explained it: its writes
		// happened before this lock was taken.
		return
	}
	p.explained = true
	// The search's edges are shared by every answer (other rules read them while
	// they search): an explained edge is a copy, made once per edge, that replaces
	// it in this path's own slices.
	own := func(edges []*Edge) []*Edge {
		var out []*Edge
		for i, e := range edges {
			if e.Kind != EdgeNetwork || e.Evidence != nil || e.From.Kind != KindWorkload {
				continue
			}
			c := l.explained[e]
			if c == nil {
				x := *e
				l.explain(&x)
				c = &x
				if l.explained == nil {
					l.explained = map[*Edge]*Edge{}
				}
				l.explained[e] = c
			}
			if out == nil {
				out = append([]*Edge(nil), edges...)
			}
			out[i] = c
		}
		if out == nil {
			return edges
		}
		return out
	}
	p.Edges = own(p.Edges)
	if len(p.Others) > 0 {
		others := make([][]*Edge, len(p.Others))
		for i, o := range p.Others {
			others[i] = own(o)
		}
		p.Others = others
	}
	if p.Fix != nil && p.Fix.Hop >= 0 && p.Fix.Hop < len(p.Edges) {
		if e := p.Edges[p.Fix.Hop]; e.Kind == EdgeNetwork && e.From.Kind == KindWorkload && e.Fix != nil && e.Fix.Cost == p.Fix.Cost &&
			(e.Fix.Change != p.Fix.Change || e.Fix.Path != p.Fix.Path) {
			f := *e.Fix
			f.Hop, f.CutsAll = p.Fix.Hop, p.Fix.CutsAll
			p.Fix = &f
		}
	}
}

// OutUnseen lists the edges that leave n to nodes for which seen is false: the
// stored ones, then the lateral ones, made only for the workloads not seen yet. A
// breadth-first search that calls it instead of Out makes one lateral edge per
// workload it reaches, not one per pair of workloads that can talk.
func (g *Graph) OutUnseen(n *Node, seen func(*Node) bool) []*Edge {
	var out []*Edge
	for _, e := range g.out[n] {
		if !seen(e.To) {
			out = append(out, e)
		}
	}
	if n.Kind != KindWorkload || g.Lateral == nil {
		return out
	}
	l, ok := g.Lateral.(*lateral)
	if !ok {
		for _, e := range g.Lateral.From(n) {
			if !seen(e.To) {
				out = append(out, e)
			}
		}
		return out
	}
	l.Targets(n, func(to *Node) {
		if !seen(to) {
			e := l.edge(n, to)
			out = append(out, &e)
		}
	})
	return out
}

// Class implements LateralClasses: the NetworkPolicy class of a workload's pods
// (every workload of a class reaches the same workloads), -1 for a node the model
// does not know.
func (l *lateral) Class(n *Node) int {
	if w := l.nodes[n]; w != nil && w.Class != nil {
		return w.Class.ID
	}
	return -1
}

// groupRow is the set of classes (bits by class ID) whose workloads the pods of n
// reach (n's own class included when it reaches itself), nil if none: a search
// skips the classes it has reached whole, and makes no edge (Edge makes the few
// that paths use). Rows are made once per class, on first use.
func (l *lateral) groupRow(n *Node) []uint64 {
	w := l.nodes[n]
	if w == nil || w.Class == nil {
		return nil
	}
	c := w.Class.ID
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.groupRows == nil {
		l.groupRows = make([][]uint64, len(l.classNodes))
	}
	if r := l.groupRows[c]; r != nil {
		return r
	}
	r := make([]uint64, (len(l.classNodes)+63)/64)
	l.rows().Each(w.Class, func(dst *netpol.Class, _ netpol.PortSet) {
		if dst.ID < len(l.classNodes) && len(l.classNodes[dst.ID]) > 0 {
			r[dst.ID>>6] |= 1 << (uint(dst.ID) & 63)
		}
	})
	l.groupRows[c] = r
	return r
}

// groupMembers are the workload nodes of a class.
func (l *lateral) groupMembers(class int) []*Node { return l.classNodes[class] }
