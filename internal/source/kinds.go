package source

import (
	"sort"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/live"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// RuleKinds are the kinds a set of rules reads: their Kinds and the kinds whose
// bodies the indexes they need read. "*" (rules.AnyKind) is among them when a rule
// checks every object. This is the one place that derives from the rules what a live
// read lists; the engine's Decoder decides the same set for decoding.
func RuleKinds(rs []*rules.Rule) []string {
	set := map[string]bool{}
	for _, r := range rs {
		for _, k := range r.Kinds {
			set[k] = true
		}
		for _, n := range r.Needs {
			for _, k := range n.Kinds() {
				set[k] = true
			}
			for _, k := range headerIndexKinds[n.Name()] {
				set[k] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// headerIndexKinds are the kinds read by the indexes registered without kinds
// (inventory.NewIndex with no kinds): they read headers only, so the engine need not decode
// anything for them, but a live read must still list these kinds.
// TestHeaderIndexesDeclared fails on an index missing here.
var headerIndexKinds = map[string][]string{
	"pod-security-by-namespace": {"Namespace"},
	// The signature verdicts are set on the inventory by the source of the images
	// (Inventory.ImageTrust): the index reads no object, and no live kind.
	"image-trust": {inventory.ImageKind},
}

// PolicyKinds are the kinds of ValidatingAdmissionPolicies and their bindings: a
// scan keeps their bodies wherever it meets them, and a live read lists them, so that
// the policies among the scanned objects (a cluster's own) are evaluated (PAL-800..803).
var PolicyKinds = []string{"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}

// FileOnly are the kinds rules read that a live read does not list, and why. A kind
// a rule reads is either listable (live.Kinds) or here (TestRuleKindsListed).
var FileOnly = map[string]string{
	"EncryptionConfig":        "an API server configuration file, not an API object",
	"EncryptionConfiguration": "an API server configuration file, not an API object",
	"Policy":                  "an audit policy file of the API server, not an API object",
	"SealedSecret":            "a custom kind (Sealed Secrets): listed through its CustomResourceDefinition when the cluster serves it",
	"Rollout":                 "a custom kind (Argo Rollouts): listed through its CustomResourceDefinition when the cluster serves it",
	"DeploymentConfig":        "a custom kind (OpenShift): listed through its CustomResourceDefinition when the cluster serves it",
	inventory.ConfigFileKind:  "a configuration file beside the manifests (values file, .env, .npmrc), not an API object",
	inventory.DockerfileKind:  "a Dockerfile beside the manifests, not an API object",
	inventory.ImageKind:       "a container image read by palisade image or --images, not an API object",
	inventory.NodeFactsKind:   "a node's facts file written by palisade node collect (or read from a kubelet's /configz by cluster --nodes), not an API object",
}

// ClusterKinds are the kinds a live read lists for a consumer reading kinds: those of
// them the API serves as built-in resources ("*": all of live.Kinds), every built-in
// kind that runs pods (an object's pod template is always read), and
// CustomResourceDefinitions, which define the custom kinds that run pods.
func ClusterKinds(kinds []string) []string {
	out := make([]string, 0, len(kinds))
	for _, k := range kinds {
		if k != inventory.ConfigFileKind && k != inventory.DockerfileKind && k != inventory.ImageKind {
			out = append(out, k) // a cluster serves no configuration files, Dockerfiles or images
		}
	}
	for _, k := range kinds {
		if k == rules.AnyKind {
			for _, lk := range live.Kinds {
				out = append(out, lk.Kind)
			}
		}
	}
	for _, p := range workload.BuiltinTemplatePaths {
		if _, fileOnly := FileOnly[p.Kind]; !fileOnly {
			out = append(out, p.Kind)
		}
	}
	return append(out, "CustomResourceDefinition")
}
