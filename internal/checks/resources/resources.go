package resources

// Requests and limits are how Kubernetes keeps one workload from starving its
// neighbours. Requests reserve capacity at scheduling time and decide who is evicted
// first under node pressure; limits cap what a container can take at run time. A
// container with neither can be scheduled onto a full node and then consume its
// memory, CPU or scratch disk until the kubelet evicts other pods, or the kernel OOM
// killer picks a victim: a denial of service that needs no exploit.
//
// A value counts wherever Kubernetes would apply it, exactly as it would:
//   - a container limit with no request defaults the request to the limit (API
//     defaulting), so it is not a missing request;
//   - pod-level spec.resources (PodLevelResources; CPU and memory only) bound the whole
//     pod, and a pod-level limit with no pod-level request defaults that request;
//   - a LimitRange of type Container in the same namespace of the input writes its
//     default/defaultRequest (after the API server's own defaulting from max and min)
//     into every container that names no value for that resource, as the LimitRanger
//     admission plugin does;
//   - a value of 0 is no request or limit at all (the kubelet sets no cgroup bound
//     and QoS ignores it); an explicit 0 also stops the LimitRange default.
//
// Init containers are checked like regular ones: sidecars (restartPolicy Always) run
// for the pod's lifetime, and ordinary init containers can still fill a node while
// they run. Ephemeral containers are skipped: the API forbids resources on them.

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const (
	catResources = "resources"

	nsaResources = "Network separation and hardening: resource policies"

	refManageResources = "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"
	refPodLevel        = "https://kubernetes.io/docs/tasks/configure-pod-container/assign-pod-level-resources/"
	refLimitRange      = "https://kubernetes.io/docs/concepts/policy/limit-range/"
	refResourceQuota   = "https://kubernetes.io/docs/concepts/policy/resource-quotas/"
)

func resourceFrameworks(layer string) rules.Frameworks {
	return rules.Frameworks{NSA: []string{nsaResources}, Layer: layer}
}

// resourceCheck is one (resource, request or limit) pair that every container needs.
type resourceCheck struct {
	res corev1.ResourceName
	// label names the resource in messages ("CPU").
	label string
	limit bool
	// podLevel says whether pod-level spec.resources may carry this resource.
	podLevel bool
}

