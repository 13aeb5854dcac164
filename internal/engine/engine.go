// Package engine runs the registered rules over an inventory: in parallel across
// objects, each workload decoded and PSS-evaluated once, each shared index built once.
//
// Compile turns the enabled rules and the options into an immutable Plan: the rules
// of each phase (rules.Phase) by kind, their parameters, the PSS fallback tables,
// the kinds to decode and keep, the indexes to build. A Plan starts any number of
// Evaluations (NewRun), each holding the state of one run: findings, deferred
// findings, counts. Visit runs the Local and Settled rules while objects are parsed;
// Finish builds the indexes, settles the deferred findings and runs the Inventory
// rules.
package engine

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

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
	// MaxFindings, if positive, bounds the findings kept for each object; the ones
	// past it are counted by rule in Result.Omitted (the admission webhook bounds
	// what one review holds with it).
	MaxFindings int
}

// Result is what a run produced.
type Result struct {
	Findings []finding.Finding
	// Errors are objects whose pod template could not be decoded.
	Errors []finding.InputError
	// Objects and Workloads count the Kubernetes objects checked; ConfigFiles the
	// configuration files (inventory.Object.IsConfigFile), which are not objects.
	Objects, Workloads, ConfigFiles int
	// Evaluated counts, by rule ID, the objects each enabled rule applied to: the
	// workloads for a workload rule, the objects of its Kinds for an object rule. A
	// rule tagged with a Pod Security Standards check counts every workload, whether
	// or not the official check let it run. Compliance views use it to tell a control
	// that passed from one with nothing in scope. A Scoped rule counts only the
	// objects it called Pass.InScope for.
	Evaluated map[string]int
	// Idle lists, in ID order, the enabled rules that check nothing with their
	// configured parameters (rules.Rule.Idle), such as an allow-list left empty.
	Idle []string
	// Omitted are the findings past Options.MaxFindings, in input order: for each
	// object and rule, the first finding not kept, with the number not kept. They
	// get object identities, fingerprints and suppression like kept findings.
	Omitted []Omitted
	// Stopped is the context's error when the context of NewRun ended before every
	// rule ran; the objects not fully checked are also in Errors.
	Stopped error
	// Internal are the rules (or stages) that panicked, each on an object, in input
	// order; every other rule still ran on every object. At most
	// maxInternalPerRule entries name a rule's objects, a last one counts the rest.
	Internal []finding.InternalError
	// Unknown are the checks rules could not decide for lack of evidence
	// (rules.Pass.ReportUnknown), in input order: coverage, not findings.
	Unknown []finding.CoverageGap
}

// Omitted stands for the findings of one rule on one object that were not kept.
type Omitted struct {
	// Finding is the first of them.
	finding.Finding
	Count int
}

// maxInternalPerRule bounds the internal errors listed for one rule: a rule that
// fails on every object is reported a few times and counted.
const maxInternalPerRule = 5

