package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/palisade-k8s/palisade/internal/compliance"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/safetext"
)

// ComplianceSchemaVersion names the JSON format of compliance views.
const ComplianceSchemaVersion = "palisade.dev/compliance/v1"

// ComplianceFormats lists the formats of a compliance view (`scan --framework`).
var ComplianceFormats = []string{"text", "json", "junit"}

// shownObjects is how many failing objects the text view lists per control without
// Options.Verbose.
const shownObjects = 3

// WriteCompliance renders a framework's verdict on a scan: a control-by-control
// table. r supplies what was scanned and the input errors.
func WriteCompliance(w io.Writer, r *Report, c *compliance.Result, format string, opts Options) error {
	if err := CheckComplianceFormat(format); err != nil {
		return err
	}
	switch format {
	case "text", "":
		return writeComplianceText(w, r, c, opts)
	case "json":
		return writeComplianceJSON(w, r, c)
	case "junit":
		return writeComplianceJUnit(w, r, c)
	}
	return nil
}

// CheckComplianceFormat says whether a compliance view can be written in format, so
// that the CLI can refuse before it scans.
func CheckComplianceFormat(format string) error {
	switch format {
	case "", "text", "json", "junit":
		return nil
	case "sarif":
		return fmt.Errorf("--framework: SARIF describes findings, not controls; use -o text, json or junit with --framework, or scan without it for SARIF")
	case "html":
		return fmt.Errorf("--framework: the HTML report already holds the compliance view of every framework its rules map to; scan without --framework for -o html")
	}
	return fmt.Errorf("unknown output format %q (want one of %s with --framework)", format, strings.Join(ComplianceFormats, ", "))
}

// objectFailure is one object that fails a control, with the rules that say so.
type objectFailure struct {
	ref      finding.ObjectRef
	location finding.Location
	rules    []string
	findings []*finding.Finding
}

// failures groups a control's unsuppressed findings by object and file, in report
// order.
func failures(cr *compliance.ControlResult) []*objectFailure {
	type key struct {
		ref  finding.ObjectRef
		file string
	}
	var out []*objectFailure
	idx := map[key]*objectFailure{}
	for _, f := range cr.Findings {
		if f.Suppressed != nil {
			continue
		}
		k := key{f.Object, f.Location.File}
		o := idx[k]
		if o == nil {
			o = &objectFailure{ref: f.Object, location: f.Location}
			idx[k] = o
			out = append(out, o)
		}
		if !containsString(o.rules, f.RuleID) {
			o.rules = append(o.rules, f.RuleID)
		}
		o.findings = append(o.findings, f)
	}
	for _, o := range out {
		sort.Strings(o.rules)
	}
	return out
}

// controlsFail says how many controls fail.
func controlsFail(n int) string {
	if n == 1 {
		return "1 control fails"
	}
	return plural(n, "control") + " fail"
}

// controlsUnknown says how many controls are unknown.
func controlsUnknown(n int) string {
	if n == 1 {
		return "1 control is unknown"
	}
	return plural(n, "control") + " are unknown"
}

// objectsFail says how many objects fail a control.
func objectsFail(n int) string {
	if n == 1 {
		return "1 object fails"
	}
	return plural(n, "object") + " fail"
}

