package resources

// The resource rules need to know, per namespace, what the input itself provides
// beyond each pod: LimitRanges (whose Container defaults the LimitRanger admission
// plugin writes into every container that sets no value of its own), ResourceQuotas,
// the Namespace object, and which workloads live there. One index, built once per
// scan, answers all of it.

import (
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// indexResourcePolicies names the index of namespaceResources by namespace.
var indexResourcePolicies = inventory.NewIndex("resource-policies-by-namespace", []string{"LimitRange", "ResourceQuota"}, buildResourcePolicies)

// namespaceResources is what the input says about one namespace.
type namespaceResources struct {
	name string
	// limitRanges are the valid LimitRanges, in input order.
	limitRanges []limitRangeDefaults
	// quotas are the valid ResourceQuotas, in input order.
	quotas []quotaInfo
	// invalid names LimitRanges and ResourceQuotas that do not decode: the API server
	// would reject them, so they constrain nothing.
	invalid []string
	// namespace is the Namespace object, if the input has one.
	namespace *inventory.Object
	// firstExplicit is the first workload whose metadata.namespace (or the scan's
	// --namespace option) names this namespace.
	firstExplicit *inventory.Object
	// workloads counts the workloads in the namespace, named or defaulted.
	workloads int
}

// limitRangeDefaults is one LimitRange with its Container defaults as the API server
// stores them (see containerDefaults).
type limitRangeDefaults struct {
	name string
	// container and pod say whether the LimitRange has items of those types.
	container, pod bool
	// requests and limits are the defaults the LimitRanger plugin applies to
	// containers.
	requests, limits corev1.ResourceList
}

// quotaInfo is one ResourceQuota.
type quotaInfo struct {
	name string
	// compute lists the CPU and memory entries of spec.hard.
	compute []string
}

// resourcePolicies is the index value.
type resourcePolicies map[string]*namespaceResources

// builtinFinder recognises workloads of the built-in kinds. The index cannot see the
// scan's configured template paths, so workloads of custom kinds do not make a
// namespace count for the namespace rules (the container rules see them as usual).
var builtinFinder = workload.NewFinder(nil)

func buildResourcePolicies(inv *inventory.Inventory) resourcePolicies {
	idx := resourcePolicies{}
	get := func(ns string) *namespaceResources {
		n := idx[ns]
		if n == nil {
			n = &namespaceResources{name: ns}
			idx[ns] = n
		}
		return n
	}
	for _, o := range inv.Objects {
		core := o.Ref.APIVersion == "v1"
		switch {
		case core && o.Ref.Kind == "LimitRange":
			n := get(o.Ref.Namespace)
			var lr corev1.LimitRange
			if err := o.Decode(&lr); err != nil {
				n.invalid = append(n.invalid, fmt.Sprintf("LimitRange %q", o.Ref.Name))
				continue
			}
			n.limitRanges = append(n.limitRanges, containerDefaults(o.Ref.Name, &lr))
		case core && o.Ref.Kind == "ResourceQuota":
			n := get(o.Ref.Namespace)
			var rq corev1.ResourceQuota
			if err := o.Decode(&rq); err != nil {
				n.invalid = append(n.invalid, fmt.Sprintf("ResourceQuota %q", o.Ref.Name))
				continue
			}
			q := quotaInfo{name: o.Ref.Name}
			for k := range rq.Spec.Hard {
				if computeQuotaKeys[k] {
					q.compute = append(q.compute, string(k))
				}
			}
			sort.Strings(q.compute)
			n.quotas = append(n.quotas, q)
		case core && o.Ref.Kind == "Namespace":
			if n := get(o.Ref.Name); n.namespace == nil {
				n.namespace = o
			}
		default:
			if _, ok := builtinFinder.Lookup(o.Ref.APIVersion, o.Ref.Kind); !ok || o.Ref.Namespace == "" {
				continue
			}
			n := get(o.Ref.Namespace)
			n.workloads++
			if o.NamespaceKnown() && n.firstExplicit == nil {
				n.firstExplicit = o
			}
		}
	}
	return idx
}

// containerDefaults applies the API server's defaulting of LimitRange items of type
// Container (a max with no default becomes the default limit; a default limit with no
// default request becomes the default request; so does a min) and collects what the
// LimitRanger plugin then writes into containers. Later items overwrite earlier ones,
// as in the plugin; only presence matters here.
func containerDefaults(name string, lr *corev1.LimitRange) limitRangeDefaults {
	d := limitRangeDefaults{name: name, requests: corev1.ResourceList{}, limits: corev1.ResourceList{}}
	for _, item := range lr.Spec.Limits {
		switch item.Type {
		case corev1.LimitTypePod:
			d.pod = true
		case corev1.LimitTypeContainer:
			d.container = true
			def := corev1.ResourceList{}
			for k, v := range item.Default {
				def[k] = v
			}
			for k, v := range item.Max {
				if _, ok := def[k]; !ok {
					def[k] = v
				}
			}
			req := corev1.ResourceList{}
			for k, v := range item.DefaultRequest {
				req[k] = v
			}
			for _, from := range []corev1.ResourceList{def, item.Min} {
				for k, v := range from {
					if _, ok := req[k]; !ok {
						req[k] = v
					}
				}
			}
			for k, v := range def {
				d.limits[k] = v
			}
			for k, v := range req {
				d.requests[k] = v
			}
		}
	}
	return d
}

// computeQuotaKeys are the spec.hard entries of a ResourceQuota that cap CPU or memory.
var computeQuotaKeys = map[corev1.ResourceName]bool{
	corev1.ResourceCPU: true, corev1.ResourceMemory: true,
	corev1.ResourceRequestsCPU: true, corev1.ResourceRequestsMemory: true,
	corev1.ResourceLimitsCPU: true, corev1.ResourceLimitsMemory: true,
}

// policiesOf returns what the input says about a namespace (nil when nothing).
func policiesOf(inv *inventory.Inventory, ns string) *namespaceResources {
	if inv == nil {
		return nil
	}
	return inventory.Get(inv, indexResourcePolicies)[ns]
}

// defaultFrom returns the first LimitRange that defaults the resource (a limit when
// limit is set, else a request) into containers.
func (n *namespaceResources) defaultFrom(res corev1.ResourceName, limit bool) (string, bool) {
	if n == nil {
		return "", false
	}
	for _, lr := range n.limitRanges {
		list := lr.requests
		if limit {
			list = lr.limits
		}
		if _, ok := list[res]; ok {
			return lr.name, true
		}
	}
	return "", false
}

// containerLimitRanges names the LimitRanges with Container items.
func (n *namespaceResources) containerLimitRanges() []string {
	if n == nil {
		return nil
	}
	var out []string
	for _, lr := range n.limitRanges {
		if lr.container {
			out = append(out, lr.name)
		}
	}
	return out
}

// quoteList renders names as "a", "b".