// Decoder returns the load-time decision of which kinds need a full decode: kinds that
// run pods, and kinds that object rules ask for.
func Decoder(rs []*rules.Rule, f *workload.Finder) func(apiVersion, kind string) bool {
	kinds := map[string]bool{}
	for _, r := range rs {
		if !r.HeaderOnly {
			for _, k := range r.Kinds {
				if k != rules.AnyKind {
					kinds[k] = true
				}
			}
		}
		for k := range indexKinds(r) {
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

// indexKinds returns the kinds whose bodies the indexes a rule needs read.
func indexKinds(r *rules.Rule) map[string]bool {
	var m map[string]bool
	for _, n := range r.Needs {
		for _, k := range n.Kinds() {
			if m == nil {
				m = map[string]bool{}
			}
			m[k] = true
		}
	}
	return m
}

type objResult struct {
	findings []finding.Finding
	omitted  []Omitted
	deferred []deferredFinding
	err      *finding.InputError
	internal []finding.InternalError
	unknown  []finding.CoverageGap
	workload bool
}

// add keeps f, or counts it as omitted once max (if positive) findings are kept.
func (r *objResult) add(f finding.Finding, max int) {
	if max <= 0 || len(r.findings) < max {
		r.findings = append(r.findings, f)
		return
	}
	r.omit(f, 1)
}

// omit counts n findings of f's rule as omitted, f standing for them if it is the
// first.
func (r *objResult) omit(f finding.Finding, n int) {
	for i := range r.omitted {
		if r.omitted[i].RuleID == f.RuleID {
			r.omitted[i].Count += n
			return
		}
	}
	r.omitted = append(r.omitted, Omitted{Finding: f, Count: n})
}

// merge adds the findings of s, about the same object, to r.
func (r *objResult) merge(s *objResult, max int) {
	for _, f := range s.findings {
		r.add(f, max)
	}
	for _, o := range s.omitted {
		r.omit(o.Finding, o.Count)
	}
}

// internalError records a panic recovered while rule (or, when "", the engine) was
// checking o. Call it from the deferred function that recovered.
func internalError(rule string, o *inventory.Object, v any) finding.InternalError {
	ref, loc := o.Ref, o.Origin
	return finding.InternalError{Rule: rule, Object: &ref, Location: &loc, Message: finding.Recovered(v)}
}

// deferredFinding is decided by settle once the inventory is known.
type deferredFinding struct {
	f      finding.Finding
	settle rules.Settle
}

// settleDeferred decides the findings that deferred rules reported during the parse.
func (e *Evaluation) settleDeferred(inv *inventory.Inventory) {
	e.parallel(inv, func(o *inventory.Object) {
		e.mu.Lock()
		r := e.pending[o]
		e.mu.Unlock()
		if r == nil || len(r.deferred) == 0 {
			return
		}
		for _, d := range r.deferred {
			if e.settle(inv, o, r, &d) {
				r.add(d.f, e.plan.opts.MaxFindings)
			}
		}
		r.deferred = nil
	})
}

// settle decides one deferred finding; a panic in its rule's settle function is an
// internal error of that rule on o, and the finding is dropped.
func (e *Evaluation) settle(inv *inventory.Inventory, o *inventory.Object, r *objResult, d *deferredFinding) (stands bool) {
	defer func() {
		if v := recover(); v != nil {
			r.internal = append(r.internal, internalError(d.f.RuleID, o, v))
			stands = false
		}
	}()
	return d.settle(inv, &d.f)
}

// anyKindPseudo keys, in Plan.visitObj, the rules of every kind (rules.AnyKind)
// that also name a pseudo kind (pseudoKinds): they run on those files once, as rules
// of that kind. anyKindPseudo+inventory.ConfigFileKind holds those of configuration
// files.
const anyKindPseudo = "\x00"

// pseudoKinds are the palisade.dev/v1 kinds of the files that are not objects.
var pseudoKinds = []string{inventory.ConfigFileKind, inventory.DockerfileKind}

// Plan is what the engine compiles once from the enabled rules and the options: the
// rules of each phase (rules.Phase) by kind, their parameters, the PSS fallback
// tables, the kinds to decode and to keep. It is immutable and safe for concurrent
// use: every Evaluation (NewRun) reads it. The admission webhook compiles one plan
// per configuration and starts a run per review.
type Plan struct {
	opts Options
	// visitWL and visitObj are the rules of the Local and Settled phases, which
	// Visit runs while objects are parsed (visitObj by kind, rules.AnyKind for
	// those of every kind).
	visitWL  []*rules.Rule
	visitObj map[string][]*rules.Rule
	// finishWL and finishObj are the rules of the Inventory phase, run in Finish.
	finishWL  []*rules.Rule
	finishObj map[string][]*rules.Rule
	// byCheck lists the Visit workload rules of each PSS check; partialCheck marks
	// PSS checks some of whose rules are disabled.
	byCheck      map[string][]*rules.Rule
	partialCheck map[string]bool
	params       map[string]map[string]any
	// indexKinds are kinds whose bodies a needed index reads in Finish; retainKinds
	// are kinds whose bodies an Inventory rule reads in Finish.
	indexKinds  map[string]bool
	retainKinds map[string]bool
	// needsIndexes is set when some rule needs inventory indexes; indexes are
	// those indexes with each rule that needs them: an index is built once, and a
	// build that fails is an internal error of every rule that needs it.
	needsIndexes bool
	indexes      []neededIndex
	// scoped numbers the Scoped rules: the slot of each rule's count in a run.
	scoped map[string]int
	// decode is the load-time decision of which kinds are decoded (Decoder).
	decode func(apiVersion, kind string) bool
	// paramsOfFn is p.paramsOf as a func value, made once rather than per pass;
	// enabledFn says whether a rule runs.
	paramsOfFn func(string) map[string]any
	enabledFn  func(string) bool
}

// neededIndex is an index a plan's rule reads.
type neededIndex struct {
	rule  *rules.Rule
	index inventory.AnyIndex
}

// Evaluation is one run of a plan over one input: the findings, the deferred
// findings and the counts of that run. Visit runs the Local and Settled rules on
// each object, which the loader calls from its parse workers while the object's
// body is decoded, so bodies need not outlive the parse. Finish builds the indexes,
// settles the deferred findings, runs the Inventory rules and orders the findings.
type Evaluation struct {
	plan *Plan

	mu      sync.Mutex
	pending map[*inventory.Object]*objResult
	// scoped counts, per Scoped rule (Plan.scoped), the objects it said it applies to.
	scoped []atomic.Int64

	// ctx, when set, stops the evaluation between rules once it ends; stopped
	// records that it did.
	ctx     context.Context
	stopped atomic.Bool
	// stageErrors are panics outside a rule's check of an object (building an index).
	stageErrors []finding.InternalError
}

// Compile prepares the plan of a set of rules. It panics if a rule needs an index
// nobody registered: that is a programming error caught by the first test run.
func Compile(opts Options) *Plan {
	// A PerRun rule's registered entry only documents it: a run without its
	// instance (no policies to build one from) checks nothing with it.
	opts.Rules = slices.DeleteFunc(slices.Clone(opts.Rules), func(r *rules.Rule) bool {
		return r.PerRun && r.Workload == nil && r.Object == nil
	})
	pl := &Plan{
		opts: opts, byCheck: map[string][]*rules.Rule{}, visitObj: map[string][]*rules.Rule{},
		finishObj: map[string][]*rules.Rule{}, params: map[string]map[string]any{},
		partialCheck: map[string]bool{}, indexKinds: map[string]bool{}, retainKinds: map[string]bool{},
		scoped: map[string]int{},
	}
	pl.paramsOfFn = pl.paramsOf
	pl.enabledFn = func(id string) bool { _, ok := pl.params[id]; return ok }
	pl.decode = Decoder(opts.Rules, opts.Finder)
	enabled := map[string]bool{}
	for _, r := range opts.Rules {
		enabled[r.ID] = true
	}
	// The fallback for a failed PSS check stands in only for a locator miss; when a
	// rule for that check is disabled, its silence is the user's choice.
	for _, r := range rules.All() {
		if c := r.Frameworks.PSSCheck; c != "" && !enabled[r.ID] {
			pl.partialCheck[c] = true
		}
	}
	for _, r := range opts.Rules {
		if r.Scoped {
			pl.scoped[r.ID] = len(pl.scoped)
		}
		for _, n := range r.Needs {
			if !inventory.Registered(n) {
				panic(fmt.Sprintf("engine: rule %s needs an index not made by inventory.NewIndex (%v)", r.ID, n))
			}
			pl.indexes = append(pl.indexes, neededIndex{r, n})
		}
		pl.params[r.ID] = params(r, &pl.opts)
		for k := range indexKinds(r) {
			pl.indexKinds[k] = true
		}
		if len(r.Needs) > 0 {
			pl.needsIndexes = true
		}
		phase := r.Phase()
		if r.Workload != nil {
			// An inventory rule may also have Object (its Kinds are then checked
			// after the load too).
			if phase == rules.Inventory {
				pl.finishWL = append(pl.finishWL, r)
			} else {
				pl.visitWL = append(pl.visitWL, r)
				if c := r.Frameworks.PSSCheck; c != "" {
					pl.byCheck[c] = append(pl.byCheck[c], r)
				}
			}
		}
		if r.Object == nil {
			continue
		}
		if r.AnyKind() {
			// It runs on every object; its other kinds only ask for decoded bodies,
			// but for pseudo kinds: configuration files and Dockerfiles are not
			// objects of any kind.
			pl.visitObj[rules.AnyKind] = append(pl.visitObj[rules.AnyKind], r)
			for _, k := range pseudoKinds {
				if slices.Contains(r.Kinds, k) {
					pl.visitObj[anyKindPseudo+k] = append(pl.visitObj[anyKindPseudo+k], r)
				}
			}
			continue
		}
		for _, k := range r.Kinds {
			if phase == rules.Inventory {
				pl.finishObj[k] = append(pl.finishObj[k], r)
				if !r.HeaderOnly {
					pl.retainKinds[k] = true
				}
			} else {
				pl.visitObj[k] = append(pl.visitObj[k], r)
			}
		}
	}
	return pl
}

// NewRun starts an evaluation of the plan with no state. The evaluation stops
// between rules once ctx ends (a context that never ends, or nil: never): the
// objects left unchecked are errors, and Result.Stopped says why.
func (pl *Plan) NewRun(ctx context.Context) *Evaluation {
	if ctx != nil && ctx.Done() == nil {
		ctx = nil // it never ends: no check between rules
	}
	return &Evaluation{plan: pl, ctx: ctx, pending: map[*inventory.Object]*objResult{},
		scoped: make([]atomic.Int64, len(pl.scoped))}
}

// Decode reports whether objects of a kind must be fully decoded for the plan's
// rules (see Decoder): the load option of a run of the plan.
func (pl *Plan) Decode(apiVersion, kind string) bool { return pl.decode(apiVersion, kind) }

// New compiles a plan and starts a run of it: the engine of a single scan.
func New(opts Options) *Evaluation { return Compile(opts).NewRun(context.Background()) }

// done reports whether the context of the run has ended, and records that the
// evaluation stopped.
func (e *Evaluation) done() bool {
	if e.ctx == nil || e.ctx.Err() == nil {
		return false
	}
	e.stopped.Store(true)
	return true
}

// Retain reports whether an object's decoded body must be kept after Visit: only when
// a rule that runs in Finish will read it.
func (e *Evaluation) Retain(o *inventory.Object) bool {
	pl := e.plan
	if pl.retainKinds[o.Ref.Kind] || pl.indexKinds[o.Ref.Kind] {
		return true
	}
	if len(pl.finishWL) > 0 && pl.opts.Finder != nil {
		_, ok := pl.opts.Finder.Lookup(o.Ref.APIVersion, o.Ref.Kind)
		return ok
	}
	return false
}

// Visit runs the rules of the Local and Settled phases on o. It is safe for
// concurrent use.
func (e *Evaluation) Visit(o *inventory.Object) {
	defer func() {
		if v := recover(); v != nil {
			ie := internalError("", o, v)
			e.mu.Lock()
			defer e.mu.Unlock()
			if e.pending[o] == nil {
				e.pending[o] = &objResult{}
			}
			e.pending[o].internal = append(e.pending[o].internal, ie)
		}
	}()
	// Pod template labels, ports and identity outlive the body (workload facts), for
	// selector indexes, NetworkPolicy and RBAC analysis.
	if f := e.plan.opts.Finder; f != nil {
		f.Record(o)
	}
	r := e.evalObject(nil, o, e.plan.visitWL, e.plan.visitObj, true)
	if r.findings == nil && r.deferred == nil && r.err == nil && r.internal == nil && r.unknown == nil && !r.workload {
		return
	}
	e.mu.Lock()
	e.pending[o] = &r
	e.mu.Unlock()
}

// Finish builds the indexes, settles the deferred findings, runs the rules of the
// Inventory phase and returns every finding, in input order,
// with object identities (namespaces resolved after load), fingerprints and
// suppression applied.
func (e *Evaluation) Finish(inv *inventory.Inventory) *Result {
	pl := e.plan
	if pl.needsIndexes {
		// Each declared index is built once (the others are found built), before the
		// rules run in parallel.
		for _, x := range pl.indexes {
			e.buildIndex(inv, x.rule, x.index)
		}
		e.settleDeferred(inv)
	}
	if len(pl.finishObj) > 0 || len(pl.finishWL) > 0 {
		// When no workload rule ran in Visit, workloads are decoded (and counted, and
		// their template errors reported) only here.
		count := len(pl.visitWL) == 0
		e.parallel(inv, func(o *inventory.Object) {
			r := e.evalObject(inv, o, pl.finishWL, pl.finishObj, count)
			if r.findings == nil && r.err == nil && r.internal == nil && r.unknown == nil && !r.workload {
				return
			}
			e.mu.Lock()
			if p := e.pending[o]; p != nil {
				p.merge(&r, pl.opts.MaxFindings)
				p.internal = append(p.internal, r.internal...)
				p.unknown = append(p.unknown, r.unknown...)
				if p.err == nil {
					p.err = r.err
				}
				p.workload = p.workload || r.workload
			} else {
				e.pending[o] = &r
			}
			e.mu.Unlock()
		})
	}
	res := &Result{}
	for _, o := range inv.Objects {
		if o.Ref.IsPseudo() {
			res.ConfigFiles++
		} else {
			res.Objects++
		}
	}
	perRule := map[string]int{}
	addInternal := func(ie finding.InternalError) {
		perRule[ie.Rule]++
		if perRule[ie.Rule] <= maxInternalPerRule {
			res.Internal = append(res.Internal, ie)
		}
	}
	for _, ie := range e.stageErrors {
		addInternal(ie)
	}
	kinds := map[string]int{}
	for _, o := range inv.Objects {
		kinds[o.Ref.Kind]++
		r := e.pending[o]
		if r == nil {
			continue
		}
		for _, ie := range r.internal {
			addInternal(ie)
		}
		res.Unknown = append(res.Unknown, r.unknown...)
		for i := range r.findings {
			f := &r.findings[i]
			f.Object = o.Ref
			f.ComputeFingerprint()
			if pl.opts.Suppress != nil {
				pl.opts.Suppress(o, f)
			}
		}
		sortFindings(r.findings)
		res.Findings = append(res.Findings, r.findings...)
		for i := range r.omitted {
			f := &r.omitted[i].Finding
			f.Object = o.Ref
			f.ComputeFingerprint()
			if pl.opts.Suppress != nil {
				pl.opts.Suppress(o, f)
			}
			res.Omitted = append(res.Omitted, r.omitted[i])
		}
		if r.err != nil {
			res.Errors = append(res.Errors, *r.err)
		}
		if r.workload {
			res.Workloads++
		}
	}
	rulesFailed := make([]string, 0, len(perRule))
	for id, n := range perRule {
		if n > maxInternalPerRule {
			rulesFailed = append(rulesFailed, id)
		}
	}
	sort.Strings(rulesFailed)
	for _, id := range rulesFailed {
		what := "rule " + id
		if id == "" {
			what = "the engine"
		}
		res.Internal = append(res.Internal, finding.InternalError{Rule: id,
			Message: fmt.Sprintf("%s also failed on %d more objects", what, perRule[id]-maxInternalPerRule)})
	}
	res.Evaluated = make(map[string]int, len(pl.opts.Rules))
	for _, r := range pl.opts.Rules {
		n := 0
		if r.Workload != nil {
			n = res.Workloads
		}
		for _, k := range r.Kinds {
			n += kinds[k]
		}
		if i, ok := pl.scoped[r.ID]; ok {
			n = int(e.scoped[i].Load())
		}
		res.Evaluated[r.ID] = n
		if r.Idle(pl.params[r.ID]) {
			res.Idle = append(res.Idle, r.ID)
		}
	}
	sort.Strings(res.Idle)
	if e.stopped.Load() {
		res.Stopped = e.ctx.Err()
	}
	return res
}

func (e *Evaluation) parallel(inv *inventory.Inventory, fn func(o *inventory.Object)) {
	workers := e.plan.opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers == 1 {
		// One worker (the admission webhook's small inventories): no goroutine.
		for _, o := range inv.Objects {
			fn(o)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan *inventory.Object, workers*8)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range next {
				fn(o)
			}
		}()
	}
	for _, o := range inv.Objects {
		next <- o
	}
	close(next)
	wg.Wait()
}

// buildIndex builds an index rule r needs. A panic while building it is an internal
// error; the rules reading the index then fail object by object, each reported.
func (e *Evaluation) buildIndex(inv *inventory.Inventory, r *rules.Rule, ix inventory.AnyIndex) {
	defer func() {
		if v := recover(); v != nil {
			e.stageErrors = append(e.stageErrors, finding.InternalError{Rule: r.ID, Message: "index " + ix.Name() + ": " + finding.Recovered(v)})
		}
	}()
	inventory.Build(inv, ix)
}

// Run evaluates every rule on an inventory that is already loaded.
func Run(inv *inventory.Inventory, opts Options) *Result {
	e := New(opts)
	e.parallel(inv, e.Visit)
	return e.Finish(inv)
}

func sortFindings(fs []finding.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
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
}

func (e *Evaluation) evalObject(inv *inventory.Inventory, o *inventory.Object, wlRules []*rules.Rule, objRules map[string][]*rules.Rule, countWorkload bool) (out objResult) {
	// A rule that panics on an unforeseen object is a bug, but it must not take the
	// scan down or pass silently: each rule runs guarded (run), and the panic becomes
	// an internal error naming the rule and the object while the other rules still
	// run. A panic outside the rules (decoding the pod template, the PSS evaluation)
	// is an internal error of the engine on the object.
	defer func() {
		if v := recover(); v != nil {
			out.internal = append(out.internal, internalError("", o, v))
		}
	}()
	run := func(r *rules.Rule, check func()) {
		defer func() {
			if v := recover(); v != nil {
				out.internal = append(out.internal, internalError(r.ID, o, v))
			}
		}()
		check()
	}
	pl := e.plan
	report := func(f finding.Finding) { out.add(f, pl.opts.MaxFindings) }
	deferTo := func(f finding.Finding, settle rules.Settle) {
		out.deferred = append(out.deferred, deferredFinding{f, settle})
	}
	memo := &rules.Memo{}
	unknown := func(g finding.CoverageGap) { out.unknown = append(out.unknown, g) }
	onError := func(err error) {
		if out.err == nil {
			ie := finding.InputError{Location: o.Origin, Message: fmt.Sprintf("%s: not fully checked: %v", o.Ref, err)}
			out.err = &ie
		}
	}
	if e.done() {
		onError(e.ctx.Err())
		return out
	}
	if pl.opts.Finder != nil && len(wlRules) > 0 {
		w, err := pl.opts.Finder.From(o)
		if err != nil {
			if countWorkload {
				ie := finding.InputError{Location: o.Origin, Message: o.Ref.String() + ": pod template: " + err.Error()}
				out.err = &ie
			}
		} else if w != nil {
			out.workload = countWorkload
			nf, nd := len(out.findings), len(out.deferred)
			ok := e.evalWorkload(inv, o, w, wlRules, memo, run, report, deferTo)
			// A finding on a value the API server copied from another field (workload
			// defaults) points at the line of that field.
			for i := nf; i < len(out.findings); i++ {
				locateSource(o, w, &out.findings[i])
			}
			for i := nd; i < len(out.deferred); i++ {
				locateSource(o, w, &out.deferred[i].f)
			}
			if !ok {
				onError(e.ctx.Err())
				return out
			}
		}
	}
	if len(wlRules) == 0 && countWorkload && inv == nil {
		// No workload rule runs (palisade paths reads workloads through indexes
		// alone): the pod facts recorded while the object was parsed say whether it
		// runs pods, so that the summary still counts it.
		if _, ok := workload.PodLabelsFact.Of(o); ok {
			out.workload = true
		}
	}
	byKind := [2][]*rules.Rule{objRules[o.Ref.Kind], objRules[rules.AnyKind]}
	if o.Ref.IsPseudo() {
		// A configuration file (or a Dockerfile, or any palisade.dev/v1 kind) is not a
		// Kubernetes object: only the rules that name its kind see it, never those
		// of every kind (those that name its kind too are under anyKindPseudo).
		byKind[1] = objRules[anyKindPseudo+o.Ref.Kind]
	}
	for _, rs := range byKind {
		// One allocation for the passes of all the rules of an object: rules of any
		// kind run on every object.
		passes := make([]rules.Pass, len(rs))
		for i, r := range rs {
			if e.done() {
				onError(e.ctx.Err())
				return out
			}
			p := &passes[i]
			h := rules.Hooks{Report: report, Memo: memo, Fail: onError, Unknown: unknown}
			if inv == nil && r.Phase() == rules.Settled {
				h.Defer = deferTo
			}
			*p = e.newPass(r, o, inv, h)
			run(r, func() { r.Object(p, o) })
		}
	}
	return out
}

// locateSource points a finding on a value the API server copied at the line of the
// field it came from.
func locateSource(o *inventory.Object, w *workload.Workload, f *finding.Finding) {
	if src := w.Source(f.Path); src != f.Path {
		f.Location = o.LocationOf(src)
	}
}

// evalWorkload runs workload rules. A rule tagged with a PSS check runs only when the
// official check fails at the configured version; the rule then points at the fields.
// If the check fails and no rule mapped to it pinpoints a field, the first enabled rule
// for it reports the official detail on the pod spec, so no violation is lost. It
// returns false when the context of the run ended before every rule ran.
func (e *Evaluation) evalWorkload(inv *inventory.Inventory, o *inventory.Object, w *workload.Workload, wlRules []*rules.Rule, memo *rules.Memo, run func(*rules.Rule, func()), report func(finding.Finding), deferTo func(finding.Finding, rules.Settle)) bool {
	gated := false
	for _, r := range wlRules {
		if r.Frameworks.PSSCheck != "" {
			gated = true
			break
		}
	}
	var failed map[string]pss.Result
	if e.done() {
		return false
	}
	pl := e.plan
	if pl.opts.PSS != nil && gated {
		failed = pl.opts.PSS.Evaluate(w.Meta, w.Spec)
	}
	reportedCheck := map[string]bool{}
	for _, r := range wlRules {
		if e.done() {
			return false
		}
		check := r.Frameworks.PSSCheck
		if check != "" {
			if _, bad := failed[check]; !bad {
				continue
			}
		}
		n := 0
		h := rules.Hooks{Report: func(f finding.Finding) {
			n++
			report(f)
		}, Memo: memo}
		if inv == nil && r.Phase() == rules.Settled {
			h.Defer = deferTo
		}
		p := e.newPass(r, o, inv, h)
		run(r, func() { r.Workload(&p, w) })
		if n > 0 && check != "" {
			reportedCheck[check] = true
		}
	}
	// The fallback stands in for the single-object rules (byCheck), which run in Visit
	// (no inventory); the inventory-wide rules of Finish must not repeat it.
	if inv != nil {
		return true
	}
	// A restricted failure that a baseline finding already explains (pss.SubsumedBy)
	// needs no fallback either.
	for check, res := range failed {
		rs := pl.byCheck[check]
		if len(rs) == 0 || pl.partialCheck[check] || reportedCheck[check] || reportedCheck[pss.SubsumedBy[check]] {
			continue
		}
		r := rs[0]
		p := e.newPass(r, o, inv, rules.Hooks{Report: report})
		p.Report(w.SpecPath, "",
			"Pod Security Standards %s check %q fails: %s (%s)", res.Level, check, res.Reason, res.Detail)
	}
	return true
}

// paramsOf returns a rule's parameters, configured or default, even when the rule
// itself is disabled.
func (pl *Plan) paramsOf(id string) map[string]any {
	if m, ok := pl.params[id]; ok {
		return m
	}
	if r, ok := rules.Get(id); ok {
		return params(r, &pl.opts)
	}
	return nil
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

// newPass makes the pass of rule r over o, its findings going to h.
func (e *Evaluation) newPass(r *rules.Rule, o *inventory.Object, inv *inventory.Inventory, h rules.Hooks) rules.Pass {
	pl := e.plan
	if i, ok := pl.scoped[r.ID]; ok {
		c := &e.scoped[i]
		h.InScope = func() { c.Add(1) }
	}
	p := rules.NewPass(r, o, inv, pl.params[r.ID], h)
	p.ParamsOf = pl.paramsOfFn
	p.Enabled = pl.enabledFn
	if pl.opts.PSS != nil {
		p.PSS = pl.opts.PSS
	}
	return p
}
