// Package scan wires one static scan together: configuration, rule selection, load,
// engine, suppression and the report. The CLI and tests call it the same way.
package scan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"time"

	"k8s.io/apiserver/pkg/authentication/user"

	"github.com/palisade-k8s/palisade/internal/checks/admissionpolicy"
	"github.com/palisade-k8s/palisade/internal/checks/images"
	"github.com/palisade-k8s/palisade/internal/compliance"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/engine"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/pss"
	"github.com/palisade-k8s/palisade/internal/report"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/signature"
	"github.com/palisade-k8s/palisade/internal/source"
	"github.com/palisade-k8s/palisade/internal/suppress"
	"github.com/palisade-k8s/palisade/internal/vex"
	"github.com/palisade-k8s/palisade/internal/workload"

	// The built-in rules register themselves.
	_ "github.com/palisade-k8s/palisade/internal/checks/all"
)

// Options are the inputs of a scan.
type Options struct {
	// Source is what to scan: manifests (*source.Files), a live cluster
	// (*source.Cluster) or objects in memory (*source.Objects).
	Source source.Source
	// Config is the configuration (nil for defaults).
	Config *config.Config
	// FailOn is the gate ("" takes the config's, then "high"; "none" never fails).
	FailOn     string
	PSSVersion string
	// PSSLevel overrides the configuration's podSecurityLevel ("baseline" or
	// "restricted").
	PSSLevel     string
	BaselineFile string
	Version      string
	Now          time.Time
	Workers      int
	// BoundMemory asks the Go runtime to keep the heap below most of the input's size
	// on large inputs (see memoryBudget). It is process-wide, so only the CLI sets it.
	BoundMemory bool
	// Include, if set, runs only rules matching one of these IDs or globs; Exclude
	// leaves out rules matching one. Both apply on top of the configuration.
	Include, Exclude []string
	// Framework, if set, also judges the scan control by control against a
	// compliance framework (see compliance.Names); the exit code then follows the
	// controls, and FailOn defaults to "info": any failing control fails the run.
	Framework string
	// History, if set, also reads a git history (--git-history): the rules that run
	// on history (rules.History) judge the files its commits added, and the
	// credentials first added in its range that the scan of Source no longer finds
	// are reported with their commit.
	History *source.GitHistory
	// VEX are OpenVEX documents (--vex): findings of a vulnerability a statement says
	// the product is not affected by, or fixed in, are suppressed with its
	// justification.
	VEX []string
	// Policies are files or directories of ValidatingAdmissionPolicies, their
	// bindings and parameter resources (--policy), evaluated against the scanned
	// objects by PAL-800..803 with the configuration's policies and those found among
	// the scanned objects (see policies).
	Policies []string
	// User is the requesting user the policies see (--as, --as-group): nil is
	// admissionpolicy.DefaultUserInfo.
	User user.Info
	// IncludeDefaults adds Kubernetes' bootstrap RBAC policy to the RBAC of the input
	// that answers the policies' authorizer library (--include-defaults).
	IncludeDefaults bool
}

// Result is a finished scan.
type Result struct {
	Report *report.Report
	// Input is what reading the source produced.
	Input *source.Result
	// Compliance is the framework's verdict when Options.Framework is set.
	Compliance *compliance.Result
	// History is what reading the git history produced when Options.History is set.
	History *source.Result
}

// ExitCode is 4 when Palisade itself failed on part of the input (a rule or stage
// panicked: the report covers the rest), else 3 when input could not be read (or a
// live scan has coverage gaps), else 1 when the gate failed (with a framework: when a
// control failed with a finding at or above the gate), else 0.
func (r *Result) ExitCode() int {
	switch {
	case len(r.Report.Internal) > 0:
		return 4
	case len(r.Report.Errors) > 0, len(r.Report.Coverage) > 0:
		return 3
	case r.Compliance != nil && r.Compliance.Failed:
		return 1
	case r.Compliance == nil && r.Report.Summary.Failed:
		return 1
	}
	return 0
}

// Run performs a scan that nothing interrupts.
func Run(opts Options) (*Result, error) { return RunContext(context.Background(), opts) }

