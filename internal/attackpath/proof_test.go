package attackpath

// The proof: every edge of the graph, and every hop of every path a query returns,
// is asked again of the analyzers that justify it, the way `palisade netpol reach`
// and `palisade rbac can` answer (netpol.Model.Reach between the workloads or from
// outside the cluster; rbac.Model.Authorize with the requests the capability
// stands for), on generated clusters (pathgen) and on the examples. Any
// disagreement fails. The requests each edge kind stands for are written here from
// the package doc, not taken from the builder, so that the two are compared.

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/netip"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/palisade-k8s/palisade/internal/attackpath/pathgen"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/netpol"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/source"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// loadYAML reads generated manifests as load reads files.
func loadYAML(t testing.TB, text string) *inventory.Inventory {
	t.Helper()
	res, err := (&source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(text)}).Read(context.Background(), source.Needs{Kinds: indexKinds(), PodFacts: true})
	if err != nil {
		t.Fatal(err)
	}
	if errs := res.AllErrors(); len(errs) > 0 {
		t.Fatalf("input errors: %v", errs)
	}
	return res.Inventory
}

// prover answers, for one input, whether the analyzers prove an edge.
type prover struct {
	inv *inventory.Inventory
	g   *Graph
	net *netpol.Model
	rb  *rbac.Model
	// routes are the ways from outside the cluster to pods: exposing Services
	// and the Services Ingresses route to.
	services []proofService
	// psa is each Namespace object's pod-security.kubernetes.io/enforce label.
	psa map[string]string
	// tokens are the legacy token Secrets: namespace -> account names.
	tokens map[string]map[string]bool
	// memo remembers each edge's verdict (by ends and kind: lateral edges are made
	// anew on each call).
	memo map[string]error
	// kinds counts the proven edges by kind, graph-wide and on paths.
	kinds, onPaths map[EdgeKind]int
	// grantsChecked counts the held classes whose grant edge was looked for.
	grantsChecked int
}

type proofService struct {
	namespace, name string
	selector        labels.Selector
	spec            corev1.ServiceSpec
	ingress         bool // an Ingress routes to it
}

func newProver(t testing.TB, inv *inventory.Inventory, g *Graph) *prover {
	t.Helper()
	rb, _, err := rbac.Build(inv.Objects, rbac.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := &prover{inv: inv, g: g, net: netpol.Build(inv, netpol.Options{}), rb: rb, psa: map[string]string{},
		tokens: map[string]map[string]bool{}, memo: map[string]error{}, kinds: map[EdgeKind]int{}, onPaths: map[EdgeKind]int{}}
	ingress := map[string]bool{} // namespace/service
	for _, o := range inv.Objects {
		switch {
		case o.Ref.Kind == "Namespace" && o.Group() == "":
			p.psa[o.Ref.Name] = o.Labels["pod-security.kubernetes.io/enforce"]
		case o.Ref.Kind == "Secret" && o.Group() == "" && o.Body != nil:
			if typ, _ := o.Body["type"].(string); typ == string(corev1.SecretTypeServiceAccountToken) {
				if sa := o.Annotations[corev1.ServiceAccountNameKey]; sa != "" {
					if p.tokens[o.Ref.Namespace] == nil {
						p.tokens[o.Ref.Namespace] = map[string]bool{}
					}
					p.tokens[o.Ref.Namespace][sa] = true
				}
			}
		case o.Ref.Kind == "Ingress" && o.Group() == "networking.k8s.io" && o.Body != nil:
			var ing networkingv1.Ingress
			if o.Decode(&ing) != nil {
				continue
			}
			add := func(b *networkingv1.IngressBackend) {
				if b != nil && b.Service != nil {
					ingress[o.Ref.Namespace+"/"+b.Service.Name] = true
				}
			}
			add(ing.Spec.DefaultBackend)
			for _, r := range ing.Spec.Rules {
				if r.HTTP != nil {
					for _, hp := range r.HTTP.Paths {
						add(&hp.Backend)
					}
				}
			}
		}
	}
	for _, o := range inv.Objects {
		if o.Ref.Kind != "Service" || o.Group() != "" || o.Body == nil {
			continue
		}
		var svc corev1.Service
		if o.Decode(&svc) != nil || len(svc.Spec.Selector) == 0 {
			continue
		}
		p.services = append(p.services, proofService{namespace: o.Ref.Namespace, name: o.Ref.Name,
			selector: labels.SelectorFromSet(svc.Spec.Selector), spec: svc.Spec, ingress: ingress[o.Ref.Namespace+"/"+o.Ref.Name]})
	}
	return p
}

// edge proves one edge: nil when the analyzers agree.
func (p *prover) edge(e *Edge) error {
	key := e.From.ID + "\x00" + e.To.ID + "\x00" + string(e.Kind)
	if err, ok := p.memo[key]; ok {
		return err
	}
	err := p.prove(e)
	if err == nil {
		err = proofEvidence(e, true)
	}
	if err == nil && e.Fix != nil && (e.Fix.Change == "" || e.Fix.Cost < 1) {
		err = fmt.Errorf("fix %+v: no change, or no cost", *e.Fix)
	}
	if err != nil {
		err = fmt.Errorf("%s -%s-> %s: %w", e.From.ID, e.Kind, e.To.ID, err)
	} else {
		p.kinds[e.Kind]++
	}
	p.memo[key] = err
	return err
}

func (p *prover) prove(e *Edge) error {
	from, to := e.From, e.To
	switch e.Kind {
	case EdgeExposed:
		if from.ID != Internet || to.Kind != KindWorkload {
			return fmt.Errorf("an exposed edge goes from the internet to a workload")
		}
		return p.exposed(to)
	case EdgeNetwork:
		switch {
		case from.ID == AnyPod && to.Kind == KindWorkload:
			return p.fromOtherNamespace(to)
		case from.Kind == KindWorkload && to.Kind == KindWorkload:
			return p.lateral(from, to)
		}
		return fmt.Errorf("a network edge goes from pod or a workload to a workload")
	case EdgeMember:
		switch {
		case from.Kind == KindNamespace && to.Kind == KindWorkload:
			if ns := strings.TrimPrefix(from.ID, "namespace:"); to.Namespace != ns {
				return fmt.Errorf("the workload is not in namespace %s", ns)
			}
			return nil
		case from.Kind == KindIdentity && to.Kind == KindCapability:
			return p.grant(from, to)
		}
		return fmt.Errorf("a member edge goes from a namespace to its workload or from an identity to a capability")
	case EdgeToken:
		return p.token(from, to)
	case EdgeGrant:
		return p.grant(from, to)
	case EdgeSecretToken:
		ns, ok := strings.CutPrefix(from.ID, "secrets:")
		sns, sa, ok2 := proofSplitSA(to.ID)
		if !ok || !ok2 || ns != sns && ns != "*" {
			return fmt.Errorf("a secret-token edge goes from the secrets of a namespace (or of all) to an account of that namespace")
		}
		if !p.tokens[sns][sa] {
			return fmt.Errorf("no Secret of type %s for %s/%s in the input", corev1.SecretTypeServiceAccountToken, sns, sa)
		}
		return nil
	case EdgeHost:
		if from.Kind != KindWorkload || to.ID != HostNode {
			return fmt.Errorf("a host edge goes from a workload to the node")
		}
		if why := p.hostAccess(from); len(why) == 0 {
			return fmt.Errorf("the workload analysis records no node-level host access")
		}
		return nil
	}
	if from.Kind == KindCapability {
		return p.capabilityEdge(e)
	}
	if from.ID == ClusterAdmin {
		// Every permission cluster-wide: what any capability gives, inherently.
		want := map[EdgeKind]Kind{EdgeReadSecrets: KindSecrets, EdgeCreatePod: KindNode, EdgeNodesProxy: KindNode, EdgeRunAs: KindServiceAccount, EdgeExec: KindWorkload}
		if k, ok := want[e.Kind]; ok && to.Kind == k && (k != KindSecrets || to.ID == AllSecrets) {
			return nil
		}
		return fmt.Errorf("cluster-admin gives %v, not a %s edge to %s", want, e.Kind, to.Kind)
	}
	return fmt.Errorf("no proof for edge kind %q from a %s", e.Kind, from.Kind)
}

// proofEvidence checks that an edge names its analyzer and evidence; lazy says
// that a lateral network edge may leave its evidence to Explain (only the edges of
// reported paths are explained).
func proofEvidence(e *Edge, lazy bool) error {
	lateral := e.Kind == EdgeNetwork && e.From.Kind == KindWorkload
	if e.Analyzer == "" || len(e.Evidence) == 0 && !(lazy && lateral) {
		return fmt.Errorf("no analyzer or evidence (analyzer %q, evidence %q)", e.Analyzer, e.Evidence)
	}
	return nil
}

// explainer is the graph's filling of lazy evidence (Graph.Explain), when it has
// one.
type explainer interface{ Explain(*Path) }

// --- network ---

var proofOutside = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}

