package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
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

var builds atomic.Int32

var servicesByNamespace = inventory.NewIndex("test-services-by-namespace", nil, func(inv *inventory.Inventory) map[string]int {
	builds.Add(1)
	m := map[string]int{}
	for _, o := range inv.Objects {
		if o.Ref.Kind == "Service" {
			m[o.Ref.Namespace]++
		}
	}
	return m
})

const manifests = `apiVersion: v1
kind: Service
metadata: {name: s1, namespace: a}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c1, namespace: a}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c2, namespace: b}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c3, namespace: b}
`

// TestCrossObjectRule checks that a rule declaring Needs runs after loading, sees the
// inventory, and that its index is built exactly once however many objects use it.
func TestCrossObjectRule(t *testing.T) {
	rule := &rules.Rule{
		Meta: rules.Meta{ID: "TEST-1", Title: "ConfigMap in a namespace without Services", Severity: finding.Low,
			Category: "test", Rationale: "r", Remediation: "m", Frameworks: rules.Frameworks{Layer: "cluster"}},
		Kinds: []string{"ConfigMap"},
		Needs: []inventory.AnyIndex{servicesByNamespace},
		Object: func(p *rules.Pass, o *inventory.Object) {
			if p.Inventory == nil {
				t.Error("cross-object rule ran without the inventory")
				return
			}
			if inventory.Get(p.Inventory, servicesByNamespace)[o.Ref.Namespace] == 0 {
				p.Report("metadata.name", "", "no Service in namespace %s", o.Ref.Namespace)
			}
		},
	}
	builds.Store(0)
	finder := workload.NewFinder(nil)
	eng := engine.New(engine.Options{Rules: []*rules.Rule{rule}, Finder: finder})
	lr := load.Load([]string{"-"}, load.Options{
		Stdin: strings.NewReader(manifests), Decode: engine.Decoder([]*rules.Rule{rule}, finder),
		Visit: eng.Visit, Retain: eng.Retain,
	})
	res := eng.Finish(lr.Inventory)
	if n := builds.Load(); n != 1 {
		t.Errorf("index built %d times, want 1", n)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Object.Name)
	}
	if strings.Join(got, ",") != "c2,c3" {
		t.Errorf("findings on %v, want c2,c3", got)
	}
	for _, o := range lr.Inventory.Objects {
		if o.Ref.Kind == "ConfigMap" && o.Body == nil {
			t.Errorf("%s: body dropped although a cross-object rule reads ConfigMaps", o.Ref)
		}
		if o.Ref.Kind == "Service" && o.Body != nil {
			t.Errorf("%s: body kept although no rule decodes Services", o.Ref)
		}
	}
}

// TestUnknownIndexPanics: a rule needing an index nobody registered (not made by
// inventory.NewIndex) is caught.
func TestUnknownIndexPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for an unknown index")
		}
	}()
	engine.New(engine.Options{Rules: []*rules.Rule{{Meta: rules.Meta{ID: "TEST-2"}, Needs: []inventory.AnyIndex{&inventory.Index[int]{}},
		Object: func(*rules.Pass, *inventory.Object) {}}}})
}

