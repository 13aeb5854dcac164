package source_test

import (
	"errors"
	"io"
	"os"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	_ "github.com/palisade-k8s/palisade/internal/checks/all"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/live"
	"github.com/palisade-k8s/palisade/internal/netpol"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/source"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// Every kind a rule or an index reads, and every kind an analyzer reads, is listed
// from a live cluster, or declared file-only with a reason: a rule on a new kind is
// never silently skipped by `palisade cluster`.
func TestRuleKindsListed(t *testing.T) {
	kinds := source.RuleKinds(rules.All())
	kinds = append(kinds, netpol.Kinds...)
	kinds = append(kinds, rbac.Kinds...)
	for _, p := range workload.BuiltinTemplatePaths {
		kinds = append(kinds, p.Kind)
	}
	sel, _ := live.Select(source.ClusterKinds(kinds))
	listed := map[string]bool{}
	for _, k := range sel {
		listed[k.Kind] = true
	}
	for _, k := range kinds {
		if k == rules.AnyKind {
			continue
		}
		if _, fileOnly := source.FileOnly[k]; listed[k] == fileOnly {
			t.Errorf("kind %s: listed %v, file-only %v; want exactly one (add it to live.Kinds or to source.FileOnly with a reason)", k, listed[k], fileOnly)
		}
	}
	for k, why := range source.FileOnly {
		if why == "" {
			t.Errorf("file-only kind %s has no reason", k)
		}
	}
	// The kinds the rules read today include some the hand-kept list once missed.
	for _, k := range []string{"RuntimeClass", "PodTemplate", "LimitRange", "CustomResourceDefinition"} {
		if !listed[k] {
			t.Errorf("%s is not listed", k)
		}
	}
	// A rule that checks every object sees every kind Palisade lists.
	all, _ := live.Select(source.ClusterKinds([]string{rules.AnyKind}))
	if len(all) != len(live.Kinds) {
		t.Errorf("AnyKind lists %d kinds, want all %d", len(all), len(live.Kinds))
	}
}

// Every index a rule needs declares the kinds it reads: through
// inventory.NewIndex, or (headers only) in the source's table.
func TestHeaderIndexesDeclared(t *testing.T) {
	for _, r := range rules.All() {
		for _, n := range r.Needs {
			if len(n.Kinds()) > 0 {
				continue
			}
			got := source.RuleKinds([]*rules.Rule{{Needs: []inventory.AnyIndex{n}}})
			if len(got) == 0 {
				t.Errorf("%s needs index %q, which declares no kinds: give them to inventory.NewIndex or add it to headerIndexKinds", r.ID, n.Name())
			}
		}
	}
}

// The scanner ClusterRoles in deploy/ grant get and list on every kind a full scan
// lists (Secrets in the opt-in palisade-scanner-secrets role only), and nothing to
// write.
func TestScannerClusterRoleCoversRuleKinds(t *testing.T) {
	f, err := os.Open("../../deploy/palisade-scanner-clusterrole.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	roles := map[string]rbacv1.ClusterRole{}
	for {
		var cr rbacv1.ClusterRole
		if err := dec.Decode(&cr); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		roles[cr.Name] = cr
	}
	grants := func(role, group, resource string) bool {
		for _, r := range roles[role].Rules {
			if (slices.Contains(r.APIGroups, group) || slices.Contains(r.APIGroups, "*")) &&
				(slices.Contains(r.Resources, resource) || slices.Contains(r.Resources, "*")) &&
				slices.Contains(r.Verbs, "get") && slices.Contains(r.Verbs, "list") {
				return true
			}
		}
		return false
	}
	sel, unknown := live.Select(source.ClusterKinds(append(source.RuleKinds(rules.All()), source.PolicyKinds...)))
	for _, k := range unknown {
		if _, ok := source.FileOnly[k]; !ok && k != rules.AnyKind {
			t.Errorf("kind %s read by the rules is neither listed nor file-only", k)
		}
	}
	for _, k := range sel {
		role := "palisade-scanner"
		if k.Secret {
			role = "palisade-scanner-secrets"
			if grants("palisade-scanner", k.GVR.Group, k.GVR.Resource) {
				t.Errorf("palisade-scanner grants %s: Secrets belong to the opt-in role only", k.GVR.Resource)
			}
		}
		if !grants(role, k.GVR.Group, k.GVR.Resource) {
			t.Errorf("%s does not grant get and list on %s (group %q), which the rules read", role, k.GVR.Resource, k.GVR.Group)
		}
	}
	for name, cr := range roles {
		for _, r := range cr.Rules {
			for _, v := range r.Verbs {
				if v != "get" && v != "list" {
					t.Errorf("%s grants %q on %v: the scanner only reads", name, v, r.Resources)
				}
			}
		}
	}
}