func (p *prover) workload(n *Node) (*netpol.Workload, error) {
	if n.Object == nil {
		return nil, fmt.Errorf("workload node %s names no object", n.ID)
	}
	w := p.net.Workload(n.Object.Namespace, n.Object.Kind, n.Object.Name)
	if w == nil || w.Class == nil {
		return nil, fmt.Errorf("the NetworkPolicy analysis knows no workload %s", n.ID)
	}
	return w, nil
}

// proofRoute is one way traffic from outside gets to the pods, with the ports it
// targets on them.
type proofRoute struct {
	why   string
	ports netpol.PortSet
	// fromPods: the traffic reaches the pods from other pods (an Ingress
	// controller, in some namespace), not from addresses outside the cluster.
	fromPods bool
	// unenforced: NetworkPolicies are taken not to apply (the host network).
	unenforced bool
}

// routes lists what routes traffic from outside the cluster network to the pods.
func (p *prover) routes(w *netpol.Workload) []proofRoute {
	var out []proofRoute
	if w.HostNetwork {
		out = append(out, proofRoute{why: "hostNetwork", ports: netpol.AllPorts(), unenforced: true})
	}
	out = append(out, proofHostPorts(w.Object)...)
	for _, s := range p.services {
		if s.namespace != w.Ref.Namespace || !s.selector.Matches(w.Labels) {
			continue
		}
		external := s.spec.Type == corev1.ServiceTypeNodePort || s.spec.Type == corev1.ServiceTypeLoadBalancer ||
			len(s.spec.ExternalIPs) > 0 && s.spec.ClusterIP != corev1.ClusterIPNone
		if !external && !s.ingress {
			continue
		}
		var ports netpol.PortSet
		for _, sp := range s.spec.Ports {
			proto, ok := netpol.ParseProtocol(string(sp.Protocol))
			if !ok {
				continue
			}
			switch {
			case sp.TargetPort.StrVal != "":
				if n, ok := w.Class.Resolve(sp.TargetPort.StrVal, proto); ok {
					ports = ports.Union(netpol.SinglePort(proto, n))
				}
			case sp.TargetPort.IntVal > 0:
				ports = ports.Union(netpol.SinglePort(proto, int(sp.TargetPort.IntVal)))
			default:
				ports = ports.Union(netpol.SinglePort(proto, int(sp.Port)))
			}
		}
		if external {
			out = append(out, proofRoute{why: "Service " + s.namespace + "/" + s.name, ports: ports})
		}
		if s.ingress {
			out = append(out, proofRoute{why: "Ingress to Service " + s.namespace + "/" + s.name, ports: ports, fromPods: true})
		}
	}
	return out
}

// proofHostPorts reads the host ports of a workload's pod template from its body:
// each opens its containerPort to the node's addresses.
func proofHostPorts(o *inventory.Object) []proofRoute {
	if o == nil || o.Body == nil {
		return nil
	}
	var spec map[string]any
	for _, path := range [][]string{{"spec", "template", "spec"}, {"spec", "jobTemplate", "spec", "template", "spec"}, {"spec"}} {
		m := o.Body
		for _, k := range path {
			m, _ = m[k].(map[string]any)
		}
		if _, ok := m["containers"]; ok {
			spec = m
			break
		}
	}
	var out []proofRoute
	for _, list := range []string{"initContainers", "containers"} {
		cs, _ := spec[list].([]any)
		for _, c := range cs {
			cm, _ := c.(map[string]any)
			ports, _ := cm["ports"].([]any)
			for _, pt := range ports {
				pm, _ := pt.(map[string]any)
				hp, cp := proofNumber(pm["hostPort"]), proofNumber(pm["containerPort"])
				if hp <= 0 || cp <= 0 {
					continue
				}
				proto, _ := pm["protocol"].(string)
				pr, ok := netpol.ParseProtocol(proto)
				if !ok {
					continue
				}
				out = append(out, proofRoute{why: fmt.Sprintf("hostPort %d -> containerPort %d of container %v", hp, cp, cm["name"]), ports: netpol.SinglePort(pr, cp)})
			}
		}
	}
	return out
}

func proofNumber(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	}
	return 0
}