// TestRulePanicIsContained: a rule that panics on an object is an internal error
// naming the rule and the object, and where in the code it panicked; every other
// rule still runs on that object and the rule itself on every other object.
func TestRulePanicIsContained(t *testing.T) {
	meta := func(id string) rules.Meta {
		return rules.Meta{ID: id, Title: "t", Severity: finding.Low, Category: "test", Rationale: "r",
			Remediation: "m", Frameworks: rules.Frameworks{Layer: "cluster"}}
	}
	rule := &rules.Rule{
		Meta:  meta("TEST-3"),
		Kinds: []string{"ConfigMap"},
		Object: func(p *rules.Pass, o *inventory.Object) {
			if o.Ref.Name == "c2" {
				var l []int
				_ = l[len(o.Ref.Name)] // a runtime panic, as a bug would cause
			}
			p.Report("metadata.name", "", "seen")
		},
	}
	other := &rules.Rule{Meta: meta("TEST-4"), Kinds: []string{"ConfigMap"},
		Object: func(p *rules.Pass, o *inventory.Object) { p.Report("metadata.name", "", "other") }}
	rs := []*rules.Rule{rule, other}
	finder := workload.NewFinder(nil)
	for _, workers := range []int{1, 4} {
		lr := load.Load([]string{"-"}, load.Options{Stdin: strings.NewReader(manifests), Decode: engine.Decoder(rs, finder)})
		res := engine.Run(lr.Inventory, engine.Options{Rules: rs, Finder: finder, Workers: workers})
		if len(res.Errors) != 0 {
			t.Errorf("input errors = %v, want none: the input is fine", res.Errors)
		}
		if len(res.Internal) != 1 {
			t.Fatalf("internal errors = %v, want one", res.Internal)
		}
		ie := res.Internal[0]
		if ie.Rule != "TEST-3" || ie.Object == nil || ie.Object.Name != "c2" || ie.Location == nil || ie.Location.File != "<stdin>" ||
			!strings.Contains(ie.Message, "panic: runtime error: index out of range [2] with length 0 (at github.com/palisade-k8s/palisade/internal/engine_test.TestRulePanicIsContained.func") {
			t.Errorf("internal error = %+v", ie)
		}
		n := map[string]int{}
		for _, f := range res.Findings {
			n[f.RuleID]++
		}
		if n["TEST-3"] != 2 || n["TEST-4"] != 3 {
			t.Errorf("findings by rule = %v, want TEST-3 on the other two ConfigMaps and TEST-4 on all three", n)
		}
	}
}

// TestPanicsAreBoundedPerRule: a rule that panics on every object is listed for the
// first few and counted for the rest; deferred settles and workload rules are guarded
// too.
func TestPanicsAreBoundedPerRule(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 12; i++ {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%d, namespace: a}\nspec: {containers: [{name: c, image: x}]}\n", i)
	}
	rule := &rules.Rule{
		Meta: rules.Meta{ID: "TEST-5", Title: "t", Severity: finding.Low, Category: "test", Rationale: "r",
			Remediation: "m", Frameworks: rules.Frameworks{Layer: "cluster"}},
		Workload: func(p *rules.Pass, w *workload.Workload) { panic("always") },
	}
	finder := workload.NewFinder(nil)
	lr := load.Load([]string{"-"}, load.Options{Stdin: strings.NewReader(b.String()), Decode: engine.Decoder([]*rules.Rule{rule}, finder)})
	res := engine.Run(lr.Inventory, engine.Options{Rules: []*rules.Rule{rule}, Finder: finder})
	if len(res.Internal) != 6 || res.Internal[5].Message != "rule TEST-5 also failed on 7 more objects" || res.Internal[0].Object.Name != "p0" {
		t.Errorf("internal errors = %+v", res.Internal)
	}
	if res.Workloads != 12 {
		t.Errorf("workloads = %d, want 12", res.Workloads)
	}
}

// TestBuiltinRulesKeepNoWorkloadBodies guards memory on large inputs: with every
// built-in rule enabled, opt-in ones included, no workload body outlives its parse
// (deferred rules settle their findings from indexes instead), while LimitRange
// bodies, which an index reads, are kept.
func TestBuiltinRulesKeepNoWorkloadBodies(t *testing.T) {
	all := rules.All()
	eng := engine.New(engine.Options{Rules: all, Finder: workload.NewFinder(nil)})
	for _, tc := range []struct {
		apiVersion, kind string
		keep             bool
	}{
		{"apps/v1", "Deployment", false},
		{"v1", "Pod", false},
		{"batch/v1", "CronJob", false},
		{"v1", "LimitRange", true},
	} {
		o := &inventory.Object{Ref: finding.ObjectRef{APIVersion: tc.apiVersion, Kind: tc.kind, Name: "x"}}
		if got := eng.Retain(o); got != tc.keep {
			t.Errorf("Retain(%s) = %v, want %v", tc.kind, got, tc.keep)
		}
	}
}

