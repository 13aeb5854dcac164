package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/safetext"
)

var sevColor = map[finding.Severity]string{
	finding.Critical: "\x1b[1;35m", finding.High: "\x1b[1;31m", finding.Medium: "\x1b[33m",
	finding.Low: "\x1b[36m", finding.Info: "\x1b[2m",
}

const reset = "\x1b[0m"

func init() { RegisterFormat(Format{Name: "text", Write: writeText}) }

// writeText groups findings by object, in the report's order (input order, the
// findings that carry an exposure first), each with file:line; an image's exposure
// is written under its heading.
func writeText(out io.Writer, r *Report, opts Options) error {
	w := bufio.NewWriter(out)
	paint := func(s finding.Severity, text string) safetext.Raw {
		return styled(opts.Color, sevColor[s], text)
	}
	bold := func(text string) safetext.Raw { return styled(opts.Color, "\x1b[1m", text) }
	writeInternal(w, r.Internal, paint(finding.Critical, "INTERNAL ERROR"))
	for _, e := range r.Errors {
		safetext.Fprintf(w, "%s %s: %s\n", paint(finding.High, "INPUT ERROR"), e.Location, e.Message)
	}
	if len(r.Errors) > 0 {
		fmt.Fprintln(w)
	}
	var gaps, unknown []finding.CoverageGap
	for _, g := range r.Coverage {
		if g.Rule != "" {
			unknown = append(unknown, g)
		} else {
			gaps = append(gaps, g)
		}
	}
	if len(gaps) > 0 {
		header := "Coverage: not checked (the API server refused or failed these lists)"
		if imagesOnly(gaps) {
			header = "Coverage: not checked (these images could not be read)"
		}
		safetext.Fprintln(w, bold(header))
		for _, g := range gaps {
			if line, ok := imageGap(g); ok {
				safetext.Fprintf(w, "  %s %s\n", paint(finding.High, "NOT CHECKED"), line)
				continue
			}
			scope := "cluster-wide"
			if g.Namespace != "" {
				scope = "namespace " + g.Namespace
			}
			if g.Name != "" {
				// One object (a node whose kubelet could not be read).
				safetext.Fprintf(w, "  %s %s/%s (%s): %s\n", paint(finding.High, "NOT CHECKED"), g.Kind, g.Name, g.APIVersion, g.Reason)
				continue
			}
			safetext.Fprintf(w, "  %s %s (%s, %s): %s\n", paint(finding.High, "NOT CHECKED"), g.Kind, g.APIVersion, scope, g.Reason)
		}
		fmt.Fprintln(w)
	}
	if len(unknown) > 0 {
		safetext.Fprintln(w, bold("Coverage: unknown (these checks could not decide for lack of evidence)"))
		for _, g := range unknown {
			line, _ := unknownGap(g)
			safetext.Fprintf(w, "  %s %s\n", paint(finding.Medium, "UNKNOWN"), line)
		}
		fmt.Fprintln(w)
	}
	writeImagesText(w, r, func(s string) safetext.Raw { return bold(s) })
	var cur finding.ObjectRef
	var curFile string
	first := true
	for _, f := range r.Findings {
		if f.Suppressed != nil && !opts.ShowSuppressed {
			continue
		}
		if first || f.Object != cur || f.Location.File != curFile {
			if !first {
				fmt.Fprintln(w)
			}
			first = false
			cur, curFile = f.Object, f.Location.File
			if f.Object.IsConfigFile() {
				// A configuration file is named by its file: say what it is once.
				safetext.Fprintf(w, "%s  %s", bold("configuration file"), f.Location.File)
			} else if f.Object.IsPseudo() && f.Object.Kind == finding.DockerfileKind {
				safetext.Fprintf(w, "%s  %s", bold("Dockerfile"), f.Location.File)
			} else if img := f.Location.Image; img != nil {
				// An image is named by its reference and digest once; each finding
				// then says where in it.
				safetext.Fprintf(w, "%s  %s", bold("image"), img.Image())
				if img.Platform != "" {
					safetext.Fprintf(w, "  (%s)", img.Platform)
				}
			} else {
				safetext.Fprintf(w, "%s  %s", bold(f.Object.String()), f.Location.File)
			}
			if f.Location.Renderer != "" {
				safetext.Fprintf(w, "  (%s)", f.Location.Renderer)
			}
			fmt.Fprintln(w)
			if runBy := imageRunBy(r, &f); runBy != "" {
				safetext.Fprintf(w, "  %s\n", runBy)
			}
			writeExposureText(w, f.Exposure)
		}
		sev := paint(f.Severity, fmt.Sprintf("%-8s", strings.ToUpper(f.Severity.String())))
		if img := f.Location.Image; img != nil {
			// The layer and path (or configuration field) inside the image.
			safetext.Fprintf(w, "  %s %-8s %s  %s\n", sev, f.RuleID, img.Place(), f.Message)
			if f.Suppressed != nil {
				safetext.Fprintf(w, "           %-8s suppressed (%s): %s\n", "", f.Suppressed.Kind, f.Suppressed.Reason)
			}
			continue
		}
		// Location.String marks a line that counts in rendered (Helm/Kustomize) output.
		safetext.Fprintf(w, "  %s %-8s %s  %s\n", sev, f.RuleID, f.Location, f.Message)
		if f.Path != "" {
			safetext.Fprintf(w, "           %-8s field: %s\n", "", f.Path)
		}
		if p := f.Policy; p != nil {
			safetext.Fprintf(w, "           %-8s policy: %s\n", "", policyText(p))
		}
		for _, line := range nodeEvidenceLines(f.Node) {
			safetext.Fprintf(w, "           %-8s %s\n", "", line)
		}
		if a := f.Audit; a != nil {
			writeAuditText(w, a, strings.Repeat(" ", 20))
		}
		if ap := f.AttackPath; ap != nil {
			writePathText(w, ap, strings.Repeat(" ", 20), opts.PathHops)
		}
		if f.Suppressed != nil {
			safetext.Fprintf(w, "           %-8s suppressed (%s): %s\n", "", f.Suppressed.Kind, f.Suppressed.Reason)
		}
	}
	if !first {
		fmt.Fprintln(w)
	}
	s := r.Summary
	var parts []string
	for i := len(finding.Severities()) - 1; i >= 0; i-- {
		sv := finding.Severities()[i]
		if n := s.BySeverity[sv.String()]; n > 0 {
			parts = append(parts, string(paint(sv, fmt.Sprintf("%d %s", n, sv))))
		}
	}
	counts := safetext.Raw("no findings")
	if len(parts) > 0 {
		counts = safetext.Raw(strings.Join(parts, ", "))
	}
	configs := ""
	if s.ConfigFiles > 0 {
		configs = " and " + plural(s.ConfigFiles, "configuration file")
	}
	if s.Nodes > 0 {
		configs += " and " + plural(s.Nodes, "node")
	}
	scanned := fmt.Sprintf("%s (%s)%s", plural(s.Objects, "object"), plural(s.Workloads, "workload"), configs)
	switch {
	case (s.Images > 0 || r.imageScan) && s.Objects == 0 && s.Workloads == 0 && s.ConfigFiles == 0:
		scanned = imagesSummary(s)
	case s.Images > 0 && s.ConfigFiles > 0:
		scanned = fmt.Sprintf("%s (%s), %s and %s", plural(s.Objects, "object"), plural(s.Workloads, "workload"), plural(s.ConfigFiles, "configuration file"), imagesSummary(s))
	case s.Images > 0:
		scanned += " and " + imagesSummary(s)
	}
	if s.Audit != nil {
		safetext.Fprintf(w, "Read %s: %s", auditSummaryText(s.Audit), counts)
	} else {
		safetext.Fprintf(w, "Scanned %s from %s: %s", scanned, plural(s.Inputs, "input"), counts)
	}
	if h := s.History; h != nil {
		safetext.Fprintf(w, "; git history: %s, %s read", pluralGrouped(h.Commits, "commit"), pluralGrouped(h.Files, "file"))
		if h.Unreadable > 0 {
			safetext.Fprintf(w, " (%s unreadable)", grouped(h.Unreadable))
		}
	}
	if s.Suppressed > 0 {
		safetext.Fprintf(w, "; %d suppressed", s.Suppressed)
	}
	if s.ProtectedSecrets > 0 {
		var by []string
		for _, k := range ProtectedKinds {
			if s.ProtectedBy[k] > 0 {
				by = append(by, k)
			}
		}
		safetext.Fprintf(w, "; %s (%s)", plural(s.ProtectedSecrets, "protected secret source"), strings.Join(by, ", "))
	}
	if s.InputErrors > 0 {
		safetext.Fprintf(w, "; %s", plural(s.InputErrors, "input error"))
	}
	if len(gaps) > 0 {
		safetext.Fprintf(w, "; %s not checked", coverageCount(gaps))
	}
	if len(unknown) > 0 {
		safetext.Fprintf(w, "; %s", plural(len(unknown), "unknown check"))
	}
	if len(r.Internal) > 0 {
		safetext.Fprintf(w, "; %s", plural(len(r.Internal), "internal error"))
	}
	fmt.Fprintln(w, ".")
	switch {
	case len(r.Internal) > 0:
		fmt.Fprintln(w, resultInternal)
	case len(gaps) > 0 && imagesOnly(gaps):
		fmt.Fprintln(w, "Result: incomplete, some images could not be read (exit 3).")
	case len(gaps) > 0:
		fmt.Fprintln(w, "Result: incomplete, some kinds could not be listed (exit 3).")
	case s.InputErrors > 0:
		fmt.Fprintln(w, "Result: some input could not be read (exit 3).")
	case len(unknown) > 0:
		fmt.Fprintln(w, "Result: incomplete, some checks could not decide for lack of evidence (exit 3).")
	case s.Failed:
		safetext.Fprintf(w, "Result: FAIL, findings at or above %s.\n", s.FailOn)
	default:
		safetext.Fprintf(w, "Result: pass (fail-on %s).\n", s.FailOn)
	}
	return w.Flush()
}