func init() {
	cpuRequest := resourceCheck{res: corev1.ResourceCPU, label: "CPU", podLevel: true}
	memRequest := resourceCheck{res: corev1.ResourceMemory, label: "memory", podLevel: true}
	memLimit := resourceCheck{res: corev1.ResourceMemory, label: "memory", limit: true, podLevel: true}
	cpuLimit := resourceCheck{res: corev1.ResourceCPU, label: "CPU", limit: true, podLevel: true}
	// Pod-level resources accept only CPU, memory and hugepages.
	storageLimit := resourceCheck{res: corev1.ResourceEphemeralStorage, label: "ephemeral-storage", limit: true}

	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-201", Title: "CPU request not set", Severity: low, Category: catResources,
			Rationale:   "Without a CPU request the scheduler reserves no CPU for the container, so it can land on a saturated node, and under contention it gets the smallest share of CPU time while other pods on the node compete with it unchecked.",
			Remediation: "Set resources.requests.cpu on the container (or resources.limits.cpu, which the request then defaults to), set pod-level spec.resources, or give the namespace a LimitRange of type Container with a defaultRequest for cpu.",
			References:  []string{refManageResources, refPodLevel, refLimitRange},
			Frameworks:  resourceFrameworks(layerContainer),
		},
		Needs:    []inventory.AnyIndex{indexResourcePolicies},
		Deferred: true,
		Workload: func(p *rules.Pass, w *workload.Workload) { checkResource(p, w, cpuRequest) },
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-202", Title: "Memory request not set", Severity: low, Category: catResources,
			Rationale:   "Without a memory request the scheduler reserves no memory for the container, so nodes are overcommitted, and under memory pressure the kubelet evicts pods whose usage exceeds their request first.",
			Remediation: "Set resources.requests.memory on the container (or resources.limits.memory, which the request then defaults to), set pod-level spec.resources, or give the namespace a LimitRange of type Container with a defaultRequest for memory.",
			References:  []string{refManageResources, refPodLevel, refLimitRange},
			Frameworks:  resourceFrameworks(layerContainer),
		},
		Needs:    []inventory.AnyIndex{indexResourcePolicies},
		Deferred: true,
		Workload: func(p *rules.Pass, w *workload.Workload) { checkResource(p, w, memRequest) },
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-203", Title: "Memory limit not set", Severity: medium, Category: catResources,
			Rationale:   "A container without a memory limit can use all the memory of its node: a leak or an attacker-driven allocation then triggers evictions and OOM kills of other tenants' pods, and can destabilise the kubelet itself.",
			Remediation: "Set resources.limits.memory on the container, set pod-level spec.resources.limits.memory, or give the namespace a LimitRange of type Container with a default (or max) for memory.",
			References:  []string{refManageResources, refPodLevel, refLimitRange},
			Frameworks:  resourceFrameworks(layerContainer),
		},
		Needs:    []inventory.AnyIndex{indexResourcePolicies},
		Deferred: true,
		Workload: func(p *rules.Pass, w *workload.Workload) { checkResource(p, w, memLimit) },
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-204", Title: "CPU limit not set", Severity: low, Category: catResources,
			Rationale:   "A container without a CPU limit may use every idle core of its node. CPU limits are debated: CPU is compressible, the CFS quota that enforces a limit throttles a container even when the node is idle, and many operators rely on CPU requests (proportional shares) alone. They still matter where tenants do not trust each other or need the Guaranteed QoS class. Hence the low severity, and the namespaces parameter to require limits only where they are wanted; disable the rule in .palisade.yaml to drop the check.",
			Remediation: "Set resources.limits.cpu on the container, set pod-level spec.resources.limits.cpu, or give the namespace a LimitRange of type Container with a default (or max) for cpu; or narrow the rule's namespaces parameter to where CPU limits are policy.",
			References:  []string{refManageResources, refPodLevel, refLimitRange},
			Frameworks:  resourceFrameworks(layerContainer),
			Params: []rules.Param{{Name: "namespaces", Syntax: rules.Glob,
				Description: "Namespaces (shell patterns) where containers must set a CPU limit; empty means none.",
				Default:     []string{"*"}}},
		},
		Needs:    []inventory.AnyIndex{indexResourcePolicies},
		Deferred: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			if matchAny(p.Strings("namespaces"), w.Object.Ref.Namespace) {
				checkResource(p, w, cpuLimit)
			}
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-205", Title: "Ephemeral-storage limit not set", Severity: low, Category: catResources,
			Rationale:   "Container logs, the writable layer and emptyDir volumes share the node's disk. Without an ephemeral-storage limit one container can fill it, putting the node under disk pressure so that the kubelet evicts other pods.",
			Remediation: "Set resources.limits.ephemeral-storage on the container (pod-level resources cannot carry it), or give the namespace a LimitRange of type Container with a default for ephemeral-storage.",
			References:  []string{refManageResources, refLimitRange},
			Frameworks:  resourceFrameworks(layerContainer),
		},
		Needs:    []inventory.AnyIndex{indexResourcePolicies},
		Deferred: true,
		Workload: func(p *rules.Pass, w *workload.Workload) { checkResource(p, w, storageLimit) },
	})
}

