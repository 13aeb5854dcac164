// Package attackpaths holds the attack-path rules (PAL-470..PAL-476): each path that
// internal/attackpath finds from an entry point to a target is a finding on its
// pivot (the path's last workload), with the hops and their evidence
// (finding.PathEvidence) and the change that cuts it.
package attackpaths

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/palisade-k8s/palisade/internal/attackpath"
	"github.com/palisade-k8s/palisade/internal/checks/catalog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// Rule IDs.
const (
	// InternetAdmin (PAL-470) carries the parameters every path rule shares.
	InternetAdmin   = "PAL-470"
	InternetNode    = "PAL-471"
	InternetSecrets = "PAL-472"
	PodAdmin        = "PAL-473"
	PodNode         = "PAL-474"
	PodSecrets      = "PAL-475"
	// Query (PAL-476) reports the paths of a query of its own (from, to), as
	// `palisade paths --from/--to` sets it.
	Query = "PAL-476"
)

// Shared parameters (on PAL-470) and the query's (on PAL-476).
const (
	ParamMaxDepth = "maxDepth"
	ParamFrom     = "from"
	ParamTo       = "to"
)

// IDs lists the path rules.
var IDs = []string{InternetAdmin, InternetNode, InternetSecrets, PodAdmin, PodNode, PodSecrets, Query}

const (
	catPaths = "attack-path"
	ref      = "https://kubernetes.io/docs/concepts/security/security-checklist/"
)

// pathRule is one (entry, target) pair with its metadata.
type pathRule struct {
	meta   rules.Meta
	entry  string
	target string
}

var pathRules = []pathRule{
	{entry: attackpath.Internet, target: attackpath.ClusterAdmin, meta: rules.Meta{
		ID: InternetAdmin, Title: "Attack path from the internet to cluster-admin", Severity: catalog.Critical,
		Rationale: "Every link of the chain is proven by an analyzer: a Service, Ingress or host port exposes the pods outside the cluster and the NetworkPolicies admit the traffic, " +
			"the pods (or pods they can reach) mount a service account token, and that account's bindings grant every permission or a cluster-wide path to it. " +
			"One remote code execution in an exposed container is then a takeover of the cluster.",
		Remediation: "Apply the fix the finding names (the cheapest change that cuts the path); then review the other hops: an exposed workload should carry no API token it does not use.",
		Params: []rules.Param{{Name: ParamMaxDepth, Description: "the longest path, in hops, that the attack-path rules (PAL-470..PAL-476) report", Default: strconv.Itoa(attackpath.DefaultMaxDepth),
			Valid: func(s string) error {
				n, err := strconv.Atoi(s)
				if err != nil || n < 1 || n > 32 {
					return fmt.Errorf("want a number of hops from 1 to 32")
				}
				return nil
			}}},
	}},
}

func frameworks() rules.Frameworks {
	return rules.Frameworks{NSA: []string{catalog.NSASATokens}, Layer: catalog.LayerCluster}
}

func init() {
	for i := range pathRules {
		pr := &pathRules[i]
		pr.meta.Category = catPaths
		pr.meta.References = append(pr.meta.References, ref)
		pr.meta.Frameworks = frameworks()
		rules.Register(&rules.Rule{Meta: pr.meta, Needs: attackpath.Needs, Targets: rules.Scan | rules.Paths,
			Workload: func(p *rules.Pass, w *workload.Workload) { check(pr)(p, p.Object) }})
	}
}

// maxDepth is the shared depth bound.
func maxDepth(p *rules.Pass) int {
	v := p.StringsOf(InternetAdmin, ParamMaxDepth)
	if len(v) == 0 {
		return attackpath.DefaultMaxDepth
	}
	n, err := strconv.Atoi(v[0])
	if err != nil {
		return attackpath.DefaultMaxDepth
	}
	return n
}

// check reports the rule's paths whose anchor is the object.
func check(pr *pathRule) func(p *rules.Pass, o *inventory.Object) {
	return func(p *rules.Pass, o *inventory.Object) {
		g := attackpath.Of(p.Inventory)
		paths, err := g.Paths(attackpath.Query{From: []string{pr.entry}, To: []string{pr.target}, MaxDepth: maxDepth(p)})
		if err != nil {
			p.Fail(err)
			return
		}
		for _, path := range paths {
			if path.Pivot == nil || path.Pivot.Object == nil || !sameObject(*path.Pivot.Object, o.Ref) {
				continue
			}
			p.ReportPath(p.Rule.Severity, path.Evidence(), "", "%s. %s", path.Text(), fixText(path))
		}
	}
}

func sameObject(a, b finding.ObjectRef) bool {
	return a.Kind == b.Kind && a.Namespace == b.Namespace && a.Name == b.Name
}

func fixText(path *attackpath.Path) string {
	if path.Fix == nil {
		return "No hop can be cut by a change to the input."
	}
	s := "Fix: " + path.Fix.Change
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
