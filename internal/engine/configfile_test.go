package engine_test

import (
	"sort"
	"sync"
	"testing"

	"github.com/palisade-k8s/palisade/internal/engine"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// A configuration file is not a Kubernetes object: a rule of every kind
// (rules.AnyKind) never sees it, in Visit or in Finish; a rule that names
// inventory.ConfigFileKind does. Config files are counted apart from objects.
func TestAnyKindSkipsConfigFiles(t *testing.T) {
	cfg := &inventory.Object{
		Ref:    finding.ObjectRef{APIVersion: inventory.ConfigFileAPIVersion, Kind: inventory.ConfigFileKind, Name: "values.yaml"},
		Origin: finding.Location{File: "values.yaml", Line: 1},
		Config: &inventory.ConfigInfo{Format: "yaml"},
		Body:   map[string]any{"data": map[string]any{"token": "x"}},
	}
	// A Dockerfile (any palisade.dev/v1 kind) is not an object either: only the
	// rules that name its kind see it, those of configuration files included.
	df := &inventory.Object{
		Ref:    finding.ObjectRef{APIVersion: inventory.ConfigFileAPIVersion, Kind: inventory.DockerfileKind, Name: "Dockerfile"},
		Origin: finding.Location{File: "Dockerfile", Line: 1},
		Body:   map[string]any{"stages": []any{}},
	}
	cm := &inventory.Object{
		Ref:    finding.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Name: "c", Namespace: "default"},
		Origin: finding.Location{File: "cm.yaml", Line: 1},
		Body:   map[string]any{"apiVersion": "v1", "kind": "ConfigMap"},
	}
	var mu sync.Mutex
	seen := map[string][]string{}
	mk := func(id string, inventoryPhase bool, kinds ...string) *rules.Rule {
		r := &rules.Rule{
			Meta: rules.Meta{ID: id, Title: "t", Severity: finding.Low, Category: "test", Rationale: "r",
				Remediation: "m", Frameworks: rules.Frameworks{Layer: "code"}},
			Kinds: kinds,
			Object: func(p *rules.Pass, o *inventory.Object) {
				mu.Lock()
				seen[id] = append(seen[id], o.Ref.Kind)
				mu.Unlock()
			},
		}
		if inventoryPhase {
			r.Needs = []inventory.AnyIndex{configFileTestIndex}
		}
		return r
	}
	rs := []*rules.Rule{
		mk("TEST-1", false, rules.AnyKind),
		mk("TEST-2", false, inventory.ConfigFileKind),
		mk("TEST-3", false, "ConfigMap", inventory.ConfigFileKind, rules.AnyKind),
		mk("TEST-4", true, inventory.ConfigFileKind, "ConfigMap"),
		mk("TEST-5", false, inventory.DockerfileKind),
		mk("TEST-6", true, inventory.DockerfileKind, rules.AnyKind),
	}
	res := engine.Run(&inventory.Inventory{Objects: []*inventory.Object{cfg, df, cm}}, engine.Options{Rules: rs, Finder: workload.NewFinder(nil)})
	want := map[string]string{
		"TEST-1": "ConfigMap",
		"TEST-2": "ConfigFile",
		"TEST-3": "ConfigFile ConfigMap",
		"TEST-4": "ConfigFile ConfigMap",
		"TEST-5": "Dockerfile",
		"TEST-6": "ConfigMap Dockerfile",
	}
	for id, w := range want {
		got := append([]string(nil), seen[id]...)
		sort.Strings(got)
		if g := join(got); g != w {
			t.Errorf("%s saw %q, want %q", id, g, w)
		}
	}
	if res.Objects != 1 || res.ConfigFiles != 2 {
		t.Errorf("counts: %d objects, %d configuration files; want 1 and 2", res.Objects, res.ConfigFiles)
	}
}

var configFileTestIndex = inventory.NewIndex[int]("engine-test-config-files", []string{inventory.ConfigFileKind},
	func(inv *inventory.Inventory) int { return len(inv.Objects) })

func join(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += " "
		}
		out += v
	}
	return out
}
