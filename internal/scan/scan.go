// Package scan wires one static scan together: configuration, rule selection, load,
// engine, suppression and the report. The CLI and tests call it the same way.
package scan

import (
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/internal/compliance"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/engine"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/load"
	"github.com/palisade-k8s/palisade/internal/pss"
	"github.com/palisade-k8s/palisade/internal/report"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/suppress"
	"github.com/palisade-k8s/palisade/internal/workload"

	// The built-in rules register themselves.
	_ "github.com/palisade-k8s/palisade/internal/checks/all"
)

// Options are the inputs of a scan.
type Options struct {
	Paths []string
	Stdin io.Reader
	// Config is the configuration (nil for defaults).
	Config *config.Config
	// FailOn is the gate ("" takes the config's, then "high"; "none" never fails).
	FailOn     string
	PSSVersion string
	// PSSLevel overrides the configuration's podSecurityLevel ("baseline" or
	// "restricted").
	PSSLevel  string
	Namespace string
	Helm      load.HelmOptions
	// Limits bound what one input may cost (zero fields: the loader's defaults).
	Limits load.Limits
	// Render bounds what rendering one chart or overlay may cost.
	Render       load.RenderLimits
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
	// Objects, if not nil, are scanned instead of Paths: objects read from a live
	// cluster (internal/live). Inputs is then the count reported as inputs read, and
	// Coverage lists what could not be read (the report is incomplete, exit code 3).
	Objects []*inventory.Object
	Inputs  int
	// InputErrors are input problems met while reading Objects, reported with the
	// scan's own (exit code 3).
	InputErrors []finding.InputError
	Coverage    []finding.CoverageGap
	// Framework, if set, also judges the scan control by control against a
	// compliance framework (see compliance.Names); the exit code then follows the
	// controls, and FailOn defaults to "info": any failing control fails the run.
	Framework string
}

// ConfigError is a usage or configuration problem (exit code 2).
type ConfigError struct{ Err error }

func (e ConfigError) Error() string { return e.Err.Error() }
func (e ConfigError) Unwrap() error { return e.Err }

// LoadConfig reads the configuration at path, or finds one from dir upward if path is
// empty. No file means defaults.
func LoadConfig(path, dir string) (*config.Config, error) {
	if path == "" {
		path = config.Find(dir)
		if path == "" {
			return &config.Config{}, nil
		}
	}
	cfg, err := config.Load(path, knownRule, rules.ParamsOf)
	if err != nil {
		return nil, ConfigError{err}
	}
	return cfg, nil
}

// ParseConfig validates configuration bytes read from path (which only names them
// in errors), as LoadConfig does a file. The webhook reads its file once per change
// and parses what it read.
func ParseConfig(data []byte, path string) (*config.Config, error) {
	cfg, err := config.Parse(data, knownRule, rules.ParamsOf)
	if err != nil {
		return nil, ConfigError{fmt.Errorf("%s: %w", path, err)}
	}
	cfg.Path = path
	return cfg, nil
}

func knownRule(id string) bool {
	_, ok := rules.Get(id)
	return ok
}

// EnabledRules applies the configuration and the include/exclude selections to the
// registry: disabled rules are left out and severities overridden (on copies; the
// registry is never changed). A pattern that matches no rule is an error, so a typo
// never silently turns a rule off or the whole scan into nothing.
func EnabledRules(cfg *config.Config, include, exclude []string) ([]*rules.Rule, error) {
	all := rules.All()
	for _, p := range append(append([]string{}, include...), exclude...) {
		if !matchesAny(all, p) {
			return nil, ConfigError{fmt.Errorf("no rule matches %q (see `palisade rules`)", p)}
		}
	}
	var out []*rules.Rule
	on := map[string]bool{}
	for _, r := range all {
		rc, ok := cfg.Rules[r.ID]
		if ok && rc.Enabled != nil && !*rc.Enabled {
			continue
		}
		if (len(include) > 0 && !idMatches(include, r.ID)) || idMatches(exclude, r.ID) {
			continue
		}
		if r.OptIn && !idMatches(include, r.ID) && !(ok && rc.Enabled != nil && *rc.Enabled) {
			continue
		}
		// At the baseline level the restricted profile's rules stay out unless the
		// configuration turns one on by name.
		if cfg.PodSecurityLevel == "baseline" && r.Frameworks.PSS == "restricted" && !(ok && rc.Enabled != nil && *rc.Enabled) {
			continue
		}
		on[r.ID] = true
	}
	for _, r := range all {
		if !on[r.ID] || (r.CoveredBy != "" && on[r.CoveredBy]) {
			continue
		}
		rc, ok := cfg.Rules[r.ID]
		if ok && rc.Severity != nil {
			c := *r
			c.Severity = *rc.Severity
			r = &c
		}
		out = append(out, r)
	}
	return out, nil
}