func containsString(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

var statusText = map[compliance.Status]string{compliance.Pass: "PASS", compliance.Fail: "FAIL", compliance.NotApplicable: "N/A", compliance.Unknown: "UNKNOWN"}

func writeComplianceText(out io.Writer, r *Report, c *compliance.Result, opts Options) error {
	w := bufio.NewWriter(out)
	paint := func(code, text string) safetext.Raw { return styled(opts.Color, code, text) }
	statusColor := map[compliance.Status]string{compliance.Pass: "\x1b[32m", compliance.Fail: "\x1b[1;31m", compliance.NotApplicable: "\x1b[2m", compliance.Unknown: "\x1b[33m"}
	writeInternal(w, r.Internal, paint(sevColor[finding.Critical], "INTERNAL ERROR"))
	for _, e := range r.Errors {
		safetext.Fprintf(w, "%s %s: %s\n", paint(sevColor[finding.High], "INPUT ERROR"), e.Location, e.Message)
	}
	if len(r.Errors) > 0 {
		fmt.Fprintln(w)
	}
	f := c.Framework
	s := r.Summary
	safetext.Fprintf(w, "%s (%s): %s (%s) from %s\n", paint("\x1b[1m", f.Title), f.ID,
		plural(s.Objects, "object"), plural(s.Workloads, "workload"), plural(s.Inputs, "input"))
	width := 0
	for _, ctl := range f.Controls {
		width = max(width, len(ctl.ID))
	}
	section := ""
	reasons := map[compliance.Reason]int{}
	for i := range c.Controls {
		cr := &c.Controls[i]
		ctl := cr.Control
		if ctl.Section != section {
			section = ctl.Section
			safetext.Fprintf(w, "\n%s\n", section)
		}
		st := fmt.Sprintf("%-4s", statusText[cr.Status])
		safetext.Fprintf(w, "  %-*s  %s  %s", width, ctl.ID, paint(statusColor[cr.Status], st), ctl.Title)
		var objs []*objectFailure
		var notes []string
		switch cr.Status {
		case compliance.NotApplicable:
			reasons[cr.Reason]++
			safetext.Fprintf(w, "  [%s]", cr.Reason.Short())
		case compliance.Fail:
			objs = failures(cr)
			notes = append(notes, plural(len(objs), "object")+", worst "+string(paint(sevColor[cr.Worst], cr.Worst.String())))
		case compliance.Unknown:
			notes = append(notes, plural(len(cr.Unknown), "unknown check"))
		}
		if cr.Suppressed > 0 {
			notes = append(notes, fmt.Sprintf("%d suppressed", cr.Suppressed))
		}
		if len(notes) > 0 {
			safetext.Fprintf(w, "  (%s)", safetext.Raw(strings.Join(notes, "; ")))
		}
		fmt.Fprintln(w)
		n := len(objs)
		if !opts.Verbose && n > shownObjects {
			n = shownObjects
		}
		for _, o := range objs[:n] {
			safetext.Fprintf(w, "  %*s  %s  %s  %s\n", width+4, "", o.ref, strings.Join(o.rules, ", "), o.location)
		}
		if n < len(objs) {
			safetext.Fprintf(w, "  %*s  ... and %d more (--verbose lists them all)\n", width+4, "", len(objs)-n)
		}
		if cr.Status == compliance.Unknown {
			// What was missing: each check that could not decide, with the paths tried.
			for _, g := range cr.Unknown {
				line, _ := unknownGap(g)
				safetext.Fprintf(w, "  %*s  %s\n", width+4, "", line)
			}
		}
	}
	fmt.Fprintln(w)
	if len(reasons) > 0 {
		fmt.Fprintln(w, "Not applicable:")
		rw := 0
		for reason := range reasons {
			rw = max(rw, len(reason.Short())+2)
		}
		for _, reason := range compliance.Reasons {
			if n := reasons[reason]; n > 0 {
				safetext.Fprintf(w, "  %-*s  %s: %s\n", rw, "["+reason.Short()+"]", plural(n, "control"), reason.Text())
			}
		}
	}
	if c.Unknown > 0 {
		safetext.Fprintf(w, "Controls: %d pass, %d fail, %d unknown, %d not applicable (%d in %s)", c.Pass, c.Fail, c.Unknown, c.NotApplicable, len(c.Controls), f.ID)
	} else {
		safetext.Fprintf(w, "Controls: %d pass, %d fail, %d not applicable (%d in %s)", c.Pass, c.Fail, c.NotApplicable, len(c.Controls), f.ID)
	}
	if c.Suppressed > 0 {
		safetext.Fprintf(w, "; %s suppressed", plural(c.Suppressed, "finding"))
	}
	if s.InputErrors > 0 {
		safetext.Fprintf(w, "; %s", plural(s.InputErrors, "input error"))
	}
	if len(r.Internal) > 0 {
		safetext.Fprintf(w, "; %s", plural(len(r.Internal), "internal error"))
	}
	fmt.Fprintln(w, ".")
	if c.Outside > 0 {
		safetext.Fprintf(w, "%s of rules outside %s are left out (scan without --framework to see them).\n", plural(c.Outside, "finding"), f.ID)
	}
	switch {
	case len(r.Internal) > 0:
		fmt.Fprintln(w, resultInternal)
	case s.InputErrors > 0:
		fmt.Fprintln(w, "Result: some input could not be read (exit 3).")
	case len(r.Coverage) > 0 && !unknownOnly(r.Coverage):
		fmt.Fprintln(w, "Result: incomplete, some of the input could not be read (exit 3).")
	case c.Unknown > 0:
		safetext.Fprintf(w, "Result: incomplete, %s for lack of evidence (exit 3).\n", controlsUnknown(c.Unknown))
	case c.Failed:
		if c.FailOn == finding.Info.String() {
			safetext.Fprintf(w, "Result: FAIL, %s.\n", controlsFail(c.Fail))
		} else {
			safetext.Fprintf(w, "Result: FAIL, controls fail with findings at or above %s.\n", c.FailOn)
		}
	case c.Fail > 0:
		safetext.Fprintf(w, "Result: pass (fail-on %s): %s, none with a finding at or above it.\n", c.FailOn, controlsFail(c.Fail))
	default:
		safetext.Fprintf(w, "Result: pass (fail-on %s).\n", c.FailOn)
	}
	return w.Flush()
}

// The JSON compliance view: docs/compliance.md describes it and
// docs/compliance.schema.json defines it.
type (
	complianceJSON struct {
		Schema      string                `json:"schema"`
		Tool        Tool                  `json:"tool"`
		Framework   frameworkJSON         `json:"framework"`
		Summary     complianceSummaryJSON `json:"summary"`
		Controls    []controlJSON         `json:"controls"`
		InputErrors []finding.InputError  `json:"inputErrors"`
		// InternalErrors, as in the scan report.
		InternalErrors []finding.InternalError `json:"internalErrors,omitempty"`
	}
	frameworkJSON struct {
		ID    string `json:"id"`
		Title string `json:"title"`
		URL   string `json:"url"`
	}
	complianceSummaryJSON struct {
		Inputs          int    `json:"inputs"`
		Objects         int    `json:"objects"`
		Workloads       int    `json:"workloads"`
		Controls        int    `json:"controls"`
		Suppressed      int    `json:"suppressed"`
		Pass            int    `json:"pass"`
		Fail            int    `json:"fail"`
		NotApplicable   int    `json:"notApplicable"`
		Unknown         int    `json:"unknown"`
		FindingsOutside int    `json:"findingsOutside"`
		InputErrors     int    `json:"inputErrors"`
		InternalErrors  int    `json:"internalErrors,omitempty"`
		FailOn          string `json:"failOn"`
		Failed          bool   `json:"failed"`
	}
	controlJSON struct {
		ID            string             `json:"id"`
		Title         string             `json:"title"`
		Section       string             `json:"section"`
		Status        compliance.Status  `json:"status"`
		Reason        compliance.Reason  `json:"reason,omitempty"`
		ReasonText    string             `json:"reasonText,omitempty"`
		Rules         []string           `json:"rules"`
		DisabledRules []string           `json:"disabledRules,omitempty"`
		Failing       int                `json:"failing"`
		Suppressed    int                `json:"suppressed"`
		Worst         *finding.Severity  `json:"worstSeverity,omitempty"`
		Findings      []*finding.Finding `json:"findings"`
		// Unknown are the checks of the control's rules that could not decide, for
		// lack of evidence (status unknown): what was missing.
		Unknown []finding.CoverageGap `json:"unknown,omitempty"`
	}
)

func writeComplianceJSON(w io.Writer, r *Report, c *compliance.Result) error {
	f := c.Framework
	doc := complianceJSON{
		Schema:    ComplianceSchemaVersion,
		Tool:      r.Tool,
		Framework: frameworkJSON{ID: f.ID, Title: f.Title, URL: f.URL},
		Summary: complianceSummaryJSON{
			Inputs: r.Summary.Inputs, Objects: r.Summary.Objects, Workloads: r.Summary.Workloads,
			Controls: len(c.Controls), Suppressed: c.Suppressed, Pass: c.Pass, Fail: c.Fail, NotApplicable: c.NotApplicable, Unknown: c.Unknown,
			FindingsOutside: c.Outside, InputErrors: r.Summary.InputErrors, InternalErrors: len(r.Internal), FailOn: c.FailOn, Failed: c.Failed,
		},
		Controls:       make([]controlJSON, len(c.Controls)),
		InputErrors:    r.Errors,
		InternalErrors: r.Internal,
	}
	if doc.InputErrors == nil {
		doc.InputErrors = []finding.InputError{}
	}
	for i := range c.Controls {
		cr := &c.Controls[i]
		cj := controlJSON{
			ID: cr.Control.ID, Title: cr.Control.Title, Section: cr.Control.Section, Status: cr.Status,
			Reason: cr.Reason, Rules: cr.Rules, DisabledRules: cr.Disabled,
			Failing: cr.Failing, Suppressed: cr.Suppressed, Findings: cr.Findings, Unknown: cr.Unknown,
		}
		if cr.Reason != "" {
			cj.ReasonText = cr.Reason.Text()
		}
		if cr.Status == compliance.Fail {
			worst := cr.Worst
			cj.Worst = &worst
		}
		if cj.Rules == nil {
			cj.Rules = []string{}
		}
		if cj.Findings == nil {
			cj.Findings = []*finding.Finding{}
		}
		doc.Controls[i] = cj
	}
	enc := json.NewEncoder(safetext.JSONWriter(w))
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// writeComplianceJUnit renders a compliance view as JUnit XML: a test suite per
// section of the framework with a test case per control, failed when the control
// fails (the failure lists the objects and findings), skipped when it is not
// applicable, and a suite "input" with an erroring case per input error.
func writeComplianceJUnit(w io.Writer, r *Report, c *compliance.Result) error {
	doc := junitSuites{Name: "palisade " + c.Framework.ID}
	if s, ok := junitInternalSuite(r.Internal); ok {
		doc.Suites = append(doc.Suites, s)
	}
	if s, ok := junitInputSuite(r.Errors); ok {
		doc.Suites = append(doc.Suites, s)
	}
	section := ""
	for i := range c.Controls {
		cr := &c.Controls[i]
		ctl := cr.Control
		if i == 0 || ctl.Section != section {
			section = ctl.Section
			doc.Suites = append(doc.Suites, junitSuite{Name: safetext.Escape(section), Properties: &junitProperties{[]junitProperty{
				{Name: "framework", Value: c.Framework.ID},
			}}})
		}
		s := &doc.Suites[len(doc.Suites)-1]
		tc := junitCase{Name: safetext.Escape(ctl.ID + " " + ctl.Title), Classname: c.Framework.ID}
		switch cr.Status {
		case compliance.Fail:
			objs := failures(cr)
			var b strings.Builder
			fmt.Fprintf(&b, "Rules: %s\n", strings.Join(cr.Rules, ", "))
			for _, o := range objs {
				safetext.Fprintf(&b, "\n%s  %s\n", o.ref, o.location.File)
				for _, f := range o.findings {
					safetext.Fprintf(&b, "  %s %s %s: %s\n", strings.ToUpper(f.Severity.String()), f.RuleID, f.Location, f.Message)
				}
			}
			tc.Failure = &junitProblem{
				Message: objectsFail(len(objs)),
				Type:    cr.Worst.String(),
				Body:    xmlSafe(b.String()),
			}
			s.Failures++
		case compliance.NotApplicable:
			tc.Skipped = &junitSkipped{Message: safetext.Escape("not applicable: " + cr.Reason.Text())}
			s.Skipped++
		case compliance.Unknown:
			var why []string
			for _, g := range cr.Unknown {
				line, _ := unknownGap(g)
				why = append(why, line)
			}
			tc.Skipped = &junitSkipped{Message: safetext.Escape("unknown: " + strings.Join(why, "; "))}
			s.Skipped++
		}
		s.Tests++
		s.Cases = append(s.Cases, tc)
	}
	return encodeJUnit(w, &doc)
}

// frameworkControlJSON is one control in `palisade rules --framework X --format json`.
type frameworkControlJSON struct {
	ID            string            `json:"id"`
	Title         string            `json:"title"`
	Section       string            `json:"section"`
	Tag           string            `json:"tag,omitempty"`
	Rules         []string          `json:"rules"`
	Includes      []string          `json:"includes,omitempty"`
	NotAssessable compliance.Reason `json:"notAssessable,omitempty"`
}

// WriteFramework renders a framework's controls in order with the rules behind each
// (`palisade rules --framework`); controls without rules show why. The markdown form
// is docs/frameworks/<id>.md.
func WriteFramework(w io.Writer, f *compliance.Framework, rs []*rules.Rule, format string) error {
	byControl := f.RulesOf(rs)
	// note says what stands in for the rules of a control that has none.
	note := func(c *compliance.Control) string {
		switch {
		case len(byControl[c.ID]) > 0:
			return ""
		case c.NotAssessable != "":
			return c.NotAssessable.Text()
		case len(c.Includes) > 0:
			return ""
		}
		return compliance.NoRule.Text()
	}
	switch format {
	case "table", "":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "%s (%s)\n", f.Title, f.ID)
		fmt.Fprintln(tw, "CONTROL\tTITLE\tRULES")
		for i := range f.Controls {
			c := &f.Controls[i]
			cell := strings.Join(byControl[c.ID], ", ")
			if len(c.Includes) > 0 {
				cell = strings.TrimPrefix(cell+", and every rule of "+strings.Join(c.Includes, ", "), ", ")
			}
			if n := note(c); n != "" {
				cell = "not assessed: " + n
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, c.Title, cell)
		}
		return tw.Flush()
	case "json":
		out := struct {
			Framework frameworkJSON          `json:"framework"`
			Controls  []frameworkControlJSON `json:"controls"`
		}{Framework: frameworkJSON{ID: f.ID, Title: f.Title, URL: f.URL}}
		for i := range f.Controls {
			c := &f.Controls[i]
			cj := frameworkControlJSON{ID: c.ID, Title: c.Title, Section: c.Section, Tag: c.Tag, Rules: byControl[c.ID],
				Includes: c.Includes, NotAssessable: c.NotAssessable}
			if cj.Rules == nil {
				cj.Rules = []string{}
			}
			out.Controls = append(out.Controls, cj)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "markdown":
		var b strings.Builder
		fmt.Fprintf(&b, "# %s (`%s`)\n\n", f.Title, f.ID)
		fmt.Fprintf(&b, "<!-- Generated by `palisade rules --framework %s --format markdown`; do not edit. A test fails when this file is stale. -->\n\n", f.ID)
		if f.Detections {
			fmt.Fprintf(&b, "Source: <%s>. Each technique lists the audit detections of `palisade audit` that detect it ([audit-detections.md](../audit-detections.md)); ", f.URL)
			b.WriteString("a technique the Kubernetes audit log cannot show is marked so. ")
		} else {
			fmt.Fprintf(&b, "Source: <%s>. Run `palisade scan PATH --framework %s` for the control-by-control view of a scan; ", f.URL, f.ID)
			b.WriteString("[compliance.md](../compliance.md) explains the statuses and the exit code. ")
		}
		b.WriteString("The rules behind each control come from the rules' framework tags; see [rules.md](../rules.md).\n")
		section := ""
		for i := range f.Controls {
			c := &f.Controls[i]
			if c.Section != section {
				section = c.Section
				fmt.Fprintf(&b, "\n## %s\n\n| Control | Title | Rules |\n|---|---|---|\n", section)
			}
			var links []string
			for _, id := range byControl[c.ID] {
				links = append(links, fmt.Sprintf("[%s](../rules.md#%s)", id, strings.ToLower(id)))
			}
			cell := strings.Join(links, ", ")
			if len(c.Includes) > 0 {
				cell = strings.TrimPrefix(cell+", and the rules of "+strings.Join(c.Includes, ", ")+" (a failure there fails this check too)", ", ")
			}
			if n := note(c); n != "" {
				cell = "Not assessed: " + n
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", c.ID, mdEscape(c.Title), mdEscape(cell))
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	return fmt.Errorf("unknown catalogue format %q (want one of %s)", format, strings.Join(CatalogFormats, ", "))
}

// mdEscape keeps a table cell in its column.
func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