// TestAnyKindRuleWithWorkloadAndMemo checks a rule that sets both Workload and Object
// with AnyKind: it sees every object once (bodies only for the kinds it lists and for
// workloads), Workload runs before Object on a workload, and two such rules share one
// Memo value per object.
func TestAnyKindRuleWithWorkloadAndMemo(t *testing.T) {
	input := manifests + `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: a}
spec:
  template:
    spec:
      containers: [{name: app, image: nginx}]
`
	var computed atomic.Int32
	seen := map[string][]string{}
	var mu sync.Mutex
	mk := func(id string) *rules.Rule {
		return &rules.Rule{
			Meta: rules.Meta{ID: id, Title: "t", Severity: finding.Low, Category: "test", Rationale: "r",
				Remediation: "m", Frameworks: rules.Frameworks{Layer: "code"}},
			Kinds: []string{"ConfigMap", rules.AnyKind},
			Workload: func(p *rules.Pass, w *workload.Workload) {
				p.Memo("test", func() any { computed.Add(1); return nil })
				mu.Lock()
				seen[id+" "+w.Object.Ref.Name] = append(seen[id+" "+w.Object.Ref.Name], "workload")
				mu.Unlock()
			},
			Object: func(p *rules.Pass, o *inventory.Object) {
				p.Memo("test", func() any { computed.Add(1); return nil })
				body := "header"
				if o.Body != nil {
					body = "body"
				}
				mu.Lock()
				seen[id+" "+o.Ref.Name] = append(seen[id+" "+o.Ref.Name], body)
				mu.Unlock()
			},
		}
	}
	rs := []*rules.Rule{mk("TEST-4"), mk("TEST-5")}
	finder := workload.NewFinder(nil)
	eng := engine.New(engine.Options{Rules: rs, Finder: finder})
	lr := load.Load([]string{"-"}, load.Options{
		Stdin: strings.NewReader(input), Decode: engine.Decoder(rs, finder), Visit: eng.Visit, Retain: eng.Retain,
	})
	eng.Finish(lr.Inventory)
	for _, id := range []string{"TEST-4", "TEST-5"} {
		for name, want := range map[string]string{"s1": "header", "c1": "body", "c3": "body", "d": "workload,body"} {
			if got := strings.Join(seen[id+" "+name], ","); got != want {
				t.Errorf("%s on %s: %q, want %q", id, name, got, want)
			}
		}
	}
	if n := computed.Load(); n != 5 {
		t.Errorf("memo computed %d times, want once per object (5)", n)
	}
}

// TestEvaluatedCounts: the result counts, per enabled rule, the objects it applied
// to: workloads for workload rules (PSS-gated ones too, whether or not their official
// check failed), objects of its kinds for object rules, whether they ran in Visit or
// in Finish, and zero for a rule with nothing in scope.
func TestEvaluatedCounts(t *testing.T) {
	meta := func(id string) rules.Meta {
		return rules.Meta{ID: id, Title: "t", Severity: finding.Low, Category: "test", Rationale: "r",
			Remediation: "m", Frameworks: rules.Frameworks{Layer: "cluster"}}
	}
	gated := meta("TEST-W2")
	gated.Frameworks.PSS, gated.Frameworks.PSSCheck = "baseline", "privileged"
	rs := []*rules.Rule{
		{Meta: meta("TEST-W1"), Workload: func(*rules.Pass, *workload.Workload) {}},
		{Meta: gated, Workload: func(*rules.Pass, *workload.Workload) {}},
		{Meta: meta("TEST-O1"), Kinds: []string{"ConfigMap"}, Object: func(*rules.Pass, *inventory.Object) {}},
		{Meta: meta("TEST-O2"), Kinds: []string{"Secret"}, Object: func(*rules.Pass, *inventory.Object) {}},
		{Meta: meta("TEST-X1"), Kinds: []string{"ConfigMap", "Service"}, Needs: []inventory.AnyIndex{servicesByNamespace},
			Object: func(*rules.Pass, *inventory.Object) {}},
	}
	// Two rules with an allow-list they need: idle while it is empty.
	for _, id := range []string{"TEST-A1", "TEST-A2"} {
		m := meta(id)
		m.Params = []rules.Param{{Name: "allowed", Description: "d", Default: []string{}, Required: true}}
		rs = append(rs, &rules.Rule{Meta: m, Workload: func(*rules.Pass, *workload.Workload) {}})
	}
	input := manifests + `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: a}
spec:
  template:
    spec:
      containers: [{name: c, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: a}
spec:
  containers: [{name: c, image: nginx, securityContext: {privileged: true}}]
`
	ev, err := pss.New("")
	if err != nil {
		t.Fatal(err)
	}
	finder := workload.NewFinder(nil)
	eng := engine.New(engine.Options{Rules: rs, Finder: finder, PSS: ev,
		Params: map[string]map[string]any{"TEST-A2": {"allowed": []any{"registry.example.com"}}}})
	lr := load.Load([]string{"-"}, load.Options{
		Stdin: strings.NewReader(input), Decode: engine.Decoder(rs, finder), Visit: eng.Visit, Retain: eng.Retain,
	})
	res := eng.Finish(lr.Inventory)
	if strings.Join(res.Idle, ",") != "TEST-A1" {
		t.Errorf("idle = %v, want the rule whose allow-list is empty", res.Idle)
	}
	want := map[string]int{"TEST-W1": 2, "TEST-W2": 2, "TEST-O1": 3, "TEST-O2": 0, "TEST-X1": 4, "TEST-A1": 2, "TEST-A2": 2}
	if len(res.Evaluated) != len(want) {
		t.Errorf("evaluated = %v, want %v", res.Evaluated, want)
	}
	for id, n := range want {
		if got, ok := res.Evaluated[id]; !ok || got != n {
			t.Errorf("%s evaluated %d objects (present %v), want %d", id, got, ok, n)
		}
	}
	if res.Workloads != 2 {
		t.Errorf("workloads = %d, want 2", res.Workloads)
	}
}

