package network

// Some services must never face networks outside the cluster: remote shells, the
// Docker Engine API (unauthenticated on 2375, it is root on the node), the kubelet
// and etcd APIs (node and cluster takeover), and databases and caches, which are
// scanned for and ransomed within hours of appearing on the internet, often with no
// authentication at all. The Kubernetes API server (6443) is not in the default list:
// it is built to face clients, authenticates and authorizes every request, and an API
// load balancer is the normal way to reach a highly available control plane.

import (
	"strconv"
	"strings"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// sensitivePortNames names the default sensitive ports in messages.
var sensitivePortNames = map[int]string{
	22:    "SSH",
	2375:  "Docker Engine API",
	2376:  "Docker Engine API over TLS",
	2379:  "etcd client API",
	2380:  "etcd peer API",
	10250: "kubelet API",
	10255: "kubelet read-only API",
	1433:  "Microsoft SQL Server",
	1521:  "Oracle Database",
	3306:  "MySQL/MariaDB",
	5432:  "PostgreSQL",
	5984:  "CouchDB",
	6379:  "Redis",
	9042:  "Cassandra CQL",
	9200:  "Elasticsearch/OpenSearch HTTP API",
	9300:  "Elasticsearch transport",
	11211: "Memcached",
	27017: "MongoDB",
}

var defaultSensitivePorts = []string{
	"22", "2375", "2376", "2379", "2380", "10250", "10255",
	"1433", "1521", "3306", "5432", "5984", "6379", "9042", "9200", "9300", "11211", "27017",
}

func sensitivePortLabel(n int) string {
	if s, ok := sensitivePortNames[n]; ok {
		return s
	}
	return "sensitive port"
}

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-404", Title: "Sensitive port exposed outside the cluster", Severity: high, Category: catNetworkExposure,
			Rationale: "A NodePort or LoadBalancer Service, or one with externalIPs, makes its ports reachable from outside the cluster network. " +
				"On SSH, the Docker Engine API, the kubelet or etcd APIs, or a database or cache port, that is a direct path to node takeover or data theft: " +
				"these services are scanned for continuously and often run without authentication. " +
				"A port matches when the Service's port or its numeric targetPort is in the list; a named targetPort is matched by the Service port only, " +
				"since its number is known only to the selected pods. The Kubernetes API server port (6443) is not sensitive by default: it is meant to face clients.",
			Remediation: "Keep the Service ClusterIP and reach it through the cluster network, a VPN, a bastion or kubectl port-forward; " +
				"if it must be reachable from outside, use an internal load balancer restricted with loadBalancerSourceRanges and require authentication and TLS.",
			References: []string{refServiceTypes, "https://kubernetes.io/docs/reference/networking/ports-and-protocols/"},
			Frameworks: exposureFrameworks(nsaNetSeparation, nsaNetControl),
			Params: []rules.Param{{Name: "sensitivePorts", Syntax: rules.Port,
				Description: "Port numbers that must not be exposed outside the cluster (SSH, Docker Engine API, etcd, kubelet and common databases by default).",
				Default:     defaultSensitivePorts}},
		},
		Kinds: []string{"Service"},
		Object: func(p *rules.Pass, o *inventory.Object) {
			svc, ok := decodeCoreService(p, o)
			if !ok {
				return
			}
			ways := serviceExposures(p, o, svc)
			if len(ways) == 0 {
				return
			}
			sensitive := map[int]bool{}
			for _, s := range p.Strings("sensitivePorts") {
				if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 {
					sensitive[n] = true
				}
			}
			how := exposureJoin(ways)
			for i := range svc.Spec.Ports {
				sp := &svc.Spec.Ports[i]
				port, target := int(sp.Port), svcTargetPortNumber(sp)
				switch {
				case sensitive[port]:
					p.Report(svcPortPath(i)+".port", "", "%s.port %d (%s) is exposed outside the cluster through %s",
						svcPortPath(i), port, sensitivePortLabel(port), how)
				case target != 0 && sensitive[target]:
					p.Report(svcPortPath(i)+".targetPort", "", "%s.targetPort %d (%s) is exposed outside the cluster as port %d through %s",
						svcPortPath(i), target, sensitivePortLabel(target), port, how)
				}
			}
		},
	})
}
