package resources

// Per-container requests and limits depend on every team getting them right. A
// ResourceQuota caps what a whole namespace can take from the cluster, so one tenant's
// runaway Deployment (or an attacker scaling one up) cannot starve the others; a
// LimitRange gives containers that forget their requests and limits sane defaults and
// bounds. Both are namespace-level controls, checked once per namespace.
//
// Which namespaces: those that hold at least one workload of a built-in kind and that
// the input names, either with a Namespace object or in a workload's
// metadata.namespace, or that the scan's --namespace option gives to workloads that
// name none. Workloads whose namespace was only defaulted to "default" (no
// metadata.namespace, as in most charts and plain manifests, and no --namespace) land
// wherever they are deployed (kubectl -n, helm --namespace), so the input says nothing
// about that namespace's quota: reporting it would be noise. Only objects of the input
// count as present; a quota that exists only in the cluster is invisible to a file scan.
//
// Where: on the Namespace object when the input has one (metadata.name), otherwise on
// the first workload, in input order, whose namespace is known (metadata.namespace, or
// its metadata when --namespace gave it), so that each namespace yields at most one
// finding per rule.

import (
	"fmt"
	"strings"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-206", Title: "Namespace without a ResourceQuota", Severity: medium, Category: catResources,
			Rationale:   "Without a ResourceQuota capping CPU and memory, the workloads of one namespace can claim the whole cluster's capacity (by mistake or through an attacker who can create or scale pods there), starving every other tenant.",
			Remediation: "Add a ResourceQuota to the namespace whose spec.hard caps requests.cpu, requests.memory and limits.memory (and object counts such as pods).",
			References:  []string{refResourceQuota},
			Frameworks:  resourceFrameworks(layerCluster),
			Params: []rules.Param{{Name: "exemptNamespaces", Syntax: rules.Glob,
				Description: "Namespaces (shell patterns) not required to have a ResourceQuota.",
				Default:     defaultExemptNamespaces}},
		},
		Kinds:      namespaceAnchorKinds,
		Needs:      []inventory.AnyIndex{indexResourcePolicies},
		HeaderOnly: true,
		Object: func(p *rules.Pass, o *inventory.Object) {
			n, where := namespaceAt(p, o, "exemptNamespaces")
			if n == nil {
				return
			}
			var msg string
			switch {
			case len(n.quotas) == 0:
				msg = fmt.Sprintf("namespace %q has no ResourceQuota", n.name) + invalidNote(n, "ResourceQuota")
			default:
				for _, q := range n.quotas {
					if len(q.compute) > 0 {
						return
					}
				}
				names := make([]string, len(n.quotas))
				for i, q := range n.quotas {
					names[i] = q.name
				}
				msg = fmt.Sprintf("namespace %q has ResourceQuota %s, but its spec.hard caps neither CPU nor memory", n.name, quoteList(names))
			}
			p.Report(where, "", "%s", msg)
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-207", Title: "Namespace without a LimitRange", Severity: low, Category: catResources,
			Rationale:   "A LimitRange gives every container of the namespace default requests and limits and bounds what one container or pod may ask for, so a workload that omits them does not run unbounded.",
			Remediation: "Add a LimitRange with an item of type Container that sets default and defaultRequest for cpu and memory (and max where appropriate).",
			References:  []string{refLimitRange},
			Frameworks:  resourceFrameworks(layerCluster),
			Params: []rules.Param{{Name: "exemptNamespaces", Syntax: rules.Glob,
				Description: "Namespaces (shell patterns) not required to have a LimitRange.",
				Default:     defaultExemptNamespaces}},
		},
		Kinds:      namespaceAnchorKinds,
		Needs:      []inventory.AnyIndex{indexResourcePolicies},
		HeaderOnly: true,
		Object: func(p *rules.Pass, o *inventory.Object) {
			n, where := namespaceAt(p, o, "exemptNamespaces")
			if n == nil {
				return
			}
			var msg string
			switch {
			case len(n.limitRanges) == 0:
				msg = fmt.Sprintf("namespace %q has no LimitRange", n.name) + invalidNote(n, "LimitRange")
			default:
				for _, lr := range n.limitRanges {
					if lr.container || lr.pod {
						return
					}
				}
				names := make([]string, len(n.limitRanges))
				for i, lr := range n.limitRanges {
					names[i] = lr.name
				}
				msg = fmt.Sprintf("namespace %q has LimitRange %s, but it has no item of type Container or Pod", n.name, quoteList(names))
			}
			p.Report(where, "", "%s", msg)
		},
	})
}

// namespaceAt returns the namespace that o stands for in namespace findings, and the
// path to report at, or nil when o is not that namespace's anchor or the namespace is
// out of scope.
func namespaceAt(p *rules.Pass, o *inventory.Object, exemptParam string) (*namespaceResources, string) {
	var n *namespaceResources
	var where string
	if o.Ref.Kind == "Namespace" {
		if o.Ref.APIVersion != "v1" {
			return nil, ""
		}
		n = policiesOf(p.Inventory, o.Ref.Name)
		if n == nil || n.namespace != o || n.workloads == 0 {
			return nil, ""
		}
		where = "metadata.name"
	} else {
		n = policiesOf(p.Inventory, o.Ref.Namespace)
		if n == nil || n.namespace != nil || n.firstExplicit != o {
			return nil, ""
		}
		where = "metadata.namespace"
	}
	if matchAny(p.Strings(exemptParam), n.name) {
		return nil, ""
	}
	return n, where
}

// invalidNote mentions the objects of a kind in the namespace that do not decode.
func invalidNote(n *namespaceResources, kind string) string {
	var bad []string
	for _, s := range n.invalid {
		if strings.HasPrefix(s, kind+" ") {
			bad = append(bad, s)
		}
	}
	if len(bad) == 0 {
		return ""
	}
	return " that the API server would accept (" + strings.Join(bad, ", ") + " does not decode)"
}