// exposed: a route from outside, and the pods' ingress admits addresses outside
// the cluster on a port it targets (netpol reach from 0.0.0.0/0 and ::/0), or,
// for an Ingress, pods of another namespace (its controller's) on such a port.
func (p *prover) exposed(n *Node) error {
	w, err := p.workload(n)
	if err != nil {
		return err
	}
	routes := p.routes(w)
	if len(routes) == 0 {
		return fmt.Errorf("nothing routes traffic from outside the cluster to its pods")
	}
	for _, r := range routes {
		if r.ports.IsEmpty() {
			continue
		}
		if r.unenforced {
			// The one exception to netpol reach, which analyses host-network pods
			// like any other: most network plugins do not apply NetworkPolicies to
			// them, so the graph takes them as exposed whatever the policies say.
			return nil
		}
		if r.fromPods {
			if p.admitsOtherNamespace(w, r.ports) == nil {
				return nil
			}
			continue
		}
		for _, a := range proofOutside {
			v, err := p.net.Reach(netpol.Endpoint{Addresses: a}, netpol.Endpoint{Workload: w}, r.ports)
			if err != nil {
				return err
			}
			if !v.Denied() {
				return nil
			}
		}
	}
	return fmt.Errorf("netpol reach denies every address outside the cluster on the ports the routes target (%v)", routes)
}

// fromOtherNamespace: the pods' ingress admits pods of another namespace of the
// input on some port (no policy isolates them, or a rule's peers select pods in
// another namespace). ipBlock peers select no pods.
func (p *prover) fromOtherNamespace(n *Node) error {
	w, err := p.workload(n)
	if err != nil {
		return err
	}
	return p.admitsOtherNamespace(w, netpol.AllPorts())
}

// admitsOtherNamespace: some pod of another namespace of the input may open one of
// the ports to the workload's pods.
func (p *prover) admitsOtherNamespace(w *netpol.Workload, ports netpol.PortSet) error {
	c := w.Class
	if len(c.Isolating[netpol.Ingress]) == 0 {
		return nil
	}
	for _, pol := range c.Isolating[netpol.Ingress] {
		for _, r := range pol.Rules[netpol.Ingress] {
			if !r.Effective() || r.PortsFor(c).Intersect(ports).IsEmpty() {
				continue
			}
			if r.AllPeers {
				return nil
			}
			for _, peer := range r.Peers {
				if peer.IPBlock != nil || peer.Namespaces == nil {
					continue
				}
				for _, ns := range p.net.Namespaces {
					if ns.Name != pol.Namespace && peer.Namespaces.Matches(ns.Labels) {
						return nil
					}
				}
			}
		}
	}
	return fmt.Errorf("the NetworkPolicies isolating its pods admit no pod of another namespace on %s", ports)
}

func (p *prover) lateral(from, to *Node) error {
	a, err := p.workload(from)
	if err != nil {
		return err
	}
	b, err := p.workload(to)
	if err != nil {
		return err
	}
	v, err := p.net.Reach(netpol.Endpoint{Workload: a}, netpol.Endpoint{Workload: b}, netpol.AllPorts())
	if err != nil {
		return err
	}
	if v.Denied() {
		return fmt.Errorf("netpol reach: denied")
	}
	return nil
}

// --- identity ---

func proofSplitSA(id string) (ns, name string, ok bool) {
	rest, ok := strings.CutPrefix(id, "serviceaccount:")
	if !ok {
		return "", "", false
	}
	ns, name, ok = strings.Cut(rest, "/")
	return ns, name, ok && ns != "" && name != ""
}

// proofSubject is the RBAC subject a node's requests are made as.
func proofSubject(n *Node) (rbac.Subject, error) {
	if ns, name, ok := proofSplitSA(n.ID); ok {
		return rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: ns, Name: name}, nil
	}
	if rest, ok := strings.CutPrefix(n.ID, "identity:"); ok {
		return rbac.ParseSubject(rest)
	}
	return rbac.Subject{}, fmt.Errorf("%s is not a subject", n.ID)
}

func (p *prover) token(from, to *Node) error {
	ns, name, ok := proofSplitSA(to.ID)
	if from.Kind != KindWorkload || from.Object == nil || !ok {
		return fmt.Errorf("a token edge goes from a workload to a service account")
	}
	for _, w := range p.rb.WorkloadsOf(rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: ns, Name: name}) {
		if w.Kind == from.Object.Kind && w.Namespace == from.Object.Namespace && w.Name == from.Object.Name {
			if !w.Token {
				return fmt.Errorf("its pods run as the account but mount no token")
			}
			return nil
		}
	}
	return fmt.Errorf("the RBAC model has no pods of the workload running as %s/%s", ns, name)
}

func proofCapability(n *Node) (class, ns string, err error) {
	rest, ok := strings.CutPrefix(n.ID, "capability:")
	class, scope, ok2 := strings.Cut(rest, "@")
	if !ok || !ok2 || class == "" || scope == "" {
		return "", "", fmt.Errorf("capability node %q: want capability:CLASS@NS or @cluster", n.ID)
	}
	if scope == "cluster" {
		scope = ""
	}
	return class, scope, nil
}

// can asks rbac can: is the subject allowed any of the requests, in namespace ns
// ("" cluster-wide)?
func (p *prover) can(s rbac.Subject, ns string, probes ...rbac.Probe) bool {
	u := rbac.UserInfoFor(s, nil)
	for _, pr := range probes {
		a := rbac.Attributes{User: u, Verb: pr.Verb, ResourceRequest: true, APIGroup: pr.Group, Resource: pr.Resource,
			Subresource: pr.Subresource, Name: pr.Name, Namespace: ns}
		if p.rb.Authorize(a).Allowed {
			return true
		}
	}
	return false
}

// holds says whether the subject holds a capability class in ns ("" cluster-wide).
func (p *prover) holds(s rbac.Subject, class, ns string) (bool, error) {
	c, ok := proofClasses[class]
	if !ok {
		return false, fmt.Errorf("no proof for capability class %q", class)
	}
	held := func(i int) bool {
		n := c.Needs[i]
		where := ns
		if n.Cluster {
			where = ""
		}
		return p.can(s, where, n.Any...)
	}
	paths := c.Paths
	if paths == nil {
		for i := range c.Needs {
			paths = append(paths, []int{i})
		}
	}
	for _, path := range paths {
		all := true
		for _, i := range path {
			all = all && held(i)
		}
		if all {
			return true, nil
		}
	}
	return false, nil
}

func (p *prover) grant(from, to *Node) error {
	s, err := proofSubject(from)
	if err != nil {
		return err
	}
	class, ns, err := proofCapability(to)
	if err != nil {
		return err
	}
	ok, err := p.holds(s, class, ns)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("rbac can: %s does not hold %s", s, to.ID)
	}
	return nil
}