// resultInternal is the verdict of a report with internal errors.
const resultInternal = "Result: incomplete, Palisade failed on part of the input (exit 4); please report the internal errors above."

// writeInternal lists the internal errors first, with label, then a blank line.
func writeInternal(w io.Writer, errs []finding.InternalError, label safetext.Raw) {
	for _, ie := range errs {
		where := ""
		if ie.Location != nil {
			where = ie.Location.String() + ": "
		}
		safetext.Fprintf(w, "%s %s%s\n", label, where, internalText(ie))
	}
	if len(errs) > 0 {
		fmt.Fprintln(w)
	}
}

// styled is text (escaped: it may come from the input) in an ANSI style when colour
// is on.
func styled(color bool, code, text string) safetext.Raw {
	if !color {
		return safetext.Raw(safetext.Escape(text))
	}
	return safetext.Raw(code + safetext.Escape(text) + reset)
}

// grouped writes a count with thousands separators (1,234).
func grouped(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// pluralGrouped is plural with thousands separators.
func pluralGrouped(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return grouped(n) + " " + noun + "s"
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// policyText names what in a ValidatingAdmissionPolicy judged the object:
// "replicas-limit, binding replicas-limit-deny, validation 0 [Deny]".
func policyText(p *finding.PolicyEvidence) string {
	s := p.Policy
	if p.Binding != "" {
		s += ", binding " + p.Binding
	}
	if p.Validation >= 0 {
		s += fmt.Sprintf(", validation %d", p.Validation)
	}
	if p.Param != "" {
		s += ", param " + p.Param
	}
	if len(p.Actions) > 0 {
		s += " [" + strings.Join(p.Actions, ", ") + "]"
	}
	return s
}
