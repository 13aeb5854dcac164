// Package exposure says what a cluster exposes of a workload: how far its pods can be
// reached (Services, Ingresses, host ports, NetworkPolicy analysis), what its service
// account can do (rbac risks) and what host access it has, and scores it with one
// documented formula, so that findings in the images it runs can be ranked.
//
// # Formula
//
// A workload's score is network + identity + host (0..11); an image's is the highest
// score of the workloads that run it. Every term names its reasons (WorkloadExposure's
// NetworkWhy, Identity and Host), so the score is explained.
//
// Network, how far the pods can be reached (the highest level that applies):
//
//	internet  4  a NodePort or LoadBalancer Service, or one with externalIPs, selects
//	             its pods; an Ingress routes to a Service that selects them; a
//	             container declares a hostPort; the pods use the host network
//	cluster   2  from other namespaces: no NetworkPolicy selects the pods for
//	             ingress, or one that does allows every source, an ipBlock, or pods
//	             of a namespace other than its own (an empty namespaceSelector, or
//	             one matching another namespace of the input)
//	namespace 1  only from pods of its own namespace
//	none      0  policies isolate the pods for ingress and allow nothing
//
// Ports are not weighed: a path on any port is a path.
//
// Identity, what the pods' service account token can do (0 when no token is
// mounted), the highest of the capabilities the account holds, by the RBAC risk
// analysis of internal/rbac over every binding naming it or a group it is in:
//
//	4  every permission cluster-wide ("cluster-admin equivalent"); cluster-wide
//	   paths to it: escalate or bind roles, impersonate, nodes/proxy, approving
//	   client certificates
//	3  the same in some namespaces only (namespace admin); cluster-wide: read
//	   secrets, create pods or pod controllers, exec into pods, create service
//	   account tokens, change admission control, create PersistentVolumes
//	2  in some namespaces only: read secrets, create pods, exec into pods, create
//	   tokens; cluster-wide: write RBAC objects, modify nodes
//	1  write RBAC objects in some namespaces only
//
// A capability held in kube-system counts as cluster-wide (the controllers' tokens
// live there).
//
// Host, what the pods hold of their node, as internal/workload records it
// (workload.PodHostFact; a container's hostProcess is the effective one, the pod's
// unless the container sets it), the highest that applies:
//
//	3  a privileged or Windows HostProcess container, hostPID, an added
//	   capability ALL, SYS_ADMIN, SYS_MODULE, SYS_RAWIO, DAC_READ_SEARCH or BPF, a
//	   hostPath volume of / or of a node directory that holds the node's
//	   credentials, runtime sockets or kernel interfaces (/etc, /proc, /sys, /dev,
//	   /boot, /root, /run, /var/run, /var/lib/kubelet, /var/lib/docker,
//	   /var/lib/containerd, /var/lib/etcd, /var/log)
//	2  hostIPC, any other hostPath volume, an added capability NET_ADMIN,
//	   SYS_PTRACE, SYS_BOOT, SYS_TIME, PERFMON, SYSLOG or SYS_RESOURCE
//	1  hostNetwork (its reach is the network term's)
//
// Image reads the inventory through one index (Needs): a rule that calls it lists
// Needs in its Rule.Needs, so that Services, Ingresses, NetworkPolicies and RBAC
// objects are decoded and kept; of the objects that run pods it reads only the facts
// recorded while they were decoded (workload.PodLabelsFact, PodNetworkFact,
// PodIdentityFact, PodHostFact), so their bodies are not kept. The analyses are
// built once per inventory, on the first image that workloads run, and each
// workload's exposure once.
package exposure