// RunContext performs a scan; the end of ctx stops a live read (the error is then a
// *live.InterruptedError).
func RunContext(ctx context.Context, opts Options) (*Result, error) {
	cfg := opts.Config
	if cfg == nil {
		cfg = &config.Config{}
	}
	var fw *compliance.Framework
	if opts.Framework != "" {
		f, err := compliance.Get(opts.Framework)
		if err != nil {
			return nil, config.Error{Err: fmt.Errorf("--framework: %w", err)}
		}
		if f.Detections {
			return nil, config.Error{Err: fmt.Errorf("--framework: %s maps the audit detections to the techniques they detect; a scan has no control-by-control view of it (see palisade rules --framework %s)", f.ID, f.ID)}
		}
		fw = f
	}
	failOn := opts.FailOn
	if failOn == "" {
		failOn = cfg.FailOn
	}
	switch {
	case failOn != "":
	case fw != nil:
		failOn = "info"
	default:
		failOn = "high"
	}
	sev, gate, err := finding.ParseGate(failOn)
	if err != nil {
		return nil, config.Error{Err: fmt.Errorf("--fail-on: %w", err)}
	}
	version := opts.PSSVersion
	if version == "" {
		version = cfg.PSSVersion
	}
	ev, err := pss.New(version)
	if err != nil {
		return nil, config.Error{Err: err}
	}
	sup := &suppress.Suppressor{Exemptions: cfg.Exemptions, Now: opts.Now}
	if sup.Now.IsZero() {
		sup.Now = time.Now()
	}
	if opts.BaselineFile != "" {
		b, err := suppress.LoadBaseline(opts.BaselineFile)
		if err != nil {
			return nil, config.Error{Err: err}
		}
		sup.Baseline = b
	}
	if len(opts.VEX) > 0 {
		docs, err := vex.Load(opts.VEX)
		if err != nil {
			return nil, config.Error{Err: fmt.Errorf("--vex: %w", err)}
		}
		sup.VEX = vex.NewIndex(docs)
	}
	if opts.PSSLevel != "" {
		if err := config.ValidLevel(opts.PSSLevel); err != nil {
			return nil, config.Error{Err: fmt.Errorf("--pss-level: %w", err)}
		}
		c := *cfg
		c.PodSecurityLevel = opts.PSSLevel
		cfg = &c
	}
	enabled, err := config.EnabledRules(cfg, opts.Include, opts.Exclude)
	if err != nil {
		return nil, err
	}
	finder := workload.NewFinder(cfg.PodTemplatePaths)
	params := map[string]map[string]any{}
	for id, rc := range cfg.Rules {
		if len(rc.Params) > 0 {
			params[id] = rc.Params
		}
	}
	if f, ok := opts.Source.(*source.Files); ok && opts.BoundMemory {
		if b := memoryBudget(f.Paths); b > 0 {
			debug.SetMemoryLimit(b)
		}
	}
	if opts.Source == nil {
		return nil, config.Error{Err: errors.New("scan: no input")}
	}
	pol, err := loadPolicies(ctx, opts, cfg)
	if err != nil {
		return nil, err
	}
	eng := engine.New(engine.Options{
		Rules: enabled, Params: params, PSS: ev, Finder: finder,
		Suppress: sup.Apply, Workers: opts.Workers,
	})
	kinds := source.RuleKinds(enabled)
	if _, live := manifests(opts.Source).(*source.Cluster); live {
		// A live read lists the cluster's own policies, and what the files' policies
		// match, besides the rules' kinds.
		kinds = append(kinds, pol.kinds()...)
	}
	in, err := opts.Source.Read(ctx, source.Needs{
		Kinds:   kinds,
		Decode:  pol.decoder(engine.Decoder(enabled, finder)),
		Finder:  finder,
		Visit:   eng.Visit,
		Retain:  pol.retainer(eng.Retain),
		Workers: opts.Workers,
	})
	if err != nil {
		return nil, err
	}
	er := eng.Finish(in.Inventory)
	pr, err := pol.evaluate(ctx, opts, manifests(opts.Source), in, enabled, params, finder, sup.Apply)
	if err != nil {
		return nil, err
	}
	errs := append(append(append([]finding.InputError{}, in.Errors...), er.Errors...), pr.errs...)
	findings := append(slices.Clip(er.Findings), pr.findings...)
	if len(pr.findings) > 0 {
		inObjectOrder(findings, in.Inventory)
	}
	notices := append(slices.Clip(in.Notices), pr.notices...)
	internal := append(append(append([]finding.InternalError{}, in.Internal...), er.Internal...), pr.internal...)
	for id, n := range pr.evaluated {
		er.Evaluated[id] = n
	}
	var hist *source.Result
	if opts.History != nil {
		plan := engine.Compile(engine.Options{
			Rules: historyRules(enabled), Params: params, PSS: ev, Finder: finder,
			Suppress: sup.Apply, Workers: opts.Workers,
		})
		var hf []finding.Finding
		var hn []finding.Notice
		var hi []finding.InternalError
		hist, hf, hn, hi, err = runHistory(ctx, opts.History, plan, historyRules(enabled), finder, er.Findings)
		if err != nil {
			return nil, err
		}
		findings = append(findings, hf...)
		errs = append(errs, hist.Errors...)
		notices = append(append(append([]finding.Notice(nil), notices...), hist.Notices...), hn...)
		internal = append(append(internal, hist.Internal...), hi...)
	}
	rep := report.New(opts.Version, findings, errs, in.Inputs, er.Objects, er.Workloads, sev, gate, enabled)
	rep.Coverage = append(slices.Clip(in.Coverage), er.Unknown...)
	rep.Notices = notices
	rep.Summary.CoverageGaps = len(rep.Coverage)
	rep.Summary.ConfigFiles, rep.Summary.ProtectedBy = in.ConfigFiles(), in.Protected()
	rep.Summary.Nodes = in.Nodes()
	for _, n := range rep.Summary.ProtectedBy {
		rep.Summary.ProtectedSecrets += n
	}
	if imgs := reportImages(in); len(imgs) > 0 {
		rep.SetImages(imgs)
	}
	if _, ok := opts.Source.(*source.Images); ok {
		rep.SetImageScan()
	}
	if len(internal) > 0 {
		rep.SetInternal(internal)
	}
	if hist != nil {
		h := hist.History
		rep.Summary.History = &report.HistorySummary{Range: h.Range, Commits: h.Commits, Files: h.Files, Unreadable: h.Unreadable}
	}
	res := &Result{Report: rep, Input: in, History: hist}
	if fw != nil {
		idle := er.Idle
		if !cfg.Images.Applies() {
			// Without an images policy the signature rules check nothing, as an
			// empty allow-list checks nothing.
			idle = append(slices.Clip(idle), images.SignatureRuleID, images.UncheckedRuleID)
		}
		if !pr.active {
			// Without policies the ValidatingAdmissionPolicy rules check nothing.
			idle = append(slices.Clip(idle), admissionpolicy.IDs...)
			slices.Sort(idle)
		}
		res.Compliance = compliance.Evaluate(fw, compliance.Input{
			Enabled: enabled, All: cfg.Catalog().All(), Findings: rep.Findings, Evaluated: er.Evaluated, Idle: idle,
			PSSHas: ev.Has, Gate: gate, FailOn: sev, Unknown: er.Unknown,
		})
	}
	return res, nil
}