func testRule(id string, kinds []string, object func(*rules.Pass, *inventory.Object), wl func(*rules.Pass, *workload.Workload)) *rules.Rule {
	return &rules.Rule{
		Meta: rules.Meta{ID: id, Title: "t", Severity: finding.High, Category: "test", Rationale: "r",
			Remediation: "m", Frameworks: rules.Frameworks{Layer: "cluster"}},
		Kinds: kinds, Object: object, Workload: wl,
	}
}

// TestFreshStopsWithContext: once the context of Fresh ends, no further rule runs on
// the object, workload rules included; the object is reported as not fully checked
// and the result says the evaluation stopped. The admission webhook's deadline stops
// a review's evaluation this way instead of letting it run on unanswered.
func TestFreshStopsWithContext(t *testing.T) {
	const pod = `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: a}
spec: {containers: [{name: c, image: x}]}
`
	for _, workloadRules := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		var ran []string
		mk := func(id string, stop bool) *rules.Rule {
			body := func() {
				ran = append(ran, id)
				if stop {
					cancel()
				}
			}
			if workloadRules {
				return testRule(id, nil, nil, func(p *rules.Pass, w *workload.Workload) { body(); p.Report(w.SpecPath, "", "seen") })
			}
			return testRule(id, []string{"Pod"}, func(p *rules.Pass, o *inventory.Object) { body(); p.Report("spec", "", "seen") }, nil)
		}
		rs := []*rules.Rule{mk("TEST-A", true), mk("TEST-B", false), mk("TEST-C", false)}
		finder := workload.NewFinder(nil)
		lr := load.Load([]string{"-"}, load.Options{Stdin: strings.NewReader(pod), Decode: engine.Decoder(rs, finder)})
		run := engine.Compile(engine.Options{Rules: rs, Finder: finder, Workers: 1}).NewRun(ctx)
		for _, o := range lr.Inventory.Objects {
			run.Visit(o)
		}
		res := run.Finish(lr.Inventory)
		if strings.Join(ran, ",") != "TEST-A" {
			t.Errorf("workload rules %v: rules run after the context ended: %v", workloadRules, ran)
		}
		if !errors.Is(res.Stopped, context.Canceled) || len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "not fully checked: context canceled") {
			t.Errorf("workload rules %v: stopped %v, errors %v", workloadRules, res.Stopped, res.Errors)
		}
	}
	// A context that never ends changes nothing.
	rs := []*rules.Rule{testRule("TEST-A", []string{"ConfigMap"}, func(p *rules.Pass, o *inventory.Object) { p.Report("data", "", "seen") }, nil)}
	lr := load.Load([]string{"-"}, load.Options{Stdin: strings.NewReader(manifests), Decode: engine.Decoder(rs, workload.NewFinder(nil))})
	run := engine.Compile(engine.Options{Rules: rs, Workers: 1}).NewRun(context.Background())
	for _, o := range lr.Inventory.Objects {
		run.Visit(o)
	}
	if res := run.Finish(lr.Inventory); res.Stopped != nil || len(res.Errors) > 0 || len(res.Findings) != 3 {
		t.Errorf("stopped %v, errors %v, %d findings, want 3", res.Stopped, res.Errors, len(res.Findings))
	}
}

