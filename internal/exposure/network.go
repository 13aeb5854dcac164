package exposure

// Network reach: the internet level comes from what routes traffic from outside the
// cluster network to the pods (Services of type NodePort or LoadBalancer or with
// externalIPs, Ingresses, host ports, the host network); the cluster, namespace and
// none levels from the NetworkPolicy analysis of internal/netpol (the policies that
// isolate the pods' class for ingress, and what their rules allow).

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/netpol"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// service is a core Service that selects pods.
type service struct {
	name     string
	selector labels.Selector
	// outside are the ways it is reachable from outside the cluster network
	// ("NodePort Service shop/web"); empty for a ClusterIP Service.
	outside []string
}

// routes are the Services of each namespace that select pods, and the Ingresses that
// route to each Service (by namespace, then Service name).
type routes struct {
	services map[string][]service
	ingress  map[string]map[string][]string
}

func buildRoutes(inv *inventory.Inventory) *routes {
	r := &routes{services: map[string][]service{}, ingress: map[string]map[string][]string{}}
	for _, o := range inv.Objects {
		switch {
		case o.Ref.Kind == "Service" && o.Group() == "":
			if s, ok := decodeService(o); ok {
				r.services[o.Ref.Namespace] = append(r.services[o.Ref.Namespace], s)
			}
		case o.Ref.Kind == "Ingress" && (o.Group() == "networking.k8s.io" || o.Group() == "extensions") && o.Body != nil:
			name := "Ingress " + o.Ref.Namespace + "/" + o.Ref.Name
			for _, svc := range ingressBackends(o.Body) {
				m := r.ingress[o.Ref.Namespace]
				if m == nil {
					m = map[string][]string{}
					r.ingress[o.Ref.Namespace] = m
				}
				if l := m[svc]; len(l) == 0 || l[len(l)-1] != name {
					m[svc] = append(l, name)
				}
			}
		}
	}
	return r
}

// decodeService reads a Service that selects pods; ok is false for one that selects
// none (no selector: its endpoints are managed by hand) or does not decode.
func decodeService(o *inventory.Object) (service, bool) {
	var svc corev1.Service
	if o.Body == nil || o.Decode(&svc) != nil || len(svc.Spec.Selector) == 0 {
		return service{}, false
	}
	s := service{name: o.Ref.Namespace + "/" + o.Ref.Name, selector: labels.SelectorFromSet(svc.Spec.Selector)}
	switch svc.Spec.Type {
	case corev1.ServiceTypeNodePort:
		s.outside = append(s.outside, "NodePort Service "+s.name)
	case corev1.ServiceTypeLoadBalancer:
		// A load balancer limited to some source ranges (or kept internal by a cloud
		// annotation) is still reached from outside the cluster network: the reason
		// names the ranges, the score does not guess who is in them.
		lb := "LoadBalancer Service " + s.name
		if len(svc.Spec.LoadBalancerSourceRanges) > 0 {
			lb += " (source ranges " + strings.Join(svc.Spec.LoadBalancerSourceRanges, ", ") + ")"
		}
		s.outside = append(s.outside, lb)
	case corev1.ServiceTypeExternalName:
		return service{}, false
	}
	// kube-proxy ignores the externalIPs of headless Services.
	if len(svc.Spec.ExternalIPs) > 0 && svc.Spec.ClusterIP != corev1.ClusterIPNone {
		s.outside = append(s.outside, fmt.Sprintf("Service %s externalIPs %s", s.name, strings.Join(svc.Spec.ExternalIPs, ", ")))
	}
	return s, true
}

