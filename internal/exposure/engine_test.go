package exposure

import (
	"context"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/palisade-k8s/palisade/internal/engine"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/source"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// TestThroughEngine runs a rule that needs the index as a scan runs it (streaming
// parse, bodies dropped unless a rule or index keeps them): no workload body is kept
// for it, and every workload's exposure is the same as from a fully decoded input.
func TestThroughEngine(t *testing.T) {
	var mu sync.Mutex
	var got *finding.Exposure
	refs := []finding.ObjectRef{web, api, worker, batch, metrics, cache, prober}
	rule := &rules.Rule{
		Meta: rules.Meta{ID: "TEST-EXPOSURE", Title: "t", Severity: finding.Low, Category: "test", Rationale: "r",
			Remediation: "m", Frameworks: rules.Frameworks{Layer: "cluster"}},
		Kinds: []string{"Namespace"},
		Needs: Needs,
		Object: func(p *rules.Pass, o *inventory.Object) {
			if o.Ref.Name != "shop" {
				return
			}
			e := Image(p.Inventory, refs)
			mu.Lock()
			got = e
			mu.Unlock()
		},
	}
	finder := workload.NewFinder(nil)
	rs := []*rules.Rule{rule}
	eng := engine.New(engine.Options{Rules: rs, Finder: finder})
	for _, kind := range []string{"Deployment", "Pod", "CronJob", "DaemonSet", "StatefulSet"} {
		if eng.Retain(&inventory.Object{Ref: finding.ObjectRef{APIVersion: "apps/v1", Kind: kind, Name: "x"}}) {
			t.Errorf("a rule needing the exposure index keeps %s bodies", kind)
		}
	}
	in, err := (&source.Files{Paths: []string{filepath.Join("testdata", "cluster.yaml")}}).Read(context.Background(), source.Needs{
		Kinds: source.RuleKinds(rs), Decode: engine.Decoder(rs, finder), Finder: finder, Visit: eng.Visit, Retain: eng.Retain,
	})
	if err != nil {
		t.Fatal(err)
	}
	res := eng.Finish(in.Inventory)
	if len(res.Internal) > 0 || len(in.AllErrors()) > 0 {
		t.Fatalf("internal errors %v, input errors %v", res.Internal, in.AllErrors())
	}
	for _, o := range in.Inventory.Objects {
		if _, runs := finder.Lookup(o.Ref.APIVersion, o.Ref.Kind); runs && o.Body != nil {
			t.Errorf("%s: body kept", o.Ref)
		}
	}
	want := Image(load(t, filepath.Join("testdata", "cluster.yaml")), refs)
	if got == nil || !reflect.DeepEqual(got, want) {
		t.Errorf("through the engine:\n got %+v\nwant %+v", got, want)
	}
	if want.Score != 11 || len(want.Workloads) != len(refs) {
		t.Errorf("image exposure %+v", want)
	}
}
