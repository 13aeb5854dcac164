package network

// Network exposure rules (PAL-401..PAL-419) look at how Services and Ingresses open
// workloads to traffic from outside the cluster. What they share lives here: which API
// objects they accept, how a Service is exposed, and which load balancers a cloud
// provider keeps on the private network.

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
)

const (
	catNetworkExposure = "network"

	nsaNetSeparation = "Network separation and hardening"
	nsaNetNodes      = "Network separation and hardening: worker node segmentation"

	refServiceTypes  = "https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types"
	refIngress       = "https://kubernetes.io/docs/concepts/services-networking/ingress/"
	refIngressTLS    = "https://kubernetes.io/docs/concepts/services-networking/ingress/#tls"
	refLBSourceRange = "https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/#restrict-access-for-loadbalancer-service"

	// annLBSourceRanges is the older, annotation form of loadBalancerSourceRanges that
	// cloud providers still honour when the field is empty.
	annLBSourceRanges = "service.beta.kubernetes.io/load-balancer-source-ranges"
)

func exposureFrameworks(nsa ...string) rules.Frameworks {
	return rules.Frameworks{NSA: nsa, Layer: layerCluster}
}

// decodeCoreService decodes o when it is a core/v1 Service; other groups can define a
// kind called Service (Knative's serving.knative.dev Service is one) with another
// shape. ok is false when o is not a core Service or does not decode (then the rule
// has already called p.Fail).
func decodeCoreService(p *rules.Pass, o *inventory.Object) (*corev1.Service, bool) {
	if o.Group() != "" {
		return nil, false
	}
	var svc corev1.Service
	if err := o.Decode(&svc); err != nil {
		p.Fail(err)
		return nil, false
	}
	return &svc, true
}

// svcType is the Service's type with the API server's default applied.
func svcType(svc *corev1.Service) corev1.ServiceType {
	if svc.Spec.Type == "" {
		return corev1.ServiceTypeClusterIP
	}
	return svc.Spec.Type
}

// externalIPsEffective reports whether kube-proxy programs the Service's externalIPs:
// it ignores ExternalName and headless Services, which have no cluster IP to forward to.
func externalIPsEffective(svc *corev1.Service) bool {
	if len(svc.Spec.ExternalIPs) == 0 || svcType(svc) == corev1.ServiceTypeExternalName {
		return false
	}
	return svc.Spec.ClusterIP != corev1.ClusterIPNone
}

// serviceExposures describes every way a Service is reachable from outside the
// cluster network, in words for messages; nil when it is only reachable inside.
func serviceExposures(p *rules.Pass, o *inventory.Object, svc *corev1.Service) []string {
	var ways []string
	switch svcType(svc) {
	case corev1.ServiceTypeNodePort:
		ways = append(ways, "a NodePort on every node")
	case corev1.ServiceTypeLoadBalancer:
		if internalLoadBalancer(p, o, svc) {
			ways = append(ways, "an internal load balancer")
		} else {
			ways = append(ways, "a load balancer")
		}
	}
	if externalIPsEffective(svc) {
		ways = append(ways, "external IPs "+strings.Join(svc.Spec.ExternalIPs, ", "))
	}
	return ways
}

// defaultInternalLBAnnotations mark a load balancer that the major cloud providers
// create with private addresses only.
var defaultInternalLBAnnotations = []string{
	"service.beta.kubernetes.io/aws-load-balancer-internal",
	"service.beta.kubernetes.io/aws-load-balancer-scheme=internal",
	"networking.gke.io/load-balancer-type=Internal",
	"cloud.google.com/load-balancer-type=Internal",
	"service.beta.kubernetes.io/azure-load-balancer-internal=true",
	"service.beta.kubernetes.io/oci-load-balancer-internal=true",
	"oci-network-load-balancer.oraclecloud.com/internal=true",
	"service.beta.kubernetes.io/openstack-internal-load-balancer=true",
	"service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type=private",
	"service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type=intranet",
}

const (
	annAWSLBType   = "service.beta.kubernetes.io/aws-load-balancer-type"
	annAWSLBScheme = "service.beta.kubernetes.io/aws-load-balancer-scheme"
	awsLBCClass    = "service.k8s.aws/nlb"
)

// internalLoadBalancer reports whether a LoadBalancer Service asks for a load
// balancer on the private network only: one of PAL-402's internalAnnotations matches,
// or the AWS Load Balancer Controller handles the Service (aws-load-balancer-type
// external or nlb-ip, or loadBalancerClass service.k8s.aws/nlb) without asking for the
// internet-facing scheme, since that controller creates internal NLBs by default.
func internalLoadBalancer(p *rules.Pass, o *inventory.Object, svc *corev1.Service) bool {
	if annotationListMatches(p.StringsOf("PAL-402", "internalAnnotations"), o.Annotations) {
		return true
	}
	lbc := svc.Spec.LoadBalancerClass != nil && *svc.Spec.LoadBalancerClass == awsLBCClass
	switch strings.TrimSpace(o.Annotations[annAWSLBType]) {
	case "external", "nlb-ip":
		lbc = true
	}
	return lbc && !strings.EqualFold(strings.TrimSpace(o.Annotations[annAWSLBScheme]), "internet-facing")
}

// annotationListMatches reports whether any entry of specs matches the annotations.
// An entry is key=value (the value compared case-insensitively) or a bare key, which
// matches any value except empty and "false".
func annotationListMatches(specs []string, annotations map[string]string) bool {
	for _, spec := range specs {
		key, want, hasValue := strings.Cut(strings.TrimSpace(spec), "=")
		v, ok := annotations[key]
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if hasValue && strings.EqualFold(v, want) || !hasValue && v != "" && !strings.EqualFold(v, "false") {
			return true
		}
	}
	return false
}

func svcPortPath(i int) string { return "spec.ports" + indexSuffix(i) }

// svcTargetPortNumber returns the number of a Service port's targetPort, 0 when it is a
// named container port (whose number only the selected pods know) or unset.
func svcTargetPortNumber(sp *corev1.ServicePort) int {
	if sp.TargetPort.IntVal != 0 {
		return int(sp.TargetPort.IntVal)
	}
	if n, err := strconv.Atoi(sp.TargetPort.StrVal); err == nil {
		return n
	}
	return 0
}

// svcPortString renders a Service port for messages: "80/TCP (http)".
func svcPortString(sp *corev1.ServicePort) string {
	proto := sp.Protocol
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	s := fmt.Sprintf("%d/%s", sp.Port, proto)
	if sp.Name != "" {
		s += " (" + sp.Name + ")"
	}
	return s
}

// exposureJoin joins words for a message: "a", "a and b", "a, b and c".
func exposureJoin(ws []string) string {
	switch len(ws) {
	case 0:
		return ""
	case 1:
		return ws[0]
	}
	return strings.Join(ws[:len(ws)-1], ", ") + " and " + ws[len(ws)-1]
}
