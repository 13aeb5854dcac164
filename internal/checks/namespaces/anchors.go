package namespaces

import "github.com/palisade-k8s/palisade/internal/workload"

// SystemNamespaces are the namespaces Kubernetes itself creates for its own
// components, which operators rarely put under quota, network policy or Pod Security
// labels: the default of the namespace rules' exemptNamespaces parameters.
var SystemNamespaces = []string{"kube-system", "kube-public", "kube-node-lease"}

// AnchorKinds are the kinds a namespace finding can be reported on: the Namespace
// and, for a namespace the input does not define, the built-in workload kinds.
var AnchorKinds = func() []string {
	kinds := []string{"Namespace"}
	seen := map[string]bool{"Namespace": true}
	for _, tp := range workload.BuiltinTemplatePaths {
		if !seen[tp.Kind] {
			seen[tp.Kind] = true
			kinds = append(kinds, tp.Kind)
		}
	}
	return kinds
}()
