package attackpath

import (
	"context"
	"testing"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/source"
)

// load reads manifests as a scan does for a rule that needs the graph: its kinds
// decoded and the pod facts recorded.
func load(t testing.TB, paths ...string) *inventory.Inventory {
	t.Helper()
	res, err := (&source.Files{Paths: paths}).Read(context.Background(), source.Needs{Kinds: indexKinds(), PodFacts: true})
	if err != nil {
		t.Fatal(err)
	}
	if errs := res.AllErrors(); len(errs) > 0 {
		t.Fatalf("input errors: %v", errs)
	}
	return res.Inventory
}

// TestInternetToClusterAdmin is the contract's anchor: an exposed workload whose
// token is bound to cluster-admin is one path, on the workload, cut by its token.
func TestInternetToClusterAdmin(t *testing.T) {
	g := Build(load(t, "../checks/attackpaths/testdata/PAL-470/fail.yaml"), Options{})
	paths, err := g.Paths(Query{From: []string{Internet}, To: []string{ClusterAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 1 {
		for _, n := range g.Nodes {
			for _, e := range g.Out(n) {
				t.Logf("%s -%s-> %s %v", e.From.ID, e.Kind, e.To.ID, e.Evidence)
			}
		}
		t.Fatalf("paths = %d, want 1", len(paths))
	}
	p := paths[0]
	if got := p.Text(); got != "the internet -> Deployment shop/web -> ServiceAccount shop/web -> every permission cluster-wide -> cluster-admin" {
		t.Errorf("path = %s", got)
	}
	if p.Pivot == nil || p.Pivot.ID != "workload:shop/Deployment/web" {
		t.Errorf("pivot = %v", p.Pivot)
	}
	if p.Fix == nil || p.Fix.Cost != 1 || p.Fix.Hop != 1 {
		t.Errorf("fix = %+v, want the token (hop 1, cost 1)", p.Fix)
	}
	g2 := Build(load(t, "../checks/attackpaths/testdata/PAL-470/pass.yaml"), Options{})
	if paths, _ := g2.Paths(Query{From: []string{Internet}, To: []string{ClusterAdmin}}); len(paths) != 0 {
		t.Errorf("pass.yaml: %d paths, want none", len(paths))
	}
}