// holders are the subjects whose grants lead into a capability node.
func (p *prover) holders(c *Node) []*Node {
	var out []*Node
	for _, e := range p.g.In(c) {
		if e.Kind == EdgeGrant || e.Kind == EdgeMember {
			out = append(out, e.From)
		}
	}
	return out
}

// capabilityEdge proves an edge out of a capability for every subject that holds
// it: each must be allowed the requests the edge stands for.
func (p *prover) capabilityEdge(e *Edge) error {
	class, ns, err := proofCapability(e.From)
	if err != nil {
		return err
	}
	requests, where, err := p.requestsFor(e, ns)
	if err != nil {
		return err
	}
	if !proofImplies(class, requests) {
		return fmt.Errorf("holding %s allows none of the requests the edge stands for", class)
	}
	holders := p.holders(e.From)
	if len(holders) == 0 {
		// Held only through another capability's escalation (proven on its own
		// edge), or by no one: then the edge leads nowhere.
		for _, in := range p.g.In(e.From) {
			if in.Kind == EdgeEscalate && in.From.Kind == KindCapability {
				return nil
			}
		}
		return fmt.Errorf("no subject holds the capability")
	}
	for _, h := range holders {
		s, err := proofSubject(h)
		if err != nil {
			return err
		}
		ok := false
		for _, rq := range requests {
			if p.can(s, where, rq...) {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("rbac can: %s (holder) is allowed none of the requests for it in %q", s, where)
		}
	}
	return nil
}

// proofImplies says whether holding a class (some path of its needs) allows one
// of the request sets: every request of the set is one of the path's probes (a
// "*" of the probe matches anything; a probe without a name covers every name).
func proofImplies(class string, requests [][]rbac.Probe) bool {
	c, ok := proofClasses[class]
	if !ok {
		return false
	}
	paths := c.Paths
	if paths == nil {
		for i := range c.Needs {
			paths = append(paths, []int{i})
		}
	}
	match := func(have, want string) bool { return have == "*" || have == want }
	covers := func(path []int, rq rbac.Probe) bool {
		for _, i := range path {
			for _, pr := range c.Needs[i].Any {
				if match(pr.Verb, rq.Verb) && match(pr.Group, rq.Group) && (pr.Resource == "*" || pr.Resource == rq.Resource && pr.Subresource == rq.Subresource) &&
					(pr.Name == "" || pr.Name == rq.Name) {
					return true
				}
			}
		}
		return false
	}
	for _, path := range paths {
		for _, set := range requests {
			all := true
			for _, rq := range set {
				all = all && covers(path, rq)
			}
			if all {
				return true
			}
		}
	}
	return false
}

func proofProbe(verb, group, resource, sub string) rbac.Probe {
	return rbac.Probe{Verb: verb, Group: group, Resource: resource, Subresource: sub}
}

// proofCreatePods are the requests that run a pod in a namespace: create pods, or write
// a controller of them.
func proofCreatePods() []rbac.Probe {
	out := []rbac.Probe{proofProbe("create", "", "pods", "")}
	for _, v := range []string{"create", "update", "patch"} {
		for _, r := range []string{"deployments", "daemonsets", "statefulsets", "replicasets"} {
			out = append(out, proofProbe(v, "apps", r, ""))
		}
		out = append(out, proofProbe(v, "batch", "jobs", ""), proofProbe(v, "batch", "cronjobs", ""), proofProbe(v, "", "replicationcontrollers", ""), proofProbe(v, "", "podtemplates", ""))
	}
	return out
}

// requestsFor lists, for an edge out of a capability held in ns, the alternative
// request sets (all of one set needed) and where they are asked.
func (p *prover) requestsFor(e *Edge, ns string) ([][]rbac.Probe, string, error) {
	to := e.To
	switch e.Kind {
	case EdgeReadSecrets:
		tns, ok := strings.CutPrefix(to.ID, "secrets:")
		if !ok {
			return nil, "", fmt.Errorf("read-secrets goes to secrets:NS")
		}
		if tns == "*" {
			tns = ""
		}
		if ns != "" && tns != ns {
			return nil, "", fmt.Errorf("a capability held in %s reads no secrets of %q", ns, tns)
		}
		// Reading them, or running a pod that mounts them (a secret volume or
		// environment variable reads any Secret of the pod's namespace).
		reads := proofSingles(proofProbe("get", "", "secrets", ""), proofProbe("list", "", "secrets", ""), proofProbe("watch", "", "secrets", ""))
		return append(reads, proofSingles(proofCreatePods()...)...), tns, nil
	case EdgeRunAs:
		sns, name, ok := proofSplitSA(to.ID)
		if !ok || ns != "" && sns != ns {
			return nil, "", fmt.Errorf("run-as goes to a service account of the capability's namespace")
		}
		named := func(pr rbac.Probe) rbac.Probe { pr.Name = name; return pr }
		out := proofSingles(proofCreatePods()...)
		out = append(out, proofSingles(named(proofProbe("create", "", "serviceaccounts", "token")), named(proofProbe("impersonate", "", "serviceaccounts", "")))...)
		return out, sns, nil
	case EdgeExec:
		if to.Kind != KindWorkload || ns != "" && to.Namespace != ns {
			return nil, "", fmt.Errorf("exec goes to a workload of the capability's namespace")
		}
		return proofSingles(proofProbe("create", "", "pods", "exec"), proofProbe("get", "", "pods", "exec"), proofProbe("create", "", "pods", "attach"),
			proofProbe("get", "", "pods", "attach"), proofProbe("update", "", "pods", "ephemeralcontainers"), proofProbe("patch", "", "pods", "ephemeralcontainers")), to.Namespace, nil
	case EdgeCreatePod:
		if to.ID != HostNode {
			return nil, "", fmt.Errorf("create-pod goes to the node")
		}
		if ns != "" {
			// Absent or privileged: nothing stops a privileged pod (an invalid
			// value enforces restricted).
			if lvl := p.psa[ns]; lvl != "" && lvl != "privileged" {
				return nil, "", fmt.Errorf("namespace %s enforces Pod Security %q: no privileged pod is admitted", ns, lvl)
			}
		}
		return proofSingles(proofCreatePods()...), ns, nil
	case EdgeNodesProxy:
		if to.ID != HostNode {
			return nil, "", fmt.Errorf("nodes-proxy goes to the node")
		}
		var out []rbac.Probe
		for _, v := range []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"} {
			out = append(out, proofProbe(v, "", "nodes", "proxy"))
		}
		return proofSingles(out...), "", nil
	case EdgeEscalate, "impersonate", "csr":
		if to.ID == ClusterAdmin {
			return proofAdminSets(), "", nil
		}
		if to.Kind == KindCapability && e.Kind == EdgeEscalate {
			// In a namespace, escalate or bind writes or binds a role with any
			// permission there: every namespaced capability of the namespace.
			class, tns, err := proofCapability(to)
			if err != nil {
				return nil, "", err
			}
			if tns != ns || proofClasses[class].Needs == nil || proofNamespaced[class] == false {
				return nil, "", fmt.Errorf("escalation in %q gives the namespaced capabilities of that namespace, not %s", ns, to.ID)
			}
			g := "rbac.authorization.k8s.io"
			var sets [][]rbac.Probe
			for _, put := range []string{"create", "update", "patch"} {
				sets = append(sets, []rbac.Probe{proofProbe("escalate", g, "roles", ""), proofProbe(put, g, "roles", "")})
				for _, bind := range []string{"roles", "clusterroles"} {
					sets = append(sets, []rbac.Probe{proofProbe("bind", g, bind, ""), proofProbe(put, g, "rolebindings", "")})
				}
			}
			return sets, ns, nil
		}
		if sns, name, ok := proofSplitSA(to.ID); ok && e.Kind == "impersonate" {
			pr := proofProbe("impersonate", "", "serviceaccounts", "")
			pr.Name = name
			return proofSingles(pr), sns, nil
		}
		return nil, "", fmt.Errorf("%s goes to cluster-admin", e.Kind)
	}
	return nil, "", fmt.Errorf("no proof for edge kind %q out of a capability", e.Kind)
}