// TestMaxFindings: past MaxFindings, an object's findings are not kept but counted
// by rule, each rule's first omitted finding standing for the rest with the object's
// identity, a fingerprint and suppression like a kept one.
func TestMaxFindings(t *testing.T) {
	many := func(id string, n int) *rules.Rule {
		return testRule(id, []string{"ConfigMap"}, func(p *rules.Pass, o *inventory.Object) {
			for i := 0; i < n; i++ {
				p.Report(fmt.Sprintf("data.k%d", i), "", "finding %d", i)
			}
		}, nil)
	}
	rs := []*rules.Rule{many("TEST-A", 4), many("TEST-B", 1000)}
	lr := load.Load([]string{"-"}, load.Options{Stdin: strings.NewReader(manifests), Decode: engine.Decoder(rs, workload.NewFinder(nil))})
	res := engine.Run(lr.Inventory, engine.Options{Rules: rs, MaxFindings: 10, Workers: 1,
		Suppress: func(o *inventory.Object, f *finding.Finding) {
			if o.Ref.Name == "c2" {
				f.Suppressed = &finding.Suppression{Kind: "config", Reason: "test"}
			}
		}})
	if len(res.Findings) != 30 {
		t.Errorf("%d findings kept, want 10 for each of the 3 ConfigMaps", len(res.Findings))
	}
	if len(res.Omitted) != 3 {
		t.Fatalf("omitted %+v, want one entry per ConfigMap", res.Omitted)
	}
	for _, o := range res.Omitted {
		if o.RuleID != "TEST-B" || o.Count != 994 || o.Object.Kind != "ConfigMap" || o.Fingerprint == "" ||
			o.Path != "data.k6" || (o.Object.Name == "c2") != (o.Suppressed != nil) {
			t.Errorf("omitted %+v", o)
		}
	}
}

// TestPlanRunsAreIndependent: one compiled plan serves many runs (the webhook's
// reviews) and each run starts with no state: findings, deferred findings and the
// objects a Scoped rule counted belong to their run alone, even when runs of the
// plan overlap.
func TestPlanRunsAreIndependent(t *testing.T) {
	scoped := testRule("TEST-S", []string{"ConfigMap"}, func(p *rules.Pass, o *inventory.Object) {
		if o.Ref.Name != "c2" {
			p.InScope()
			p.Report("data", "", "seen")
		}
	}, nil)
	scoped.Scoped = true
	rs := []*rules.Rule{scoped}
	lr := load.Load([]string{"-"}, load.Options{Stdin: strings.NewReader(manifests), Decode: engine.Decoder(rs, workload.NewFinder(nil))})
	plan := engine.Compile(engine.Options{Rules: rs, Workers: 1})
	first, second := plan.NewRun(context.Background()), plan.NewRun(context.TODO())
	for _, o := range lr.Inventory.Objects {
		first.Visit(o)
		second.Visit(o)
	}
	a := first.Finish(lr.Inventory)
	for i := 0; i < 3; i++ {
		run := plan.NewRun(context.Background())
		for _, o := range lr.Inventory.Objects {
			run.Visit(o)
		}
		run.Finish(lr.Inventory)
	}
	b := second.Finish(lr.Inventory)
	for _, res := range []*engine.Result{a, b} {
		if n := res.Evaluated["TEST-S"]; n != 2 || len(res.Findings) != 2 {
			t.Errorf("evaluated %d, %d findings; want 2 and 2 in each run", n, len(res.Findings))
		}
	}
}

