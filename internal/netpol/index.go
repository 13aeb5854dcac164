package netpol

import "github.com/palisade-k8s/palisade/internal/inventory"

// Index is the model of a scan's input (Build with the default options), built once
// per inventory for every rule and analyzer that lists it in its Rule.Needs: the
// NetworkPolicy rules and the exposure of images (internal/exposure). NetworkPolicy
// bodies are kept for it; the pods' labels and ports come from the workload facts.
var Index = inventory.NewIndex("network-policy-model", []string{"NetworkPolicy"}, func(inv *inventory.Inventory) *Model {
	return Build(inv, Options{})
})