// proofAdminSets are the cluster-wide request sets that each make a subject
// cluster-admin: every verb on every resource; escalate and write clusterroles;
// bind and write clusterrolebindings; impersonate users or groups; create and
// approve a client certificate for any user.
func proofAdminSets() [][]rbac.Probe {
	g := "rbac.authorization.k8s.io"
	c := "certificates.k8s.io"
	var out [][]rbac.Probe
	out = append(out, []rbac.Probe{proofProbe("*", "*", "*", "")})
	for _, put := range []string{"create", "update", "patch"} {
		out = append(out, []rbac.Probe{proofProbe("escalate", g, "clusterroles", ""), proofProbe(put, g, "clusterroles", "")})
		out = append(out, []rbac.Probe{proofProbe("bind", g, "clusterroles", ""), proofProbe(put, g, "clusterrolebindings", "")})
	}
	out = append(out, []rbac.Probe{proofProbe("impersonate", "", "users", "")}, []rbac.Probe{proofProbe("impersonate", "", "groups", "")})
	for _, approve := range []string{"update", "patch"} {
		for _, signer := range []string{"kubernetes.io/kube-apiserver-client", "kubernetes.io/*"} {
			s := rbac.Probe{Verb: "approve", Group: c, Resource: "signers", Name: signer}
			out = append(out, []rbac.Probe{proofProbe("create", c, "certificatesigningrequests", ""), proofProbe(approve, c, "certificatesigningrequests", "approval"), s})
		}
	}
	return out
}

func proofSingles(probes ...rbac.Probe) [][]rbac.Probe {
	out := make([][]rbac.Probe, len(probes))
	for i, p := range probes {
		out[i] = []rbac.Probe{p}
	}
	return out
}

// --- host ---

func (p *prover) podHost(o *inventory.Object) *workload.PodHost {
	if o == nil {
		return nil
	}
	h, _ := workload.PodHostFact.Of(o)
	return h
}

// hostAccess lists the settings that give the workload's pods their node.
func (p *prover) hostAccess(n *Node) []string {
	if n.Object == nil {
		return nil
	}
	w := p.net.Workload(n.Object.Namespace, n.Object.Kind, n.Object.Name)
	if w == nil {
		return nil
	}
	h := p.podHost(w.Object)
	if h == nil {
		return nil
	}
	var why []string
	if h.HostPID {
		why = append(why, "hostPID")
	}
	for _, c := range h.Containers {
		if c.Privileged {
			why = append(why, "privileged "+c.Name)
		}
		if c.HostProcess {
			why = append(why, "hostProcess "+c.Name)
		}
		for _, cp := range c.AddedCapabilities {
			switch strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(cp)), "CAP_") {
			case "ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_RAWIO", "DAC_READ_SEARCH", "BPF":
				why = append(why, "capability "+cp+" of "+c.Name)
			}
		}
	}
	for _, v := range h.HostPaths {
		pth := path.Clean("/" + v.Path)
		for _, d := range []string{"/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/run", "/var/run", "/var/lib/kubelet",
			"/var/lib/docker", "/var/lib/containerd", "/var/lib/etcd", "/var/log"} {
			if pth == "/" || pth == d || strings.HasPrefix(pth, d+"/") {
				why = append(why, "hostPath "+pth)
				break
			}
		}
	}
	return why
}

// proofNamespaced are the classes held within a namespace (those a namespace's
// escalation gives).
var proofNamespaced = map[string]bool{"secrets": true, "pods": true, "exec": true, "tokens": true, "impersonate-serviceaccounts": true}