// TestPhases: a rule's shape decides its phase (rules.Phase), and the phase decides
// what runs while objects are parsed and what runs once the input is loaded.
func TestPhases(t *testing.T) {
	wl := func(*rules.Pass, *workload.Workload) {}
	obj := func(*rules.Pass, *inventory.Object) {}
	local := testRule("TEST-L", []string{"ConfigMap"}, obj, wl)
	settled := testRule("TEST-D", nil, nil, wl)
	settled.Needs, settled.Deferred = []inventory.AnyIndex{servicesByNamespace}, true
	inv := testRule("TEST-I", []string{"ConfigMap"}, obj, nil)
	inv.Needs = []inventory.AnyIndex{servicesByNamespace}
	for r, want := range map[*rules.Rule]rules.Phase{local: rules.Local, settled: rules.Settled, inv: rules.Inventory} {
		if got := r.Phase(); got != want {
			t.Errorf("%s: phase %v, want %v", r.ID, got, want)
		}
	}
	// Deferred only has a meaning for a workload rule with needs: anything else is a
	// registration error, not a silent change of phase.
	bad := testRule("TEST-BAD-DEFERRED", []string{"ConfigMap"}, obj, nil)
	bad.Needs, bad.Deferred = []inventory.AnyIndex{servicesByNamespace}, true
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Register accepted a Deferred rule without a Workload check")
			}
		}()
		rules.Register(bad)
	}()
}

// TestSettledObject: a Settled rule's Object runs while objects are parsed and its
// ReportSettled findings are settled once the indexes exist, bodies of its kinds not
// kept (the signature rules judge workloads and images this way).
func TestSettledObject(t *testing.T) {
	r := testRule("TEST-SO", []string{"ConfigMap"}, func(p *rules.Pass, o *inventory.Object) {
		if p.Inventory != nil {
			t.Error("a settled rule's Object saw the inventory")
		}
		name := o.Ref.Name
		p.ReportSettled(func(inv *inventory.Inventory, f *finding.Finding) bool {
			f.Message += fmt.Sprintf(" (%d services)", inventory.Get(inv, servicesByNamespace)[o.Ref.Namespace])
			return name != "c2"
		}, "data", "", "seen %s", name)
	}, func(*rules.Pass, *workload.Workload) {})
	r.Needs, r.Deferred = []inventory.AnyIndex{servicesByNamespace}, true
	rs := []*rules.Rule{r}
	lr := load.Load([]string{"-"}, load.Options{Stdin: strings.NewReader(manifests), Decode: engine.Decoder(rs, workload.NewFinder(nil))})
	eng := engine.New(engine.Options{Rules: rs, Workers: 1})
	for _, o := range lr.Inventory.Objects {
		eng.Visit(o)
		if o.Ref.Kind == "ConfigMap" && eng.Retain(o) {
			t.Errorf("%s kept for a settled rule", o.Ref)
		}
	}
	res := eng.Finish(lr.Inventory)
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Message)
	}
	if want := []string{"seen c1 (1 services)", "seen c3 (0 services)"}; !slices.Equal(got, want) {
		t.Errorf("findings %q, want %q", got, want)
	}
}

// TestInventoryRuleWithBothShapes: an Inventory rule with Workload and Object runs
// both once the input is loaded.
func TestInventoryRuleWithBothShapes(t *testing.T) {
	var objects atomic.Int32
	r := testRule("TEST-IB", []string{"ConfigMap"}, func(p *rules.Pass, o *inventory.Object) {
		if p.Inventory != nil {
			objects.Add(1)
		}
	}, func(*rules.Pass, *workload.Workload) {})
	r.Needs = []inventory.AnyIndex{servicesByNamespace}
	rs := []*rules.Rule{r}
	lr := load.Load([]string{"-"}, load.Options{Stdin: strings.NewReader(manifests), Decode: engine.Decoder(rs, workload.NewFinder(nil))})
	engine.Run(lr.Inventory, engine.Options{Rules: rs, Finder: workload.NewFinder(nil), Workers: 1})
	if n := objects.Load(); n != 3 {
		t.Errorf("Object ran on %d ConfigMaps after the load, want 3", n)
	}
}
