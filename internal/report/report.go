// Package report renders a scan's findings (one file per format: text, json, sarif,
// junit) and the rule catalogue (table, markdown, json). Reporters only print; they decide nothing.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// SchemaVersion names the JSON report schema; it changes only on incompatible change.
const SchemaVersion = "palisade.dev/report/v2"

// Report is everything a scan produced.
type Report struct {
	Schema   string               `json:"schema"`
	Tool     Tool                 `json:"tool"`
	Summary  Summary              `json:"summary"`
	Findings []finding.Finding    `json:"findings"`
	Errors   []finding.InputError `json:"inputErrors"`
	// Coverage is present only in live-cluster scans: what could not be read.
	Coverage []finding.CoverageGap `json:"coverage,omitempty"`
	// Notices are warnings about the input that change neither findings nor the exit
	// code (an object defined twice); present only when there are some.
	Notices []finding.Notice `json:"notices,omitempty"`
	// Internal is present only when Palisade itself failed (see SetInternal).
	Internal []finding.InternalError `json:"internalErrors,omitempty"`
	// Images are the container images read (palisade image, scan --images), with
	// their packages; present only when there are some (see SetImages).
	Images []Image       `json:"images,omitempty"`
	Rules  []*rules.Meta `json:"-"`

	imageScan bool // see SetImageScan
}

// SetInternal records the rules and stages that panicked: the report covers the rest,
// and says it is incomplete.
func (r *Report) SetInternal(errs []finding.InternalError) {
	r.Internal = errs
	r.Summary.InternalErrors = len(errs)
}

// Tool names the producer.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Summary counts what was scanned and found.
type Summary struct {
	Inputs      int            `json:"inputs"`
	Objects     int            `json:"objects"`
	Workloads   int            `json:"workloads"`
	Findings    int            `json:"findings"`
	Suppressed  int            `json:"suppressed"`
	BySeverity  map[string]int `json:"bySeverity"`
	InputErrors int            `json:"inputErrors"`
	// CoverageGaps is the length of Coverage (live-cluster scans; omitted otherwise).
	CoverageGaps int `json:"coverageGaps,omitempty"`
	// InternalErrors is the length of Internal (omitted when 0).
	InternalErrors int `json:"internalErrors,omitempty"`
	// ConfigFiles counts the configuration files read beside the manifests (values
	// files, .env, .npmrc, ...; a chart's own values files are part of the chart);
	// omitted when 0.
	ConfigFiles int `json:"configFiles,omitempty"`
	// Nodes counts the nodes' facts judged (facts files, kubelets' /configz);
	// omitted when 0.
	Nodes int `json:"nodes,omitempty"`
	// ProtectedSecrets counts the secret sources kept out of plain text: SOPS-encrypted
	// files and objects, SealedSecrets, ExternalSecrets and ClusterExternalSecrets;
	// ProtectedBy counts them by protection (ProtectedKinds). Omitted when 0.
	ProtectedSecrets int            `json:"protectedSecrets,omitempty"`
	ProtectedBy      map[string]int `json:"protectedBy,omitempty"`
	// Images counts the container images read and Packages the packages found in
	// them; omitted when 0.
	Images   int    `json:"images,omitempty"`
	Packages int    `json:"packages,omitempty"`
	FailOn   string `json:"failOn"`
	Failed   bool   `json:"failed"`
	// History is what a scan with --git-history read of the history (omitted
	// otherwise).
	History *HistorySummary `json:"history,omitempty"`
	// Audit is what a run over audit logs read (palisade audit; omitted otherwise).
	Audit *AuditSummary `json:"audit,omitempty"`
}

// HistorySummary counts what a scan read of a git history.
type HistorySummary struct {
	// Range is the range of commits read ("HEAD", "A..B").
	Range   string `json:"range"`
	Commits int    `json:"commits"`
	// Files counts the file contents read; Unreadable those that did not parse
	// (each a notice).
	Files      int `json:"files"`
	Unreadable int `json:"unreadable,omitempty"`
}

// ProtectedKinds are the protections Summary.ProtectedBy counts, in the order the
// summary names them.
var ProtectedKinds = []string{"SOPS", "SealedSecret", "ExternalSecret", "ClusterExternalSecret"}

