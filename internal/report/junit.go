package report

import (
	"encoding/xml"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/safetext"
)

// The JUnit XML schema as CI systems (Jenkins, GitLab, Azure Pipelines) read it.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string           `xml:"name,attr"`
		Tests      int              `xml:"tests,attr"`
		Failures   int              `xml:"failures,attr"`
		Errors     int              `xml:"errors,attr"`
		Skipped    int              `xml:"skipped,attr"`
		Properties *junitProperties `xml:"properties"`
		Cases      []junitCase      `xml:"testcase"`
	}
	junitProperties struct {
		Property []junitProperty `xml:"property"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		Failure   *junitProblem `xml:"failure,omitempty"`
		Error     *junitProblem `xml:"error,omitempty"`
		Skipped   *junitSkipped `xml:"skipped,omitempty"`
	}
	junitProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Body    string `xml:",cdata"`
	}
	junitSkipped struct {
		Message string `xml:"message,attr"`
	}
)

func init() {
	RegisterFormat(Format{Name: "junit", Write: func(w io.Writer, r *Report, _ Options) error { return writeJUnit(w, r) }})
}

// writeJUnit renders the report as JUnit XML: a test suite per rule that fired (in rule
// ID order) with a test case per finding, failed unless suppressed (then skipped), and
// a suite "input" with an erroring test case per input error.
func writeJUnit(w io.Writer, r *Report) error {
	titles := map[string]string{}
	for _, m := range r.Rules {
		titles[m.ID] = m.Title
	}
	byRule := map[string][]finding.Finding{}
	for _, f := range r.Findings {
		byRule[f.RuleID] = append(byRule[f.RuleID], f)
		if titles[f.RuleID] == "" {
			titles[f.RuleID] = f.Title
		}
	}
	ids := make([]string, 0, len(byRule))
	for id := range byRule {
		ids = append(ids, id)
	}
	sort.Strings(ids)

	doc := junitSuites{Name: "palisade"}
	if s, ok := junitInternalSuite(r.Internal); ok {
		doc.Suites = append(doc.Suites, s)
	}
	if s, ok := junitInputSuite(withCoverage(r)); ok {
		doc.Suites = append(doc.Suites, s)
	}
	if s, ok := junitUnknownSuite(r.Coverage); ok {
		doc.Suites = append(doc.Suites, s)
	}
	for _, id := range ids {
		fs := byRule[id]
		s := junitSuite{Name: safetext.Escape(strings.TrimSpace(id + " " + titles[id]))}
		s.Properties = &junitProperties{[]junitProperty{{Name: "rule", Value: id}, {Name: "severity", Value: fs[0].Severity.String()}}}
		for _, f := range fs {
			c := junitCase{Name: safetext.Escape(junitCaseName(f)), Classname: safetext.Escape(f.Location.File)}
			if sp := f.Suppressed; sp != nil {
				msg := "suppressed (" + sp.Kind + ")"
				if sp.Reason != "" {
					msg += ": " + sp.Reason
				}
				if sp.Expires != "" {
					msg += " (expires " + sp.Expires + ")"
				}
				c.Skipped = &junitSkipped{Message: safetext.Escape(msg)}
				s.Skipped++
			} else {
				c.Failure = &junitProblem{
					Message: safetext.Escape(f.Message),
					Type:    f.Severity.String(),
					Body:    xmlSafe(junitBody(f)),
				}
				s.Failures++
			}
			s.Tests++
			s.Cases = append(s.Cases, c)
		}
		doc.Suites = append(doc.Suites, s)
	}
	return encodeJUnit(w, &doc)
}

// junitUnknownSuite is the suite "unknown", with a skipped test case per check that
// could not decide for lack of evidence, the reason and the paths tried as its
// message (ok is false when there is none).
func junitUnknownSuite(gaps []finding.CoverageGap) (s junitSuite, ok bool) {
	s = junitSuite{Name: "unknown"}
	for _, g := range gaps {
		line, isUnknown := unknownGap(g)
		if !isUnknown {
			continue
		}
		name := g.Rule
		if g.Name != "" {
			name += " " + g.Name
		}
		s.Cases = append(s.Cases, junitCase{
			Name:      safetext.Escape(name),
			Classname: safetext.Escape(g.Kind + "/" + g.Name),
			Skipped:   &junitSkipped{Message: safetext.Escape("unknown: " + line)},
		})
		s.Tests++
		s.Skipped++
	}
	return s, len(s.Cases) > 0
}

// junitInputSuite is the suite "input", with an erroring test case per input error
// (ok is false when there is none).
func junitInputSuite(errs []finding.InputError) (s junitSuite, ok bool) {
	s = junitSuite{Name: "input"}
	for _, e := range errs {
		s.Cases = append(s.Cases, junitCase{
			Name:      safetext.Escape(e.Location.String()),
			Classname: safetext.Escape(e.Location.File),
			Error: &junitProblem{
				Message: safetext.Escape(e.Message),
				Type:    "input-error",
				Body:    safetext.Escape(e.Error()),
			},
		})
		s.Tests++
		s.Errors++
	}
	return s, len(errs) > 0
}

// junitInternalSuite is the suite "internal", with an erroring test case per internal
// error (ok is false when there is none).
func junitInternalSuite(errs []finding.InternalError) (s junitSuite, ok bool) {
	s = junitSuite{Name: "internal"}
	for _, ie := range errs {
		where := "palisade"
		if ie.Location != nil {
			where = ie.Location.String()
		}
		s.Cases = append(s.Cases, junitCase{
			Name:      safetext.Escape(where),
			Classname: "palisade",
			Error: &junitProblem{
				Message: safetext.Escape(internalText(ie)),
				Type:    "internal-error",
				Body:    safetext.Escape(ie.Error()),
			},
		})
		s.Tests++
		s.Errors++
	}
	return s, len(errs) > 0
}

// encodeJUnit totals the suites and writes the document.
func encodeJUnit(w io.Writer, doc *junitSuites) error {
	for _, s := range doc.Suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitCaseName names a finding's test case by object and field path.
func junitCaseName(f finding.Finding) string {
	name := f.Object.String()
	if f.Path != "" {
		name += " " + f.Path
	} else if f.Container != "" {
		name += " container " + f.Container
	}
	return name
}

// junitBody is the failure text: where, what, and how to fix it. Each value is
// escaped (safetext): one value stays on its line.
func junitBody(f finding.Finding) string {
	var b strings.Builder
	line := func(label, value string) { b.WriteString(label + ": " + safetext.Escape(value) + "\n") }
	line("Location", f.Location.String())
	if f.Location.Renderer != "" {
		line("Rendered by", f.Location.Renderer)
	}
	line("Object", f.Object.String())
	if f.Container != "" {
		line("Container", f.Container)
	}
	if f.Path != "" {
		line("Field", f.Path)
	}
	line("Severity", f.Severity.String())
	line("Message", f.Message)
	if f.Vulnerability != nil {
		vulnerabilityBody(f.Vulnerability, line)
	}
	if f.Audit != nil {
		auditBody(f.Audit, line)
	}
	if f.AttackPath != nil {
		pathBody(f.AttackPath, line)
	}
	if f.Remediation != "" {
		line("Remediation", f.Remediation)
	}
	if len(f.Frameworks) > 0 {
		line("Frameworks", strings.Join(f.Frameworks, ", "))
	}
	return b.String()
}

// xmlSafe replaces characters that XML 1.0 cannot carry at all (most control
// characters, unpaired surrogates, U+FFFE/U+FFFF) with U+FFFD; encoding/xml escapes
// the rest but writes CDATA sections verbatim. Values from the input are escaped
// (safetext) before they reach a document, which leaves none of those characters:
// xmlSafe guards the text the report assembles.
func xmlSafe(s string) string {
	ok := func(r rune) bool {
		return r == '\t' || r == '\n' || r == '\r' ||
			(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	for _, r := range s {
		if !ok(r) {
			return strings.Map(func(r rune) rune {
				if ok(r) {
					return r
				}
				return '\uFFFD'
			}, s)
		}
	}
	return s
}