// proofClasses are the capability classes as internal/exposure defines them (the
// semantics the graph's capability nodes reuse), written again here.
var proofClasses = func() map[string]rbac.RiskClass {
	g := "rbac.authorization.k8s.io"
	put := []string{"create", "update", "patch"}
	write := []string{"create", "update", "patch", "delete", "deletecollection"}
	any := []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
	probes := func(verbs []string, group string, resources ...string) []rbac.Probe {
		var out []rbac.Probe
		for _, r := range resources {
			for _, v := range verbs {
				out = append(out, proofProbe(v, group, r, ""))
			}
		}
		return out
	}
	var proxy []rbac.Probe
	for _, v := range any {
		proxy = append(proxy, proofProbe(v, "", "nodes", "proxy"))
	}
	classes := []rbac.RiskClass{
		{ID: "admin", Needs: []rbac.Need{{Any: []rbac.Probe{proofProbe("*", "*", "*", "")}}}},
		{ID: "escalate", Needs: []rbac.Need{
			{Any: []rbac.Probe{proofProbe("escalate", g, "roles", "")}}, {Any: probes(put, g, "roles")},
			{Cluster: true, Any: []rbac.Probe{proofProbe("escalate", g, "clusterroles", "")}}, {Cluster: true, Any: probes(put, g, "clusterroles")},
		}, Paths: [][]int{{0, 1}, {2, 3}}},
		{ID: "bind", Needs: []rbac.Need{
			{Any: []rbac.Probe{proofProbe("bind", g, "roles", ""), proofProbe("bind", g, "clusterroles", "")}}, {Any: probes(put, g, "rolebindings")},
			{Cluster: true, Any: []rbac.Probe{proofProbe("bind", g, "clusterroles", "")}}, {Cluster: true, Any: probes(put, g, "clusterrolebindings")},
		}, Paths: [][]int{{0, 1}, {2, 3}}},
		// exposure's impersonate class, split: users or groups (cluster-admin), and
		// service accounts (those of the namespace).
		{ID: "impersonate", Needs: []rbac.Need{
			{Cluster: true, Any: []rbac.Probe{proofProbe("impersonate", "", "users", "")}},
			{Cluster: true, Any: []rbac.Probe{proofProbe("impersonate", "", "groups", "")}},
		}},
		{ID: "impersonate-serviceaccounts", Needs: []rbac.Need{{Any: []rbac.Probe{proofProbe("impersonate", "", "serviceaccounts", "")}}}},
		{ID: "nodes-proxy", Needs: []rbac.Need{{Cluster: true, Any: proxy}}},
		{ID: "csr", Needs: []rbac.Need{
			{Cluster: true, Any: []rbac.Probe{proofProbe("create", "certificates.k8s.io", "certificatesigningrequests", "")}},
			{Cluster: true, Any: []rbac.Probe{proofProbe("update", "certificates.k8s.io", "certificatesigningrequests", "approval"), proofProbe("patch", "certificates.k8s.io", "certificatesigningrequests", "approval")}},
			{Cluster: true, Any: []rbac.Probe{{Verb: "approve", Group: "certificates.k8s.io", Resource: "signers", Name: "kubernetes.io/kube-apiserver-client"},
				{Verb: "approve", Group: "certificates.k8s.io", Resource: "signers", Name: "kubernetes.io/*"}}},
		}, Paths: [][]int{{0, 1, 2}}},
		{ID: "secrets", Needs: []rbac.Need{{Any: []rbac.Probe{proofProbe("get", "", "secrets", "")}}, {Any: []rbac.Probe{proofProbe("list", "", "secrets", "")}}, {Any: []rbac.Probe{proofProbe("watch", "", "secrets", "")}}}},
		{ID: "pods", Needs: []rbac.Need{{Any: proofCreatePods()}}},
		{ID: "exec", Needs: []rbac.Need{
			{Any: []rbac.Probe{proofProbe("create", "", "pods", "exec"), proofProbe("get", "", "pods", "exec")}},
			{Any: []rbac.Probe{proofProbe("create", "", "pods", "attach"), proofProbe("get", "", "pods", "attach")}},
			{Any: []rbac.Probe{proofProbe("update", "", "pods", "ephemeralcontainers"), proofProbe("patch", "", "pods", "ephemeralcontainers")}},
		}},
		{ID: "tokens", Needs: []rbac.Need{{Any: []rbac.Probe{proofProbe("create", "", "serviceaccounts", "token")}}}},
		{ID: "admission", Needs: []rbac.Need{{Cluster: true, Any: probes(write, "admissionregistration.k8s.io",
			"validatingwebhookconfigurations", "mutatingwebhookconfigurations", "validatingadmissionpolicies", "validatingadmissionpolicybindings",
			"mutatingadmissionpolicies", "mutatingadmissionpolicybindings")}}},
		{ID: "pv", Needs: []rbac.Need{{Cluster: true, Any: []rbac.Probe{proofProbe("create", "", "persistentvolumes", "")}}}},
		{ID: "rbac-write", Needs: []rbac.Need{{Any: probes(write, g, "roles", "rolebindings")}, {Cluster: true, Any: probes(write, g, "clusterroles", "clusterrolebindings")}}},
		{ID: "nodes", Needs: []rbac.Need{{Cluster: true, Any: probes([]string{"update", "patch"}, "", "nodes")}}},
	}
	m := map[string]rbac.RiskClass{}
	for _, c := range classes {
		m[c.ID] = c
	}
	return m
}()

// --- paths ---

// path checks a path's shape, then proves each hop.
func (p *prover) path(q Query, pa *Path) error {
	depth := q.MaxDepth
	if depth <= 0 {
		depth = DefaultMaxDepth
	}
	if len(pa.Edges) == 0 || len(pa.Edges) > depth {
		return fmt.Errorf("%d hops, want 1..%d", len(pa.Edges), depth)
	}
	first := pa.Edges[0].From
	switch {
	case first == pa.Entry:
	case pa.Entry.Kind == KindNamespace && first.Kind == KindWorkload && "namespace:"+first.Namespace == pa.Entry.ID:
	default:
		return fmt.Errorf("starts at %s, not at the entry %s", first.ID, pa.Entry.ID)
	}
	if ex, ok := any(p.g).(explainer); ok {
		ex.Explain(pa)
	}
	seen := map[*Node]bool{first: true}
	for i, e := range pa.Edges {
		if err := proofEvidence(e, false); err != nil {
			return fmt.Errorf("hop %d: %s -%s-> %s: %w", i, e.From.ID, e.Kind, e.To.ID, err)
		}
		if i > 0 && e.From != pa.Edges[i-1].To {
			return fmt.Errorf("hop %d starts at %s, hop %d ended at %s", i, e.From.ID, i-1, pa.Edges[i-1].To.ID)
		}
		if seen[e.To] {
			return fmt.Errorf("hop %d comes back to %s: not a simple path", i, e.To.ID)
		}
		seen[e.To] = true
		if err := p.edge(e); err != nil {
			return fmt.Errorf("hop %d: %w", i, err)
		}
		p.onPaths[e.Kind]++
	}
	if last := pa.Edges[len(pa.Edges)-1].To; last != pa.Target {
		return fmt.Errorf("ends at %s, not at the target %s", last.ID, pa.Target.ID)
	}
	var pivot *Node
	for _, e := range pa.Edges {
		if e.From.Kind == KindWorkload {
			pivot = e.From
		}
		if e.To.Kind == KindWorkload {
			pivot = e.To
		}
	}
	if pivot != pa.Pivot {
		return fmt.Errorf("pivot %v, want the last workload %v", proofNodeID(pa.Pivot), proofNodeID(pivot))
	}
	if f := pa.Fix; f != nil {
		if f.Hop < 0 || f.Hop >= len(pa.Edges) || pa.Edges[f.Hop].Fix == nil || pa.Edges[f.Hop].Fix.Cost != f.Cost {
			return fmt.Errorf("fix %+v names no fixable hop of the path", *f)
		}
		for i, e := range pa.Edges {
			if e.Fix != nil && e.Fix.Cost < f.Cost && !f.CutsAll {
				return fmt.Errorf("fix of cost %d, but hop %d is cut at cost %d and the fix does not cut every path", f.Cost, i, e.Fix.Cost)
			}
		}
	} else {
		for i, e := range pa.Edges {
			if e.Fix != nil {
				return fmt.Errorf("no fix, but hop %d can be cut", i)
			}
		}
	}
	return nil
}

