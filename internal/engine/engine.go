// Package engine runs the registered rules over an inventory: in parallel across
// objects, each workload decoded and PSS-evaluated once, each shared index built once.
package engine

import (
	"runtime"
	"sort"
	"sync"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/pss"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// Options configures a run.
type Options struct {
	// Rules are the enabled rules, with any configured severity already applied.
	Rules []*rules.Rule
	// Params holds configured parameter values by rule ID and name.
	Params map[string]map[string]any
	PSS    *pss.Evaluator
	Finder *workload.Finder
	// Suppress, if set, is offered every finding and may mark it suppressed.
	Suppress func(o *inventory.Object, f *finding.Finding)
	Workers  int
}

// Result is what a run produced.
type Result struct {
	Findings []finding.Finding
	// Errors are objects whose pod template could not be decoded.
	Errors []finding.InputError
	// Objects and Workloads count what was checked.
	Objects, Workloads int
}

// Decoder returns the load-time decision of which kinds need a full decode: kinds that
// run pods, and kinds that object rules ask for.
func Decoder(rs []*rules.Rule, f *workload.Finder) func(apiVersion, kind string) bool {
	kinds := map[string]bool{}
	for _, r := range rs {
		for _, k := range r.Kinds {
			kinds[k] = true
		}
	}
	return func(apiVersion, kind string) bool {
		if kinds[kind] {
			return true
		}
		_, ok := f.Lookup(apiVersion, kind)
		return ok
	}
}

type objResult struct {
	findings []finding.Finding
	err      *finding.InputError
	workload bool
}

// Run evaluates every rule on every object.
func Run(inv *inventory.Inventory, opts Options) *Result {
	var wlRules []*rules.Rule
	objRules := map[string][]*rules.Rule{}
	byCheck := map[string][]*rules.Rule{}
	for _, r := range opts.Rules {
		if r.Workload != nil {
			wlRules = append(wlRules, r)
			if c := r.Frameworks.PSSCheck; c != "" {
				byCheck[c] = append(byCheck[c], r)
			}
		}
		for _, k := range r.Kinds {
			objRules[k] = append(objRules[k], r)
		}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	results := make([]objResult, len(inv.Objects))
	var wg sync.WaitGroup
	next := make(chan int, workers*8)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for idx := range next {
				results[idx] = evalObject(inv, inv.Objects[idx], &opts, wlRules, objRules, byCheck)
			}
		}()
	}
	for i := range inv.Objects {
		next <- i
	}
	close(next)
	wg.Wait()

	res := &Result{Objects: len(inv.Objects)}
	for _, r := range results {
		res.Findings = append(res.Findings, r.findings...)
		if r.err != nil {
			res.Errors = append(res.Errors, *r.err)
		}
		if r.workload {
			res.Workloads++
		}
	}
	return res
}

func evalObject(inv *inventory.Inventory, o *inventory.Object, opts *Options, wlRules []*rules.Rule, objRules map[string][]*rules.Rule, byCheck map[string][]*rules.Rule) objResult {
	var out objResult
	report := func(f finding.Finding) {
		f.ComputeFingerprint()
		if opts.Suppress != nil {
			opts.Suppress(o, &f)
		}
		out.findings = append(out.findings, f)
	}
	if opts.Finder != nil && len(wlRules) > 0 {
		w, err := opts.Finder.From(o)
		if err != nil {
			e := finding.InputError{Location: o.Origin, Message: o.Ref.String() + ": pod template: " + err.Error()}
			out.err = &e
		} else if w != nil {
			out.workload = true
			evalWorkload(inv, o, w, opts, wlRules, byCheck, report)
		}
	}
	for _, r := range objRules[o.Ref.Kind] {
		r.Object(newPass(r, o, inv, opts, report), o)
	}
	sort.SliceStable(out.findings, func(i, j int) bool {
		a, b := &out.findings[i], &out.findings[j]
		if a.Location.Line != b.Location.Line {
			return a.Location.Line < b.Location.Line
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		if a.Container != b.Container {
			return a.Container < b.Container
		}
		return a.Path < b.Path
	})
	return out
}

// subsumedBy maps a restricted check to the baseline check whose findings already
// explain its failure when the restricted rule itself finds nothing: a hostPath volume
// fails restrictedVolumes, an Unconfined seccomp profile fails seccompProfile_restricted,
// a capability outside the baseline set fails capabilities_restricted.
var subsumedBy = map[string]string{
	"restrictedVolumes":         "hostPathVolumes",
	"seccompProfile_restricted": "seccompProfile_baseline",
	"capabilities_restricted":   "capabilities_baseline",
}

// evalWorkload runs workload rules. A rule tagged with a PSS check runs only when the
// official check fails at the configured version; the rule then points at the fields.
// If the check fails and no rule mapped to it pinpoints a field, the first enabled rule
// for it reports the official detail on the pod spec, so no violation is lost.
func evalWorkload(inv *inventory.Inventory, o *inventory.Object, w *workload.Workload, opts *Options, wlRules []*rules.Rule, byCheck map[string][]*rules.Rule, report func(finding.Finding)) {
	var failed map[string]pss.Result
	if opts.PSS != nil {
		failed = opts.PSS.Evaluate(w.Meta, w.Spec)
	}
	reportedCheck := map[string]bool{}
	for _, r := range wlRules {
		check := r.Frameworks.PSSCheck
		if check != "" {
			if _, bad := failed[check]; !bad {
				continue
			}
		}
		n := 0
		r.Workload(newPass(r, o, inv, opts, func(f finding.Finding) {
			n++
			report(f)
		}), w)
		if n > 0 && check != "" {
			reportedCheck[check] = true
		}
	}
	for check, res := range failed {
		rs := byCheck[check]
		if len(rs) == 0 || reportedCheck[check] || reportedCheck[subsumedBy[check]] {
			continue
		}
		r := rs[0]
		newPass(r, o, inv, opts, report).Report(w.SpecPath, "",
			"Pod Security Standards %s check %q fails: %s (%s)", res.Level, check, res.Reason, res.Detail)
	}
}

func params(r *rules.Rule, opts *Options) map[string]any {
	m := make(map[string]any, len(r.Params))
	for _, p := range r.Params {
		m[p.Name] = p.Default
	}
	for k, v := range opts.Params[r.ID] {
		m[k] = v
	}
	return m
}

func newPass(r *rules.Rule, o *inventory.Object, inv *inventory.Inventory, opts *Options, report func(finding.Finding)) *rules.Pass {
	p := rules.NewPass(r, o, inv, params(r, opts), report)
	if opts.PSS != nil {
		p.PSS = opts.PSS
	}
	return p
}
