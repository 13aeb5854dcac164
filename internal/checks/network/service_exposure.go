package network

// A Service is the unit of network exposure in Kubernetes. ClusterIP keeps it inside
// the cluster network; NodePort opens it on every node's address, LoadBalancer hands
// it to a cloud load balancer that by default accepts any source address, and
// externalIPs make every node answer for addresses the cluster does not own — which
// also lets whoever can create Services intercept traffic meant for those addresses
// (CVE-2020-8554).

import (
	"fmt"
	"net"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-401", Title: "Service of type NodePort", Severity: medium, Category: catNetworkExposure,
			Rationale: "A NodePort Service listens on a port of every node's address, so the workload is reachable by anyone who can reach any node, " +
				"bypassing the load balancer or ingress controller where TLS, authentication and source-address filtering usually live. " +
				"Node addresses are often routable from far more networks than intended. " +
				"(LoadBalancer Services also allocate node ports; PAL-402 covers them.)",
			Remediation: "Use a ClusterIP Service behind an Ingress or Gateway, or a LoadBalancer Service with loadBalancerSourceRanges; " +
				"if node ports are truly needed, firewall the node port range to known sources.",
			References: []string{refServiceTypes},
			Frameworks: exposureFrameworks(nsaNetNodes),
		},
		Kinds: []string{"Service"},
		Object: func(p *rules.Pass, o *inventory.Object) {
			svc, ok := decodeCoreService(p, o)
			if !ok || svcType(svc) != corev1.ServiceTypeNodePort {
				return
			}
			var ports []string
			for i := range svc.Spec.Ports {
				sp := &svc.Spec.Ports[i]
				np := "an allocated node port"
				if sp.NodePort != 0 {
					np = fmt.Sprintf("node port %d", sp.NodePort)
				}
				ports = append(ports, svcPortString(sp)+" on "+np)
			}
			msg := "spec.type is NodePort: the Service is opened on every node's address"
			if len(ports) > 0 {
				msg += " (" + strings.Join(ports, ", ") + ")"
			}
			p.Report("spec.type", "", "%s", msg)
		},
	})

	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-402", Title: "LoadBalancer Service open to any source address", Severity: medium, Category: catNetworkExposure,
			Rationale: "A LoadBalancer Service without spec.loadBalancerSourceRanges (or with a range of 0.0.0.0/0 or ::/0) gets a cloud load balancer " +
				"that accepts connections from the whole internet. Exposure to everyone should be a deliberate decision, not the default. " +
				"Load balancers the cloud keeps on the private network (the internal-load-balancer annotations of AWS, Google Cloud, Azure, " +
				"Oracle Cloud, OpenStack, IBM Cloud and Alibaba Cloud, and the AWS Load Balancer Controller's default internal scheme) are not reported: " +
				"they are not reachable from the internet. PAL-404 still reports sensitive ports on them.",
			Remediation: "Set spec.loadBalancerSourceRanges to the client networks that need access, or make the load balancer internal; " +
				"for an intentionally public entry point, suppress the finding with a reason.",
			References: []string{refLBSourceRange, refServiceTypes},
			Frameworks: exposureFrameworks(nsaNetSeparation),
			Params: []rules.Param{{Name: "internalAnnotations",
				Description: "Annotations that make a cloud load balancer internal, as key=value (value compared case-insensitively) or a bare key " +
					"(any value except empty and \"false\", as the AWS in-tree provider reads aws-load-balancer-internal).",
				Default: defaultInternalLBAnnotations}},
		},
		Kinds: []string{"Service"},
		Object: func(p *rules.Pass, o *inventory.Object) {
			svc, ok := decodeCoreService(p, o)
			if !ok || svcType(svc) != corev1.ServiceTypeLoadBalancer || internalLoadBalancer(p, o, svc) {
				return
			}
			ranges, base := svc.Spec.LoadBalancerSourceRanges, "spec.loadBalancerSourceRanges"
			if len(ranges) == 0 {
				if ann := strings.TrimSpace(o.Annotations[annLBSourceRanges]); ann != "" {
					base = inventory.FieldPath("metadata.annotations", annLBSourceRanges)
					for _, r := range strings.Split(ann, ",") {
						ranges = append(ranges, strings.TrimSpace(r))
					}
				}
			}
			if len(ranges) == 0 {
				path := "spec.type"
				if _, set := o.Lines.Line(base); set {
					path = base
				}
				var ports []string
				for i := range svc.Spec.Ports {
					ports = append(ports, svcPortString(&svc.Spec.Ports[i]))
				}
				p.Report(path, "", "spec.type is LoadBalancer without spec.loadBalancerSourceRanges: the load balancer accepts %s from any address",
					svcPortsPhrase(ports))
				return
			}
			for i, r := range ranges {
				if lbOpenRange(r) {
					if strings.HasPrefix(base, "spec.") {
						p.Report(base+indexSuffix(i), "", "%s%s is %s: the load balancer accepts traffic from any address", base, indexSuffix(i), r)
					} else {
						p.Report(base, "", "annotation %s includes %s: the load balancer accepts traffic from any address", annLBSourceRanges, r)
					}
				}
			}
		},
	})

	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-403", Title: "Service with externalIPs", Severity: high, Category: catNetworkExposure,
			Rationale: "Every node forwards traffic for a Service's spec.externalIPs to the Service, whoever owns those addresses. " +
				"Anyone who can create or edit Services can therefore claim any IP address, including other tenants' or external services', " +
				"and intercept the cluster's traffic to it (CVE-2020-8554, which Kubernetes cannot fix in the API). " +
				"Ordinary workloads should not need the field at all.",
			Remediation: "Remove spec.externalIPs and use a LoadBalancer Service or an Ingress; enable the DenyServiceExternalIPs admission plugin " +
				"(or an admission policy that allows only approved addresses) so nobody can set it.",
			References: []string{"https://github.com/kubernetes/kubernetes/issues/97076",
				"https://kubernetes.io/docs/concepts/services-networking/service/#external-ips"},
			Frameworks: exposureFrameworks(nsaNetSeparation),
		},
		Kinds: []string{"Service"},
		Object: func(p *rules.Pass, o *inventory.Object) {
			svc, ok := decodeCoreService(p, o)
			if !ok || !externalIPsEffective(svc) {
				return
			}
			p.Report("spec.externalIPs", "", "spec.externalIPs is [%s]: every node accepts and forwards traffic for these addresses to the Service",
				strings.Join(svc.Spec.ExternalIPs, ", "))
		},
	})
}

// lbOpenRange reports whether a source range admits every address (a /0 prefix).
func lbOpenRange(r string) bool {
	_, n, err := net.ParseCIDR(strings.TrimSpace(r))
	if err != nil {
		return false
	}
	ones, _ := n.Mask.Size()
	return ones == 0
}

func svcPortsPhrase(ports []string) string {
	switch len(ports) {
	case 0:
		return "traffic"
	case 1:
		return "port " + ports[0]
	}
	return "ports " + exposureJoin(ports)
}