func proofNodeID(n *Node) string {
	if n == nil {
		return "none"
	}
	return n.ID
}

// proveAll proves every edge of the graph (stored and lateral), the edges the
// analyzers say must be there, and every path of the standard queries; it returns
// the number of paths checked.
func (p *prover) proveAll(t *testing.T, name string) int {
	t.Helper()
	fails := 0
	fail := func(format string, a ...any) {
		if fails++; fails <= 20 {
			t.Errorf(name+": "+format, a...)
		}
	}
	for _, n := range p.g.Nodes {
		for _, e := range p.g.Out(n) {
			if e.From != n {
				fail("edge %s -> %s listed out of %s", e.From.ID, e.To.ID, n.ID)
			}
			if err := p.edge(e); err != nil {
				fail("%v", err)
			}
		}
	}
	p.complete(fail)
	p.grantsChecked = p.completeGrants(fail)
	entries := []string{Internet, AnyPod}
	for _, n := range p.g.Nodes {
		if n.Kind == KindIdentity {
			entries = append(entries, n.ID)
		}
	}
	nss := map[string]bool{}
	for _, w := range p.g.Workloads() {
		if !nss[w.Namespace] && len(nss) < 3 {
			nss[w.Namespace] = true
			entries = append(entries, "namespace:"+w.Namespace)
		}
	}
	checked := 0
	for _, entry := range entries {
		for _, q := range []Query{{From: []string{entry}}, {From: []string{entry}, MaxDepth: 3}} {
			paths, err := p.g.Paths(q)
			if err != nil {
				fail("query from %s: %v", entry, err)
				continue
			}
			for _, pa := range paths {
				checked++
				if err := p.path(q, pa); err != nil {
					fail("path %s: %v", pa.Text(), err)
				}
			}
		}
	}
	if fails > 20 {
		t.Errorf("%s: %d disagreements in all", name, fails)
	}
	return checked
}

// complete checks that the graph has the edges the analyzers prove for what it
// models exactly: exposed workloads, mounted tokens, node-level host access.
func (p *prover) complete(fail func(string, ...any)) {
	has := func(from, to *Node, kind EdgeKind) bool {
		for _, e := range p.g.Out(from) {
			if e.To == to && e.Kind == kind {
				return true
			}
		}
		return false
	}
	internet, node, pod := p.g.Node(Internet), p.g.Node(HostNode), p.g.Node(AnyPod)
	ws := p.g.Workloads()
	for _, w := range ws {
		if pod != nil && p.fromOtherNamespace(w) == nil && !has(pod, w, EdgeNetwork) {
			fail("missing edge pod -network-> %s (its ingress admits pods of another namespace)", w.ID)
		}
		if p.g.Lateral == nil {
			continue
		}
		// Lateral edges: exactly the pairs netpol reach allows (a pod's traffic to
		// itself is not modelled).
		out := map[*Node]bool{}
		for _, e := range p.g.Out(w) {
			if e.Kind == EdgeNetwork && e.To.Kind == KindWorkload {
				out[e.To] = true
			}
		}
		for _, v := range ws {
			if v != w && !out[v] && p.lateral(w, v) == nil {
				fail("missing edge %s -network-> %s (netpol reach allows it)", w.ID, v.ID)
			}
		}
	}
	for _, w := range ws {
		if internet != nil && p.exposed(w) == nil && !has(internet, w, EdgeExposed) {
			fail("missing edge internet -exposed-> %s (routes %v, admitted by netpol reach)", w.ID, p.routesOf(w))
		}
		if node != nil && len(p.hostAccess(w)) > 0 && !has(w, node, EdgeHost) {
			fail("missing edge %s -host-> node (%v)", w.ID, p.hostAccess(w))
		}
	}
	for _, s := range p.rb.Subjects() {
		if s.Kind != rbac.KindServiceAccount {
			continue
		}
		san := p.g.Node(ServiceAccountID(s.Namespace, s.Name))
		for _, w := range p.rb.WorkloadsOf(s) {
			wn := p.g.Node(WorkloadID(finding.ObjectRef{Kind: w.Kind, Namespace: w.Namespace, Name: w.Name}))
			if !w.Token || wn == nil {
				continue
			}
			if san == nil || !has(wn, san, EdgeToken) {
				fail("missing edge %s -token-> %s", wn.ID, ServiceAccountID(s.Namespace, s.Name))
			}
		}
	}
}

// completeGrants checks that every service account whose token some workload
// mounts has a grant edge for each class it holds (rbac can) cluster-wide, and
// in its own namespace for the namespaced classes, when the graph models the
// class at all.
func (p *prover) completeGrants(fail func(string, ...any)) (checked int) {
	modelled := map[string]bool{}
	for _, n := range p.g.Nodes {
		if n.Kind == KindCapability {
			if class, _, err := proofCapability(n); err == nil {
				modelled[class] = true
			}
		}
	}
	var classes []string
	for c := range modelled {
		if _, ok := proofClasses[c]; ok {
			classes = append(classes, c)
		}
	}
	sort.Strings(classes)
	for _, san := range p.g.Nodes {
		if san.Kind != KindServiceAccount {
			continue
		}
		mounted := false
		for _, e := range p.g.In(san) {
			mounted = mounted || e.Kind == EdgeToken
		}
		s, err := proofSubject(san)
		if err != nil || !mounted {
			continue
		}
		held := map[string]bool{}
		for _, e := range p.g.Out(san) {
			if e.Kind == EdgeGrant || e.Kind == EdgeMember {
				held[e.To.ID] = true
			}
		}
		for _, class := range classes {
			if ok, _ := p.holds(s, class, ""); ok {
				checked++
				if !held[CapabilityID(class, "")] {
					fail("missing edge %s -grant-> %s (rbac can: held cluster-wide)", san.ID, CapabilityID(class, ""))
				}
				continue
			}
			if !proofNamespaced[class] && class != "escalate" && class != "bind" {
				continue
			}
			ok, _ := p.holds(s, class, s.Namespace)
			if ok {
				checked++
			}
			if ok && !held[CapabilityID(class, s.Namespace)] {
				fail("missing edge %s -grant-> %s (rbac can: held in its namespace)", san.ID, CapabilityID(class, s.Namespace))
			}
		}
	}
	return checked
}

func (p *prover) routesOf(n *Node) []string {
	w, err := p.workload(n)
	if err != nil {
		return nil
	}
	var out []string
	for _, r := range p.routes(w) {
		out = append(out, r.why+" on "+r.ports.String())
	}
	return out
}