import (
	"sync"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/netpol"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// The network levels of WorkloadExposure.Network and their scores.
const (
	Internet  = "internet"
	Cluster   = "cluster"
	Namespace = "namespace"
	None      = "none"
)

// NetworkScore is the network term of the formula for a level.
func NetworkScore(level string) int {
	switch level {
	case Internet:
		return 4
	case Cluster:
		return 2
	case Namespace:
		return 1
	}
	return 0
}

// Formula is the formula in one paragraph, for rule documentation (the rationale of
// a rule that reports exposures, docs/rules.md).
const Formula = "Exposure score = network + identity + host, 0 to 11, per workload; an image scores its most exposed workload. " +
	"Network: internet 4 (a NodePort or LoadBalancer Service or externalIPs selects the pods, an Ingress routes to such a Service, a hostPort, hostNetwork), " +
	"cluster 2 (no NetworkPolicy isolates the pods for ingress, or one allows every source, an ipBlock or another namespace), " +
	"namespace 1 (only pods of its namespace), none 0 (isolated, nothing allowed). " +
	"Identity, when the pods mount a service account token: 4 for every permission cluster-wide or a cluster-wide path to it (escalate, bind, impersonate, nodes/proxy, client certificates), " +
	"3 for those in a namespace or for reading secrets, creating pods, exec, creating tokens, admission control or PersistentVolumes cluster-wide (kube-system counts as cluster-wide), " +
	"2 for reading secrets, creating pods, exec or tokens in a namespace, or writing RBAC or nodes cluster-wide, 1 for writing RBAC in a namespace. " +
	"Host: 3 for a privileged or HostProcess container, hostPID, capabilities ALL, SYS_ADMIN, SYS_MODULE, SYS_RAWIO, DAC_READ_SEARCH or BPF, or a hostPath of / or a sensitive node directory; " +
	"2 for hostIPC, another hostPath, or capabilities NET_ADMIN, SYS_PTRACE, SYS_BOOT, SYS_TIME, PERFMON, SYSLOG or SYS_RESOURCE; 1 for hostNetwork."

// MaxScore is the highest score a workload can have.
const MaxScore = 4 + maxIdentity + maxHost

// Image is the exposure of an image run by workloads (ImageInfo.Workloads): each
// workload's, and the highest score. nil when no workload runs it.
func Image(inv *inventory.Inventory, workloads []finding.ObjectRef) *finding.Exposure {
	if inv == nil || len(workloads) == 0 {
		return nil
	}
	ix := inventory.Get(inv, index)
	e := &finding.Exposure{Workloads: make([]finding.WorkloadExposure, 0, len(workloads))}
	for _, ref := range workloads {
		w := ix.workload(ref)
		e.Workloads = append(e.Workloads, *w)
		e.Score = max(e.Score, w.Score)
	}
	return e
}

// Needs are the inventory indexes Image reads: a rule that calls it lists them in its
// Rule.Needs (so it runs after the load, with Services, Ingresses, NetworkPolicies and
// RBAC objects indexed).
var Needs = []inventory.AnyIndex{index, netpol.Index}

// index is the exposure model of an inventory. Building it only remembers the
// inventory: the analyses are made on first use, so a scan without images running in
// workloads pays nothing for them.
var index = inventory.NewIndex("exposure", indexKinds(), func(inv *inventory.Inventory) *model {
	return &model{inv: inv, cache: map[finding.ObjectRef]*finding.WorkloadExposure{}}
})

// indexKinds are the kinds whose bodies the analyses read: Services and Ingresses,
// NetworkPolicies and Namespaces, RBAC objects and service accounts. What they need
// of the objects that run pods (labels, ports, identity, host access) the engine
// records while their bodies are decoded (workload.Finder.Record): workload bodies
// are not kept for it.
func indexKinds() []string {
	kinds := []string{"Service", "Ingress"}
	kinds = append(kinds, netpol.Kinds...)
	return append(kinds, rbac.Kinds...)
}

// model holds the analyses of one inventory and each workload's exposure, computed
// once.
type model struct {
	inv  *inventory.Inventory
	once sync.Once

	finder  *workload.Finder
	objects map[finding.ObjectRef]*inventory.Object
	net     *netpol.Model
	routes  *routes
	ids     *identities

	mu    sync.Mutex
	cache map[finding.ObjectRef]*finding.WorkloadExposure
}

func (m *model) build() {
	m.finder = workload.NewFinder(nil)
	m.objects = make(map[finding.ObjectRef]*inventory.Object)
	for _, o := range m.inv.Objects {
		m.objects[o.Ref] = o // the last definition is the one applied
	}
	m.net = inventory.Get(m.inv, netpol.Index)
	m.routes = buildRoutes(m.inv)
	m.ids = buildIdentities(m.inv)
}

// workload returns the exposure of one workload, computed on first use.
func (m *model) workload(ref finding.ObjectRef) *finding.WorkloadExposure {
	m.once.Do(m.build)
	m.mu.Lock()
	defer m.mu.Unlock()
	if w := m.cache[ref]; w != nil {
		return w
	}
	w := m.assess(ref)
	m.cache[ref] = w
	return w
}

// assess applies the formula to one workload.
func (m *model) assess(ref finding.ObjectRef) *finding.WorkloadExposure {
	w := &finding.WorkloadExposure{Object: ref}
	o := m.objects[ref]
	var h *workload.PodHost
	if o != nil {
		var recorded bool
		if h, recorded = workload.PodHostFact.Of(o); !recorded {
			h = m.finder.PodHost(o)
		}
	}
	host, hostScore := hostAccess(h)
	w.Host = host
	w.Network, w.NetworkWhy = m.network(ref, o, h)
	var idScore int
	w.ServiceAccount, w.Identity, idScore = m.ids.of(ref)
	w.Score = NetworkScore(w.Network) + idScore + hostScore
	return w
}