// New assembles a report and its summary. failOn < 0 means no severity fails the gate.
// Findings that carry an exposure come first, the most exposed first; the others keep
// their order.
func New(version string, fs []finding.Finding, errs []finding.InputError, inputs, objects, workloads int, failOn finding.Severity, gate bool, rs []*rules.Rule) *Report {
	if fs == nil {
		fs = []finding.Finding{}
	}
	fs = orderByExposure(fs)
	if errs == nil {
		errs = []finding.InputError{}
	}
	r := &Report{Schema: SchemaVersion, Tool: Tool{Name: "palisade", Version: version}, Findings: fs, Errors: errs}
	r.Summary = Summary{Inputs: inputs, Objects: objects, Workloads: workloads, InputErrors: len(errs), BySeverity: map[string]int{}, FailOn: "none"}
	if gate {
		r.Summary.FailOn = failOn.String()
	}
	for _, s := range finding.Severities() {
		r.Summary.BySeverity[s.String()] = 0
	}
	for _, f := range fs {
		if f.Suppressed != nil {
			r.Summary.Suppressed++
			continue
		}
		r.Summary.Findings++
		r.Summary.BySeverity[f.Severity.String()]++
		if gate && f.Severity >= failOn {
			r.Summary.Failed = true
		}
	}
	used := map[string]bool{}
	for _, f := range fs {
		used[f.RuleID] = true
	}
	for _, rule := range rs {
		if used[rule.ID] {
			m := rule.Meta
			r.Rules = append(r.Rules, &m)
		}
	}
	sort.Slice(r.Rules, func(i, j int) bool { return r.Rules[i].ID < r.Rules[j].ID })
	return r
}

// Options tune rendering.
type Options struct {
	Color bool
	// ShowSuppressed lists suppressed findings in text output (they are always counted).
	ShowSuppressed bool
	// Verbose lists every failing object in a compliance view, not just the first few.
	Verbose bool
	// PathHops lists every hop of an attack path, with its evidence, in text output
	// (palisade paths, or scan -v); otherwise a path finding shows its route (the
	// message), a summary line and the fix.
	PathHops bool
}

// Format is an output format for findings. Each format is one file of this package
// that registers itself at init (RegisterFormat); every command that prints findings
// (scan, cluster, rbac risks) offers the registered formats through Formats and
// Write, so a new format is that one file.
type Format struct {
	// Name is the value of --output.
	Name string
	// Write renders a report.
	Write func(w io.Writer, r *Report, opts Options) error
}

var formats = map[string]Format{}

// RegisterFormat adds a format. It panics on a duplicate or incomplete one: formats
// register at init, and a bad one is a programming error.
func RegisterFormat(f Format) {
	if f.Name == "" || f.Write == nil {
		panic("report: incomplete format " + f.Name)
	}
	if _, dup := formats[f.Name]; dup {
		panic("report: duplicate format " + f.Name)
	}
	formats[f.Name] = f
}

// Formats lists the registered formats: text (the default) first, then by name.
func Formats() []string {
	out := make([]string, 0, len(formats))
	for name := range formats {
		if name != "text" {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	if _, ok := formats["text"]; ok {
		out = append([]string{"text"}, out...)
	}
	return out
}

// Write renders the report in a format ("" is text).
func Write(w io.Writer, r *Report, format string, opts Options) error {
	if format == "" {
		format = "text"
	}
	f, ok := formats[format]
	if !ok {
		return fmt.Errorf("unknown output format %q (want one of %s)", format, strings.Join(Formats(), ", "))
	}
	return f.Write(w, r, opts)
}

// withCoverage is the input errors followed by the coverage gaps of a live scan, each
// as an error on the file "cluster", for the formats (SARIF, JUnit) that have no
// place of their own for them.
func withCoverage(r *Report) []finding.InputError {
	if len(r.Coverage) == 0 {
		return r.Errors
	}
	out := append([]finding.InputError{}, r.Errors...)
	for _, g := range r.Coverage {
		if g.Rule != "" {
			// An unknown check: each format says it in its own way (unknownGap).
			continue
		}
		if g.Kind == finding.ImageKind && g.Image != "" {
			out = append(out, finding.InputError{
				Location: finding.Location{File: g.Image, Provenance: finding.FromImage},
				Message:  "not checked: image not read: " + g.Reason,
			})
			continue
		}
		where := "cluster-wide"
		if g.Namespace != "" {
			where = "namespace " + g.Namespace
		}
		out = append(out, finding.InputError{
			Location: finding.Location{File: "cluster"},
			Message:  fmt.Sprintf("not checked: %s (%s, %s): %s", g.Kind, g.APIVersion, where, g.Reason),
		})
	}
	return out
}

// internalText is an internal error without its location: rule, object, message.
func internalText(ie finding.InternalError) string {
	s := ""
	if ie.Rule != "" {
		s = "rule " + ie.Rule + " "
	}
	if ie.Object != nil {
		s += "on " + ie.Object.String() + " "
	}
	if s == "" {
		return ie.Message
	}
	return s + "failed: " + ie.Message
}