// ingressBackends lists the Services an Ingress routes to (networking.k8s.io/v1
// backend.service.name, and the serviceName of the older versions), in order, each
// once. Malformed entries are skipped: such an Ingress does not decode anyway.
func ingressBackends(body map[string]any) []string {
	var out []string
	seen := map[string]bool{}
	add := func(b any) {
		bm, _ := b.(map[string]any)
		name, _ := bm["serviceName"].(string)
		if svc, ok := bm["service"].(map[string]any); ok {
			name, _ = svc["name"].(string)
		}
		if name != "" && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	spec, _ := body["spec"].(map[string]any)
	add(spec["defaultBackend"])
	add(spec["backend"])
	rules, _ := spec["rules"].([]any)
	for _, r := range rules {
		rm, _ := r.(map[string]any)
		http, _ := rm["http"].(map[string]any)
		paths, _ := http["paths"].([]any)
		for _, p := range paths {
			pm, _ := p.(map[string]any)
			add(pm["backend"])
		}
	}
	return out
}

// network is the workload's network level and its reasons.
func (m *model) network(ref finding.ObjectRef, o *inventory.Object, h *workload.PodHost) (string, []string) {
	nw := m.net.Workload(ref.Namespace, ref.Kind, ref.Name)
	var podLabels labels.Set
	switch {
	case nw != nil:
		podLabels = nw.Labels
	case o != nil:
		if l, ok := workload.PodLabelsFact.Of(o); ok {
			podLabels = l
		} else if l, ok := m.finder.PodLabels(o); ok {
			podLabels = l
		}
	}
	if why := m.outside(ref.Namespace, podLabels, o, h); len(why) > 0 {
		return Internet, why
	}
	if nw == nil || nw.Class == nil {
		return Cluster, []string{"its pods are not known to the NetworkPolicy analysis (no pod template was read)"}
	}
	return m.policyReach(nw)
}

// outside lists what routes traffic from outside the cluster network to the pods.
func (m *model) outside(ns string, podLabels labels.Set, o *inventory.Object, h *workload.PodHost) []string {
	var why []string
	hostNetwork := false
	if h != nil {
		hostNetwork = h.HostNetwork
	} else if o != nil {
		if pn, _ := workload.PodNetworkFact.Of(o); pn != nil {
			hostNetwork = pn.HostNetwork
		}
	}
	if hostNetwork {
		why = append(why, "hostNetwork: the pods listen on the node's addresses")
	}
	if h != nil {
		for _, c := range h.Containers {
			for _, p := range c.HostPorts {
				proto := p.Protocol
				if proto == "" {
					proto = string(corev1.ProtocolTCP)
				}
				why = append(why, fmt.Sprintf("host port %d/%s (container %s)", p.Port, proto, c.Name))
			}
		}
	}
	if podLabels == nil {
		return why
	}
	for _, s := range m.routes.services[ns] {
		if !s.selector.Matches(podLabels) {
			continue
		}
		why = append(why, s.outside...)
		_, svcName, _ := strings.Cut(s.name, "/")
		for _, ing := range m.routes.ingress[ns][svcName] {
			why = append(why, ing+" (Service "+s.name+")")
		}
	}
	return why
}

// policyReach is the level the NetworkPolicies that isolate the workload's pods for
// ingress allow, with the policy rules that allow it.
func (m *model) policyReach(nw *netpol.Workload) (string, []string) {
	c := nw.Class
	isolating := c.Isolating[netpol.Ingress]
	if len(isolating) == 0 {
		return Cluster, []string{"no NetworkPolicy selects its pods for ingress"}
	}
	var cluster, namespace []string
	for _, p := range isolating {
		for _, r := range p.Rules[netpol.Ingress] {
			if !r.Effective() {
				continue
			}
			if r.AllPeers {
				cluster = append(cluster, r.String()+" allows every source")
				continue
			}
			for _, peer := range r.Peers {
				switch {
				case peer.IPBlock != nil:
					cluster = append(cluster, fmt.Sprintf("%s allows ipBlock %s", r.String(), peer.IPBlock))
				case peer.Namespaces == nil:
					namespace = append(namespace, r.String()+" allows pods of namespace "+p.Namespace)
				case peer.Namespaces.Empty():
					cluster = append(cluster, r.String()+" allows pods of every namespace")
				default:
					if other := m.otherNamespaces(p.Namespace, peer.Namespaces); len(other) > 0 {
						cluster = append(cluster, fmt.Sprintf("%s allows pods of namespace %s", r.String(), strings.Join(other, ", ")))
					} else {
						namespace = append(namespace, fmt.Sprintf("%s allows pods of namespaces matching %s (only %s in the input)", r.String(), peer.Namespaces, p.Namespace))
					}
				}
			}
		}
	}
	switch {
	case len(cluster) > 0:
		return Cluster, dedupe(cluster)
	case len(namespace) > 0:
		return Namespace, dedupe(namespace)
	}
	names := make([]string, len(isolating))
	for i, p := range isolating {
		names[i] = p.String()
	}
	return None, []string{"NetworkPolicy " + strings.Join(names, ", ") + " isolates its pods for ingress and allows nothing"}
}

// maxNamespacesNamed bounds the namespaces a reason names.
const maxNamespacesNamed = 3

// otherNamespaces lists the namespaces of the input other than own that a
// namespaceSelector matches (the first few, then how many more).
func (m *model) otherNamespaces(own string, sel labels.Selector) []string {
	var out []string
	for _, n := range m.net.Namespaces {
		if n.Name != own && sel.Matches(n.Labels) {
			out = append(out, n.Name)
		}
	}
	sort.Strings(out)
	if len(out) > maxNamespacesNamed {
		out = append(out[:maxNamespacesNamed], fmt.Sprintf("and %d more", len(out)-maxNamespacesNamed))
	}
	return out
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