func idMatches(patterns []string, id string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ToUpper(p), id); ok {
			return true
		}
	}
	return false
}

func matchesAny(rs []*rules.Rule, pattern string) bool {
	for _, r := range rs {
		if idMatches([]string{pattern}, r.ID) {
			return true
		}
	}
	return false
}

// Result is a finished scan.
type Result struct {
	Report *report.Report
	Load   *load.Result
	// Compliance is the framework's verdict when Options.Framework is set.
	Compliance *compliance.Result
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

// Run performs a scan.
func Run(opts Options) (*Result, error) {
	cfg := opts.Config
	if cfg == nil {
		cfg = &config.Config{}
	}
	var fw *compliance.Framework
	if opts.Framework != "" {
		f, err := compliance.Get(opts.Framework)
		if err != nil {
			return nil, ConfigError{fmt.Errorf("--framework: %w", err)}
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
		return nil, ConfigError{fmt.Errorf("--fail-on: %w", err)}
	}
	version := opts.PSSVersion
	if version == "" {
		version = cfg.PSSVersion
	}
	ev, err := pss.New(version)
	if err != nil {
		return nil, ConfigError{err}
	}
	sup := &suppress.Suppressor{Exemptions: cfg.Exemptions, Now: opts.Now}
	if sup.Now.IsZero() {
		sup.Now = time.Now()
	}
	if opts.BaselineFile != "" {
		b, err := suppress.LoadBaseline(opts.BaselineFile)
		if err != nil {
			return nil, ConfigError{err}
		}
		sup.Baseline = b
	}
	if opts.PSSLevel != "" {
		if err := config.ValidLevel(opts.PSSLevel); err != nil {
			return nil, ConfigError{fmt.Errorf("--pss-level: %w", err)}
		}
		c := *cfg
		c.PodSecurityLevel = opts.PSSLevel
		cfg = &c
	}
	enabled, err := EnabledRules(cfg, opts.Include, opts.Exclude)
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
	if opts.BoundMemory {
		if b := memoryBudget(opts.Paths); b > 0 {
			debug.SetMemoryLimit(b)
		}
	}
	eng := engine.New(engine.Options{
		Rules: enabled, Params: params, PSS: ev, Finder: finder,
		Suppress: sup.Apply, Workers: opts.Workers,
	})
	lopts := load.Options{
		Namespace: opts.Namespace,
		Decode:    engine.Decoder(enabled, finder),
		Helm:      opts.Helm,
		Limits:    opts.Limits,
		Render:    opts.Render,
		Stdin:     opts.Stdin,
		Workers:   opts.Workers,
		Visit:     eng.Visit,
		Retain:    eng.Retain,
	}
	var lr *load.Result
	if opts.Objects != nil {
		lr = load.Objects(opts.Objects, opts.Inputs, lopts)
	} else {
		lr = load.Load(opts.Paths, lopts)
	}
	er := eng.Finish(lr.Inventory)
	errs := append(append(append([]finding.InputError{}, opts.InputErrors...), lr.Errors...), er.Errors...)
	if len(lr.Inventory.Objects) == 0 && len(errs) == 0 && opts.Objects == nil {
		// A scan that read nothing is almost always a wrong path in CI: say so and
		// fail as an input problem instead of passing silently.
		errs = append(errs, finding.InputError{
			Location: finding.Location{File: describePaths(opts.Paths)},
			Message:  "no Kubernetes objects found (no .yaml, .yml or .json manifests, charts or overlays with objects)",
		})
	}
	rep := report.New(opts.Version, er.Findings, errs, lr.Files, er.Objects, er.Workloads, sev, gate, enabled)
	rep.Coverage = opts.Coverage
	rep.Notices = lr.Notices
	rep.Summary.CoverageGaps = len(opts.Coverage)
	if internal := append(append([]finding.InternalError{}, lr.Internal...), er.Internal...); len(internal) > 0 {
		rep.SetInternal(internal)
	}
	res := &Result{Report: rep, Load: lr}
	if fw != nil {
		res.Compliance = compliance.Evaluate(fw, compliance.Input{
			Enabled: enabled, All: rules.All(), Findings: rep.Findings, Evaluated: er.Evaluated, Idle: er.Idle,
			PSSHas: ev.Has, Gate: gate, FailOn: sev,
		})
	}
	return res, nil
}

// WriteBaseline records the findings of a scan as accepted and returns how many
// entries it wrote (findings hidden by annotations or exemptions are not recorded).
func WriteBaseline(r *Result, file string) (int, error) {
	b := suppress.NewBaseline(r.Report.Findings)
	return len(b.Entries), b.Write(file)
}

// AllRules is the full registered catalogue, in ID order.
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

func describePaths(paths []string) string {
	out := make([]string, len(paths))
	for i, p := range paths {
		if p == "-" {
			p = "<stdin>"
		}
		out[i] = p
	}
	return strings.Join(out, " ")
}