// reportImages are the images of a read as the report lists them.
func reportImages(in *source.Result) []report.Image {
	var out []report.Image
	for _, o := range in.Inventory.Objects {
		i := o.Image
		if i == nil {
			continue
		}
		out = append(out, report.Image{
			Name: o.Ref.Name, Ref: i.Ref, Digest: i.Digest, Platform: i.Platform, Source: i.Source,
			Layers: len(i.Layers), Distro: i.Software.Distro, Packages: i.Software.Packages, Workloads: i.Workloads,
			Signature: imageSignature(in.Inventory.ImageTrust[i.Ref]),
		})
	}
	return out
}

// imageSignature is a signature verdict as the report lists it (nil for none).
func imageSignature(r *signature.Result) *report.ImageSignature {
	if r == nil {
		return nil
	}
	v := report.VerdictRejected
	switch {
	case r.Unchecked != nil:
		v = report.VerdictUnchecked
	case r.Defaulted && r.Allowed:
		v = report.VerdictDefault
	case r.Defaulted:
		v = report.VerdictDenied
	case r.Allowed:
		v = report.VerdictVerified
	}
	return &report.ImageSignature{Verdict: v, Digest: r.Digest, Summary: r.Summary()}
}

// WriteBaseline records the findings of a scan as accepted and returns how many
// entries it wrote (findings hidden by annotations or exemptions are not recorded).
func WriteBaseline(r *Result, file string) (int, error) {
	b := suppress.NewBaseline(r.Report.Findings)
	return len(b.Entries), b.Write(file)
}

// AllRules is the full registered catalogue, in ID order (without the custom rules
// of a configuration: config.Config.Catalog has them too).
func AllRules() []*rules.Rule { return rules.All() }

// memoryBudget is a soft heap limit for a scan of paths: 80% of the bytes of the
// manifests to read, never below 256 MiB. The garbage collector then spends its
// headroom only when the input is large, which keeps peak memory below the input size
// without slowing ordinary scans. 0 means no limit (standard input, unknown size).
func memoryBudget(paths []string) int64 {
	var total int64
	for _, p := range paths {
		if p == "-" {
			return 0
		}
		_ = filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if info, err := d.Info(); err == nil {
					total += info.Size()
				}
			}
			return nil
		})
	}
	const floor = 256 << 20
	if b := total / 5 * 4; b > floor {
		return b
	}
	return floor
}

// inObjectOrder puts findings made in separate passes (the policies') among those of
// their object, in input order, and within an object by line, rule, container and
// path, as the engine orders one pass.
func inObjectOrder(fs []finding.Finding, inv *inventory.Inventory) {
	type key struct {
		ref      finding.ObjectRef
		file     string
		document int
	}
	pos := make(map[key]int, len(inv.Objects))
	for i, o := range inv.Objects {
		k := key{o.Ref, o.Origin.File, o.Origin.Document}
		if _, ok := pos[k]; !ok {
			pos[k] = i
		}
	}
	at := func(f *finding.Finding) int {
		if i, ok := pos[key{f.Object, f.Location.File, f.Location.Document}]; ok {
			return i
		}
		return len(inv.Objects)
	}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
		if pa, pb := at(a), at(b); pa != pb {
			return pa < pb
		}
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
