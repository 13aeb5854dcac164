package engine_test

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/palisade-k8s/palisade/internal/engine"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/load"
	"github.com/palisade-k8s/palisade/internal/pss"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// servicePorts is an index that reads Service bodies: the ports each namespace exposes.
var servicePorts = inventory.NewIndex("test-service-ports-by-namespace", []string{"Service"}, func(inv *inventory.Inventory) map[string]int {
	m := map[string]int{}
	for _, o := range inv.Objects {
		if o.Ref.Kind != "Service" {
			continue
		}
		spec, _ := o.Body["spec"].(map[string]any)
		ports, _ := spec["ports"].([]any)
		m[o.Ref.Namespace] += len(ports)
	}
	return m
})

// TestIndexOfKinds checks that the bodies an index reads are decoded and kept even
// though no enabled rule asks for that kind itself.
func TestIndexOfKinds(t *testing.T) {
	if got := servicePorts.Kinds(); len(got) != 1 || got[0] != "Service" {
		t.Fatalf("IndexKinds = %v", got)
	}
	if got := inventory.ObjectsByKind.Kinds(); got != nil {
		t.Errorf("header-only index reads kinds %v", got)
	}
	rule := &rules.Rule{
		Meta: rules.Meta{ID: "TEST-2", Title: "ConfigMap in a namespace exposing no port", Severity: finding.Low,
			Category: "test", Rationale: "r", Remediation: "m", Frameworks: rules.Frameworks{Layer: "cluster"}},
		Kinds: []string{"ConfigMap"},
		Needs: []inventory.AnyIndex{servicePorts},
		Object: func(p *rules.Pass, o *inventory.Object) {
			if inventory.Get(p.Inventory, servicePorts)[o.Ref.Namespace] == 0 {
				p.Report("metadata.name", "", "no port in namespace %s", o.Ref.Namespace)
			}
		},
	}
	finder := workload.NewFinder(nil)
	rs := []*rules.Rule{rule}
	if !engine.Decoder(rs, finder)("v1", "Service") {
		t.Error("Decoder does not decode the kind an index reads")
	}
	eng := engine.New(engine.Options{Rules: rs, Finder: finder})
	manifests := `apiVersion: v1
kind: Service
metadata: {name: s1, namespace: a}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: s2, namespace: b}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c1, namespace: a}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c2, namespace: b}
`
	lr := load.Load([]string{"-"}, load.Options{
		Stdin: strings.NewReader(manifests), Decode: engine.Decoder(rs, finder),
		Visit: eng.Visit, Retain: eng.Retain,
	})
	res := eng.Finish(lr.Inventory)
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Object.Name)
	}
	if strings.Join(got, ",") != "c2" {
		t.Errorf("findings on %v, want [c2]", got)
	}
}

// TestWorkloadRuleWithNeeds: a workload rule that needs the inventory runs in Finish;
// it must not repeat the PSS fallback of the single-object rules (which would duplicate
// every failed check), and the workloads it sees are counted even when no other
// workload rule is enabled.
func TestWorkloadRuleWithNeeds(t *testing.T) {
	ev, err := pss.New("")
	if err != nil {
		t.Fatal(err)
	}
	var seen atomic.Int32
	cross := &rules.Rule{
		Meta: rules.Meta{ID: "TEST-3", Title: "t", Severity: finding.Low,
			Category: "test", Rationale: "r", Remediation: "m", Frameworks: rules.Frameworks{Layer: "container"}},
		Needs:    []inventory.AnyIndex{inventory.ObjectsByKind},
		Workload: func(p *rules.Pass, w *workload.Workload) { seen.Add(1) },
	}
	pod := `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: a, image: x, securityContext: {privileged: true}}
`
	for _, tc := range []struct {
		name  string
		rules []*rules.Rule
		// want is the number of findings of the PSS-gated privileged rule.
		want int
	}{
		{"all rules", append(rules.All(), cross), 1},
		{"only the cross-object rule", []*rules.Rule{cross}, 0},
	} {
		seen.Store(0)
		finder := workload.NewFinder(nil)
		eng := engine.New(engine.Options{Rules: tc.rules, Finder: finder, PSS: ev})
		lr := load.Load([]string{"-"}, load.Options{
			Stdin: strings.NewReader(pod), Decode: engine.Decoder(tc.rules, finder),
			Visit: eng.Visit, Retain: eng.Retain,
		})
		res := eng.Finish(lr.Inventory)
		if n := seen.Load(); n != 1 {
			t.Errorf("%s: the cross-object workload rule saw %d workloads, want 1", tc.name, n)
		}
		if res.Workloads != 1 {
			t.Errorf("%s: %d workloads counted, want 1", tc.name, res.Workloads)
		}
		var got []string
		for _, f := range res.Findings {
			if f.RuleID == "PAL-001" {
				got = append(got, f.Path+": "+f.Message)
			}
		}
		if len(got) != tc.want {
			t.Errorf("%s: privileged findings %q, want %d", tc.name, got, tc.want)
		}
	}
}
