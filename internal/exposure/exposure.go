// Package exposure says what a cluster exposes of a workload: how far its pods can be
// reached (Services, Ingresses, host ports, NetworkPolicy analysis), what its service
// account can do (rbac risks) and what host access it has, and scores it with one
// documented formula, so that findings in the images it runs can be ranked.
package exposure

import (
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
)

// Image is the exposure of an image run by workloads (ImageInfo.Workloads): each
// workload's, and the highest score. nil when no workload runs it.
func Image(inv *inventory.Inventory, workloads []finding.ObjectRef) *finding.Exposure {
	panic("exposure: not implemented")
}

// Needs are the inventory indexes Image reads: a rule that calls it lists them in its
// Rule.Needs (so it runs after the load, with Services, Ingresses, NetworkPolicies and
// RBAC objects indexed).
var Needs []inventory.AnyIndex
