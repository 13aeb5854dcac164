package engine_test

import (
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/engine"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/load"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

func init() {
	// An index that reads Service bodies: the ports each namespace exposes.
	inventory.RegisterIndexOfKinds("test-service-ports-by-namespace", []string{"Service"}, func(inv *inventory.Inventory) any {
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
}

// TestIndexOfKinds checks that the bodies an index reads are decoded and kept even
// though no enabled rule asks for that kind itself.
func TestIndexOfKinds(t *testing.T) {
	if got := inventory.IndexKinds("test-service-ports-by-namespace"); len(got) != 1 || got[0] != "Service" {
		t.Fatalf("IndexKinds = %v", got)
	}
	if got := inventory.IndexKinds(inventory.IndexKind); got != nil {
		t.Errorf("header-only index reads kinds %v", got)
	}
	rule := &rules.Rule{
		Meta: rules.Meta{ID: "TEST-2", Title: "ConfigMap in a namespace exposing no port", Severity: finding.Low,
			Category: "test", Rationale: "r", Remediation: "m", Frameworks: rules.Frameworks{Layer: "cluster"}},
		Kinds: []string{"ConfigMap"},
		Needs: []string{"test-service-ports-by-namespace"},
		Object: func(p *rules.Pass, o *inventory.Object) {
			if p.Inventory.Get("test-service-ports-by-namespace").(map[string]int)[o.Ref.Namespace] == 0 {
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