// proofEdgeKinds lists the package's EdgeKind constants, read from its source, so that a
// kind added later is one the proof must exercise too.
func proofEdgeKinds(t *testing.T) []EdgeKind {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []EdgeKind
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "EdgeKind" {
					continue
				}
				for _, v := range vs.Values {
					if lit, ok := v.(*ast.BasicLit); ok {
						s, _ := strconv.Unquote(lit.Value)
						out = append(out, EdgeKind(s))
					}
				}
			}
		}
	}
	if len(out) < 10 {
		t.Fatalf("found %d EdgeKind constants in the package source", len(out))
	}
	return out
}

// proofSeeds are the generated clusters of TestProof (-short: the first).
var proofSeeds = []uint64{1, 2, 3, 4}

// TestProof proves every edge and every path hop on generated clusters and on the
// examples, and that every edge kind was exercised.
func TestProof(t *testing.T) {
	kinds, onPaths := map[EdgeKind]int{}, map[EdgeKind]int{}
	run := func(name string, inv *inventory.Inventory) {
		g := Build(inv, Options{})
		p := newProver(t, inv, g)
		n := p.proveAll(t, name)
		t.Logf("%s: %d nodes, %d paths checked, %d held classes' grants looked for, edges proven by kind %v", name, len(g.Nodes), n, p.grantsChecked, p.kinds)
		for k, c := range p.kinds {
			kinds[k] += c
		}
		for k, c := range p.onPaths {
			onPaths[k] += c
		}
	}
	seeds := proofSeeds
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		s := pathgen.Small(seed)
		run(s.String()+fmt.Sprintf("/seed=%d", seed), loadYAML(t, s.YAML()))
	}
	for _, dir := range []string{"insecure", "hardened"} {
		run("examples/"+dir, load(t, filepath.Join("..", "..", "examples", dir)))
	}
	var missing, notOnPaths []string
	for _, k := range proofEdgeKinds(t) {
		if kinds[k] == 0 {
			missing = append(missing, string(k))
		}
		if onPaths[k] == 0 {
			notOnPaths = append(notOnPaths, string(k))
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("edge kinds never exercised (no such edge in any generated cluster or example): %s", strings.Join(missing, ", "))
	}
	if len(notOnPaths) > 0 {
		t.Logf("edge kinds on no reported path: %s", strings.Join(notOnPaths, ", "))
	}
}

// TestProofCatches makes sure the proof can fail: edges the analyzers do not prove,
// added to a real graph, are each refused.
func TestProofCatches(t *testing.T) {
	inv := loadYAML(t, pathgen.Small(1).YAML())
	g := Build(inv, Options{})
	p := newProver(t, inv, g)
	ws := g.Workloads()
	var closed, quiet, noToken *Node
	var noTokenSA string
	for _, w := range ws {
		nw, _ := p.workload(w)
		if nw == nil {
			continue
		}
		if closed == nil && len(p.routes(nw)) == 0 {
			closed = w
		}
		if quiet == nil && len(p.hostAccess(w)) == 0 {
			quiet = w
		}
	}
	for _, s := range p.rb.Subjects() {
		for _, w := range p.rb.WorkloadsOf(s) {
			if !w.Token && noToken == nil && s.Kind == rbac.KindServiceAccount {
				noToken = g.Node(WorkloadID(finding.ObjectRef{Kind: w.Kind, Namespace: w.Namespace, Name: w.Name}))
				noTokenSA = ServiceAccountID(s.Namespace, s.Name)
			}
		}
	}
	if closed == nil || quiet == nil || noToken == nil {
		t.Fatalf("the generated cluster lacks a closed workload (%v), one without host access (%v) or without token (%v)", closed, quiet, noToken)
	}
	nobody := g.Add(Node{ID: "identity:user:nobody-at-all", Kind: KindIdentity, Label: "User nobody-at-all"})
	capn := g.Add(Node{ID: CapabilityID("secrets", "ns-000"), Kind: KindCapability, Label: "secrets"})
	restricted := g.Add(Node{ID: CapabilityID("pods", "ns-000"), Kind: KindCapability, Label: "pods in ns-000"})
	bad := []Edge{
		{From: g.Node(Internet), To: closed, Kind: EdgeExposed},
		{From: quiet, To: g.Node(HostNode), Kind: EdgeHost},
		{From: noToken, To: g.Add(Node{ID: noTokenSA, Kind: KindServiceAccount}), Kind: EdgeToken},
		{From: nobody, To: capn, Kind: EdgeMember},
		{From: g.Node(ServiceAccountID("ns-000", "sa-0")), To: g.Add(Node{ID: CapabilityID("admin", ""), Kind: KindCapability}), Kind: EdgeGrant},
		{From: g.Add(Node{ID: "secrets:ns-001", Kind: KindSecrets}), To: g.Add(Node{ID: ServiceAccountID("ns-001", "sa-2"), Kind: KindServiceAccount}), Kind: EdgeSecretToken},
		// ns-000 enforces restricted: creating pods there gives no node.
		{From: restricted, To: g.Node(HostNode), Kind: EdgeCreatePod},
		{From: capn, To: g.Add(Node{ID: ClusterAdmin, Kind: KindClusterAdmin}), Kind: EdgeEscalate},
		{From: capn, To: g.Add(Node{ID: "secrets:ns-002", Kind: KindSecrets}), Kind: EdgeReadSecrets},
	}
	// A pair of workloads netpol reach denies, and a workload no pod of another
	// namespace reaches.
	var denied *Edge
	var isolated *Node
	for _, a := range ws {
		if p.fromOtherNamespace(a) != nil && isolated == nil {
			isolated = a
		}
		for _, b := range ws {
			if a != b && denied == nil && p.lateral(a, b) != nil {
				denied = &Edge{From: a, To: b, Kind: EdgeNetwork}
			}
		}
	}
	if denied == nil || isolated == nil {
		t.Fatalf("the generated cluster has no denied pair (%v) or isolated workload (%v)", denied, isolated)
	}
	bad = append(bad, *denied, Edge{From: g.Node(AnyPod), To: isolated, Kind: EdgeNetwork})
	// Holders for the capabilities above: a proofSubject that holds nothing.
	g.Connect(Edge{From: nobody, To: restricted, Kind: EdgeMember})
	g.Connect(Edge{From: nobody, To: capn, Kind: EdgeMember})
	for i, e := range bad {
		if e.From == nil || e.To == nil {
			t.Fatalf("bad edge %d: missing node", i)
		}
		e.Analyzer, e.Evidence = "test", []string{"made up"}
		if err := p.prove(&e); err == nil {
			t.Errorf("bad edge %d %s -%s-> %s: proven", i, e.From.ID, e.Kind, e.To.ID)
		} else {
			t.Logf("refused: %v", err)
		}
	}
}