// checkResource reports each container that ends up without the request or limit.
func checkResource(p *rules.Pass, w *workload.Workload, rc resourceCheck) {
	podOK, podNote := podLevelCovers(w, rc)
	if podOK {
		return
	}
	namespace := w.Object.Ref.Namespace
	kind := "request"
	if rc.limit {
		kind = "limit"
	}
	for _, c := range w.Containers {
		// The API rejects resources on ephemeral containers: nothing to set there.
		if c.Kind == workload.Ephemeral {
			continue
		}
		field, q, set := containerValue(c, rc)
		if set && !q.IsZero() {
			continue
		}
		noun := containerNoun(c)
		var msg string
		switch {
		case !set:
			msg = fmt.Sprintf("%s %q sets no %s %s (%s)", noun, c.Name, rc.label, kind, field)
		case !rc.limit && strings.HasPrefix(field, "resources.limits."):
			msg = fmt.Sprintf("%s %q sets %s to %s, so its %s request defaults to 0, which reserves nothing", noun, c.Name, field, q.String(), rc.label)
		case rc.limit:
			msg = fmt.Sprintf("%s %q sets %s to %s, which is no limit", noun, c.Name, field, q.String())
		default:
			msg = fmt.Sprintf("%s %q sets %s to %s, which reserves nothing", noun, c.Name, field, q.String())
		}
		msg += podNote
		if set {
			p.Report(c.Field(field), c.Name, "%s", msg)
			continue
		}
		// A LimitRange anywhere in the input may supply the default: settled once
		// the whole input is loaded, without keeping this workload's body.
		p.ReportUnless(func(inv *inventory.Inventory) (bool, string) {
			ns := policiesOf(inv, namespace)
			if _, ok := ns.defaultFrom(rc.res, rc.limit); ok {
				return true, ""
			}
			if lrs := ns.containerLimitRanges(); len(lrs) > 0 {
				return false, fmt.Sprintf("; LimitRange %s in namespace %q sets no default %s for %s", quoteList(lrs), namespace, kind, rc.res)
			}
			return false, ""
		}, c.Field(field), c.Name, "%s", msg)
	}
}

// containerValue returns the container's own value for the check and the field it
// comes from: for a request, a written request, else the limit it defaults to (the
// API server copies it: workload defaults). set is false when the container names
// neither (the field is then where it belongs).
func containerValue(c *workload.Container, rc resourceCheck) (field string, q resource.Quantity, set bool) {
	r := c.Resources
	if !rc.limit {
		// A request the API server copied from the limit is reported on the limit.
		if v, ok := r.Requests[rc.res]; ok {
			field := "resources.requests." + string(rc.res)
			if _, defaulted := c.Defaulted(field); !defaulted {
				return field, v, true
			}
		}
	}
	if v, ok := r.Limits[rc.res]; ok {
		return "resources.limits." + string(rc.res), v, true
	}
	if rc.limit {
		return "resources.limits." + string(rc.res), resource.Quantity{}, false
	}
	return "resources.requests." + string(rc.res), resource.Quantity{}, false
}

// podLevelCovers reports whether pod-level resources satisfy the check for every
// container; otherwise it returns a note for the message when pod-level resources
// are set but lack this resource.
func podLevelCovers(w *workload.Workload, rc resourceCheck) (bool, string) {
	pr := w.Spec.Resources
	if !rc.podLevel || pr == nil {
		return false, ""
	}
	if v, ok := pr.Limits[rc.res]; ok && !v.IsZero() {
		// A pod-level limit bounds the pod and, with no pod-level request, is also
		// the pod-level request.
		if _, hasReq := pr.Requests[rc.res]; rc.limit || !hasReq {
			return true, ""
		}
	}
	if !rc.limit {
		if v, ok := pr.Requests[rc.res]; ok && !v.IsZero() {
			return true, ""
		}
	}
	kind := "request"
	if rc.limit {
		kind = "limit"
	}
	return false, fmt.Sprintf(", and pod-level spec.resources sets no non-zero %s %s either", rc.res, kind)
}

func containerNoun(c *workload.Container) string {
	if c.Kind == workload.Init {
		return "init container"
	}
	return "container"
}
